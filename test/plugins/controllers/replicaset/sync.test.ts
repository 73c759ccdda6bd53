/**
 * The ReplicaSet controller's sync on a fake API and real informers: scale
 * up in slow-start batches, scale down in kube's deletion order, adopt and
 * release, expectations holding back duplicates while the informer lags (or
 * relists after the API lost its watches), status with minReadySeconds.
 * Syncs are called directly (`syncReplicaSet`), so each step is explicit.
 */
import { ApiError } from '../../../../kernel/api/errors';
import type { KubeObject, WatchEvent } from '../../../../kernel/api/types';
import { EventRecorder, EVENTS } from '../../../../kernel/client/events';
import { SharedInformerFactory } from '../../../../kernel/client/informer';
import type { ApiClient, WatchHandle, WatchHandlers, WatchOptions, ResourceType } from '../../../../kernel/client/types';
import { silentLogger } from '../../../../kernel/log';
import type { ControllerContext } from '../../../../plugins/controllers/types';
import { enabledControllers, validateOptions } from '../../../../plugins/controllers';
import replicaSetModule, { PODS, REPLICASETS, ReplicaSetController, compareForDeletion, podsToDelete } from '../../../../plugins/controllers/replicaset';
import type { PodObject, ReplicaSetObject } from '../../../../plugins/controllers/replicaset/pods';
import { FakeApiClient } from '../../../kernel/client/fake-api';
import { FakeClock, settle } from '../../../kernel/client/fake-clock';

const NS = 'default';
const KEY = `${NS}/web`;
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * A client whose watch events can be held back (`pause`), released in order
 * (`resume`), or lost (`drop`): an informer that lags the API.
 */
class LaggingClient {
  paused = false;
  private held: Array<() => void> = [];

  constructor(readonly api: FakeApiClient) {}

  client(): ApiClient {
    return new Proxy(this.api, {
      get: (target, prop, receiver) => {
        if (prop !== 'watch') return Reflect.get(target, prop, receiver);
        return (type: ResourceType, options: WatchOptions, handlers: WatchHandlers): WatchHandle =>
          target.watch(type, options, {
            onEvent: (event: WatchEvent) => {
              if (this.paused) this.held.push(() => handlers.onEvent(event));
              else handlers.onEvent(event);
            },
            onClose: (err) => handlers.onClose(err),
          });
      },
    }) as unknown as ApiClient;
  }

  resume(): void {
    this.paused = false;
    for (const deliver of this.held.splice(0)) deliver();
  }

  drop(): void {
    this.held = [];
    this.paused = false;
  }
}

interface Harness {
  api: FakeApiClient;
  clock: FakeClock;
  lag: LaggingClient;
  controller: ReplicaSetController;
  recorder: EventRecorder;
  factory: SharedInformerFactory;
  /** Let watch events land in the informers. */
  settle(): Promise<void>;
  pods(): Promise<PodObject[]>;
  rs(): Promise<ReplicaSetObject>;
  events(): Promise<Array<{ reason: string; message: string; type: string }>>;
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.factory.stop();
  harness = undefined;
});

async function setup(options: { burstReplicas?: number } = {}): Promise<Harness> {
  const clock = new FakeClock(T0);
  const api = new FakeApiClient({ now: () => new Date(clock.now()) });
  const lag = new LaggingClient(api);
  const client = lag.client();
  // Informers on real time with tiny backoffs: a relist after a lost watch happens at once.
  const factory = new SharedInformerFactory(client, { logger: silentLogger, backoff: { initialMs: 1, maxMs: 5 } });
  const recorder = new EventRecorder(api, { clock, logger: silentLogger, component: 'replicaset-controller' });
  const context: ControllerContext = {
    client,
    informers: factory,
    clock,
    logger: silentLogger,
    events: () => recorder,
    hooks: undefined as never,
    signal: new AbortController().signal,
  };
  const controller = new ReplicaSetController(client, context, options);
  factory.start();
  await factory.waitForCacheSync();
  const settleAll = async () => {
    for (let i = 0; i < 5; i++) await settle();
  };
  harness = {
    api,
    clock,
    lag,
    controller,
    recorder,
    factory,
    settle: settleAll,
    pods: async () => (await api.list<PodObject>(PODS, { namespace: NS })).items,
    rs: () => api.get<ReplicaSetObject>(REPLICASETS, 'web', { namespace: NS }),
    events: async () => {
      await recorder.flush();
      return (await api.list(EVENTS, { namespace: NS })).items as unknown as Array<{ reason: string; message: string; type: string }>;
    },
  };
  return harness;
}

