/**
 * Schemas in the shape of Kubernetes' own OpenAPI v3 (`components.schemas`),
 * with its extensions. Everything that needs to know the structure of a kind
 * reads them: validation and pruning of unknown fields, defaulting, strategic
 * merge patch (merge keys), server-side apply (list types), protobuf decoding
 * and the OpenAPI documents served to kubectl.
 */

export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  additionalProperties?: OpenApiSchema | boolean;
  /** `#/components/schemas/<definition name>` */
  $ref?: string;
  /** Kubernetes wraps a `$ref` with a sibling description/default in `allOf: [{$ref}]`. */
  allOf?: OpenApiSchema[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  'x-kubernetes-group-version-kind'?: Array<{ group: string; version: string; kind: string }>;
  /** Strategic merge patch: `merge`, `retainKeys`, `merge,retainKeys` or `replace`. */
  'x-kubernetes-patch-strategy'?: string;
  /** Strategic merge patch: the field identifying list items (`name`, `containerPort`). */
  'x-kubernetes-patch-merge-key'?: string;
  /** Server-side apply: `atomic`, `set` or `map`. */
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  /** Server-side apply: `atomic` or `granular`. */
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-unions'?: unknown[];
}

/** All definitions by name (`io.k8s.api.core.v1.Pod`). */
export type SchemaDefinitions = Record<string, OpenApiSchema>;

export const SCHEMA_REF_PREFIX = '#/components/schemas/';

/** The definition name a `$ref` (or an `allOf: [{$ref}]` wrapper) points to, if any. */
export function refName(schema: OpenApiSchema | undefined): string | undefined {
  if (!schema) return undefined;
  const ref = schema.$ref ?? schema.allOf?.find((s) => s.$ref)?.$ref;
  if (!ref) return undefined;
  return ref.startsWith(SCHEMA_REF_PREFIX) ? ref.slice(SCHEMA_REF_PREFIX.length) : ref.replace(/^#\/definitions\//, '');
}
