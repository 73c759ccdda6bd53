/**
 * The endpoints and endpointslice controllers in a real cluster. There is no
 * kubelet: the test creates a Node, binds pods to it and sets their status
 * itself (phase Running, a pod IP, the Ready condition) through pods/status.
 * Endpoints and EndpointSlices follow pods becoming ready and not ready,
 * terminating, and the service going; every kubectl on the machine shows
 * them in `get endpoints` and `describe service`.
 */
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { KubeObject } from '../../../../kernel/api/types';
import { startCluster, type TestCluster } from '../../../support/cluster';
import { eventually } from '../../../support/http';
import { kubectlFor, kubectlVersions } from '../../../support/kubectl';

const NODES = { group: '', version: 'v1', resource: 'nodes', kind: 'Node' };
const PODS = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const SERVICES = { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true };
const ENDPOINTS = { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true };
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true };
const namespace = 'default';

type PodObj = Pod & KubeObject;
type EndpointsObj = Endpoints & KubeObject;
type SliceObj = EndpointSlice & KubeObject;

let cluster: TestCluster;
const client = () => cluster.kernel.client;

beforeAll(async () => {
  cluster = await startCluster({ config: { plugins: [{ name: 'controllers', options: { controllers: ['endpoints', 'endpointslice'] } }] } });
  await client().create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/zone': 'zone-1' } } });
});
afterAll(() => cluster?.destroy());

async function createPod(name: string, app: string, ports: Array<{ name: string; containerPort: number }>): Promise<void> {
  await client().create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app } },
    spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'busybox', ports }] },
  }, { namespace });
}

/** What the kubelet would report: Running with an IP, Ready or not. */
async function setStatus(name: string, ip: string, ready: boolean): Promise<void> {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  await client().patch(PODS, name, 'merge', {
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
    },
  }, { namespace, subresource: 'status' });
}

const endpointsOf = (name: string) => client().get<EndpointsObj>(ENDPOINTS, name, { namespace }).catch(() => undefined);
const slicesOf = async (name: string) => (await client().list<SliceObj>(SLICES, { namespace, labelSelector: `kubernetes.io/service-name=${name}` })).items;

/** `ready` and `notReady` as "ip:port" lists, from the Endpoints. */
function summary(ep: EndpointsObj | undefined) {
  const ready: string[] = [];
  const notReady: string[] = [];
  for (const ss of ep?.subsets ?? []) {
    for (const port of ss.ports ?? []) {
      for (const a of ss.addresses ?? []) ready.push(`${a.ip}:${port.port}`);
      for (const a of ss.notReadyAddresses ?? []) notReady.push(`${a.ip}:${port.port}`);
    }
  }
  return { ready: ready.sort(), notReady: notReady.sort() };
}

/** Read until `ok`; boxed, since `eventually` takes undefined (an object that is gone) for "not yet". */
const until = async <T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> =>
  (
    await eventually(async () => {
      const v = await read();
      return ok(v) ? { v } : undefined;
    }, 10_000, what)
  ).v;

