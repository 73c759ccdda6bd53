/**
 * Checksummed records: the unit of both the write-ahead log and snapshots.
 *
 * On disk (little endian):
 *
 *   u32 payload length | u32 CRC32 of (the 4 length bytes + payload) | payload
 *
 * The checksum covers the length as well, so a damaged length is caught when
 * the record is read instead of being trusted. Readers report a damaged or
 * incomplete record as a value (`BadRecord`) and let the caller decide whether
 * it is a torn tail (truncate) or corruption (refuse to start): only the
 * caller knows whether the file is the one being appended to.
 */

import { crc32 } from 'node:zlib';
import { open, type FileHandle } from 'node:fs/promises';

export const RECORD_HEADER_BYTES = 8;
/** Far above any object the API server stores (etcd's default limit is 1.5 MiB). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * Fill in the header of a record whose payload has already been written at
 * `start + RECORD_HEADER_BYTES`. Writing payloads in place keeps a whole
 * group-commit batch in one buffer with no intermediate copies.
 */
export function sealRecord(buf: Buffer, start: number, payloadLength: number): void {
  buf.writeUInt32LE(payloadLength, start);
  buf.writeUInt32LE(recordChecksum(buf, start, payloadLength), start + 4);
}

function recordChecksum(buf: Buffer, start: number, payloadLength: number): number {
  const lengthCrc = crc32(buf.subarray(start, start + 4));
  const payloadStart = start + RECORD_HEADER_BYTES;
  return crc32(buf.subarray(payloadStart, payloadStart + payloadLength), lengthCrc);
}

export interface GoodRecord {
  readonly kind: 'record';
  /** File offset of the record's header. */
  readonly offset: number;
  /** The payload; valid only until the next call to `next()`. */
  readonly payload: Buffer;
}

export type BadRecordReason =
  /** Fewer than a header's bytes are left in the file. */
  | 'truncated-header'
  /** The length says the record ends past the end of the file. */
  | 'truncated-payload'
  /** A zero or absurd length: not a record boundary. */
  | 'bad-length'
  | 'checksum-mismatch';

export interface BadRecord {
  readonly kind: 'bad';
  readonly offset: number;
  readonly reason: BadRecordReason;
  /** Where the record would end, when its length is plausible. */
  readonly end?: number;
}

export type RecordRead = GoodRecord | BadRecord | { readonly kind: 'end' };

const READ_CHUNK = 1024 * 1024;

/**
 * Reads records from a file front to back through one reusable buffer, so
 * recovery of a large log or snapshot does not hold the whole file in memory.
 */
export class RecordReader {
  private buf = Buffer.allocUnsafe(READ_CHUNK);
  /** The file range currently in `buf`. */
  private bufOffset = 0;
  private bufLength = 0;
  private position = 0;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    /** The file's size when it was opened. */
    readonly size: number,
  ) {}

  static async open(path: string): Promise<RecordReader> {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      return new RecordReader(path, file, size);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** File offset of the next record. */
  get offset(): number {
    return this.position;
  }

  async next(): Promise<RecordRead> {
    const offset = this.position;
    if (offset === this.size) return { kind: 'end' };
    if (this.size - offset < RECORD_HEADER_BYTES) return { kind: 'bad', offset, reason: 'truncated-header' };
    let at = await this.fill(offset, RECORD_HEADER_BYTES);
    const length = this.buf.readUInt32LE(at);
    if (length === 0) return { kind: 'bad', offset, reason: 'bad-length' };
    const end = offset + RECORD_HEADER_BYTES + length;
    if (end > this.size) return { kind: 'bad', offset, reason: 'truncated-payload', end };
    if (length > MAX_RECORD_BYTES) return { kind: 'bad', offset, reason: 'bad-length' };
    at = await this.fill(offset, RECORD_HEADER_BYTES + length);
    const stored = this.buf.readUInt32LE(at + 4);
    if (recordChecksum(this.buf, at, length) !== stored) {
      return { kind: 'bad', offset, reason: 'checksum-mismatch', end };
    }
    this.position = end;
    return { kind: 'record', offset, payload: this.buf.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length) };
  }

  /** True if every byte from `offset` to the end of the file is zero. */
  async zeroFrom(offset: number): Promise<boolean> {
    for (let at = offset; at < this.size; ) {
      const n = Math.min(READ_CHUNK, this.size - at);
      const i = await this.fill(at, n);
      for (let k = i; k < i + n; k++) if (this.buf[k] !== 0) return false;
      at += n;
    }
    return true;
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  /**
   * Make file bytes [offset, offset + length) available in `buf` and return
   * the index of `offset` in it.
   */
  private async fill(offset: number, length: number): Promise<number> {
    if (offset >= this.bufOffset && offset + length <= this.bufOffset + this.bufLength) {
      return offset - this.bufOffset;
    }
    if (length > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(length, READ_CHUNK));
    const want = Math.min(this.buf.length, this.size - offset);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.file.read(this.buf, got, want - got, offset + got);
      if (bytesRead === 0) break; // the file shrank under us; callers see a short buffer below
      got += bytesRead;
    }
    this.bufOffset = offset;
    this.bufLength = got;
    if (got < length) {
      throw new Error(`${this.path}: file ended at ${offset + got} while reading ${length} bytes at offset ${offset}`);
    }
    return 0;
  }
}
