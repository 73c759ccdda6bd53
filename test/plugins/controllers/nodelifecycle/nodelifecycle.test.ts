/**
 * The nodelifecycle controller on a FakeApiClient and a FakeClock: node
 * health from Lease renewals and Ready heartbeats, Unknown conditions after
 * the grace period, the NoExecute/NoSchedule taints, taint-based eviction
 * (at once, after tolerationSeconds, never) and MarkPodsNotReady; and the
 * pure parts (eviction decisions, taints, DefaultTolerationSeconds) as tables.
 *
 * The fake's strategic patch is a merge patch (lists replaced), so the
 * condition patches here replace the pod's conditions: tests look at the
 * condition patched in, not at the other conditions.
 */
import type { Pod, Taint } from 'kubernetes-types/core/v1';
import { EventRecorder } from '../../../../kernel/client/events';
import { SharedInformerFactory } from '../../../../kernel/client/informer';
import { createKernelHooks } from '../../../../kernel/hooks';
import { silentLogger } from '../../../../kernel/log';
import type { AdmissionRequest } from '../../../../kernel/api/admission';
import type { ControllerContext } from '../../../../plugins/controllers/types';
import nodeLifecycle, { reconcileTaints, unknownConditions, type NodeLifecycleSettings } from '../../../../plugins/controllers/nodelifecycle';
import { evictionDecision } from '../../../../plugins/controllers/nodelifecycle/taint-eviction';
import { addDefaultTolerations, admitDefaultTolerations, tapDefaultTolerationSeconds } from '../../../../plugins/controllers/nodelifecycle/default-tolerations';
import type { NodeObject, PodObject } from '../../../../plugins/controllers/nodelifecycle/taints';
import { FakeApiClient } from '../../../kernel/client/fake-api';
import { FakeClock, settle } from '../../../kernel/client/fake-clock';

const NODES = { group: '', version: 'v1', resource: 'nodes', kind: 'Node' };
const PODS = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true };
const EVENTS = { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true };

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

describe('evictionDecision (NoExecute taints against tolerations)', () => {
  const t0 = Date.UTC(2024, 0, 1);
  const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
  const other: Taint = { key: 'example.com/x', effect: 'NoExecute' };
  const since = () => t0;
  test.each([
    ['no taints', [], [], t0, { action: 'keep' }],
    ['untolerated taint', [unreachable], [], t0, { action: 'evict' }],
    ['tolerated forever', [unreachable], [{ key: unreachable.key, operator: 'Exists' }], t0 + 1e9, { action: 'keep' }],
    ['tolerated 3 s, at 1 s', [unreachable], [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 }], t0 + 1000, { action: 'evictAt', at: t0 + 3000 }],
    ['tolerated 3 s, at 3 s', [unreachable], [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 }], t0 + 3000, { action: 'evict' }],
    ['tolerationSeconds 0 or less: at once', [unreachable], [{ key: unreachable.key, operator: 'Exists', tolerationSeconds: -5 }], t0, { action: 'evict' }],
    ['one of two taints untolerated', [unreachable, other], [{ key: unreachable.key, operator: 'Exists' }], t0, { action: 'evict' }],
    ['the earliest limit wins', [unreachable, other], [{ key: unreachable.key, operator: 'Exists', tolerationSeconds: 10 }, { key: other.key, operator: 'Exists', tolerationSeconds: 5 }], t0, { action: 'evictAt', at: t0 + 5000 }],
    ['a wildcard toleration tolerates everything', [unreachable, other], [{ operator: 'Exists' }], t0, { action: 'keep' }],
  ])('%s', (_name, taints, tolerations, now, expected) => {
    expect(evictionDecision(taints as Taint[], tolerations, now, since)).toEqual(expected);
  });
});

function node(conditions: Array<{ type: string; status: string }>, extra: Partial<NodeObject> = {}): NodeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', uid: 'u', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z' },
    status: { conditions: conditions.map((c) => ({ ...c, lastHeartbeatTime: '2024-01-01T00:00:00Z', lastTransitionTime: '2024-01-01T00:00:00Z' })) },
    ...extra,
  } as NodeObject;
}

