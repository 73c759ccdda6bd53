/**
 * Objects seen through their schema the way structured-merge-diff sees them
 * ("typed values"): which parts are leaves (scalars, atomic lists and maps),
 * which lists are associative (items identified by key fields or by value),
 * which maps are granular. On top of that, the operations server-side apply
 * needs: the field set of a value, merging an applied configuration into a
 * live object, comparing two objects, and removing a set of fields.
 *
 * Values that do not fit their schema (a string where the schema wants a
 * map) are treated as leaves rather than rejected: validation is the
 * registry's job, and ownership tracking must not fail a write it does not
 * understand. An applied configuration is validated for what apply itself
 * needs (keys present and unique) by `validateApplied`.
 */
import { FieldSet, FieldPath, PathElement, pe, pathToString, serializePathElement } from './field-set';
import { deepEqual, isObject, JsonObject } from './json';
import { SchemaCursor } from './schema-cursor';

/** How one value is walked. */
type Atom =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'list'; readonly keys: readonly string[]; readonly item: SchemaCursor }
  | { readonly kind: 'map'; readonly cursor: SchemaCursor };

const LEAF: Atom = { kind: 'leaf' };

/** The atom of a non-null value at a cursor; `null` is a wildcard that takes the other side's shape. */
function atomOf(cursor: SchemaCursor, value: unknown): Atom | 'null' {
  if (value === null) return 'null';
  const shape = cursor.shape();
  switch (shape.kind) {
    case 'unknown':
      // Deduced, as structured-merge-diff does without a schema: granular maps, atomic lists.
      return isObject(value) ? { kind: 'map', cursor: SchemaCursor.UNKNOWN } : LEAF;
    case 'scalar':
      return LEAF;
    case 'list':
      return Array.isArray(value) && !shape.atomic ? { kind: 'list', keys: shape.keys, item: cursor.items() } : LEAF;
    case 'map':
      return isObject(value) && !shape.atomic ? { kind: 'map', cursor } : LEAF;
  }
}

function isEmptyContainer(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return false;
}

// ------------------------------------------------------------ list items

type ItemElement = { element: PathElement; id: string } | { error: string };

/** The path element of an associative-list item (listItemToPathElement). */
function itemElement(atom: Extract<Atom, { kind: 'list' }>, item: unknown): ItemElement {
  if (atom.keys.length > 0) {
    if (item === null) return { error: 'associative list with keys may not have a null element' };
    if (!isObject(item)) return { error: 'associative list with keys may not have non-map elements' };
    const fields: Array<[string, unknown]> = [];
    for (const key of atom.keys) {
      if (Object.prototype.hasOwnProperty.call(item, key)) fields.push([key, item[key]]);
      else {
        const def = atom.item.defaultOf(key);
        if (def === undefined) return { error: `associative list with keys has an element that omits key field ${JSON.stringify(key)} (and doesn't have default value)` };
        fields.push([key, def]);
      }
    }
    const element = pe.key(fields);
    return { element, id: serializePathElement(element) };
  }
  if (isObject(item)) return { error: "associative list without keys has an element that's a map type" };
  if (Array.isArray(item)) return { error: 'not supported: associative list with lists as elements' };
  if (item === null) return { error: "associative list without keys has an element that's an explicit null" };
  const element = pe.value(item);
  return { element, id: serializePathElement(element) };
}

interface IndexedList {
  /** Item elements in list order (duplicates included). */
  readonly order: Array<{ element: PathElement; id: string; value: unknown }>;
  /** The value for each id (the first occurrence when an id repeats). */
  readonly byId: Map<string, unknown>;
  readonly errors: string[];
}

function indexList(atom: Extract<Atom, { kind: 'list' }>, items: readonly unknown[]): IndexedList {
  const out: IndexedList = { order: [], byId: new Map(), errors: [] };
  items.forEach((item, i) => {
    const r = itemElement(atom, item);
    if ('error' in r) {
      out.errors.push(`element ${i}: ${r.error}`);
      return;
    }
    if (out.byId.has(r.id)) out.errors.push(`duplicate entries for key ${pathToString([r.element])}`);
    else out.byId.set(r.id, item);
    out.order.push({ element: r.element, id: r.id, value: item });
  });
  return out;
}

function hasUnidentifiedItems(list: IndexedList): boolean {
  return list.errors.some((e) => e.startsWith('element '));
}

// ------------------------------------------------------------ zip walk (merge and compare)