function replicaSet(replicas: number, extra: { minReadySeconds?: number } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: NS },
    spec: {
      replicas,
      ...extra,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'web', image: 'busybox' }] } },
    },
  };
}

interface PodShape {
  labels?: Record<string, string>;
  owner?: ReplicaSetObject;
  nodeName?: string;
  phase?: string;
  readySince?: number;
  restarts?: number;
}

function pod(name: string, shape: PodShape = {}): KubeObject {
  const conditions = shape.readySince !== undefined ? [{ type: 'Ready', status: 'True', lastTransitionTime: iso(shape.readySince) }] : [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      labels: shape.labels ?? { app: 'web', tier: 'front' },
      ...(shape.owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: shape.owner.metadata.name, uid: shape.owner.metadata.uid, controller: true, blockOwnerDeletion: true }] }
        : {}),
    },
    spec: { containers: [{ name: 'web', image: 'busybox' }], ...(shape.nodeName ? { nodeName: shape.nodeName } : {}) },
    status: {
      phase: shape.phase ?? 'Pending',
      conditions,
      ...(shape.restarts !== undefined ? { containerStatuses: [{ name: 'web', restartCount: shape.restarts, ready: true, image: 'busybox', imageID: '' }] } : {}),
    },
  };
}

const podCreates = (api: FakeApiClient) => api.callsOf('create', 'pods').length;

test('scale up: pods from the template, owned, named <rs>-, in slow-start batches; events and status', async () => {
  const h = await setup();
  const rs = await h.api.create<ReplicaSetObject>(REPLICASETS, replicaSet(3));
  await h.settle();
  await h.controller.syncReplicaSet(KEY);
  await h.settle();

  const pods = await h.pods();
  expect(pods).toHaveLength(3);
  for (const p of pods) {
    expect(p.metadata.name).toMatch(/^web-/);
    expect(p.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(p.spec?.containers[0]?.image).toBe('busybox');
  }
  const events = await h.events();
  expect(events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());

  // The status counts what the informer showed at the time of the sync; the next sync sees the three pods.
  await h.controller.syncReplicaSet(KEY);
  const status = (await h.rs()).status;
  expect(status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 });
  expect(podCreates(h.api)).toBe(3);
});

test('a create failure stops the slow start, sets ReplicaFailure and records FailedCreate; a later success clears it', async () => {
  const h = await setup();
  await h.api.create(REPLICASETS, replicaSet(10));
  await h.settle();
  // Batches 1, 2, 4, ...: the first create succeeds, one of the batch of two is refused.
  const orig = h.api.create.bind(h.api);
  let n = 0;
  jest.spyOn(h.api, 'create').mockImplementation(async (type, obj, opts) => {
    if (type.resource === 'pods' && ++n === 2) throw ApiError.forbidden({ group: '', resource: 'pods' }, '', 'exceeded quota: pods=2');
    return orig(type, obj, opts);
  });
  await expect(h.controller.syncReplicaSet(KEY)).rejects.toThrow(/exceeded quota/);
  expect(n).toBe(3); // 1 + 2, then stopped
  await h.settle();
  expect(await h.pods()).toHaveLength(2);
  const rs = await h.rs();
  expect(rs.status?.conditions).toEqual([expect.objectContaining({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: expect.stringContaining('exceeded quota') })]);
  expect((await h.events()).some((e) => e.reason === 'FailedCreate' && e.type === 'Warning' && e.message.startsWith('Error creating:'))).toBe(true);

  // The two created pods came back through the informer: the next sync creates the other 8 (1, 2, 4, 1).
  expect(h.controller.expectations.satisfied(KEY)).toBe(true);
  await h.controller.syncReplicaSet(KEY);
  expect(n).toBe(3 + 8);
  await h.settle();
  expect(await h.pods()).toHaveLength(10);
  expect((await h.rs()).status?.conditions).toBeUndefined();
});