test('Endpoints and EndpointSlices follow pods becoming ready and not ready, and go with the service', async () => {
  await client().create(SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace, labels: { team: 'a' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  }, { namespace });

  // No pods yet: an Endpoints without subsets and one empty placeholder slice.
  const empty = await until('empty Endpoints', () => endpointsOf('web'), (ep) => !!ep);
  expect(empty!.subsets ?? []).toEqual([]);
  expect(empty!.metadata?.labels).toEqual({ team: 'a' });
  expect(empty!.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toBeDefined();
  const placeholder = await until('placeholder slice', () => slicesOf('web'), (s) => s.length === 1);
  expect(placeholder[0].endpoints ?? []).toEqual([]);

  // Two pods whose named port differs: resolved per pod.
  await createPod('web-1', 'web', [{ name: 'http', containerPort: 8080 }]);
  await createPod('web-2', 'web', [{ name: 'http', containerPort: 8081 }]);
  await setStatus('web-1', '10.244.0.11', true);
  await setStatus('web-2', '10.244.0.12', false);

  const ep = await until('web-1 ready, web-2 not ready', () => endpointsOf('web'), (e) => JSON.stringify(summary(e)) === JSON.stringify({ ready: ['10.244.0.11:8080'], notReady: ['10.244.0.12:8081'] }));
  const address = ep!.subsets!.flatMap((s) => s.addresses ?? [])[0];
  expect(address).toEqual({ ip: '10.244.0.11', nodeName: 'node-a', targetRef: { kind: 'Pod', namespace, name: 'web-1', uid: expect.any(String) } });

  // Slices: one per port set (8080 and 8081), updated in place from the placeholder.
  const slices = await until('two slices', () => slicesOf('web'), (s) => s.length === 2 && s.every((x) => (x.endpoints ?? []).length === 1));
  expect(slices.map((s) => s.metadata!.name)).toContain(placeholder[0].metadata!.name);
  const byPod = Object.fromEntries(slices.map((s) => [s.endpoints![0].targetRef!.name, s]));
  expect(byPod['web-1'].ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  expect(byPod['web-1'].endpoints![0]).toEqual({
    addresses: ['10.244.0.11'],
    conditions: { ready: true, serving: true, terminating: false },
    nodeName: 'node-a',
    zone: 'zone-1',
    targetRef: { kind: 'Pod', namespace, name: 'web-1', uid: expect.any(String) },
  });
  expect(byPod['web-2'].endpoints![0].conditions).toEqual({ ready: false, serving: false, terminating: false });
  expect(byPod['web-1'].metadata!.labels).toEqual({ team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  expect(byPod['web-1'].metadata!.generateName).toBe('web-');
  expect(byPod['web-1'].metadata!.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: expect.any(String), controller: true, blockOwnerDeletion: true }]);

  // web-2 becomes ready, web-1 not ready.
  await setStatus('web-2', '10.244.0.12', true);
  await setStatus('web-1', '10.244.0.11', false);
  await until('swapped readiness', () => endpointsOf('web'), (e) => JSON.stringify(summary(e)) === JSON.stringify({ ready: ['10.244.0.12:8081'], notReady: ['10.244.0.11:8080'] }));
  const swapped = await until('slices follow', () => slicesOf('web'), (s) => s.flatMap((x) => x.endpoints ?? []).every((e) => e.conditions!.ready === (e.targetRef!.name === 'web-2')));
  expect(swapped.map((s) => s.metadata!.uid).sort()).toEqual(slices.map((s) => s.metadata!.uid).sort());

  // Terminating (no kubelet finishes the deletion): out of Endpoints, terminating in its slice.
  await client().delete(PODS, 'web-2', { namespace, gracePeriodSeconds: 30 });
  await until('terminating pod out of Endpoints', () => endpointsOf('web'), (e) => JSON.stringify(summary(e)) === JSON.stringify({ ready: [], notReady: ['10.244.0.11:8080'] }));
  await until('terminating endpoint', () => slicesOf('web'), (s) => s.flatMap((x) => x.endpoints ?? []).some((e) => e.targetRef!.name === 'web-2' && e.conditions!.terminating === true && e.conditions!.ready === false && e.conditions!.serving === true));

  // The service goes: so do its Endpoints and slices.
  await client().delete(SERVICES, 'web', { namespace });
  await until('Endpoints deleted', () => endpointsOf('web'), (e) => e === undefined);
  await until('slices deleted', () => slicesOf('web'), (s) => s.length === 0);
});

test('services without a selector are left alone; deleted Endpoints are made again', async () => {
  await client().create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'external', namespace }, spec: { ports: [{ port: 5432 }] } }, { namespace });
  await client().create(ENDPOINTS, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external', namespace }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432 }] }] }, { namespace });
  await client().create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } }, { namespace });
  const first = await until('db Endpoints', () => endpointsOf('db'), (e) => !!e);
  expect(first!.metadata?.labels).toEqual({ 'service.kubernetes.io/headless': '' });
  await client().delete(ENDPOINTS, 'db', { namespace });
  await until('db Endpoints made again', () => endpointsOf('db'), (e) => !!e && e.metadata?.uid !== first!.metadata?.uid);
  // Give the controllers time to (wrongly) touch the user's objects.
  await new Promise((r) => setTimeout(r, 300));
  expect((await endpointsOf('external'))!.subsets).toEqual([{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
  expect(await slicesOf('external')).toEqual([]);
});

test('a pod relabelled out of the selector leaves, and one relabelled in joins', async () => {
  await client().create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'sel', namespace }, spec: { selector: { app: 'sel' }, ports: [{ port: 80, targetPort: 8080 }] } }, { namespace });
  await createPod('sel-1', 'sel', []);
  await createPod('sel-2', 'elsewhere', []);
  await setStatus('sel-1', '10.244.3.1', true);
  await setStatus('sel-2', '10.244.3.2', true);
  await until('sel-1 in', () => endpointsOf('sel'), (e) => JSON.stringify(summary(e).ready) === JSON.stringify(['10.244.3.1:8080']));
  await client().patch(PODS, 'sel-1', 'merge', { metadata: { labels: { app: 'elsewhere' } } }, { namespace });
  await client().patch(PODS, 'sel-2', 'merge', { metadata: { labels: { app: 'sel' } } }, { namespace });
  await until('sel-2 in, sel-1 out', () => endpointsOf('sel'), (e) => JSON.stringify(summary(e).ready) === JSON.stringify(['10.244.3.2:8080']));
  await until('slices follow', () => slicesOf('sel'), (s) => JSON.stringify(s.flatMap((x) => x.endpoints ?? []).map((e) => e.targetRef!.name)) === JSON.stringify(['sel-2']));
});

describe.each(kubectlVersions())('kubectl $version', (k) => {
  test('get endpoints and describe service show the ready addresses', async () => {
    const kubectl = kubectlFor(k, cluster.kubeconfig);
    const name = `shown-${k.version.replace('.', '-')}`;
    await client().create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }, { namespace });
    await createPod(`${name}-pod`, name, [{ name: 'http', containerPort: 8080 }]);
    await setStatus(`${name}-pod`, '10.244.1.7', true);
    await until('endpoints', () => endpointsOf(name), (e) => summary(e).ready.length === 1);
    await until('slice', () => slicesOf(name), (s) => s.some((x) => (x.endpoints ?? []).some((e) => e.conditions?.ready)));

    const get = await kubectl.ok(['get', 'endpoints', name, '-n', namespace], { allowStderr: true });
    expect(get).toMatch(new RegExp(`^${name}\\s+10\\.244\\.1\\.7:8080\\s+`, 'm'));
    const describe = await kubectl.ok(['describe', 'service', name, '-n', namespace], { allowStderr: true });
    expect(describe).toMatch(/Endpoints:\s+10\.244\.1\.7:8080/);
  });
});
