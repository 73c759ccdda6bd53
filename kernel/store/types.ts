/**
 * The Store: a revisioned key-value store shaped like etcd's v3 API.
 *
 * Every write bumps one global revision counter. A key remembers the revision
 * that created it (`createRevision`), the revision of its last change
 * (`modRevision`) and how many times it has changed since it was created
 * (`version`). The API server uses `modRevision` as an object's
 * resourceVersion and the store revision as a list's resourceVersion.
 *
 * Implementations: the embedded store (`kernel/store/embedded.ts`) and the etcd
 * store (a plugin). Both must pass `test/kernel/store/contract.ts`.
 */

export interface KeyValue {
  readonly key: string;
  /** The stored bytes, as text (the API server stores JSON). */
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  /** 1 on create, +1 on each update. */
  readonly version: number;
}

export interface RangeOptions {
  /** Keys starting with this prefix. */
  readonly prefix: string;
  /** Only keys strictly greater than this one (for paging: the last key of the previous page). */
  readonly startAfter?: string;
  /** At most this many keys (0 or absent: no limit). */
  readonly limit?: number;
  /**
   * Read the state as of this revision instead of the latest. Fails with
   * `StoreError` code `Compacted` if the revision is older than the store keeps
   * history for, and `FutureRevision` if it is newer than the current one.
   */
  readonly revision?: number;
}

export interface RangeResult {
  readonly items: KeyValue[];
  /** True when more keys match beyond `limit`. */
  readonly more: boolean;
  /** How many matching keys remain after this page (0 when `more` is false). */
  readonly remaining: number;
  /** The revision the read was served at. */
  readonly revision: number;
}

export type WatchEventType = 'put' | 'delete';

export interface WatchEvent {
  readonly type: WatchEventType;
  /** For put: the new value. For delete: the key with the revision of the delete as modRevision and an empty value. */
  readonly kv: KeyValue;
  /** The value before this event (absent on create). */
  readonly prevKv?: KeyValue;
  /** The revision of this event (equal to kv.modRevision). */
  readonly revision: number;
}

export interface WatchOptions {
  /** Keys starting with this prefix (an exact key is a prefix too; use `key` for an exact match). */
  readonly prefix?: string;
  /** Exactly this key. */
  readonly key?: string;
  /**
   * Deliver every event with revision > `afterRevision`, in order, then live
   * events. If history no longer reaches back to `afterRevision + 1` the watch
   * fails at once with `StoreError` code `Compacted`.
   * Absent: only events after the current revision.
   */
  readonly afterRevision?: number;
}

export interface WatchHandlers {
  /** Events in revision order, each delivered once. */
  onEvents(events: WatchEvent[]): void;
  /** The watch ended because of an error (Compacted, store closed); no more events follow. */
  onError?(err: StoreError): void;
}

export interface Watcher {
  /** Stop delivering events. Idempotent. */
  cancel(): void;
}

export type StoreErrorCode =
  /** create: the key already exists. */
  | 'KeyExists'
  /** update/delete: the key does not exist. */
  | 'KeyNotFound'
  /** update/delete with an expected modRevision that is not the current one. */
  | 'RevisionMismatch'
  /** A read or watch at a revision the store no longer keeps. */
  | 'Compacted'
  /** A read at a revision newer than the store has. */
  | 'FutureRevision'
  /** The store is closed or failed to persist. */
  | 'Unavailable';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

export interface Store {
  /** The latest key value, or undefined. */
  get(key: string): Promise<KeyValue | undefined>;

  /**
   * Optional: resolves once no write to `key` is waiting to become durable.
   * A store whose writes are checked against pending writes while reads see
   * durable ones only (the embedded store) offers it, so that a
   * read-modify-write that lost to a pending write can wait for it before
   * reading again, instead of spinning.
   */
  settled?(key: string): Promise<void>;

  /** Keys with a prefix, sorted by key, optionally paged and at a past revision. */
  range(options: RangeOptions): Promise<RangeResult>;

  /** Create `key` if absent; fails with `KeyExists`. Resolves once durable. */
  create(key: string, value: string): Promise<KeyValue>;

  /**
   * Replace `key`. With `expectedModRevision`, only if the key's modRevision
   * equals it (`RevisionMismatch` otherwise). Fails with `KeyNotFound` if absent.
   * Resolves once durable.
   */
  update(key: string, value: string, expectedModRevision?: number): Promise<KeyValue>;

  /**
   * Delete `key`, optionally only at `expectedModRevision`. Resolves to the
   * deleted value once durable; fails with `KeyNotFound` if absent.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;

  /** Watch a key or a prefix from a revision. */
  watch(options: WatchOptions, handlers: WatchHandlers): Watcher;

  /** Forget history at and before `revision` (reads and watches there get `Compacted`). */
  compact(revision: number): Promise<void>;

  /** The current (latest durable) revision. */
  currentRevision(): number;

  /** The oldest revision a watch or read can still start after. */
  compactedRevision(): number;

  /** Flush, stop watches (their onError gets `Unavailable`), release files. */
  close(): Promise<void>;
}
