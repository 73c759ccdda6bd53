/**
 * Decoding an object against its schema, as Kubernetes' JSON decoder does for
 * built-in types: values of the wrong type are rejected ("cannot unmarshal
 * string into Go struct field DeploymentSpec.spec.replicas of type int32"),
 * unknown fields are dropped and reported (for fieldValidation Strict/Warn),
 * and nulls are treated as absent.
 */
import type { SchemaRegistry } from './openapi/schemas';
import { OpenApiSchema, refName } from './openapi/types';

export interface DecodeReport {
  /** Paths of unknown fields (`spec.template.spec.containers[0].foo`), in document order. */
  unknown: string[];
  /** Type mismatches, worded like Go's encoding/json. */
  typeErrors: string[];
}

function goType(schema: OpenApiSchema): string {
  if (schema['x-kubernetes-int-or-string']) return 'intstr.IntOrString';
  switch (schema.type) {
    case 'integer':
      return schema.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'array':
      return '[]' + (schema.items ? goType(schema.items) : 'interface {}');
    case 'object':
      return schema.properties ? 'struct' : 'map[string]' + (typeof schema.additionalProperties === 'object' ? goType(schema.additionalProperties) : 'interface {}');
    default:
      return 'interface {}';
  }
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

/** Quantities are strings in JSON, but Kubernetes also accepts plain numbers (`cpu: 1`). */
function isQuantity(name: string | undefined): boolean {
  return name === 'io.k8s.apimachinery.pkg.api.resource.Quantity';
}

/**
 * Check `object` against the schema of its kind, in place: drops unknown
 * fields and nulls, collects unknown-field paths and type errors.
 */
export function decodeAgainstSchema(object: Record<string, unknown>, definition: string, schemas: SchemaRegistry, options: { pruneUnknown: boolean }): DecodeReport {
  const root: OpenApiSchema = { $ref: `#/components/schemas/${definition}` };
  const report: DecodeReport = { unknown: [], typeErrors: [] };

  // `path` names unknown fields as strict decoding does (with list indices); `goPath` is Go's
  // UnmarshalTypeError field stack: struct fields only, no indices or map keys.
  const visit = (value: unknown, schemaIn: OpenApiSchema | undefined, path: string, owner: string, goPath: string): unknown => {
    if (!schemaIn) return value;
    const defName = refName(schemaIn);
    const schema = schemas.resolve(schemaIn);
    if (!schema) return value;
    if (schema['x-kubernetes-preserve-unknown-fields'] && !schema.properties) return value;
    if (value === null) return undefined;

    const mismatch = () => {
      // Go names the number only when it does not fit an integer field (1.5, or out of range).
      const what = typeof value === 'number' && schema.type === 'integer' ? `number ${value}` : jsonKind(value);
      report.typeErrors.push(`json: cannot unmarshal ${what} into Go struct field ${owner}.${goPath} of type ${goType(schema)}`);
      return value;
    };

    if (isQuantity(defName)) {
      return typeof value === 'string' || typeof value === 'number' ? value : mismatch();
    }
    if (schema['x-kubernetes-int-or-string']) {
      return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)) ? value : mismatch();
    }
    switch (schema.type) {
      case 'string':
        return typeof value === 'string' ? value : mismatch();
      case 'boolean':
        return typeof value === 'boolean' ? value : mismatch();
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value) ? value : mismatch();
      case 'number':
        return typeof value === 'number' ? value : mismatch();
      case 'array': {
        if (!Array.isArray(value)) return mismatch();
        for (let i = 0; i < value.length; i++) value[i] = visit(value[i], schema.items, `${path}[${i}]`, owner, goPath) ?? null;
        return value;
      }
      case 'object':
      default: {
        if (schema.type !== 'object' && !schema.properties && !schema.additionalProperties) return value;
        if (typeof value !== 'object' || Array.isArray(value)) return mismatch();
        const obj = value as Record<string, unknown>;
        const structName = defName ? defName.slice(defName.lastIndexOf('.') + 1) : owner;
        for (const key of Object.keys(obj)) {
          const childPath = path ? `${path}.${key}` : key;
          let childSchema: OpenApiSchema | undefined;
          if (schema.properties && Object.prototype.hasOwnProperty.call(schema.properties, key)) childSchema = schema.properties[key];
          else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') childSchema = schema.additionalProperties;
          else if (schema.additionalProperties === true || schema['x-kubernetes-preserve-unknown-fields']) continue;
          else if (!schema.properties) continue;
          if (!childSchema) {
            report.unknown.push(childPath);
            if (options.pruneUnknown) delete obj[key];
            continue;
          }
          const isField = !!schema.properties && Object.prototype.hasOwnProperty.call(schema.properties, key);
          const childGoPath = isField ? (goPath ? `${goPath}.${key}` : key) : goPath;
          const next = visit(obj[key], childSchema, childPath, structName, childGoPath);
          if (next === undefined) delete obj[key];
          else obj[key] = next;
        }
        return obj;
      }
    }
  };

  visit(object, root, '', definition.slice(definition.lastIndexOf('.') + 1), '');
  return report;
}
