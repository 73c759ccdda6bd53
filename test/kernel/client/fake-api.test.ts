import { ApiError } from '../../../kernel/api/errors';
import type { KubeObject, WatchEvent } from '../../../kernel/api/types';
import type { ResourceType } from '../../../kernel/client/types';
import { FakeApiClient } from './fake-api';

const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false };
const DEPLOYMENTS: ResourceType = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true };

function pod(name: string, labels: Record<string, string> = {}, ns = 'default'): KubeObject {
  return { metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

function recorder() {
  const events: Array<[string, string, string]> = [];
  const closes: Array<Error | undefined> = [];
  return {
    events,
    closes,
    handlers: {
      onEvent: (e: WatchEvent) => events.push([e.type, e.object.metadata?.name ?? '', e.object.metadata?.resourceVersion ?? '']),
      onClose: (err?: Error) => closes.push(err),
    },
  };
}

describe('FakeApiClient', () => {
  it('create fills in server fields and resourceVersions come from one counter', async () => {
    const api = new FakeApiClient();
    const a = await api.create(PODS, pod('a'));
    const ns = await api.create(NAMESPACES, { metadata: { name: 'prod' } });
    expect(a).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default', resourceVersion: '1', generation: 1 } });
    expect(a.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(ns.metadata).toMatchObject({ name: 'prod', resourceVersion: '2' });
    expect(ns.metadata?.namespace).toBeUndefined();
    expect((await api.create(DEPLOYMENTS, { metadata: { name: 'web', namespace: 'x' } })).apiVersion).toBe('apps/v1');
  });

  it('answers 404, 409 AlreadyExists and 409 Conflict like the API server', async () => {
    const api = new FakeApiClient();
    await expect(api.get(PODS, 'nope', { namespace: 'default' })).rejects.toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "nope" not found' });
    const a = await api.create(PODS, pod('a'));
    await expect(api.create(PODS, pod('a'))).rejects.toMatchObject({ code: 409, reason: 'AlreadyExists' });
    await api.update(PODS, { ...a, spec: { containers: [] } });
    await expect(api.update(PODS, { ...a, spec: { x: 1 } })).rejects.toMatchObject({ code: 409, reason: 'Conflict' });
    await expect(api.delete(PODS, 'a', { namespace: 'default', preconditions: { uid: 'other' } })).rejects.toMatchObject({ reason: 'Conflict' });
  });

  it('update bumps resourceVersion and generation on spec changes, not on a no-op, and keeps status', async () => {
    const api = new FakeApiClient();
    const a = await api.create(PODS, pod('a'));
    const same = await api.update(PODS, { metadata: a.metadata, spec: a.spec, kind: 'Pod', apiVersion: 'v1' });
    expect(same.metadata?.resourceVersion).toBe(a.metadata?.resourceVersion);

    const withStatus = await api.update(PODS, { ...a, status: { phase: 'Running' } }, { subresource: 'status' });
    expect(withStatus.status).toEqual({ phase: 'Running' });
    expect(withStatus.metadata?.generation).toBe(1);

    const changed = await api.update(PODS, { ...withStatus, spec: { containers: [] }, status: { phase: 'Ignored' } });
    expect(changed.metadata?.generation).toBe(2);
    expect(changed.status).toEqual({ phase: 'Running' });
    expect(Number(changed.metadata?.resourceVersion)).toBeGreaterThan(Number(withStatus.metadata?.resourceVersion));
  });

  it('patches with merge and json patch, and checks a resourceVersion in the patch', async () => {
    const api = new FakeApiClient();
    await api.create(PODS, pod('a', { app: 'web' }));
    const merged = await api.patch(PODS, 'a', 'merge', { metadata: { labels: { app: null, tier: 'fe' } } }, { namespace: 'default' });
    expect(merged.metadata?.labels).toEqual({ tier: 'fe' });
    const patched = await api.patch(PODS, 'a', 'json', [{ op: 'add', path: '/metadata/labels/x', value: 'y' }], { namespace: 'default' });
    expect(patched.metadata?.labels).toEqual({ tier: 'fe', x: 'y' });
    await expect(api.patch(PODS, 'a', 'json', [{ op: 'test', path: '/metadata/labels/x', value: 'z' }], { namespace: 'default' })).rejects.toMatchObject({
      code: 422,
    });
    await expect(api.patch(PODS, 'a', 'merge', { metadata: { resourceVersion: '1' } }, { namespace: 'default' })).rejects.toMatchObject({ reason: 'Conflict' });
    await expect(api.patch(PODS, 'zz', 'merge', {}, { namespace: 'default' })).rejects.toMatchObject({ reason: 'NotFound' });
  });

  it('lists with label and field selectors, and pages with limit/continue', async () => {
    const api = new FakeApiClient();
    for (const [name, app] of [['a', 'web'], ['b', 'db'], ['c', 'web'], ['d', 'web']]) await api.create(PODS, pod(name!, { app: app! }));
    await api.create(PODS, pod('e', { app: 'web' }, 'other'));

    const web = await api.list(PODS, { namespace: 'default', labelSelector: 'app=web' });
    expect(web.items.map((p) => p.metadata?.name)).toEqual(['a', 'c', 'd']);
    expect(web.kind).toBe('PodList');
    expect(web.metadata.resourceVersion).toBe('5');
    expect((await api.list(PODS, { labelSelector: 'app in (db)' })).items.map((p) => p.metadata?.name)).toEqual(['b']);
    expect((await api.list(PODS, { fieldSelector: 'metadata.namespace=other' })).items.map((p) => p.metadata?.name)).toEqual(['e']);
    await expect(api.list(PODS, { labelSelector: 'app in (' })).rejects.toMatchObject({ code: 400 });

    const first = await api.list(PODS, { limit: 2 });
    expect(first.items.map((p) => p.metadata?.name)).toEqual(['a', 'b']);
    expect(first.metadata.remainingItemCount).toBe(3);
    const second = await api.list(PODS, { limit: 2, continue: first.metadata.continue });
    const third = await api.list(PODS, { limit: 2, continue: second.metadata.continue });
    expect([...second.items, ...third.items].map((p) => p.metadata?.name)).toEqual(['c', 'd', 'e']);
    expect(third.metadata.continue).toBeUndefined();

    api.compact();
    await expect(api.list(PODS, { limit: 2, continue: first.metadata.continue })).rejects.toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('watch from a resourceVersion replays later history, then live events; "" starts with the current state', async () => {
    const api = new FakeApiClient();
    await api.create(PODS, pod('a'));
    const b = await api.create(PODS, pod('b'));
    const fromOne = recorder();
    api.watch(PODS, { namespace: 'default', resourceVersion: '1' }, fromOne.handlers);
    const fromNow = recorder();
    api.watch(PODS, { resourceVersion: '' }, fromNow.handlers);
    await api.delete(PODS, 'a', { namespace: 'default' });
    await api.update(PODS, { ...b, metadata: { ...b.metadata, labels: { x: 'y' } } });
    await api.flush();
    expect(fromOne.events).toEqual([
      ['ADDED', 'b', '2'],
      ['DELETED', 'a', '3'],
      ['MODIFIED', 'b', '4'],
    ]);
    expect(fromNow.events).toEqual([
      ['ADDED', 'a', '1'],
      ['ADDED', 'b', '2'],
      ['DELETED', 'a', '3'],
      ['MODIFIED', 'b', '4'],
    ]);
  });

  it('a selector watch sees objects enter as ADDED and leave as DELETED', async () => {
    const api = new FakeApiClient();
    const a = await api.create(PODS, pod('a', { app: 'db' }));
    const w = recorder();
    api.watch(PODS, { labelSelector: 'app=web', resourceVersion: api.resourceVersion }, w.handlers);
    const moved = await api.update(PODS, { ...a, metadata: { ...a.metadata, labels: { app: 'web' } } });
    await api.update(PODS, { ...moved, metadata: { ...moved.metadata, labels: { app: 'db' } } });
    await api.flush();
    expect(w.events.map(([t]) => t)).toEqual(['ADDED', 'DELETED']);
  });

  it('finalizers hold a deleted object until the last one is removed', async () => {
    const api = new FakeApiClient();
    await api.create(PODS, { ...pod('a'), metadata: { name: 'a', namespace: 'default', finalizers: ['x'] } });
    const deleting = (await api.delete(PODS, 'a', { namespace: 'default' })) as KubeObject;
    expect(deleting.metadata?.deletionTimestamp).toBeDefined();
    expect((await api.get(PODS, 'a', { namespace: 'default' })).metadata?.deletionTimestamp).toBeDefined();
    await api.patch(PODS, 'a', 'merge', { metadata: { finalizers: null } }, { namespace: 'default' });
    await expect(api.get(PODS, 'a', { namespace: 'default' })).rejects.toMatchObject({ reason: 'NotFound' });
  });

  it('fails watches on purpose: compacted history, expiry, injected errors, clean closes', async () => {
    const api = new FakeApiClient();
    await api.create(PODS, pod('a'));
    await api.create(PODS, pod('b'));
    api.compact();
    const old = recorder();
    api.watch(PODS, { resourceVersion: '1' }, old.handlers);
    await api.flush();
    expect(old.closes).toHaveLength(1);
    expect(old.closes[0]).toMatchObject({ code: 410, reason: 'Expired', message: 'too old resource version: 1 (3)' });

    const live = recorder();
    api.watch(PODS, { resourceVersion: api.resourceVersion }, live.handlers);
    expect(api.activeWatches).toBe(1);
    api.expireWatches();
    await api.flush();
    expect(live.closes[0]).toBeInstanceOf(ApiError);
    expect(live.closes[0]).toMatchObject({ code: 410 });
    expect(api.activeWatches).toBe(0);

    const clean = recorder();
    api.watch(PODS, { resourceVersion: api.resourceVersion }, clean.handlers);
    await api.create(PODS, pod('c'));
    api.closeWatches();
    await api.flush();
    expect(clean.events).toEqual([['ADDED', 'c', '3']]); // events sent before the close still arrive
    expect(clean.closes).toEqual([undefined]);

    api.failNext('watch', new Error('boom'));
    const failed = recorder();
    api.watch(PODS, {}, failed.handlers);
    await api.flush();
    expect(failed.closes[0]?.message).toBe('boom');

    api.failNext('get', ApiError.internal('etcd down'), { times: 2 });
    await expect(api.get(PODS, 'a', { namespace: 'default' })).rejects.toMatchObject({ code: 500 });
    await expect(api.get(PODS, 'a', { namespace: 'default' })).rejects.toMatchObject({ code: 500 });
    await expect(api.get(PODS, 'a', { namespace: 'default' })).resolves.toBeDefined();
  });

  it('stop() closes a watch without an error, once', async () => {
    const api = new FakeApiClient();
    const w = recorder();
    const handle = api.watch(PODS, { resourceVersion: '0' }, w.handlers);
    handle.stop();
    handle.stop();
    await api.create(PODS, pod('a'));
    await api.flush();
    expect(w.closes).toEqual([undefined]);
    expect(w.events).toEqual([]);
  });

  it('binds pods through pods/binding', async () => {
    const api = new FakeApiClient();
    await api.create(PODS, pod('a'));
    await api.create(PODS, { target: { kind: 'Node', name: 'n1' } }, { namespace: 'default', name: 'a', subresource: 'binding' });
    expect((await api.get(PODS, 'a', { namespace: 'default' })).spec).toMatchObject({ nodeName: 'n1' });
    await expect(api.create(PODS, { target: { name: 'n2' } }, { namespace: 'default', name: 'a', subresource: 'binding' })).rejects.toMatchObject({ reason: 'Conflict' });
  });
});
