/**
 * remotecommand over SPDY/3.1, the only transport of kubectl 1.27-1.29 and
 * the fallback of later ones. After `101 Switching Protocols` with the
 * negotiated X-Stream-Protocol-Version, the client opens one SPDY stream per
 * channel, named by its `streamType` header — error first, then stdin,
 * stdout, stderr (not with a tty) and resize (tty, v3+) — and the command
 * starts once all the requested ones are open, as in the kubelet.
 *
 * The end, in the order kubectl needs it: the Status on the error stream;
 * FIN on every stream (kubectl waits for EOF on stdout, stderr and error
 * before it exits); GOAWAY; then the client hangs up. The server does not
 * close the TCP connection first: spdystream may drop frames it has read but
 * not yet delivered when the connection ends under it, truncating output.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { headerValues, negotiate, noCommonProtocol, refuseUpgrade, SPDY_PROTOCOLS, UpgradeRefusal, type ChannelProtocol } from './protocols';
import { RemoteCommandSession, type OutputChannel } from './session';
import { SpdyConnection, type SpdyStream } from './spdy/connection';
import type { RemoteCommandRequest, RemoteCommandResult, RemoteCommandStreams } from './types';

export const STREAM_PROTOCOL_HEADER = 'x-stream-protocol-version';
export const ACCEPTED_PROTOCOLS_HEADER = 'X-Accepted-Stream-Protocol-Versions';

export type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

export interface SpdyTimeouts {
  /** How long the client may take to open the streams it asked for (the kubelet's default: 30 s). */
  readonly streamCreationMs: number;
  /** After the last frame is written, how long the client may take to hang up before the socket is cut. */
  readonly hangUpMs: number;
}

export const DEFAULT_SPDY_TIMEOUTS: SpdyTimeouts = { streamCreationMs: 30_000, hangUpMs: 10_000 };

/** The streams a client must open for these options under this protocol version, error first. */
export function expectedStreams(options: RemoteCommandRequest, protocol: ChannelProtocol): StreamType[] {
  const types: StreamType[] = ['error'];
  if (options.stdin) types.push('stdin');
  if (options.stdout) types.push('stdout');
  if (options.stderr && !options.tty) types.push('stderr');
  if (options.tty && protocol.version >= 3) types.push('resize');
  return types;
}

/** The protocol for this request, or the refusal the kubelet would answer with. */
export function chooseSpdyProtocol(request: IncomingMessage): ChannelProtocol | UpgradeRefusal {
  const offered = headerValues(request, STREAM_PROTOCOL_HEADER);
  if (offered.length === 0) return new UpgradeRefusal(400, 'unable to upgrade: X-Stream-Protocol-Version is required');
  return negotiate(offered, SPDY_PROTOCOLS) ?? noCommonProtocol(offered, SPDY_PROTOCOLS, ACCEPTED_PROTOCOLS_HEADER);
}

/** Serve an exec/attach SPDY upgrade. */
export function serveSpdy(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: RemoteCommandRequest,
  handler: (streams: RemoteCommandStreams) => Promise<RemoteCommandResult>,
  timeouts: SpdyTimeouts = DEFAULT_SPDY_TIMEOUTS,
): void {
  const protocol = chooseSpdyProtocol(request);
  if (protocol instanceof UpgradeRefusal) {
    refuseUpgrade(socket, protocol);
    return;
  }
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Interactive sessions send keystrokes one by one; Nagle would hold them back.
  (socket as Duplex & { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol.name}\r\n\r\n`);

  const connection = new SpdyConnection(socket, head);
  const session = new RemoteCommandSession(options);
  const expected = expectedStreams(options, protocol);
  const streams = new Map<StreamType, SpdyStream>();
  let started = false;

  // A client that never opens its streams does not get to hold the connection.
  const creationTimer = setTimeout(() => {
    if (!started) connection.destroy();
  }, timeouts.streamCreationMs);
  creationTimer.unref();

  session.attach({
    protocolVersion: protocol.version,
    send: (channel: OutputChannel, chunk, done) => {
      const stream = streams.get(channel);
      if (stream) stream.write(chunk, done);
      else done();
    },
    endChannel: (channel, done) => {
      const stream = streams.get(channel);
      if (stream) stream.close(done);
      else done();
    },
    pauseInput: () => connection.pause(),
    resumeInput: () => connection.resume(),
    finish: async (status) => {
      const error = streams.get('error');
      if (status && error) error.write(status, () => undefined);
      for (const stream of streams.values()) stream.close();
      connection.goAway(() => {
        const hangUp = setTimeout(() => connection.destroy(), timeouts.hangUpMs);
        hangUp.unref();
        void connection.whenClosed.then(() => clearTimeout(hangUp));
      });
      await connection.whenClosed;
    },
    destroy: () => connection.destroy(),
  });

  connection.onStream = (stream) => {
    const type = stream.header('streamtype');
    // Streams of other types are replied to but unused, as by the kubelet; so are late duplicates.
    if (started || !isStreamType(type) || !expected.includes(type)) return;
    streams.set(type, stream);
    if (type === 'stdin') stream.consume((chunk) => session.receiveStdin(chunk), () => session.endStdin());
    else if (type === 'resize') stream.consume((chunk) => session.receiveResize(chunk), () => undefined);
    if (expected.every((t) => streams.has(t))) {
      started = true;
      clearTimeout(creationTimer);
      // run() reports handler faults itself; anything reaching here is a fault of this module: drop the connection, not the process.
      session.run(handler).catch(() => connection.destroy());
    }
  };
  connection.onClose = () => {
    clearTimeout(creationTimer);
    session.clientGone();
  };
}

function isStreamType(value: string | undefined): value is StreamType {
  return value === 'error' || value === 'stdin' || value === 'stdout' || value === 'stderr' || value === 'resize';
}
