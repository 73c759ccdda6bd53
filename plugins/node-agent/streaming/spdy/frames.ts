/**
 * SPDY/3 frames, the part kubectl's SPDY library (moby/spdystream, a SPDY/3
 * framer behind an `Upgrade: SPDY/3.1` handshake) sends and expects.
 *
 *   control: |1|version(15)|type(16)|flags(8)|length(24)|payload
 *   data:    |0|stream-id(31)|flags(8)|length(24)|payload
 *
 * Only framing lives here; header blocks are compressed elsewhere
 * (header-block.ts) because that needs the connection's zlib context.
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

/** FIN on data, SYN_STREAM, SYN_REPLY and HEADERS: the sender will send nothing more on the stream. */
export const FLAG_FIN = 0x01;
/** SYN_STREAM: the receiver may not send on the stream. */
export const FLAG_UNIDIRECTIONAL = 0x02;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  /** What spdystream's Reset() sends (kubectl resets every stream when it closes the connection). */
  Cancel: 5,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
} as const;

export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

const HEADER_BYTES = 8;
/** 24-bit length field. */
export const MAX_PAYLOAD = 0xffffff;

export type Frame =
  | { readonly kind: 'data'; readonly streamId: number; readonly flags: number; readonly payload: Buffer }
  | { readonly kind: 'control'; readonly version: number; readonly type: number; readonly flags: number; readonly payload: Buffer };

/** Cuts a byte stream into frames. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** The frames completed by this chunk, in order. */
  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (this.buffered.length - offset >= HEADER_BYTES) {
      const length = this.buffered.readUIntBE(offset + 5, 3);
      if (this.buffered.length - offset < HEADER_BYTES + length) break;
      const first = this.buffered.readUInt32BE(offset);
      const flags = this.buffered[offset + 4];
      // Copied out: the connection keeps payloads (stdin) while the rest of the buffer moves on.
      const payload = Buffer.from(this.buffered.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length));
      if (first & 0x80000000) {
        frames.push({ kind: 'control', version: (first >>> 16) & 0x7fff, type: first & 0xffff, flags, payload });
      } else {
        frames.push({ kind: 'data', streamId: first & 0x7fffffff, flags, payload });
      }
      offset += HEADER_BYTES + length;
    }
    this.buffered = offset === this.buffered.length ? Buffer.alloc(0) : this.buffered.subarray(offset);
    return frames;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.buffered.length;
  }
}

function frameHeader(first: number, flags: number, length: number): Buffer {
  if (length > MAX_PAYLOAD) throw new RangeError(`SPDY frame payload of ${length} bytes exceeds the 24-bit length field`);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(first >>> 0, 0);
  header.writeUInt32BE(((flags & 0xff) << 24 | length) >>> 0, 4);
  return header;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader((0x8000 | SPDY_VERSION) << 16 | type, flags, payload.length), payload]);
}

export function dataFrame(streamId: number, payload: Buffer, fin: boolean): Buffer {
  return Buffer.concat([frameHeader(streamId & 0x7fffffff, fin ? FLAG_FIN : 0, payload.length), payload]);
}

export function synReplyFrame(streamId: number, compressedHeaders: Buffer, fin = false): Buffer {
  const payload = Buffer.allocUnsafe(4 + compressedHeaders.length);
  payload.writeUInt32BE(streamId & 0x7fffffff, 0);
  compressedHeaders.copy(payload, 4);
  return controlFrame(FrameType.SynReply, fin ? FLAG_FIN : 0, payload);
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(streamId & 0x7fffffff, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(FrameType.RstStream, 0, payload);
}

export function pingFrame(id: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(id >>> 0, 0);
  return controlFrame(FrameType.Ping, 0, payload);
}

export function goAwayFrame(lastGoodStreamId: number, status: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(FrameType.GoAway, 0, payload);
}

export interface SynStream {
  readonly streamId: number;
  readonly associatedTo: number;
  readonly priority: number;
  /** Still compressed. */
  readonly headerBlock: Buffer;
}

export function parseSynStream(payload: Buffer): SynStream {
  if (payload.length < 10) throw new SpdyProtocolError(`SYN_STREAM payload of ${payload.length} bytes is shorter than its 10 fixed bytes`);
  return {
    streamId: payload.readUInt32BE(0) & 0x7fffffff,
    associatedTo: payload.readUInt32BE(4) & 0x7fffffff,
    priority: payload[8] >>> 5,
    headerBlock: payload.subarray(10),
  };
}

/** The 32-bit words a fixed-size control frame carries (RST_STREAM, PING, GOAWAY, WINDOW_UPDATE). */
export function words(payload: Buffer, count: number, frameName: string): number[] {
  if (payload.length < count * 4) throw new SpdyProtocolError(`${frameName} payload of ${payload.length} bytes is shorter than ${count * 4}`);
  return Array.from({ length: count }, (_, i) => payload.readUInt32BE(i * 4));
}

/**
 * A name/value header block before compression (SPDY/3 §2.6.10): a 32-bit
 * count, then length-prefixed names and values; several values of one name
 * are joined with NUL. Names are lower case (the Go framer rejects others).
 */
export function encodeHeaderBlock(headers: ReadonlyMap<string, readonly string[]>): Buffer {
  const parts: Buffer[] = [u32(headers.size)];
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let offset = 0;
  const take = (length: number, what: string): Buffer => {
    if (offset + length > block.length) throw new SpdyProtocolError(`header block ends inside ${what}`);
    const slice = block.subarray(offset, offset + length);
    offset += length;
    return slice;
  };
  const count = take(4, 'the header count').readUInt32BE(0);
  for (let i = 0; i < count; i++) {
    const name = take(take(4, 'a name length').readUInt32BE(0), 'a header name').toString('utf8').toLowerCase();
    const value = take(take(4, 'a value length').readUInt32BE(0), 'a header value').toString('utf8');
    headers.set(name, [...(headers.get(name) ?? []), ...value.split('\0')]);
  }
  return headers;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** A peer that broke the framing: the connection cannot continue. */
export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}
