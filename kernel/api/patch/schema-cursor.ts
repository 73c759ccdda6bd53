/**
 * A position in the OpenAPI schemas while a patch walks an object. Kubernetes
 * puts the patch and list extensions on the property that refers to a
 * definition (`containers: {type: array, items: {...}, x-kubernetes-patch-merge-key: name}`,
 * `strategy: {allOf: [{$ref}], x-kubernetes-patch-strategy: retainKeys}`), so
 * the cursor keeps both the schema as written at the property and the
 * definition it resolves to, and reads extensions from the former first.
 *
 * An unknown cursor (no schema found) is a value of its own: strategic merge
 * patch then merges maps and replaces lists, and server-side apply treats
 * lists as atomic and maps as granular, as Kubernetes does for unstructured data.
 */
import type { OpenApiSchema } from '../openapi/types';
import type { SchemaRegistry } from '../openapi/schemas';

/** Where a patch finds the schema of the object it patches. */
export interface PatchSchema {
  /** Resolves `$ref`s; without it only inline schemas are understood. */
  readonly schemas?: SchemaRegistry;
  /** The schema of the kind's top-level object (`schemas.forKind(...)`); absent: unknown. */
  readonly schema?: OpenApiSchema;
}

type Extension =
  | 'x-kubernetes-patch-strategy'
  | 'x-kubernetes-patch-merge-key'
  | 'x-kubernetes-list-type'
  | 'x-kubernetes-list-map-keys'
  | 'x-kubernetes-map-type'
  | 'x-kubernetes-int-or-string'
  | 'x-kubernetes-preserve-unknown-fields';

/** The shape server-side apply gives a value of this schema. */
export type FieldShape =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'scalar' }
  | { readonly kind: 'list'; readonly atomic: boolean; readonly keys: readonly string[] }
  | { readonly kind: 'map'; readonly atomic: boolean };

export class SchemaCursor {
  static readonly UNKNOWN = new SchemaCursor(undefined, undefined, undefined);

  private constructor(
    private readonly registry: SchemaRegistry | undefined,
    /** The schema as written where the value sits (may be a `$ref`/`allOf` wrapper with extensions). */
    readonly declared: OpenApiSchema | undefined,
    /** The definition the declared schema resolves to; undefined when unknown. */
    readonly resolved: OpenApiSchema | undefined,
  ) {}

  /** The cursor at the top of an object of the given schema. */
  static of(patchSchema: PatchSchema | undefined): SchemaCursor {
    return SchemaCursor.at(patchSchema?.schemas, patchSchema?.schema);
  }

  private static at(registry: SchemaRegistry | undefined, schema: OpenApiSchema | undefined): SchemaCursor {
    if (!schema) return SchemaCursor.UNKNOWN;
    const resolved = resolve(registry, schema);
    return resolved ? new SchemaCursor(registry, schema, resolved) : SchemaCursor.UNKNOWN;
  }

  get known(): boolean {
    return this.resolved !== undefined;
  }

  /** An extension, from the declaring property first, then from the definition. */
  ext<K extends Extension>(name: K): OpenApiSchema[K] | undefined {
    return this.declared?.[name] ?? this.resolved?.[name];
  }

  /** Whether `name` is a declared property (a struct field, not a map entry). */
  hasField(name: string): boolean {
    const props = this.resolved?.properties;
    return !!props && Object.prototype.hasOwnProperty.call(props, name);
  }

  /** The cursor of a property or map entry; unknown when the schema says nothing about it. */
  field(name: string): SchemaCursor {
    const s = this.resolved;
    if (!s) return SchemaCursor.UNKNOWN;
    if (this.hasField(name)) return SchemaCursor.at(this.registry, s.properties![name]);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') return SchemaCursor.at(this.registry, s.additionalProperties);
    return SchemaCursor.UNKNOWN;
  }

  /** The cursor of the items of a list. */
  items(): SchemaCursor {
    return SchemaCursor.at(this.registry, this.resolved?.items);
  }

  /** Strategic merge patch strategies (`merge`, `retainKeys`, `replace`), split on commas. */
  patchStrategies(): string[] {
    const raw = this.ext('x-kubernetes-patch-strategy');
    return raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [];
  }

  patchMergeKey(): string {
    return this.ext('x-kubernetes-patch-merge-key') ?? '';
  }

  /**
   * The server-side apply shape, converted from OpenAPI the way Kubernetes'
   * schemaconv does: `x-kubernetes-list-type` decides lists, falling back to
   * the patch strategy (`merge` with a merge key is a map list, without one a
   * set), and atomic otherwise; maps are granular unless `x-kubernetes-map-type: atomic`.
   */
  shape(): FieldShape {
    const s = this.resolved;
    if (!s) return { kind: 'unknown' };
    if (this.ext('x-kubernetes-int-or-string')) return { kind: 'scalar' };
    if (s.type === 'array' || (s.type === undefined && s.items)) {
      const listType = this.ext('x-kubernetes-list-type');
      if (listType === 'map') return { kind: 'list', atomic: false, keys: this.ext('x-kubernetes-list-map-keys') ?? [] };
      if (listType === 'set') return { kind: 'list', atomic: false, keys: [] };
      if (listType === 'atomic') return { kind: 'list', atomic: true, keys: [] };
      const strategies = this.patchStrategies();
      if (strategies.includes('merge')) {
        const key = this.patchMergeKey();
        return { kind: 'list', atomic: false, keys: key ? [key] : [] };
      }
      return { kind: 'list', atomic: true, keys: [] };
    }
    if (s.type === 'object' || (s.type === undefined && (s.properties || s.additionalProperties))) {
      if (!s.properties && !s.additionalProperties) return { kind: 'unknown' };
      return { kind: 'map', atomic: this.ext('x-kubernetes-map-type') === 'atomic' };
    }
    if (s.type === undefined) return { kind: 'unknown' };
    return { kind: 'scalar' };
  }

  /** The schema default of a property (used for defaulted list-map keys such as `protocol: TCP`). */
  defaultOf(name: string): unknown {
    if (!this.hasField(name)) return undefined;
    const declared = this.resolved!.properties![name];
    return declared.default ?? resolve(this.registry, declared)?.default;
  }

  /** Properties that are required. */
  required(): readonly string[] {
    return this.resolved?.required ?? [];
  }

  /** Declared property names, in schema order. */
  fieldNames(): string[] {
    return Object.keys(this.resolved?.properties ?? {});
  }

  /** The `default` written at the declaring property (`default: {}` marks a Go non-pointer struct). */
  declaredDefault(): unknown {
    return this.declared?.default;
  }
}

function resolve(registry: SchemaRegistry | undefined, schema: OpenApiSchema): OpenApiSchema | undefined {
  if (registry) return registry.resolve(schema);
  // Without a registry only inline schemas are usable.
  const hasRef = schema.$ref !== undefined || (schema.allOf?.some((s) => s.$ref !== undefined) ?? false);
  return hasRef ? undefined : schema;
}
