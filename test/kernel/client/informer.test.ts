import { ApiError } from '../../../kernel/api/errors';
import type { KubeObject } from '../../../kernel/api/types';
import { deepCopy } from '../../../kernel/api/types';
import { SharedInformer, SharedInformerFactory, stripManagedFields } from '../../../kernel/client/informer';
import type { EventHandler, InformerOptions } from '../../../kernel/client/informer';
import type { ResourceType } from '../../../kernel/client/types';
import type { Logger } from '../../../kernel/log';
import { FakeApiClient } from './fake-api';
import { FakeClock, settle } from './fake-clock';

const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const CONFIGMAPS: ResourceType = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };

function pod(name: string, ns = 'default', labels: Record<string, string> = {}): KubeObject {
  return { metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger: Logger & { lines: string[] } = {
    lines,
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    child: () => logger,
  };
  return logger;
}

/** Records events as short strings: `add a`, `update a 2->3`, `delete a`, `delete? a` (inferred by relist). */
function recorder(informer?: SharedInformer) {
  const events: string[] = [];
  const cacheSizes: number[] = [];
  const seen = () => informer && cacheSizes.push(informer.cache.size);
  const name = (o: KubeObject) => o.metadata?.name ?? '?';
  const handler: EventHandler = {
    onAdd: (o, initial) => {
      seen();
      events.push(`add ${name(o)}${initial ? ' (initial)' : ''}`);
    },
    onUpdate: (old, o) => {
      seen();
      events.push(`update ${name(o)} ${old.metadata?.resourceVersion}->${o.metadata?.resourceVersion}`);
    },
    onDelete: (o, info) => {
      seen();
      events.push(`${info.finalStateUnknown ? 'delete?' : 'delete'} ${name(o)}`);
    },
  };
  return { events, cacheSizes, handler };
}

/** Run the event loop until `cond` holds (bounded, so a bug fails instead of hanging). */
async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (cond()) return;
    await settle();
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('SharedInformer', () => {
  let api: FakeApiClient;
  let clock: FakeClock;
  let logger: ReturnType<typeof capturingLogger>;
  const informers: SharedInformer[] = [];

  beforeEach(() => {
    api = new FakeApiClient();
    clock = new FakeClock();
    logger = capturingLogger();
  });
  afterEach(async () => {
    await Promise.all(informers.splice(0).map((i) => i.stop()));
  });

  function informerFor(options: InformerOptions = {}, type = PODS): SharedInformer {
    const informer = new SharedInformer(api, type, { clock, logger, watchTimeoutSeconds: 300, backoff: { initialMs: 100, maxMs: 1000 }, ...options });
    informers.push(informer);
    return informer;
  }

  async function started(options: InformerOptions = {}) {
    const informer = informerFor(options);
    const rec = recorder(informer);
    informer.addEventHandler(rec.handler);
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    await until(() => api.activeWatches === 1, 'the watch');
    return { informer, rec };
  }

  it('lists in pages, fills the cache, delivers initial adds, then watches from the list resourceVersion', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) await api.create(PODS, pod(n));
    const informer = informerFor({ pageSize: 2 });
    const rec = recorder(informer);
    informer.addEventHandler(rec.handler);
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    expect(await informer.waitForSync()).toBe(true);

    const lists = api.callsOf('list').map((c) => c.options as { limit?: number; continue?: string });
    expect(lists.map((o) => o.limit)).toEqual([2, 2, 2]);
    expect(lists[0]!.continue).toBeUndefined();
    expect(lists[1]!.continue).toBeTruthy();
    expect(rec.events).toEqual(['add a (initial)', 'add b (initial)', 'add c (initial)', 'add d (initial)', 'add e (initial)']);
    expect(informer.cache.listKeys().sort()).toEqual(['default/a', 'default/b', 'default/c', 'default/d', 'default/e']);
    expect(informer.cache.get('default/a')).toMatchObject({ kind: 'Pod', apiVersion: 'v1' });

    await until(() => api.activeWatches === 1, 'the watch');
    expect(api.callsOf('watch')[0]!.options).toMatchObject({ resourceVersion: '5', allowWatchBookmarks: true, timeoutSeconds: 300 });
  });

  it('delivers watch events as add, update(old, new) and delete with the final state', async () => {
    const a = await api.create(PODS, pod('a'));
    const { informer, rec } = await started();
    rec.events.length = 0;

    await api.create(PODS, pod('b'));
    await api.update(PODS, { ...a, metadata: { ...a.metadata, labels: { x: '1' } } });
    await api.delete(PODS, 'b', { namespace: 'default' });
    await until(() => rec.events.length === 3, 'three events');
    expect(rec.events).toEqual(['add b', 'update a 1->3', 'delete b']);
    expect(informer.cache.get('default/a')?.metadata?.labels).toEqual({ x: '1' });
    expect(informer.cache.get('default/b')).toBeUndefined();
    expect(informer.lastSyncResourceVersion).toBe('4');
  });

  it('applies its transform to listed and watched objects before caching them and calling handlers', async () => {
    const managed = (name: string) => ({ ...pod(name), metadata: { ...pod(name).metadata, managedFields: [{ manager: 'kubectl', operation: 'Update' }] } });
    await api.create(PODS, managed('a'));
    const seen: KubeObject[] = [];
    const informer = informerFor({ transform: stripManagedFields });
    informer.addEventHandler({ onAdd: (o) => void seen.push(o), onUpdate: (_old, o) => void seen.push(o), onDelete: (o) => void seen.push(o) });
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    await until(() => api.activeWatches === 1, 'the watch');
    const b = await api.create(PODS, managed('b'));
    await api.update(PODS, { ...b, metadata: { ...b.metadata, labels: { x: '1' } } });
    await api.delete(PODS, 'b', { namespace: 'default' });
    await until(() => seen.length === 4, 'four events');
    expect(seen.map((o) => o.metadata?.name)).toEqual(['a', 'b', 'b', 'b']);
    expect(seen.filter((o) => o.metadata?.managedFields !== undefined)).toEqual([]);
    expect(informer.cache.get('default/a')?.metadata).not.toHaveProperty('managedFields');
    expect(informer.cache.get('default/a')?.metadata?.name).toBe('a');
  });

  it('resumes after a clean watch close from the last resourceVersion: no relist, no duplicate events', async () => {
    await api.create(PODS, pod('a'));
    const { rec } = await started();
    await api.create(PODS, pod('b'));
    await until(() => rec.events.includes('add b'));

    api.closeWatches();
    await until(() => api.callsOf('watch').length === 2 && api.activeWatches === 1, 'the second watch');
    expect(api.callsOf('watch')[1]!.options).toMatchObject({ resourceVersion: '2' });

    await api.create(PODS, pod('c'));
    await until(() => rec.events.includes('add c'));
    expect(rec.events).toEqual(['add a (initial)', 'add b', 'add c']);
    expect(api.callsOf('list')).toHaveLength(1);
  });

  it('bookmarks advance the resourceVersion a resumed watch starts from', async () => {
    const { informer } = await started();
    await api.create(CONFIGMAPS, { metadata: { name: 'cm', namespace: 'default' } }); // revision moves, no pod event
    api.bookmark();
    await until(() => informer.lastSyncResourceVersion === '1', 'the bookmark');
    api.closeWatches();
    await until(() => api.callsOf('watch').length === 2);
    expect(api.callsOf('watch')[1]!.options).toMatchObject({ resourceVersion: '1' });
    expect(api.callsOf('list')).toHaveLength(1);
  });

  it('relists after 410 Expired and delivers only the differences, deletions during the gap included', async () => {
    for (const n of ['a', 'b', 'c', 'same']) await api.create(PODS, pod(n));
    const { informer, rec } = await started();
    rec.events.length = 0;
    rec.cacheSizes.length = 0;

    // The watch drops (a network error: backoff), and while it is down the
    // world changes and the server forgets the history in between.
    api.closeWatches(new Error('connection reset'));
    await settle();
    await api.delete(PODS, 'a', { namespace: 'default' });
    const b = await api.get(PODS, 'b', { namespace: 'default' });
    await api.update(PODS, { ...b, metadata: { ...b.metadata, labels: { v: '2' } } });
    await api.delete(PODS, 'c', { namespace: 'default' });
    await api.create(PODS, pod('c')); // same name, new uid
    await api.create(PODS, pod('d'));
    api.compact();
    expect(rec.events).toEqual([]);

    await clock.advance(1000); // past the backoff: re-watch from rv 4 -> 410 -> relist
    await until(() => api.callsOf('list').length === 2 && api.activeWatches === 1, 'the relist and new watch');

    expect(api.callsOf('watch')[1]!.options).toMatchObject({ resourceVersion: '4' });
    expect(logger.lines.some((l) => l.includes('expired, relisting'))).toBe(true);
    expect(rec.events).toEqual(['delete? c', 'delete? a', 'add c', 'add d', 'update b 2->6']);
    // Handlers ran after the whole cache was replaced: every one saw the final state.
    expect(new Set(rec.cacheSizes)).toEqual(new Set([4]));
    expect(informer.cache.listKeys().sort()).toEqual(['default/b', 'default/c', 'default/d', 'default/same']);
    const server = await api.list(PODS);
    expect(informer.cache.get('default/c')?.metadata?.uid).toBe(server.items.find((p) => p.metadata?.name === 'c')?.metadata?.uid);

    // Watching again from the relist's resourceVersion.
    expect(api.callsOf('watch')[2]!.options).toMatchObject({ resourceVersion: server.metadata.resourceVersion });
  });

  it('relists at once when a live watch ends with a 410 ERROR', async () => {
    await api.create(PODS, pod('a'));
    const { rec } = await started();
    await api.delete(PODS, 'a', { namespace: 'default' });
    await until(() => rec.events.includes('delete a'));
    await api.create(PODS, pod('b'));
    api.expireWatches();
    await until(() => api.callsOf('list').length === 2 && api.activeWatches === 1, 'relist');
    // "add b" came from the watch before it expired; the relist finds nothing new.
    expect(rec.events).toEqual(['add a (initial)', 'delete a', 'add b']);
    expect(clock.pendingTimers).toBe(0); // no backoff was needed
  });

  it('backs off instead of spinning when the watch after a fresh relist expires again', async () => {
    await started();
    await clock.advance(60_000); // an idle watch, expired a minute later: relist at once
    api.failNext('watch', ApiError.expired('too old resource version'));
    api.expireWatches();
    await until(() => api.callsOf('watch').length === 2 && clock.pendingTimers === 1, 'the backoff');
    expect(api.callsOf('list')).toHaveLength(2);
    await clock.advance(150);
    await until(() => api.activeWatches === 1, 'the next watch');
    expect(api.callsOf('list')).toHaveLength(3);
  });

  it('retries a failed list with backoff on the clock', async () => {
    api.failNext('list', ApiError.serviceUnavailable('apiserver starting'));
    await api.create(PODS, pod('a'));
    const informer = informerFor();
    informer.start();
    await until(() => logger.lines.some((l) => l.startsWith('error list of pods failed')), 'the error log');
    expect(informer.hasSynced()).toBe(false);
    await clock.advance(99); // backoff is 100..150 ms
    expect(api.callsOf('list')).toHaveLength(1);
    await clock.advance(51);
    await until(() => informer.hasSynced(), 'sync');
    expect(api.callsOf('list')).toHaveLength(2);
  });

  it('retries a failed watch with backoff and resumes from the last resourceVersion without relisting', async () => {
    await api.create(PODS, pod('a'));
    const { rec } = await started();
    api.failNext('watch', new Error('connection refused'));
    api.closeWatches(new Error('connection reset'));
    await settle();
    await clock.advance(150);
    await until(() => api.callsOf('watch').length === 2);
    await clock.advance(300); // second failure: 200..300 ms
    await until(() => api.activeWatches === 1, 'the third watch');
    expect(api.callsOf('watch').map((c) => (c.options as { resourceVersion: string }).resourceVersion)).toEqual(['1', '1', '1']);
    expect(api.callsOf('list')).toHaveLength(1);
    await api.create(PODS, pod('b'));
    await until(() => rec.events.includes('add b'));
  });

  it('a paged list whose continue token expires falls back to one unpaged list', async () => {
    await api.create(PODS, pod('a'));
    api.failNext('list', ApiError.expired('The provided continue parameter is too old'));
    const informer = informerFor({ pageSize: 1 });
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    expect(api.callsOf('list').map((c) => (c.options as { limit?: number }).limit)).toEqual([1, undefined]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('indexes by namespace and by custom indexers, kept current by events', async () => {
    await api.create(PODS, pod('a', 'ns1', { app: 'web' }));
    await api.create(PODS, pod('b', 'ns2', { app: 'web' }));
    await api.create(PODS, pod('c', 'ns1', { app: 'db' }));
    const { informer, rec } = await started({ indexers: { app: (o) => [o.metadata?.labels?.app ?? ''] } });
    const names = (objs: KubeObject[]) => objs.map((o) => o.metadata?.name).sort();
    expect(names(informer.cache.listNamespace('ns1'))).toEqual(['a', 'c']);
    expect(names(informer.cache.byIndex('namespace', 'ns2'))).toEqual(['b']);
    expect(names(informer.cache.byIndex('app', 'web'))).toEqual(['a', 'b']);

    const a = await api.get(PODS, 'a', { namespace: 'ns1' });
    await api.update(PODS, { ...a, metadata: { ...a.metadata, labels: { app: 'db' } } });
    await api.delete(PODS, 'c', { namespace: 'ns1' });
    await until(() => rec.events.length === 5);
    expect(names(informer.cache.byIndex('app', 'web'))).toEqual(['b']);
    expect(names(informer.cache.byIndex('app', 'db'))).toEqual(['a']);
    expect(names(informer.cache.listNamespace('ns1'))).toEqual(['a']);
    expect(() => informer.cache.byIndex('nope', 'x')).toThrow('no indexer named "nope"');

    informer.addIndexer('image', (o) => [((o.spec as { containers: Array<{ image: string }> }).containers[0]!.image)]);
    expect(names(informer.cache.byIndex('image', 'busybox'))).toEqual(['a', 'b']);
  });

  it('hands out deep-frozen objects: mutating one throws instead of corrupting the cache', async () => {
    await api.create(PODS, pod('a', 'default', { app: 'web' }));
    const informer = informerFor();
    const mutations: unknown[] = [];
    informer.addEventHandler({
      onAdd: (o) => {
        try {
          o.metadata!.labels!.app = 'evil';
        } catch (err) {
          mutations.push(err);
        }
      },
    });
    informer.start();
    await informer.waitForSync();
    expect(mutations).toHaveLength(1);
    expect(mutations[0]).toBeInstanceOf(TypeError);
    const cached = informer.cache.get('default/a')!;
    expect(Object.isFrozen(cached)).toBe(true);
    expect(Object.isFrozen((cached.spec as { containers: object[] }).containers[0])).toBe(true);
    expect(cached.metadata?.labels).toEqual({ app: 'web' });
    // The sanctioned way: copy, then change.
    const copy = deepCopy(cached);
    copy.metadata!.labels!.app = 'changed';
    expect(informer.cache.get('default/a')?.metadata?.labels?.app).toBe('web');
  });

  it('a handler that throws is logged and does not stop other handlers or the informer', async () => {
    const informer = informerFor();
    informer.addEventHandler({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    const rec = recorder();
    informer.addEventHandler(rec.handler);
    informer.start();
    await informer.waitForSync();
    await until(() => api.activeWatches === 1);
    await api.create(PODS, pod('a'));
    await until(() => rec.events.length === 1);
    expect(rec.events).toEqual(['add a']);
    expect(logger.lines.some((l) => l.includes('onAdd handler for pods threw: handler bug'))).toBe(true);
  });

  it('a handler added after sync first gets the cached objects; removing it stops delivery', async () => {
    await api.create(PODS, pod('a'));
    const { informer } = await started();
    const late = recorder();
    const remove = informer.addEventHandler(late.handler);
    expect(late.events).toEqual(['add a (initial)']);
    remove();
    await api.create(PODS, pod('b'));
    await api.flush();
    expect(late.events).toEqual(['add a (initial)']);
  });

  it('resyncs: redelivers every cached object as an update each period', async () => {
    await api.create(PODS, pod('a'));
    const { rec } = await started({ resyncPeriodMs: 30_000 });
    rec.events.length = 0;
    await clock.advance(29_999);
    expect(rec.events).toEqual([]);
    await clock.advance(1);
    expect(rec.events).toEqual(['update a 1->1']);
    await clock.advance(30_000);
    expect(rec.events).toEqual(['update a 1->1', 'update a 1->1']);
  });

  it('stop() ends the watch, delivers nothing more, and resolves pending waitForSync with false', async () => {
    const { informer, rec } = await started();
    await informer.stop();
    expect(api.activeWatches).toBe(0);
    await api.create(PODS, pod('late'));
    await api.flush();
    expect(rec.events).toEqual([]);

    api.failNext('list', new Error('down'));
    const never = informerFor();
    never.start();
    const waiting = never.waitForSync();
    await never.stop();
    expect(await waiting).toBe(false);
  });

  it('waitForSync resolves false when its signal aborts first', async () => {
    api.failNext('list', new Error('down'));
    const informer = informerFor();
    informer.start();
    const ac = new AbortController();
    const waiting = informer.waitForSync(ac.signal);
    ac.abort();
    expect(await waiting).toBe(false);
  });
});

describe('SharedInformerFactory', () => {
  it('shares one informer per type, namespace and selectors, and starts, syncs and stops them together', async () => {
    const api = new FakeApiClient();
    const clock = new FakeClock();
    await api.create(PODS, pod('a', 'ns1', { app: 'web' }));
    await api.create(CONFIGMAPS, { metadata: { name: 'cm', namespace: 'ns1' } });
    const factory = new SharedInformerFactory(api, { clock, logger: capturingLogger() });

    const pods = factory.informerFor(PODS);
    expect(factory.informerFor(PODS)).toBe(pods);
    const webPods = factory.informerFor(PODS, { labelSelector: 'app=web' });
    expect(webPods).not.toBe(pods);
    expect(factory.informerFor(PODS, { namespace: 'ns1' })).not.toBe(pods);
    const cms = factory.informerFor(CONFIGMAPS);

    factory.start();
    expect(await factory.waitForCacheSync()).toBe(true);
    expect(pods.cache.size).toBe(1);
    expect(cms.cache.size).toBe(1);
    const podLists = api.callsOf('list', 'pods').map((c) => c.options as { labelSelector?: string; namespace?: string });
    expect(podLists.map((o) => `${o.namespace ?? '*'} ${o.labelSelector ?? ''}`).sort()).toEqual(['* ', '* app=web', 'ns1 ']);
    await until(() => api.activeWatches === 4, 'four watches');

    await factory.stop();
    expect(api.activeWatches).toBe(0);
  });
});
