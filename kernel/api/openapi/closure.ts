/** Which definitions a set of schemas needs: the closure over `$ref`s. */
import type { OpenApiSchema, SchemaDefinitions } from './types';
import { SCHEMA_REF_PREFIX } from './types';

/**
 * Names of `roots` and of every definition they reach through `$ref`, sorted.
 * Throws on a reference to a definition that does not exist: a document with a
 * dangling `$ref` is one kubectl refuses to parse.
 */
export function definitionClosure(definitions: Readonly<SchemaDefinitions>, roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (seen.has(name)) continue;
    const schema = definitions[name];
    if (!schema) throw new Error(`OpenAPI: definition ${name} is referenced but not registered`);
    seen.add(name);
    for (const ref of references(schema)) if (!seen.has(ref)) pending.push(ref);
  }
  return [...seen].sort();
}

/** Definition names a schema refers to, anywhere inside it. */
export function references(schema: OpenApiSchema): string[] {
  const out: string[] = [];
  const walk = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    const node = s as Record<string, unknown>;
    if (typeof node.$ref === 'string') out.push(node.$ref.startsWith(SCHEMA_REF_PREFIX) ? node.$ref.slice(SCHEMA_REF_PREFIX.length) : node.$ref.replace(/^#\/definitions\//, ''));
    if (node.properties && typeof node.properties === 'object') Object.values(node.properties).forEach(walk);
    walk(node.additionalProperties);
    if (Array.isArray(node.items)) node.items.forEach(walk);
    else walk(node.items);
    for (const key of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(node[key])) (node[key] as unknown[]).forEach(walk);
    walk(node.not);
  };
  walk(schema);
  return out;
}
