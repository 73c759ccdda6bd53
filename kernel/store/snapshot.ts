/**
 * Snapshots: the full key space at one revision, so that recovery replays a
 * short log instead of every change ever made, and old log segments can go.
 *
 * A snapshot is a file of records (see `record.ts`): a header, then one record
 * per key in key order. Payloads (little endian):
 *
 *   header: u8 1 | JSON {"format":"skiff-snapshot","version":1,"revision","compacted","count"}
 *   key:    u8 2 | u48 createRevision | u48 modRevision | u32 version | u32 key bytes | key | value
 *
 * It is written to `<name>.tmp`, fsynced, renamed into place, and the
 * directory fsynced, so a snapshot file either is complete or does not exist.
 * Writing goes a chunk of keys at a time with awaits in between, so writers
 * keep committing while a large snapshot is written.
 */

import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RECORD_HEADER_BYTES, RecordReader, sealRecord } from './record';
import { snapshotName, syncDir, syncFile, type SyncCounters } from './files';
import { StoreError, type KeyValue } from './types';

const KIND_HEADER = 1;
const KIND_KEY = 2;
const FORMAT = 'skiff-snapshot';
const VERSION = 1;
const KEY_FIXED_BYTES = 1 + 6 + 6 + 4 + 4;
/** Keys per write: about 1 MB of ConfigMaps, a few milliseconds of encoding. */
const CHUNK_KEYS = 1000;

export interface SnapshotHeader {
  readonly revision: number;
  /** The store's compacted revision when the snapshot was taken. */
  readonly compacted: number;
  readonly count: number;
}

export interface SnapshotWriteOptions {
  readonly fsync: boolean;
  readonly counters: SyncCounters;
  /** Abandon the snapshot (the temporary file is removed); the promise rejects. */
  readonly signal?: AbortSignal;
}

/**
 * Write `entries` (sorted by key, all as of `header.revision`) as the
 * snapshot for that revision. Returns its path and size.
 */
export async function writeSnapshot(
  dir: string,
  header: Omit<SnapshotHeader, 'count'>,
  entries: readonly KeyValue[],
  options: SnapshotWriteOptions,
): Promise<{ path: string; bytes: number }> {
  const path = join(dir, snapshotName(header.revision));
  const temp = `${path}.tmp`;
  const file = await open(temp, 'w');
  let bytes = 0;
  let done = false;
  try {
    const json = Buffer.from(JSON.stringify({ format: FORMAT, version: VERSION, ...header, count: entries.length }));
    const head = Buffer.allocUnsafe(RECORD_HEADER_BYTES + 1 + json.length);
    head[RECORD_HEADER_BYTES] = KIND_HEADER;
    json.copy(head, RECORD_HEADER_BYTES + 1);
    sealRecord(head, 0, 1 + json.length);
    bytes += await writeAll(file, head);
    for (let i = 0; i < entries.length; i += CHUNK_KEYS) {
      options.signal?.throwIfAborted();
      bytes += await writeAll(file, encodeKeys(entries, i, Math.min(entries.length, i + CHUNK_KEYS)));
    }
    options.signal?.throwIfAborted();
    if (options.fsync) await syncFile(file, options.counters);
    await file.close();
    await rename(temp, path);
    if (options.fsync) await syncDir(dir, options.counters);
    done = true;
    return { path, bytes };
  } finally {
    if (!done) {
      await file.close().catch(() => undefined); // already closed, or the earlier error is the one to report
      await unlink(temp).catch(() => undefined); // a leftover .tmp is removed on the next open anyway
    }
  }
}

async function writeAll(file: FileHandle, buf: Buffer): Promise<number> {
  let written = 0;
  while (written < buf.length) {
    const { bytesWritten } = await file.write(buf, written, buf.length - written);
    written += bytesWritten;
  }
  return buf.length;
}

