/**
 * The embedded store: the whole key space in memory, made durable by a
 * write-ahead log with periodic snapshots in a data directory. It is what a
 * single-binary cluster runs on when no etcd is configured.
 *
 * Writes and visibility. A write is checked against the latest state
 * including writes not yet durable (the pending overlay), gets the next
 * revision, and joins the pending batch. One commit loop writes a batch with
 * one write and one fdatasync; whatever arrives during that sync forms the
 * next batch (group commit), so 32 concurrent writers cost about one sync per
 * round trip, not 32. Only after the sync is the batch applied to the key
 * space, published to watchers and acknowledged: readers and watchers never
 * see a write that a crash could take back.
 *
 * If a log write or sync fails, the store refuses all further writes: after a
 * failed fsync the kernel may have dropped the dirty pages, so what is on disk
 * is unknown, and retrying could acknowledge writes that are not there.
 *
 * Snapshots. After `snapshotEvery` records or `snapshotBytes` bytes of log,
 * the commit loop, between two batches, captures the key space (an array of
 * references to immutable KeyValues: the only pause writers see), starts a
 * fresh log segment and goes on committing while the snapshot is written in
 * the background; once it is durable, older segments and snapshots go.
 *
 * See `wal.ts`, `snapshot.ts`, `history.ts` and `watch.ts` for the formats and
 * bounds; `types.ts` for the contract.
 */

