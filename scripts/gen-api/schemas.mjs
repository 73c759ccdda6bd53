/**
 * OpenAPI v3 component schemas for the Kubernetes API types, in the shape and
 * with the names Kubernetes itself serves (`io.k8s.api.core.v1.Pod`).
 *
 * - Structure, descriptions and required fields: kubernetes-types.
 * - Integer formats (int32/int64) and byte strings: the protobuf descriptors.
 * - Strategic-merge-patch metadata: the Go struct tags.
 * - Server-side-apply list, map and struct semantics: a `listType` struct tag,
 *   else the OpenAPI document kustomize embeds in kubectl, else the patch tags
 *   (as Kubernetes' schema conversion does); the overlay (overlay.mjs) on top.
 * - `default: {}` on struct fields Go always writes: message fields the gogo
 *   descriptors mark `(gogoproto.nullable) = false`.
 * - Types kubernetes-types lacks (Table, PartialObjectMetadata, the *Options
 *   kinds): the Go runtime type information, with required = no `omitempty`.
 */
import { forEachMessage } from './descriptors.mjs';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const REF = '#/components/schemas/';

/**
 * Types whose JSON form is defined by a custom MarshalJSON in Go, not by their
 * fields. Their schemas say what the JSON looks like, as Kubernetes' OpenAPI does.
 */
const CUSTOM_JSON = {
  [`${META}.Time`]: { type: 'string', format: 'date-time' },
  [`${META}.MicroTime`]: { type: 'string', format: 'date-time' },
  ['io.k8s.apimachinery.pkg.api.resource.Quantity']: { type: 'string' },
  [INT_OR_STRING]: {
    description: 'An int32 or a string. The JSON value is whichever of the two it holds, e.g. a port number or a port name.',
    format: 'int-or-string',
    'x-kubernetes-int-or-string': true,
  },
  // Arbitrary JSON: objects of any kind, or managed-fields tries.
  ['io.k8s.apimachinery.pkg.runtime.RawExtension']: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  [`${META}.FieldsV1`]: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  [`${META}.Patch`]: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
};

/** Go runtime types that are the custom-JSON types above. */
const GO_CUSTOM = {
  'k8s.io/apimachinery/pkg/apis/meta/v1.Time': `${META}.Time`,
  'k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime': `${META}.MicroTime`,
  'k8s.io/apimachinery/pkg/api/resource.Quantity': 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  'k8s.io/apimachinery/pkg/util/intstr.IntOrString': INT_OR_STRING,
  'k8s.io/apimachinery/pkg/runtime.RawExtension': 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1': `${META}.FieldsV1`,
};

/** Go package path to Kubernetes' definition-name prefix: `k8s.io/api/core/v1` -> `io.k8s.api.core.v1`. */
export function goPackagePrefix(pkgPath) {
  const [domain, ...rest] = pkgPath.split('/');
  return [...domain.split('.').reverse(), ...rest].join('.');
}

/** Protobuf message name for a definition: `io.k8s.api.core.v1.Pod` -> `k8s.io.api.core.v1.Pod`. */
export function messageNameOf(definition) {
  return definition.startsWith('io.k8s.') ? `k8s.io.${definition.slice('io.k8s.'.length)}` : undefined;
}

const FORMAT_OF_PROTO = {
  TYPE_INT32: { type: 'integer', format: 'int32' },
  TYPE_SINT32: { type: 'integer', format: 'int32' },
  TYPE_SFIXED32: { type: 'integer', format: 'int32' },
  TYPE_UINT32: { type: 'integer', format: 'int32' },
  TYPE_FIXED32: { type: 'integer', format: 'int32' },
  TYPE_INT64: { type: 'integer', format: 'int64' },
  TYPE_SINT64: { type: 'integer', format: 'int64' },
  TYPE_SFIXED64: { type: 'integer', format: 'int64' },
  TYPE_UINT64: { type: 'integer', format: 'int64' },
  TYPE_FIXED64: { type: 'integer', format: 'int64' },
  TYPE_DOUBLE: { type: 'number', format: 'double' },
  TYPE_FLOAT: { type: 'number', format: 'float' },
};

const GO_NUMBER = {
  int8: 'int32', int16: 'int32', int32: 'int32', uint8: 'int32', uint16: 'int32', uint32: 'int64',
  int: 'int64', int64: 'int64', uint: 'int64', uint64: 'int64',
};

