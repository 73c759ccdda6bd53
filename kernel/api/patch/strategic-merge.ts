/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`),
 * the patch `kubectl apply` (client-side), `kubectl edit` and `kubectl patch`
 * send by default. It is a JSON merge patch whose lists may merge by key, as
 * the schema says:
 *
 * - `x-kubernetes-patch-strategy: merge` with `x-kubernetes-patch-merge-key`:
 *   list items are matched by the key and merged; lists of primitives with
 *   `merge` are merged as sets; other lists are replaced;
 * - `replace` on a map replaces it; `retainKeys` is honoured through the
 *   `$retainKeys` directive the client computes;
 * - directives: `$patch: replace|delete` on a map, `$patch: delete|replace` as
 *   list items, `$retainKeys`, `$setElementOrder/<list>`,
 *   `$deleteFromPrimitiveList/<list>`; `null` deletes a field.
 *
 * Where the schema says nothing (unknown fields, preserved unknown fields),
 * maps merge and lists are replaced, as for unstructured objects.
 *
 * The algorithm follows apimachinery's strategicpatch (mergeMap, mergeSlice,
 * mergePatchIntoOriginal, normalizeElementOrder) including its ordering
 * rules. Two deliberate differences, both about what ends up stored:
 * directives and nulls inside values that are added (rather than merged) are
 * processed and dropped, where Kubernetes leaves them for its typed decoder
 * to discard; and `$patch: merge`, which Kubernetes rejects, is accepted as
 * the explicit form of the default.
 */
import { deepEqual, goKind, goValue, isObject, JsonObject, clone } from './json';
import { patchBadRequest, patchRejected } from './patch-errors';
import { PatchSchema, SchemaCursor } from './schema-cursor';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** apimachinery's mergepatch error texts. */
const ERR_BAD_PRIMITIVE_LIST = 'invalid patch format of primitive list';
const ERR_BAD_RETAIN_KEYS = 'invalid patch format of retainKeys';
const ERR_BAD_SET_ELEMENT_ORDER = 'invalid patch format of setElementOrder list';
const ERR_NO_LIST_OF_LISTS = 'lists of lists are not supported';

/**
 * Apply a strategic merge patch request body to an object. Neither argument
 * is modified. Throws ApiError 400/422 on a malformed patch.
 */
export function strategicMergePatch<T extends object>(original: T, patch: unknown, schema?: PatchSchema): T {
  // A `null` body decodes to an empty patch.
  if (patch === null || patch === undefined) return clone(original);
  if (!isObject(patch)) {
    throw patchBadRequest(`json: cannot unmarshal ${goKind(patch)} into Go value of type map[string]interface {}`);
  }
  return mergeMap(clone(original) as JsonObject, clone(patch), SchemaCursor.of(schema)) as T;
}

// Everything below owns its arguments: `original` and `patch` are fresh copies it may modify.

function mergeMap(original: JsonObject, patch: JsonObject, cursor: SchemaCursor): JsonObject {
  if (Object.prototype.hasOwnProperty.call(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    delete patch[DIRECTIVE];
    if (directive === 'replace') return mergeMap({}, patch, cursor);
    if (directive === 'delete') return {};
    if (directive !== 'merge') throw badPatchType(directive, { ...patch, [DIRECTIVE]: directive });
  }
  applyRetainKeys(original, patch);
  mergeOrderedLists(original, patch, cursor);
  // Deletions from primitive lists before additions, so that a list both
  // losing and gaining values ends up with the additions.
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    deleteFromPrimitiveList(original, key.slice(DELETE_FROM_PRIMITIVE_LIST.length), patch[key]);
    delete patch[key];
  }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete original[key];
      continue;
    }
    const field = cursor.field(key);
    const current = original[key];
    if (current === undefined || current === null) {
      original[key] = addedValue(value, field, key);
    } else if (isObject(current) && isObject(value)) {
      original[key] = strategyOf(field) === 'replace' ? addedValue(value, field, key) : mergeMap(current, value, field);
    } else if (Array.isArray(current) && Array.isArray(value)) {
      original[key] = mergeListField(current, value, field, key);
    } else {
      original[key] = addedValue(value, field, key);
    }
  }
  return original;
}

/** The field's patch strategy without `retainKeys` (which only the client uses, to compute `$retainKeys`). */
function strategyOf(field: SchemaCursor): string {
  return field.patchStrategies().find((s) => s !== 'retainKeys') ?? '';
}

/** A value that replaces or adds rather than merges: its directives are processed and its nulls dropped. */
function addedValue(value: unknown, cursor: SchemaCursor, name: string): unknown {
  if (isObject(value)) return mergeMap({}, value, cursor);
  if (Array.isArray(value)) return mergeListField([], value, cursor, name);
  return value;
}

function mergeListField(current: unknown[], patch: unknown[], field: SchemaCursor, name: string): unknown[] {
  if (strategyOf(field) === 'merge') return mergeSlice(current, patch, field, name);
  const items = field.items();
  // Replaced lists may still carry directives in their items; drop them the way a merge would.
  const kept = listItemsAreMaps(patch) ? splitSpecialItems(patch, '', false).rest : patch;
  return kept.map((item) => (isObject(item) ? mergeMap({}, item, items) : item));
}

function listItemsAreMaps(list: unknown[]): boolean {
  return list.length > 0 && list.every(isObject);
}

/** mergeSlice: merge two lists under the `merge` strategy. */
function mergeSlice(original: unknown[], patch: unknown[], field: SchemaCursor, name: string): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind([original, patch]);
  if (kind !== 'object') {
    const merged = uniqueValues([...original, ...patch]);
    const [patchItems, serverOnly] = partition(merged, (v) => patch.some((p) => deepEqual(p, v)));
    return normalizeElementOrder(patchItems, serverOnly, patch, original, '');
  }
  const mergeKey = field.patchMergeKey();
  if (!mergeKey) {
    // A new list needs no merging (Kubernetes stores it as sent); an existing one cannot be merged.
    if (original.length === 0) return mergeListField([], patch, SchemaCursor.UNKNOWN, name);
    throw patchBadRequest(`cannot merge lists without merge key for ${name}`);
  }
  const special = splitSpecialItems(patch, mergeKey, true);
  let base: unknown[];
  let items: JsonObject[];
  if (special.replace) {
    base = special.rest.map((item) => mergeMap({}, item, field.items()));
    items = [];
  } else {
    base = original.filter((item) => !special.deletions.some((key) => deepEqual((item as JsonObject)[mergeKey], key)));
    items = special.rest;
  }
  const merged = [...base];
  for (const item of items) {
    if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const at = merged.findIndex((m) => isObject(m) && Object.prototype.hasOwnProperty.call(m, mergeKey) && deepEqual(m[mergeKey], item[mergeKey]));
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, field.items());
    else merged.push(mergeMap({}, item, field.items()));
  }
  const [patchItems, serverOnly] = partitionMaps(merged, items, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, items, base, mergeKey);
}

interface SpecialItems {
  /** Merge-key values of `$patch: delete` items. */
  deletions: unknown[];
  /** A `$patch: replace` item was present: the list is replaced by the other items. */
  replace: boolean;
  /** The items without directives. */
  rest: JsonObject[];
}

/** mergeSliceWithSpecialElements: pull `$patch` items out of a patch list of maps. */
function splitSpecialItems(items: unknown[], mergeKey: string, requireKey: boolean): SpecialItems {
  const out: SpecialItems = { deletions: [], replace: false, rest: [] };
  for (const item of items as JsonObject[]) {
    if (!Object.prototype.hasOwnProperty.call(item, DIRECTIVE)) {
      out.rest.push(item);
      continue;
    }
    const { [DIRECTIVE]: directive, ...others } = item;
    if (directive === 'delete') {
      if (requireKey && !Object.prototype.hasOwnProperty.call(item, mergeKey)) throw noMergeKey(item, mergeKey);
      out.deletions.push(item[mergeKey]);
    } else if (directive === 'replace') {
      out.replace = true;
    } else if (directive === 'merge') {
      // Merging is what lists with the merge strategy do anyway.
      if (Object.keys(others).length > 0) out.rest.push(others);
    } else {
      throw badPatchType(directive, item);
    }
  }
  return out;
}

/** applyRetainKeysDirective: keep only the listed keys of the original. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.prototype.hasOwnProperty.call(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw patchBadRequest(ERR_BAD_RETAIN_KEYS);
  const keep = new Set(list);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(key)) throw patchBadRequest(ERR_BAD_RETAIN_KEYS);
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
}

function deleteFromPrimitiveList(original: JsonObject, field: string, values: unknown): void {
  // Kubernetes turns a null deletion list into a deletion of the whole field.
  if (values === null) {
    delete original[field];
    return;
  }
  if (!Array.isArray(values)) throw patchBadRequest(ERR_BAD_PRIMITIVE_LIST);
  const current = original[field];
  if (!Array.isArray(current)) return;
  original[field] = current.filter((v) => !values.some((d) => deepEqual(v, d)));
}

/**
 * mergePatchIntoOriginal: merge each list that comes with a
 * `$setElementOrder/<list>` directive, then order it. Precedence: the
 * directive's order, then the patch's, then the live object's.
 */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, cursor: SchemaCursor): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw patchBadRequest(ERR_BAD_SET_ELEMENT_ORDER);
    const name = key.slice(SET_ELEMENT_ORDER.length);
    const field = cursor.field(name);
    const mergeKey = field.patchMergeKey();
    const currentValue = original[name];
    const patchValue = patch[name];
    const foundCurrent = currentValue !== undefined && currentValue !== null;
    const foundPatch = patchValue !== undefined;
    if ((foundCurrent && !Array.isArray(currentValue)) || (foundPatch && !Array.isArray(patchValue))) {
      throw patchBadRequest(ERR_BAD_SET_ELEMENT_ORDER);
    }
    const current = (foundCurrent ? currentValue : []) as unknown[];
    const patchList = (foundPatch ? patchValue : []) as unknown[];
    validatePatchWithSetOrderList(patchList, order, mergeKey);
    let merged: unknown[];
    if (foundCurrent && foundPatch) merged = mergeListField(current, patchList, field, name);
    else if (foundPatch) merged = addedValue(patchList, field, name) as unknown[];
    else if (foundCurrent) merged = current;
    else continue;
    delete patch[name];
    const kind = current.length + patchList.length > 0 ? elementKind([current, patchList]) : undefined;
    if (kind === 'object' && !mergeKey) {
      // Maps cannot be ordered without a key; the list stays as merged.
      original[name] = merged;
      continue;
    }
    const [patchItems, serverOnly] =
      kind === 'object' ? partitionMaps(merged, order, mergeKey) : partition(merged, (v) => order.some((o) => deepEqual(o, v)));
    original[name] = normalizeElementOrder(patchItems, serverOnly, order, current, kind === 'object' ? mergeKey : '');
  }
}

/**
 * validatePatchWithSetOrderList: every item of the patch list (deletions
 * aside) must appear in the `$setElementOrder` list, in the same relative order.
 */
function validatePatchWithSetOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? patchList.filter((item) => !(isObject(item) && item[DIRECTIVE] === 'delete')) : patchList;
  let p = 0;
  let s = 0;
  while (p < nonDelete.length && s < order.length) {
    const item = nonDelete[p];
    if (isObject(item) && Object.prototype.hasOwnProperty.call(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (sameKey(item, order[s], mergeKey)) p++;
    s++;
  }
  if (p < nonDelete.length && s >= order.length) {
    throw patchBadRequest(`The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goValue(order)}\n`);
  }
}

function sameKey(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return deepEqual(left, right);
  if (!isObject(left)) throw badArgType(left);
  if (!isObject(right)) throw badArgType(right);
  if (!Object.prototype.hasOwnProperty.call(left, mergeKey)) throw noMergeKey(left, mergeKey);
  if (!Object.prototype.hasOwnProperty.call(right, mergeKey)) throw noMergeKey(right, mergeKey);
  return deepEqual(left[mergeKey], right[mergeKey]);
}

/**
 * normalizeElementOrder: sort the patch items by the patch order and the
 * server-only items by the live order, then interleave them so that both
 * relative orders hold, server-only items staying where they were relative to
 * the patch items the live list also had.
 */
function normalizeElementOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string): unknown[] {
  const id = (item: unknown): unknown => {
    if (!mergeKey) return item;
    if (!isObject(item) || !Object.prototype.hasOwnProperty.call(item, mergeKey)) throw noMergeKey(item, mergeKey);
    return item[mergeKey];
  };
  const indexIn = (list: unknown[], item: unknown): number => {
    const want = id(item);
    return list.findIndex((other) => deepEqual(id(other), want));
  };
  const sortBy = (items: unknown[], order: unknown[]): unknown[] => {
    const ranked = items.map((item, i) => ({ item, i, at: indexIn(order, item) }));
    ranked.sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : (a.at < 0 ? 1 : 0) - (b.at < 0 ? 1 : 0) || a.i - b.i));
    return ranked.map((r) => r.item);
  };
  const left = sortBy(serverOnly, serverOrder);
  const right = sortBy(patchItems, patchOrder);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i]);
      const ri = indexIn(serverOrder, right[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** sliceElementType: all items of the lists must be of one kind, and not lists. */
function elementKind(lists: unknown[][]): string {
  let kind: string | undefined;
  for (const list of lists) {
    for (const item of list) {
      const k = goKind(item);
      if (kind === undefined) {
        if (k === 'array') throw patchRejected(new Error(ERR_NO_LIST_OF_LISTS));
        kind = k;
      } else if (k !== kind) {
        throw patchBadRequest(`list element types are not identical: ${goValue(lists)}`);
      }
    }
  }
  return kind ?? 'null';
}

function uniqueValues(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) if (!out.some((o) => deepEqual(o, v))) out.push(v);
  return out;
}

function partition(items: unknown[], inPatch: (item: unknown) => boolean): [unknown[], unknown[]] {
  const yes: unknown[] = [];
  const no: unknown[] = [];
  for (const item of items) (inPatch(item) ? yes : no).push(item);
  return [yes, no];
}

/** partitionMapsByPresentInList: split by whether an item's key appears in `by`. */
function partitionMaps(items: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  return partition(items, (item) => {
    if (!isObject(item)) throw badArgType(item);
    if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw noMergeKey(item, mergeKey);
    return by.some((other) => isObject(other) && Object.prototype.hasOwnProperty.call(other, mergeKey) && deepEqual(other[mergeKey], item[mergeKey]));
  });
}

function noMergeKey(item: unknown, mergeKey: string) {
  return patchBadRequest(`map: ${goValue(item)} does not contain declared merge key: ${mergeKey}`);
}

function badPatchType(directive: unknown, map: JsonObject) {
  return patchBadRequest(`unknown patch type: ${goValue(directive)} in map: ${goValue(map)}`);
}

function badArgType(actual: unknown) {
  return patchBadRequest(`expected a map, but received a ${goKind(actual) === 'array' ? 'slice' : goKind(actual)}`);
}
