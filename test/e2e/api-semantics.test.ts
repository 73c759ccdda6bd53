/**
 * The Kubernetes API semantics of a booted skiff, over real HTTPS with raw
 * requests, each compared with what kube-apiserver answers: paged lists and
 * their snapshot, label and field selectors, watches (initial events,
 * resumption, selector transitions, bookmarks, initial-events-end, timeouts,
 * 410 Expired), optimistic concurrency and delete preconditions, generation
 * and the status subresource, finalizers and graceful deletion, namespace
 * lifecycle, Service allocation, dry run and field validation, pods/binding,
 * the scale subresource, content negotiation (Table, metadata, YAML, 406),
 * discovery, OpenAPI and health, the node streams contract (log, exec) and
 * protobuf request bodies.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { startCluster, TestCluster } from '../support/cluster';
import { ApiHttp, eventually, HttpResponse, WatchStream } from '../support/http';
import { encodeKubernetesProtobuf } from '../../kernel/api/protobuf';
import type { ConnectKind, NodeStreamProvider, PodLogOptions, PodStreamTarget } from '../../kernel/api/node-streams';

let cluster: TestCluster;
let api: ApiHttp;
const openWatches: WatchStream[] = [];

beforeAll(async () => {
  cluster = await startCluster({ bookmarkIntervalMs: 150, config: { api: { serviceClusterIPRange: '10.123.0.0/24' } } });
  api = new ApiHttp(cluster);
});

afterAll(async () => {
  for (const w of openWatches) w.close();
  api?.close();
  await cluster?.destroy();
});

// ---------------------------------------------------------------- helpers

async function watch(path: string): Promise<WatchStream> {
  const w = await api.watch(path);
  openWatches.push(w);
  expect(w.status).toBe(200);
  return w;
}

function expectStatus(res: HttpResponse, code: number, reason: string, message?: string | RegExp): Record<string, any> {
  if (res.status !== code) throw new Error(`expected ${code} ${reason}, got ${res.status}: ${res.text}`);
  const status = res.json();
  expect(status).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
  if (typeof message === 'string') expect(status.message).toBe(message);
  else if (message) expect(status.message).toMatch(message);
  return status;
}

function ok(res: HttpResponse, code = 200): any {
  if (res.status !== code) throw new Error(`expected ${code}, got ${res.status}: ${res.text}`);
  return res.json();
}

async function namespace(name: string): Promise<void> {
  ok(await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }), 201);
}

async function configMap(ns: string, name: string, labels?: Record<string, string>, extra: Record<string, unknown> = {}): Promise<any> {
  return ok(await api.post(`/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { v: '1' }, ...extra }), 201);
}

const cmPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
const names = (list: { items: Array<{ metadata: { name: string } }> }) => list.items.map((i) => i.metadata.name);

function pod(name: string, opts: { nodeName?: string; containers?: string[]; labels?: Record<string, string>; finalizers?: string[] } = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: opts.labels, finalizers: opts.finalizers },
    spec: {
      nodeName: opts.nodeName,
      containers: (opts.containers ?? ['main']).map((c) => ({ name: c, image: 'busybox:1.36', command: ['sleep', '3600'] })),
    },
  };
}

function deployment(name: string, replicas = 1): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } },
    },
  };
}

// ---------------------------------------------------------------- lists

describe('list with limit and continue', () => {
  const ns = 'paging';
  beforeAll(async () => {
    await namespace(ns);
    for (let i = 0; i < 25; i++) await configMap(ns, `cm-${String(i).padStart(2, '0')}`);
  });

  test('pages through a consistent snapshot with remainingItemCount, the last page without continue', async () => {
    const page1 = ok(await api.get(`${cmPath(ns)}?limit=10`));
    expect(names(page1)).toEqual(Array.from({ length: 10 }, (_, i) => `cm-${String(i).padStart(2, '0')}`));
    expect(page1.metadata.continue).toEqual(expect.any(String));
    expect(page1.metadata.remainingItemCount).toBe(15);
    const snapshot = page1.metadata.resourceVersion;

    // Written after the first page: invisible to the rest of this list.
    await configMap(ns, 'cm-15a');
    await configMap(ns, 'cm-99');
    ok(await api.delete(cmPath(ns, 'cm-20')));

    const page2 = ok(await api.get(`${cmPath(ns)}?limit=10&continue=${encodeURIComponent(page1.metadata.continue)}`));
    expect(names(page2)).toEqual(Array.from({ length: 10 }, (_, i) => `cm-${i + 10}`));
    expect(page2.metadata.resourceVersion).toBe(snapshot);
    expect(page2.metadata.remainingItemCount).toBe(5);

    const page3 = ok(await api.get(`${cmPath(ns)}?limit=10&continue=${encodeURIComponent(page2.metadata.continue)}`));
    expect(names(page3)).toEqual(['cm-20', 'cm-21', 'cm-22', 'cm-23', 'cm-24']);
    expect(page3.metadata.resourceVersion).toBe(snapshot);
    expect(page3.metadata).not.toHaveProperty('continue');
    expect(page3.metadata).not.toHaveProperty('remainingItemCount');

    const fresh = ok(await api.get(cmPath(ns)));
    expect(names(fresh)).toContain('cm-15a');
    expect(names(fresh)).toContain('cm-99');
    expect(names(fresh)).not.toContain('cm-20');
    expect(Number(fresh.metadata.resourceVersion)).toBeGreaterThan(Number(snapshot));
    expect(fresh.metadata).not.toHaveProperty('continue');
  });

  test('an invalid continue token is 400 BadRequest; a resourceVersion with continue too', async () => {
    expectStatus(await api.get(`${cmPath(ns)}?limit=5&continue=not-a-token`), 400, 'BadRequest', /^invalid continue token: continue key is not valid: /);
    const forged = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 0, start: 'cm-05\u0000' })).toString('base64url');
    expectStatus(
      await api.get(`${cmPath(ns)}?limit=5&continue=${forged}`),
      400,
      'BadRequest',
      'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
    const page = ok(await api.get(`${cmPath(ns)}?limit=5`));
    expectStatus(
      await api.get(`${cmPath(ns)}?limit=5&resourceVersion=${page.metadata.resourceVersion}&continue=${encodeURIComponent(page.metadata.continue)}`),
      400,
      'BadRequest',
      'specifying resource version is not allowed when using continue',
    );
  });
});

describe('history retention (a store that keeps 20 events)', () => {
  let small: TestCluster;
  let smallApi: ApiHttp;
  beforeAll(async () => {
    small = await startCluster({ config: { store: { type: 'embedded', historyLimit: 20 } } });
    smallApi = new ApiHttp(small);
  });
  afterAll(async () => {
    smallApi?.close();
    await small?.destroy();
  });

  test('a continue token older than the history is 410 Expired with a token to go on inconsistently; an old watch gets ERROR 410', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) ok(await smallApi.post(cmPath('default'), { metadata: { name: n } }), 201);
    const page = ok(await smallApi.get(`${cmPath('default')}?limit=2`));
    expect(names(page)).toEqual(['a', 'b']);
    const from = page.metadata.resourceVersion;
    for (let i = 0; i < 30; i++) ok(await smallApi.put(cmPath('default', 'e'), { metadata: { name: 'e' }, data: { i: String(i) } }));
    ok(await smallApi.post(cmPath('default'), { metadata: { name: 'f' } }), 201);

    const expired = expectStatus(
      await smallApi.get(`${cmPath('default')}?limit=2&continue=${encodeURIComponent(page.metadata.continue)}`),
      410,
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    );
    // The Status carries a continue token that resumes after "b" at the latest state.
    expect(expired.metadata.continue).toEqual(expect.any(String));
    const rest1 = ok(await smallApi.get(`${cmPath('default')}?limit=2&continue=${encodeURIComponent(expired.metadata.continue)}`));
    expect(names(rest1)).toEqual(['c', 'd']);
    const rest2 = ok(await smallApi.get(`${cmPath('default')}?limit=2&continue=${encodeURIComponent(rest1.metadata.continue)}`));
    expect(names(rest2)).toEqual(['e', 'f']);
    expect(rest2.metadata.resourceVersion).toBe(rest1.metadata.resourceVersion);
    expect(Number(rest1.metadata.resourceVersion)).toBeGreaterThan(Number(from));

    const w = await smallApi.watch(`${cmPath('default')}?watch=true&resourceVersion=${from}`);
    openWatches.push(w);
    expect(w.status).toBe(200);
    const error = await w.next();
    expect(error.type).toBe('ERROR');
    expect(error.object).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
    expect(error.object.message).toMatch(new RegExp(`^too old resource version: ${from} \\(\\d+\\)$`));
    await w.waitEnd();
  });
});

// ---------------------------------------------------------------- selectors

describe('label and field selectors', () => {
  const ns = 'selectors';
  beforeAll(async () => {
    await namespace(ns);
    await configMap(ns, 'a', { app: 'web', tier: 'front' });
    await configMap(ns, 'b', { app: 'web', tier: 'back' });
    await configMap(ns, 'c', { app: 'db' });
    await configMap(ns, 'd');
  });

  test.each([
    ['app=web', ['a', 'b']],
    ['app==db', ['c']],
    ['app!=web', ['c', 'd']],
    ['tier in (front,back)', ['a', 'b']],
    ['app notin (web)', ['c', 'd']],
    ['tier', ['a', 'b']],
    ['!tier', ['c', 'd']],
    ['app=web,tier=back', ['b']],
    ['app in (web,db),!tier', ['c']],
  ])('labelSelector %s', async (selector, expected) => {
    const list = ok(await api.get(`${cmPath(ns)}?labelSelector=${encodeURIComponent(selector)}`));
    expect(names(list)).toEqual(expected);
  });

  test('field selectors on metadata.name and metadata.namespace', async () => {
    expect(names(ok(await api.get(`${cmPath(ns)}?fieldSelector=metadata.name%3Da`)))).toEqual(['a']);
    expect(names(ok(await api.get(`${cmPath(ns)}?fieldSelector=metadata.name!%3Da`)))).toEqual(['b', 'c', 'd']);
    const across = ok(await api.get(`/api/v1/configmaps?fieldSelector=metadata.namespace%3D${ns}`));
    expect(across.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual([`${ns}/a`, `${ns}/b`, `${ns}/c`, `${ns}/d`]);
  });

  test('type-specific field selectors: pods spec.nodeName and status.phase, secrets type', async () => {
    ok(await api.post(`/api/v1/namespaces/${ns}/pods`, pod('bound', { nodeName: 'node-1' })), 201);
    ok(await api.post(`/api/v1/namespaces/${ns}/pods`, pod('unbound')), 201);
    const pods = (q: string) => api.get(`/api/v1/namespaces/${ns}/pods?fieldSelector=${encodeURIComponent(q)}`).then((r) => names(ok(r)));
    expect(await pods('spec.nodeName=node-1')).toEqual(['bound']);
    expect(await pods('spec.nodeName=')).toEqual(['unbound']);
    expect(await pods('status.phase=Pending,spec.nodeName!=node-1')).toEqual(['unbound']);
    expect(await pods('status.phase=Running')).toEqual([]);

    ok(await api.post(`/api/v1/namespaces/${ns}/secrets`, { metadata: { name: 'opaque' }, stringData: { a: 'b' } }), 201);
    ok(await api.post(`/api/v1/namespaces/${ns}/secrets`, { metadata: { name: 'basic' }, type: 'kubernetes.io/basic-auth', stringData: { username: 'u', password: 'p' } }), 201);
    const secrets = ok(await api.get(`/api/v1/namespaces/${ns}/secrets?fieldSelector=${encodeURIComponent('type=kubernetes.io/basic-auth')}`));
    expect(names(secrets)).toEqual(['basic']);
  });

  test('unsupported field labels are 400 with Kubernetes’ messages', async () => {
    // Types with their own field label conversion (pods, secrets, ...) and the generic one (configmaps).
    expectStatus(await api.get(`/api/v1/namespaces/${ns}/pods?fieldSelector=spec.foo%3Dbar`), 400, 'BadRequest', 'field label not supported: spec.foo');
    expectStatus(
      await api.get(`${cmPath(ns)}?fieldSelector=data.v%3D1`),
      400,
      'BadRequest',
      '"data.v" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });
});

// ---------------------------------------------------------------- watch

describe('watch', () => {
  const ns = 'watching';
  beforeAll(() => namespace(ns));

  test.each([['""', ''], ['"0"', '&resourceVersion=0']])('resourceVersion %s starts with synthetic ADDED events for what exists', async (_, query) => {
    const own = `initial-${query ? 'zero' : 'empty'}`;
    await namespace(own);
    const a = await configMap(own, 'existing-1');
    const b = await configMap(own, 'existing-2');
    const w = await watch(`${cmPath(own)}?watch=true${query}`);
    expect(w.headers['content-type']).toBe('application/json');
    const initial = [await w.next(), await w.next()];
    expect(initial.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED existing-1', 'ADDED existing-2']);
    expect(initial[0].object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { uid: a.metadata.uid, resourceVersion: a.metadata.resourceVersion } });
    expect(initial[1].object.metadata.resourceVersion).toBe(b.metadata.resourceVersion);
    await configMap(own, 'after');
    const next = await w.next();
    expect(`${next.type} ${next.object.metadata.name}`).toBe('ADDED after');
  });

  test('from a resourceVersion: every later event once, in order', async () => {
    const start = await configMap(ns, 'seq-0');
    await configMap(ns, 'seq-1');
    ok(await api.patch(cmPath(ns, 'seq-1'), { data: { v: '2' } }, 'application/merge-patch+json'));
    ok(await api.delete(cmPath(ns, 'seq-0')));
    const w = await watch(`${cmPath(ns)}?watch=true&resourceVersion=${start.metadata.resourceVersion}&labelSelector=`);
    await configMap(ns, 'seq-2');
    const events = await w.until((e) => e.object.metadata?.name === 'seq-2');
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED seq-1', 'MODIFIED seq-1', 'DELETED seq-0', 'ADDED seq-2']);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    expect(new Set(rvs).size).toBe(rvs.length);
    expect(rvs[0]).toBeGreaterThan(Number(start.metadata.resourceVersion));
  });

  test('objects entering a label selector arrive as ADDED, leaving it as DELETED', async () => {
    const list = ok(await api.get(cmPath(ns)));
    const w = await watch(`${cmPath(ns)}?watch=true&resourceVersion=${list.metadata.resourceVersion}&labelSelector=${encodeURIComponent('color=blue')}`);
    await configMap(ns, 'chameleon', { color: 'red' });
    ok(await api.patch(cmPath(ns, 'chameleon'), { metadata: { labels: { color: 'blue' } } }, 'application/merge-patch+json'));
    ok(await api.patch(cmPath(ns, 'chameleon'), { data: { v: 'x' } }, 'application/merge-patch+json'));
    const left = ok(await api.patch(cmPath(ns, 'chameleon'), { metadata: { labels: { color: 'green' } } }, 'application/merge-patch+json'));
    const events = [await w.next(), await w.next(), await w.next()];
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(events[0].object.metadata.labels).toEqual({ color: 'blue' });
    // The DELETED event carries the object at the revision it left the selection.
    expect(events[2].object.metadata.resourceVersion).toBe(left.metadata.resourceVersion);
  });

  test('allowWatchBookmarks brings BOOKMARK events with the current resourceVersion', async () => {
    const created = await configMap(ns, 'bookmarked');
    const w = await watch(`${cmPath(ns)}?watch=true&resourceVersion=${created.metadata.resourceVersion}&allowWatchBookmarks=true`);
    const [bookmark] = await w.until((e) => e.type === 'BOOKMARK');
    expect(bookmark.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    expect(Number(bookmark.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(created.metadata.resourceVersion));
    expect(bookmark.object.metadata).not.toHaveProperty('name');
  });

  test('sendInitialEvents ends the initial events with an initial-events-end BOOKMARK', async () => {
    const other = 'watchlist';
    await namespace(other);
    await configMap(other, 'x');
    await configMap(other, 'y');
    const w = await watch(`${cmPath(other)}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    const events = await w.until((e) => e.type === 'BOOKMARK');
    expect(events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`)).toEqual(['ADDED x', 'ADDED y', 'BOOKMARK ']);
    const end = events[2].object;
    expect(end.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(Number(end.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(events[1].object.metadata.resourceVersion));
    // sendInitialEvents requires resourceVersionMatch=NotOlderThan.
    const bad = await api.get(`${cmPath(other)}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true`);
    expectStatus(bad, 422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  });

  test('timeoutSeconds ends the stream', async () => {
    const started = Date.now();
    const w = await watch(`${cmPath(ns)}?watch=true&timeoutSeconds=1&resourceVersion=${ok(await api.get(cmPath(ns))).metadata.resourceVersion}`);
    await w.waitEnd(5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(w.events.filter((e) => e.type !== 'BOOKMARK')).toEqual([]);
  });

  test('a watch of a single object by name (/watch/ prefix and fieldSelector)', async () => {
    const a = await configMap(ns, 'solo');
    await configMap(ns, 'other-solo');
    const w = await watch(`/api/v1/watch/namespaces/${ns}/configmaps/solo?resourceVersion=${a.metadata.resourceVersion}`);
    ok(await api.patch(cmPath(ns, 'other-solo'), { data: { v: 'z' } }, 'application/merge-patch+json'));
    ok(await api.patch(cmPath(ns, 'solo'), { data: { v: 'z' } }, 'application/merge-patch+json'));
    const e = await w.next();
    expect(`${e.type} ${e.object.metadata.name}`).toBe('MODIFIED solo');
  });
});

// ---------------------------------------------------------------- concurrency and deletion

describe('optimistic concurrency and delete preconditions', () => {
  const ns = 'concurrency';
  beforeAll(() => namespace(ns));

  test('PUT with a stale resourceVersion is 409 Conflict; without one it succeeds', async () => {
    const first = await configMap(ns, 'contended');
    const second = ok(await api.put(cmPath(ns, 'contended'), { ...first, data: { v: '2' } }));
    expectStatus(
      await api.put(cmPath(ns, 'contended'), { ...first, data: { v: '3' } }),
      409,
      'Conflict',
      'Operation cannot be fulfilled on configmaps "contended": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(ok(await api.get(cmPath(ns, 'contended'))).metadata.resourceVersion).toBe(second.metadata.resourceVersion);
    const { resourceVersion: _rv, ...meta } = first.metadata;
    const unconditional = ok(await api.put(cmPath(ns, 'contended'), { ...first, metadata: meta, data: { v: '4' } }));
    expect(unconditional.data).toEqual({ v: '4' });
    expect(Number(unconditional.metadata.resourceVersion)).toBeGreaterThan(Number(second.metadata.resourceVersion));
  });

  test('delete preconditions on uid and resourceVersion are 409 with “Precondition failed”', async () => {
    const cm = await configMap(ns, 'guarded');
    const status = expectStatus(
      await api.delete(cmPath(ns, 'guarded'), { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-the-uid' } }),
      409,
      'Conflict',
      `Operation cannot be fulfilled on configmaps "guarded": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${cm.metadata.uid}`,
    );
    expect(status.details).toMatchObject({ name: 'guarded', kind: 'configmaps' });
    expectStatus(
      await api.delete(cmPath(ns, 'guarded'), { preconditions: { resourceVersion: '1' } }),
      409,
      'Conflict',
      `Operation cannot be fulfilled on configmaps "guarded": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${cm.metadata.resourceVersion}`,
    );
    const deleted = ok(await api.delete(cmPath(ns, 'guarded'), { preconditions: { uid: cm.metadata.uid, resourceVersion: cm.metadata.resourceVersion } }));
    expect(deleted).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'guarded', kind: 'configmaps', uid: cm.metadata.uid } });
    expect((await api.get(cmPath(ns, 'guarded'))).status).toBe(404);
  });
});

describe('generation and the status subresource', () => {
  const ns = 'generation';
  const path = (name: string, sub = '') => `/apis/apps/v1/namespaces/${ns}/deployments/${name}${sub}`;
  beforeAll(() => namespace(ns));

  test('generation moves with spec changes only', async () => {
    const created = ok(await api.post(`/apis/apps/v1/namespaces/${ns}/deployments`, deployment('gen')), 201);
    expect(created.metadata.generation).toBe(1);
    const labelled = ok(await api.patch(path('gen'), { metadata: { labels: { x: 'y' }, annotations: { a: 'b' } } }, 'application/merge-patch+json'));
    expect(labelled.metadata.generation).toBe(1);
    const status = ok(await api.patch(path('gen', '/status'), { status: { observedGeneration: 1, replicas: 1 } }, 'application/merge-patch+json'));
    expect(status.metadata.generation).toBe(1);
    const scaled = ok(await api.patch(path('gen'), { spec: { replicas: 3 } }, 'application/merge-patch+json'));
    expect(scaled.metadata.generation).toBe(2);
    const template = ok(await api.patch(path('gen'), { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } } } }, 'application/strategic-merge-patch+json'));
    expect(template.metadata.generation).toBe(3);
    // A generation sent by the client is ignored.
    const forced = ok(await api.put(path('gen'), { ...template, metadata: { ...template.metadata, generation: 42 } }));
    expect(forced.metadata.generation).toBe(3);
  });

  test('PUT /status changes only status; PUT on the resource keeps the stored status', async () => {
    const created = ok(await api.post(`/apis/apps/v1/namespaces/${ns}/deployments`, deployment('st')), 201);
    const withStatus = ok(await api.put(path('st', '/status'), { ...created, spec: { ...created.spec, replicas: 9 }, metadata: { ...created.metadata, labels: { sneaky: 'yes' } }, status: { replicas: 4, readyReplicas: 2 } }));
    expect(withStatus.status).toMatchObject({ replicas: 4, readyReplicas: 2 });
    expect(withStatus.spec.replicas).toBe(1);
    expect(withStatus.metadata.labels).toBeUndefined();
    const main = ok(await api.put(path('st'), { ...withStatus, spec: { ...withStatus.spec, replicas: 2 }, status: { replicas: 100 } }));
    expect(main.spec.replicas).toBe(2);
    expect(main.status).toMatchObject({ replicas: 4, readyReplicas: 2 });
    // A new object's status is reset on create.
    const fresh = ok(await api.post(`/apis/apps/v1/namespaces/${ns}/deployments`, { ...deployment('st2'), status: { replicas: 7 } }), 201);
    expect(fresh.status?.replicas).toBeUndefined();
  });
});

describe('finalizers and deletionTimestamp', () => {
  const ns = 'finalizers';
  beforeAll(() => namespace(ns));

  test('delete marks an object with a finalizer; removing the finalizer deletes it; no new finalizers meanwhile', async () => {
    await configMap(ns, 'held', undefined, { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const res = await api.delete(cmPath(ns, 'held'));
    // kube-apiserver answers 200 with the object (202 only for orphanDependents=false).
    const marked = ok(res, 200);
    expect(marked.kind).toBe('ConfigMap');
    expect(marked.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(marked.metadata.finalizers).toEqual(['example.com/hold']);
    // Deleting again changes nothing.
    const again = ok(await api.delete(cmPath(ns, 'held')));
    expect(again.metadata.resourceVersion).toBe(marked.metadata.resourceVersion);

    const added = expectStatus(
      await api.patch(cmPath(ns, 'held'), { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } }, 'application/merge-patch+json'),
      422,
      'Invalid',
      'ConfigMap "held" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/more"}',
    );
    expect(added.details.causes).toEqual([{ reason: 'FieldValueForbidden', message: 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/more"}', field: 'metadata.finalizers' }]);
    ok(await api.patch(cmPath(ns, 'held'), { metadata: { finalizers: null } }, 'application/merge-patch+json'));
    expectStatus(await api.get(cmPath(ns, 'held')), 404, 'NotFound', 'configmaps "held" not found');
  });

  test('orphanDependents=false on a held object answers 202 Accepted', async () => {
    await configMap(ns, 'accepted', undefined, { metadata: { name: 'accepted', finalizers: ['example.com/hold'] } });
    const res = await api.delete(cmPath(ns, 'accepted'), { kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: false });
    expect(ok(res, 202).metadata.deletionTimestamp).toEqual(expect.any(String));
  });

  test('propagationPolicy Orphan and Foreground add the orphan and foregroundDeletion finalizers', async () => {
    await configMap(ns, 'orphaned');
    const orphan = ok(await api.delete(cmPath(ns, 'orphaned'), { propagationPolicy: 'Orphan' }));
    expect(orphan.metadata.finalizers).toEqual(['orphan']);
    expect(orphan.metadata.deletionTimestamp).toEqual(expect.any(String));
    await configMap(ns, 'foreground');
    const fg = ok(await api.delete(`${cmPath(ns, 'foreground')}?propagationPolicy=Foreground`));
    expect(fg.metadata.finalizers).toEqual(['foregroundDeletion']);
    // Background deletes at once.
    await configMap(ns, 'background');
    expect(ok(await api.delete(cmPath(ns, 'background'), { propagationPolicy: 'Background' })).status).toBe('Success');
  });
});

describe('graceful deletion of pods', () => {
  const ns = 'graceful';
  const podPath = (name: string) => `/api/v1/namespaces/${ns}/pods/${name}`;
  beforeAll(() => namespace(ns));

  test('a pod on a node gets a grace period and stays until deleted with gracePeriodSeconds=0', async () => {
    ok(await api.post(`/api/v1/namespaces/${ns}/pods`, pod('bound', { nodeName: 'node-1' })), 201);
    const before = Date.now();
    const marked = ok(await api.delete(podPath('bound')));
    expect(marked.kind).toBe('Pod');
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(30);
    const due = Date.parse(marked.metadata.deletionTimestamp);
    expect(due).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 29_000);
    expect(ok(await api.get(podPath('bound'))).metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);
    // A shorter grace period moves the deadline forward; a longer one does not.
    const shorter = ok(await api.delete(`${podPath('bound')}?gracePeriodSeconds=10`));
    expect(shorter.metadata.deletionGracePeriodSeconds).toBe(10);
    // The deadline moves relative to the first request, not to now.
    expect(Date.parse(shorter.metadata.deletionTimestamp)).toBe(due - 20_000);
    const longer = ok(await api.delete(`${podPath('bound')}?gracePeriodSeconds=60`));
    expect(longer.metadata.deletionGracePeriodSeconds).toBe(10);
    const gone = ok(await api.delete(podPath('bound'), { gracePeriodSeconds: 0 }));
    expect(gone.kind).toBe('Pod');
    expectStatus(await api.get(podPath('bound')), 404, 'NotFound', 'pods "bound" not found');
  });

  test('the requested grace period is honoured', async () => {
    ok(await api.post(`/api/v1/namespaces/${ns}/pods`, pod('quick', { nodeName: 'node-1' })), 201);
    const marked = ok(await api.delete(podPath('quick'), { gracePeriodSeconds: 5 }));
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(5);
    ok(await api.delete(`${podPath('quick')}?gracePeriodSeconds=0`));
  });

  test('an unbound pod is deleted at once', async () => {
    ok(await api.post(`/api/v1/namespaces/${ns}/pods`, pod('floating')), 201);
    const res = ok(await api.delete(podPath('floating')));
    expect(res.kind).toBe('Pod');
    expect((await api.get(podPath('floating'))).status).toBe(404);
  });
});

describe('namespace lifecycle', () => {
  test('creating in a missing namespace is 404 namespaces "x" not found', async () => {
    const res = expectStatus(await api.post(cmPath('nowhere'), { metadata: { name: 'x' } }), 404, 'NotFound', 'namespaces "nowhere" not found');
    expect(res.details).toEqual({ name: 'nowhere', kind: 'namespaces' });
  });

  test('a deleted namespace stays Terminating on its kubernetes finalizer; no new content; finalize removes it', async () => {
    await namespace('doomed');
    const ns = ok(await api.get('/api/v1/namespaces/doomed'));
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    expect(ns.status.phase).toBe('Active');
    const deleting = ok(await api.delete('/api/v1/namespaces/doomed'), 200);
    expect(deleting.kind).toBe('Namespace');
    expect(deleting.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect(deleting.status.phase).toBe('Terminating');
    expect(ok(await api.get('/api/v1/namespaces/doomed')).status.phase).toBe('Terminating');

    const forbidden = expectStatus(
      await api.post(cmPath('doomed'), { metadata: { name: 'late' } }),
      403,
      'Forbidden',
      'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    );
    expect(forbidden.details).toEqual({ name: 'late', kind: 'configmaps' });

    const finalized = ok(await api.put('/api/v1/namespaces/doomed/finalize', { ...deleting, spec: { finalizers: [] } }));
    expect(finalized.metadata.name).toBe('doomed');
    await eventually(async () => ((await api.get('/api/v1/namespaces/doomed')).status === 404 ? true : undefined), 5000, 'namespace removal');
  });

  test.each(['default', 'kube-system', 'kube-public'])('%s cannot be deleted', async (name) => {
    expectStatus(await api.delete(`/api/v1/namespaces/${name}`), 403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`);
    expect(ok(await api.get(`/api/v1/namespaces/${name}`)).metadata.deletionTimestamp).toBeUndefined();
  });
});

// ---------------------------------------------------------------- defaults and allocation

describe('Service allocation', () => {
  const ns = 'services';
  const svc = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], selector: { app: name }, ...spec } });
  beforeAll(() => namespace(ns));

  test('ClusterIPs come from the configured range; a requested one is honoured, a taken one is 422; deletion frees it', async () => {
    const auto = ok(await api.post(`/api/v1/namespaces/${ns}/services`, svc('auto')), 201);
    expect(auto.spec.clusterIP).toMatch(/^10\.123\.0\.\d+$/);
    expect(auto.spec.clusterIPs).toEqual([auto.spec.clusterIP]);
    expect(auto.spec.type).toBe('ClusterIP');
    expect(auto.spec.ports[0]).toMatchObject({ port: 80, protocol: 'TCP', targetPort: 80 });

    const wanted = ok(await api.post(`/api/v1/namespaces/${ns}/services`, svc('wanted', { clusterIP: '10.123.0.200' })), 201);
    expect(wanted.spec.clusterIP).toBe('10.123.0.200');
    const taken = expectStatus(await api.post(`/api/v1/namespaces/${ns}/services`, svc('taken', { clusterIP: '10.123.0.200' })), 422, 'Invalid');
    expect(taken.message).toBe('Service "taken" is invalid: spec.clusterIPs: Invalid value: []string{"10.123.0.200"}: failed to allocate IP 10.123.0.200: provided IP is already allocated');
    expect((await api.get(`/api/v1/namespaces/${ns}/services/taken`)).status).toBe(404);

    ok(await api.delete(`/api/v1/namespaces/${ns}/services/wanted`));
    const reused = ok(await api.post(`/api/v1/namespaces/${ns}/services`, svc('reused', { clusterIP: '10.123.0.200' })), 201);
    expect(reused.spec.clusterIP).toBe('10.123.0.200');
  });

  test('NodePort services get ports in 30000-32767', async () => {
    const np = ok(await api.post(`/api/v1/namespaces/${ns}/services`, svc('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] })), 201);
    const ports = np.spec.ports.map((p: { nodePort: number }) => p.nodePort);
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(30000), expect(p).toBeLessThanOrEqual(32767);
    expect(new Set(ports).size).toBe(2);
    expect(np.spec.externalTrafficPolicy).toBe('Cluster');
  });
});

describe('dry run and field validation', () => {
  const ns = 'validation';
  beforeAll(() => namespace(ns));

  test('dryRun=All answers as if created, and creates nothing', async () => {
    const res = ok(await api.post(`${cmPath(ns)}?dryRun=All`, { metadata: { name: 'dry' }, data: { a: 'b' } }), 201);
    expect(res.metadata.uid).toEqual(expect.any(String));
    expect(res.metadata.creationTimestamp).toEqual(expect.any(String));
    expect((await api.get(cmPath(ns, 'dry'))).status).toBe(404);
    const real = await configMap(ns, 'wet');
    const dryUpdate = ok(await api.patch(`${cmPath(ns, 'wet')}?dryRun=All`, { data: { v: 'changed' } }, 'application/merge-patch+json'));
    expect(dryUpdate.data).toEqual({ v: 'changed' });
    expect(ok(await api.get(cmPath(ns, 'wet')))).toMatchObject({ data: { v: '1' }, metadata: { resourceVersion: real.metadata.resourceVersion } });
    ok(await api.delete(`${cmPath(ns, 'wet')}?dryRun=All`));
    expect((await api.get(cmPath(ns, 'wet'))).status).toBe(200);
  });

  const body = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', ...deployment(name), spec: { ...(deployment(name) as any).spec, foo: 'bar' } });
  const deployments = `/apis/apps/v1/namespaces/${ns}/deployments`;

  test('fieldValidation=Warn warns and drops the unknown field', async () => {
    const res = await api.post(`${deployments}?fieldValidation=Warn`, body('warned'));
    expect(ok(res, 201).spec).not.toHaveProperty('foo');
    expect(res.headers.warning).toBe('299 - "unknown field \\"spec.foo\\""');
  });

  test('no fieldValidation behaves as Warn', async () => {
    const res = await api.post(deployments, body('defaulted'));
    expect(ok(res, 201).spec).not.toHaveProperty('foo');
    expect(res.headers.warning).toBe('299 - "unknown field \\"spec.foo\\""');
  });

  test('fieldValidation=Strict is 400 and creates nothing', async () => {
    expectStatus(
      await api.post(`${deployments}?fieldValidation=Strict`, body('strict')),
      400,
      'BadRequest',
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"',
    );
    expect((await api.get(`${deployments}/strict`)).status).toBe(404);
  });

  test('fieldValidation=Ignore drops the field silently', async () => {
    const res = await api.post(`${deployments}?fieldValidation=Ignore`, body('ignored'));
    expect(ok(res, 201).spec).not.toHaveProperty('foo');
    expect(res.headers.warning).toBeUndefined();
  });
});

describe('pods/binding', () => {
  const ns = 'binding';
  beforeAll(() => namespace(ns));

  test('binds once; a second binding is 409; sets nodeName and PodScheduled', async () => {
    const created = ok(await api.post(`/api/v1/namespaces/${ns}/pods`, pod('p')), 201);
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } };
    const res = ok(await api.post(`/api/v1/namespaces/${ns}/pods/p/binding`, binding), 201);
    expect(res).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 });
    const bound = ok(await api.get(`/api/v1/namespaces/${ns}/pods/p`));
    expect(bound.spec.nodeName).toBe('node-a');
    expect(bound.status.conditions).toContainEqual({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: expect.any(String) });
    // As in Kubernetes, binding writes through the storage: nobody is recorded as owning spec.nodeName.
    expect(bound.metadata.managedFields).toEqual(created.metadata.managedFields);
    const again = expectStatus(
      await api.post(`/api/v1/namespaces/${ns}/pods/p/binding`, { ...binding, target: { ...binding.target, name: 'node-b' } }),
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "node-a"',
    );
    expect(again.details).toMatchObject({ name: 'p', kind: 'pods/binding' });
    expect(ok(await api.get(`/api/v1/namespaces/${ns}/pods/p`)).metadata.resourceVersion).toBe(bound.metadata.resourceVersion);
  });
});

describe('the scale subresource', () => {
  const ns = 'scaling';
  beforeAll(() => namespace(ns));
  const workloads = [
    ['deployments', deployment('s-deploy', 2)],
    ['replicasets', { ...deployment('s-rs', 2), kind: 'ReplicaSet', metadata: { name: 's-rs' } }],
    ['statefulsets', { ...deployment('s-sts', 2), kind: 'StatefulSet', metadata: { name: 's-sts' }, spec: { ...(deployment('s-sts', 2) as any).spec, serviceName: 's-sts' } }],
  ] as const;

  test.each(workloads)('%s: GET, PUT and PATCH an autoscaling/v1 Scale', async (plural, object) => {
    const name = (object as any).metadata.name as string;
    ok(await api.post(`/apis/apps/v1/namespaces/${ns}/${plural}`, object), 201);
    const scalePath = `/apis/apps/v1/namespaces/${ns}/${plural}/${name}/scale`;
    const scale = ok(await api.get(scalePath));
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name, namespace: ns }, spec: { replicas: 2 }, status: { replicas: 0, selector: `app=${name}` } });
    const put = ok(await api.put(scalePath, { ...scale, spec: { replicas: 5 } }));
    expect(put.spec.replicas).toBe(5);
    const patched = ok(await api.patch(scalePath, { spec: { replicas: 3 } }, 'application/merge-patch+json'));
    expect(patched.spec.replicas).toBe(3);
    expect(ok(await api.get(`/apis/apps/v1/namespaces/${ns}/${plural}/${name}`)).spec.replicas).toBe(3);
    expectStatus(await api.put(scalePath, { ...scale, spec: { replicas: 9 } }), 409, 'Conflict');
  });
});

// ---------------------------------------------------------------- negotiation, discovery, OpenAPI, health

describe('content negotiation', () => {
  const ns = 'negotiation';
  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
  beforeAll(async () => {
    await namespace(ns);
    await configMap(ns, 'one');
    await configMap(ns, 'two');
  });

  test('Tables of lists and single objects, with includeObject', async () => {
    const res = await api.get(cmPath(ns), { accept: `${TABLE},application/json` });
    expect(res.headers['content-type']).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
    const table = ok(res);
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(table.columnDefinitions[0]).toMatchObject({ type: 'string', format: 'name', priority: 0 });
    expect(table.rows.map((r: any) => r.cells.slice(0, 2))).toEqual([['one', 1], ['two', 1]]);
    expect(table.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'one' } });
    const full = ok(await api.get(`${cmPath(ns)}?includeObject=Object`, { accept: TABLE }));
    expect(full.rows[0].object).toMatchObject({ kind: 'ConfigMap', data: { v: '1' } });
    const none = ok(await api.get(`${cmPath(ns)}?includeObject=None`, { accept: TABLE }));
    expect(none.rows[0]).not.toHaveProperty('object');
    const single = ok(await api.get(cmPath(ns, 'one'), { accept: TABLE }));
    expect(single.rows.map((r: any) => r.cells[0])).toEqual(['one']);
  });

  test('PartialObjectMetadataList', async () => {
    const res = await api.get(cmPath(ns), { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json' });
    expect(res.headers['content-type']).toBe('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io');
    const list = ok(res);
    expect(list.kind).toBe('PartialObjectMetadataList');
    expect(list.items[0]).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'one', namespace: ns }) });
    expect(list.items[0]).not.toHaveProperty('data');
  });

  test('only protobuf is 406; YAML is served', async () => {
    const res = await api.get(cmPath(ns, 'one'), { accept: 'application/vnd.kubernetes.protobuf' });
    expectStatus(res, 406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml');
    const yaml = await api.get(cmPath(ns, 'one'), { accept: 'application/yaml' });
    expect(yaml.status).toBe(200);
    expect(yaml.headers['content-type']).toBe('application/yaml');
    expect(parseYaml(yaml.text)).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' }, data: { v: '1' } });
    // Protobuf preferred, JSON accepted: JSON.
    const fallback = await api.get(cmPath(ns, 'one'), { accept: 'application/vnd.kubernetes.protobuf,application/json' });
    expect(fallback.headers['content-type']).toBe('application/json');
  });
});

describe('discovery, OpenAPI, version and health', () => {
  test('/api, /apis and the group-version resource lists', async () => {
    const apiVersions = ok(await api.get('/api'));
    expect(apiVersions).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect(apiVersions.serverAddressByClientCIDRs[0].clientCIDR).toBe('0.0.0.0/0');
    const groups = ok(await api.get('/apis'));
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.find((g: any) => g.name === 'apps')).toEqual({ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } });

    const core = ok(await api.get('/api/v1'));
    expect(core).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    const byName = (list: any, n: string) => list.resources.find((r: any) => r.name === n);
    expect(byName(core, 'pods')).toMatchObject({ singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'] });
    expect(byName(core, 'pods').verbs.sort()).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    expect(byName(core, 'pods/log')).toEqual({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
    expect(byName(core, 'pods/exec')).toEqual({ name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
    expect(byName(core, 'pods/eviction')).toMatchObject({ group: 'policy', version: 'v1', kind: 'Eviction' });

    const apps = ok(await api.get('/apis/apps/v1'));
    expect(byName(apps, 'deployments/scale')).toEqual({ name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    expect(byName(apps, 'deployments/status')).toMatchObject({ kind: 'Deployment', verbs: ['get', 'patch', 'update'] });
    expect(ok(await api.get('/apis/apps'))).toMatchObject({ kind: 'APIGroup', name: 'apps' });
    expect((await api.get('/apis/nope.example.com/v1')).status).toBe(404);
  });

  test.each(['v2', 'v2beta1'])('aggregated discovery %s with the exact Content-Type', async (version) => {
    const accept = `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList,application/json`;
    const res = await api.get('/apis', { accept });
    expect(res.headers['content-type']).toBe(`application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`);
    const list = ok(res);
    expect(list).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}` });
    const apps = list.items.find((g: any) => g.metadata.name === 'apps');
    const deployments = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
    expect(deployments).toMatchObject({ responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, scope: 'Namespaced', singularResource: 'deployment' });
    expect(deployments.subresources).toContainEqual({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
    expect(apps.versions[0].freshness).toBe('Current');
    const core = await api.get('/api', { accept });
    expect(core.headers['content-type']).toBe(`application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`);
    expect(ok(core).items[0].metadata.name).toBe('');
  });

  test('/version', async () => {
    const v = ok(await api.get('/version'));
    for (const k of ['major', 'minor', 'gitVersion', 'gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform']) expect(v).toHaveProperty(k);
    expect(v.gitVersion).toMatch(/^v1\.\d+\.\d+/);
  });

  test.each(['/healthz', '/livez', '/readyz'])('%s and %s?verbose', async (path) => {
    const plain = await api.get(path);
    expect(plain.status).toBe(200);
    expect(plain.text).toBe('ok');
    expect(plain.headers['content-type']).toBe('text/plain; charset=utf-8');
    const verbose = await api.get(`${path}?verbose`);
    expect(verbose.status).toBe(200);
    expect(verbose.text).toMatch(/^\[\+\]ping ok\n/);
    expect(verbose.text.trimEnd().split('\n').pop()).toBe(`${path.slice(1)} check passed`);
    expect((await api.get(`${path}/ping`)).text).toBe('ok');
  });

  test('/openapi/v3 index and a document; /openapi/v2 as JSON and protobuf', async () => {
    const index = ok(await api.get('/openapi/v3'));
    const entry = index.paths['apis/apps/v1'];
    expect(entry.serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
    const doc = await api.get(entry.serverRelativeURL);
    expect(doc.status).toBe(200);
    expect(doc.headers['cache-control']).toBe('public, immutable');
    const parsed = doc.json();
    expect(parsed.openapi).toMatch(/^3\./);
    expect(parsed.components.schemas).toHaveProperty(['io.k8s.api.apps.v1.Deployment']);

    const v2 = await api.get('/openapi/v2', { accept: 'application/json' });
    expect(v2.headers['content-type']).toBe('application/json');
    expect(v2.json().swagger).toBe('2.0');
    const pb = await api.get('/openapi/v2', { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    expect(pb.status).toBe(200);
    expect(pb.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect(pb.raw.length).toBeGreaterThan(1000);
  });
});

// ---------------------------------------------------------------- node streams

class FakeNode implements NodeStreamProvider {
  logCalls: Array<{ target: PodStreamTarget; options: PodLogOptions; signal: AbortSignal }> = [];
  connects: Array<{ kind: ConnectKind; target: PodStreamTarget; query: URLSearchParams }> = [];
  async logs(target: PodStreamTarget, options: PodLogOptions, out: Writable, signal: AbortSignal): Promise<void> {
    this.logCalls.push({ target, options, signal });
    out.write('line 1\nline 2\n');
    if (!options.follow) return;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
  }
  connect(kind: ConnectKind, target: PodStreamTarget, query: URLSearchParams, _req: IncomingMessage, socket: Duplex): void {
    this.connects.push({ kind, target, query });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
  }
}

describe('node streams', () => {
  const ns = 'streams';
  const node = new FakeNode();
  let unregister: () => void;
  beforeAll(async () => {
    await namespace(ns);
    unregister = cluster.kernel.nodeStreams.register('node-s', node);
    ok(await api.post(`/api/v1/namespaces/${ns}/pods`, pod('solo', { nodeName: 'node-s', containers: ['c'] })), 201);
    ok(await api.post(`/api/v1/namespaces/${ns}/pods`, pod('duo', { nodeName: 'node-s', containers: ['a', 'b'] })), 201);
    ok(await api.post(`/api/v1/namespaces/${ns}/pods`, pod('unbound', { containers: ['c'] })), 201);
    ok(await api.post(`/api/v1/namespaces/${ns}/pods`, pod('elsewhere', { nodeName: 'node-without-agent', containers: ['c'] })), 201);
  });
  afterAll(() => unregister?.());

  test('pods/log with follow reaches the provider with parsed options and streams its output', async () => {
    const { res, abort } = await api.stream(`/api/v1/namespaces/${ns}/pods/solo/log?container=c&follow=true&tailLines=5&timestamps=true`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    let text = '';
    res.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      res.on('data', (d: string) => {
        text += d;
        if (text.includes('line 2\n')) resolve();
      });
    });
    expect(text).toBe('line 1\nline 2\n');
    const call = node.logCalls.at(-1)!;
    expect(call.target).toMatchObject({ namespace: ns, pod: 'solo', nodeName: 'node-s', container: 'c' });
    expect(call.options).toEqual({ follow: true, previous: false, timestamps: true, tailLines: 5, sinceSeconds: undefined, sinceTime: undefined, limitBytes: undefined });
    // The client going away aborts the provider.
    abort();
    await eventually(async () => (call.signal.aborted ? true : undefined), 5000, 'abort reaching the provider');
  });

  test('without follow the log ends; a single container is chosen by default', async () => {
    const res = await api.get(`/api/v1/namespaces/${ns}/pods/solo/log`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('line 1\nline 2\n');
    expect(node.logCalls.at(-1)!.target.container).toBe('c');
  });

  test('container errors are 400 with Kubernetes’ messages', async () => {
    expectStatus(await api.get(`/api/v1/namespaces/${ns}/pods/duo/log`), 400, 'BadRequest', 'a container name must be specified for pod duo, choose one of: [a b]');
    expectStatus(await api.get(`/api/v1/namespaces/${ns}/pods/duo/log?container=zzz`), 400, 'BadRequest', 'container zzz is not valid for pod duo');
    expectStatus(await api.get(`/api/v1/namespaces/${ns}/pods/solo/log?tailLines=-1`), 422, 'Invalid');
    expectStatus(await api.get(`/api/v1/namespaces/${ns}/pods/missing/log`), 404, 'NotFound', 'pods "missing" not found');
  });

  test('an unbound pod has no log location yet (204, as kube-apiserver) and cannot exec (400)', async () => {
    const calls = node.logCalls.length;
    const res = await api.get(`/api/v1/namespaces/${ns}/pods/unbound/log`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(node.logCalls.length).toBe(calls);
    const exec = await api.upgrade('POST', `/api/v1/namespaces/${ns}/pods/unbound/exec?command=sh`, { Upgrade: 'SPDY/3.1' });
    expect(exec.upgraded).toBe(false);
    if (!exec.upgraded) expectStatus(exec.response, 400, 'BadRequest', 'pod unbound does not have a host assigned');
  });

  test('a node without a stream provider is 503', async () => {
    expectStatus(await api.get(`/api/v1/namespaces/${ns}/pods/elsewhere/log`), 503, 'ServiceUnavailable');
  });

  test('an exec upgrade is handed to provider.connect with the raw socket', async () => {
    const result = await api.upgrade('POST', `/api/v1/namespaces/${ns}/pods/duo/exec?command=sh&command=-c&command=true&stdin=true&container=b`, {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    if (!result.upgraded) throw new Error(`not upgraded: ${result.response.status} ${result.response.text}`);
    expect(result.res.statusCode).toBe(101);
    const call = node.connects.at(-1)!;
    expect(call.kind).toBe('exec');
    expect(call.target).toMatchObject({ pod: 'duo', container: 'b', nodeName: 'node-s' });
    expect(call.query.getAll('command')).toEqual(['sh', '-c', 'true']);
    expect(call.query.get('stdin')).toBe('true');
    const echoed = new Promise<string>((resolve) => result.socket.once('data', (d: Buffer) => resolve(d.toString())));
    result.socket.write('ping');
    expect(await echoed).toBe('echo:ping');
    result.socket.destroy();

    const noContainer = await api.upgrade('POST', `/api/v1/namespaces/${ns}/pods/duo/exec?command=sh`, { Upgrade: 'SPDY/3.1' });
    expect(noContainer.upgraded).toBe(false);
    if (!noContainer.upgraded) expectStatus(noContainer.response, 400, 'BadRequest', 'a container name must be specified for pod duo, choose one of: [a b]');
  });
});

// ---------------------------------------------------------------- protobuf bodies

describe('Kubernetes protobuf request bodies', () => {
  const ns = 'protobuf';
  beforeAll(() => namespace(ns));
  const PROTOBUF = 'application/vnd.kubernetes.protobuf';

  test('a ConfigMap and a Deployment in protobuf are created', async () => {
    const cm = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pb', labels: { via: 'protobuf' } }, data: { k: 'v' } });
    const created = ok(await api.request('POST', cmPath(ns), { body: cm, contentType: PROTOBUF }), 201);
    expect(created).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'pb', namespace: ns, labels: { via: 'protobuf' } }, data: { k: 'v' } });
    const d = encodeKubernetesProtobuf(deployment('pb-deploy', 3) as never);
    const dep = ok(await api.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: d, contentType: PROTOBUF }), 201);
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.template.spec.containers[0].image).toBe('busybox:1.36');
  });

  test('a truncated body is 400 and creates nothing', async () => {
    const cm = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cut' }, data: { k: 'a longer value to cut in the middle' } });
    expectStatus(await api.request('POST', cmPath(ns), { body: cm.subarray(0, cm.length - 12), contentType: PROTOBUF }), 400, 'BadRequest');
    expect((await api.get(cmPath(ns, 'cut'))).status).toBe(404);
  });
});
