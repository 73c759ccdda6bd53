/**
 * A minimal HTTP stand-in for the API server, for tests that run the real
 * kubectl binaries: it answers the routes a test gives it, records every
 * request, and writes a kubeconfig and cache directory for kubectl in a temp
 * dir. Listens on 127.0.0.1 only.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';

export const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Reply {
  status?: number;
  contentType?: string;
  body: unknown;
}

/** Answer a request, or return undefined for a 404 Status. */
export type Route = (req: RecordedRequest) => Reply | undefined;

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly dir: string;
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-kubectl-'));
    fs.writeFileSync(
      path.join(this.dir, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: fake, cluster: {server: "${url}"}}]`,
        'users: [{name: fake, user: {token: test-token}}]',
        'contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: default}}]',
        'current-context: fake',
        '',
      ].join('\n'),
    );
  }

  static async start(route: Route): Promise<FakeApiServer> {
    let self: FakeApiServer | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://localhost');
        const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', path: u.pathname, query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
        self?.requests.push(recorded);
        let reply: Reply | undefined;
        try {
          reply = route(recorded);
        } catch (err) {
          reply = { status: 500, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 500, reason: 'InternalError', message: String(err) } };
        }
        reply ??= { status: 404, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound', message: `the server could not find the requested resource (${recorded.path})` } };
        const body = Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
        res.writeHead(reply.status ?? 200, { 'Content-Type': reply.contentType ?? 'application/json', 'Content-Length': body.length });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new FakeApiServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  /** Run `kubectl.<version>` against this server with its own kubeconfig and a per-version cache dir. */
  kubectl(version: string, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const binary = path.join(KUBECTL_DIR, `kubectl.${version}`);
    const fullArgs = ['--kubeconfig', path.join(this.dir, 'kubeconfig'), '--cache-dir', path.join(this.dir, `cache-${version}`), ...args];
    return new Promise((resolve, reject) => {
      const child = execFile(binary, fullArgs, { timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: this.dir } }, (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      });
      if (stdin !== undefined) child.stdin?.end(stdin);
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const gv = (groupVersion: string) => ({ groupVersion, version: groupVersion.split('/').pop() as string });

/** Legacy (non-aggregated) discovery for the given resources, which every kubectl version understands. */
export function discoveryRoute(resources: Array<{ groupVersion: string; name: string; kind: string; namespaced: boolean; verbs?: string[] }>): Route {
  const groups = new Map<string, string[]>();
  for (const r of resources) {
    if (!r.groupVersion.includes('/')) continue;
    const [group] = r.groupVersion.split('/');
    const versions = groups.get(group) ?? [];
    if (!versions.includes(r.groupVersion)) versions.push(r.groupVersion);
    groups.set(group, versions);
  }
  return (req) => {
    if (req.method !== 'GET') return undefined;
    if (req.path === '/api') return { body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] } };
    if (req.path === '/apis') {
      return {
        body: {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [...groups].map(([name, versions]) => ({ name, versions: versions.map(gv), preferredVersion: gv(versions[0]) })),
        },
      };
    }
    const m = /^\/(?:api|apis\/[^/]+)\/[^/]+\/?$/.exec(req.path);
    if (!m) return undefined;
    const groupVersion = req.path.replace(/^\/(api|apis)\//, '').replace(/\/$/, '');
    const list = resources.filter((r) => r.groupVersion === groupVersion);
    if (list.length === 0) return undefined;
    return {
      body: {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion,
        resources: list.map((r) => ({ name: r.name, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: r.verbs ?? ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] })),
      },
    };
  };
}