interface ZipRule {
  /** A leaf (or a pair that is walked as one); returns the merged value, if any. */
  leaf(path: FieldPath, lhs: unknown, rhs: unknown): unknown;
  /** After the children of a granular list or map were walked. */
  container?(path: FieldPath, lhs: unknown, rhs: unknown): void;
}

/** Walk two values side by side (either may be undefined, not both). */
function zip(cursor: SchemaCursor, path: FieldPath, lhs: unknown, rhs: unknown, rule: ZipRule): unknown {
  const al = lhs === undefined ? undefined : atomOf(cursor, lhs);
  const ar = rhs === undefined ? undefined : atomOf(cursor, rhs);
  if (al && ar && al !== 'null' && ar !== 'null' && al.kind !== ar.kind) {
    // The two sides have different shapes: what the left had is gone, what the right has is new.
    if (al.kind === 'leaf' || isEmptyContainer(lhs)) rule.leaf(path, lhs, rhs);
    else walk(al, path, lhs, undefined, rule);
    if (ar.kind === 'leaf' || isEmptyContainer(rhs)) return rule.leaf(path, lhs, rhs);
    return walk(ar, path, undefined, rhs, rule);
  }
  const atom = ar !== undefined && ar !== 'null' ? ar : al !== undefined && al !== 'null' ? al : undefined;
  if (!atom || atom.kind === 'leaf' || (isEmptyContainer(lhs) && isEmptyContainer(rhs))) return rule.leaf(path, lhs, rhs);
  const l = lhs === null ? undefined : lhs;
  const r = rhs === null ? undefined : rhs;
  if (atom.kind === 'list') {
    // Lists whose items cannot be identified (invalid data) are compared as a whole.
    const li = indexList(atom, (l as unknown[]) ?? []);
    const ri = indexList(atom, (r as unknown[]) ?? []);
    if (hasUnidentifiedItems(li) || hasUnidentifiedItems(ri)) return rule.leaf(path, lhs, rhs);
    const out = zipList(atom, path, li, ri, rule);
    rule.container?.(path, lhs, rhs);
    return out;
  }
  const out = walk(atom, path, l, r, rule);
  rule.container?.(path, lhs, rhs);
  return out;
}

function walk(atom: Atom, path: FieldPath, lhs: unknown, rhs: unknown, rule: ZipRule): unknown {
  if (atom.kind === 'map') {
    const l = (lhs ?? {}) as JsonObject;
    const r = (rhs ?? {}) as JsonObject;
    const out: JsonObject = {};
    const keys = [...Object.keys(l), ...Object.keys(r).filter((k) => !Object.prototype.hasOwnProperty.call(l, k))];
    for (const k of keys) {
      const child = zip(atom.cursor.field(k), [...path, pe.field(k)], l[k], r[k], rule);
      if (child !== undefined) out[k] = child;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (atom.kind === 'list') return zipList(atom, path, indexList(atom, (lhs as unknown[]) ?? []), indexList(atom, (rhs as unknown[]) ?? []), rule);
  return rule.leaf(path, lhs, rhs);
}

/**
 * Walk two associative lists in structured-merge-diff's merge order: items
 * both sides have come in the right side's order, items only the left side
 * has stay where they were relative to them, new items follow the right side.
 */
function zipList(atom: Extract<Atom, { kind: 'list' }>, path: FieldPath, l: IndexedList, r: IndexedList, rule: ZipRule): unknown {
  const out: unknown[] = [];
  const push = (v: unknown) => {
    if (v !== undefined) out.push(v);
  };
  const shared = r.order.filter((item) => l.byId.has(item.id));
  let sharedAt = 0;
  let nextShared = shared[sharedAt++];
  const mergedRight = new Set<string>();
  let li = 0;
  let ri = 0;
  while (li < l.order.length || ri < r.order.length) {
    if (li < l.order.length && ri < r.order.length) {
      const left = l.order[li];
      if (left.id === r.order[ri].id) {
        mergedRight.add(left.id);
        push(zip(atom.item, [...path, left.element], l.byId.get(left.id), r.byId.get(left.id), rule));
        li++;
        ri++;
        nextShared = shared[sharedAt++];
        continue;
      }
      if (r.byId.has(left.id) && nextShared !== undefined && nextShared.id !== left.id) {
        // A shared item, but not the one due now: it is placed when the right side reaches it.
        li++;
        continue;
      }
    }
    if (li < l.order.length) {
      const left = l.order[li];
      if (!r.byId.has(left.id)) {
        push(zip(atom.item, [...path, left.element], left.value, undefined, rule));
        li++;
        continue;
      }
      if (mergedRight.has(left.id)) {
        li++;
        continue;
      }
    }
    if (ri < r.order.length) {
      const right = r.order[ri];
      if (!mergedRight.has(right.id)) {
        mergedRight.add(right.id);
        push(zip(atom.item, [...path, right.element], l.byId.get(right.id), r.byId.get(right.id), rule));
      }
      ri++;
      if (nextShared !== undefined && nextShared.id === right.id) nextShared = shared[sharedAt++];
    }
  }
  return out.length > 0 ? out : undefined;
}

// ------------------------------------------------------------ public operations

/**
 * Merge an applied configuration into a live object: leaves of the
 * configuration win, granular lists and maps merge item by item.
 */
export function mergeTyped(cursor: SchemaCursor, live: unknown, config: unknown): unknown {
  return zip(cursor, [], live, config, { leaf: (_p, l, r) => (r !== undefined ? r : l) });
}

export interface Comparison {
  readonly added: FieldSet;
  readonly removed: FieldSet;
  readonly modified: FieldSet;
}

/** The fields added, removed and modified from `lhs` to `rhs` (structured-merge-diff's Compare). */
export function compareTyped(cursor: SchemaCursor, lhs: unknown, rhs: unknown): Comparison {
  const c = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };
  zip(cursor, [], lhs, rhs, {
    leaf: (path, l, r) => {
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!deepEqual(l, r)) c.modified.insert(path);
      return r;
    },
    container: (path, l, r) => {
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
    },
  });
  return c;
}

