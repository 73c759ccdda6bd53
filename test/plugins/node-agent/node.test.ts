/**
 * The Node and its Lease as the kubelet writes them: registration with
 * labels, capacity/allocatable, addresses, nodeInfo, conditions and
 * daemonEndpoints; the lease renewed every 10 s with a 40 s duration and the
 * Node as owner; status written when it changes and at least every 5
 * minutes; conflicts and a deleted Node survived.
 */
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { Node } from 'kubernetes-types/core/v1';
import { ApiError } from '../../../kernel/api/errors';
import type { KubeObject } from '../../../kernel/api/types';
import { versionInfo } from '../../../kernel/api/version';
import { EventRecorder } from '../../../kernel/client/events';
import { silentLogger } from '../../../kernel/log';
import { FakeApiClient, FakeClock, harness, HOST, type Harness } from './support';

const NODES = { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false } as const;
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true } as const;

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const node = () => h.api.get<Node & KubeObject>(NODES, 'node-a');
const lease = () => h.api.get<Lease & KubeObject>(LEASES, 'node-a', { namespace: 'kube-node-lease' });

test('the Node is registered as a kubelet registers it', async () => {
  h = await harness({ agent: { settings: { name: 'node-a', runtime: 'fake', labels: { disk: 'ssd' }, taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] } } });
  const n = await node();
  expect(n.metadata!.labels).toEqual({
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': 'node-a',
    'kubernetes.io/os': 'linux',
    disk: 'ssd',
  });
  expect(n.spec).toEqual({ taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] });
  const status = n.status!;
  expect(status.capacity).toEqual({ cpu: '4', 'ephemeral-storage': `${100 * 1024 * 1024}Ki`, 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: `${8 * 1024 * 1024}Ki`, pods: '110' });
  // Allocatable less the kubelet's default hard eviction thresholds (100Mi memory, 10% of the filesystem).
  expect(status.allocatable).toMatchObject({ cpu: '4', memory: `${8 * 1024 * 1024 - 100 * 1024}Ki`, pods: '110', 'ephemeral-storage': String(Math.floor(HOST.ephemeralStorageBytes * 0.9)) });
  expect(status.addresses).toEqual([
    { type: 'InternalIP', address: '192.0.2.10' },
    { type: 'Hostname', address: 'node-a' },
  ]);
  expect(status.nodeInfo).toEqual({
    architecture: 'amd64',
    bootID: 'boot-id',
    containerRuntimeVersion: 'fake://1.0.0',
    kernelVersion: '6.1.0-test',
    kubeProxyVersion: versionInfo().gitVersion,
    kubeletVersion: versionInfo().gitVersion,
    machineID: 'machine-id',
    operatingSystem: 'linux',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    systemUUID: 'system-uuid',
  });
  expect(status.nodeInfo!.kubeletVersion).toMatch(/^v1\.30\.0\+skiff\./);
  expect(status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
  expect(status.conditions!.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
  ]);
  expect(status.images).toEqual([{ names: ['busybox:latest'], sizeBytes: 1234 }]);
  expect(await h.events()).toEqual(expect.arrayContaining(['Normal Starting: Starting kubelet.', 'Normal NodeReady: Node node-a status is now: NodeReady', 'Normal NodeHasSufficientMemory: Node node-a status is now: NodeHasSufficientMemory']));
});

test('the lease is renewed every 10 s with a 40 s duration, owned by the Node', async () => {
  h = await harness();
  const n = await node();
  const first = await lease();
  expect(first.spec).toEqual({ holderIdentity: 'node-a', leaseDurationSeconds: 40, renewTime: '2024-01-01T12:00:00.000000Z' });
  expect(first.metadata!.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: n.metadata!.uid }]);
  await h.advance(10_000);
  expect((await lease()).spec!.renewTime).toBe('2024-01-01T12:00:10.000000Z');
  await h.advance(10_000);
  expect((await lease()).spec!.renewTime).toBe('2024-01-01T12:00:20.000000Z');
});

test('a lease renewal that loses a race (409) reads the lease again and renews', async () => {
  h = await harness();
  h.api.failNext('update', ApiError.conflict({ group: 'coordination.k8s.io', resource: 'leases' }, 'node-a'), { resource: 'leases' });
  await h.advance(10_000);
  expect((await lease()).spec!.renewTime).toBe('2024-01-01T12:00:10.000000Z');
});

