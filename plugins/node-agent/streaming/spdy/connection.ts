/**
 * The server end of a SPDY/3 connection, as far as kubectl uses one: the
 * client opens every stream (odd ids) and the server replies to each at once;
 * data flows both ways; PINGs are echoed; GOAWAY ends it.
 *
 * Flow control is deliberately absent. kubectl's library (spdystream) sends
 * no WINDOW_UPDATE and honours none, and so does the kubelet's: enforcing
 * SPDY/3's 64 KiB windows against it would stall every transfer after 64 KiB.
 * Back-pressure comes from the socket instead, both ways.
 */
import type { Duplex } from 'node:stream';
import {
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FrameReader,
  FrameType,
  GoAwayStatus,
  RstStatus,
  SPDY_VERSION,
  SpdyProtocolError,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  goAwayFrame,
  parseSynStream,
  pingFrame,
  rstStreamFrame,
  synReplyFrame,
  words,
  type Frame,
} from './frames';
import { HeaderCompression } from './header-block';

/** Outgoing data is cut into frames of this size, the size of Go's io.Copy buffer on the other side. */
const MAX_DATA_FRAME = 32 * 1024;

const EMPTY = Buffer.alloc(0);

/** How long a failed connection waits for its GOAWAY to be written before it is cut. */
const FAIL_LINGER_MS = 1_000;

/** One client-opened stream. */
export class SpdyStream {
  /** We sent FIN (or the stream was reset). */
  private localClosed: boolean;
  private remoteClosed: boolean;
  private buffered: Buffer[] = [];
  private onData?: (chunk: Buffer) => void;
  private onEnd?: () => void;

  constructor(
    private readonly connection: SpdyConnection,
    readonly id: number,
    readonly headers: ReadonlyMap<string, readonly string[]>,
    remoteClosed: boolean,
    unidirectional: boolean,
  ) {
    this.remoteClosed = remoteClosed;
    this.localClosed = unidirectional;
  }

  /** A header's first value (names are lower case on the wire). */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Receive what the client sends; what arrived before this call is delivered first. */
  consume(onData: (chunk: Buffer) => void, onEnd: () => void): void {
    this.onData = onData;
    this.onEnd = onEnd;
    const buffered = this.buffered;
    this.buffered = [];
    for (const chunk of buffered) onData(chunk);
    if (this.remoteClosed) onEnd();
  }

  /** Send data; `done` once it is handed to the socket (or dropped because the stream or connection is gone). */
  write(chunk: Buffer, done: () => void): void {
    if (this.localClosed) {
      done();
      return;
    }
    this.connection.sendData(this.id, chunk, false, done);
  }

  /** Half-close: FIN. Idempotent. */
  close(done: () => void = () => undefined): void {
    if (this.localClosed) {
      done();
      return;
    }
    this.localClosed = true;
    this.connection.sendData(this.id, EMPTY, true, done);
  }

  /** @internal data from the client */
  receive(chunk: Buffer): void {
    if (this.remoteClosed || chunk.length === 0) return;
    if (this.onData) this.onData(chunk);
    else this.buffered.push(chunk);
  }

  /** @internal FIN, RST_STREAM or the connection's end: nothing more will come. */
  receiveEnd(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.onEnd?.();
  }

  /** @internal RST_STREAM or the connection's end: neither side may send. */
  reset(): void {
    this.localClosed = true;
    this.receiveEnd();
  }
}

export class SpdyConnection {
  /** A stream the client opened, already replied to. */
  onStream?: (stream: SpdyStream) => void;
  /** The socket is gone (whoever closed it). */
  onClose?: () => void;

  private readonly reader = new FrameReader();
  private readonly compression = new HeaderCompression();
  private readonly streams = new Map<number, SpdyStream>();
  private inbound: Promise<void> = Promise.resolve();
  private outbound: Promise<void> = Promise.resolve();
  /** Frames waiting behind an asynchronous (compressed) one; while any do, every frame queues. */
  private queued = 0;
  private lastStreamId = 0;
  private goneAway = false;
  private closed = false;
  private readonly closedPromise: Promise<void>;

  constructor(
    private readonly socket: Duplex,
    head: Buffer,
  ) {
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', this.onSocketData);
    // HTTP servers keep sockets half-open after the client's FIN; a SPDY client never half-closes, so
    // its FIN means it has hung up. 'close' (after this, or after an error) does the cleanup.
    socket.once('end', this.onSocketEnd);
    socket.on('error', this.onSocketError);
    socket.once('close', this.onSocketClose);
    if (head.length > 0) this.onSocketData(head);
  }

  // ------------------------------------------------------------------ sending

  /** @internal */
  sendData(streamId: number, chunk: Buffer, fin: boolean, done: () => void): void {
    if (chunk.length <= MAX_DATA_FRAME) {
      this.send(dataFrame(streamId, chunk, fin), done);
      return;
    }
    for (let offset = 0; offset < chunk.length; offset += MAX_DATA_FRAME) {
      const last = offset + MAX_DATA_FRAME >= chunk.length;
      this.send(dataFrame(streamId, chunk.subarray(offset, offset + MAX_DATA_FRAME), fin && last), last ? done : undefined);
    }
  }

  /** Tell the client no further streams will be accepted (the kubelet's close). */
  goAway(done: () => void = () => undefined): void {
    this.goneAway = true;
    this.send(goAwayFrame(this.lastStreamId, GoAwayStatus.Ok), done);
  }

