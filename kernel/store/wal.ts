/**
 * The write-ahead log: every change is appended here, and fsynced, before the
 * store acknowledges it or shows it to anyone.
 *
 * The log is a series of segment files of records (see `record.ts`). A
 * snapshot starts a new segment, and segments older than the newest snapshot
 * are deleted. One record holds one entry; its payload (little endian):
 *
 *   u8 op (1 put, 2 delete, 3 compact) | u48 revision
 *   put:    u32 key bytes | key (UTF-8) | value (UTF-8, the rest)
 *   delete: u32 key bytes | key (UTF-8)
 *
 * For compact, `revision` is the revision compacted to (it bumps nothing).
 * createRevision and version are not stored: replaying puts in order on top of
 * the snapshot recomputes them exactly.
 *
 * Binary rather than JSON because the values are already JSON text: quoting
 * them again would grow every record and cost a parse on recovery.
 */

import { open, truncate as truncateFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RECORD_HEADER_BYTES, RecordReader, sealRecord, type BadRecord } from './record';
import { segmentName, syncDir, syncFile, type SyncCounters } from './files';
import { StoreError } from './types';

export type WalEntry =
  | { readonly op: 'put'; readonly revision: number; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly revision: number; readonly key: string }
  | { readonly op: 'compact'; readonly revision: number };

const OP_PUT = 1;
const OP_DELETE = 2;
const OP_COMPACT = 3;
const FIXED_BYTES = 1 + 6; // op + revision
const KEY_LENGTH_BYTES = 4;

/** One buffer holding the records for `entries`, ready for a single write. */
export function encodeEntries(entries: readonly WalEntry[]): Buffer {
  // Byte lengths first, so that the buffer is allocated once and strings are
  // encoded straight into it.
  const keyBytes = new Array<number>(entries.length);
  const valueBytes = new Array<number>(entries.length);
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    let payload = FIXED_BYTES;
    if (e.op !== 'compact') {
      keyBytes[i] = Buffer.byteLength(e.key, 'utf8');
      payload += KEY_LENGTH_BYTES + keyBytes[i]!;
      if (e.op === 'put') {
        valueBytes[i] = Buffer.byteLength(e.value, 'utf8');
        payload += valueBytes[i]!;
      }
    }
    total += RECORD_HEADER_BYTES + payload;
  }
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const start = at;
    let p = start + RECORD_HEADER_BYTES;
    buf[p] = e.op === 'put' ? OP_PUT : e.op === 'delete' ? OP_DELETE : OP_COMPACT;
    buf.writeUIntLE(e.revision, p + 1, 6);
    p += FIXED_BYTES;
    if (e.op !== 'compact') {
      buf.writeUInt32LE(keyBytes[i]!, p);
      p += KEY_LENGTH_BYTES;
      p += buf.write(e.key, p, 'utf8');
      if (e.op === 'put') p += buf.write(e.value, p, 'utf8');
    }
    sealRecord(buf, start, p - start - RECORD_HEADER_BYTES);
    at = p;
  }
  return buf;
}

/** Decode one record's payload; a string describes why it is not an entry. */
export function decodeEntry(payload: Buffer): WalEntry | string {
  if (payload.length < FIXED_BYTES) return `payload of ${payload.length} bytes is too short for an entry`;
  const op = payload[0];
  const revision = payload.readUIntLE(1, 6);
  if (op === OP_COMPACT) return { op: 'compact', revision };
  if (op !== OP_PUT && op !== OP_DELETE) return `unknown entry type ${op}`;
  if (payload.length < FIXED_BYTES + KEY_LENGTH_BYTES) return 'entry is too short for its key length';
  const keyLength = payload.readUInt32LE(FIXED_BYTES);
  const keyEnd = FIXED_BYTES + KEY_LENGTH_BYTES + keyLength;
  if (keyEnd > payload.length) return `key length ${keyLength} runs past the entry`;
  const key = payload.toString('utf8', FIXED_BYTES + KEY_LENGTH_BYTES, keyEnd);
  if (op === OP_DELETE) {
    if (keyEnd !== payload.length) return 'delete entry has trailing bytes';
    return { op: 'delete', revision, key };
  }
  return { op: 'put', revision, key, value: payload.toString('utf8', keyEnd) };
}

export function corruptLog(path: string, offset: number, reason: string, cause?: unknown): StoreError {
  return new StoreError('Unavailable', `corrupt write-ahead log ${path} at offset ${offset}: ${reason}`, { cause });
}

export interface SegmentScan {
  /** Bytes of complete, valid records. */
  readonly validBytes: number;
  /** Set when a torn tail was found (and must be truncated at `validBytes`). */
  readonly torn?: BadRecord;
}