test('burstReplicas caps one sync', async () => {
  const h = await setup({ burstReplicas: 4 });
  await h.api.create(REPLICASETS, replicaSet(10));
  await h.settle();
  await h.controller.syncReplicaSet(KEY);
  expect(podCreates(h.api)).toBe(4);
});

test('scale down deletes unassigned, then not-ready, then pods on crowded nodes, ready for less time first', async () => {
  const h = await setup();
  const rs = await h.api.create<ReplicaSetObject>(REPLICASETS, replicaSet(5));
  await h.api.create(PODS, pod('a', { owner: rs, nodeName: 'n1', phase: 'Running', readySince: T0 - 100_000 }));
  await h.api.create(PODS, pod('b', { owner: rs, phase: 'Pending' }));
  await h.api.create(PODS, pod('c', { owner: rs, nodeName: 'n1', phase: 'Running' }));
  await h.api.create(PODS, pod('d', { owner: rs, nodeName: 'n2', phase: 'Running', readySince: T0 - 100_000 }));
  await h.api.create(PODS, pod('e', { owner: rs, nodeName: 'n1', phase: 'Running', readySince: T0 - 10_000 }));
  await h.api.patch(REPLICASETS, 'web', 'merge', { spec: { replicas: 2 } }, { namespace: NS });
  await h.settle();

  await h.controller.syncReplicaSet(KEY);
  expect(h.api.callsOf('delete', 'pods').map((c) => c.name).sort()).toEqual(['b', 'c', 'e']);
  expect((await h.pods()).map((p) => p.metadata.name).sort()).toEqual(['a', 'd']);
  expect((await h.events()).filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message).sort()).toEqual(['Deleted pod: b', 'Deleted pod: c', 'Deleted pod: e']);
});

test('the deletion order, comparison by comparison (kube ActivePodsWithRanks)', () => {
  let seq = 0;
  const mk = (shape: PodShape & { created?: number; cost?: string }): PodObject => {
    const p = pod(`p${seq++}`, shape) as PodObject;
    (p.metadata as { creationTimestamp?: string }).creationTimestamp = iso(shape.created ?? T0);
    if (shape.cost) p.metadata.annotations = { 'controller.kubernetes.io/pod-deletion-cost': shape.cost };
    return p;
  };
  const first = (a: PodObject, b: PodObject, ranks: [number, number] = [0, 0]) => compareForDeletion(a, ranks[0], b, ranks[1]) < 0 && compareForDeletion(b, ranks[1], a, ranks[0]) > 0;
  const running = { nodeName: 'n', phase: 'Running' };
  const cases: Array<[string, PodObject, PodObject, [number, number]?]> = [
    ['unassigned before assigned', mk({ phase: 'Running' }), mk({ nodeName: 'n', phase: 'Pending' })],
    ['Pending before Unknown', mk({ nodeName: 'n', phase: 'Pending' }), mk({ nodeName: 'n', phase: 'Unknown' })],
    ['Unknown before Running', mk({ nodeName: 'n', phase: 'Unknown' }), mk(running)],
    ['not ready before ready', mk(running), mk({ ...running, readySince: T0 })],
    ['lower deletion cost first', mk({ ...running, readySince: T0, cost: '-5' }), mk({ ...running, readySince: T0 })],
    ['more crowded node first', mk({ ...running, readySince: T0 - 5000 }), mk({ ...running, readySince: T0 }), [3, 1]],
    ['ready for less time first', mk({ ...running, readySince: T0 }), mk({ ...running, readySince: T0 - 5000 })],
    ['more restarts first', mk({ ...running, restarts: 4 }), mk({ ...running, restarts: 1 })],
    ['newer first', mk({ ...running, created: T0 }), mk({ ...running, created: T0 - 60_000 })],
  ];
  for (const [what, a, b, ranks] of cases) expect([what, first(a, b, ranks)]).toEqual([what, true]);

  // podsToDelete ranks by active related pods on each node.
  const x = mk({ ...running, nodeName: 'busy', readySince: T0 - 1000 });
  const y = mk({ ...running, nodeName: 'quiet', readySince: T0 });
  const z = mk({ ...running, nodeName: 'busy', readySince: T0 - 2000 });
  expect(podsToDelete([y, x, z], [x, y, z], 2).map((p) => p.metadata.name)).toEqual([x.metadata.name, z.metadata.name]);
  expect(podsToDelete([y, x], [x, y], 2)).toHaveLength(2);
});

