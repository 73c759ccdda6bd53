/**
 * DefaultPreemption through its factory, with a fake FrameworkHandle: a
 * recording fake ApiClient, a small resource-fit filter (cpu and pod count,
 * "Insufficient cpu" as NodeResourcesFit words it), PreFilter extensions
 * that record what preemption removes and adds back, and nominated pods per
 * node. Each case builds a cluster, calls PostFilter as the scheduler would
 * and checks the node nominated, the victims, the messages and the API calls.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { ApiError } from '../../../../kernel/api/errors';
import type { KubeObject } from '../../../../kernel/api/types';
import type { ResourceType } from '../../../../kernel/client/types';
import type { CycleState, NodeInfo, NodeStatusMap, PodInfo, PostFilterResult } from '../../../../kernel/scheduling/types';
import { SchedulingStatus } from '../../../../kernel/scheduling/types';
import { silentLogger } from '../../../../kernel/log';
import { validateWithSchema } from '../../../../kernel/plugin';
import type { FrameworkHandle, SchedulerEvent } from '../../../../plugins/scheduler/framework/handle';
import { computePodInfo } from '../../../../plugins/scheduler/framework/pod-info';
import { createDefaultPreemption, numCandidates, DEFAULT_PREEMPTION_ARGS, type DefaultPreemptionArgs } from '../../../../plugins/scheduler/plugins/default-preemption';
import { FakeApiClient } from '../../../kernel/client/fake-api';
import { FakeClock } from '../../../kernel/client/fake-clock';
import { makeNode, makePod, PluginHarness, snapshotOf, type PodSpecShort } from '../../scheduler/support';

/** A Pod as the API client types it. */
type StoredPod = Pod & KubeObject & { metadata: NonNullable<Pod['metadata']> };

const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod' };
const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The filter the fake handle runs: requests against allocatable, as NodeResourcesFit (cpu, memory, pods). */
function resourceFit(_state: CycleState, pod: Pod, node: NodeInfo): SchedulingStatus | undefined {
  const requests = computePodInfo(pod).requests;
  const reasons: string[] = [];
  if (node.requested.pods + 1 > (node.allocatable.pods ?? 0)) reasons.push('Too many pods');
  for (const resource of ['cpu', 'memory']) {
    if ((requests[resource] ?? 0) > 0 && (node.requested[resource] ?? 0) + requests[resource] > (node.allocatable[resource] ?? 0)) reasons.push(`Insufficient ${resource}`);
  }
  return reasons.length > 0 ? SchedulingStatus.unschedulable(...reasons) : undefined;
}

interface Victim {
  name: string;
  node: string;
  priority: number;
  cpu: string;
  startedMinutesAgo?: number;
  gracePeriod?: number;
  deleting?: boolean;
  preempted?: boolean;
}

interface Scene {
  nodes: Array<{ name: string; cpu?: string }>;
  pods: Victim[];
  /** Pods nominated to nodes, not bound (status.nominatedNodeName). */
  nominated?: Array<PodSpecShort & { nominatedNodeName: string; priority: number }>;
  preemptor: PodSpecShort & { preemptionPolicy?: 'Never' | 'PreemptLowerPriority'; nominatedNodeName?: string };
  /** Filter statuses by node; a node not listed failed with Insufficient cpu (Unschedulable). */
  failures?: Record<string, SchedulingStatus | null>;
  args?: Partial<DefaultPreemptionArgs>;
  offset?: number;
}

interface Run {
  result: PostFilterResult | undefined;
  api: FakeApiClient;
  events: Array<{ pod: string; event: SchedulerEvent }>;
  /** `remove <pod> <node>` / `add <pod> <node>` as the PreFilter extensions saw them. */
  extensions: string[];
  /** Pod names by the uid the fake API gave them. */
  names: Map<string, string>;
  snapshot: ReturnType<typeof snapshotOf>;
}