/**
 * Every field a value sets (structured-merge-diff's ToFieldSet): leaves,
 * associative-list items, and map entries that are not struct fields (or are
 * null or empty maps).
 */
export function toFieldSet(cursor: SchemaCursor, value: unknown): FieldSet {
  const set = new FieldSet();
  const visit = (cur: SchemaCursor, path: FieldPath, v: unknown): void => {
    const atom = atomOf(cur, v);
    if (atom === 'null') {
      const shape = cur.shape();
      if (shape.kind === 'scalar' || ((shape.kind === 'list' || shape.kind === 'map') && shape.atomic)) set.insert(path);
      return;
    }
    if (atom.kind === 'leaf') {
      set.insert(path);
    } else if (atom.kind === 'list') {
      for (const item of v as unknown[]) {
        const r = itemElement(atom, item);
        if ('error' in r) continue;
        const p = [...path, r.element];
        visit(atom.item, p, item);
        set.insert(p);
      }
    } else {
      for (const [k, child] of Object.entries(v as JsonObject)) {
        const p = [...path, pe.field(k)];
        visit(atom.cursor.field(k), p, child);
        if (child === null || (isObject(child) && Object.keys(child).length === 0) || !atom.cursor.hasField(k)) set.insert(p);
      }
    }
  };
  visit(cursor, [], value);
  return set;
}

/** Also count struct fields that have owned children as members (structured-merge-diff's EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(cursor: SchemaCursor, set: FieldSet): FieldSet {
  const out = set.copy();
  const walkSet = (node: FieldSet, cur: SchemaCursor, prefix: FieldPath): void => {
    for (const child of node.sortedChildren()) {
      const p = [...prefix, child.element];
      const isField = child.element.kind === 'field';
      if (isField && cur.shape().kind === 'map' && cur.hasField((child.element as { name: string }).name)) out.insert(p);
      walkSet(child.set, isField ? cur.field((child.element as { name: string }).name) : cur.items(), p);
    }
  };
  walkSet(set, cursor, []);
  return out;
}

const EMPTIED = Symbol('emptied');

/**
 * Remove the fields of a set from a value (structured-merge-diff's
 * RemoveItems). A list or map left without items becomes `null` in
 * `'null'` mode, as structured-merge-diff leaves it while it computes, and
 * disappears in `'drop'` mode, as it does once Kubernetes decodes the result.
 */
