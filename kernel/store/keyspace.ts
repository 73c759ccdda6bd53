/**
 * The durable state in memory: every key's latest KeyValue, the keys in
 * order, the current revision and the recent history. Only durable changes
 * are applied here (by the store after fsync, and by recovery), so everything
 * a reader sees from it has been acknowledged or is about to be.
 *
 * KeyValue objects are immutable and shared: the map, history events, watch
 * queues, snapshots in progress and callers all hold the same object, so a
 * value string is stored once however many places refer to it.
 */

import { History, type HistoryOptions } from './history';
import { SortedKeys } from './sorted-keys';
import { StoreError, type KeyValue, type RangeOptions, type RangeResult, type WatchEvent } from './types';

/** The KeyValue a put of `value` at `revision` produces on top of `prev`. */
export function nextKeyValue(prev: KeyValue | undefined, key: string, value: string, revision: number): KeyValue {
  return prev
    ? { key, value, createRevision: prev.createRevision, modRevision: revision, version: prev.version + 1 }
    : { key, value, createRevision: revision, modRevision: revision, version: 1 };
}

export class Keyspace {
  private readonly kvs = new Map<string, KeyValue>();
  private readonly keys = new SortedKeys();
  private rev: number;
  readonly history: History;

  /** A key space at `revision` with no history before it. */
  constructor(historyOptions: HistoryOptions, revision = 0) {
    this.rev = revision;
    this.history = new History(historyOptions, revision);
  }

  get revision(): number {
    return this.rev;
  }

  get size(): number {
    return this.kvs.size;
  }

  get(key: string): KeyValue | undefined {
    return this.kvs.get(key);
  }

  /** Add a key from a snapshot (no event, no revision change). */
  load(kv: KeyValue): void {
    this.kvs.set(kv.key, kv);
    this.keys.insert(kv.key);
  }

  /** Apply a put whose KeyValue is `kv` (at revision current + 1). */
  applyPut(kv: KeyValue): WatchEvent {
    this.advanceTo(kv.modRevision);
    const prev = this.kvs.get(kv.key);
    this.kvs.set(kv.key, kv);
    if (prev === undefined) this.keys.insert(kv.key);
    const event: WatchEvent = prev
      ? { type: 'put', kv, prevKv: prev, revision: kv.modRevision }
      : { type: 'put', kv, revision: kv.modRevision };
    this.history.push(event);
    return event;
  }

  /** Apply a delete of an existing key at `revision` (current + 1). */
  applyDelete(key: string, revision: number): WatchEvent {
    const prev = this.kvs.get(key);
    if (prev === undefined) throw new Error(`delete of absent key ${key} at revision ${revision}`);
    this.advanceTo(revision);
    this.kvs.delete(key);
    this.keys.delete(key);
    // As etcd reports a delete: the key, the delete's revision, nothing else.
    const event: WatchEvent = {
      type: 'delete',
      kv: { key, value: '', createRevision: 0, modRevision: revision, version: 0 },
      prevKv: prev,
      revision,
    };
    this.history.push(event);
    return event;
  }

  private advanceTo(revision: number): void {
    if (revision !== this.rev + 1) throw new Error(`revision ${revision} does not follow ${this.rev}`);
    this.rev = revision;
  }

  /** All KeyValues in key order: what a snapshot at the current revision holds. */
  entries(): KeyValue[] {
    const out = new Array<KeyValue>(this.keys.size);
    let i = 0;
    for (const key of this.keys.iterate(0, this.keys.size)) out[i++] = this.kvs.get(key)!;
    return out;
  }

  range(options: RangeOptions): RangeResult {
    this.history.expire();
    const current = this.rev;
    const at = options.revision !== undefined && options.revision > 0 ? options.revision : current;
    if (at > current) {
      throw new StoreError('FutureRevision', `revision ${at} is newer than the current revision ${current}`);
    }
    if (at < this.history.compacted) {
      throw new StoreError('Compacted', `revision ${at} has been compacted (oldest readable: ${this.history.compacted})`);
    }
    const { prefix, startAfter } = options;
    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : Infinity;
    const keys = this.keys;
    const lo = startAfter !== undefined && startAfter >= prefix ? keys.upperBound(startAfter) : keys.lowerBound(prefix);
    const hi = Math.max(lo, keys.prefixEnd(prefix));
    if (at === current) {
      const end = Math.min(hi, lo + limit);
      const items: KeyValue[] = [];
      for (const key of keys.iterate(lo, end)) items.push(this.kvs.get(key)!);
      return { items, more: end < hi, remaining: hi - end, revision: current };
    }
    return this.rangePast(at, prefix, startAfter, lo, hi, limit);
  }

  /**
   * The range as of `at`: the current keys in [lo, hi), with every key
   * changed after `at` replaced by its value before its first change since
   * (absent if that change created it).
   */
  private rangePast(at: number, prefix: string, startAfter: string | undefined, lo: number, hi: number, limit: number): RangeResult {
    const older = new Map<string, KeyValue | undefined>();
    for (const event of this.history.after(at)) {
      const key = event.kv.key;
      if (older.has(key) || !key.startsWith(prefix) || (startAfter !== undefined && key <= startAfter)) continue;
      older.set(key, event.prevKv);
    }
    let presentNow = 0;
    let presentThen = 0;
    const changed: string[] = [];
    for (const [key, kv] of older) {
      if (this.kvs.has(key)) presentNow++;
      if (kv !== undefined) {
        presentThen++;
        changed.push(key);
      }
    }
    changed.sort();
    const total = hi - lo - presentNow + presentThen;

    // Merge the unchanged current keys with the changed keys' old values.
    const items: KeyValue[] = [];
    const current = this.keys.iterate(lo, hi);
    let next = current.next();
    let c = 0;
    while (items.length < limit) {
      while (!next.done && older.has(next.value)) next = current.next();
      const a = next.done ? undefined : next.value;
      const b = changed[c];
      if (a === undefined && b === undefined) break;
      if (b === undefined || (a !== undefined && a < b)) {
        items.push(this.kvs.get(a!)!);
        next = current.next();
      } else {
        items.push(older.get(b)!);
        c++;
      }
    }
    return { items, more: items.length < total, remaining: total - items.length, revision: at };
  }
}
