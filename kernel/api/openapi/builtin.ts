/**
 * Kubernetes' own schemas, generated from kubectl and kubernetes-types by
 * `npm run gen:api` (see generated/README.md).
 */
import { readGeneratedJson } from '../protobuf/generated-data';
import { SchemaRegistry } from './schemas';
import type { SchemaDefinitions } from './types';

let cached: SchemaDefinitions | undefined;

/** The built-in definitions (parsed once; treat as read-only). */
export function builtinDefinitions(): Readonly<SchemaDefinitions> {
  cached ??= readGeneratedJson<SchemaDefinitions>(__dirname, 'generated/definitions.json');
  return cached;
}

/** Alias of builtinDefinitions, the name the kernel wiring uses. */
export const builtinSchemas = builtinDefinitions;

/** A registry holding the built-in definitions, to which plugins add their own. */
export function builtinSchemaRegistry(): SchemaRegistry {
  return new SchemaRegistry(builtinDefinitions());
}