export function removeFields(cursor: SchemaCursor, value: unknown, remove: FieldSet, mode: 'null' | 'drop'): unknown {
  const walkValue = (cur: SchemaCursor, v: unknown, toRemove: FieldSet): unknown => {
    const atom = atomOf(cur, v);
    if (atom === 'null' || atom.kind === 'leaf') return v;
    if (isEmptyContainer(v)) return EMPTIED;
    if (atom.kind === 'list') {
      const items: unknown[] = [];
      for (const item of v as unknown[]) {
        const r = itemElement(atom, item);
        if ('error' in r) {
          items.push(item);
          continue;
        }
        if (toRemove.hasMember(r.element)) continue;
        const sub = toRemove.child(r.element);
        if (sub && !sub.isEmpty()) {
          const kept = walkValue(atom.item, item, sub);
          if (kept !== EMPTIED) items.push(kept);
        } else {
          items.push(item);
        }
      }
      return items.length > 0 ? items : EMPTIED;
    }
    const out: JsonObject = {};
    for (const [k, child] of Object.entries(v as JsonObject)) {
      const element = pe.field(k);
      if (toRemove.hasMember(element)) continue;
      const sub = toRemove.child(element);
      if (sub && !sub.isEmpty()) {
        const kept = walkValue(atom.cursor.field(k), child, sub);
        if (kept !== EMPTIED) out[k] = kept;
        else if (mode === 'null') out[k] = null;
      } else {
        out[k] = child;
      }
    }
    return Object.keys(out).length > 0 ? out : EMPTIED;
  };
  const result = walkValue(cursor, value, remove);
  if (result !== EMPTIED) return result;
  return Array.isArray(value) ? [] : {};
}

/**
 * Check an applied configuration the way structured-merge-diff does when it
 * converts it to a typed value: associative-list items must carry their keys
 * (or have schema defaults) and be unique, set items must be scalars.
 * Returns the errors as Kubernetes words them (`.spec.containers: duplicate
 * entries for key [name="web"]`).
 */
export function validateApplied(cursor: SchemaCursor, value: unknown): string[] {
  const errors: string[] = [];
  const visit = (cur: SchemaCursor, path: FieldPath, v: unknown): void => {
    const atom = atomOf(cur, v);
    if (atom === 'null' || atom.kind === 'leaf') return;
    if (atom.kind === 'list') {
      const indexed = indexList(atom, v as unknown[]);
      for (const e of indexed.errors) errors.push(`${pathToString(path)}: ${e}`);
      for (const item of indexed.order) visit(atom.item, [...path, item.element], item.value);
      return;
    }
    for (const [k, child] of Object.entries(v as JsonObject)) visit(atom.cursor.field(k), [...path, pe.field(k)], child);
  };
  visit(cursor, [], value);
  return errors;
}

/**
 * A copy of a value with the struct fields Go would always write filled in
 * as `{}`. Kubernetes compares typed Go objects, where a non-pointer struct
 * field (`spec.template`, a container's `resources`) is never absent; the
 * OpenAPI schemas mark those fields with `default: {}`. Comparing with them
 * filled in gives the same field sets Kubernetes records (no `"."` entry for
 * `f:template`, `f:resources: {}` for a new container).
 */
export function withStructDefaults(cursor: SchemaCursor, value: unknown, depth = 0): unknown {
  if (depth > 64) return value;
  const atom = atomOf(cursor, value);
  if (atom === 'null' || atom.kind === 'leaf') return value;
  if (atom.kind === 'list') return (value as unknown[]).map((item) => withStructDefaults(atom.item, item, depth + 1));
  const out: JsonObject = {};
  for (const [k, child] of Object.entries(value as JsonObject)) out[k] = withStructDefaults(atom.cursor.field(k), child, depth + 1);
  for (const name of atom.cursor.fieldNames()) {
    if (Object.prototype.hasOwnProperty.call(out, name)) continue;
    const field = atom.cursor.field(name);
    if (isGoStruct(field)) out[name] = withStructDefaults(field, {}, depth + 1);
  }
  return out;
}

/**
 * The zero value of a kind as Go would encode it (`New(kind)`): the object a
 * create is compared against. Struct fields are `{}` (recursively), other
 * required fields `null`.
 */
export function zeroObject(cursor: SchemaCursor): JsonObject {
  const zero = (cur: SchemaCursor, depth: number): JsonObject => {
    const out: JsonObject = {};
    if (depth > 32) return out;
    const required = new Set(cur.required());
    for (const name of cur.fieldNames()) {
      const field = cur.field(name);
      if (isGoStruct(field)) out[name] = zero(field, depth + 1);
      else if (required.has(name)) out[name] = null;
    }
    return out;
  };
  return cursor.shape().kind === 'map' ? zero(cursor, 0) : {};
}

function isGoStruct(field: SchemaCursor): boolean {
  const def = field.declaredDefault();
  return isObject(def) && Object.keys(def).length === 0 && field.shape().kind === 'map' && field.fieldNames().length > 0;
}
