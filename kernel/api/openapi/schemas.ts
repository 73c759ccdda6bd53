import { OpenApiSchema, SchemaDefinitions, refName } from './types';

/**
 * The schemas the API server knows: Kubernetes' built-in definitions plus
 * whatever plugins register (their own kinds). Lookups resolve `$ref`s.
 */
export class SchemaRegistry {
  private readonly defs: SchemaDefinitions;
  private readonly byGvk = new Map<string, string>();

  constructor(definitions: SchemaDefinitions = {}) {
    this.defs = {};
    this.add(definitions);
  }

  /** Add (or replace) definitions; indexes `x-kubernetes-group-version-kind`. */
  add(definitions: SchemaDefinitions): void {
    for (const [name, schema] of Object.entries(definitions)) {
      this.defs[name] = schema;
      for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
        this.byGvk.set(gvkKey(gvk.group, gvk.version, gvk.kind), name);
      }
    }
  }

  definitions(): Readonly<SchemaDefinitions> {
    return this.defs;
  }

  get(name: string): OpenApiSchema | undefined {
    return this.defs[name];
  }

  /** The definition name for a kind, e.g. `io.k8s.api.apps.v1.Deployment`. */
  nameFor(group: string, version: string, kind: string): string | undefined {
    return this.byGvk.get(gvkKey(group, version, kind));
  }

  /** The schema of a kind's top-level object. */
  forKind(group: string, version: string, kind: string): OpenApiSchema | undefined {
    const name = this.nameFor(group, version, kind);
    return name ? this.defs[name] : undefined;
  }

  /**
   * Follow `$ref` and `allOf: [{$ref}]` to the schema that describes the value,
   * keeping the referring schema's own extensions (Kubernetes puts patch
   * strategy and list type on the property, not on the referenced definition).
   */
  resolve(schema: OpenApiSchema | undefined): OpenApiSchema | undefined {
    let current = schema;
    for (let depth = 0; current && depth < 16; depth++) {
      const name = refName(current);
      if (!name) return current;
      const target = this.defs[name];
      if (!target) return undefined;
      current = target;
    }
    return current;
  }

  /** The schema of property `field` of an object schema (resolved), or undefined. */
  property(schema: OpenApiSchema | undefined, field: string): OpenApiSchema | undefined {
    const s = this.resolve(schema);
    if (!s) return undefined;
    const prop = s.properties?.[field];
    if (prop) return prop;
    if (s.additionalProperties && typeof s.additionalProperties === 'object') return s.additionalProperties;
    return undefined;
  }

  /** The schema of the items of an array schema (resolved), or undefined. */
  items(schema: OpenApiSchema | undefined): OpenApiSchema | undefined {
    return this.resolve(schema)?.items;
  }
}

function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}
