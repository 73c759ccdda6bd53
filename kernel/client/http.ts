/**
 * `ApiClient` over Kubernetes REST, for components that run outside the
 * `skiff up` process (`skiff agent`, the CLI, benchmarks) and against any
 * Kubernetes API server. Node's own http/https only: one keep-alive agent per
 * client, so concurrent requests reuse connections instead of paying a TCP
 * and TLS handshake each (the API benchmark runs 32 clients flat out).
 *
 * Errors: a non-2xx answer becomes the `ApiError` its Status describes (see
 * status.ts); a transport failure (refused, reset, timed out) is a
 * `RequestError` whose `cause` is the socket error; an aborted request
 * rejects with the signal's reason.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import type { KubeList, KubeObject, WatchEvent } from '../api/types';
import type { Status } from '../api/errors';
import { abortReason } from './clock';
import { loadKubeconfig } from './kubeconfig';
import { PATCH_CONTENT_TYPES, deleteOptionsBody, listQuery, patchQuery, resourcePath, watchQuery, writeQuery } from './paths';
import { apiErrorFromResponse, apiErrorFromStatus, isStatus } from './status';
import type {
  ApiClient,
  ApiResource,
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  RequestOptions,
  ResourceType,
  WatchHandle,
  WatchHandlers,
  WatchOptions,
  WriteOptions,
} from './types';

export interface HttpClientConfig {
  /** `https://127.0.0.1:6443` or `http://...`; a path prefix (behind a proxy) is kept. */
  server: string;
  /** Bearer token. */
  token?: string;
  /** PEM CA bundle to verify the server with (default: Node's public roots). */
  ca?: string | Buffer;
  /** Do not verify the server certificate. For tests and first boots only. */
  insecureSkipTLSVerify?: boolean;
  /** PEM client certificate and key, for x509 client authentication. */
  clientCert?: string | Buffer;
  clientKey?: string | Buffer;
  /** Expected server name in the certificate when it differs from the host (kubeconfig `tls-server-name`). */
  tlsServerName?: string;
  userAgent?: string;
  /** Per-request timeout for everything but watches (default: none). */
  timeoutMs?: number;
  /** Connections per host (default: unlimited; watches each hold one). */
  maxSockets?: number;
}

