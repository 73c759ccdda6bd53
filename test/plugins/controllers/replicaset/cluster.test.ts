/**
 * The ReplicaSet controller in a real cluster (API server, store, the
 * controllers plugin with only `replicaset`). There is no kubelet or
 * scheduler here: the test marks pods Ready itself through pods/status.
 */
import { ApiError } from '../../../../kernel/api/errors';
import { InProcessApiClient } from '../../../../kernel/client/in-process';
import type { KubeObject } from '../../../../kernel/api/types';
import type { ReplicaSetObject, PodObject } from '../../../../plugins/controllers/replicaset/pods';
import { PODS, REPLICASETS } from '../../../../plugins/controllers/replicaset';
import { startCluster, type TestCluster } from '../../../support/cluster';
import { activePods as listActivePods, markReady as markPodReady } from '../support';
import { eventually } from '../../../support/http';

const NS = 'default';
const EVENTS = { group: '', version: 'v1', resource: 'events' };
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ config: { plugins: [{ name: 'controllers', options: { controllers: ['replicaset'] } }] } });
});
afterAll(() => cluster?.destroy());

const client = () => cluster.kernel.client;

function replicaSet(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
    },
  };
}

const activePods = (rs: string) => listActivePods(client(), NS, rs);

const getRs = (name: string) => client().get<ReplicaSetObject>(REPLICASETS, name, { namespace: NS });

const markReady = (pod: PodObject) => markPodReady(client(), pod);

test('creates owned pods, reports them ready and available, scales down', async () => {
  const rs = await client().create<ReplicaSetObject>(REPLICASETS, replicaSet('web', 3), { namespace: NS });
  const pods = await eventually(async () => {
    const p = await activePods('web');
    return p.length === 3 ? p : undefined;
  }, 10_000, 'three pods');
  for (const p of pods) {
    expect(p.metadata.name).toMatch(/^web-/);
    expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true })]);
  }
  for (const p of pods) await markReady(p);
  await eventually(async () => {
    const s = (await getRs('web')).status;
    return s?.replicas === 3 && s.readyReplicas === 3 && s.availableReplicas === 3 && s.fullyLabeledReplicas === 3 && s.observedGeneration === 1 ? s : undefined;
  }, 10_000, 'status: 3 ready and available');

  await client().patch(REPLICASETS, 'web', 'merge', { spec: { replicas: 1 } }, { namespace: NS });
  await eventually(async () => ((await activePods('web')).length === 1 ? true : undefined), 10_000, 'one pod left');
  await eventually(async () => {
    const s = (await getRs('web')).status;
    return s?.replicas === 1 && s.readyReplicas === 1 && s.observedGeneration === 2 ? s : undefined;
  }, 10_000, 'status after scale-down');

  const events = await eventually(async () => {
    const items = (await client().list(EVENTS, { namespace: NS })).items as unknown as Array<{ reason: string; message: string; involvedObject: { name: string }; source?: { component?: string } }>;
    const mine = items.filter((e) => e.involvedObject.name === 'web');
    return mine.filter((e) => e.reason === 'SuccessfulDelete').length === 2 ? mine : undefined;
  }, 10_000, 'events');
  expect(events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
  expect(events.every((e) => e.source?.component === 'replicaset-controller')).toBe(true);
});

test('scaling up while some creates fail with 409 or 500 ends with exactly the desired number of pods', async () => {
  const api = client();
  // The controllers plugin has a client of its own (`client.as(...)`): fail creates at the class,
  // for every client but the test's.
  const proto = InProcessApiClient.prototype;
  const create = proto.create;
  let podCreates = 0;
  // Pod creates 2 and 6 are refused (409); 4 and 9 are written but answered with a 500,
  // so the controller cannot know they exist until the informer shows them.
  proto.create = async function (this: InProcessApiClient, type, object, options) {
    if (this === api || type.resource !== 'pods' || type.group !== '') return create.call(this, type, object, options);
    const n = ++podCreates;
    if (n === 2 || n === 6) throw ApiError.alreadyExists({ group: '', resource: 'pods' }, `${object.metadata?.generateName ?? ''}xxxxx`);
    const made = await create.call(this, type, object, options);
    if (n === 4 || n === 9) throw ApiError.internal('the connection to etcd was lost');
    return made;
  } as typeof create;
  try {
    await api.create(REPLICASETS, replicaSet('flaky', 10), { namespace: NS });
    await eventually(async () => {
      const s = (await getRs('flaky')).status;
      const n = (await activePods('flaky')).length;
      return n === 10 && s?.replicas === 10 ? true : undefined;
    }, 20_000, 'ten pods');
    expect(podCreates).toBeGreaterThan(10);
    // Settled: still exactly ten a moment later, the failure condition gone.
    await new Promise((r) => setTimeout(r, 500));
    expect(await activePods('flaky')).toHaveLength(10);
    expect((await getRs('flaky')).status?.conditions ?? []).toEqual([]);
    const failed = ((await api.list(EVENTS, { namespace: NS })).items as unknown as Array<{ reason: string; involvedObject: { name: string } }>).filter(
      (e) => e.involvedObject.name === 'flaky' && e.reason === 'FailedCreate',
    );
    expect(failed.length).toBeGreaterThan(0);
  } finally {
    proto.create = create;
  }
});

test('adopts a matching orphan instead of creating a pod, releases it when it stops matching', async () => {
  await client().create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: NS, labels: { app: 'adopter' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }, { namespace: NS });
  const rs = await client().create<ReplicaSetObject>(REPLICASETS, replicaSet('adopter', 1), { namespace: NS });
  const stray = await eventually(async () => {
    const p = await client().get<PodObject>(PODS, 'stray', { namespace: NS });
    return p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid && r.controller) ? p : undefined;
  }, 10_000, 'stray adopted');
  expect(stray.metadata.ownerReferences).toHaveLength(1);
  await eventually(async () => ((await getRs('adopter')).status?.replicas === 1 ? true : undefined), 10_000, 'status counts the adopted pod');
  expect((await activePods('adopter')).map((p) => p.metadata.name)).toEqual(['stray']);

  // Relabelled out of the selector: released, and replaced by a new pod.
  await client().patch(PODS, 'stray', 'merge', { metadata: { labels: { app: 'elsewhere' } } }, { namespace: NS });
  await eventually(async () => {
    const p = await client().get<PodObject>(PODS, 'stray', { namespace: NS });
    return (p.metadata.ownerReferences ?? []).length === 0 ? p : undefined;
  }, 10_000, 'stray released');
  const replacement = await eventually(async () => {
    const p = await activePods('adopter');
    return p.length === 1 && p[0]!.metadata.name !== 'stray' ? p[0] : undefined;
  }, 10_000, 'a replacement pod');
  expect(replacement.metadata.name).toMatch(/^adopter-/);
});
