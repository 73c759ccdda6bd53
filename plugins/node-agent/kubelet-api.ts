/**
 * The agent's own HTTPS endpoint, for agents that do not share the API
 * server's process (`skiff agent`): the kubelet API paths kube-apiserver
 * uses — `GET /containerLogs/{ns}/{pod}/{container}` and upgrade requests to
 * `/exec/...` and `/attach/...` — served by the node's NodeStreamProvider.
 * The API server finds it through the Node's InternalIP and
 * `status.daemonEndpoints.kubeletEndpoint.Port` (kernel/api/node-proxy.ts).
 *
 * Callers are checked like a kubelet with webhook authentication and
 * authorization: the bearer token through a TokenReview, then a
 * SubjectAccessReview for `nodes/proxy` on this node (get for logs, create
 * for exec/attach).
 */
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1';
import { ApiError, isApiError } from '../../kernel/api/errors';
import type { ConnectKind, NodeStreamProvider, PodLogOptions, PodStreamTarget } from '../../kernel/api/node-streams';
import type { ApiClient } from '../../kernel/client/types';
import type { Logger } from '../../kernel/log';

export interface KubeletApiOptions {
  readonly nodeName: string;
  readonly provider: NodeStreamProvider;
  /** The agent's client: looks pods up and checks callers (TokenReview, SubjectAccessReview). */
  readonly client: ApiClient;
  /** Serving certificate and key (PEM). */
  readonly tls: { cert: string; key: string };
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
}

const pods = { group: '', version: 'v1', resource: 'pods' };
const tokenReviews = { group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews' };
const accessReviews = { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews' };

interface Route {
  kind: 'containerLogs' | ConnectKind;
  namespace: string;
  pod: string;
  container: string;
}

function route(path: string): Route | undefined {
  const m = /^\/(containerLogs|exec|attach|portForward)\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  const kind = m[1] === 'portForward' ? 'portforward' : (m[1] as Route['kind']);
  return { kind, namespace: decodeURIComponent(m[2]), pod: decodeURIComponent(m[3]), container: decodeURIComponent(m[4] ?? '') };
}

export class KubeletApi {
  private server?: https.Server;

  constructor(private readonly options: KubeletApiOptions) {}

  /** Listen; resolves with the port (useful with port 0). */
  async start(): Promise<number> {
    const server = https.createServer({ cert: this.options.tls.cert, key: this.options.tls.key }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(req, socket, head).catch((err: unknown) => this.refuse(socket, err));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** TokenReview, then SubjectAccessReview for nodes/proxy on this node. */
  private async authorize(req: IncomingMessage, verb: 'get' | 'create'): Promise<void> {
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!token) throw ApiError.unauthorized();
    const review = (await this.options.client.create(tokenReviews, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } })) as {
      status?: { authenticated?: boolean; user?: { username: string; groups?: string[]; uid?: string } };
    };
    const user = review.status?.authenticated ? review.status.user : undefined;
    if (!user) throw ApiError.unauthorized();
    const access = (await this.options.client.create(accessReviews, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: user.username, groups: user.groups ?? [], uid: user.uid, resourceAttributes: { verb, resource: 'nodes', subresource: 'proxy', name: this.options.nodeName } },
    })) as { status?: { allowed?: boolean; reason?: string } };
    if (!access.status?.allowed) {
      throw new ApiError(403, 'Forbidden', `Forbidden (user=${user.username}, verb=${verb}, resource=nodes, subresource=proxy)`);
    }
  }

  private async target(r: Route): Promise<PodStreamTarget> {
    const pod = (await this.options.client.get(pods, r.pod, { namespace: r.namespace })) as Pod;
    if (pod.spec?.nodeName !== this.options.nodeName) throw ApiError.notFound({ group: '', resource: 'pods' }, r.pod);
    return { namespace: r.namespace, pod: r.pod, uid: pod.metadata!.uid!, nodeName: this.options.nodeName, container: r.container, object: pod };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent');
    const r = route(url.pathname);
    if (!r || r.kind !== 'containerLogs' || req.method !== 'GET') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    await this.authorize(req, 'get');
    const target = await this.target(r);
    const q = url.searchParams;
    const int = (name: string) => (q.has(name) ? Number(q.get(name)) : undefined);
    const options: PodLogOptions = {
      follow: q.get('follow') === 'true',
      previous: q.get('previous') === 'true',
      timestamps: q.get('timestamps') === 'true',
      tailLines: int('tailLines'),
      sinceSeconds: int('sinceSeconds'),
      sinceTime: q.get('sinceTime') ?? undefined,
      limitBytes: int('limitBytes'),
    };
    const abort = new AbortController();
    req.on('close', () => abort.abort());
    let started = false;
    const { Writable } = await import('node:stream');
    const out = new Writable({
      write(chunk, _enc, cb) {
        if (!started) {
          started = true;
          res.writeHead(200, { 'Content-Type': 'text/plain' });
        }
        res.write(chunk, cb);
      },
    });
    await this.options.provider.logs(target, options, out, abort.signal);
    if (!started) res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent');
    const r = route(url.pathname);
    if (!r || r.kind === 'containerLogs') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    await this.authorize(req, 'create');
    const target = await this.target(r);
    this.options.provider.connect(r.kind, target, url.searchParams, req, socket, head);
  }

  private fail(res: ServerResponse, err: unknown): void {
    const status = isApiError(err) ? err.toStatus() : ApiError.internal((err as Error)?.message ?? String(err)).toStatus();
    if (!isApiError(err)) this.options.logger.error('kubelet API request failed', { error: (err as Error)?.message });
    if (res.headersSent) {
      res.end();
      return;
    }
    const body = JSON.stringify(status);
    res.writeHead(status.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  private refuse(socket: Duplex, err: unknown): void {
    const status = isApiError(err) ? err.toStatus() : ApiError.internal((err as Error)?.message ?? String(err)).toStatus();
    const body = JSON.stringify(status);
    if (socket.writable) socket.end(`HTTP/1.1 ${status.code} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
}
