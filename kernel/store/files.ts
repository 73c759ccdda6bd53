/**
 * The data directory's layout and the fsync helpers every file in it goes
 * through, so that the store can count its syncs (a metric, and how the tests
 * check group commit).
 *
 *   LOCK                      pid of the process that has the directory open
 *   wal-<seq>.log             log segments, replayed in `seq` order
 *   snap-<revision>.snap      the full state at `revision`
 *   snap-<revision>.snap.tmp  a snapshot being written (ignored, removed on open)
 *
 * Numbers are zero-padded decimal, so names sort like their numbers.
 */

import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = 'LOCK';
const SEGMENT = /^wal-(\d{16})\.log$/;
const SNAPSHOT = /^snap-(\d{16})\.snap$/;
const SNAPSHOT_TEMP = /^snap-\d{16}\.snap\.tmp$/;

export function segmentName(seq: number): string {
  return `wal-${pad(seq)}.log`;
}

export function snapshotName(revision: number): string {
  return `snap-${pad(revision)}.snap`;
}

function pad(n: number): string {
  return String(n).padStart(16, '0');
}

export interface DataDirListing {
  /** Log segments, oldest first. */
  readonly segments: { readonly seq: number; readonly path: string }[];
  /** Snapshots, newest first. */
  readonly snapshots: { readonly revision: number; readonly path: string }[];
  /** Unfinished snapshot files left by a crash. */
  readonly temporaries: string[];
}

export async function listDataDir(dir: string): Promise<DataDirListing> {
  const segments: { seq: number; path: string }[] = [];
  const snapshots: { revision: number; path: string }[] = [];
  const temporaries: string[] = [];
  for (const name of await readdir(dir)) {
    let m: RegExpExecArray | null;
    if ((m = SEGMENT.exec(name))) segments.push({ seq: Number(m[1]), path: join(dir, name) });
    else if ((m = SNAPSHOT.exec(name))) snapshots.push({ revision: Number(m[1]), path: join(dir, name) });
    else if (SNAPSHOT_TEMP.test(name)) temporaries.push(join(dir, name));
  }
  segments.sort((a, b) => a.seq - b.seq);
  snapshots.sort((a, b) => b.revision - a.revision);
  return { segments, snapshots, temporaries };
}

/** Counts of the store's syncs, by kind. */
export interface SyncCounters {
  /** fdatasync of the write-ahead log: one per group-commit batch. */
  walSyncs: number;
  /** Every other fsync: snapshots, directories, truncation. */
  otherSyncs: number;
}

/** fsync a file (metadata too: used when a file is created, truncated or finished). */
export async function syncFile(file: FileHandle, counters: SyncCounters): Promise<void> {
  counters.otherSyncs++;
  await file.sync();
}

/**
 * fsync a directory, making creates, renames and deletes in it durable. A new
 * file's own fsync does not promise that its directory entry survives a crash.
 */
export async function syncDir(dir: string, counters: SyncCounters): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    counters.otherSyncs++;
    await handle.sync();
  } finally {
    await handle.close();
  }
}