async function run(scene: Scene, options: { configure?: (api: FakeApiClient) => void } = {}): Promise<Run> {
  const api = new FakeApiClient({ now: () => new Date(NOW) });
  const clock = new FakeClock(NOW);
  const names = new Map<string, string>();
  const bound: Pod[] = [];
  for (const v of scene.pods) {
    const base = makePod({ name: v.name, nodeName: v.node, priority: v.priority, requests: { cpu: v.cpu } });
    const pod: Pod = {
      ...base,
      spec: { ...base.spec!, ...(v.gracePeriod !== undefined ? { terminationGracePeriodSeconds: v.gracePeriod } : {}) },
      status: {
        ...base.status,
        ...(v.startedMinutesAgo !== undefined ? { startTime: at(v.startedMinutesAgo) } : {}),
        ...(v.preempted ? { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod' }] } : {}),
      },
    };
    const created = await api.create<StoredPod>(PODS, pod as StoredPod, { namespace: 'default' });
    const placed: Pod = v.deleting ? { ...created, metadata: { ...created.metadata, deletionTimestamp: at(0) } } : created;
    names.set(created.metadata.uid!, v.name);
    bound.push(placed);
  }
  const nominated = new Map<string, PodInfo[]>();
  for (const n of scene.nominated ?? []) {
    const pod: Pod = { ...makePod(n), status: { phase: 'Pending', nominatedNodeName: n.nominatedNodeName } };
    const created = await api.create<StoredPod>(PODS, pod as StoredPod, { namespace: 'default' });
    names.set(created.metadata.uid!, n.name);
    nominated.set(n.nominatedNodeName, [...(nominated.get(n.nominatedNodeName) ?? []), computePodInfo(created)]);
  }
  options.configure?.(api);
  api.calls.length = 0;

  const nodes: Node[] = scene.nodes.map((n) => makeNode({ name: n.name, cpu: n.cpu ?? '4' }));
  const snapshot = snapshotOf(nodes, bound);
  const events: Run['events'] = [];
  const extensions: string[] = [];
  const handle: FrameworkHandle = {
    client: api,
    clock,
    logger: silentLogger,
    runFilterPlugins: resourceFit,
    runPreFilterRemovePod(_state, _pod, info, node) {
      extensions.push(`remove ${info.pod.metadata?.name} ${node.name}`);
      return undefined;
    },
    runPreFilterAddPod(_state, _pod, info, node) {
      extensions.push(`add ${info.pod.metadata?.name} ${node.name}`);
      return undefined;
    },
    nominatedPodsFor: (nodeName) => nominated.get(nodeName) ?? [],
    recordEvent: (pod, event) => events.push({ pod: pod.metadata?.name ?? '', event }),
  };
  const harness = new PluginHarness(createDefaultPreemption(handle, { randomOffset: () => scene.offset ?? 0 }), scene.args ?? {});
  const { preemptionPolicy, nominatedNodeName, ...short } = scene.preemptor;
  const base = makePod({ priority: 100, ...short });
  const pod: Pod = {
    ...base,
    spec: { ...base.spec!, ...(preemptionPolicy ? { preemptionPolicy } : {}) },
    status: nominatedNodeName ? { phase: 'Pending', nominatedNodeName } : base.status,
  };
  const failures = new Map<string, SchedulingStatus>();
  for (const n of scene.nodes) {
    const given = scene.failures?.[n.name];
    if (given === null) continue;
    failures.set(n.name, given ?? SchedulingStatus.unschedulable('Insufficient cpu'));
  }
  const result = await harness.plugin.postFilter!(harness.state(pod, snapshot), pod, failures as NodeStatusMap);
  return { result, api, events, extensions, names, snapshot };
}

/** Names of the pods deleted, in call order. */
function deleted(r: Run): string[] {
  return r.api.callsOf('delete', 'pods').map((c) => c.name ?? '');
}

const full = (node: string, ...pods: Array<[name: string, priority: number, cpu: string, startedMinutesAgo?: number]>): Victim[] =>
  pods.map(([name, priority, cpu, startedMinutesAgo]) => ({ name, node, priority, cpu, startedMinutesAgo }));

describe('DefaultPreemption: which node, which victims', () => {
  const cases: Array<{ name: string; scene: Scene; node: string; victims: string[] }> = [
    {
      name: 'picks the node whose most important victim has the lowest priority',
      scene: {
        nodes: [{ name: 'node-a' }, { name: 'node-b' }],
        pods: [...full('node-a', ['a1', 50, '2'], ['a2', 50, '2']), ...full('node-b', ['b1', 10, '2'], ['b2', 60, '2'])],
        preemptor: { name: 'p', requests: { cpu: '2' } },
      },
      node: 'node-b',
      victims: ['b1'],
    },
    {
      name: 'reprieves the most important pods first: the victims are the lowest-priority ones, not the fewest',
      scene: {
        nodes: [{ name: 'node-a' }],
        pods: full('node-a', ['small-1', 1, '1'], ['small-2', 2, '1'], ['big', 3, '2']),
        preemptor: { name: 'p', requests: { cpu: '2' } },
      },
      node: 'node-a',
      victims: ['small-2', 'small-1'],
    },
    {
      name: 'reprieves every victim that is not needed',
      scene: {
        nodes: [{ name: 'node-a' }],
        pods: full('node-a', ['v1', 1, '1'], ['v2', 2, '1'], ['v3', 3, '1'], ['v4', 4, '1']),
        preemptor: { name: 'p', requests: { cpu: '1' } },
      },
      node: 'node-a',
      victims: ['v1'],
    },
    {
      name: 'equal highest victim priority: the smaller sum of priorities wins',
      scene: {
        nodes: [{ name: 'node-a' }, { name: 'node-b' }],
        pods: [...full('node-a', ['a1', 5, '2'], ['a2', 5, '2']), ...full('node-b', ['b1', 5, '2'], ['b2', 1, '2'])],
        preemptor: { name: 'p', requests: { cpu: '4' } },
      },
      node: 'node-b',
      victims: ['b1', 'b2'],
    },
    {
      name: 'same highest victim priority: fewer victims (a smaller sum) wins',
      scene: {
        nodes: [{ name: 'node-a' }, { name: 'node-b' }],
        pods: [...full('node-a', ['a1', 5, '1'], ['a2', 5, '1'], ['a3', 200, '2']), ...full('node-b', ['b1', 5, '2'], ['b2', 200, '2'])],
        preemptor: { name: 'p', requests: { cpu: '2' } },
      },
      node: 'node-b',
      victims: ['b1'],
    },
    {
      name: 'all else equal: the node whose highest-priority victims started last (ran the shortest)',
      scene: {
        nodes: [{ name: 'node-a' }, { name: 'node-b' }],
        pods: [...full('node-a', ['old', 5, '4', 60]), ...full('node-b', ['young', 5, '4', 5])],
        preemptor: { name: 'p', requests: { cpu: '4' } },
      },
      node: 'node-b',
      victims: ['young'],
    },
    {
      name: 'equal-priority victims on one node: the one started last is evicted, the older reprieved',
      scene: {
        nodes: [{ name: 'node-a' }],
        pods: full('node-a', ['older', 5, '2', 60], ['newer', 5, '2', 1]),
        preemptor: { name: 'p', requests: { cpu: '2' } },
      },
      node: 'node-a',
      victims: ['newer'],
    },
    {
      name: 'a full tie goes to the first node of the dry run, which starts at the random offset',
      scene: {
        nodes: [{ name: 'node-1' }, { name: 'node-2' }, { name: 'node-3' }],
        pods: [...full('node-1', ['v1', 5, '4', 10]), ...full('node-2', ['v2', 5, '4', 10]), ...full('node-3', ['v3', 5, '4', 10])],
        preemptor: { name: 'p', requests: { cpu: '4' } },
        offset: 2,
      },
      node: 'node-3',
      victims: ['v3'],
    },
    {
      name: 'UnschedulableAndUnresolvable nodes are not candidates, however cheap',
      scene: {
        nodes: [{ name: 'node-a' }, { name: 'node-b' }],
        pods: [...full('node-a', ['cheap', 1, '4']), ...full('node-b', ['dear', 90, '4'])],
        preemptor: { name: 'p', requests: { cpu: '4' } },
        failures: { 'node-a': SchedulingStatus.unresolvable("node(s) didn't match Pod's node affinity/selector") },
      },
      node: 'node-b',
      victims: ['dear'],
    },
    {
      name: 'pods nominated to the node with equal or higher priority count as present; lower ones do not',
      scene: {
        nodes: [{ name: 'node-a' }],
        pods: full('node-a', ['v1', 1, '1'], ['v2', 2, '1']),
        nominated: [
          { name: 'high', priority: 500, requests: { cpu: '2' }, nominatedNodeName: 'node-a' },
          { name: 'low', priority: 50, requests: { cpu: '2' }, nominatedNodeName: 'node-a' },
        ],
        preemptor: { name: 'p', requests: { cpu: '2' } },
      },
      node: 'node-a',
      victims: ['v2', 'v1'],
    },
  ];

  test.each(cases)('$name', async ({ scene, node, victims }) => {
    const r = await run(scene);
    expect(r.result).toEqual({ nominatedNodeName: node, status: SchedulingStatus.success() });
    expect(deleted(r)).toEqual(victims);
  });
});

describe('DefaultPreemption: when it does not preempt', () => {
  const cases: Array<{ name: string; scene: Scene; result: PostFilterResult }> = [
    {
      name: 'preemptionPolicy Never',
      scene: {
        nodes: [{ name: 'node-a' }],
        pods: full('node-a', ['v', 1, '4']),
        preemptor: { name: 'p', requests: { cpu: '4' }, preemptionPolicy: 'Never' },
      },
      result: { status: SchedulingStatus.unschedulable('preemption: not eligible due to preemptionPolicy=Never.') },
    },
    {
      name: 'a pod whose lower-priority victims on its nominated node are still terminating',
      scene: {
        nodes: [{ name: 'node-a' }, { name: 'node-b' }],
        pods: [{ name: 'going', node: 'node-a', priority: 1, cpu: '4', deleting: true, preempted: true }, ...full('node-b', ['v', 1, '4'])],
        preemptor: { name: 'p', requests: { cpu: '4' }, nominatedNodeName: 'node-a' },
      },
      result: { status: SchedulingStatus.unschedulable('preemption: not eligible due to a terminating pod on the nominated node.') },
    },
    {
      name: 'never pods of equal or higher priority',
      scene: {
        nodes: [{ name: 'node-a' }],
        pods: full('node-a', ['equal', 100, '2'], ['higher', 200, '2']),
        preemptor: { name: 'p', requests: { cpu: '2' } },
      },
      result: { nominatedNodeName: '', status: SchedulingStatus.unschedulable('preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.') },
    },
    {
      name: 'not when evicting every lower-priority pod is still not enough (the filter says why)',
      scene: {
        nodes: [{ name: 'node-a' }],
        pods: full('node-a', ['equal', 100, '2'], ['low', 1, '2']),
        preemptor: { name: 'p', requests: { cpu: '4' } },
      },
      result: { nominatedNodeName: '', status: SchedulingStatus.unschedulable('preemption: 0/1 nodes are available: 1 Insufficient cpu.') },
    },
    {
      name: "Kubernetes' summary: per reason, the count of nodes, sorted",
      scene: {
        nodes: [{ name: 'node-1' }, { name: 'node-2' }, { name: 'node-3' }],
        pods: [...full('node-1', ['v1', 1, '4']), ...full('node-3', ['higher', 300, '4'])],
        preemptor: { name: 'p', requests: { cpu: '4' } },
        failures: {
          'node-1': SchedulingStatus.unresolvable("node(s) didn't match Pod's node affinity/selector"),
          'node-2': SchedulingStatus.unresolvable('node(s) had untolerated taint {dedicated: gpu}'),
        },
      },
      result: {
        nominatedNodeName: '',
        status: SchedulingStatus.unschedulable('preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.'),
      },
    },
    {
      name: 'nodes the filters did not report on cannot be helped',
      scene: {
        nodes: [{ name: 'node-1' }, { name: 'node-2' }],
        pods: full('node-1', ['v1', 1, '4']),
        preemptor: { name: 'p', requests: { cpu: '4' } },
        failures: { 'node-1': null, 'node-2': null },
      },
      result: { nominatedNodeName: '', status: SchedulingStatus.unschedulable('preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.') },
    },
  ];

  test.each(cases)('$name', async ({ scene, result }) => {
    const r = await run(scene);
    expect(r.result).toEqual(result);
    expect(r.api.calls).toEqual([]);
    expect(r.events).toEqual([]);
  });

  test('a pod nominated to a node that is now UnschedulableAndUnresolvable for it may preempt elsewhere', async () => {
    const r = await run({
      nodes: [{ name: 'node-a' }, { name: 'node-b' }],
      pods: [{ name: 'going', node: 'node-a', priority: 1, cpu: '4', deleting: true, preempted: true }, ...full('node-b', ['v', 1, '4'])],
      preemptor: { name: 'p', requests: { cpu: '4' }, nominatedNodeName: 'node-a' },
      failures: { 'node-a': SchedulingStatus.unresolvable('node(s) had untolerated taint {dedicated: gpu}') },
    });
    expect(r.result?.nominatedNodeName).toBe('node-b');
    expect(deleted(r)).toEqual(['v']);
  });

  test('pods terminating for another reason do not stop it', async () => {
    const r = await run({
      nodes: [{ name: 'node-a' }],
      pods: [{ name: 'leaving', node: 'node-a', priority: 1, cpu: '2', deleting: true }, ...full('node-a', ['v', 1, '2'])],
      preemptor: { name: 'p', requests: { cpu: '4' }, nominatedNodeName: 'node-a' },
    });
    expect(r.result?.nominatedNodeName).toBe('node-a');
    // The victim already being deleted gets no second call.
    expect(deleted(r)).toEqual(['v']);
  });
});

describe('DefaultPreemption: what it does to the cluster', () => {
  const scene: Scene = {
    nodes: [{ name: 'node-a' }, { name: 'node-b' }],
    pods: [
      { name: 'keep', node: 'node-a', priority: 50, cpu: '4' },
      { name: 'victim-1', node: 'node-b', priority: 1, cpu: '2', gracePeriod: 17 },
      { name: 'victim-2', node: 'node-b', priority: 2, cpu: '2' },
    ],
    nominated: [
      { name: 'lower-nominee', priority: 10, requests: { cpu: '1' }, nominatedNodeName: 'node-b' },
      { name: 'higher-nominee', priority: 400, requests: { cpu: '0' }, nominatedNodeName: 'node-b' },
    ],
    preemptor: { name: 'p', requests: { cpu: '4' }, schedulerName: 'my-scheduler' },
  };

  test('marks each victim DisruptionTarget, deletes it with its grace period, reports Preempted, and clears lower nominations', async () => {
    const r = await run(scene);
    expect(r.result).toEqual({ nominatedNodeName: 'node-b', status: SchedulingStatus.success() });
    const uid = (name: string) => [...r.names].find(([, n]) => n === name)![0];
    const condition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'PreemptionByScheduler',
      message: 'my-scheduler: preempting to accommodate a higher priority pod',
      lastTransitionTime: '2024-01-01T12:00:00Z',
    };
    const calls = r.api.calls.map((c) => [c.verb, c.name, c.options]);
    // Per victim: the condition, then the deletion (victims are handled concurrently, so compare per pod).
    for (const [name, grace] of [['victim-2', undefined], ['victim-1', 17]] as const) {
      const own = calls.filter(([, n]) => n === name);
      expect(own).toEqual([
        ['patch', name, { patchType: 'strategic', patch: { status: { conditions: [condition] } }, namespace: 'default', subresource: 'status' }],
        ['delete', name, { namespace: 'default', ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}), preconditions: { uid: uid(name) } }],
      ]);
    }
    expect(calls.filter(([, n]) => n === 'lower-nominee')).toEqual([
      ['patch', 'lower-nominee', { patchType: 'strategic', patch: { status: { nominatedNodeName: null } }, namespace: 'default', subresource: 'status' }],
    ]);
    expect(calls.filter(([, n]) => n === 'higher-nominee' || n === 'keep')).toEqual([]);
    expect(r.events.sort((a, b) => a.pod.localeCompare(b.pod))).toEqual(
      ['victim-1', 'victim-2'].map((pod) => ({ pod, event: { type: 'Normal', reason: 'Preempted', action: 'Preempting', message: 'Preempted by pod uid-default-p on node node-b' } })),
    );
    // The victims are gone and the lower nominee is no longer nominated.
    await expect(r.api.get(PODS, 'victim-1', { namespace: 'default' })).rejects.toThrow(/not found/);
    expect((await r.api.get<StoredPod>(PODS, 'lower-nominee', { namespace: 'default' })).status?.nominatedNodeName).toBeUndefined();
  });

  test('a victim that already has the condition is not patched again', async () => {
    const r = await run({ nodes: [{ name: 'node-a' }], pods: [{ name: 'v', node: 'node-a', priority: 1, cpu: '4', preempted: true }], preemptor: { name: 'p', requests: { cpu: '4' } } });
    expect(r.api.calls.map((c) => c.verb)).toEqual(['delete']);
  });

  test('a victim already gone is skipped: no deletion, no event', async () => {
    const r = await run(
      { nodes: [{ name: 'node-a' }], pods: full('node-a', ['v', 1, '4']), preemptor: { name: 'p', requests: { cpu: '4' } } },
      { configure: (api) => api.failNext('patch', ApiError.notFound({ group: '', resource: 'pods' }, 'v')) },
    );
    expect(r.result?.nominatedNodeName).toBe('node-a');
    expect(r.api.calls.map((c) => c.verb)).toEqual(['patch']);
    expect(r.events).toEqual([]);
  });

  test('an API failure is a fault of the plugin, with its cause', async () => {
    const failure = new ApiError(500, 'InternalError', 'etcd is on fire');
    const err = await run(
      { nodes: [{ name: 'node-a' }], pods: full('node-a', ['v', 1, '4']), preemptor: { name: 'p', requests: { cpu: '4' } } },
      { configure: (api) => api.failNext('delete', failure) },
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe('plugin/DefaultPreemption: preempting pod default/v on node node-a: etcd is on fire');
    expect(err?.cause).toBe(failure);
  });

  test('works on copies: the snapshot keeps its pods, and the extensions see the removals and reprieves', async () => {
    const r = await run({
      nodes: [{ name: 'node-a' }, { name: 'node-b' }],
      pods: [...full('node-a', ['a-low', 1, '2'], ['a-high', 2, '2']), ...full('node-b', ['b', 90, '4'])],
      preemptor: { name: 'p', requests: { cpu: '2' } },
      failures: { 'node-b': SchedulingStatus.unresolvable('node(s) had untolerated taint {dedicated: gpu}') },
    });
    expect(r.extensions).toEqual(['remove a-low node-a', 'remove a-high node-a', 'add a-high node-a', 'add a-low node-a', 'remove a-low node-a']);
    expect(deleted(r)).toEqual(['a-low']);
    expect(r.snapshot.get('node-a')!.pods.map((p) => p.pod.metadata?.name)).toEqual(['a-low', 'a-high']);
    expect(r.snapshot.get('node-a')!.requested.cpu).toBe(4000);
  });
});