describe('taints and conditions', () => {
  const now = Date.UTC(2024, 0, 1, 0, 1);
  test.each([
    ['Ready True: none', [{ type: 'Ready', status: 'True' }], [], []],
    ['Ready Unknown: unreachable', [{ type: 'Ready', status: 'Unknown' }], [], ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']],
    ['Ready False: not-ready', [{ type: 'Ready', status: 'False' }], [], ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']],
    ['Ready again: managed taints go, others stay', [{ type: 'Ready', status: 'True' }], [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, { key: 'mine', effect: 'NoSchedule' }], ['mine:NoSchedule']],
    ['Unknown to False swaps the taint', [{ type: 'Ready', status: 'False' }], [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }], ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']],
    ['pressure: NoSchedule', [{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'True' }, { type: 'DiskPressure', status: 'False' }], [], ['node.kubernetes.io/memory-pressure:NoSchedule']],
  ])('%s', (_name, conditions, taints, expected) => {
    const next = reconcileTaints(node(conditions, { spec: { taints: taints as Taint[] } }), now) ?? (taints as Taint[]);
    expect(next.map((t) => `${t.key}:${t.effect}`)).toEqual(expected);
    for (const t of next) if (t.effect === 'NoExecute' && t.key.startsWith('node.kubernetes.io/') && !(taints as Taint[]).some((o) => o.key === t.key)) expect(t.timeAdded).toBe(iso(now));
  });

  test('nothing to change: undefined', () => {
    expect(reconcileTaints(node([{ type: 'Ready', status: 'True' }]), now)).toBeUndefined();
  });

  test('unknownConditions: Kubernetes reasons and messages, heartbeat kept, missing ones added', () => {
    const conditions = unknownConditions(node([{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' }]), now)!;
    expect(conditions.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
      ['MemoryPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
      ['DiskPressure', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
      ['PIDPressure', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
    ]);
    expect(conditions[0].lastHeartbeatTime).toBe('2024-01-01T00:00:00Z');
    expect(conditions[0].lastTransitionTime).toBe(iso(now));
    expect(unknownConditions({ ...node([]), status: { conditions } } as NodeObject, now)).toBeUndefined();
  });
});

describe('DefaultTolerationSeconds', () => {
  const notReady = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  const unreachable = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  test.each([
    ['none: both added', [], [notReady, unreachable]],
    ['own not-ready toleration kept, unreachable added', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }], [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }, unreachable]],
    ['a key-less toleration tolerates both', [{ operator: 'Exists' }], [{ operator: 'Exists' }]],
    ['a NoSchedule toleration does not count', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }], [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, notReady, unreachable]],
    ['an effect-less toleration counts', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }], [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }, notReady]],
  ])('%s', (_name, tolerations, expected) => {
    const pod: Pod = { spec: { containers: [], tolerations } };
    addDefaultTolerations(pod);
    expect(pod.spec!.tolerations).toEqual(expected);
  });

  test('only pods, only CREATE, never subresources; tapped once per kernel', async () => {
    const request = (over: Partial<AdmissionRequest>): AdmissionRequest =>
      ({ operation: 'CREATE', group: '', version: 'v1', kind: 'Pod', resource: 'pods', user: { username: 'u', groups: [] }, dryRun: false, object: { spec: { containers: [] } }, ...over }) as AdmissionRequest;
    for (const r of [request({ operation: 'UPDATE' }), request({ subresource: 'status' }), request({ resource: 'services', kind: 'Service' })]) {
      await admitDefaultTolerations(r);
      expect((r.object as Pod).spec!.tolerations).toBeUndefined();
    }
    const hooks = createKernelHooks();
    expect(tapDefaultTolerationSeconds(hooks)).toBe(true);
    expect(tapDefaultTolerationSeconds(hooks)).toBe(false);
    expect(hooks.api.admission.mutate.taps.map((t) => t.name)).toEqual(['controllers']);
    const r = request({});
    await hooks.api.admission.mutate.promise(r);
    expect((r.object as Pod).spec!.tolerations).toHaveLength(2);
  });
});

