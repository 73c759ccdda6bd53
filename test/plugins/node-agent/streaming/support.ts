/**
 * Test support for the remotecommand protocols: a loopback HTTP server whose
 * upgrades go to the streaming code, a small SPDY/3 client speaking to it
 * frame by frame, and polling with deadlines.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseRemoteCommandQuery, serveRemoteCommand } from '../../../../plugins/node-agent/streaming';
import { serveSpdy, type SpdyTimeouts } from '../../../../plugins/node-agent/streaming/spdy';
import { HeaderCompression } from '../../../../plugins/node-agent/streaming/spdy/header-block';
import {
  FLAG_FIN,
  FrameReader,
  FrameType,
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  type Frame,
} from '../../../../plugins/node-agent/streaming/spdy/frames';
import type { RemoteCommandResult, RemoteCommandStreams } from '../../../../plugins/node-agent/streaming/types';

/** Poll `check` until it returns a value other than undefined/false, or fail after `ms`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export type Handler = (streams: RemoteCommandStreams) => Promise<RemoteCommandResult>;

export interface UpgradeServer {
  readonly port: number;
  /** Server-side sockets of every upgrade, to check they are closed afterwards. */
  readonly sockets: Duplex[];
  close(): Promise<void>;
}

/**
 * An HTTP server on loopback whose upgrades are served by serveRemoteCommand
 * (or by serveSpdy with the given timeouts), with options from the query.
 */
export async function startUpgradeServer(handler: () => Handler, spdyTimeouts?: SpdyTimeouts): Promise<UpgradeServer> {
  const sockets: Duplex[] = [];
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.push(socket);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const options = parseRemoteCommandQuery(url.searchParams, url.pathname.endsWith('/attach') ? 'attach' : 'exec');
    if (spdyTimeouts) serveSpdy(req, socket, head, options, handler(), spdyTimeouts);
    else serveRemoteCommand(req, socket, head, options, handler());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The raw answer to an upgrade request: status line, headers and what followed. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Map<string, string[]>;
  readonly rest: Buffer;
}

/** Send an upgrade request on a fresh connection and read the answer's head. */
export async function rawUpgrade(port: number, path: string, headers: Record<string, string | string[]>, method = 'POST'): Promise<{ socket: net.Socket; answer: RawAnswer }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: localhost'];
  for (const [name, value] of Object.entries(headers)) for (const v of [value].flat()) lines.push(`${name}: ${v}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let buffered = Buffer.alloc(0);
  const answer = await new Promise<RawAnswer>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const [statusLine, ...headerLines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const map = new Map<string, string[]>();
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        map.set(name, [...(map.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers: map, rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  return { socket, answer };
}

/** Read the rest of a refused upgrade's body (until the server closes). */
export function readToEnd(socket: net.Socket, already: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const chunks = [already];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.resume();
  });
}

export const SPDY_OFFER = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

/**
 * The client half of SPDY/3 as kubectl's spdystream speaks it: opens streams
 * with a `streamtype` header, sends data and FIN, echoes nothing; records
 * every frame the server sends, decompressing header blocks in order.
 */
export class SpdyTestClient {
  readonly frames: Array<Frame & { headers?: Map<string, string[]> }> = [];
  readonly received = new Map<number, Buffer>();
  readonly finished = new Set<number>();
  closed = false;
  private readonly reader = new FrameReader();
  private readonly compression = new HeaderCompression();
  private inbound: Promise<void> = Promise.resolve();
  private nextStreamId = 1;
  readonly byType = new Map<string, number>();

  private constructor(
    readonly socket: net.Socket,
    readonly answer: RawAnswer,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.once('close', () => (this.closed = true));
    socket.on('error', () => undefined);
    if (answer.rest.length > 0) this.onData(answer.rest);
    socket.resume();
  }

  static async connect(port: number, query: string, offer: readonly string[] = SPDY_OFFER): Promise<SpdyTestClient> {
    const { socket, answer } = await rawUpgrade(port, `/api/v1/namespaces/ns/pods/p/exec?${query}`, {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': [...offer],
    });
    if (answer.status !== 101) throw new Error(`expected 101, got ${answer.status}`);
    return new SpdyTestClient(socket, answer);
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.reader.push(chunk)) {
      this.inbound = this.inbound.then(async () => {
        if (frame.kind === 'control' && frame.type === FrameType.SynReply) {
          this.frames.push({ ...frame, headers: decodeHeaderBlock(await this.compression.decompress(frame.payload.subarray(4))) });
          return;
        }
        this.frames.push(frame);
        if (frame.kind === 'data') {
          this.received.set(frame.streamId, Buffer.concat([this.received.get(frame.streamId) ?? Buffer.alloc(0), frame.payload]));
          if (frame.flags & FLAG_FIN) this.finished.add(frame.streamId);
        }
      });
    }
  }

  /** Send a SYN_STREAM with this id (right or wrong) and a `streamtype` header. */
  async synStream(id: number, type: string): Promise<void> {
    const block = await this.compression.compress(encodeHeaderBlock(new Map([['streamtype', [type]]])));
    const payload = Buffer.alloc(10 + block.length);
    payload.writeUInt32BE(id, 0);
    block.copy(payload, 10);
    this.socket.write(controlFrame(FrameType.SynStream, 0, payload));
  }

  /** Open a stream of this type and wait for the server's SYN_REPLY, as client-go does. */
  async open(type: string): Promise<number> {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    await this.synStream(id, type);
    this.byType.set(type, id);
    await waitFor(`SYN_REPLY for stream ${id}`, () => this.frames.some((f) => f.kind === 'control' && f.type === FrameType.SynReply && f.payload.readUInt32BE(0) === id));
    return id;
  }

  send(type: string, data: Buffer | string, fin = false): void {
    const id = this.byType.get(type);
    if (id === undefined) throw new Error(`no ${type} stream`);
    this.socket.write(dataFrame(id, Buffer.from(data), fin));
  }

  /** What the server sent on a stream so far. */
  text(type: string): string {
    const id = this.byType.get(type);
    return id === undefined ? '' : (this.received.get(id)?.toString('utf8') ?? '');
  }

  isFinished(type: string): boolean {
    const id = this.byType.get(type);
    return id !== undefined && this.finished.has(id);
  }

  controlFrames(type: number): Array<Frame & { kind: 'control' }> {
    return this.frames.filter((f): f is Frame & { kind: 'control' } => f.kind === 'control' && f.type === type);
  }

  close(): void {
    this.compression.close();
    this.socket.destroy();
  }
}