  pause(): void {
    if (!this.closed) this.socket.pause();
  }

  resume(): void {
    if (!this.closed) this.socket.resume();
  }

  /** Resolves when the socket has closed. */
  get whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Frames go out in the order they are sent. A SYN_REPLY needs its header
   * block compressed first (asynchronous), so frames sent meanwhile wait
   * behind it; otherwise they are written at once.
   */
  private send(frame: Buffer | Promise<Buffer>, done?: () => void): void {
    if (Buffer.isBuffer(frame) && this.queued === 0) {
      this.write(frame, done);
      return;
    }
    this.queued++;
    const ready = this.outbound.then(() => frame);
    this.outbound = ready.then(
      (f) => this.write(f, done),
      (err: unknown) => {
        done?.();
        this.fail(err);
      },
    ).finally(() => {
      this.queued--;
    });
  }

  private write(frame: Buffer, done?: () => void): void {
    if (this.closed || !this.socket.writable) {
      done?.();
      return;
    }
    this.socket.write(frame, () => done?.());
  }

  // ------------------------------------------------------------------ receiving

  private readonly onSocketData = (chunk: Buffer): void => {
    for (const frame of this.reader.push(chunk)) {
      this.inbound = this.inbound.then(() => (this.closed ? undefined : this.handle(frame))).catch((err: unknown) => this.fail(err));
    }
  };

  private async handle(frame: Frame): Promise<void> {
    if (frame.kind === 'data') {
      const stream = this.streams.get(frame.streamId);
      // Data for a stream that is gone (reset, or never opened) is dropped, as spdystream does.
      if (!stream) return;
      stream.receive(frame.payload);
      if (frame.flags & FLAG_FIN) stream.receiveEnd();
      return;
    }
    if (frame.version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${frame.version} (this server speaks SPDY/3)`);
    switch (frame.type) {
      case FrameType.SynStream:
        return this.handleSynStream(frame.flags, frame.payload);
      case FrameType.Headers:
        // Never sent by kubectl, but its block must still pass through the zlib context to keep it in step.
        if (frame.payload.length >= 4) await this.compression.decompress(frame.payload.subarray(4));
        return;
      case FrameType.RstStream: {
        const [id] = words(frame.payload, 2, 'RST_STREAM');
        const stream = this.streams.get(id & 0x7fffffff);
        this.streams.delete(id & 0x7fffffff);
        stream?.reset();
        return;
      }
      case FrameType.Ping: {
        const [id] = words(frame.payload, 1, 'PING');
        // Odd ids are the client's pings (client-go sends one every 5 s): echo them. Even ones would answer ours; we send none.
        if (id % 2 === 1) this.send(pingFrame(id));
        return;
      }
      case FrameType.GoAway:
        // The client is leaving; it closes the socket itself, which ends whatever is still running.
        this.goneAway = true;
        return;
      default:
        // SETTINGS and WINDOW_UPDATE (see the note on flow control), SYN_REPLY (we open no streams)
        // and unknown types: ignored, as SPDY/3 asks of unknown control frames.
        return;
    }
  }

  private async handleSynStream(flags: number, payload: Buffer): Promise<void> {
    const syn = parseSynStream(payload);
    // Decompressed before any check: every header block advances the shared zlib context.
    const headers = decodeHeaderBlock(await this.compression.decompress(syn.headerBlock));
    if (syn.streamId === 0 || syn.streamId % 2 === 0 || syn.streamId <= this.lastStreamId) {
      this.send(rstStreamFrame(syn.streamId, RstStatus.ProtocolError));
      return;
    }
    this.lastStreamId = syn.streamId;
    if (this.goneAway) {
      this.send(rstStreamFrame(syn.streamId, RstStatus.RefusedStream));
      return;
    }
    const stream = new SpdyStream(this, syn.streamId, headers, (flags & FLAG_FIN) !== 0, (flags & FLAG_UNIDIRECTIONAL) !== 0);
    this.streams.set(syn.streamId, stream);
    // kubectl opens its streams one at a time, each waiting (30 s) for this reply before the next.
    this.send(this.compression.compress(encodeHeaderBlock(new Map())).then((block) => synReplyFrame(syn.streamId, block)));
    this.onStream?.(stream);
  }

  // ------------------------------------------------------------------ failure and close

  /** A broken peer or a local fault: say so if the socket still takes it, then close. */
  private fail(err: unknown): void {
    if (this.closed) return;
    const status = err instanceof SpdyProtocolError ? GoAwayStatus.ProtocolError : GoAwayStatus.InternalError;
    this.closed = true;
    if (!this.socket.writable) {
      this.socket.destroy();
      return;
    }
    // Let the GOAWAY reach the client, but do not wait on a client that does not read.
    const timer = setTimeout(() => this.socket.destroy(), FAIL_LINGER_MS);
    timer.unref();
    this.socket.end(goAwayFrame(this.lastStreamId, status), () => this.socket.destroy());
  }

  private readonly onSocketEnd = (): void => {
    this.socket.destroy();
  };

  private readonly onSocketError = (): void => {
    // 'close' follows every error.
  };

  private readonly onSocketClose = (): void => {
    this.closed = true;
    this.socket.off('data', this.onSocketData);
    for (const stream of this.streams.values()) stream.reset();
    this.streams.clear();
    this.compression.close();
    this.onClose?.();
  };
}
