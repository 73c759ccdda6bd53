/**
 * remotecommand over WebSocket (channel.k8s.io and its versions): every
 * message starts with its channel — 0 stdin, 1 stdout, 2 stderr, 3 error
 * (the Status), 4 resize — and v5 adds 255, CLOSE, whose payload names the
 * channel the client has finished writing (stdin EOF). The server ends the
 * session with a normal close (1000), which client-go turns into EOF on every
 * stream; anything else reads as a broken connection.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { headerValues, negotiate, noCommonProtocol, refuseUpgrade, WEBSOCKET_DEFAULT, WEBSOCKET_PROTOCOLS, type ChannelProtocol } from './protocols';
import { RemoteCommandSession, type OutputChannel } from './session';
import type { RemoteCommandRequest, RemoteCommandResult, RemoteCommandStreams } from './types';

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The ASCII digit that names a channel in base64 framing. */
const BASE64_DIGIT_ZERO = 0x30;

/** The largest message accepted from a client (stdin arrives in client-sized pieces, typically 32 KiB). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * One handshake helper for every session: no server of its own (the API
 * server owns the listening socket), no client set to grow, no compression
 * (kubectl does not offer it and terminals want low latency).
 */
const handshaker = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  maxPayload: MAX_MESSAGE_BYTES,
  handleProtocols: (offered) => negotiate([...offered], WEBSOCKET_PROTOCOLS)?.name ?? false,
});

/** The protocol to speak, or undefined when the client offers only ones we do not. */
export function chooseWebSocketProtocol(request: IncomingMessage): { protocol?: ChannelProtocol; offered: string[] } {
  const offered = headerValues(request, 'sec-websocket-protocol');
  return { protocol: offered.length === 0 ? WEBSOCKET_DEFAULT : negotiate(offered, WEBSOCKET_PROTOCOLS), offered };
}

/** Encode an outgoing message for a channel. */
export function encodeMessage(protocol: ChannelProtocol, channel: number, payload: Buffer): Buffer | string {
  if (protocol.base64) return String.fromCharCode(BASE64_DIGIT_ZERO + channel) + payload.toString('base64');
  const message = Buffer.allocUnsafe(payload.length + 1);
  message[0] = channel;
  payload.copy(message, 1);
  return message;
}

/** Decode an incoming message into its channel and payload; undefined for an empty or malformed one. */
export function decodeMessage(protocol: ChannelProtocol, data: Buffer, isBinary: boolean): { channel: number; payload: Buffer } | undefined {
  if (data.length === 0) return undefined;
  if (protocol.base64) {
    if (isBinary) return undefined;
    return { channel: data[0] - BASE64_DIGIT_ZERO, payload: Buffer.from(data.subarray(1).toString('latin1'), 'base64') };
  }
  // Binary protocols carry only binary messages; client-go treats anything else as a protocol error.
  if (!isBinary) return undefined;
  return { channel: data[0], payload: data.subarray(1) };
}

/** Serve an exec/attach WebSocket upgrade. */
export function serveWebSocket(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: RemoteCommandRequest,
  handler: (streams: RemoteCommandStreams) => Promise<RemoteCommandResult>,
): void {
  const { protocol, offered } = chooseWebSocketProtocol(request);
  if (!protocol) {
    // The kubelet's WebSocket handshake answers 403 here; kubectl 1.30+ then falls back to SPDY.
    refuseUpgrade(socket, noCommonProtocol(offered, WEBSOCKET_PROTOCOLS));
    return;
  }
  // ws answers malformed handshakes itself (400/405/426) and never calls back for them.
  handshaker.handleUpgrade(request, socket, head, (ws) => {
    // run() reports handler faults itself; anything reaching here is a fault of this module: drop the connection, not the process.
    runSession(ws, protocol, options, handler).catch(() => ws.terminate());
  });
}

async function runSession(
  ws: WebSocket,
  protocol: ChannelProtocol,
  options: RemoteCommandRequest,
  handler: (streams: RemoteCommandStreams) => Promise<RemoteCommandResult>,
): Promise<void> {
  const session = new RemoteCommandSession(options);
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const channelOf: Record<OutputChannel, number> = { stdout: CHANNEL.stdout, stderr: CHANNEL.stderr };
  const binary = !protocol.base64;
  const send = (channel: number, payload: Buffer, done?: () => void) => {
    if (ws.readyState !== WebSocket.OPEN) {
      done?.();
      return;
    }
    // A failed send means the connection is going; 'close' follows and ends the session.
    ws.send(encodeMessage(protocol, channel, payload), { binary }, () => done?.());
  };

  session.attach({
    protocolVersion: protocol.version,
    send: (channel, chunk, done) => send(channelOf[channel], chunk, done),
    // WebSocket channels cannot be half-closed by the server (client-go ignores CLOSE from it): the close ends them all.
    endChannel: (_channel, done) => done(),
    pauseInput: () => ws.pause(),
    resumeInput: () => ws.resume(),
    finish: async (status) => {
      if (status) send(CHANNEL.error, status);
      // Waits for the client's close frame; ws destroys the socket itself if none comes (30 s).
      ws.close(1000);
      await closed;
    },
    destroy: () => ws.terminate(),
  });

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const message = decodeMessage(protocol, data, isBinary);
    if (!message) return;
    switch (message.channel) {
      case CHANNEL.stdin:
        session.receiveStdin(message.payload);
        break;
      case CHANNEL.resize:
        session.receiveResize(message.payload);
        break;
      case CHANNEL.close:
        if (protocol.version >= 5 && message.payload[0] === CHANNEL.stdin) session.endStdin();
        break;
      default:
        // Other channels are the server's to write; what a client sends there is dropped, as by the kubelet.
        break;
    }
  });
  // Errors (a reset connection, an oversized message) are followed by 'close', which ends the session.
  ws.on('error', () => undefined);
  ws.once('close', () => session.clientGone());

  await session.run(handler);
  ws.removeAllListeners('message');
}
