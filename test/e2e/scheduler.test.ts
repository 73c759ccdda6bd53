/**
 * The scheduler through the API with many nodes (Node objects, no agents):
 * resource fit, taints and tolerations, node affinity, anti-affinity spreading
 * replicas one per node, topology spread across zones, preemption, a second
 * profile by schedulerName, a third-party npm plugin changing placement, the
 * FailedScheduling message, and bad scheduler config failing the boot.
 */
import * as path from 'node:path';
import type { Node, Pod, Event } from 'kubernetes-types/core/v1';
import { fromKubeconfig, type HttpApiClient } from '../../kernel/client/http';
import type { ResourceType } from '../../kernel/client/types';
import type { KubeObject } from '../../kernel/api/types';
import { eventually } from '../support/http';
import { startCluster, type TestCluster } from '../support/cluster';
import { makeNode, makePod, type NodeSpec, type PodSpecShort } from '../plugins/scheduler/support';

const NODES: ResourceType = { group: '', version: 'v1', resource: 'nodes', kind: 'Node' };
const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const EVENTS: ResourceType = { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true };
const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace' };
const PRIORITY_CLASSES: ResourceType = { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass' };

const root = path.join(__dirname, '..', '..');
let cluster: TestCluster;
let client: HttpApiClient;
let nsCounter = 0;

/** Typed reads and writes over the HTTP client (kubernetes-types objects are not KubeObject's index-signature shape). */
const api = {
  get: <T>(type: ResourceType, name: string, options?: { namespace?: string }) => client.get(type, name, options) as unknown as Promise<T>,
  list: <T>(type: ResourceType, options: { namespace?: string; fieldSelector?: string }) => client.list(type, options) as unknown as Promise<{ items: T[] }>,
  create: <T = unknown>(type: ResourceType, object: unknown, options?: { namespace?: string }) => client.create(type, object as KubeObject, options) as unknown as Promise<T>,
};

type Mutable = { metadata: Record<string, unknown>; spec: Record<string, unknown>; status?: unknown };
const mutable = (o: unknown): Mutable => structuredClone(o) as Mutable;

const schedulerOptions = {
  podInitialBackoffSeconds: 1,
  podMaxBackoffSeconds: 2,
  profiles: [
    {},
    { schedulerName: 'bin-packing', pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] } } }] },
    {
      schedulerName: 'zone-spread',
      plugins: { score: { enabled: [{ name: 'ZoneSpread', weight: 50 }] } },
      pluginConfig: [{ name: 'ZoneSpread', args: { zoneLabel: 'topology.kubernetes.io/zone', groupLabel: 'app' } }],
    },
  ],
};

beforeAll(async () => {
  cluster = await startCluster({
    // Resolved from the repository's node_modules, as cluster.yaml files in examples/ do.
    source: path.join(root, 'examples', 'cluster.yaml'),
    config: { plugins: [{ name: 'skiff-plugin-zone-spread' }, { name: 'scheduler', options: schedulerOptions }] },
  });
  client = fromKubeconfig(cluster.kubeconfig);
});

afterAll(async () => {
  await cluster?.destroy();
});

/** Each test works in its own namespace on its own nodes (node names carry the namespace). */
async function setUp(nodes: NodeSpec[]): Promise<{ ns: string; node: (n: string) => string }> {
  const ns = `sched-${++nsCounter}`;
  await api.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const n of nodes) {
    const node = mutable(makeNode({ ...n, name: `${ns}-${n.name}`, labels: { ...(n.labels ?? {}), 'skiff.test/ns': ns } }));
    delete node.metadata.uid;
    await api.create(NODES, node);
  }
  return { ns, node: (n) => `${ns}-${n}` };
}

/** Pods of a test only fit on its nodes: each pod gets a nodeSelector for the test's namespace label. */
async function createPod(ns: string, spec: PodSpecShort & { priorityClassName?: string }): Promise<Pod> {
  const pod = mutable(makePod({ ...spec, namespace: ns, nodeSelector: { ...(spec.nodeSelector ?? {}), 'skiff.test/ns': ns } }));
  delete pod.metadata.uid;
  delete pod.status;
  if (spec.priority === undefined) delete pod.spec.priority;
  if (spec.priorityClassName) pod.spec.priorityClassName = spec.priorityClassName;
  return api.create<Pod>(PODS, pod, { namespace: ns });
}

async function nodeOf(ns: string, name: string, timeoutMs = 10_000): Promise<string> {
  return eventually(
    async () => {
      const pod = await api.get<Pod>(PODS, name, { namespace: ns });
      return pod.spec?.nodeName || undefined;
    },
    timeoutMs,
    `pod ${ns}/${name} to be scheduled`,
  );
}

