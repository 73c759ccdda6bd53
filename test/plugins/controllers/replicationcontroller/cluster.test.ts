/**
 * The ReplicationController controller in a real cluster (API server, store,
 * the controllers plugin with only `replicationcontroller`). There is no
 * kubelet or scheduler here: the test marks pods Ready itself through
 * pods/status.
 */
import type { KubeObject } from '../../../../kernel/api/types';
import type { PodObject, ReplicaSetObject } from '../../../../plugins/controllers/replicaset/pods';
import { PODS } from '../../../../plugins/controllers/replicaset';
import { REPLICATIONCONTROLLERS } from '../../../../plugins/controllers/replicationcontroller';
import { startCluster, type TestCluster } from '../../../support/cluster';
import { activePods as listActivePods, markReady as markPodReady } from '../support';
import { eventually } from '../../../support/http';

const NS = 'default';
const EVENTS = { group: '', version: 'v1', resource: 'events' };
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ config: { plugins: [{ name: 'controllers', options: { controllers: ['replicationcontroller'] } }] } });
});
afterAll(() => cluster?.destroy());

const client = () => cluster.kernel.client;

/** A ReplicationController without a selector: the server defaults it from the template labels. */
function replicationController(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace: NS },
    spec: { replicas, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
  };
}

const activePods = (rc: string) => listActivePods(client(), NS, rc);

// A ReplicationController has a ReplicaSet's status shape.
const getRc = (name: string) => client().get<ReplicaSetObject>(REPLICATIONCONTROLLERS, name, { namespace: NS });

const markReady = (pod: PodObject) => markPodReady(client(), pod);

test('creates owned pods, reports them ready, scales up and down (through the scale subresource too)', async () => {
  const rc = await client().create<ReplicaSetObject>(REPLICATIONCONTROLLERS, replicationController('web', 3), { namespace: NS });
  const pods = await eventually(async () => {
    const p = await activePods('web');
    return p.length === 3 ? p : undefined;
  }, 10_000, 'three pods');
  for (const p of pods) {
    expect(p.metadata.name).toMatch(/^web-/);
    expect(p.metadata.labels).toEqual({ app: 'web' });
    expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ReplicationController', name: 'web', uid: rc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  }
  await eventually(async () => ((await getRc('web')).status?.replicas === 3 ? true : undefined), 10_000, 'status: 3 replicas');
  expect((await getRc('web')).status?.readyReplicas ?? 0).toBe(0);
  for (const p of pods) await markReady(p);
  await eventually(async () => {
    const s = (await getRc('web')).status;
    return s?.replicas === 3 && s.readyReplicas === 3 && s.availableReplicas === 3 && s.fullyLabeledReplicas === 3 && s.observedGeneration === 1 ? s : undefined;
  }, 10_000, 'status: 3 ready and available');

  // Up to 5 through the scale subresource (what `kubectl scale rc` does).
  await client().patch(REPLICATIONCONTROLLERS, 'web', 'merge', { spec: { replicas: 5 } }, { namespace: NS, subresource: 'scale' });
  await eventually(async () => ((await activePods('web')).length === 5 ? true : undefined), 10_000, 'five pods');
  await eventually(async () => {
    const s = (await getRc('web')).status;
    return s?.replicas === 5 && s.readyReplicas === 3 && s.observedGeneration === 2 ? s : undefined;
  }, 10_000, 'status: 5 replicas, 3 ready');

  // Down to 1: the unready pods go first (kube's deletion order).
  await client().patch(REPLICATIONCONTROLLERS, 'web', 'merge', { spec: { replicas: 1 } }, { namespace: NS });
  const left = await eventually(async () => {
    const p = await activePods('web');
    return p.length === 1 ? p : undefined;
  }, 10_000, 'one pod left');
  expect(pods.map((p) => p.metadata.name)).toContain(left[0]!.metadata.name);
  await eventually(async () => {
    const s = (await getRc('web')).status;
    return s?.replicas === 1 && s.readyReplicas === 1 && s.observedGeneration === 3 ? s : undefined;
  }, 10_000, 'status after scale-down');

  const events = await eventually(async () => {
    const items = (await client().list(EVENTS, { namespace: NS })).items as unknown as Array<{ reason: string; involvedObject: { name: string; kind: string }; source?: { component?: string } }>;
    const mine = items.filter((e) => e.involvedObject.name === 'web' && e.involvedObject.kind === 'ReplicationController');
    return mine.filter((e) => e.reason === 'SuccessfulDelete').length === 4 ? mine : undefined;
  }, 10_000, 'events');
  expect(events.filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(5);
  expect(events.every((e) => e.source?.component === 'replication-controller')).toBe(true);
});

test('adopts a matching orphan instead of creating a pod, releases it when it stops matching', async () => {
  await client().create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: NS, labels: { app: 'adopter' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }, { namespace: NS });
  const rc = await client().create<ReplicaSetObject>(REPLICATIONCONTROLLERS, replicationController('adopter', 1), { namespace: NS });
  const stray = await eventually(async () => {
    const p = await client().get<PodObject>(PODS, 'stray', { namespace: NS });
    return p.metadata.ownerReferences?.some((r) => r.uid === rc.metadata.uid && r.controller) ? p : undefined;
  }, 10_000, 'stray adopted');
  expect(stray.metadata.ownerReferences).toEqual([expect.objectContaining({ apiVersion: 'v1', kind: 'ReplicationController', name: 'adopter' })]);
  await eventually(async () => ((await getRc('adopter')).status?.replicas === 1 ? true : undefined), 10_000, 'status counts the adopted pod');
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

test('a changed selector (allowed for ReplicationControllers) releases pods that no longer match', async () => {
  await client().create(REPLICATIONCONTROLLERS, replicationController('relabel', 2), { namespace: NS });
  const pods = await eventually(async () => {
    const p = await activePods('relabel');
    return p.length === 2 ? p : undefined;
  }, 10_000, 'two pods');
  // New template labels and a selector over them: the old pods no longer match.
  await client().patch(
    REPLICATIONCONTROLLERS,
    'relabel',
    'merge',
    { spec: { selector: { app: 'relabel', v: '2' }, template: { metadata: { labels: { app: 'relabel', v: '2' } } } } },
    { namespace: NS },
  );
  await eventually(async () => {
    const now = await activePods('relabel');
    const fresh = now.filter((p) => p.metadata.labels?.v === '2' && p.metadata.ownerReferences?.[0]?.kind === 'ReplicationController');
    const released = now.filter((p) => pods.some((o) => o.metadata.uid === p.metadata.uid) && (p.metadata.ownerReferences ?? []).length === 0);
    return fresh.length === 2 && released.length === 2 ? true : undefined;
  }, 10_000, 'two new pods, the old two released');
});

test('a ReplicaSet-owned pod is not claimed by a ReplicationController with a matching selector', async () => {
  await client().create(
    PODS,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'taken', namespace: NS, labels: { app: 'shared' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'not-an-rc', controller: true }] },
      spec: { containers: [{ name: 'main', image: 'busybox' }] },
    },
    { namespace: NS },
  );
  await client().create(REPLICATIONCONTROLLERS, replicationController('shared', 1), { namespace: NS });
  await eventually(async () => ((await activePods('shared')).length === 2 ? true : undefined), 10_000, 'its own pod beside the taken one');
  const taken = await client().get<PodObject>(PODS, 'taken', { namespace: NS });
  expect(taken.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', uid: 'not-an-rc' })]);
  await eventually(async () => ((await getRc('shared')).status?.replicas === 1 ? true : undefined), 10_000, 'status counts only its own');
});