import { mkdir, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { listDataDir, syncDir, type SyncCounters } from './files';
import { Keyspace, nextKeyValue } from './keyspace';
import { lockDataDir, type DirLock } from './lock';
import { MAX_RECORD_BYTES } from './record';
import { recover } from './recovery';
import { writeSnapshot } from './snapshot';
import {
  StoreError,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  type WatchEvent,
  type WatchHandlers,
  type WatchOptions,
  type Watcher,
} from './types';
import { encodeEntries, WalWriter, type WalEntry } from './wal';
import { WatchHub } from './watch';

export interface EmbeddedStoreOptions {
  /** The data directory (created if missing). One store per directory. */
  readonly dir: string;
  /** Events kept for watches and past reads (default 10,000). */
  readonly historyLimit?: number;
  /** Also forget events older than this (default: no age limit). */
  readonly historyWindowMs?: number;
  /** Snapshot after this many log records (default 10,000). */
  readonly snapshotEvery?: number;
  /** ...or after this many bytes of log (default 64 MiB). */
  readonly snapshotBytes?: number;
  /**
   * fsync before acknowledging (default true). Only tests and benchmarks that
   * say so turn it off: without it an acknowledged write can be lost.
   */
  readonly fsync?: boolean;
  /** Live events a watcher may have queued and undelivered before it is ended with `Compacted` (default 10,000). */
  readonly watchBacklogLimit?: number;
  /** Time, for the history window (structurally the kernel's `Clock`). */
  readonly clock?: { now(): number };
}

export const EMBEDDED_STORE_DEFAULTS = {
  historyLimit: 10_000,
  snapshotEvery: 10_000,
  snapshotBytes: 64 * 1024 * 1024,
  watchBacklogLimit: 10_000,
} as const;

/** Counters and gauges, for metrics and for tests that check the mechanics. */
export interface EmbeddedStoreStats {
  readonly revision: number;
  readonly compactedRevision: number;
  readonly keys: number;
  readonly historyEvents: number;
  readonly watchers: number;
  /** Group-commit batches written, and the records in them. */
  readonly batches: number;
  readonly records: number;
  /** fdatasyncs of the log (one per batch when fsync is on). */
  readonly walSyncs: number;
  /** Other fsyncs: snapshots, directories, truncation. */
  readonly otherSyncs: number;
  /** The log segment being appended to, and its size. */
  readonly segment: number;
  readonly segmentBytes: number;
  readonly snapshots: number;
  readonly lastSnapshot?: SnapshotStats;
  /** Why the last snapshot failed (cleared by the next success). */
  readonly snapshotError?: string;
  /** Where recovery cut off a torn log tail when this store was opened. */
  readonly recoveredTruncation?: { readonly path: string; readonly offset: number };
}

export interface SnapshotStats {
  readonly revision: number;
  readonly keys: number;
  readonly bytes: number;
  /** The synchronous part (capturing the key space): how long writers were held up. */
  readonly captureMs: number;
  /** Writing, syncing and renaming, in the background. */
  readonly writeMs: number;
}

interface PendingWrite {
  readonly entry: WalEntry;
  /** The value a put writes (undefined for deletes and compactions). */
  readonly kv?: KeyValue;
  resolve(): void;
  reject(err: StoreError): void;
  /** Settles when the write is durable and applied, or failed (never rejects). */
  done?: Promise<void>;
}

/** Open (recovering if needed) the store in `options.dir`. */
export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const dir = resolve(options.dir);
  const fsync = options.fsync ?? true;
  const counters: SyncCounters = { walSyncs: 0, otherSyncs: 0 };
  const created = await mkdir(dir, { recursive: true });
  if (created !== undefined && fsync) await syncDir(dirname(created), counters);
  const lock = await lockDataDir(dir);
  try {
    const clock = options.clock ?? { now: () => Date.now() };
    const recovered = await recover(
      dir,
      {
        limit: options.historyLimit ?? EMBEDDED_STORE_DEFAULTS.historyLimit,
        windowMs: options.historyWindowMs,
        now: () => clock.now(),
      },
      counters,
    );
    const wal = await WalWriter.open(dir, recovered.segment, recovered.segmentBytes, { fsync, counters });
    return new EmbeddedStore(dir, options, lock, wal, recovered.keyspace, counters, {
      records: recovered.logRecords,
      bytes: recovered.logBytes,
      truncation: recovered.truncated,
    });
  } catch (err) {
    await lock.release();
    if (err instanceof StoreError) throw err;
    throw new StoreError('Unavailable', `cannot open store in ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

export class EmbeddedStore implements Store {
  private readonly fsync: boolean;
  private readonly snapshotEvery: number;
  private readonly snapshotBytes: number;
  private readonly hub: WatchHub;

  /** Writes accepted but not yet durable, in revision order. */
  private pending: PendingWrite[] = [];
  /** The latest pending write of each key: what later writes check against. */
  private readonly overlay = new Map<string, PendingWrite>();
  /** The revision given to the last accepted write (>= the durable revision). */
  private lastAssigned: number;
  /** The running commit loop, if any. */
  private committing?: Promise<void>;
  private failure?: StoreError;
  private closing?: Promise<void>;

  private logRecords: number;
  private logBytes: number;
  private snapshotWanted = false;
  /** Snapshots started (or attempted) so far: how `snapshot()` knows its request ran. */
  private snapshotAttempts = 0;
  private snapshotTask?: Promise<void>;
  private readonly snapshotAbort = new AbortController();

  private batches = 0;
  private records = 0;
  private snapshots = 0;
  private lastSnapshot?: SnapshotStats;
  private snapshotError?: StoreError;
  private readonly recoveredTruncation?: { path: string; offset: number };

  /** Use `openEmbeddedStore`. */
  constructor(
    private readonly dir: string,
    options: EmbeddedStoreOptions,
    private readonly lock: DirLock,
    private readonly wal: WalWriter,
    private readonly keyspace: Keyspace,
    private readonly counters: SyncCounters,
    recovered: { records: number; bytes: number; truncation?: { path: string; offset: number } },
  ) {
    this.fsync = options.fsync ?? true;
    this.snapshotEvery = options.snapshotEvery ?? EMBEDDED_STORE_DEFAULTS.snapshotEvery;
    this.snapshotBytes = options.snapshotBytes ?? EMBEDDED_STORE_DEFAULTS.snapshotBytes;
    this.hub = new WatchHub(options.watchBacklogLimit ?? EMBEDDED_STORE_DEFAULTS.watchBacklogLimit);
    this.lastAssigned = keyspace.revision;
    this.logRecords = recovered.records;
    this.logBytes = recovered.bytes;
    this.recoveredTruncation = recovered.truncation;
  }

  // --- reads: durable state only -------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    return this.keyspace.get(key);
  }

  async range(options: RangeOptions): Promise<RangeResult> {
    this.assertOpen();
    return this.keyspace.range(options);
  }

  currentRevision(): number {
    return this.keyspace.revision;
  }

  compactedRevision(): number {
    this.keyspace.history.expire();
    return this.keyspace.history.compacted;
  }

  // --- writes ----------------------------------------------------------------

  async create(key: string, value: string): Promise<KeyValue> {
    this.assertWritable();
    checkSize(key, value);
    if (this.latest(key) !== undefined) throw new StoreError('KeyExists', `key ${key} already exists`);
    const kv = nextKeyValue(undefined, key, value, ++this.lastAssigned);
    await this.commit({ op: 'put', revision: kv.modRevision, key, value }, kv);
    return kv;
  }

  async update(key: string, value: string, expectedModRevision?: number): Promise<KeyValue> {
    this.assertWritable();
    checkSize(key, value);
    const current = this.expect(key, expectedModRevision);
    const kv = nextKeyValue(current, key, value, ++this.lastAssigned);
    await this.commit({ op: 'put', revision: kv.modRevision, key, value }, kv);
    return kv;
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.assertWritable();
    const current = this.expect(key, expectedModRevision);
    await this.commit({ op: 'delete', revision: ++this.lastAssigned, key }, undefined);
    return current;
  }

  async compact(revision: number): Promise<void> {
    this.assertWritable();
    const current = this.keyspace.revision;
    if (revision > current) {
      throw new StoreError('FutureRevision', `cannot compact to revision ${revision}: the current revision is ${current}`);
    }
    if (revision <= this.keyspace.history.compacted) return;
    // Logged so that a restart does not serve history that was compacted away.
    await this.commit({ op: 'compact', revision }, undefined);
  }

  /** The latest value of `key`, counting writes not yet durable. */
  private latest(key: string): KeyValue | undefined {
    const pending = this.overlay.get(key);
    return pending ? pending.kv : this.keyspace.get(key);
  }

  private expect(key: string, expectedModRevision: number | undefined): KeyValue {
    const current = this.latest(key);
    if (current === undefined) throw new StoreError('KeyNotFound', `key ${key} not found`);
    if (expectedModRevision !== undefined && current.modRevision !== expectedModRevision) {
      throw new StoreError(
        'RevisionMismatch',
        `key ${key} is at modRevision ${current.modRevision}, not the expected ${expectedModRevision}`,
      );
    }
    return current;
  }

  /** Queue a write for the next batch; resolves once it is durable and applied. */
  private commit(entry: WalEntry, kv: KeyValue | undefined): Promise<void> {
    let write!: PendingWrite;
    const promise = new Promise<void>((resolve, reject) => {
      write = { entry, kv, resolve, reject };
    });
    write.done = promise.catch(() => undefined);
    this.pending.push(write);
    if (entry.op !== 'compact') this.overlay.set(entry.key, write);
    this.kick();
    return promise;
  }



  private kick(): void {
    this.committing ??= this.commitLoop();
  }

  /**
   * Write, sync and apply batches until none is pending; between batches,
   * start a snapshot when one is due. Only one loop runs at a time.
   */
  private async commitLoop(): Promise<void> {
    // Let the writes issued in this turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let batch: PendingWrite[] = [];
    // `committing` is cleared in the same synchronous step as the last
    // "nothing pending" check, so a write queued after it always starts a
    // new loop, and one queued before it is always picked up by this one.
    try {
      for (;;) {
        if (this.pending.length > 0) {
          batch = this.pending;
          this.pending = [];
          const buf = encodeEntries(batch.map((w) => w.entry));
          try {
            await this.wal.append(buf);
          } catch (err) {
            this.fail(`write-ahead log ${this.wal.path} failed`, err, batch);
            return;
          }
          this.batches++;
          this.records += batch.length;
          this.logRecords += batch.length;
          this.logBytes += buf.length;
          this.apply(batch);
          batch = [];
          if (this.logRecords >= this.snapshotEvery || this.logBytes >= this.snapshotBytes) this.snapshotWanted = true;
        }
        if (this.snapshotWanted && this.snapshotTask === undefined && this.closing === undefined) {
          this.snapshotWanted = false;
          await this.startSnapshot();
          continue;
        }
        if (this.pending.length === 0) return;
      }
    } catch (err) {
      // A bug, not an I/O error: the key space may be half updated, so stop
      // taking writes rather than build on it, and fail the waiting writers
      // instead of leaving them hanging.
      this.fail('internal error while committing', err, batch);
    } finally {
      this.committing = undefined;
    }
  }

  /** Make a durable batch visible: key space, history, watchers, then the writers. */
  private apply(batch: readonly PendingWrite[]): void {
    const events: WatchEvent[] = [];
    for (const write of batch) {
      const { entry } = write;
      if (entry.op === 'compact') {
        this.keyspace.history.compact(entry.revision);
        continue;
      }
      events.push(entry.op === 'put' ? this.keyspace.applyPut(write.kv!) : this.keyspace.applyDelete(entry.key, entry.revision));
      if (this.overlay.get(entry.key) === write) this.overlay.delete(entry.key);
    }
    if (events.length > 0) this.hub.publish(events);
    for (const write of batch) write.resolve();
  }

  private fail(what: string, err: unknown, batch: readonly PendingWrite[]): void {
    this.failure = new StoreError(
      'Unavailable',
      `${what} (${(err as Error)?.message ?? String(err)}); the store accepts no more writes`,
      { cause: err },
    );
    for (const write of batch) write.reject(this.failure);
    for (const write of this.pending) write.reject(this.failure);
    this.pending = [];
    this.overlay.clear();
  }

  // --- snapshots --------------------------------------------------------------

  /**
   * Take a snapshot now (after the current batch) and wait for it; rejects if
   * it fails. The store also takes them by itself, by the thresholds.
   */
  async snapshot(): Promise<void> {
    this.assertWritable();
    const ticket = this.snapshotAttempts + 1;
    this.snapshotWanted = true;
    this.kick();
    // A snapshot already running may predate the caller's writes: wait for
    // one started after this call.
    while (this.snapshotAttempts < ticket) {
      this.assertWritable();
      if (!this.committing && !this.snapshotTask) this.kick();
      await (this.committing ?? this.snapshotTask);
    }
    await this.snapshotTask;
    if (this.snapshotError) throw this.snapshotError;
  }

  /** Capture the key space, start a new segment, and write the snapshot in the background. */
  private async startSnapshot(): Promise<void> {
    const started = performance.now();
    const entries = this.keyspace.entries();
    const revision = this.keyspace.revision;
    const compacted = this.keyspace.history.compacted;
    const captureMs = performance.now() - started;
    let closedSegment: number;
    try {
      closedSegment = await this.wal.roll();
    } catch (err) {
      // Absorbed: appending simply continues in the current segment, and the
      // next threshold tries again. Reported through stats().snapshotError.
      this.snapshotError = new StoreError('Unavailable', `cannot start a new log segment: ${(err as Error).message}`, { cause: err });
      this.snapshotAttempts++;
      return;
    }
    this.logRecords = 0;
    this.logBytes = 0;
    this.snapshotTask = this.writeSnapshot(entries, revision, compacted, closedSegment, captureMs).finally(() => {
      this.snapshotTask = undefined;
      if (this.snapshotWanted) this.kick();
    });
    this.snapshotAttempts++;
  }

  private async writeSnapshot(
    entries: readonly KeyValue[],
    revision: number,
    compacted: number,
    closedSegment: number,
    captureMs: number,
  ): Promise<void> {
    const started = performance.now();
    try {
      const { bytes } = await writeSnapshot(this.dir, { revision, compacted }, entries, {
        fsync: this.fsync,
        counters: this.counters,
        signal: this.snapshotAbort.signal,
      });
      // The snapshot is durable: the segments it covers and older snapshots can go.
      const listing = await listDataDir(this.dir);
      for (const segment of listing.segments) if (segment.seq <= closedSegment) await unlink(segment.path);
      for (const snapshot of listing.snapshots) if (snapshot.revision < revision) await unlink(snapshot.path);
      this.snapshots++;
      this.snapshotError = undefined;
      this.lastSnapshot = { revision, keys: entries.length, bytes, captureMs, writeMs: performance.now() - started };
    } catch (err) {
      // Absorbed: every change since the previous snapshot is still in the
      // log, so a failed snapshot costs disk and recovery time, not data. The
      // next threshold tries again; stats() and snapshot() report it.
      this.snapshotError = new StoreError('Unavailable', `snapshot at revision ${revision} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  // --- watch -------------------------------------------------------------------

  watch(options: WatchOptions, handlers: WatchHandlers): Watcher {
    if (this.closing) return this.hub.refuse(handlers, closedError());
    const history = this.keyspace.history;
    history.expire();
    const after = options.afterRevision ?? this.keyspace.revision;
    if (after < history.compacted) {
      return this.hub.refuse(
        handlers,
        new StoreError('Compacted', `cannot watch from revision ${after}: history before ${history.compacted} has been compacted`),
      );
    }
    return this.hub.open({ prefix: options.prefix ?? '', key: options.key, after }, handlers, history.after(after));
  }

  // --- lifecycle ---------------------------------------------------------------

  /** Flush accepted writes, end watches with `Unavailable`, release the directory. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    while (this.committing) await this.committing;
    this.snapshotAbort.abort();
    await this.snapshotTask;
    this.hub.closeAll(closedError());
    try {
      await this.wal.close();
    } finally {
      await this.lock.release();
    }
  }

  stats(): EmbeddedStoreStats {
    return {
      revision: this.keyspace.revision,
      compactedRevision: this.keyspace.history.compacted,
      keys: this.keyspace.size,
      historyEvents: this.keyspace.history.length,
      watchers: this.hub.size,
      batches: this.batches,
      records: this.records,
      walSyncs: this.counters.walSyncs,
      otherSyncs: this.counters.otherSyncs,
      segment: this.wal.segment,
      segmentBytes: this.wal.segmentBytes,
      snapshots: this.snapshots,
      lastSnapshot: this.lastSnapshot,
      snapshotError: this.snapshotError?.message,
      recoveredTruncation: this.recoveredTruncation,
    };
  }

  /**
   * With `key`: resolves once no write to it is pending (Store.settled).
   * Without: once no batch is being committed and no snapshot is being written.
   */
  async settled(key?: string): Promise<void> {
    if (key !== undefined) {
      for (let write = this.overlay.get(key); write; write = this.overlay.get(key)) {
        await write.done;
        // A later write to the key may have taken its place in the overlay meanwhile: wait for that one too.
        if (this.overlay.get(key) === write) return;
      }
      return;
    }
    while (this.committing || this.snapshotTask) {
      await this.committing;
      await this.snapshotTask;
    }
  }

  private assertOpen(): void {
    if (this.closing) throw closedError();
  }

  private assertWritable(): void {
    if (this.closing) throw closedError();
    if (this.failure) throw this.failure;
  }
}

/**
 * Refuse a write whose log record recovery would reject as implausibly large
 * (see record.ts). Counting UTF-16 units times 3 bounds the UTF-8 size, so
 * ordinary values skip the exact count.
 */
function checkSize(key: string, value: string): void {
  const overhead = 64;
  if ((key.length + value.length) * 3 + overhead <= MAX_RECORD_BYTES) return;
  const bytes = Buffer.byteLength(key) + Buffer.byteLength(value) + overhead;
  if (bytes > MAX_RECORD_BYTES) {
    throw new StoreError('Unavailable', `key ${key}: ${bytes} bytes is more than the store's record limit of ${MAX_RECORD_BYTES}`);
  }
}

function closedError(): StoreError {
  return new StoreError('Unavailable', 'the store is closed');
}