test('adopts matching orphans (not while being deleted), releases owned pods that stopped matching', async () => {
  const h = await setup();
  const rs = await h.api.create<ReplicaSetObject>(REPLICASETS, replicaSet(2));
  await h.api.create(PODS, pod('orphan'));
  await h.api.create(PODS, pod('owned', { owner: rs }));
  await h.api.create(PODS, pod('stranger', { labels: { app: 'db' } }));
  await h.settle();
  await h.controller.syncReplicaSet(KEY);

  expect(podCreates(h.api) - 3).toBe(0); // two claimed, none created
  const byName = new Map((await h.pods()).map((p) => [p.metadata.name, p]));
  expect(byName.get('orphan')?.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true })]);
  expect(byName.get('stranger')?.metadata.ownerReferences).toBeUndefined();

  // Relabel the owned pod: released, and replaced.
  await h.api.patch(PODS, 'owned', 'merge', { metadata: { labels: { app: 'other' } } }, { namespace: NS });
  await h.settle();
  await h.controller.syncReplicaSet(KEY);
  await h.settle();
  const after = new Map((await h.pods()).map((p) => [p.metadata.name, p]));
  expect(after.get('owned')?.metadata.ownerReferences).toBeUndefined();
  expect([...after.values()].filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid))).toHaveLength(2);
});

test('a ReplicaSet being deleted adopts nothing and creates nothing', async () => {
  const h = await setup();
  const rs = replicaSet(2);
  rs.metadata!.finalizers = ['example.com/hold'];
  await h.api.create(REPLICASETS, rs);
  await h.api.delete(REPLICASETS, 'web', { namespace: NS });
  await h.api.create(PODS, pod('orphan'));
  await h.settle();
  await h.controller.syncReplicaSet(KEY);
  expect(podCreates(h.api)).toBe(1);
  expect(h.api.callsOf('patch', 'pods')).toHaveLength(0);
});

test('expectations: no duplicates while the informer lags, nor after the API lost the watch events', async () => {
  const h = await setup();
  await h.api.create(REPLICASETS, replicaSet(3));
  await h.settle();

  h.lag.paused = true;
  await h.controller.syncReplicaSet(KEY);
  expect(podCreates(h.api)).toBe(3);
  await h.settle();
  // The cache still shows no pods; syncing again (as a status or resync event would) creates nothing.
  await h.controller.syncReplicaSet(KEY);
  await h.controller.syncReplicaSet(KEY);
  expect(podCreates(h.api)).toBe(3);
  expect(h.controller.expectations.satisfied(KEY)).toBe(false);

  h.lag.resume();
  await h.settle();
  expect(h.controller.expectations.satisfied(KEY)).toBe(true);
  await h.controller.syncReplicaSet(KEY);
  expect(podCreates(h.api)).toBe(3);

  // Scale to 5 while the events of the creations are lost and the watch expires (an API restart): the relist delivers them.
  await h.api.patch(REPLICASETS, 'web', 'merge', { spec: { replicas: 5 } }, { namespace: NS });
  await h.settle();
  h.lag.paused = true;
  await h.controller.syncReplicaSet(KEY);
  expect(podCreates(h.api)).toBe(5);
  await h.controller.syncReplicaSet(KEY);
  expect(podCreates(h.api)).toBe(5);
  h.lag.drop();
  h.api.compact();
  h.api.expireWatches();
  for (let i = 0; i < 50 && !h.controller.expectations.satisfied(KEY); i++) await new Promise((r) => setTimeout(r, 5));
  expect(h.controller.expectations.satisfied(KEY)).toBe(true);
  await h.controller.syncReplicaSet(KEY);
  expect(podCreates(h.api)).toBe(5);
  expect(await h.pods()).toHaveLength(5);
});