/** The request never got an HTTP answer: connection refused or reset, timeout, bad TLS, unreadable body. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface Body {
  data: string;
  contentType: string;
}

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE']);

const DEFAULT_USER_AGENT = `skiff-client/0.1.0 (node ${process.version})`;

export class HttpApiClient implements ApiClient {
  private readonly url: URL;
  private readonly basePath: string;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;

  constructor(readonly config: HttpClientConfig) {
    try {
      this.url = new URL(config.server);
    } catch (err) {
      throw new Error(`client: invalid server URL ${JSON.stringify(config.server)}`, { cause: err });
    }
    if (this.url.protocol !== 'https:' && this.url.protocol !== 'http:') throw new Error(`client: server URL must be http or https, got ${config.server}`);
    this.basePath = this.url.pathname.replace(/\/+$/, '');
    const secure = this.url.protocol === 'https:';
    this.transport = secure ? https : http;
    this.agent = secure
      ? new https.Agent({
          keepAlive: true,
          maxSockets: config.maxSockets,
          ca: config.ca,
          cert: config.clientCert,
          key: config.clientKey,
          rejectUnauthorized: !config.insecureSkipTLSVerify,
          servername: config.tlsServerName,
        })
      : new http.Agent({ keepAlive: true, maxSockets: config.maxSockets });
    this.headers = { Accept: 'application/json', 'User-Agent': config.userAgent ?? DEFAULT_USER_AGENT };
    if (config.token) this.headers.Authorization = `Bearer ${config.token}`;
  }

  /** Close idle connections and refuse new ones. Watches in flight are not stopped. */
  close(): void {
    this.agent.destroy();
  }

  async get<T extends KubeObject = KubeObject>(type: ResourceType, name: string, options: RequestOptions = {}): Promise<T> {
    const path = resourcePath(type, { namespace: options.namespace, name, subresource: options.subresource });
    return this.request<T>('GET', path, undefined, undefined, options.signal);
  }

  async list<T extends KubeObject = KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    const path = resourcePath(type, { namespace: options.namespace });
    return this.request<KubeList<T>>('GET', path, listQuery(options), undefined, options.signal);
  }

  async create<T extends KubeObject = KubeObject>(type: ResourceType, object: KubeObject, options: WriteOptions & { name?: string } = {}): Promise<T> {
    // `name` + subresource posts to an object's subresource (pods/{name}/binding, /eviction).
    const path = resourcePath(type, {
      namespace: options.namespace ?? object.metadata?.namespace,
      name: options.name,
      subresource: options.subresource,
    });
    return this.request<T>('POST', path, writeQuery(options), json(object), options.signal);
  }

  async update<T extends KubeObject = KubeObject>(type: ResourceType, object: KubeObject, options: WriteOptions = {}): Promise<T> {
    const name = object.metadata?.name;
    if (!name) throw new Error(`client: update of ${type.resource} needs metadata.name`);
    const path = resourcePath(type, { namespace: options.namespace ?? object.metadata?.namespace, name, subresource: options.subresource });
    return this.request<T>('PUT', path, writeQuery(options), json(object), options.signal);
  }

  async patch<T extends KubeObject = KubeObject>(type: ResourceType, name: string, patchType: PatchType, patch: unknown, options: PatchOptions = {}): Promise<T> {
    const contentType = PATCH_CONTENT_TYPES[patchType];
    if (!contentType) throw new Error(`client: unknown patch type ${JSON.stringify(patchType)}`);
    // The server would answer 400 too; failing here names the caller's mistake.
    if (patchType === 'apply' && !options.fieldManager) throw new Error(`client: server-side apply of ${type.resource} "${name}" needs a fieldManager`);
    const path = resourcePath(type, { namespace: options.namespace, name, subresource: options.subresource });
    // Apply bodies are YAML; JSON is YAML, so objects are sent as JSON text.
    const data = typeof patch === 'string' ? patch : JSON.stringify(patch);
    return this.request<T>('PATCH', path, patchQuery(options), { data, contentType }, options.signal);
  }

  async delete(type: ResourceType, name: string, options: DeleteOptions = {}): Promise<KubeObject | Status> {
    const path = resourcePath(type, { namespace: options.namespace, name, subresource: options.subresource });
    return this.request<KubeObject | Status>('DELETE', path, undefined, json(deleteOptionsBody(options)), options.signal);
  }

  async deleteCollection(type: ResourceType, options: ListOptions & DeleteOptions = {}): Promise<KubeList | Status> {
    const path = resourcePath(type, { namespace: options.namespace });
    return this.request<KubeList | Status>('DELETE', path, listQuery(options), json(deleteOptionsBody(options)), options.signal);
  }

  /** Discovery through `/api` and `/apis`, then one resource list per group version (subresources left out). */
  async serverResources(): Promise<ApiResource[]> {
    const core = await this.request<{ versions?: string[] }>('GET', '/api', undefined, undefined, undefined);
    const named = await this.request<{ groups?: Array<{ name: string; versions: Array<{ version: string }> }> }>('GET', '/apis', undefined, undefined, undefined);
    const groupVersions = [...(core.versions ?? []).map((version) => ({ group: '', version })), ...(named.groups ?? []).flatMap((g) => g.versions.map((v) => ({ group: g.name, version: v.version })))];
    const lists = await Promise.all(
      groupVersions.map(({ group, version }) =>
        this.request<{ resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs: string[] }> }>('GET', group ? `/apis/${group}/${version}` : `/api/${version}`, undefined, undefined, undefined).then((list) =>
          (list.resources ?? []).filter((r) => !r.name.includes('/')).map((r) => ({ group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs })),
        ),
      ),
    );
    return lists.flat();
  }

  /**
   * A streaming watch: newline-delimited JSON events parsed as chunks arrive
   * (a chunk may hold part of an event or several). An ERROR event ends the
   * watch with its Status as an ApiError (410: reason Expired or Gone, which
   * means relist). `onClose` is called exactly once. An exception thrown by
   * `onEvent` ends the watch and is passed to `onClose`.
   */
  watch<T extends KubeObject = KubeObject>(type: ResourceType, options: WatchOptions, handlers: WatchHandlers<T>): WatchHandle {
    const path = resourcePath(type, { namespace: options.namespace });
    const url = this.urlFor(path, watchQuery(options));
    let closed = false;
    let req: http.ClientRequest | undefined;
    const onAbort = (): void => close();
    const close = (err?: Error): void => {
      if (closed) return;
      closed = true;
      options.signal?.removeEventListener('abort', onAbort);
      req?.destroy();
      handlers.onClose(err);
    };

    const deliver = (line: string): void => {
      let event: WatchEvent<T>;
      try {
        event = JSON.parse(line) as WatchEvent<T>;
      } catch (err) {
        close(new RequestError(`client: malformed watch event from ${url.pathname}: ${line.slice(0, 200)}`, { cause: err }));
        return;
      }
      if (event.type === 'ERROR') {
        const status = event.object as unknown;
        close(isStatus(status) ? apiErrorFromStatus(status, 500, status.code === 410 ? 'Expired' : undefined) : new RequestError(`client: watch ERROR event without a Status: ${line.slice(0, 200)}`));
        return;
      }
      try {
        handlers.onEvent(event);
      } catch (err) {
        close(err instanceof Error ? err : new Error(String(err)));
      }
    };

    if (options.signal?.aborted) {
      // Asynchronously, so the caller holds the handle before onClose runs.
      queueMicrotask(() => close());
      return { stop: () => close() };
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    req = this.transport.request(url, { method: 'GET', agent: this.agent, headers: this.headers });
    req.on('response', (res) => {
      const code = res.statusCode ?? 0;
      if (code < 200 || code >= 300) {
        readBody(res)
          .then((text) => close(apiErrorFromResponse(code, text, res.headers['retry-after'])))
          .catch((err: unknown) => close(new RequestError(`client: reading watch error response from ${url.pathname}: ${(err as Error).message}`, { cause: err })));
        return;
      }
      const lines = new LineSplitter();
      res.on('data', (chunk: Buffer) => {
        for (const line of lines.push(chunk)) {
          if (closed) return;
          deliver(line);
        }
      });
      res.on('end', () => {
        for (const line of lines.end()) {
          if (closed) return;
          deliver(line);
        }
        close();
      });
      res.on('error', (err) => close(new RequestError(`client: watch ${url.pathname} failed: ${err.message}`, { cause: err })));
      res.on('close', () => {
        if (!res.complete) close(new RequestError(`client: watch ${url.pathname}: connection closed before the server ended the stream`));
      });
    });
    req.on('error', (err) => close(new RequestError(`client: watch ${url.pathname} failed: ${err.message}`, { cause: err })));
    req.end();
    return { stop: () => close() };
  }

  private urlFor(path: string, query?: URLSearchParams): URL {
    const url = new URL(this.url.origin);
    url.pathname = this.basePath + path;
    const qs = query?.toString();
    if (qs) url.search = qs;
    return url;
  }

  private request<R>(method: string, path: string, query: URLSearchParams | undefined, body: Body | undefined, signal: AbortSignal | undefined, retried = false): Promise<R> {
    const url = this.urlFor(path, query);
    const what = `${method} ${url.pathname}`;
    return new Promise<R>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const headers: Record<string, string | number> = { ...this.headers };
      if (body) {
        headers['Content-Type'] = body.contentType;
        headers['Content-Length'] = Buffer.byteLength(body.data);
      }
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, value?: R): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value as R);
      };
      const onAbort = (): void => {
        finish(abortReason(signal!));
        req.destroy();
      };

      const req = this.transport.request(url, { method, agent: this.agent, headers });
      req.on('response', (res) => {
        readBody(res).then(
          (text) => {
            const code = res.statusCode ?? 0;
            if (code < 200 || code >= 300) {
              finish(apiErrorFromResponse(code, text, res.headers['retry-after']));
              return;
            }
            try {
              finish(undefined, (text ? JSON.parse(text) : undefined) as R);
            } catch (err) {
              finish(new RequestError(`client: ${what}: response is not JSON: ${text.slice(0, 200)}`, { cause: err }));
            }
          },
          (err: Error) => finish(new RequestError(`client: ${what}: reading the response failed: ${err.message}`, { cause: err })),
        );
      });
      let responded = false;
      req.on('response', () => (responded = true));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed as idle just as we sent
        // on it: the server never read the request. Retry once on a fresh
        // connection, for idempotent methods only (a POST or PATCH the
        // server did read would be applied twice).
        if (!retried && !settled && !responded && req.reusedSocket && IDEMPOTENT.has(method) && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          this.request<R>(method, path, query, body, signal, true).then(
            (value) => finish(undefined, value),
            (retryErr: Error) => finish(retryErr),
          );
          return;
        }
        finish(new RequestError(`client: ${what} failed: ${err.message}`, { cause: err }));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.config.timeoutMs && this.config.timeoutMs > 0) {
        const ms = this.config.timeoutMs;
        timer = setTimeout(() => {
          finish(new RequestError(`client: ${what} timed out after ${ms} ms`));
          req.destroy();
        }, ms);
      }
      req.end(body?.data);
    });
  }
}