test('node status is written when it changes and at least every 5 minutes, not on every check', async () => {
  h = await harness();
  const statusWrites = () => h.api.callsOf('patch', 'nodes').length;
  const before = statusWrites();
  await h.advance(60_000);
  expect(statusWrites()).toBe(before);
  // The runtime goes away: Ready flips to False at the next check.
  h.runtime.down = true;
  await h.advance(10_000);
  expect(statusWrites()).toBe(before + 1);
  const ready = (await node()).status!.conditions!.find((c) => c.type === 'Ready')!;
  expect(ready).toMatchObject({ status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down: Cannot connect to the fake runtime' });
  h.runtime.down = false;
  await h.advance(10_000);
  const back = (await node()).status!.conditions!.find((c) => c.type === 'Ready')!;
  expect(back).toMatchObject({ status: 'True', reason: 'KubeletReady', lastTransitionTime: '2024-01-01T12:01:20Z' });
  const afterRecovery = statusWrites();
  await h.advance(5 * 60_000);
  expect(statusWrites()).toBe(afterRecovery + 1);
  expect((await node()).status!.conditions![0].lastHeartbeatTime).toBe('2024-01-01T12:06:20Z');
});

test('an agent restart adopts the registered Node (labels reconciled, uid kept)', async () => {
  h = await harness();
  const uid = (await node()).metadata!.uid;
  await h.restart();
  expect((await node()).metadata!.uid).toBe(uid);
});

test('a deleted Node is registered again at the next status check', async () => {
  h = await harness();
  await h.api.delete(NODES, 'node-a');
  await h.advance(10_000);
  const n = await node();
  expect(n.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
});

test('events: a repeated event is one Event whose count grows; its timestamps span the repeats', async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const api = new FakeApiClient();
  const recorder = new EventRecorder(api, { host: 'node-a', clock, logger: silentLogger });
  const pod = { kind: 'Pod', apiVersion: 'v1', name: 'web', namespace: 'default', uid: 'u1', fieldPath: 'spec.containers{app}' };
  recorder.record(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 404');
  await clock.advance(5000);
  recorder.record(pod, 'Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 404');
  recorder.record(pod, 'Normal', 'Pulled', 'Container image "busybox" already present on machine');
  await recorder.flush();
  const events = (await api.list({ group: '', version: 'v1', resource: 'events' })).items as Array<KubeObject & Record<string, unknown>>;
  expect(events).toHaveLength(2);
  const unhealthy = events.find((e) => e.reason === 'Unhealthy')!;
  expect(unhealthy).toMatchObject({
    metadata: { namespace: 'default' },
    involvedObject: { kind: 'Pod', apiVersion: 'v1', name: 'web', namespace: 'default', uid: 'u1', fieldPath: 'spec.containers{app}' },
    type: 'Warning',
    count: 2,
    firstTimestamp: '2024-01-01T00:00:00Z',
    lastTimestamp: '2024-01-01T00:00:05Z',
    source: { component: 'kubelet', host: 'node-a' },
    reportingComponent: 'kubelet',
    reportingInstance: 'node-a',
  });
  expect(unhealthy.metadata!.name).toMatch(/^web\.[0-9a-f]+$/);
});

test('events: more than 10 similar events with different messages are combined', async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const api = new FakeApiClient();
  const recorder = new EventRecorder(api, { host: 'node-a', clock, logger: silentLogger });
  const pod = { kind: 'Pod', apiVersion: 'v1', name: 'web', namespace: 'default', uid: 'u1' };
  for (let i = 0; i < 14; i++) recorder.record(pod, 'Warning', 'FailedMount', `attempt ${i}`);
  await recorder.flush();
  const events = (await api.list({ group: '', version: 'v1', resource: 'events' })).items as Array<KubeObject & Record<string, unknown>>;
  expect(events).toHaveLength(11);
  const combined = events.find((e) => String(e.message).startsWith('(combined'))!;
  expect(combined).toMatchObject({ message: '(combined from similar events): attempt 13', count: 4 });
});

test('events: similar messages older than 10 minutes start a new group instead of being combined', async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const api = new FakeApiClient();
  const recorder = new EventRecorder(api, { host: 'node-a', clock, logger: silentLogger });
  const pod = { kind: 'Pod', apiVersion: 'v1', name: 'web', namespace: 'default', uid: 'u1' };
  for (let i = 0; i < 10; i++) recorder.record(pod, 'Warning', 'FailedMount', `attempt ${i}`);
  await clock.advance(10 * 60 * 1000 + 1);
  recorder.record(pod, 'Warning', 'FailedMount', 'attempt 10');
  // The same message again within the window is counted into its Event, not combined.
  recorder.record(pod, 'Warning', 'FailedMount', 'attempt 0');
  await recorder.flush();
  const events = (await api.list({ group: '', version: 'v1', resource: 'events' })).items as Array<KubeObject & Record<string, unknown>>;
  expect(events.map((e) => [e.message, e.count]).sort()).toEqual([...Array.from({ length: 11 }, (_, i) => [`attempt ${i}`, i === 0 ? 2 : 1])].sort());
});

test('events: a repeat of an Event that expired from the API creates it again with the first timestamp and the count', async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const api = new FakeApiClient();
  const recorder = new EventRecorder(api, { host: 'node-a', clock, logger: silentLogger });
  const pod = { kind: 'Pod', apiVersion: 'v1', name: 'web', namespace: 'apps', uid: 'u1', fieldPath: 'spec.containers{app}' };
  recorder.record(pod, 'Normal', 'Pulled', 'Container image "busybox" already present on machine');
  await recorder.flush();
  const [first] = (await api.list({ group: '', version: 'v1', resource: 'events' }, { namespace: 'apps' })).items;
  await api.delete({ group: '', version: 'v1', resource: 'events' }, first!.metadata!.name!, { namespace: 'apps' });
  await clock.advance(65_000);
  recorder.record(pod, 'Normal', 'Pulled', 'Container image "busybox" already present on machine');
  await recorder.flush();
  const events = (await api.list({ group: '', version: 'v1', resource: 'events' }, { namespace: 'apps' })).items as Array<KubeObject & Record<string, unknown>>;
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ metadata: { name: first!.metadata!.name, namespace: 'apps' }, count: 2, firstTimestamp: '2024-01-01T00:00:00Z', lastTimestamp: '2024-01-01T00:01:05Z' });
});

test('conditions someone else changed (the node lifecycle controller setting Unknown) are posted again at the next update', async () => {
  h = await harness();
  const ready = (n: Node) => n.status!.conditions!.find((c) => c.type === 'Ready')!;
  expect(ready(await node()).status).toBe('True');
  const conditions = (await node()).status!.conditions!.map((c) => ({ ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }));
  await h.api.patch(NODES, 'node-a', 'merge', { status: { conditions } }, { subresource: 'status' });
  expect(ready(await node()).status).toBe('Unknown');
  await h.advance(10_000);
  expect(ready(await node())).toMatchObject({ status: 'True', reason: 'KubeletReady' });
});