describe('DefaultPreemption: how many candidates', () => {
  const tenNodes = Array.from({ length: 10 }, (_, i) => ({ name: `node-${i}` }));
  const tenVictims = tenNodes.flatMap((n, i) => full(n.name, [`v${i}`, 1, '4']));

  test('stops the dry run once it has the candidates it wants, starting at the offset', async () => {
    const r = await run({ nodes: tenNodes, pods: tenVictims, preemptor: { name: 'p', requests: { cpu: '4' } }, args: { minCandidateNodesPercentage: 20, minCandidateNodesAbsolute: 0 }, offset: 7 });
    // 20% of 10 nodes: node-7 and node-8 are tried, tie, and the first wins.
    expect(new Set(r.extensions.map((e) => e.split(' ')[2]))).toEqual(new Set(['node-7', 'node-8']));
    expect(r.result?.nominatedNodeName).toBe('node-7');
  });

  test('wraps around the node list', async () => {
    const r = await run({ nodes: tenNodes, pods: tenVictims, preemptor: { name: 'p', requests: { cpu: '4' } }, args: { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 3 }, offset: 9 });
    expect([...new Set(r.extensions.map((e) => e.split(' ')[2]))]).toEqual(['node-9', 'node-0', 'node-1']);
  });

  test.each([
    [10, DEFAULT_PREEMPTION_ARGS, 10],
    [5000, DEFAULT_PREEMPTION_ARGS, 500],
    [500, DEFAULT_PREEMPTION_ARGS, 100],
    [500, { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 1 }, 1],
    [3, { minCandidateNodesPercentage: 100, minCandidateNodesAbsolute: 0 }, 3],
  ])('%i nodes with %j: %i candidates', (nodes, args, expected) => {
    expect(numCandidates(nodes, args)).toBe(expected);
  });
});

