/**
 * Raw HTTPS against a booted test cluster: Node's https with the cluster CA
 * and the admin bearer token, so tests see exactly the status codes, headers
 * and bodies a client would. Watches are parsed as newline-delimited JSON as
 * the bytes arrive.
 */
import * as https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TestCluster } from './cluster';

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json<T = any>(): T;
}

export interface RequestOptions {
  /** An object is sent as JSON; a string or Buffer as is. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly accept?: string;
  readonly headers?: Record<string, string | string[]>;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length), in pieces of this many bytes. */
  readonly chunkSize?: number;
}

/** One watch event as it came off the wire. */
export interface WatchEvent {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR' | string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  object: any;
}

export class ApiHttp {
  private readonly agent: https.Agent;
  private readonly base: URL;

  constructor(
    cluster: TestCluster,
    private readonly token: string | undefined = cluster.kernel.adminBearerToken,
  ) {
    const ca = cluster.kernel.caCertificate;
    if (!ca) throw new Error('ApiHttp needs a TLS cluster');
    this.agent = new https.Agent({ ca, keepAlive: true });
    this.base = new URL(cluster.url);
  }

  close(): void {
    this.agent.destroy();
  }

  private options(method: string, path: string, headers: Record<string, string | string[]>): https.RequestOptions {
    const h: Record<string, string | string[]> = { ...headers };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    return { agent: this.agent, host: this.base.hostname, port: this.base.port, method, path, headers: h };
  }

  request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const headers: Record<string, string | string[]> = { ...(opts.headers ?? {}) };
    let body: Buffer | undefined;
    if (opts.body !== undefined) {
      body = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      if (!opts.chunkSize) headers['Content-Length'] = String(body.length);
    }
    if (opts.accept) headers.Accept = opts.accept;
    return new Promise((resolve, reject) => {
      const req = https.request(this.options(method, path, headers), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve(response(res, Buffer.concat(chunks))));
      });
      // The server may answer (413) and close before it read the whole body.
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return;
        reject(err);
      });
      if (body && opts.chunkSize) {
        for (let i = 0; i < body.length; i += opts.chunkSize) req.write(body.subarray(i, i + opts.chunkSize));
        req.end();
      } else req.end(body);
    });
  }

  get(path: string, opts?: RequestOptions) {
    return this.request('GET', path, opts);
  }
  post(path: string, body: unknown, opts?: RequestOptions) {
    return this.request('POST', path, { ...opts, body });
  }
  put(path: string, body: unknown, opts?: RequestOptions) {
    return this.request('PUT', path, { ...opts, body });
  }
  patch(path: string, body: unknown, contentType: string, opts?: RequestOptions) {
    return this.request('PATCH', path, { ...opts, body, contentType });
  }
  delete(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request('DELETE', path, { ...opts, body });
  }

  /** Open a streaming GET (logs, watches): resolves once the response headers are in. */
  stream(path: string, headers: Record<string, string> = {}): Promise<{ res: IncomingMessage; abort(): void }> {
    return new Promise((resolve, reject) => {
      const req = https.request(this.options('GET', path, headers), (res) => resolve({ res, abort: () => req.destroy() }));
      req.on('error', reject);
      req.end();
    });
  }

  /** A watch: `path` should carry `watch=true` (or use the /watch/ prefix). */
  async watch(path: string, headers: Record<string, string> = {}): Promise<WatchStream> {
    const { res, abort } = await this.stream(path, headers);
    return new WatchStream(res, abort);
  }

  /** An upgrade request (exec, attach, portforward): resolves with the switched connection or the refusal. */
  upgrade(method: string, path: string, headers: Record<string, string>): Promise<{ upgraded: true; res: IncomingMessage; socket: Duplex } | { upgraded: false; response: HttpResponse }> {
    return new Promise((resolve, reject) => {
      const req = https.request({ ...this.options(method, path, { Connection: 'Upgrade', ...headers }), agent: false, ca: this.agent.options.ca });
      req.on('upgrade', (res, socket) => resolve({ upgraded: true, res, socket }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ upgraded: false, response: response(res, Buffer.concat(chunks)) }));
      });
      req.on('error', reject);
      req.end();
    });
  }
}

function response(res: IncomingMessage, raw: Buffer): HttpResponse {
  const text = raw.toString('utf8');
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    raw,
    text,
    json: () => JSON.parse(text),
  };
}

/** The events of a watch, parsed incrementally; waits are bounded by a deadline. */
export class WatchStream {
  readonly events: WatchEvent[] = [];
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  private buffer = '';
  private consumed = 0;
  private done = false;
  private waiters: Array<() => void> = [];
  /** A non-200 answer's body. */
  body = '';

  constructor(
    private readonly res: IncomingMessage,
    private readonly abort: () => void,
  ) {
    this.status = res.statusCode ?? 0;
    this.headers = res.headers;
    res.setEncoding('utf8');
    this.ended = new Promise((resolve) => {
      const finish = () => {
        if (this.done) return;
        this.done = true;
        this.wake();
        resolve();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    res.on('data', (chunk: string) => {
      if (this.status !== 200) {
        this.body += chunk;
        return;
      }
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.events.push(JSON.parse(line) as WatchEvent);
      }
      this.wake();
    });
  }

  get closed(): boolean {
    return this.done;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private waitForChange(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const left = deadline - Date.now();
      if (left <= 0) return reject(new Error('deadline passed'));
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        reject(new Error('deadline passed'));
      }, left);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(wake);
    });
  }

  /** The next event not yet taken by next()/until(). */
  async next(timeoutMs = 5000): Promise<WatchEvent> {
    const deadline = Date.now() + timeoutMs;
    while (this.consumed >= this.events.length) {
      if (this.done) throw new Error(`watch ended; events so far: ${this.describe()}`);
      await this.waitForChange(deadline).catch(() => {
        throw new Error(`no watch event within ${timeoutMs} ms; events so far: ${this.describe()}`);
      });
    }
    return this.events[this.consumed++];
  }

  /** Take events until one matches; returns the ones taken, the match last. */
  async until(predicate: (e: WatchEvent) => boolean, timeoutMs = 5000): Promise<WatchEvent[]> {
    const deadline = Date.now() + timeoutMs;
    const taken: WatchEvent[] = [];
    for (;;) {
      const e = await this.next(Math.max(1, deadline - Date.now()));
      taken.push(e);
      if (predicate(e)) return taken;
    }
  }

  /** Wait for the server to end the stream. */
  async waitEnd(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.ended,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`watch did not end within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  describe(): string {
    return JSON.stringify(this.events.map((e) => `${e.type} ${e.object?.metadata?.name ?? e.object?.reason ?? ''}`));
  }

  close(): void {
    this.abort();
    this.res.destroy();
  }
}

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
}
