/**
 * FieldsV1, the JSON encoding of a field set in `metadata.managedFields`:
 * a trie of objects keyed by path elements (`f:spec`, `k:{"name":"web"}`,
 * `v:"a"`, `i:0`), `{}` for a member without children and a `"."` entry for
 * a node that is a member and has children:
 *
 *     {"f:metadata":{"f:labels":{"f:app":{}}},
 *      "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{}}}}}
 *
 * Keys come out in structured-merge-diff's order (field names before keys
 * before values, each sorted), `"."` first, so the encoding of a set is the
 * same bytes Kubernetes writes.
 */
import { FieldSet, FieldPath, parsePathElement, serializePathElement, comparePathElements, PathElement } from './field-set';
import { isObject } from './json';

export type FieldsV1 = { [key: string]: FieldsV1 };

export function toFieldsV1(set: FieldSet): FieldsV1 {
  return encode(set, false);
}

function encode(set: FieldSet, self: boolean): FieldsV1 {
  const out: FieldsV1 = {};
  const members = set.sortedMembers();
  const children = set.sortedChildren();
  if (self && (members.length > 0 || children.length > 0)) out['.'] = {};
  let m = 0;
  let c = 0;
  while (m < members.length || c < children.length) {
    const cmp = m >= members.length ? 1 : c >= children.length ? -1 : comparePathElements(members[m], children[c].element);
    if (cmp < 0) {
      out[serializePathElement(members[m++])] = {};
    } else if (cmp > 0) {
      const child = children[c++];
      out[serializePathElement(child.element)] = encode(child.set, false);
    } else {
      const child = children[c++];
      m++;
      out[serializePathElement(child.element)] = encode(child.set, true);
    }
  }
  return out;
}

/** Decode FieldsV1; throws an Error naming the offending key when it is not a valid encoding. */
export function fromFieldsV1(fields: unknown): FieldSet {
  if (!isObject(fields)) throw new Error('FieldsV1 must be a JSON object');
  const set = new FieldSet();
  decode(fields, [], set);
  return set;
}

function decode(node: Record<string, unknown>, prefix: FieldPath, set: FieldSet): void {
  for (const [key, value] of Object.entries(node)) {
    if (key === '.') {
      if (prefix.length > 0) set.insert(prefix);
      continue;
    }
    if (!isObject(value)) throw new Error(`FieldsV1 entry ${JSON.stringify(key)} must be an object`);
    let element: PathElement;
    try {
      element = parsePathElement(key);
    } catch (err) {
      throw new Error(`invalid FieldsV1 key ${JSON.stringify(key)}`, { cause: err });
    }
    const path = [...prefix, element];
    if (Object.keys(value).length === 0) set.insert(path);
    else decode(value, path, set);
  }
}
