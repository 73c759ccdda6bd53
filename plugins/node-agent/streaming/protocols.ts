/**
 * The remotecommand protocol versions each transport speaks, how one is
 * chosen, and how an upgrade is refused on the raw socket (the HTTP server
 * has already handed the connection over, so the answer is written by hand).
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** What a negotiated protocol means for the session. */
export interface ChannelProtocol {
  readonly name: string;
  /** 1-5: v4 brought the JSON Status on the error channel, v5 the CLOSE signal (WebSocket only). */
  readonly version: number;
  /** base64.channel.k8s.io: text frames, channel as an ASCII digit, payload in base64. */
  readonly base64: boolean;
}

/**
 * WebSocket subprotocols, best first. v5 is what kubectl 1.30+ asks for (and
 * only that); @kubernetes/client-node offers v5 down to channel.k8s.io; the
 * kubelet also served the base64 variants and a connection with no
 * subprotocol (read as channel.k8s.io).
 */
export const WEBSOCKET_PROTOCOLS: readonly ChannelProtocol[] = [
  { name: 'v5.channel.k8s.io', version: 5, base64: false },
  { name: 'v4.channel.k8s.io', version: 4, base64: false },
  { name: 'v4.base64.channel.k8s.io', version: 4, base64: true },
  { name: 'v3.channel.k8s.io', version: 3, base64: false },
  { name: 'v2.channel.k8s.io', version: 2, base64: false },
  { name: 'channel.k8s.io', version: 1, base64: false },
  { name: 'base64.channel.k8s.io', version: 1, base64: true },
];

/** A WebSocket request that names no subprotocol gets channel.k8s.io framing, as from the kubelet. */
export const WEBSOCKET_DEFAULT: ChannelProtocol = { name: '', version: 1, base64: false };

/**
 * X-Stream-Protocol-Version values over SPDY. v5 is accepted and behaves as
 * v4, as the kubelet does: CLOSE is a WebSocket device, SPDY has FIN.
 */
export const SPDY_PROTOCOLS: readonly ChannelProtocol[] = [
  { name: 'v5.channel.k8s.io', version: 4, base64: false },
  { name: 'v4.channel.k8s.io', version: 4, base64: false },
  { name: 'v3.channel.k8s.io', version: 3, base64: false },
  { name: 'v2.channel.k8s.io', version: 2, base64: false },
  { name: 'channel.k8s.io', version: 1, base64: false },
];

/** Every value of a header, split at commas (proxies and Node join repeated headers with ", "). */
export function headerValues(request: IncomingMessage, name: string): string[] {
  const raw = request.headersDistinct?.[name] ?? [];
  return raw
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The client's first choice that the server speaks (the client's order wins, as in Kubernetes' handshake). */
export function negotiate(offered: readonly string[], supported: readonly ChannelProtocol[]): ChannelProtocol | undefined {
  for (const name of offered) {
    const found = supported.find((p) => p.name === name);
    if (found) return found;
  }
  return undefined;
}

/** Go's %v of a []string, which Kubernetes' messages embed: `[a b c]`. */
export function goList(values: readonly string[]): string {
  return `[${values.join(' ')}]`;
}

export class UpgradeRefusal extends Error {
  override readonly name = 'UpgradeRefusal';
  constructor(
    readonly code: number,
    message: string,
    readonly headers: Readonly<Record<string, readonly string[]>> = {},
  ) {
    super(message);
  }
}

/** The kubelet's answer when the client and server share no protocol version. */
export function noCommonProtocol(offered: readonly string[], supported: readonly ChannelProtocol[], acceptedHeader?: string): UpgradeRefusal {
  const names = supported.map((p) => p.name);
  return new UpgradeRefusal(
    403,
    `unable to upgrade: unable to negotiate protocol: client supports ${goList(offered)}, server accepts ${goList(names)}`,
    acceptedHeader ? { [acceptedHeader]: names } : {},
  );
}

/** How long a refused client gets to read the answer and hang up before the socket is destroyed. */
const REFUSAL_LINGER_MS = 5_000;

/**
 * Answer an upgrade with an HTTP error, as Go's http.Error writes it (plain
 * text, a trailing newline), then close. client-go shows the body to the user
 * (`unable to upgrade connection: <body>`); kubectl 1.30+ falls back from
 * WebSocket to SPDY on such an answer.
 */
export function refuseUpgrade(socket: Duplex, refusal: UpgradeRefusal): void {
  const body = `${refusal.message}\n`;
  const lines = [`HTTP/1.1 ${refusal.code} ${STATUS_CODES[refusal.code] ?? 'Error'}`, 'Content-Type: text/plain; charset=utf-8', 'X-Content-Type-Options: nosniff'];
  for (const [name, values] of Object.entries(refusal.headers)) for (const v of values) lines.push(`${name}: ${v}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // A client that never reads or never hangs up must not keep the socket forever.
  const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // The request may have sent bytes after its headers; they are not read, but must not stall the close.
  socket.on('error', () => socket.destroy());
  socket.resume();
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