describe('NodeLifecycleController with a FakeClock', () => {
  let api: FakeApiClient;
  let clock: FakeClock;
  let factory: SharedInformerFactory;
  let stop: AbortController;
  let stopped: Promise<void>;
  const hooks = createKernelHooks();

  async function start(settings: NodeLifecycleSettings = {}): Promise<void> {
    const context: ControllerContext = {
      client: api,
      informers: factory,
      clock,
      logger: silentLogger,
      events: (component) => new EventRecorder(api, { clock, logger: silentLogger, component }),
      hooks,
      signal: stop.signal,
    };
    stopped = (await nodeLifecycle.start(context, settings)).stopped;
    factory.start();
    await settle();
  }

  /** Let watch events, syncs and writes land (several rounds: a sync's write is another watch event). */
  async function land(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      await api.flush();
      await settle();
    }
  }

  const getNode = () => api.get<NodeObject>(NODES, 'n1');
  const ready = async () => (await getNode()).status?.conditions?.find((c) => c.type === 'Ready');
  const pod = (name: string) => api.get<PodObject>(PODS, name, { namespace: 'default' }).catch(() => undefined);

  async function renewLease(): Promise<void> {
    const lease = await api.get(LEASES, 'n1', { namespace: 'kube-node-lease' });
    await api.update(LEASES, { ...lease, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: micro(clock.now()) } });
  }

  async function createPod(name: string, tolerations: object[] = []): Promise<void> {
    await api.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }], tolerations } });
    await api.patch(PODS, name, 'merge', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(clock.now()) }] } }, { namespace: 'default', subresource: 'status' });
  }

  beforeEach(async () => {
    clock = new FakeClock();
    api = new FakeApiClient({ now: () => new Date(clock.now()) });
    factory = new SharedInformerFactory(api, { clock, logger: silentLogger });
    stop = new AbortController();
    await api.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    const t = iso(clock.now());
    await api.patch(NODES, 'n1', 'merge', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: t, lastTransitionTime: t }] } }, { subresource: 'status' });
    await api.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: micro(clock.now()) } });
  });
  afterEach(async () => {
    stop.abort();
    await clock.advance(60_000);
    await stopped;
    await factory.stop();
  });

  test('a renewed lease keeps the node Ready; silence for the grace period makes it Unknown and tainted; Ready again removes the taints', async () => {
    await start();
    await land();
    for (let i = 0; i < 6; i++) {
      await clock.advance(10_000);
      await renewLease();
      await land();
    }
    expect((await ready())?.status).toBe('True');
    expect((await getNode()).spec?.taints).toBeUndefined();

    // Silence: 39 s is still within the grace period, 40 s is not (checked every 5 s).
    await clock.advance(35_000);
    await land();
    expect((await ready())?.status).toBe('True');
    await clock.advance(5_000);
    await land();
    const unknown = await ready();
    expect(unknown).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    const conditions = (await getNode()).status!.conditions!;
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) expect(conditions.find((c) => c.type === type)?.status).toBe('Unknown');
    expect((await getNode()).spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    const events = (await api.list(EVENTS)).items as Array<{ reason?: string; message?: string }>;
    expect(events).toContainEqual(expect.objectContaining({ reason: 'NodeNotReady', message: 'Node n1 status is now: NodeNotReady' }));

    // The node agent is back: lease renewed and Ready posted.
    await renewLease();
    const t = iso(clock.now());
    await api.patch(NODES, 'n1', 'merge', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: t, lastTransitionTime: t }] } }, { subresource: 'status' });
    await land();
    await clock.advance(5_000);
    await land();
    expect((await getNode()).spec?.taints ?? []).toEqual([]);
  });

  test('evicts at once, after tolerationSeconds from the taint, or never; DisruptionTarget and an event first; Ready False on the pods', async () => {
    await createPod('plain');
    await createPod('patient', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 }]);
    await createPod('forever', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
    await start({ nodeMonitorGracePeriodSeconds: 2, nodeMonitorPeriodSeconds: 1 });
    await land();
    await clock.advance(1_000);
    await land();
    expect(await pod('plain')).toBeDefined();

    await clock.advance(1_000); // 2 s unheard: Unknown, tainted
    await land();
    expect((await ready())?.status).toBe('Unknown');
    expect(await pod('plain')).toBeUndefined();
    expect(await pod('patient')).toBeDefined();
    const conditionPatches = api.calls.filter((c) => c.verb === 'patch' && c.resource === 'pods' && c.name === 'plain');
    expect(conditionPatches.length).toBeGreaterThan(0);
    const deletes = api.callsOf('delete', 'pods').map((c) => c.name);
    expect(deletes).toEqual(['plain']);
    const forever = await pod('forever');
    expect(forever?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');

    await clock.advance(2_000);
    await land();
    expect(await pod('patient')).toBeDefined();
    await clock.advance(1_000); // 3 s after the taint's timeAdded
    await land();
    expect(await pod('patient')).toBeUndefined();
    await clock.advance(60_000);
    await land();
    expect(await pod('forever')).toBeDefined();

    const events = (await api.list(EVENTS)).items as Array<{ reason?: string; message?: string; involvedObject?: { name?: string } }>;
    expect(events).toContainEqual(expect.objectContaining({ reason: 'TaintManagerEviction', message: 'Marking for deletion Pod default/plain' }));
    expect(events).toContainEqual(expect.objectContaining({ reason: 'TaintManagerEviction', message: 'Marking for deletion Pod default/patient' }));
    expect(events).toContainEqual(expect.objectContaining({ reason: 'NodeNotReady', message: 'Node is not ready', involvedObject: expect.objectContaining({ name: 'forever' }) }));
  });
  test('DisruptionTarget is patched in before the delete; a taint without timeAdded counts from when it was first seen', async () => {
    const writes: Array<{ verb: string; name: string; body?: unknown }> = [];
    const patch = api.patch.bind(api);
    const del = api.delete.bind(api);
    jest.spyOn(api, 'patch').mockImplementation((type, name, patchType, body, options) => {
      if (type.resource === 'pods') writes.push({ verb: 'patch', name, body });
      return patch(type, name, patchType, body, options);
    });
    jest.spyOn(api, 'delete').mockImplementation((type, name, options) => {
      if (type.resource === 'pods') writes.push({ verb: 'delete', name });
      return del(type, name, options);
    });
    await createPod('victim', [{ key: 'example.com/maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }]);
    await start();
    await land();
    // Someone taints the node by hand (no timeAdded); the lease keeps it Ready meanwhile.
    const n = await getNode();
    await api.update(NODES, { ...n, spec: { taints: [{ key: 'example.com/maintenance', effect: 'NoExecute' }] } });
    await land();
    for (let i = 0; i < 4; i++) {
      await clock.advance(1_000);
      await renewLease();
      await land();
    }
    expect(await pod('victim')).toBeDefined();
    await clock.advance(1_000);
    await renewLease();
    await land();
    expect(await pod('victim')).toBeUndefined();
    const victim = writes.filter((w) => w.name === 'victim' && !(w.verb === 'patch' && JSON.stringify(w.body).includes('"Ready"')));
    expect(victim).toEqual([
      { verb: 'patch', name: 'victim', body: { status: { conditions: [expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' })] } } },
      { verb: 'delete', name: 'victim' },
    ]);
  });

  test('a second start on the same kernel taps DefaultTolerationSeconds once', async () => {
    const kernelHooks = createKernelHooks();
    const context = (signal: AbortSignal): ControllerContext => ({
      client: api,
      informers: new SharedInformerFactory(api, { clock, logger: silentLogger }),
      clock,
      logger: silentLogger,
      events: (component) => new EventRecorder(api, { clock, logger: silentLogger, component }),
      hooks: kernelHooks,
      signal,
    });
    const first = new AbortController();
    const second = new AbortController();
    const a = await nodeLifecycle.start(context(first.signal), {});
    const b = await nodeLifecycle.start(context(second.signal), {});
    expect(kernelHooks.api.admission.mutate.taps.filter((t) => t.name === 'controllers')).toHaveLength(1);
    first.abort();
    second.abort();
    await Promise.all([a.stopped, b.stopped]);
    stopped = Promise.resolve();
  });
});