test('expectations time out (an event lost for good) after five minutes, and the sync is requeued for then', async () => {
  const h = await setup();
  await h.api.create(REPLICASETS, replicaSet(1));
  await h.settle();
  h.lag.paused = true;
  await h.controller.syncReplicaSet(KEY);
  const requeue = jest.spyOn(h.controller, 'enqueueAfter');
  await h.controller.syncReplicaSet(KEY);
  expect(requeue).toHaveBeenCalledWith(KEY, 5 * 60 * 1000 + 1);
  await h.clock.advance(5 * 60 * 1000 + 1);
  expect(h.controller.expectations.satisfied(KEY)).toBe(true);
});

test('scale down expects the deletions: a lagging informer does not cause more deletes', async () => {
  const h = await setup();
  const rs = await h.api.create<ReplicaSetObject>(REPLICASETS, replicaSet(3));
  for (const name of ['p1', 'p2', 'p3']) await h.api.create(PODS, pod(name, { owner: rs }));
  await h.api.patch(REPLICASETS, 'web', 'merge', { spec: { replicas: 1 } }, { namespace: NS });
  await h.settle();
  h.lag.paused = true;
  await h.controller.syncReplicaSet(KEY);
  await h.controller.syncReplicaSet(KEY);
  expect(h.api.callsOf('delete', 'pods')).toHaveLength(2);
  h.lag.resume();
  await h.settle();
  await h.controller.syncReplicaSet(KEY);
  expect(h.api.callsOf('delete', 'pods')).toHaveLength(2);
  expect(await h.pods()).toHaveLength(1);
});

test('status: ready and available after minReadySeconds, requeued for the remaining time, written only when changed', async () => {
  const h = await setup();
  const rs = await h.api.create<ReplicaSetObject>(REPLICASETS, replicaSet(2, { minReadySeconds: 10 }));
  await h.api.create(PODS, pod('old', { owner: rs, nodeName: 'n', phase: 'Running', readySince: T0 - 20_000 }));
  await h.api.create(PODS, pod('new', { owner: rs, nodeName: 'n', phase: 'Running', readySince: T0 - 4_000 }));
  await h.settle();
  const requeue = jest.spyOn(h.controller, 'enqueueAfter');

  await h.controller.syncReplicaSet(KEY);
  expect((await h.rs()).status).toMatchObject({ replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 1 });
  expect(requeue).toHaveBeenCalledWith(KEY, 6_001);
  const statusWrites = () => h.api.callsOf('update', 'replicasets').filter((c) => (c.options as { subresource?: string }).subresource === 'status').length;
  expect(statusWrites()).toBe(1);
  expect(h.api.callsOf('update', 'replicasets')).toHaveLength(1);

  // Nothing changed: no write.
  await h.settle();
  await h.controller.syncReplicaSet(KEY);
  expect(statusWrites()).toBe(1);

  await h.clock.advance(6_001);
  await h.controller.syncReplicaSet(KEY);
  expect((await h.rs()).status).toMatchObject({ readyReplicas: 2, availableReplicas: 2 });
  expect(statusWrites()).toBe(2);
});

test('the module: enabled by default, workers setting checked', () => {
  expect(replicaSetModule.name).toBe('replicaset');
  expect(replicaSetModule.enabledByDefault).toBe(true);
  expect(enabledControllers(['*'])).toContain('replicaset');
  expect(validateOptions({ settings: { replicaset: { workers: 0 } } })[0]?.path).toEqual(['settings', 'replicaset', 'workers']);
  expect(validateOptions({ settings: { replicaset: { workers: 3 } } })).toEqual([]);
});