/**
 * Feed every entry of a segment to `onEntry`, in order.
 *
 * Only the segment being appended to can end in a torn record: the store
 * writes one batch at a time and starts the next only after the previous one
 * is fsynced, so at a crash only the last write is incomplete. A bad record
 * there is a torn tail when nothing readable follows it: it runs past the end
 * of the file, it is the last record, or only zeros follow (a file extended
 * but not written). Anything else, in any segment, is corruption and fails
 * with the file and offset rather than silently dropping acknowledged writes.
 */
export async function scanSegment(
  path: string,
  appendable: boolean,
  onEntry: (entry: WalEntry, offset: number) => void,
): Promise<SegmentScan> {
  const reader = await RecordReader.open(path);
  try {
    for (;;) {
      const read = await reader.next();
      if (read.kind === 'end') return { validBytes: reader.offset };
      if (read.kind === 'bad') {
        if (appendable && (await isTornTail(reader, read))) return { validBytes: read.offset, torn: read };
        throw corruptLog(path, read.offset, describeBad(read));
      }
      const entry = decodeEntry(read.payload);
      if (typeof entry === 'string') throw corruptLog(path, read.offset, entry);
      onEntry(entry, read.offset);
    }
  } finally {
    await reader.close();
  }
}

async function isTornTail(reader: RecordReader, bad: BadRecord): Promise<boolean> {
  switch (bad.reason) {
    case 'truncated-header':
    case 'truncated-payload':
      return true;
    case 'bad-length':
      return reader.zeroFrom(bad.offset);
    case 'checksum-mismatch':
      return bad.end === reader.size || reader.zeroFrom(bad.end!);
  }
}

function describeBad(bad: BadRecord): string {
  switch (bad.reason) {
    case 'truncated-header':
      return 'record header cut short';
    case 'truncated-payload':
      return `record runs past the end of the file (to ${bad.end})`;
    case 'bad-length':
      return 'record length is zero or implausibly large';
    case 'checksum-mismatch':
      return 'record checksum mismatch';
  }
}

/** Cut a torn tail off a segment, durably, before anything is appended after it. */
export async function truncateSegment(path: string, length: number, counters: SyncCounters): Promise<void> {
  await truncateFile(path, length);
  const file = await open(path, 'r+');
  try {
    await syncFile(file, counters);
  } finally {
    await file.close();
  }
}

export interface WalWriterOptions {
  readonly fsync: boolean;
  readonly counters: SyncCounters;
}

/**
 * Appends batches to the current segment. The store calls `append` for one
 * batch at a time; the group commit lives in the store, which decides what a
 * batch is.
 */
export class WalWriter {
  private constructor(
    private readonly dir: string,
    private file: FileHandle,
    private seq: number,
    private bytes: number,
    private readonly options: WalWriterOptions,
  ) {}

  /** Open segment `seq` for appending (creating it if needed); `bytes` is its current length. */
  static async open(dir: string, seq: number, bytes: number, options: WalWriterOptions): Promise<WalWriter> {
    const file = await WalWriter.openSegment(dir, seq, bytes === 0, options);
    return new WalWriter(dir, file, seq, bytes, options);
  }

  private static async openSegment(dir: string, seq: number, fresh: boolean, options: WalWriterOptions): Promise<FileHandle> {
    const file = await open(join(dir, segmentName(seq)), 'a');
    // A new segment's directory entry must be durable before any record in it
    // is acknowledged.
    if (fresh && options.fsync) await syncDir(dir, options.counters);
    return file;
  }

  /** Sequence number of the segment being appended to. */
  get segment(): number {
    return this.seq;
  }

  get path(): string {
    return join(this.dir, segmentName(this.seq));
  }

  /** Bytes in the current segment. */
  get segmentBytes(): number {
    return this.bytes;
  }

  /** Write `buf` and fdatasync it (unless fsync is off): one batch, one sync. */
  async append(buf: Buffer): Promise<void> {
    let written = 0;
    while (written < buf.length) {
      const { bytesWritten } = await this.file.write(buf, written, buf.length - written);
      written += bytesWritten;
    }
    this.bytes += buf.length;
    if (this.options.fsync) {
      this.options.counters.walSyncs++;
      await this.file.datasync();
    }
  }

  /** Start segment `seq + 1`; returns the sequence number of the segment it closed. */
  async roll(): Promise<number> {
    const next = await WalWriter.openSegment(this.dir, this.seq + 1, true, this.options);
    const old = this.file;
    const oldSeq = this.seq;
    this.file = next;
    this.seq++;
    this.bytes = 0;
    await old.close();
    return oldSeq;
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}
