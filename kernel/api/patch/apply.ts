/**
 * Server-side apply (`application/apply-patch+yaml`), with the semantics of
 * sigs.k8s.io/structured-merge-diff as kube-apiserver uses it:
 *
 * 1. the applied configuration is merged into the live object (its leaves
 *    win; associative lists and granular maps merge item by item);
 * 2. fields the manager applied last time but not this time are removed,
 *    unless another manager (applier or updater) owns them;
 * 3. ownership is recomputed: the manager owns exactly what it applied;
 *    fields it changes that another manager owns are conflicts (409) unless
 *    `force`, in which case it takes them over; fields that disappeared are
 *    taken from everyone. Manager `kubectl` moving an object from
 *    client-side apply may take over, without conflict, fields its
 *    last-applied annotation still describes.
 *
 * The result is the object to store before defaulting and validation; a
 * re-apply that changes nothing returns an object deep-equal to the live one
 * (managedFields timestamps included), so the caller can skip the write.
 */
import { ApiError, StatusCause } from '../errors';
import type { KubeObject } from '../types';
import { FieldSet, FieldPath, pathToString } from './field-set';
import { clone, deepEqual, goJson, goKind, isObject, JsonObject } from './json';
import {
  capUpdateManagers,
  compareForOwnership,
  decodeManagedFields,
  describeManager,
  encodeManagedFields,
  LAST_APPLIED_ANNOTATION,
  ManagedFieldSets,
  managedFieldsTime,
  ManagerIdentity,
  managerIdentityKey,
  resetFieldsFor,
  setManagedFields,
  UNTRACKED_FIELDS,
  withoutManagedFields,
} from './managed-fields';
import { patchBadRequest } from './patch-errors';
import { PatchSchema, SchemaCursor } from './schema-cursor';
import { compareTyped, ensureNamedFieldsAreMembers, mergeTyped, removeFields, toFieldSet, validateApplied, withStructDefaults } from './typed-value';

export interface ApplyRequest extends PatchSchema {
  /** The stored object; undefined when apply creates it. */
  readonly live: KubeObject | undefined;
  /** The applied configuration, parsed from the request body (YAML or JSON). */
  readonly applied: unknown;
  /** `fieldManager` (required for apply; see validatePatchOptions). */
  readonly manager: string;
  readonly force?: boolean;
  /** The group, version and kind the endpoint serves; the configuration must name the same. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly subresource?: string;
  readonly now: Date;
  /** Fields this request resets and so does not own; defaults from the subresource (status on the main resource). */
  readonly resetFields?: readonly FieldPath[];
}

/** One field another manager owns that the configuration would change. */
export interface ApplyConflict {
  readonly manager: ManagerIdentity;
  readonly path: FieldPath;
}

/**
 * Apply a configuration and return the object to store, with managedFields
 * recomputed. Throws ApiError: 400 for a configuration that is not an
 * object of the endpoint's kind, names managedFields, or has duplicate or
 * key-less list items; 409 Conflict listing the conflicts (without `force`).
 */
export function applyPatch(request: ApplyRequest): KubeObject {
  const applied = checkAppliedObject(request);
  const cursor = SchemaCursor.of(request);
  const live = request.live ? withoutManagedFields(request.live) : undefined;
  const managed = decodeLiveManagedFields(request.live);
  const reset = resetFieldsFor(request.subresource, request.resetFields);
  const apiVersion = `${request.group ? request.group + '/' : ''}${request.version}`;

  const merged = mergeTyped(cursor, live ?? {}, applied) as JsonObject;
  const identity: ManagerIdentity = { manager: request.manager, operation: 'Apply', ...(request.subresource ? { subresource: request.subresource } : {}) };
  const key = managerIdentityKey(identity);
  const previous = managed.get(key);
  const appliedSet = toFieldSet(cursor, applied).recursiveDifference(reset);
  managed.set(key, { identity, apiVersion, set: appliedSet, time: previous?.time, entry: previous?.entry });

  const pruned = prune(cursor, merged, managed, previous?.set);

  const diff = compareForOwnership(cursor, live, pruned, reset);
  const changed = diff.modified.union(diff.added);
  const conflicts: Conflicting[] = [];
  for (const [k, mf] of managed) {
    if (k === key) continue;
    const overlap = mf.set.intersection(changed);
    if (!overlap.isEmpty()) conflicts.push({ key: k, identity: mf.identity, set: overlap });
  }
  if (conflicts.length > 0 && !request.force) {
    const remaining = request.manager === 'kubectl' ? conflictsNotUpgradable(cursor, live, conflicts) : conflicts;
    if (remaining.length > 0) throw conflictError(remaining);
  }
  const taken = new Map(conflicts.map((c) => [c.key, c.set]));
  for (const [k, mf] of managed) {
    if (k === key) continue;
    const rest = mf.set.difference(taken.get(k) ?? new FieldSet()).difference(diff.removed);
    if (rest.isEmpty()) managed.delete(k);
    else if (!rest.equals(mf.set)) managed.set(k, { ...mf, set: rest });
  }
  const owned = appliedSet.difference(UNTRACKED_FIELDS);
  if (owned.isEmpty()) managed.delete(key);
  else managed.set(key, { identity, apiVersion, set: owned, time: managedFieldsTime(request.now), entry: previous?.entry });
  capUpdateManagers(managed);

  const result = pruned as KubeObject;
  dropNullsFromConfig(cursor, result, applied);
  syncLastApplied(result, applied, request.manager);
  setManagedFields(result, encodeManagedFields(managed));
  if (request.live && isUnchanged(request.live, result)) return clone(request.live);
  return result;
}

