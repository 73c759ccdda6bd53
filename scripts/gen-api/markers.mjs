/**
 * Kubernetes' server-side-apply markers for the generated schemas, from the
 * embedded OpenAPI document (embedded-openapi.mjs) and the overlay
 * (overlay.mjs), with the checks that keep both honest:
 *
 * - every overlay entry must name a generated definition and a field the
 *   protobuf descriptors have, with the shape its marker needs (a list of
 *   messages holding every list-map key as a scalar field, a list of scalars
 *   for a set, a map or message field for a map type, a message type for a
 *   struct type, a scalar key field for a default); it must change what the
 *   mechanical sources give, and must not contradict the embedded document;
 * - every marker taken from the embedded document must land on a property of
 *   the same shape (a list, with its keys in the item definition; an object).
 *
 * Problems are collected and thrown together, so one run lists them all.
 */
import * as overlay from './overlay.mjs';

/**
 * @typedef {{ listType: string, keys?: string[], source: 'overlay' | 'embedded' | 'tag' | 'derived' }} ListMarker
 */

export class SchemaMarkers {
  /**
   * @param {import('./embedded-openapi.mjs').EmbeddedOpenApi} embedded
   * @param {typeof overlay} [table]
   */
  constructor(embedded, table = overlay) {
    this.embedded = embedded;
    this.table = table;
    this.overlayLists = byField(table.LIST_TYPES);
    this.overlayFieldMapTypes = byField(table.FIELD_MAP_TYPES);
    this.overlayKeyDefaults = byField(table.KEY_DEFAULTS);
    this.overlayStructTypes = new Map(table.STRUCT_TYPES.map((e) => [e.definition, e]));
    /** What the generator decided without the overlay, per `definition.field`, for the redundancy checks. */
    this.withoutOverlay = new Map();
    /** Lists whose embedded marker differs from the patch-tag derivation (reported). */
    this.embeddedChanges = [];
    this.used = { embeddedLists: 0, embeddedFieldMapTypes: 0, embeddedStructTypes: 0 };
  }

  embeddedProperty(definition, field) {
    return this.embedded.definitions.get(definition)?.properties.get(field);
  }

  /**
   * The list semantics of a property: the overlay, else a `listType` struct
   * tag, else the embedded document, else `derived` (from the patch tags).
   * @param {ListMarker | undefined} tagged from a listType struct tag
   * @param {ListMarker} derived
   * @returns {ListMarker}
   */
  list(definition, field, tagged, derived) {
    const key = `${definition}.${field}`;
    const e = this.embeddedProperty(definition, field);
    let mechanical = tagged;
    if (!mechanical && e?.listType) {
      mechanical = { listType: e.listType, ...(e.listType === 'map' ? { keys: e.listMapKeys ?? [] } : {}), source: 'embedded' };
      this.used.embeddedLists++;
      if (!sameList(mechanical, derived)) this.embeddedChanges.push(`${key}: ${describeList(derived)} -> ${describeList(mechanical)}`);
    }
    mechanical ??= derived;
    this.withoutOverlay.set(key, mechanical);
    const o = this.overlayLists.get(key);
    return o ? { listType: o.listType, ...(o.keys ? { keys: o.keys } : {}), source: 'overlay' } : mechanical;
  }

  /** `x-kubernetes-map-type` of a property (a map field, or a struct field overriding its type's). */
  fieldMapType(definition, field) {
    const o = this.overlayFieldMapTypes.get(`${definition}.${field}`);
    if (o) return o.mapType;
    const e = this.embeddedProperty(definition, field)?.mapType;
    if (e) this.used.embeddedFieldMapTypes++;
    return e;
  }

  /** `x-kubernetes-map-type` of a definition (`+structType`); call once per definition (it counts). */
  structType(definition) {
    const o = this.overlayStructTypes.get(definition);
    if (o) return o.structType;
    const e = this.embedded.definitions.get(definition)?.mapType;
    if (e) this.used.embeddedStructTypes++;
    return e;
  }

