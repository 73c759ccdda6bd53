/**
 * The scheduler's cache: assumed pods count until the binding shows up (and
 * are forgotten if it fails), informer changes wait for the running cycle,
 * nodes are walked with zones interleaved, image counts span nodes, and the
 * nodes with affinity pods are tracked as pods come and go.
 */
import { SchedulerCache } from '../../../plugins/scheduler/cache';
import { computePodInfo } from '../../../plugins/scheduler/framework/pod-info';
import { makeNode, makePod } from './support';

const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' }] } };

test('an assumed pod counts on its node until the bound pod replaces it; a failed binding forgets it', () => {
  const cache = new SchedulerCache();
  cache.addOrUpdateNode(makeNode({ name: 'n1', cpu: '2' }));
  const pod = makePod({ name: 'p', requests: { cpu: '1' } });
  cache.assume(computePodInfo(pod), 'n1');
  expect(cache.isAssumed(pod.metadata!.uid!)).toBe(true);
  expect(cache.nodeInfo('n1')!.requested.cpu).toBe(1000);
  cache.addOrUpdateBoundPod({ ...pod, spec: { ...pod.spec!, nodeName: 'n1' } });
  expect(cache.isAssumed(pod.metadata!.uid!)).toBe(false);
  expect(cache.nodeInfo('n1')!.requested.cpu).toBe(1000);
  expect(cache.nodeInfo('n1')!.pods.length).toBe(1);

  const other = makePod({ name: 'q', requests: { cpu: '500m' } });
  cache.assume(computePodInfo(other), 'n1');
  expect(cache.nodeInfo('n1')!.requested.cpu).toBe(1500);
  cache.forget(other.metadata!.uid!);
  expect(cache.nodeInfo('n1')!.requested.cpu).toBe(1000);
  // forget() leaves bound pods alone.
  cache.forget(pod.metadata!.uid!);
  expect(cache.nodeInfo('n1')!.requested.cpu).toBe(1000);
});

test('changes wait while a cycle holds the cache', () => {
  const cache = new SchedulerCache();
  cache.hold();
  cache.apply(() => cache.addOrUpdateNode(makeNode({ name: 'late' })));
  expect(cache.nodeCount).toBe(0);
  cache.release();
  expect(cache.nodeCount).toBe(1);
});

test('nodes are walked with zones interleaved; the snapshot is reused until something changes', () => {
  const cache = new SchedulerCache();
  for (const [name, zone] of [['a1', 'a'], ['a2', 'a'], ['a3', 'a'], ['b1', 'b'], ['c1', 'c'], ['c2', 'c']]) {
    cache.addOrUpdateNode(makeNode({ name, labels: { 'topology.kubernetes.io/zone': zone } }));
  }
  const first = cache.snapshot();
  expect(first.nodes.map((n) => n.name)).toEqual(['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
  expect(cache.snapshot()).toBe(first);
  cache.addOrUpdateBoundPod(makePod({ name: 'p', nodeName: 'a1' }));
  expect(cache.snapshot()).not.toBe(first);
});

test('image states count the nodes that have each image, and follow node updates', () => {
  const cache = new SchedulerCache();
  const image = { names: ['busybox:1.36'], sizeBytes: 5_000_000 };
  cache.addOrUpdateNode(makeNode({ name: 'n1', images: [image] }));
  cache.addOrUpdateNode(makeNode({ name: 'n2', images: [image] }));
  cache.addOrUpdateNode(makeNode({ name: 'n3' }));
  expect(cache.nodeInfo('n1')!.imageStates.get('busybox:1.36')).toMatchObject({ sizeBytes: 5_000_000, numNodes: 2 });
  cache.addOrUpdateNode(makeNode({ name: 'n2' }));
  expect(cache.nodeInfo('n1')!.imageStates.get('busybox:1.36')!.numNodes).toBe(1);
  expect(cache.nodeInfo('n2')!.imageStates.has('busybox:1.36')).toBe(false);
});

test('nodes with (anti-)affinity pods are tracked as pods are assumed, bound and removed', () => {
  const cache = new SchedulerCache();
  cache.addOrUpdateNode(makeNode({ name: 'n1' }));
  cache.addOrUpdateNode(makeNode({ name: 'n2' }));
  expect(cache.snapshot().nodesWithRequiredAntiAffinityPods).toEqual([]);
  const pod = makePod({ name: 'p', labels: { app: 'x' }, affinity: anti });
  cache.assume(computePodInfo(pod), 'n2');
  expect(cache.snapshot().nodesWithRequiredAntiAffinityPods.map((n) => n.name)).toEqual(['n2']);
  expect(cache.snapshot().nodesWithAffinityPods.map((n) => n.name)).toEqual(['n2']);
  cache.forget(pod.metadata!.uid!);
  expect(cache.snapshot().nodesWithRequiredAntiAffinityPods).toEqual([]);
  cache.addOrUpdateBoundPod({ ...pod, spec: { ...pod.spec!, nodeName: 'n1' } });
  expect(cache.snapshot().nodesWithAffinityPods.map((n) => n.name)).toEqual(['n1']);
  cache.removePod(pod.metadata!.uid!);
  expect(cache.snapshot().nodesWithAffinityPods).toEqual([]);
});

test('pods bound to a node the cache has not seen yet count once it arrives', () => {
  const cache = new SchedulerCache();
  cache.addOrUpdateBoundPod(makePod({ name: 'early', nodeName: 'n9', requests: { cpu: '1' } }));
  expect(cache.snapshot().nodes).toEqual([]);
  cache.addOrUpdateNode(makeNode({ name: 'n9' }));
  expect(cache.nodeInfo('n9')!.requested.cpu).toBe(1000);
});
