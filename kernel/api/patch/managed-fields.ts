/**
 * `metadata.managedFields`: which manager owns which fields, as
 * kube-apiserver's field manager records it for every write.
 *
 * A manager is identified by its name, the operation (`Apply` or `Update`),
 * for updates the apiVersion it wrote with, and the subresource. Ordinary
 * writes (create, update, JSON/merge/strategic patches) go through
 * `updateManagedFields`: the fields the write changed become owned by the
 * writer (operation Update) and are taken away from everyone else. Server-side
 * apply (`apply.ts`) shares the encoding and bookkeeping in this module.
 *
 * Tracked fields exclude what Kubernetes never tracks: apiVersion, kind,
 * metadata.name, namespace, uid, resourceVersion, generation,
 * creationTimestamp, selfLink and managedFields itself (the
 * StripMetaManager's set); and the fields the subresource resets (status for
 * the main resource, spec for the status subresource). Labels, annotations,
 * finalizers and ownerReferences are tracked like any other field, which is
 * why an applied set never contains `f:metadata.f:name` even though the
 * applied configuration names the object.
 */
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { ApiError, FieldError } from '../errors';
import type { KubeObject } from '../types';
import { FieldSet, FieldPath, fieldPath } from './field-set';
import { fromFieldsV1, toFieldsV1 } from './fields-v1';
import { clone, compareStrings, deepEqual, goJsonString, goQuote, isObject, JsonObject } from './json';
import { PatchSchema, SchemaCursor } from './schema-cursor';
import { compareTyped, Comparison, withStructDefaults, zeroObject } from './typed-value';

export type { ManagedFieldsEntry };

/** kube-apiserver's validation.FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_LENGTH = 128;
/** Update entries beyond this many are merged into `ancient-changes` (DefaultMaxUpdateManagers). */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES_MANAGER = 'ancient-changes';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

export type ManagedFieldsOperation = 'Apply' | 'Update';

/** Who owns a set of fields. */
export interface ManagerIdentity {
  readonly manager: string;
  readonly operation: ManagedFieldsOperation;
  /** Updates only: appliers keep one entry whatever version they apply with. */
  readonly apiVersion?: string;
  readonly subresource?: string;
}

/** One manager's fields, decoded. */
export interface ManagerFields {
  readonly identity: ManagerIdentity;
  readonly apiVersion: string;
  readonly set: FieldSet;
  readonly time?: string;
  /** The entry this was decoded from; its FieldsV1 is written back as is while the set is unchanged. */
  readonly entry?: ManagedFieldsEntry;
}

/** All managers of an object, by identity key. */
export type ManagedFieldSets = Map<string, ManagerFields>;

/**
 * The identity key, the JSON kube-apiserver builds from an entry without
 * fieldsType, fieldsV1 and time (`{"manager":"kubectl","operation":"Update","apiVersion":"apps/v1"}`).
 * Conflict listings are sorted by it.
 */
export function managerIdentityKey(id: ManagerIdentity): string {
  const parts: string[] = [];
  if (id.manager) parts.push(`"manager":${goJsonString(id.manager)}`);
  parts.push(`"operation":${goJsonString(id.operation)}`);
  if (id.operation === 'Update' && id.apiVersion) parts.push(`"apiVersion":${goJsonString(id.apiVersion)}`);
  if (id.subresource) parts.push(`"subresource":${goJsonString(id.subresource)}`);
  return '{' + parts.join(',') + '}';
}

/** A manager as conflict messages name it: `"kubectl-client-side-apply" using apps/v1`. */
export function describeManager(id: ManagerIdentity): string {
  let s = goQuote(id.manager);
  if (id.subresource) s += ` with subresource ${goQuote(id.subresource)}`;
  if (id.operation === 'Update') s += ` using ${id.apiVersion ?? ''}`;
  return s;
}

// ------------------------------------------------------------ encoding

/**
 * Decode `metadata.managedFields`. Throws an Error (not an ApiError: callers
 * decide whether a bad stored value is a fault) naming the first bad entry.
 */