async function failedScheduling(ns: string, name: string): Promise<{ pod: Pod; event: Event }> {
  return eventually(
    async () => {
      const pod = await api.get<Pod>(PODS, name, { namespace: ns });
      const events = await api.list<Event>(EVENTS, { namespace: ns, fieldSelector: `involvedObject.name=${name},reason=FailedScheduling` });
      const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      if (!cond || cond.status !== 'False' || events.items.length === 0) return undefined;
      return { pod, event: events.items[0] };
    },
    10_000,
    `FailedScheduling for ${ns}/${name}`,
  );
}

test('resource fit: a pod goes to the only node with room, and a Scheduled event says so', async () => {
  const { ns, node } = await setUp([{ name: 'small-1', cpu: '1' }, { name: 'small-2', cpu: '1' }, { name: 'big', cpu: '8' }]);
  await createPod(ns, { name: 'needs-4', requests: { cpu: '4' } });
  expect(await nodeOf(ns, 'needs-4')).toBe(node('big'));
  const events = await eventually(async () => {
    const list = await api.list<Event>(EVENTS, { namespace: ns, fieldSelector: 'involvedObject.name=needs-4,reason=Scheduled' });
    return list.items[0];
  });
  expect(events.message).toBe(`Successfully assigned ${ns}/needs-4 to ${node('big')}`);
  expect(events.source?.component).toBe('default-scheduler');
  const pod = await api.get<Pod>(PODS, 'needs-4', { namespace: ns });
  expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'True' });
});

test('taints and tolerations', async () => {
  const gpu = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const };
  const { ns, node } = await setUp([{ name: 'gpu-1', taints: [gpu] }, { name: 'gpu-2', taints: [gpu] }, { name: 'plain' }]);
  for (let i = 0; i < 3; i++) await createPod(ns, { name: `plain-${i}` });
  for (let i = 0; i < 3; i++) expect(await nodeOf(ns, `plain-${i}`)).toBe(node('plain'));
  await createPod(ns, { name: 'gpu-job', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], nodeSelector: { 'kubernetes.io/hostname': node('gpu-2') } });
  expect(await nodeOf(ns, 'gpu-job')).toBe(node('gpu-2'));
});

test('node affinity: required terms and nodeSelector', async () => {
  const { ns, node } = await setUp([
    { name: 'a', labels: { 'topology.kubernetes.io/zone': 'z1', disk: 'hdd' } },
    { name: 'b', labels: { 'topology.kubernetes.io/zone': 'z2', disk: 'ssd' } },
    { name: 'c', labels: { 'topology.kubernetes.io/zone': 'z3', disk: 'ssd' } },
  ]);
  await createPod(ns, {
    name: 'zone-z3',
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['z3'] }] }] } } },
  });
  await createPod(ns, { name: 'ssd-not-z2', nodeSelector: { disk: 'ssd' }, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'NotIn', values: ['z2'] }] }] } } } });
  expect(await nodeOf(ns, 'zone-z3')).toBe(node('c'));
  expect(await nodeOf(ns, 'ssd-not-z2')).toBe(node('c'));
});

test('pod anti-affinity spreads replicas one per node; the extra replica waits with the reason', async () => {
  const { ns } = await setUp([{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }, { name: 'n4' }]);
  const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'kubernetes.io/hostname' }] } };
  for (let i = 0; i < 5; i++) await createPod(ns, { name: `cache-${i}`, labels: { app: 'cache' }, affinity: anti });
  const placed = new Set<string>();
  let waiting = '';
  await eventually(async () => {
    placed.clear();
    waiting = '';
    for (let i = 0; i < 5; i++) {
      const pod = await api.get<Pod>(PODS, `cache-${i}`, { namespace: ns });
      if (pod.spec?.nodeName) placed.add(pod.spec.nodeName);
      else waiting = `cache-${i}`;
    }
    return placed.size === 4 && waiting ? true : undefined;
  });
  expect(placed.size).toBe(4);
  const { event } = await failedScheduling(ns, waiting);
  // The 4 test nodes fail anti-affinity (other tests' nodes fail the test's nodeSelector, or their taints).
  expect(event.message).toMatch(/^0\/\d+ nodes are available: .*4 node\(s\) didn't match pod anti-affinity rules, \d+ node\(s\) didn't match Pod's node affinity\/selector\. preemption: 0\/\d+ nodes are available: 4 No preemption victims found for incoming pod, \d+ Preemption is not helpful for scheduling\.$/);
});

