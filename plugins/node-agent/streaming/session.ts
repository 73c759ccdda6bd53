/**
 * One exec/attach session, independent of the wire: the streams the handler
 * sees, the handler's run, the Status it ends with, and the close. The
 * WebSocket and SPDY transports feed it what the client sends and carry out
 * what it writes.
 */
import { Readable, Writable } from 'node:stream';
import { TerminalSizes } from './resize';
import { renderStatus, statusOfResult, statusOfThrown, type RemoteCommandStatus } from './status';
import type { RemoteCommandRequest, RemoteCommandResult, RemoteCommandStreams } from './types';

export type OutputChannel = 'stdout' | 'stderr';

/** What a wire protocol does for a session. None of these may throw. */
export interface SessionTransport {
  /** The negotiated remotecommand version (1-5): it decides how the Status is written. */
  readonly protocolVersion: number;
  /** Carry bytes to the client; `done` once they are handed to the socket (this is the back-pressure). */
  send(channel: OutputChannel, chunk: Buffer, done: () => void): void;
  /** The handler ended an output stream: half-close it where the protocol can. */
  endChannel(channel: OutputChannel, done: () => void): void;
  /** Stop / restart reading the connection while the handler does not keep up with stdin. */
  pauseInput(): void;
  resumeInput(): void;
  /** Write the Status (undefined: nothing to write), close gracefully; resolves once the connection is gone. */
  finish(status: Buffer | undefined): Promise<void>;
  /** Close at once. */
  destroy(): void;
}

/** Streams buffer this much before a writer is asked to wait (and before the connection stops being read). */
const STREAM_BUFFER_BYTES = 64 * 1024;

export class RemoteCommandSession {
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  private readonly sizes = new TerminalSizes();
  private readonly abort = new AbortController();
  private transport?: SessionTransport;
  /** The client went away before the session ended. */
  private gone = false;
  private ended = false;

  constructor(private readonly request: RemoteCommandRequest) {
    if (request.stdin) {
      this.stdin = new Readable({ highWaterMark: STREAM_BUFFER_BYTES, read: () => this.transport?.resumeInput() });
    }
    if (request.stdout) this.stdout = this.output('stdout');
    // With a tty there is one output stream (parseRemoteCommandQuery already dropped stderr; this guards callers that built the request by hand).
    if (request.stderr && !request.tty) this.stderr = this.output('stderr');
  }

  /** The transport, once the connection is up (streams may be built before it is). */
  attach(transport: SessionTransport): void {
    this.transport = transport;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  // ------------------------------------------------------------ from the client

  receiveStdin(chunk: Buffer): void {
    const stdin = this.stdin;
    if (!stdin || stdin.readableEnded || stdin.destroyed || chunk.length === 0) return;
    if (!stdin.push(chunk)) this.transport?.pauseInput();
  }

  /** The client closed stdin (SPDY FIN, WebSocket v5 CLOSE): the command sees EOF. */
  endStdin(): void {
    const stdin = this.stdin;
    if (stdin && !stdin.readableEnded && !stdin.destroyed) stdin.push(null);
  }

  receiveResize(chunk: Buffer): void {
    if (this.request.tty) this.sizes.push(chunk);
  }

  /** The connection is gone: abort the handler's signal; stdin ends, further output is discarded. */
  clientGone(): void {
    if (this.gone || this.ended) return;
    this.gone = true;
    this.endStdin();
    this.abort.abort(new Error('the client closed the connection'));
  }

  // ------------------------------------------------------------ run

  /** Run the handler to its end, report how it ended, close. Never rejects. */
  async run(handler: (streams: RemoteCommandStreams) => Promise<RemoteCommandResult>): Promise<void> {
    const streams: RemoteCommandStreams = {
      stdin: this.stdin,
      stdout: this.stdout,
      stderr: this.stderr,
      tty: this.request.tty,
      onResize: (listener) => this.sizes.listen(listener),
      signal: this.abort.signal,
    };
    let status: RemoteCommandStatus;
    try {
      status = statusOfResult(checkResult(await handler(streams)), this.request);
    } catch (err) {
      status = statusOfThrown(err);
    }
    try {
      if (!this.gone) await Promise.all([this.drain(this.stdout), this.drain(this.stderr)]);
      this.ended = true;
      if (this.gone) this.transport?.destroy();
      else await this.transport?.finish(renderStatus(status, this.transport.protocolVersion));
    } finally {
      this.ended = true;
      this.sizes.clear();
      this.stdin?.destroy();
    }
  }

  // ------------------------------------------------------------ internals

  private output(channel: OutputChannel): Writable {
    const writable = new Writable({
      highWaterMark: STREAM_BUFFER_BYTES,
      write: (chunk: Buffer, _encoding, callback) => {
        // Once the client is gone output has nowhere to go; failing the write would turn into an
        // 'error' on a stream the handler may have piped into without a listener. The signal says it.
        if (this.gone || !this.transport || chunk.length === 0) callback();
        else this.transport.send(channel, chunk, () => callback());
      },
      final: (callback) => {
        if (this.gone || !this.transport) callback();
        else this.transport.endChannel(channel, () => callback());
      },
    });
    // Only misuse raises errors here (a write after the session ended); it must not crash the agent.
    writable.on('error', () => undefined);
    return writable;
  }

  /** End an output stream the handler left open and wait until its bytes are on the socket. */
  private drain(writable: Writable | undefined): Promise<void> {
    if (!writable || writable.writableFinished || writable.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        writable.off('finish', done);
        writable.off('close', done);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      writable.on('finish', done);
      writable.on('close', done);
      this.abort.signal.addEventListener('abort', done);
      if (!writable.writableEnded) writable.end();
    });
  }
}

/** A handler written in plain JavaScript may return anything; only the two result shapes count. */
function checkResult(result: unknown): RemoteCommandResult {
  if (typeof result === 'object' && result !== null) {
    const r = result as Record<string, unknown>;
    if (typeof r.exitCode === 'number' && Number.isInteger(r.exitCode)) return { exitCode: r.exitCode };
    if (typeof r.error === 'string') return { error: r.error };
  }
  throw new Error(`the exec handler returned ${JSON.stringify(result)}, not { exitCode } or { error }`);
}
