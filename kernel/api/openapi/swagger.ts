/**
 * OpenAPI v2 (Swagger 2.0) forms of the v3 component schemas, the way
 * Kubernetes renders its own: refs under `#/definitions/`, a `$ref` with
 * siblings instead of `allOf: [{$ref}]` (kubectl's v2 parser ignores allOf and
 * reads the extensions of the referring property), IntOrString as a string
 * with format int-or-string.
 */
import type { OpenApiSchema } from './types';
import { SCHEMA_REF_PREFIX } from './types';

export const V2_REF_PREFIX = '#/definitions/';

export type V2Schema = Omit<OpenApiSchema, 'properties' | 'items' | 'additionalProperties' | 'allOf' | 'nullable'> & {
  properties?: Record<string, V2Schema>;
  items?: V2Schema;
  additionalProperties?: V2Schema | boolean;
  allOf?: V2Schema[];
};

export function toV2Schema(schema: OpenApiSchema): V2Schema {
  const { properties, items, additionalProperties, allOf, nullable, $ref, ...rest } = schema;
  void nullable; // Swagger 2.0 has no nullable.
  let out: V2Schema = { ...rest };
  if ($ref) out.$ref = v2Ref($ref);
  if (allOf) {
    const onlyRef = allOf.length === 1 && allOf[0].$ref && Object.keys(allOf[0]).length === 1;
    if (onlyRef && !$ref) out = { $ref: v2Ref(allOf[0].$ref as string), ...out };
    else out.allOf = allOf.map(toV2Schema);
  }
  if (properties) out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, toV2Schema(v)]));
  if (items) out.items = toV2Schema(items);
  if (additionalProperties !== undefined) out.additionalProperties = typeof additionalProperties === 'boolean' ? additionalProperties : toV2Schema(additionalProperties);
  if (out['x-kubernetes-int-or-string'] && !out.type) {
    out.type = 'string';
    out.format ??= 'int-or-string';
  }
  return out;
}

function v2Ref(ref: string): string {
  return ref.startsWith(SCHEMA_REF_PREFIX) ? V2_REF_PREFIX + ref.slice(SCHEMA_REF_PREFIX.length) : ref;
}
