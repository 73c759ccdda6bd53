/**
 * The endpointslice controller in a real cluster with maxEndpointsPerSlice 2:
 * pods made ready in a burst (many syncs racing the informer cache) end up
 * in exactly the slices they need, none duplicated; slices are updated in
 * place as pods change; a deleted slice is made again; options are checked.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { KubeObject } from '../../../../kernel/api/types';
import { validateOptions } from '../../../../plugins/controllers';
import { startCluster, type TestCluster } from '../../../support/cluster';
import { eventually } from '../../../support/http';

const NODES = { group: '', version: 'v1', resource: 'nodes', kind: 'Node' };
const PODS = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const SERVICES = { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true };
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true };
const namespace = 'default';
type SliceObj = EndpointSlice & KubeObject;

let cluster: TestCluster;
const client = () => cluster.kernel.client;

beforeAll(async () => {
  cluster = await startCluster({
    config: { plugins: [{ name: 'controllers', options: { controllers: ['endpointslice'], settings: { endpointslice: { maxEndpointsPerSlice: 2 } } } }] },
  });
  await client().create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
});
afterAll(() => cluster?.destroy());

async function readyPod(name: string, ip: string, ready = true): Promise<void> {
  const pod: Pod & KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'api' } },
    spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] },
  };
  await client().create(PODS, pod, { namespace }).catch(() => undefined);
  await client().patch(PODS, name, 'merge', { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }, { namespace, subresource: 'status' });
}

const slices = async () => (await client().list<SliceObj>(SLICES, { namespace, labelSelector: 'kubernetes.io/service-name=api' })).items;
const until = async (what: string, ok: (s: SliceObj[]) => boolean): Promise<SliceObj[]> =>
  eventually(async () => {
    const s = await slices();
    return ok(s) ? s : undefined;
  }, 10_000, what);
const readyNames = (s: SliceObj[]) => s.flatMap((x) => (x.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.targetRef!.name!)).sort();

test('a burst of pods: at most 2 per slice, none twice, updated in place, a deleted slice made again', async () => {
  await client().create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }, { namespace });
  await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n, i) => readyPod(`api-${n}`, `10.244.2.${i + 1}`)));
  const five = await until('5 ready endpoints', (s) => readyNames(s).length === 5);
  // Let any syncs still queued settle, then look again: still 3 slices, no endpoint twice.
  await new Promise((r) => setTimeout(r, 500));
  const settled = await slices();
  expect(settled.map((s) => (s.endpoints ?? []).length).sort()).toEqual([1, 2, 2]);
  expect(readyNames(settled)).toEqual(['api-a', 'api-b', 'api-c', 'api-d', 'api-e']);
  expect(settled.map((s) => s.metadata!.uid).sort()).toEqual(five.map((s) => s.metadata!.uid).sort());

  // api-c not ready: its slice is updated, the set of slices stays.
  await readyPod('api-c', '10.244.2.3', false);
  const after = await until('api-c not ready', (s) => !readyNames(s).includes('api-c'));
  expect(after.map((s) => s.metadata!.uid).sort()).toEqual(settled.map((s) => s.metadata!.uid).sort());

  // Someone deletes a slice: its endpoints come back.
  await client().delete(SLICES, settled[0].metadata!.name!, { namespace });
  await until('endpoints back after a slice was deleted', (s) => s.flatMap((x) => x.endpoints ?? []).length === 5 && !s.some((x) => x.metadata!.uid === settled[0].metadata!.uid));
});

test('maxEndpointsPerSlice is checked at load', () => {
  expect(validateOptions({ controllers: ['endpointslice'], settings: { endpointslice: { maxEndpointsPerSlice: 1001 } } })[0].path).toEqual(['settings', 'endpointslice', 'maxEndpointsPerSlice']);
  expect(validateOptions({ controllers: ['endpointslice', 'endpoints'], settings: { endpointslice: { maxEndpointsPerSlice: 1000 } } })).toEqual([]);
});