/** The apply request body checks kube-apiserver makes before merging. */
function checkAppliedObject(request: ApplyRequest): JsonObject {
  const body = request.applied;
  if (!isObject(body)) {
    throw patchBadRequest(`error decoding YAML: json: cannot unmarshal ${goKind(body)} into Go value of type map[string]interface {}`);
  }
  const applied = clone(body);
  const gvk = appliedGvk(applied);
  if (gvk.group !== request.group || gvk.version !== request.version || gvk.kind !== request.kind) {
    throw patchBadRequest(`invalid object type: ${gvk.group}/${gvk.version}, Kind=${gvk.kind}`);
  }
  const metadata = applied.metadata;
  if (isObject(metadata) && metadata.managedFields !== undefined && metadata.managedFields !== null) {
    throw patchBadRequest('metadata.managedFields must be nil');
  }
  const errors = validateApplied(SchemaCursor.of(request), applied);
  if (errors.length > 0) {
    const name = isObject(metadata) ? `${String(metadata.namespace ?? '')}/${String(metadata.name ?? '')}` : '/';
    const text = errors.length === 1 ? errors[0] : ['errors:', ...errors.map((e) => '  ' + e)].join('\n');
    throw patchBadRequest(`failed to create typed patch object (${name}; ${gvk.group}/${gvk.version}, Kind=${gvk.kind}): ${text}`);
  }
  return applied;
}

/** The GroupVersionKind an object names; an unparsable apiVersion names none, as in Go. */
function appliedGvk(object: JsonObject): { group: string; version: string; kind: string } {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const parts = apiVersion.split('/');
  if (apiVersion === '' || parts.length > 2) return { group: '', version: '', kind };
  return parts.length === 1 ? { group: '', version: parts[0], kind } : { group: parts[0], version: parts[1], kind };
}

function decodeLiveManagedFields(live: KubeObject | undefined): ManagedFieldSets {
  try {
    return decodeManagedFields(live?.metadata?.managedFields);
  } catch (err) {
    throw ApiError.internal(`failed to decode managed fields: ${(err as Error).message}`, err);
  }
}

/**
 * Remove what the manager applied last time and no longer applies, unless
 * another manager owns it (structured-merge-diff's prune, addBackOwnedItems
 * and addBackDanglingItems). Struct fields count as owned when anything
 * below them is, so removing a field never removes its unowned siblings.
 */
function prune(cursor: SchemaCursor, merged: JsonObject, managed: ManagedFieldSets, lastSet: FieldSet | undefined): JsonObject {
  if (!lastSet || lastSet.isEmpty()) return merged;
  const named = (set: FieldSet) => ensureNamedFieldsAreMembers(cursor, set);
  const last = named(lastSet);
  const withoutLast = removeFields(cursor, merged, last, 'null');
  // Identity and system metadata are never anyone's to prune, even when a
  // configuration leaves out metadata altogether.
  let owned = UNTRACKED_FIELDS;
  for (const mf of managed.values()) owned = owned.union(mf.set);
  const mergedSet = named(toFieldSet(cursor, merged));
  const keptOwned = removeFields(cursor, merged, mergedSet.difference(named(toFieldSet(cursor, withoutLast)).union(named(owned))), 'null');
  const removable = mergedSet.difference(named(toFieldSet(cursor, keptOwned))).intersection(last);
  return removeFields(cursor, merged, removable, 'drop') as JsonObject;
}