test('topology spread with maxSkew 1 across zones', async () => {
  const zones = ['z1', 'z1', 'z2', 'z2', 'z3', 'z3'];
  const { ns } = await setUp(zones.map((z, i) => ({ name: `n${i}`, labels: { 'topology.kubernetes.io/zone': z } })));
  const spread = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' as const, labelSelector: { matchLabels: { app: 'web' } } }];
  for (let i = 0; i < 6; i++) await createPod(ns, { name: `web-${i}`, labels: { app: 'web' }, topologySpreadConstraints: spread });
  const perZone: Record<string, number> = {};
  for (let i = 0; i < 6; i++) {
    const nodeName = await nodeOf(ns, `web-${i}`);
    const node = await api.get<Node>(NODES, nodeName);
    const zone = node.metadata!.labels!['topology.kubernetes.io/zone'];
    perZone[zone] = (perZone[zone] ?? 0) + 1;
  }
  expect(perZone).toEqual({ z1: 2, z2: 2, z3: 2 });
});

test('preemption: a high-priority pod evicts a lower-priority one and takes its node', async () => {
  const { ns, node } = await setUp([{ name: 'only', cpu: '2' }]);
  await api.create(PRIORITY_CLASSES, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: `${ns}-high` }, value: 1000 });
  await api.create(PRIORITY_CLASSES, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: `${ns}-low` }, value: 10 });
  await createPod(ns, { name: 'victim', requests: { cpu: '1500m' }, priorityClassName: `${ns}-low` });
  expect(await nodeOf(ns, 'victim')).toBe(node('only'));
  const high = await createPod(ns, { name: 'important', requests: { cpu: '1500m' }, priorityClassName: `${ns}-high` });
  expect(high.spec?.priority).toBe(1000);

  // The victim is marked and deleted gracefully; the preemptor is nominated to its node.
  const victim = await eventually(async () => {
    const v = await api.get<Pod>(PODS, 'victim', { namespace: ns }).catch(() => undefined);
    return v?.metadata?.deletionTimestamp ? v : undefined;
  });
  expect(victim.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'PreemptionByScheduler' });
  await eventually(async () => ((await api.get<Pod>(PODS, 'important', { namespace: ns })).status?.nominatedNodeName === node('only') ? true : undefined));
  const preempted = await eventually(async () => (await api.list<Event>(EVENTS, { namespace: ns, fieldSelector: 'involvedObject.name=victim,reason=Preempted' })).items[0]);
  expect(preempted.message).toContain(`on node ${node('only')}`);

  // No kubelet runs here: finish the victim's termination as one would, and the preemptor binds.
  await client.delete(PODS, 'victim', { namespace: ns, gracePeriodSeconds: 0 });
  expect(await nodeOf(ns, 'important', 15_000)).toBe(node('only'));
});

test('a second profile, selected by schedulerName, packs where the default spreads', async () => {
  const { ns, node } = await setUp([{ name: 'busy', cpu: '4' }, { name: 'idle', cpu: '4' }]);
  // cpu and memory in the same proportion, so that balance scores the same everywhere and only allocation decides.
  await createPod(ns, { name: 'base', requests: { cpu: '2', memory: '4Gi' }, nodeSelector: { 'kubernetes.io/hostname': node('busy') } });
  expect(await nodeOf(ns, 'base')).toBe(node('busy'));
  await createPod(ns, { name: 'spread', requests: { cpu: '1', memory: '2Gi' } });
  expect(await nodeOf(ns, 'spread')).toBe(node('idle'));
  await createPod(ns, { name: 'packed', requests: { cpu: '1', memory: '2Gi' }, schedulerName: 'bin-packing' });
  expect(await nodeOf(ns, 'packed')).toBe(node('busy'));
  // A pod for a scheduler nobody runs stays pending, untouched.
  await createPod(ns, { name: 'other', schedulerName: 'someone-else' });
  await new Promise((r) => setTimeout(r, 1500));
  const other = await api.get<Pod>(PODS, 'other', { namespace: ns });
  expect(other.spec?.nodeName).toBeUndefined();
  expect(other.status?.conditions ?? []).toEqual([]);
});