/**
 * @param {object} input
 * @param {Map<string, import('./kubernetes-types.mjs').TsDeclaration>} input.declarations
 * @param {Map<string, any>} input.files protobuf FileDescriptorProtos
 * @param {Map<string, Map<string, import('./struct-tags.mjs').FieldTag>>} input.tags struct tags by message and proto field
 * @param {Map<string, import('./go-types.mjs').GoType>} input.goStructs
 * @param {string[]} input.roots definitions to generate (their closure comes along)
 * @param {Record<string, {group: string, version: string}[] | 'every'>} input.extraGvks GVKs for kinds without literal apiVersion/kind
 * @param {import('./markers.mjs').SchemaMarkers} input.markers server-side-apply markers (embedded document and overlay)
 */
export function buildDefinitions({ declarations, files, tags, goStructs, roots, extraGvks, markers }) {
  const messages = new Map();
  for (const fd of files.values()) forEachMessage(fd.package, fd.messageType, (full, m) => messages.set(full, m));
  const report = {
    fromKubernetesTypes: 0, fromGoTypes: [], protoOnlyFields: [], numbersWithoutFormat: [], mergeWithoutKeyOnObjects: [], typeMismatches: [],
    listSources: { overlay: 0, embedded: 0, tag: 0, derived: 0 }, structDefaults: [], keyDefaults: [], fieldMapTypes: [], structTypes: [],
  };
  /** @type {Record<string, any>} */
  const defs = {};
  const queue = [...roots];

  /** JSON name -> { field, tag } for a message, inline members flattened as Go's encoding/json does. */
  const jsonFieldsCache = new Map();
  const jsonFields = (messageName) => {
    if (jsonFieldsCache.has(messageName)) return jsonFieldsCache.get(messageName);
    const out = new Map();
    const msg = messages.get(messageName);
    for (const f of msg?.field ?? []) {
      const tag = tags.get(messageName)?.get(f.name);
      if (tag?.inline && f.type === 'TYPE_MESSAGE') {
        for (const [k, v] of jsonFields(f.typeName.slice(1))) out.set(k, v);
      } else {
        out.set(tag?.json ?? f.name, { field: f, tag, owner: messageName });
      }
    }
    jsonFieldsCache.set(messageName, out);
    return out;
  };

  /** The Go struct field behind a protobuf field, found by the message's go_package and the field number. */
  const goPackages = new Map();
  for (const fd of files.values()) goPackages.set(fd.package, fd.options?.goPackage);
  const goFieldOf = (messageName, number) => {
    const dot = messageName.lastIndexOf('.');
    const struct = goStructs.get(`${goPackages.get(messageName.slice(0, dot))}.${messageName.slice(dot + 1)}`);
    return struct?.fields.find((f) => f.tag && new RegExp(`protobuf:"[a-z0-9]+,${number}[,"]`).test(f.tag));
  };

  const ref = (name) => {
    queue.push(name);
    return { $ref: REF + name };
  };

  /** The element field of a map entry message (its `value`). */
  const mapValue = (field) => messages.get(field.typeName.slice(1))?.field.find((f) => f.name === 'value');
  const isMapField = (field) => field?.type === 'TYPE_MESSAGE' && messages.get(field.typeName.slice(1))?.options?.mapEntry;

  /** Schema of a kubernetes-types type, refined by the protobuf field it is encoded as. */
  const fromTs = (t, field, where) => {
    switch (t.kind) {
      case 'string':
        return field?.type === 'TYPE_BYTES' ? { type: 'string', format: 'byte' } : { type: 'string' };
      case 'boolean':
        return { type: 'boolean' };
      case 'number': {
        const f = field && FORMAT_OF_PROTO[field.type];
        if (f) return { ...f };
        report.numbersWithoutFormat.push(where);
        return { type: 'integer' };
      }
      case 'intOrString':
        if (field && field.typeName !== `.${messageNameOf(INT_OR_STRING)}`) report.typeMismatches.push(`${where}: number | string but protobuf ${field.typeName ?? field.type}`);
        return ref(INT_OR_STRING);
      case 'array':
        return { type: 'array', items: fromTs(t.items, field, `${where}[]`) };
      case 'map':
        return { type: 'object', additionalProperties: fromTs(t.values, isMapField(field) ? mapValue(field) : undefined, `${where}{}`) };
      case 'ref':
        return ref(t.name);
    }
    throw new Error(`unknown type kind ${t.kind} at ${where}`);
  };

  /** Schema of a Go type (for definitions kubernetes-types lacks). */
  const fromGo = (g, where) => {
    if (g.kind === 'ptr') return fromGo(g.elem, where);
    if (g.kind === 'string') return { type: 'string' };
    if (g.kind === 'bool') return { type: 'boolean' };
    if (GO_NUMBER[g.kind]) return { type: 'integer', format: GO_NUMBER[g.kind] };
    if (g.kind === 'float64' || g.kind === 'float32') return { type: 'number', format: 'double' };
    if (g.kind === 'slice' && g.elem.kind === 'uint8') return { type: 'string', format: 'byte' };
    if (g.kind === 'slice' || g.kind === 'array') return { type: 'array', items: fromGo(g.elem, `${where}[]`) };
    if (g.kind === 'map') return { type: 'object', additionalProperties: fromGo(g.elem, `${where}{}`) };
    if (g.kind === 'interface') return { 'x-kubernetes-preserve-unknown-fields': true };
    if (g.kind === 'struct' && g.named && g.pkgPath) {
      const key = `${g.pkgPath}.${g.name.slice(g.name.lastIndexOf('.') + 1)}`;
      return ref(GO_CUSTOM[key] ?? `${goPackagePrefix(g.pkgPath)}.${g.name.slice(g.name.lastIndexOf('.') + 1)}`);
    }
    throw new Error(`Go type ${g.name} (${g.kind}) at ${where} has no schema mapping`);
  };

  /**
   * Whether a property is a struct Go always writes (a non-pointer struct
   * field): a singular message field the descriptors mark non-nullable (or,
   * for Go-only definitions, a struct-typed Go field), whose type is a struct
   * in the schemas rather than one of the custom-JSON types (Time, Quantity,
   * IntOrString, RawExtension, FieldsV1), as Kubernetes' OpenAPI has it.
   */
  const isGoStructField = (schema, at) => {
    const target = schema.$ref?.startsWith(REF) ? schema.$ref.slice(REF.length) : undefined;
    if (!target || CUSTOM_JSON[target]) return false;
    if (at.field) return at.field.type === 'TYPE_MESSAGE' && at.field.label !== 'LABEL_REPEATED' && at.field.gogo?.nullable === false && !isMapField(at.field);
    if (at.goType) return at.goType.kind === 'struct';
    return false;
  };

  /**
   * Put a property's description and extensions around its schema, as Kubernetes does.
   * @param {{ def: string, prop: string, field?: any, goType?: any }} at the definition and property,
   *   with the protobuf field or Go type behind it
   */
  const property = (schema, description, tag, where, at) => {
    const extra = {};
    if (description) extra.description = description;
    if (tag?.patchStrategy) extra['x-kubernetes-patch-strategy'] = tag.patchStrategy;
    if (tag?.patchMergeKey) extra['x-kubernetes-patch-merge-key'] = tag.patchMergeKey;
    if (schema.type === 'array') Object.assign(extra, listType(schema, tag, where, at));
    const mapType = markers.fieldMapType(at.def, at.prop);
    if (mapType) {
      extra['x-kubernetes-map-type'] = mapType;
      report.fieldMapTypes.push(`${where}: ${mapType}`);
    }
    if (isGoStructField(schema, at)) {
      extra.default = {};
      report.structDefaults.push({ where, target: schema.$ref.slice(REF.length) });
    }
    const keyDefault = markers.keyDefault(at.def, at.prop);
    if (keyDefault !== undefined) {
      extra.default = keyDefault;
      report.keyDefaults.push(`${where}: ${JSON.stringify(keyDefault)}`);
    }
    if (Object.keys(extra).length === 0) return schema;
    // Siblings of a $ref are ignored by OpenAPI tools: wrap it.
    return schema.$ref ? { allOf: [schema], ...extra } : { ...schema, ...extra };
  };

  const isScalar = (schema) => schema && !schema.$ref && schema.type !== 'object' && schema.type !== 'array';

  /**
   * Server-side apply list semantics: the overlay, else what a `listType` tag
   * says, else the embedded OpenAPI document, else derived from the patch
   * tags as Kubernetes' schema conversion does: map keyed by the patch merge
   * key, set for merged scalars, atomic otherwise.
   */
  const listType = (schema, tag, where, at) => {
    let tagged;
    if (tag?.listType) {
      tagged = tag.listType === 'map'
        ? { listType: 'map', keys: tag.listMapKeys ?? (tag.patchMergeKey ? [tag.patchMergeKey] : []), source: 'tag' }
        : { listType: tag.listType, source: 'tag' };
    }
    let derived = { listType: 'atomic', source: 'derived' };
    if (tag?.patchMergeKey) derived = { listType: 'map', keys: [tag.patchMergeKey], source: 'derived' };
    else if (tag?.patchStrategy?.split(',').includes('merge')) {
      if (isScalar(schema.items)) derived = { listType: 'set', source: 'derived' };
      else report.mergeWithoutKeyOnObjects.push(where);
    }
    const chosen = markers.list(at.def, at.prop, tagged, derived);
    report.listSources[chosen.source]++;
    return chosen.listType === 'map'
      ? { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': chosen.keys ?? [] }
      : { 'x-kubernetes-list-type': chosen.listType };
  };

  const fromDeclaration = (name, decl) => {
    report.fromKubernetesTypes++;
    if (decl.alias) {
      const custom = CUSTOM_JSON[name];
      return { ...(custom ?? fromTs(decl.alias, undefined, name)), ...(decl.description ? { description: decl.description } : {}) };
    }
    const props = decl.interface.properties;
    if (props.length === 0) return { ...(CUSTOM_JSON[name] ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }), ...(decl.description ? { description: decl.description } : {}) };
    const messageName = messageNameOf(name);
    const fields = messageName && messages.has(messageName) ? jsonFields(messageName) : undefined;
    const def = { type: 'object', properties: {} };
    if (decl.description) def.description = decl.description;
    const required = [];
    for (const p of props) {
      const pf = fields?.get(p.name);
      def.properties[p.name] = property(fromTs(p.type, pf?.field, `${name}.${p.name}`), p.description, pf?.tag, `${name}.${p.name}`, { def: name, prop: p.name, field: pf?.field });
      if (!p.optional) required.push(p.name);
    }
    if (required.length) def.required = required;
    if (fields) {
      // Fields the binary's Kubernetes has and kubernetes-types lacks (newer
      // fields, or ones its generator dropped): typed from the Go struct.
      const known = new Set(props.map((p) => p.name));
      const extra = [...fields.keys()].filter((k) => !known.has(k));
      for (const json of extra) {
        const { field, tag, owner } = fields.get(json);
        const g = goFieldOf(owner, field.number);
        if (!g) throw new Error(`${name}.${json}: in the protobuf descriptor but no Go struct field to type it`);
        def.properties[json] = property(fromGo(g.type, `${name}.${json}`), '', tag, `${name}.${json}`, { def: name, prop: json, field });
      }
      if (extra.length) {
        report.protoOnlyFields.push(`${name}: ${extra.join(', ')}`);
        def.properties = Object.fromEntries(Object.entries(def.properties).sort(([a], [b]) => (a < b ? -1 : 1)));
      }
    }
    const gvk = literalGvk(props);
    if (gvk) def['x-kubernetes-group-version-kind'] = [gvk];
    return withStructType(name, def);
  };

  const fromGoStruct = (name, g) => {
    report.fromGoTypes.push(name);
    const def = { type: 'object', properties: {} };
    const required = [];
    const addFields = (struct) => {
      for (const f of struct.fields) {
        const tag = f.tag ? parseJsonTag(f.tag) : undefined;
        if (tag?.name === '-' || !f.exported) continue;
        if (f.embedded && (!tag || tag.inline || !tag.name)) {
          addFields(f.type.kind === 'ptr' ? f.type.elem : f.type);
          continue;
        }
        const json = tag?.name || f.name;
        def.properties[json] = property(fromGo(f.type, `${name}.${json}`), '', undefined, `${name}.${json}`, { def: name, prop: json, goType: f.type.kind === 'ptr' ? undefined : f.type });
        if (!tag?.omitempty && f.type.kind !== 'ptr') required.push(json);
      }
    };
    addFields(g);
    if (required.length) def.required = required;
    return withStructType(name, def);
  };

  /** `+structType`: `x-kubernetes-map-type` on the definition. */
  const withStructType = (name, def) => {
    const structType = markers.structType(name);
    if (structType) {
      def['x-kubernetes-map-type'] = structType;
      report.structTypes.push(`${name}: ${structType}`);
    }
    return def;
  };

  while (queue.length > 0) {
    const name = queue.shift();
    if (defs[name]) continue;
    const decl = declarations.get(name);
    if (decl) {
      defs[name] = fromDeclaration(name, decl);
    } else if (CUSTOM_JSON[name]) {
      defs[name] = { ...CUSTOM_JSON[name] };
    } else {
      const g = goStructFor(goStructs, name);
      if (!g) throw new Error(`no source for definition ${name}: not in kubernetes-types nor a Go struct in the binary`);
      defs[name] = fromGoStruct(name, g);
    }
  }

  // Kinds without literal apiVersion/kind in kubernetes-types (meta kinds):
  // registered in the group versions Kubernetes registers them in.
  const groupVersions = new Map();
  for (const d of Object.values(defs)) for (const g of d['x-kubernetes-group-version-kind'] ?? []) groupVersions.set(`${g.group}/${g.version}`, g);
  for (const [name, where] of Object.entries(extraGvks)) {
    if (!defs[name]) continue;
    const kind = name.slice(name.lastIndexOf('.') + 1);
    const gvs = where === 'every' ? [...groupVersions.values(), { group: 'meta.k8s.io', version: 'v1' }] : where;
    const list = gvs.map((g) => ({ group: g.group, kind, version: g.version }));
    list.sort((a, b) => (a.group + a.version < b.group + b.version ? -1 : a.group + a.version > b.group + b.version ? 1 : 0));
    defs[name]['x-kubernetes-group-version-kind'] = dedupe(list);
  }

  // `default: {}` only on what is a struct in the schemas.
  const notStructs = report.structDefaults.filter((d) => !defs[d.target]?.properties).map((d) => `${d.where} -> ${d.target}`);
  if (notStructs.length) throw new Error(`default {} on non-nullable message fields whose schema is not a struct: ${notStructs.join(', ')}`);

  const messageOfDefinition = (def) => messages.get(messageNameOf(def) ?? '');
  markers.verify({
    definitions: defs,
    message: messageOfDefinition,
    messageByType: (typeName) => messages.get(typeName.slice(1)),
    jsonFieldsByType: (typeName) => (messages.has(typeName.slice(1)) ? jsonFields(typeName.slice(1)) : new Map()),
    descriptorField: (def, prop) => {
      const m = messageNameOf(def);
      const f = m && messages.has(m) ? jsonFields(m).get(prop) : undefined;
      return f && { field: f.field, message: f.owner };
    },
    description: (def, prop) => defs[def]?.properties?.[prop]?.description,
  });
  report.markersRemovedSince = markers.removedSince(defs);
  report.patchDisagreements = markers.patchDisagreements(defs);
  report.embeddedChanges = markers.embeddedChanges;

  const sorted = {};
  for (const name of Object.keys(defs).sort()) sorted[name] = sortKeys(defs[name]);
  return { definitions: sorted, report };
}

function dedupe(list) {
  const seen = new Set();
  return list.filter((g) => {
    const k = `${g.group}/${g.version}/${g.kind}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function literalGvk(props) {
  const apiVersion = props.find((p) => p.name === 'apiVersion')?.type.literal;
  const kind = props.find((p) => p.name === 'kind')?.type.literal;
  if (!apiVersion || !kind) return undefined;
  const slash = apiVersion.indexOf('/');
  return { group: slash < 0 ? '' : apiVersion.slice(0, slash), kind, version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1) };
}

function goStructFor(goStructs, definition) {
  for (const [key, g] of goStructs) {
    const dot = key.lastIndexOf('.');
    if (`${goPackagePrefix(key.slice(0, dot))}.${key.slice(dot + 1)}` === definition) return g;
  }
  return undefined;
}

function parseJsonTag(tag) {
  const m = /(?:^| )json:"([^"]*)"/.exec(tag);
  if (!m) return undefined;
  const [name, ...opts] = m[1].split(',');
  return { name, omitempty: opts.includes('omitempty'), inline: opts.includes('inline') };
}

/** Objects with sorted keys (Kubernetes' JSON has them sorted: Go marshals maps that way). */
export function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
    return out;
  }
  return value;
}
