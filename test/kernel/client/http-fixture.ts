/**
 * A tiny HTTP(S) server that records requests and answers as each test
 * scripts it, standing in for a Kubernetes API server in HttpApiClient tests.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Responder = (req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest) => void;

export function sendJson(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export class ApiFixture {
  readonly seen: SeenRequest[] = [];
  /** TCP connections accepted so far (keep-alive reuses them). */
  connections = 0;
  respond: Responder = (_req, res) => sendJson(res, 200, { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'x' } });
  private readonly server: http.Server;

  constructor(tls?: https.ServerOptions) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fixture');
        const seen: SeenRequest = {
          method: req.method ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.seen.push(seen);
        this.respond(req, res, seen);
      });
    };
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    this.server.on('connection', () => this.connections++);
    this.server.on('secureConnection', () => undefined);
  }

  /** Listen on a free loopback port; resolves to the base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `${this.server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  get last(): SeenRequest {
    const last = this.seen[this.seen.length - 1];
    if (!last) throw new Error('fixture: no request seen');
    return last;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