/**
 * Splits a byte stream into non-empty text lines as chunks arrive: a chunk
 * may end mid-line or mid-character (UTF-8), or hold several lines.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** The lines completed by `chunk`. */
  push(chunk: Buffer | string): string[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: string[] = [];
    let start = 0;
    let nl: number;
    while ((nl = this.pending.indexOf('\n', start)) >= 0) {
      const line = this.pending.slice(start, nl).trim();
      if (line) out.push(line);
      start = nl + 1;
    }
    this.pending = this.pending.slice(start);
    return out;
  }

  /** The last line, if the stream did not end with a newline. */
  end(): string[] {
    const rest = (this.pending + this.decoder.end()).trim();
    this.pending = '';
    return rest ? [rest] : [];
  }
}

function json(value: unknown): Body {
  return { data: JSON.stringify(value), contentType: 'application/json' };
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(new Error('connection closed before the response was complete'));
    });
  });
}

/**
 * A client for a kubeconfig file's context (default: its current-context).
 * Supports bearer tokens, client certificates, CA data or file, and
 * insecure-skip-tls-verify; see kubeconfig.ts.
 */
export function fromKubeconfig(path: string, context?: string, overrides: Partial<HttpClientConfig> = {}): HttpApiClient {
  return new HttpApiClient({ ...loadKubeconfig(path, context).config, ...overrides });
}
