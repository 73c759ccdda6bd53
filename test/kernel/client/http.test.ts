import type * as http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, FieldError } from '../../../kernel/api/errors';
import type { KubeObject, WatchEvent } from '../../../kernel/api/types';
import { HttpApiClient, LineSplitter, RequestError } from '../../../kernel/client/http';
import type { ApiClient, ResourceType } from '../../../kernel/client/types';
import { ApiFixture, sendJson } from './http-fixture';

const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const CONFIGMAPS: ResourceType = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };
const DEPLOYMENTS: ResourceType = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true };

const TLS_DIR = join(__dirname, 'fixtures', 'tls');
const tlsFile = (name: string) => readFileSync(join(TLS_DIR, name));

const webPod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', resourceVersion: '7' }, spec: { containers: [] } };

/** Wait (real time, bounded) until `cond` holds. */
async function until(cond: () => boolean, what = 'condition', ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function watchRecorder() {
  const events: WatchEvent[] = [];
  const closes: Array<Error | undefined> = [];
  return { events, closes, handlers: { onEvent: (e: WatchEvent) => events.push(e), onClose: (err?: Error) => closes.push(err) } };
}

describe('HttpApiClient', () => {
  let fixture: ApiFixture;
  let base: string;
  let client: HttpApiClient;

  beforeEach(async () => {
    fixture = new ApiFixture();
    base = await fixture.start();
    client = new HttpApiClient({ server: base, token: 's3cret', userAgent: 'skiff-test/1.0' });
  });
  afterEach(async () => {
    client.close();
    await fixture.close();
  });

  describe('requests: URLs, query parameters, bodies and content types', () => {
    type Expected = { method: string; path: string; query?: Record<string, string>; contentType?: string; body?: unknown };
    const cases: Array<[string, (c: ApiClient) => Promise<unknown>, Expected]> = [
      ['get a subresource', (c) => c.get(PODS, 'web-1', { namespace: 'default', subresource: 'status' }), { method: 'GET', path: '/api/v1/namespaces/default/pods/web-1/status' }],
      ['get in a named group', (c) => c.get(DEPLOYMENTS, 'web', { namespace: 'prod' }), { method: 'GET', path: '/apis/apps/v1/namespaces/prod/deployments/web' }],
      ['get a cluster-scoped object (namespace ignored)', (c) => c.get(NAMESPACES, 'prod', { namespace: 'x' }), { method: 'GET', path: '/api/v1/namespaces/prod' }],
      ['escape names', (c) => c.get(CONFIGMAPS, 'a b/c', { namespace: 'n' }), { method: 'GET', path: '/api/v1/namespaces/n/configmaps/a%20b%2Fc' }],
      [
        'list across namespaces with every list parameter',
        (c) => c.list(PODS, { labelSelector: 'app=web,tier!=db', fieldSelector: 'spec.nodeName=n1', limit: 50, continue: 'tok', resourceVersion: '10', resourceVersionMatch: 'NotOlderThan' }),
        {
          method: 'GET',
          path: '/api/v1/pods',
          query: { labelSelector: 'app=web,tier!=db', fieldSelector: 'spec.nodeName=n1', limit: '50', continue: 'tok', resourceVersion: '10', resourceVersionMatch: 'NotOlderThan' },
        },
      ],
      ['list in a namespace', (c) => c.list(DEPLOYMENTS, { namespace: 'prod' }), { method: 'GET', path: '/apis/apps/v1/namespaces/prod/deployments', query: {} }],
      [
        'create: namespace from the object, write parameters',
        (c) => c.create(PODS, webPod, { dryRun: true, fieldManager: 'skiff', fieldValidation: 'Strict' }),
        { method: 'POST', path: '/api/v1/namespaces/default/pods', query: { dryRun: 'All', fieldManager: 'skiff', fieldValidation: 'Strict' }, contentType: 'application/json', body: webPod },
      ],
      [
        'create on a subresource (binding)',
        (c) => c.create(PODS, { apiVersion: 'v1', kind: 'Binding', target: { kind: 'Node', name: 'n1' } }, { namespace: 'default', name: 'web-1', subresource: 'binding' }),
        { method: 'POST', path: '/api/v1/namespaces/default/pods/web-1/binding', body: { apiVersion: 'v1', kind: 'Binding', target: { kind: 'Node', name: 'n1' } } },
      ],
      ['update the status subresource', (c) => c.update(PODS, webPod, { subresource: 'status' }), { method: 'PUT', path: '/api/v1/namespaces/default/pods/web-1/status', query: {}, contentType: 'application/json', body: webPod }],
      [
        'json patch',
        (c) => c.patch(PODS, 'web-1', 'json', [{ op: 'replace', path: '/spec/replicas', value: 2 }], { namespace: 'default' }),
        { method: 'PATCH', path: '/api/v1/namespaces/default/pods/web-1', contentType: 'application/json-patch+json', body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] },
      ],
      ['merge patch', (c) => c.patch(PODS, 'web-1', 'merge', { metadata: { labels: { a: null } } }, { namespace: 'default' }), { method: 'PATCH', path: '/api/v1/namespaces/default/pods/web-1', contentType: 'application/merge-patch+json' }],
      [
        'strategic merge patch',
        (c) => c.patch(DEPLOYMENTS, 'web', 'strategic', { spec: { replicas: 3 } }, { namespace: 'prod', dryRun: true }),
        { method: 'PATCH', path: '/apis/apps/v1/namespaces/prod/deployments/web', query: { dryRun: 'All' }, contentType: 'application/strategic-merge-patch+json' },
      ],
      [
        'server-side apply with force',
        (c) => c.patch(DEPLOYMENTS, 'web', 'apply', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, { namespace: 'prod', fieldManager: 'skiff', force: true }),
        {
          method: 'PATCH',
          path: '/apis/apps/v1/namespaces/prod/deployments/web',
          query: { fieldManager: 'skiff', force: 'true' },
          contentType: 'application/apply-patch+yaml',
          body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
        },
      ],
      [
        'delete: options travel in a DeleteOptions body',
        (c) => c.delete(PODS, 'web-1', { namespace: 'default', propagationPolicy: 'Foreground', gracePeriodSeconds: 0, preconditions: { uid: 'u1' }, dryRun: true }),
        {
          method: 'DELETE',
          path: '/api/v1/namespaces/default/pods/web-1',
          query: {},
          contentType: 'application/json',
          body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', gracePeriodSeconds: 0, preconditions: { uid: 'u1' }, dryRun: ['All'] },
        },
      ],
      [
        'deleteCollection: selectors in the query, options in the body',
        (c) => c.deleteCollection(PODS, { namespace: 'default', labelSelector: 'app=web', propagationPolicy: 'Background' }),
        {
          method: 'DELETE',
          path: '/api/v1/namespaces/default/pods',
          query: { labelSelector: 'app=web' },
          body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
        },
      ],
    ];

    it.each(cases)('%s', async (_name, call, expected) => {
      await call(client);
      const seen = fixture.last;
      expect(seen.method).toBe(expected.method);
      expect(seen.path).toBe(expected.path);
      if (expected.query) expect(seen.query).toEqual(expected.query);
      if (expected.contentType) expect(seen.headers['content-type']).toBe(expected.contentType);
      if (expected.body !== undefined) expect(JSON.parse(seen.body)).toEqual(expected.body);
    });

    it('sends the token, user agent and Accept header, and returns the parsed body', async () => {
      fixture.respond = (_req, res) => sendJson(res, 200, webPod);
      await expect(client.get(PODS, 'web-1', { namespace: 'default' })).resolves.toEqual(webPod);
      expect(fixture.last.headers).toMatchObject({ authorization: 'Bearer s3cret', 'user-agent': 'skiff-test/1.0', accept: 'application/json' });
    });

    it('keeps a path prefix of the server URL', async () => {
      const prefixed = new HttpApiClient({ server: `${base}/k8s/clusters/c1/` });
      await prefixed.get(PODS, 'web-1', { namespace: 'default' });
      prefixed.close();
      expect(fixture.last.path).toBe('/k8s/clusters/c1/api/v1/namespaces/default/pods/web-1');
    });

    it('refuses server-side apply without a fieldManager before sending anything', async () => {
      await expect(client.patch(PODS, 'web-1', 'apply', {}, { namespace: 'default' })).rejects.toThrow('needs a fieldManager');
      await expect(client.update(PODS, { metadata: {} })).rejects.toThrow('update of pods needs metadata.name');
      expect(fixture.seen).toHaveLength(0);
    });
  });

  describe('errors', () => {
    it('turns a Status body into the same ApiError: code, reason, message, details', async () => {
      const original = ApiError.invalid('Pod', '', 'web-1', [FieldError.required('spec.containers'), FieldError.invalid('metadata.name', 'Web', 'must be lowercase')]);
      fixture.respond = (_req, res) => sendJson(res, 422, original.toStatus());
      const err = await client.create(PODS, webPod).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      const apiErr = err as ApiError;
      expect([apiErr.code, apiErr.reason, apiErr.message]).toEqual([422, 'Invalid', original.message]);
      expect(apiErr.details).toEqual(original.details);
      expect(apiErr.toStatus()).toEqual(original.toStatus());
    });

    it.each([
      ['NotFound', ApiError.notFound({ group: '', resource: 'pods' }, 'web-1')],
      ['Conflict', ApiError.conflict({ group: 'apps', resource: 'deployments' }, 'web')],
      ['Forbidden', ApiError.forbidden({ group: '', resource: 'secrets' }, 'x', 'User "bob" cannot get resource "secrets"')],
      ['TooManyRequests', ApiError.tooManyRequests('slow down', 3)],
    ])('round-trips a %s Status', async (_reason, original) => {
      fixture.respond = (_req, res) => sendJson(res, original.code, original.toStatus());
      const err = (await client.get(PODS, 'web-1', { namespace: 'default' }).catch((e: unknown) => e)) as ApiError;
      expect(err).toBeInstanceOf(ApiError);
      expect(err.toStatus()).toEqual(original.toStatus());
    });

    it('derives the reason from the HTTP code when the body is not a Status', async () => {
      fixture.respond = (_req, res) => {
        res.writeHead(404, { 'Content-Type': 'text/html' });
        res.end('<html>nothing here</html>');
      };
      await expect(client.get(PODS, 'web-1', { namespace: 'default' })).rejects.toMatchObject({
        name: 'ApiError',
        code: 404,
        reason: 'NotFound',
        message: 'the server could not find the requested resource (<html>nothing here</html>)',
      });

      fixture.respond = (_req, res) => {
        res.writeHead(503, { 'Retry-After': '5' });
        res.end();
      };
      await expect(client.list(PODS)).rejects.toMatchObject({ code: 503, reason: 'ServiceUnavailable', details: { retryAfterSeconds: 5 } });

      fixture.respond = (_req, res) => {
        res.writeHead(502);
        res.end('bad gateway');
      };
      await expect(client.list(PODS)).rejects.toMatchObject({ code: 502, reason: 'InternalError' });
    });

    it('returns a Success Status from delete as a value', async () => {
      const success = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
      fixture.respond = (_req, res) => sendJson(res, 200, success);
      await expect(client.delete(PODS, 'web-1', { namespace: 'default' })).resolves.toEqual(success);
    });

    it('reports a non-JSON 2xx body as a RequestError', async () => {
      fixture.respond = (_req, res) => {
        res.writeHead(200);
        res.end('not json');
      };
      await expect(client.get(PODS, 'x', { namespace: 'default' })).rejects.toBeInstanceOf(RequestError);
    });

    it('reports refused connections as a RequestError with the socket error as cause', async () => {
      const dead = new ApiFixture();
      const url = await dead.start();
      await dead.close();
      const c = new HttpApiClient({ server: url });
      const err = (await c.get(PODS, 'x', { namespace: 'default' }).catch((e: unknown) => e)) as RequestError;
      c.close();
      expect(err).toBeInstanceOf(RequestError);
      expect(err.message).toMatch(/^client: GET \/api\/v1\/namespaces\/default\/pods\/x failed: connect ECONNREFUSED/);
      expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    });

    it('times out a request after timeoutMs', async () => {
      fixture.respond = () => undefined; // never answers
      const slow = new HttpApiClient({ server: base, timeoutMs: 30 });
      await expect(slow.get(PODS, 'x', { namespace: 'default' })).rejects.toThrow('client: GET /api/v1/namespaces/default/pods/x timed out after 30 ms');
      slow.close();
    });

    it('rejects with the abort reason when the signal aborts', async () => {
      fixture.respond = () => undefined;
      const ac = new AbortController();
      const pending = client.get(PODS, 'x', { namespace: 'default', signal: ac.signal });
      await until(() => fixture.seen.length === 1, 'the request');
      ac.abort();
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      await expect(client.get(PODS, 'x', { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    });
  });

  describe('connections', () => {
    it('reuses one keep-alive connection for sequential requests', async () => {
      for (let i = 0; i < 10; i++) await client.get(PODS, `p${i}`, { namespace: 'default' });
      expect(fixture.connections).toBe(1);
    });

    it('retries an idempotent request once when a reused connection turns out to be closed', async () => {
      let n = 0;
      fixture.respond = (req, res) => {
        if (++n === 2) req.socket.destroy(); // the server dropped the kept-alive connection
        else sendJson(res, 200, webPod);
      };
      await client.get(PODS, 'web-1', { namespace: 'default' });
      await expect(client.get(PODS, 'web-1', { namespace: 'default' })).resolves.toEqual(webPod);
      expect(fixture.seen).toHaveLength(3);
      expect(fixture.connections).toBe(2);

      n = 0;
      await client.get(PODS, 'web-1', { namespace: 'default' });
      const err = await client.create(PODS, webPod).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestError); // a POST is never replayed
      expect(fixture.seen).toHaveLength(5);
    });

    it('serves 32 concurrent requests over at most 32 connections, reused afterwards', async () => {
      const all = await Promise.all(Array.from({ length: 32 }, (_, i) => client.get(PODS, `p${i}`, { namespace: 'default' })));
      expect(all).toHaveLength(32);
      const after = fixture.connections;
      expect(after).toBeLessThanOrEqual(32);
      await Promise.all(Array.from({ length: 32 }, (_, i) => client.get(PODS, `p${i}`, { namespace: 'default' })));
      expect(fixture.connections).toBe(after);
    });
  });

  describe('watch', () => {
    const event = (type: string, name: string, rv: string) => JSON.stringify({ type, object: { kind: 'Pod', apiVersion: 'v1', metadata: { name, resourceVersion: rv } } });

    /** Respond to a watch with `pieces`, written `gapMs` apart, then end (unless `keepOpen`). */
    function streamPieces(pieces: Array<string | Buffer>, options: { gapMs?: number; keepOpen?: boolean } = {}) {
      const ended: { closed: boolean } = { closed: false };
      fixture.respond = (req, res) => {
        req.on('close', () => (ended.closed = true));
        res.on('error', () => undefined); // writes after the client went away
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        let i = 0;
        const next = (): void => {
          if (i < pieces.length) {
            res.write(pieces[i++]);
            setTimeout(next, options.gapMs ?? 3);
          } else if (!options.keepOpen) res.end();
        };
        next();
      };
      return ended;
    }

    it('builds the watch URL like client-go (a single object by metadata.name field selector)', async () => {
      streamPieces([]);
      const rec = watchRecorder();
      client.watch(PODS, { namespace: 'default', resourceVersion: '5', allowWatchBookmarks: true, timeoutSeconds: 300, labelSelector: 'app=web', name: 'web-1' }, rec.handlers);
      await until(() => rec.closes.length === 1);
      expect(fixture.last.path).toBe('/api/v1/namespaces/default/pods');
      expect(fixture.last.query).toEqual({
        watch: 'true',
        resourceVersion: '5',
        allowWatchBookmarks: 'true',
        timeoutSeconds: '300',
        labelSelector: 'app=web',
        fieldSelector: 'metadata.name=web-1',
      });
      expect(rec.closes).toEqual([undefined]);
    });

    it('parses events split across chunks and several events per chunk, then closes cleanly', async () => {
      const e1 = event('ADDED', 'a', '1');
      const e2 = event('MODIFIED', 'caf\u00e9-\u65e5\u672c', '2');
      const e3 = event('BOOKMARK', '', '3');
      const e4 = event('DELETED', 'a', '4');
      const bytes2 = Buffer.from(e2 + '\n');
      const split = bytes2.indexOf(0xc3) + 1; // inside the two-byte "é"
      streamPieces([e1.slice(0, 10), e1.slice(10) + '\n' + '\n', bytes2.subarray(0, split), bytes2.subarray(split), `${e3}\n${e4}`]);
      const rec = watchRecorder();
      client.watch(PODS, {}, rec.handlers);
      await until(() => rec.closes.length === 1, 'close');
      expect(rec.events.map((e) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`)).toEqual([
        'ADDED a 1',
        'MODIFIED caf\u00e9-\u65e5\u672c 2',
        'BOOKMARK  3',
        'DELETED a 4', // the last line had no trailing newline
      ]);
      expect(rec.closes).toEqual([undefined]);
    });

    it('ends the watch with an ApiError when an ERROR event carries a Status (410 -> Expired)', async () => {
      const expired = { type: 'ERROR', object: ApiError.expired('too old resource version: 1 (5)').toStatus() };
      const ended = streamPieces([event('ADDED', 'a', '6') + '\n' + JSON.stringify(expired) + '\n', event('ADDED', 'never', '7') + '\n'], { keepOpen: true });
      const rec = watchRecorder();
      client.watch(PODS, { resourceVersion: '1' }, rec.handlers);
      await until(() => rec.closes.length === 1, 'close');
      expect(rec.events.map((e) => e.object.metadata?.name)).toEqual(['a']);
      expect(rec.closes[0]).toBeInstanceOf(ApiError);
      expect(rec.closes[0]).toMatchObject({ code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' });
      await until(() => ended.closed, 'the connection to be dropped');
    });

    it('treats a 410 ERROR Status without a reason as Expired', async () => {
      streamPieces([JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, message: 'gone' } }) + '\n']);
      const rec = watchRecorder();
      client.watch(PODS, {}, rec.handlers);
      await until(() => rec.closes.length === 1);
      expect(rec.closes[0]).toMatchObject({ code: 410, reason: 'Expired', message: 'gone' });
    });

    it('reports a rejected watch request as an ApiError through onClose', async () => {
      const forbidden = ApiError.forbidden({ group: '', resource: 'pods' }, '', 'User "bob" cannot watch resource "pods"');
      fixture.respond = (_req, res) => sendJson(res, 403, forbidden.toStatus());
      const rec = watchRecorder();
      client.watch(PODS, {}, rec.handlers);
      await until(() => rec.closes.length === 1);
      expect((rec.closes[0] as ApiError).toStatus()).toEqual(forbidden.toStatus());
    });

    it('reports a connection dropped mid-stream as an error, not a clean close', async () => {
      fixture.respond = (req: http.IncomingMessage, res: http.ServerResponse) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(event('ADDED', 'a', '1') + '\n');
        setTimeout(() => req.socket.destroy(), 5);
      };
      const rec = watchRecorder();
      client.watch(PODS, {}, rec.handlers);
      await until(() => rec.closes.length === 1);
      expect(rec.events).toHaveLength(1);
      expect(rec.closes[0]).toBeInstanceOf(RequestError);
    });

    it('stop() aborts the request, calls onClose once without an error, and delivers nothing after', async () => {
      const ended = streamPieces([event('ADDED', 'a', '1') + '\n', event('ADDED', 'b', '2') + '\n'], { gapMs: 40, keepOpen: true });
      const rec = watchRecorder();
      const handle = client.watch(PODS, {}, rec.handlers);
      await until(() => rec.events.length === 1, 'the first event');
      handle.stop();
      handle.stop();
      await until(() => ended.closed, 'the server to see the connection close');
      await new Promise((r) => setTimeout(r, 60));
      expect(rec.events.map((e) => e.object.metadata?.name)).toEqual(['a']);
      expect(rec.closes).toEqual([undefined]);
    });

    it('stops when the signal aborts', async () => {
      const ended = streamPieces([], { keepOpen: true });
      const ac = new AbortController();
      const rec = watchRecorder();
      client.watch(PODS, { signal: ac.signal }, rec.handlers);
      await until(() => fixture.seen.length === 1);
      ac.abort();
      await until(() => ended.closed && rec.closes.length === 1);
      expect(rec.closes).toEqual([undefined]);
    });

    it('ends the watch with the error when onEvent throws', async () => {
      streamPieces([event('ADDED', 'a', '1') + '\n', event('ADDED', 'b', '2') + '\n'], { keepOpen: true });
      const closes: Array<Error | undefined> = [];
      client.watch(PODS, {}, {
        onEvent: () => {
          throw new Error('handler failed');
        },
        onClose: (err) => closes.push(err),
      });
      await until(() => closes.length === 1);
      expect(closes[0]?.message).toBe('handler failed');
    });
  });
});

describe('LineSplitter', () => {
  it('yields the same lines however the bytes are chunked', () => {
    const text = '{"a":1}\n\n{"b":"caf\u00e9 \u65e5\u672c"}\r\n{"c":3}';
    const bytes = Buffer.from(text);
    for (let cut1 = 0; cut1 <= bytes.length; cut1++) {
      for (const cut2 of [cut1, Math.min(bytes.length, cut1 + 1), Math.min(bytes.length, cut1 + 7)]) {
        const s = new LineSplitter();
        const lines = [...s.push(bytes.subarray(0, cut1)), ...s.push(bytes.subarray(cut1, cut2)), ...s.push(bytes.subarray(cut2)), ...s.end()];
        expect(lines).toEqual(['{"a":1}', '{"b":"caf\u00e9 \u65e5\u672c"}', '{"c":3}']);
      }
    }
  });
});

describe('HttpApiClient over TLS', () => {
  let fixture: ApiFixture;
  let base: string;
  const clients: HttpApiClient[] = [];
  const make = (config: Partial<ConstructorParameters<typeof HttpApiClient>[0]>) => {
    const c = new HttpApiClient({ server: base, ...config });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    fixture = new ApiFixture({ key: tlsFile('server.key'), cert: tlsFile('server.crt'), ca: tlsFile('ca.crt'), requestCert: true, rejectUnauthorized: false });
    fixture.respond = (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      sendJson(res, 200, { kind: 'Pod', apiVersion: 'v1', metadata: { name: peer?.subject?.CN ?? 'anonymous' } });
    };
    base = await fixture.start();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await fixture.close();
  });

  it('verifies the server with the given CA and authenticates with a client certificate', async () => {
    const c = make({ ca: tlsFile('ca.crt'), clientCert: tlsFile('client.crt'), clientKey: tlsFile('client.key') });
    const obj = await c.get(PODS, 'x', { namespace: 'default' });
    expect(obj.metadata?.name).toBe('skiff-test-admin');
  });

  it('refuses a server it cannot verify, unless told to skip verification', async () => {
    const err = (await make({}).get(PODS, 'x', { namespace: 'default' }).catch((e: unknown) => e)) as RequestError;
    expect(err).toBeInstanceOf(RequestError);
    expect((err.cause as NodeJS.ErrnoException).code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
    await expect(make({ insecureSkipTLSVerify: true }).get(PODS, 'x', { namespace: 'default' })).resolves.toMatchObject({ metadata: { name: 'anonymous' } });
  });

  it('checks the certificate against tlsServerName when set', async () => {
    await expect(make({ ca: tlsFile('ca.crt'), tlsServerName: 'localhost' }).get(PODS, 'x', { namespace: 'default' })).resolves.toBeDefined();
    const err = (await make({ ca: tlsFile('ca.crt'), tlsServerName: 'wrong.example' }).get(PODS, 'x', { namespace: 'default' }).catch((e: unknown) => e)) as RequestError;
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