test('the third-party ZoneSpread plugin (an npm package) changes placement', async () => {
  // Zone a holds a web pod on a lightly used node; zone b's node is busy with something else.
  const { ns, node } = await setUp([
    { name: 'a', cpu: '4', labels: { 'topology.kubernetes.io/zone': 'a' } },
    { name: 'b', cpu: '4', labels: { 'topology.kubernetes.io/zone': 'b' } },
  ]);
  await createPod(ns, { name: 'web-0', labels: { app: 'web' }, requests: { cpu: '100m' }, nodeSelector: { 'kubernetes.io/hostname': node('a') } });
  await createPod(ns, { name: 'db', labels: { app: 'db' }, requests: { cpu: '3' }, nodeSelector: { 'kubernetes.io/hostname': node('b') } });
  expect(await nodeOf(ns, 'web-0')).toBe(node('a'));
  expect(await nodeOf(ns, 'db')).toBe(node('b'));
  // The default profile follows resources (zone a); the profile with ZoneSpread goes to the zone without web pods.
  await createPod(ns, { name: 'web-default', labels: { app: 'web' }, requests: { cpu: '100m' } });
  await createPod(ns, { name: 'web-zoned', labels: { app: 'web' }, requests: { cpu: '100m' }, schedulerName: 'zone-spread' });
  expect(await nodeOf(ns, 'web-default')).toBe(node('a'));
  expect(await nodeOf(ns, 'web-zoned')).toBe(node('b'));
});

test('a pod that fits nowhere: PodScheduled=False and FailedScheduling with Kubernetes\' summary', async () => {
  // A cluster of its own, so that the summary counts only these five nodes.
  const own = await startCluster({ config: { plugins: [{ name: 'scheduler' }] } });
  try {
    const c = fromKubeconfig(own.kubeconfig);
    const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    const specs: NodeSpec[] = [{ name: 'small-1', cpu: '1' }, { name: 'small-2', cpu: '1' }, { name: 'small-3', cpu: '1' }, { name: 'gpu-1', cpu: '16', taints: [taint] }, { name: 'gpu-2', cpu: '16', taints: [taint] }];
    for (const n of specs) {
      const node = mutable(makeNode(n));
      delete node.metadata.uid;
      await c.create(NODES, node as unknown as KubeObject);
    }
    const pod = mutable(makePod({ name: 'huge', requests: { cpu: '8' } }));
    delete pod.metadata.uid;
    delete pod.status;
    await c.create(PODS, pod as unknown as KubeObject, { namespace: 'default' });
    // 8 cpu is more than the small nodes have at all, so preemption cannot help there either (kube-scheduler's wording).
    const expected = '0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.';
    const seen = await eventually(async () => {
      const p = (await c.get(PODS, 'huge', { namespace: 'default' })) as unknown as Pod;
      const cond = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
      const events = (await c.list(EVENTS, { namespace: 'default', fieldSelector: 'involvedObject.name=huge,reason=FailedScheduling' })) as unknown as { items: Event[] };
      return cond && events.items[0] ? { cond, event: events.items[0] } : undefined;
    });
    expect(seen.cond).toMatchObject({ status: 'False', reason: 'Unschedulable', message: expected });
    expect(seen.event).toMatchObject({ type: 'Warning', reason: 'FailedScheduling', message: expected, source: { component: 'default-scheduler' } });
  } finally {
    await own.destroy();
  }
});

test('invalid scheduler config fails the boot with the path and the reason', async () => {
  const bad = (options: unknown, extra: unknown[] = []) =>
    startCluster({ source: path.join(root, 'examples', 'cluster.yaml'), config: { plugins: [...extra, { name: 'scheduler', options }] } }).then(
      async (c) => {
        await c.destroy();
        throw new Error('booted');
      },
      (err: Error) => err.message,
    );
  expect(await bad({ profiles: [{ plugins: { score: { enabled: [{ name: 'NoSuchPlugin' }] } } }] })).toMatch(
    /plugin\/scheduler: .*plugins\[0\]\.options\.profiles\[0\]\.plugins\.score\.enabled\[0\]\.name: unknown scheduling plugin "NoSuchPlugin"/,
  );
  expect(await bad({ profiles: [{ plugins: { score: { enabled: [{ name: 'ImageLocality', weight: 1000 }] } } }] })).toContain(
    'plugins[0].options.profiles[0].plugins.score.enabled[0].weight: score plugin "ImageLocality" weight 1000 must be in the range [1, 100]',
  );
  expect(await bad({ profiles: [{ pluginConfig: [{ name: 'ZoneSpread', args: { zoneLabel: '' } }] }] }, [{ name: 'skiff-plugin-zone-spread' }])).toMatch(
    /plugins\[1\]\.options\.profiles\[0\]\.pluginConfig\[0\]\.args\.zoneLabel: /,
  );
  expect(await bad({ profiles: [{ pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'Sideways' } } }] }] })).toContain(
    'plugins[0].options.profiles[0].pluginConfig[0].args.scoringStrategy',
  );
});