/**
 * kube-apiserver's lastAppliedManager: when kubectl moves an object from
 * client-side to server-side apply, fields its last-applied annotation
 * still describes exactly (same value live) are taken over without a
 * conflict. Returns the conflicts that remain.
 */
function conflictsNotUpgradable(cursor: SchemaCursor, live: KubeObject | undefined, conflicts: Conflicting[]): Conflicting[] {
  const annotation = live?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!annotation) return conflicts;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(annotation);
  } catch {
    // An unreadable annotation allows nothing, as in Kubernetes.
    return conflicts;
  }
  if (!isObject(lastApplied)) return conflicts;
  const diff = compareTyped(cursor, withStructDefaults(cursor, lastApplied), withStructDefaults(cursor, live));
  const allowed = toFieldSet(cursor, lastApplied).difference(diff.modified).difference(diff.added).difference(diff.removed);
  return conflicts
    .map((c) => ({ ...c, set: FieldSet.of(...c.set.paths().filter((p) => !allowed.has(p))) }))
    .filter((c) => !c.set.isEmpty());
}

interface Conflicting {
  readonly key: string;
  readonly identity: ManagerIdentity;
  readonly set: FieldSet;
}

function conflictError(conflicts: Conflicting[]): ApiError {
  const byManager = [...conflicts].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const all: ApplyConflict[] = byManager.flatMap((c) => c.set.paths().map((path) => ({ manager: c.identity, path })));
  let message: string;
  if (all.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(all[0].manager)}: ${pathToString(all[0].path)}`;
  } else {
    const lines: string[] = [];
    for (const c of byManager) {
      lines.push(`conflicts with ${describeManager(c.identity)}:`);
      for (const path of c.set.paths()) lines.push(`- ${pathToString(path)}`);
    }
    message = `Apply failed with ${all.length} conflicts: ${lines.join('\n')}`;
  }
  const causes: StatusCause[] = all.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describeManager(c.manager)}`, field: pathToString(c.path) }));
  return new ApiError(409, 'Conflict', message, { causes });
}

/**
 * An explicit null in the configuration owns the field but leaves it unset,
 * as the null does once Kubernetes decodes the merged object.
 */
function dropNullsFromConfig(cursor: SchemaCursor, result: unknown, config: unknown): void {
  if (isObject(config) && isObject(result)) {
    for (const [k, v] of Object.entries(config)) {
      if (v === null) {
        if (result[k] === null) delete result[k];
      } else if (k in result) {
        dropNullsFromConfig(cursor.field(k), result[k], v);
      }
    }
    return;
  }
  if (Array.isArray(config) && Array.isArray(result)) {
    const shape = cursor.shape();
    if (shape.kind !== 'list' || shape.atomic || shape.keys.length === 0) return;
    const keyOf = (item: unknown) => (isObject(item) ? goJson(shape.keys.map((k) => item[k])) : undefined);
    for (const item of config) {
      if (!isObject(item)) continue;
      const match = result.find((r) => isObject(r) && keyOf(r) === keyOf(item));
      if (match) dropNullsFromConfig(cursor.items(), match, item);
    }
  }
}

/**
 * Keep kubectl's client-side apply annotation in step when kubectl applies
 * server-side, so `kubectl apply` without `--server-side` keeps working
 * (kube-apiserver's lastAppliedUpdater): only for manager `kubectl`, only if
 * the object already has the annotation.
 */
function syncLastApplied(result: KubeObject, applied: JsonObject, manager: string): void {
  const annotations = result.metadata?.annotations;
  if (manager !== 'kubectl' || !annotations || !(LAST_APPLIED_ANNOTATION in annotations)) return;
  const config = clone(applied);
  if (isObject(config.metadata) && isObject(config.metadata.annotations)) delete config.metadata.annotations[LAST_APPLIED_ANNOTATION];
  annotations[LAST_APPLIED_ANNOTATION] = goJson(config) + '\n';
}

/** Equal to the live object except perhaps managedFields timestamps (kube-apiserver then keeps the old object). */
function isUnchanged(live: KubeObject, result: KubeObject): boolean {
  if (!deepEqual(withoutManagedFields(live), withoutManagedFields(result))) return false;
  // Entries are ordered by time, so compare them as a set.
  const entries = (object: KubeObject) =>
    (object.metadata?.managedFields ?? []).map((e) => goJson({ ...e, time: undefined })).sort();
  return deepEqual(entries(live), entries(result));
}

