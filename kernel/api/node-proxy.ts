/**
 * Node streams for nodes whose agent runs in another process or on another
 * machine (`skiff agent`): the API server reaches the agent's HTTPS endpoint
 * (the kubelet API: `/containerLogs/...`, `/exec/...`, `/attach/...`) at the
 * Node's InternalIP and `status.daemonEndpoints.kubeletEndpoint.Port`, as
 * kube-apiserver reaches a kubelet, and relays the bytes.
 *
 * Like kube-apiserver without --kubelet-certificate-authority, it does not
 * verify the agent's serving certificate (agents make their own); it presents
 * its own bearer token, which the agent checks with a TokenReview.
 */
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import type { Node } from 'kubernetes-types/core/v1';
import { ApiError } from './errors';
import type { ConnectKind, NodeStreamProvider, PodLogOptions, PodStreamTarget } from './node-streams';

/** Headers of an upgrade request the agent needs to negotiate the protocol itself. */
const FORWARDED_HEADERS = ['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'x-stream-protocol-version', 'user-agent'];

export interface KubeletEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Where a Node's agent serves the kubelet API, from its status; undefined when it does not say. */
export function kubeletEndpointOf(node: Node): KubeletEndpoint | undefined {
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!port) return undefined;
  const addresses = node.status?.addresses ?? [];
  const address = addresses.find((a) => a.type === 'InternalIP') ?? addresses.find((a) => a.type === 'ExternalIP') ?? addresses.find((a) => a.type === 'Hostname');
  return address ? { host: address.address, port } : undefined;
}

function podPath(kind: string, target: PodStreamTarget): string {
  return `/${kind}/${encodeURIComponent(target.namespace)}/${encodeURIComponent(target.pod)}/${encodeURIComponent(target.container)}`;
}

function logQuery(options: PodLogOptions): string {
  const q = new URLSearchParams();
  if (options.follow) q.set('follow', 'true');
  if (options.previous) q.set('previous', 'true');
  if (options.timestamps) q.set('timestamps', 'true');
  if (options.tailLines !== undefined) q.set('tailLines', String(options.tailLines));
  if (options.sinceSeconds !== undefined) q.set('sinceSeconds', String(options.sinceSeconds));
  if (options.sinceTime !== undefined) q.set('sinceTime', options.sinceTime);
  if (options.limitBytes !== undefined) q.set('limitBytes', String(options.limitBytes));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A NodeStreamProvider that relays to a remote agent's kubelet API. */
export class RemoteNodeStreams implements NodeStreamProvider {
  constructor(
    private readonly endpoint: KubeletEndpoint,
    private readonly token: string,
  ) {}

  logs(target: PodStreamTarget, options: PodLogOptions, out: Writable, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: this.endpoint.host,
          port: this.endpoint.port,
          path: `${podPath('containerLogs', target)}${logQuery(options)}`,
          method: 'GET',
          headers: { authorization: `Bearer ${this.token}` },
          rejectUnauthorized: false,
          signal,
        },
        (res) => {
          if ((res.statusCode ?? 500) >= 300) {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => reject(errorFromAgent(res.statusCode ?? 500, body)));
            return;
          }
          res.pipe(out, { end: false });
          res.on('end', () => resolve());
          res.on('error', (err) => resolve(void err));
        },
      );
      req.on('error', (err) => {
        if (signal.aborted) resolve();
        else reject(ApiError.serviceUnavailable(`cannot reach the node agent of node "${target.nodeName}" at ${this.endpoint.host}:${this.endpoint.port}: ${err.message}`));
      });
      req.end();
    });
  }

  connect(kind: ConnectKind, target: PodStreamTarget, query: URLSearchParams, request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const upstream = tls.connect({ host: this.endpoint.host, port: this.endpoint.port, rejectUnauthorized: false, servername: undefined });
    const fail = (err: Error) => {
      if (!socket.writable) return;
      const status = ApiError.serviceUnavailable(`cannot reach the node agent of node "${target.nodeName}": ${err.message}`).toStatus();
      const body = JSON.stringify(status);
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    upstream.once('error', fail);
    upstream.once('secureConnect', () => {
      upstream.off('error', fail);
      const lines = [`GET ${podPath(kind, target)}?${query.toString()} HTTP/1.1`, `Host: ${this.endpoint.host}:${this.endpoint.port}`, `Authorization: Bearer ${this.token}`];
      for (const name of FORWARDED_HEADERS) {
        const value = request.headers[name];
        if (value !== undefined) lines.push(`${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
      }
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      // From here on the bytes are the agent's protocol: relay both ways, close both together.
      socket.pipe(upstream);
      upstream.pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.once('close', close);
      upstream.once('close', close);
      socket.once('error', close);
      upstream.once('error', close);
    });
  }
}

function errorFromAgent(code: number, body: string): ApiError {
  try {
    const status = JSON.parse(body) as { message?: string; reason?: string };
    if (status.message) return new ApiError(code, (status.reason as never) || 'InternalError', status.message);
  } catch {
    // The agent answered in plain text: relay it as the message.
  }
  return new ApiError(code, code === 404 ? 'NotFound' : code === 400 ? 'BadRequest' : 'InternalError', body.trim() || `node agent answered ${code}`);
}