describe('DefaultPreemption args', () => {
  const plugin = createDefaultPreemption({} as FrameworkHandle);

  test('defaults as kube-scheduler', () => {
    expect(plugin.name).toBe('DefaultPreemption');
    expect(plugin.defaultArgs).toEqual({ minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100 });
  });

  test.each([
    [{ minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100 }, []],
    [{ minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 1 }, []],
    [{ minCandidateNodesPercentage: 100, minCandidateNodesAbsolute: 0 }, []],
    [{ minCandidateNodesPercentage: 101, minCandidateNodesAbsolute: 100 }, [{ path: ['minCandidateNodesPercentage'], message: 'Invalid value: 101: not in valid range [0, 100]' }]],
    [{ minCandidateNodesPercentage: -1, minCandidateNodesAbsolute: 100 }, [{ path: ['minCandidateNodesPercentage'], message: 'Invalid value: -1: not in valid range [0, 100]' }]],
    [{ minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: -1 }, [{ path: ['minCandidateNodesAbsolute'], message: 'Invalid value: -1: not in valid range [0, inf)' }]],
    [
      { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0 },
      [
        { path: ['minCandidateNodesPercentage'], message: 'Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute' },
        { path: ['minCandidateNodesAbsolute'], message: 'Invalid value: 0: cannot be zero at the same time as minCandidateNodesPercentage' },
      ],
    ],
  ])('%j', (args, problems) => {
    expect(plugin.validateArgs(args)).toEqual(problems);
  });

  test('the schema takes integers and nothing else', () => {
    expect(validateWithSchema(plugin.argsSchema, { minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100 })).toEqual([]);
    expect(validateWithSchema(plugin.argsSchema, { minCandidateNodesPercentage: 1.5, minCandidateNodesAbsolute: 100 })).not.toEqual([]);
    expect(validateWithSchema(plugin.argsSchema, { minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100, other: 1 })).not.toEqual([]);
  });

  test('a harness with bad args refuses them', () => {
    expect(() => new PluginHarness(plugin, { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0 })).toThrow(/cannot be zero/);
  });
});