function encodeKeys(entries: readonly KeyValue[], from: number, to: number): Buffer {
  const keyBytes = new Array<number>(to - from);
  const valueBytes = new Array<number>(to - from);
  let total = 0;
  for (let i = from; i < to; i++) {
    const kv = entries[i]!;
    keyBytes[i - from] = Buffer.byteLength(kv.key, 'utf8');
    valueBytes[i - from] = Buffer.byteLength(kv.value, 'utf8');
    total += RECORD_HEADER_BYTES + KEY_FIXED_BYTES + keyBytes[i - from]! + valueBytes[i - from]!;
  }
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = from; i < to; i++) {
    const kv = entries[i]!;
    const start = at;
    let p = start + RECORD_HEADER_BYTES;
    buf[p] = KIND_KEY;
    buf.writeUIntLE(kv.createRevision, p + 1, 6);
    buf.writeUIntLE(kv.modRevision, p + 7, 6);
    buf.writeUInt32LE(kv.version, p + 13);
    buf.writeUInt32LE(keyBytes[i - from]!, p + 17);
    p += KEY_FIXED_BYTES;
    p += buf.write(kv.key, p, 'utf8');
    p += buf.write(kv.value, p, 'utf8');
    sealRecord(buf, start, p - start - RECORD_HEADER_BYTES);
    at = p;
  }
  return buf;
}

function corruptSnapshot(path: string, offset: number, reason: string, cause?: unknown): StoreError {
  return new StoreError('Unavailable', `corrupt snapshot ${path} at offset ${offset}: ${reason}`, { cause });
}

/**
 * Read a snapshot, handing each key to `onKey` in key order. A snapshot is
 * complete by construction (renamed into place after fsync), so any damage,
 * including a short file, is corruption and fails naming the file and offset.
 */
export async function readSnapshot(
  path: string,
  expectedRevision: number,
  onKey: (kv: KeyValue) => void,
): Promise<SnapshotHeader> {
  const reader = await RecordReader.open(path);
  try {
    const first = await reader.next();
    if (first.kind !== 'record') throw corruptSnapshot(path, 0, first.kind === 'end' ? 'file is empty' : `bad header record (${first.reason})`);
    const header = parseHeader(first.payload);
    if (typeof header === 'string') throw corruptSnapshot(path, 0, header);
    if (header.revision !== expectedRevision) {
      throw corruptSnapshot(path, 0, `header says revision ${header.revision}, the file name ${expectedRevision}`);
    }
    let count = 0;
    let previousKey: string | undefined;
    for (;;) {
      const read = await reader.next();
      if (read.kind === 'end') break;
      if (read.kind === 'bad') throw corruptSnapshot(path, read.offset, `bad record (${read.reason})`);
      const p = read.payload;
      if (p.length < KEY_FIXED_BYTES || p[0] !== KIND_KEY) throw corruptSnapshot(path, read.offset, 'not a key record');
      const keyLength = p.readUInt32LE(17);
      if (KEY_FIXED_BYTES + keyLength > p.length) throw corruptSnapshot(path, read.offset, 'key runs past the record');
      const key = p.toString('utf8', KEY_FIXED_BYTES, KEY_FIXED_BYTES + keyLength);
      if (previousKey !== undefined && key <= previousKey) throw corruptSnapshot(path, read.offset, 'keys out of order');
      previousKey = key;
      onKey({
        key,
        value: p.toString('utf8', KEY_FIXED_BYTES + keyLength),
        createRevision: p.readUIntLE(1, 6),
        modRevision: p.readUIntLE(7, 6),
        version: p.readUInt32LE(13),
      });
      count++;
    }
    if (count !== header.count) throw corruptSnapshot(path, reader.size, `header says ${header.count} keys, file has ${count}`);
    return header;
  } finally {
    await reader.close();
  }
}

function parseHeader(payload: Buffer): SnapshotHeader | string {
  if (payload[0] !== KIND_HEADER) return 'first record is not a snapshot header';
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8', 1));
  } catch {
    return 'header is not JSON';
  }
  const h = parsed as Partial<Record<string, unknown>>;
  if (h.format !== FORMAT || h.version !== VERSION) return `unknown snapshot format ${String(h.format)} v${String(h.version)}`;
  const { revision, compacted, count } = h;
  if (!isCount(revision) || !isCount(compacted) || !isCount(count)) return 'header lacks revision, compacted or count';
  return { revision, compacted, count };
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
