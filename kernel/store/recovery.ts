/**
 * Rebuilding the key space from the data directory: the newest snapshot that
 * reads back intact, then every log record after its revision, in order.
 *
 * A torn record at the end of the last segment (a crash during a write that
 * was never acknowledged) is cut off; any other damage, or a gap in the
 * revisions, fails with the file and offset, because continuing would
 * silently lose acknowledged writes.
 */

import { unlink } from 'node:fs/promises';
import { listDataDir, type SyncCounters } from './files';
import type { HistoryOptions } from './history';
import { Keyspace, nextKeyValue } from './keyspace';
import { readSnapshot } from './snapshot';
import { StoreError } from './types';
import { corruptLog, scanSegment, truncateSegment, type WalEntry } from './wal';

export interface Recovered {
  readonly keyspace: Keyspace;
  /** The segment to append to, and its valid length. */
  readonly segment: number;
  readonly segmentBytes: number;
  /** Records and bytes of log after the snapshot (they count towards the next one). */
  readonly logRecords: number;
  readonly logBytes: number;
  /** Where a torn tail was cut off, if one was. */
  readonly truncated?: { readonly path: string; readonly offset: number };
}

export async function recover(dir: string, history: HistoryOptions, counters: SyncCounters): Promise<Recovered> {
  const listing = await listDataDir(dir);
  for (const temp of listing.temporaries) await unlink(temp);

  let keyspace: Keyspace | undefined;
  let skipped: StoreError | undefined;
  for (const snapshot of listing.snapshots) {
    const candidate = new Keyspace(history, snapshot.revision);
    try {
      await readSnapshot(snapshot.path, snapshot.revision, (kv) => candidate.load(kv));
      keyspace = candidate;
      break;
    } catch (err) {
      // Try the next older one; if the log no longer reaches back to it, the
      // replay below fails and reports this error as the cause.
      skipped ??= asStoreError(err, `cannot read snapshot ${snapshot.path}`);
    }
  }
  if (keyspace === undefined) {
    if (skipped) throw skipped;
    keyspace = new Keyspace(history, 0);
  }
  const state = keyspace;

  let logRecords = 0;
  let logBytes = 0;
  let truncated: Recovered['truncated'];
  const apply = (entry: WalEntry, path: string, offset: number): void => {
    logRecords++;
    if (entry.op === 'compact') {
      if (entry.revision > state.revision) {
        throw corruptLog(path, offset, `compaction to revision ${entry.revision} is ahead of revision ${state.revision}`);
      }
      state.history.compact(entry.revision);
      return;
    }
    if (entry.revision <= state.revision) return; // already in the snapshot
    if (entry.revision !== state.revision + 1) {
      const reason = `expected revision ${state.revision + 1}, found ${entry.revision}: records are missing`;
      throw corruptLog(path, offset, skipped ? `${reason} (${skipped.message})` : reason, skipped);
    }
    if (entry.op === 'put') {
      state.applyPut(nextKeyValue(state.get(entry.key), entry.key, entry.value, entry.revision));
    } else {
      if (state.get(entry.key) === undefined) {
        throw corruptLog(path, offset, `delete of key ${entry.key}, which does not exist`);
      }
      state.applyDelete(entry.key, entry.revision);
    }
  };

  const segments = listing.segments;
  let segmentBytes = 0;
  for (let i = 0; i < segments.length; i++) {
    const { path } = segments[i]!;
    const last = i === segments.length - 1;
    const scan = await scanSegment(path, last, (entry, offset) => apply(entry, path, offset));
    if (scan.torn) {
      await truncateSegment(path, scan.validBytes, counters);
      truncated = { path, offset: scan.validBytes };
    }
    logBytes += scan.validBytes;
    segmentBytes = scan.validBytes;
  }
  return {
    keyspace: state,
    segment: segments.length > 0 ? segments[segments.length - 1]!.seq : 1,
    segmentBytes,
    logRecords,
    logBytes,
    truncated,
  };
}

function asStoreError(err: unknown, message: string): StoreError {
  return err instanceof StoreError ? err : new StoreError('Unavailable', `${message}: ${(err as Error).message}`, { cause: err });
}