  /** The struct type of a definition, without counting. */
  structTypeOf(definition) {
    return this.overlayStructTypes.get(definition)?.structType ?? this.embedded.definitions.get(definition)?.mapType;
  }

  /** The `default` of a list-map key field. */
  keyDefault(definition, field) {
    return this.overlayKeyDefaults.get(`${definition}.${field}`)?.default;
  }

  /**
   * Check the overlay and the embedded markers against the descriptors and
   * the generated definitions. Throws with every problem found.
   * @param {object} input
   * @param {Record<string, any>} input.definitions the generated definitions
   * @param {(definition: string, field: string) => { field: any, message: string } | undefined} input.descriptorField
   *   the protobuf field behind a property (by JSON name, inline members flattened)
   * @param {(definition: string) => any} input.message the protobuf message of a definition
   * @param {(typeName: string) => any} input.messageByType a message by its descriptor type name (`.k8s.io.api.core.v1.Pod`)
   * @param {(typeName: string) => Map<string, { field: any }>} input.jsonFieldsByType JSON fields of a message by type name
   * @param {(definition: string, field: string) => string} input.description the kubernetes-types description of a property
   */
  verify({ definitions, descriptorField, message, messageByType, jsonFieldsByType, description }) {
    const problems = [];
    const t = this.table;
    const generated = (def, field) => {
      const d = definitions[def];
      if (!d) return `${def} is not a generated definition`;
      if (field !== undefined && !d.properties?.[field]) return `${def} has no property ${field} in the generated schema`;
      return undefined;
    };
    const isScalar = (f) => f.type !== 'TYPE_MESSAGE' && f.type !== 'TYPE_GROUP';

    for (const o of t.LIST_TYPES) {
      const at = `overlay LIST_TYPES ${o.definition}.${o.field}`;
      const missing = generated(o.definition, o.field);
      if (missing) {
        problems.push(`${at}: ${missing}`);
        continue;
      }
      const df = descriptorField(o.definition, o.field);
      if (!df) {
        problems.push(`${at}: no protobuf field for it in the descriptors`);
        continue;
      }
      const f = df.field;
      if (f.label !== 'LABEL_REPEATED' || messageByType(f.typeName)?.options?.mapEntry) {
        problems.push(`${at}: protobuf field ${df.message}.${f.name} is not a list`);
        continue;
      }
      if (o.listType === 'map') {
        if (f.type !== 'TYPE_MESSAGE') problems.push(`${at}: a map list needs messages; ${f.name} holds ${f.type}`);
        else if (!o.keys?.length) problems.push(`${at}: a map list needs keys`);
        else {
          const items = jsonFieldsByType(f.typeName);
          for (const k of o.keys) {
            const kf = items.get(k)?.field;
            if (!kf) problems.push(`${at}: key ${k} is not a field of ${f.typeName.slice(1)}`);
            else if (!isScalar(kf) || kf.label === 'LABEL_REPEATED') problems.push(`${at}: key ${k} of ${f.typeName.slice(1)} is not a scalar`);
          }
        }
      } else if (o.keys) problems.push(`${at}: keys given for list type ${o.listType}`);
      if (o.listType === 'set' && !isScalar(f)) problems.push(`${at}: a set must hold scalars; ${f.name} holds ${f.typeName.slice(1)}`);
      if (!['atomic', 'set', 'map'].includes(o.listType)) problems.push(`${at}: unknown list type ${o.listType}`);
      const e = this.embeddedProperty(o.definition, o.field);
      const mine = { listType: o.listType, ...(o.keys ? { keys: o.keys } : {}) };
      if (e?.listType) {
        const theirs = { listType: e.listType, ...(e.listType === 'map' ? { keys: e.listMapKeys ?? [] } : {}) };
        problems.push(
          sameList(mine, theirs)
            ? `${at}: redundant, the embedded OpenAPI document (${this.embedded.version}) already says ${describeList(theirs)}; remove the entry`
            : `${at}: contradicts the embedded OpenAPI document (${this.embedded.version}: ${describeList(theirs)})`,
        );
      }
      const before = this.withoutOverlay.get(`${o.definition}.${o.field}`);
      if (!e?.listType && before && sameList(mine, before)) problems.push(`${at}: redundant, the ${before.source} semantics are already ${describeList(before)}; remove the entry`);
    }

    for (const o of t.STRUCT_TYPES) {
      const at = `overlay STRUCT_TYPES ${o.definition}`;
      const missing = generated(o.definition);
      if (missing) {
        problems.push(`${at}: ${missing}`);
        continue;
      }
      const m = message(o.definition);
      if (!m || m.options?.mapEntry || !(m.field?.length > 0)) problems.push(`${at}: not a protobuf message with fields in the descriptors`);
      if (!definitions[o.definition].properties) problems.push(`${at}: the generated definition is not a struct (no properties)`);
      if (o.structType !== 'atomic' && o.structType !== 'granular') problems.push(`${at}: unknown struct type ${o.structType}`);
      const e = this.embedded.definitions.get(o.definition)?.mapType;
      if (e) problems.push(e === o.structType ? `${at}: redundant, the embedded OpenAPI document already says ${e}; remove the entry` : `${at}: contradicts the embedded OpenAPI document (${e})`);
    }

    for (const o of t.FIELD_MAP_TYPES) {
      const at = `overlay FIELD_MAP_TYPES ${o.definition}.${o.field}`;
      const missing = generated(o.definition, o.field);
      if (missing) {
        problems.push(`${at}: ${missing}`);
        continue;
      }
      const df = descriptorField(o.definition, o.field);
      const f = df?.field;
      const isMap = f && f.label === 'LABEL_REPEATED' && messageByType(f.typeName)?.options?.mapEntry;
      const isStruct = f && f.label !== 'LABEL_REPEATED' && f.type === 'TYPE_MESSAGE';
      if (!f) problems.push(`${at}: no protobuf field for it in the descriptors`);
      else if (!isMap && !isStruct) problems.push(`${at}: protobuf field ${df.message}.${f.name} is neither a map nor a message`);
      if (o.mapType !== 'atomic' && o.mapType !== 'granular') problems.push(`${at}: unknown map type ${o.mapType}`);
      if (isMap && o.mapType === 'granular') problems.push(`${at}: maps are granular already; remove the entry`);
      if (isStruct) {
        const target = f.typeName.slice(1).replace(/^k8s\.io\./, 'io.k8s.');
        const own = this.structTypeOf(target) ?? 'granular';
        if (own === o.mapType) problems.push(`${at}: redundant, ${target} is ${own} already; remove the entry`);
      }
      const e = this.embeddedProperty(o.definition, o.field)?.mapType;
      if (e) problems.push(e === o.mapType ? `${at}: redundant, the embedded OpenAPI document already says ${e}; remove the entry` : `${at}: contradicts the embedded OpenAPI document (${e})`);
    }

    // Which definitions' fields are list-map keys (the only defaults in scope).
    const keyFields = new Set();
    for (const d of Object.values(definitions)) {
      for (const p of Object.values(d.properties ?? {})) {
        if (p['x-kubernetes-list-type'] !== 'map') continue;
        const itemRef = p.items?.$ref ?? p.items?.allOf?.[0]?.$ref;
        const item = itemRef?.slice(itemRef.lastIndexOf('/') + 1);
        for (const k of p['x-kubernetes-list-map-keys'] ?? []) keyFields.add(`${item}.${k}`);
      }
    }
    for (const o of t.KEY_DEFAULTS) {
      const at = `overlay KEY_DEFAULTS ${o.definition}.${o.field}`;
      const missing = generated(o.definition, o.field);
      if (missing) {
        problems.push(`${at}: ${missing}`);
        continue;
      }
      const df = descriptorField(o.definition, o.field);
      const f = df?.field;
      if (!f) problems.push(`${at}: no protobuf field for it in the descriptors`);
      else if (!isScalar(f) || f.label === 'LABEL_REPEATED') problems.push(`${at}: not a scalar field`);
      else {
        const json = f.type === 'TYPE_STRING' || f.type === 'TYPE_BYTES' ? 'string' : f.type === 'TYPE_BOOL' ? 'boolean' : 'number';
        if (typeof o.default !== json) problems.push(`${at}: default ${JSON.stringify(o.default)} is not a ${json} (protobuf ${f.type})`);
      }
      if (!keyFields.has(`${o.definition}.${o.field}`)) problems.push(`${at}: not a key of any generated map list`);
      if (!(description(o.definition, o.field) ?? '').includes(o.evidence)) problems.push(`${at}: the description does not say ${JSON.stringify(o.evidence)}`);
    }

    // Markers from the embedded document must fit the generated shapes.
    for (const [def, e] of this.embedded.definitions) {
      const d = definitions[def];
      if (!d) continue;
      if (e.mapType && !d.properties) problems.push(`embedded ${def}: x-kubernetes-map-type on a definition that is not a struct`);
      for (const [field, p] of e.properties) {
        const mine = d.properties?.[field];
        if (!mine) continue; // a field Kubernetes removed since; reported by the caller
        if (p.listType && mine.type !== 'array') problems.push(`embedded ${def}.${field}: x-kubernetes-list-type on a property that is not a list`);
        if (p.listType === 'map') {
          const itemRef = mine.items?.$ref;
          const item = itemRef && definitions[itemRef.slice(itemRef.lastIndexOf('/') + 1)];
          for (const k of p.listMapKeys ?? []) if (!item?.properties?.[k]) problems.push(`embedded ${def}.${field}: key ${k} is not a property of the items`);
        }
        if (p.mapType && mine.type !== 'object' && !mine.allOf && !mine.$ref) problems.push(`embedded ${def}.${field}: x-kubernetes-map-type on a property that is not an object`);
      }
    }

    if (problems.length) throw new Error(`server-side apply markers: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  }

  /** Embedded-document properties the generated definitions no longer have (fields removed since). */
  removedSince(definitions) {
    const out = [];
    for (const [def, e] of this.embedded.definitions) {
      if (!definitions[def]) continue;
      for (const [field, p] of e.properties) if ((p.listType || p.mapType) && !definitions[def].properties?.[field]) out.push(`${def}.${field}`);
    }
    return out;
  }

  /** Patch metadata where the embedded document and the struct tags disagree (`definition.field: embedded vs tag`). */
  patchDisagreements(definitions) {
    const out = [];
    for (const [def, e] of this.embedded.definitions) {
      const d = definitions[def];
      if (!d) continue;
      for (const [field, p] of e.properties) {
        const mine = d.properties?.[field];
        if (!mine) continue;
        const a = `${p.patchStrategy ?? '-'}/${p.patchMergeKey ?? '-'}`;
        const b = `${mine['x-kubernetes-patch-strategy'] ?? '-'}/${mine['x-kubernetes-patch-merge-key'] ?? '-'}`;
        if (a !== b) out.push(`${def}.${field}: ${a} (embedded) vs ${b} (struct tags)`);
      }
    }
    return out;
  }

  counts() {
    const t = this.table;
    return {
      overlay: { listTypes: t.LIST_TYPES.length, structTypes: t.STRUCT_TYPES.length, fieldMapTypes: t.FIELD_MAP_TYPES.length, keyDefaults: t.KEY_DEFAULTS.length },
      embedded: { ...this.used },
    };
  }
}

function byField(entries) {
  const out = new Map();
  for (const e of entries) {
    const key = `${e.definition}.${e.field}`;
    if (out.has(key)) throw new Error(`overlay: ${key} listed twice`);
    out.set(key, e);
  }
  return out;
}

function sameList(a, b) {
  return a.listType === b.listType && JSON.stringify(a.listType === 'map' ? a.keys ?? [] : []) === JSON.stringify(b.listType === 'map' ? b.keys ?? [] : []);
}

function describeList(l) {
  return l.listType === 'map' ? `map ${JSON.stringify(l.keys ?? [])}` : l.listType;
}
