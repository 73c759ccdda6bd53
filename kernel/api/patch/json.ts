/**
 * Small helpers over plain JSON values shared by the patch modules: kind
 * tests, structural equality, and Go-compatible renderings. Kubernetes
 * clients compare managedFields and error messages byte for byte, so where a
 * string ends up on the wire (FieldsV1 keys, the last-applied annotation,
 * messages that quote a value) it is rendered the way Go renders it.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON kind of a value as Go's encoding/json names it in errors. */
export function goKind(value: unknown): 'object' | 'array' | 'string' | 'number' | 'bool' | 'null' {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

/** Structural equality of JSON values (object key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** A deep copy of a JSON value (undefined stays undefined). */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Compare strings by code point, which is the byte order Go's strings.Compare uses on UTF-8. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done) return cb.done ? 0 : -1;
    if (cb.done) return 1;
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}

/** A string as Go's encoding/json writes it: HTML-safe (`<` as `\u003c`), U+2028/9 escaped. */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
    }
    if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) {
      out += '\\u' + c.toString(16).padStart(4, '0');
    } else {
      out += ch;
    }
  }
  return out + '"';
}

/** A number as Go's encoding/json writes a float64 (integers without a fraction). */
export function goJsonNumber(n: number): string {
  // JavaScript's shortest round-trip form matches Go's 'f'/'e' choice at the
  // same thresholds (1e21, 1e-6) and the same exponent spelling ("1e+21", "1e-7").
  return Number.isFinite(n) ? String(n) : 'null';
}

/** JSON as Go's json.Marshal writes a map[string]interface{}: keys sorted, strings HTML-safe, no spaces. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number') return goJsonNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return '[' + value.map(goJson).join(',') + ']';
  const obj = value as JsonObject;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort(compareStrings);
  return '{' + keys.map((k) => goJsonString(k) + ':' + goJson(obj[k])).join(',') + '}';
}

/** A string as Go's `%q` prints it (printable characters as they are, others escaped). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** A value as Go's `%v` prints decoded JSON (`map[image:nginx name:web]`, `[a b]`). */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return '[' + value.map(goValue).join(' ') + ']';
  if (isObject(value)) {
    const keys = Object.keys(value).sort(compareStrings);
    return 'map[' + keys.map((k) => `${k}:${goValue(value[k])}`).join(' ') + ']';
  }
  return String(value);
}