export function decodeManagedFields(entries: unknown): ManagedFieldSets {
  const out: ManagedFieldSets = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  entries.forEach((raw: unknown, i) => {
    if (!isObject(raw)) throw new Error(`managed fields entry ${i} must be an object`);
    const entry = raw as ManagedFieldsEntry;
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (!entry.apiVersion) throw new Error('apiVersion must not be empty');
    if (!entry.fieldsType) throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (entry.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType ${JSON.stringify(entry.fieldsType)} in managed fields entry ${i}`);
    let set: FieldSet;
    try {
      set = entry.fieldsV1 === undefined || entry.fieldsV1 === null ? new FieldSet() : fromFieldsV1(entry.fieldsV1);
    } catch (err) {
      throw new Error(`error decoding versioned set from managed fields entry ${i}: ${(err as Error).message}`, { cause: err });
    }
    const identity: ManagerIdentity = {
      manager: entry.manager ?? '',
      operation: entry.operation,
      ...(entry.operation === 'Update' ? { apiVersion: entry.apiVersion } : {}),
      ...(entry.subresource ? { subresource: entry.subresource } : {}),
    };
    out.set(managerIdentityKey(identity), { identity, apiVersion: entry.apiVersion, set, time: entry.time ?? undefined, entry: clone(entry) });
  });
  return out;
}

/** Encode managers as `metadata.managedFields`, in Kubernetes' order; undefined when there are none. */
export function encodeManagedFields(sets: ManagedFieldSets): ManagedFieldsEntry[] | undefined {
  const entries: ManagedFieldsEntry[] = [];
  for (const mf of sets.values()) {
    if (mf.set.isEmpty()) continue;
    const original = mf.entry?.fieldsV1 !== undefined && mf.entry.fieldsV1 !== null && safeEquals(mf.entry.fieldsV1, mf.set);
    const entry: ManagedFieldsEntry = {};
    // Key order as Go's ManagedFieldsEntry writes them.
    if (mf.identity.manager) entry.manager = mf.identity.manager;
    entry.operation = mf.identity.operation;
    entry.apiVersion = mf.apiVersion;
    if (mf.time) entry.time = mf.time;
    entry.fieldsType = 'FieldsV1';
    entry.fieldsV1 = original ? clone(mf.entry!.fieldsV1!) : toFieldsV1(mf.set);
    if (mf.identity.subresource) entry.subresource = mf.identity.subresource;
    entries.push(entry);
  }
  if (entries.length === 0) return undefined;
  return entries.sort(
    (p, q) =>
      compareStrings(p.operation ?? '', q.operation ?? '') ||
      seconds(p.time) - seconds(q.time) ||
      compareStrings(p.manager ?? '', q.manager ?? '') ||
      compareStrings(p.apiVersion ?? '', q.apiVersion ?? '') ||
      compareStrings(p.subresource ?? '', q.subresource ?? ''),
  );
}

function safeEquals(fields: unknown, set: FieldSet): boolean {
  try {
    return fromFieldsV1(fields).equals(set);
  } catch {
    // An undecodable original is simply re-encoded from the set.
    return false;
  }
}

function seconds(time: string | undefined): number {
  if (!time) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** metav1.Time's wire format: RFC 3339 in UTC, whole seconds. */
export function managedFieldsTime(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

// ------------------------------------------------------------ shared bookkeeping

/** Paths no manager ever owns (kube-apiserver's StripMetaManager). */
export const UNTRACKED_FIELDS: FieldSet = FieldSet.of(
  fieldPath('apiVersion'),
  fieldPath('kind'),
  fieldPath('metadata'),
  fieldPath('metadata', 'name'),
  fieldPath('metadata', 'namespace'),
  fieldPath('metadata', 'creationTimestamp'),
  fieldPath('metadata', 'selfLink'),
  fieldPath('metadata', 'uid'),
  fieldPath('metadata', 'clusterName'),
  fieldPath('metadata', 'generation'),
  fieldPath('metadata', 'managedFields'),
  fieldPath('metadata', 'resourceVersion'),
);

/**
 * The fields a write through `subresource` resets and therefore does not
 * own (a strategy's GetResetFields): status for the main resource, spec for
 * the status subresource, unless the caller knows better.
 */
export function resetFieldsFor(subresource: string | undefined, override?: readonly FieldPath[]): FieldSet {
  if (override) return FieldSet.of(...override);
  if (!subresource) return FieldSet.of(fieldPath('status'));
  if (subresource === 'status') return FieldSet.of(fieldPath('spec'));
  return new FieldSet();
}

/** A copy of an object without `metadata.managedFields`. */
export function withoutManagedFields<T extends KubeObject>(object: T): T {
  const copy = clone(object);
  if (isObject(copy.metadata)) delete (copy.metadata as JsonObject).managedFields;
  return copy;
}

/** Set (or, with no entries, remove) `metadata.managedFields` in place. */
export function setManagedFields(object: KubeObject, entries: ManagedFieldsEntry[] | undefined): void {
  if (entries) object.metadata = { ...(object.metadata ?? {}), managedFields: entries };
  else if (object.metadata) delete object.metadata.managedFields;
}

/**
 * Compare two objects for ownership: both with Go's always-present structs
 * filled in, the old one the kind's zero value on create, reset fields left out.
 */
export function compareForOwnership(cursor: SchemaCursor, old: KubeObject | undefined, next: KubeObject, reset: FieldSet): Comparison {
  const lhs = old ? withStructDefaults(cursor, withoutManagedFields(old)) : zeroObject(cursor);
  const rhs = withStructDefaults(cursor, withoutManagedFields(next));
  const c = compareTyped(cursor, lhs, rhs);
  if (reset.isEmpty()) return c;
  return {
    added: c.added.recursiveDifference(reset),
    removed: c.removed.recursiveDifference(reset),
    modified: c.modified.recursiveDifference(reset),
  };
}

/**
 * Keep at most MAX_UPDATE_MANAGERS Update entries: the oldest are merged,
 * per apiVersion, into an `ancient-changes` entry (kube-apiserver's capManagersManager).
 */
export function capUpdateManagers(sets: ManagedFieldSets, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...sets.entries()].filter(([, mf]) => mf.identity.operation === 'Update').map(([key]) => key);
  if (updaters.length <= max) return;
  updaters.sort((a, b) => seconds(sets.get(a)!.time) - seconds(sets.get(b)!.time) || compareStrings(a, b));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const key = updaters[i];
    const mf = sets.get(key);
    if (!mf) continue;
    const version = mf.apiVersion;
    const bucketId: ManagerIdentity = { manager: ANCIENT_CHANGES_MANAGER, operation: 'Update', apiVersion: version };
    const bucketKey = managerIdentityKey(bucketId);
    const first = firstOfVersion.get(version);
    if (first === undefined) {
      firstOfVersion.set(version, key);
      continue;
    }
    if (!sets.has(bucketKey)) {
      const moved = sets.get(first)!;
      sets.delete(first);
      sets.set(bucketKey, { identity: bucketId, apiVersion: version, set: moved.set, time: moved.time });
    }
    const bucket = sets.get(bucketKey)!;
    sets.set(bucketKey, { identity: bucketId, apiVersion: version, set: mf.set.union(bucket.set), time: mf.time });
    if (key !== bucketKey) sets.delete(key);
    length--;
  }
}

// ------------------------------------------------------------ manager names

/**
 * The manager of a write without `fieldManager`: the User-Agent's product
 * (`kubectl/v1.32.0 (linux/amd64) kubernetes/abc` → `kubectl`), without
 * unprintable characters, at most 128 bytes (kube-apiserver's prefixFromUserAgent).
 */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const product = (userAgent ?? '').split('/')[0];
  let out = '';
  for (const ch of product) if (isPrintable(ch)) out += ch;
  const bytes = Buffer.from(out, 'utf8');
  if (bytes.length <= FIELD_MANAGER_MAX_LENGTH) return out;
  // Go slices bytes; stop at a character boundary instead of emitting half a character.
  return new TextDecoder().decode(bytes.subarray(0, FIELD_MANAGER_MAX_LENGTH)).replace(/\uFFFD$/, '');
}

/** The manager a write is recorded under: `fieldManager` if given, else from the User-Agent. */
export function fieldManagerFor(fieldManager: string | undefined, userAgent: string | undefined): string {
  return fieldManager ? fieldManager : managerFromUserAgent(userAgent);
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrintable(ch: string): boolean {
  return ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

/** validation.ValidateFieldManager: at most 128 bytes, printable characters only. */
export function validateFieldManager(fieldManager: string | undefined, field = 'fieldManager'): FieldError[] {
  const errs: FieldError[] = [];
  if (!fieldManager) return errs;
  if (Buffer.byteLength(fieldManager, 'utf8') > FIELD_MANAGER_MAX_LENGTH) errs.push(FieldError.tooLong(field, FIELD_MANAGER_MAX_LENGTH));
  let i = 0;
  for (const ch of fieldManager) {
    if (!isPrintable(ch)) {
      const cp = ch.codePointAt(0)!;
      const name = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
      errs.push(FieldError.invalid(field, fieldManager, `invalid character ${name} (at position ${i})`));
    }
    i += Buffer.byteLength(ch, 'utf8');
  }
  return errs;
}

/**
 * kube-apiserver's ValidatePatchOptions: apply needs a field manager, other
 * patches may not force. Throws 422 Invalid on `PatchOptions.meta.k8s.io`
 * (`PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`).
 */
export function validatePatchOptions(options: { patchType: 'json' | 'merge' | 'strategic' | 'apply'; fieldManager?: string; force?: boolean }): void {
  const errs: FieldError[] = [];
  if (options.patchType !== 'apply') {
    if (options.force !== undefined) errs.push(FieldError.forbidden('force', 'may not be specified for non-apply patch'));
  } else if (!options.fieldManager) {
    errs.push(FieldError.required('fieldManager', 'is required for apply patch'));
  }
  errs.push(...validateFieldManager(options.fieldManager));
  if (errs.length === 0) return;
  const text = errs.map(String);
  const joined = text.length === 1 ? text[0] : `[${text.join(', ')}]`;
  throw new ApiError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${joined}`, {
    group: 'meta.k8s.io',
    kind: 'PatchOptions',
    causes: errs.map((e) => e.toCause()),
  });
}

// ------------------------------------------------------------ ordinary writes

export interface UpdateManagedFieldsRequest extends PatchSchema {
  /** The object before the write; undefined on create. */
  readonly old: KubeObject | undefined;
  /** The object about to be stored (after patching and defaulting); may carry managedFields the client sent. */
  readonly new: KubeObject;
  /** `fieldManager`, or `managerFromUserAgent(userAgent)`. */
  readonly manager: string;
  readonly operation?: 'Update';
  /** The apiVersion the client wrote with; defaults to the object's. */
  readonly apiVersion?: string;
  /** `status`, `scale`, ...; empty for the main resource. */
  readonly subresource?: string;
  readonly now: Date;
  /** Fields this write resets and so does not own; defaults from the subresource (see resetFieldsFor). */
  readonly resetFields?: readonly FieldPath[];
}

/**
 * Record an ordinary write (create, update, or a JSON/merge/strategic patch)
 * in managedFields and return the object to store (a copy of `new`).
 *
 * Fields the write changed become owned by the writer's Update entry (time
 * and apiVersion set, `subresource` when written through one) and are taken
 * from every other manager; managers left with nothing are dropped. A
 * client may send managedFields itself: a non-empty, valid list replaces the
 * stored one; `[]` (or `[{}]`) clears it; a missing or invalid list keeps the
 * stored one; writes through a subresource always keep the stored one.
 */
export function updateManagedFields(request: UpdateManagedFieldsRequest): KubeObject {
  const cursor = SchemaCursor.of(request);
  const managed = managedForWrite(request.old, request.new, !!request.subresource);
  const result = withoutManagedFields(request.new);
  const reset = resetFieldsFor(request.subresource, request.resetFields);
  const diff = compareForOwnership(cursor, request.old, result, reset);
  const changed = diff.modified.union(diff.added).union(diff.removed);
  for (const [key, mf] of managed) {
    const rest = mf.set.difference(changed);
    if (rest.isEmpty()) managed.delete(key);
    else if (!rest.equals(mf.set)) managed.set(key, { ...mf, set: rest });
  }
  const owned = diff.modified.union(diff.added).difference(diff.removed).recursiveDifference(reset).difference(UNTRACKED_FIELDS);
  if (!owned.isEmpty()) {
    const apiVersion = request.apiVersion ?? result.apiVersion ?? request.old?.apiVersion ?? '';
    const identity: ManagerIdentity = {
      manager: request.manager,
      operation: 'Update',
      apiVersion,
      ...(request.subresource ? { subresource: request.subresource } : {}),
    };
    const key = managerIdentityKey(identity);
    const previous = managed.get(key);
    managed.set(key, {
      identity,
      apiVersion,
      set: previous ? previous.set.union(owned) : owned,
      time: managedFieldsTime(request.now),
      entry: previous?.entry,
    });
  }
  capUpdateManagers(managed);
  setManagedFields(result, encodeManagedFields(managed));
  return result;
}

/** kube-apiserver's decodeLiveOrNew: whose managedFields a write starts from. */
function managedForWrite(old: KubeObject | undefined, next: KubeObject, throughSubresource: boolean): ManagedFieldSets {
  const live = (): ManagedFieldSets => decodeOrEmpty(old?.metadata?.managedFields);
  if (throughSubresource) return live();
  const sent: unknown = next.metadata?.managedFields;
  if (isReset(sent)) return new Map();
  try {
    const decoded = decodeManagedFields(sent);
    if (decoded.size > 0) return decoded;
  } catch {
    // Invalid managedFields from a client are ignored, as Kubernetes does: the stored ones stay.
  }
  return live();
}

function decodeOrEmpty(entries: unknown): ManagedFieldSets {
  try {
    return decodeManagedFields(entries);
  } catch {
    // Stored managedFields that no longer decode are dropped rather than failing every write.
    return new Map();
  }
}

/** `[]` or a single empty entry: the client asks to clear managedFields. */
function isReset(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && isObject(entries[0]) && Object.values(entries[0]).every((v) => v === undefined || v === null || v === '' || deepEqual(v, {}));
}
