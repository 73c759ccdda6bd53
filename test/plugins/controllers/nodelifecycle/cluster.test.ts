/**
 * nodelifecycle in a real cluster (short settings: 2 s grace period, 1 s
 * monitor period), with a Node object and a Lease the test renews in place
 * of a node agent: renewed, the node stays Ready; silent, it turns Unknown
 * and gets the unreachable NoExecute taint; its pods are evicted at once,
 * after their tolerationSeconds, or never; new pods get the two default
 * tolerations; renewed and Ready again, the taint goes.
 *
 * Every pod gets DefaultTolerationSeconds' 300 s tolerations, so "a pod that
 * does not tolerate the taint" is one whose own unreachable toleration does
 * not match it (operator Equal with a value the taint does not have): the
 * admission plugin leaves it alone, the taint manager finds it untolerated.
 */
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1';
import { startCluster, type TestCluster } from '../../../support/cluster';
import { eventually } from '../../../support/http';
import type { KubeObject } from '../../../../kernel/api/types';

const NODES = { group: '', version: 'v1', resource: 'nodes', kind: 'Node' };
const PODS = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true };
const EVENTS = { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true };
const NODE = 'lonely';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

type NodeObj = Node & KubeObject;
type PodObj = Pod & KubeObject;

let cluster: TestCluster;
let renewing: NodeJS.Timeout | undefined;

beforeAll(async () => {
  cluster = await startCluster({
    config: { plugins: [{ name: 'controllers', options: { controllers: ['nodelifecycle'], settings: { nodelifecycle: { nodeMonitorGracePeriodSeconds: 2, nodeMonitorPeriodSeconds: 1 } } } }] },
  });
});
afterAll(async () => {
  if (renewing) clearInterval(renewing);
  await cluster?.destroy();
});

const client = () => cluster.kernel.client;
const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const getNode = () => client().get<NodeObj>(NODES, NODE);
const readyOf = (node: NodeObj) => node.status?.conditions?.find((c) => c.type === 'Ready');
const unreachableTaint = (node: NodeObj): Taint | undefined => node.spec?.taints?.find((t) => t.key === UNREACHABLE && t.effect === 'NoExecute');
const getPod = (name: string) => client().get<PodObj>(PODS, name, { namespace: 'default' }).catch(() => undefined);
/** Evicted: deleted, or being deleted (graceful deletion waits for a kubelet this node does not have). */
const evicted = async (name: string) => {
  const pod = await getPod(name);
  return !pod || !!pod.metadata?.deletionTimestamp;
};

async function retryConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await write();
    } catch (err) {
      if (i > 10 || (err as { code?: number }).code !== 409) throw err;
    }
  }
}

async function postReady(): Promise<void> {
  await retryConflicts(async () => {
    const node = await getNode();
    const now = rfc3339(Date.now());
    const conditions = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
    conditions.push({ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now });
    return client().update(NODES, { ...node, status: { ...node.status, conditions } } as KubeObject, { subresource: 'status' });
  });
}

async function renewLease(): Promise<void> {
  await retryConflicts(async () => {
    const lease = await client().get(LEASES, NODE, { namespace: 'kube-node-lease' });
    return client().update(LEASES, { ...lease, spec: { ...(lease as { spec?: object }).spec, renewTime: micro(Date.now()) } } as KubeObject, { namespace: 'kube-node-lease' });
  });
}

function startRenewing(): void {
  renewing = setInterval(() => void renewLease().catch(() => undefined), 500);
}

function stopRenewing(): void {
  if (renewing) clearInterval(renewing);
  renewing = undefined;
}

async function createPod(name: string, tolerations: Toleration[] = []): Promise<PodObj> {
  return client().create<PodObj>(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: NODE, containers: [{ name: 'app', image: 'busybox' }], tolerations } } as KubeObject, { namespace: 'default' });
}

test('lease renewed: Ready; silent: Unknown, tainted, pods evicted by their tolerations; renewed again: the taint goes', async () => {
  await client().create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } } as KubeObject);
  await postReady();
  await client().create(
    LEASES,
    { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: NODE, namespace: 'kube-node-lease' }, spec: { holderIdentity: NODE, leaseDurationSeconds: 40, renewTime: micro(Date.now()) } } as KubeObject,
    { namespace: 'kube-node-lease' },
  );
  startRenewing();

  // New pods get DefaultTolerationSeconds' tolerations (unless they tolerate the taint themselves).
  const plain = await createPod('plain', [{ key: UNREACHABLE, operator: 'Equal', value: 'not-this-one', effect: 'NoExecute' }]);
  const patient = await createPod('patient', [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 }]);
  const forever = await createPod('forever', [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]);
  const defaulted = await createPod('defaulted');
  expect(defaulted.spec?.tolerations).toEqual([
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  expect(plain.spec?.tolerations?.map((t) => t.key)).toEqual([UNREACHABLE, 'node.kubernetes.io/not-ready']);
  expect(patient.spec?.tolerations?.map((t) => [t.key, t.tolerationSeconds])).toEqual([[UNREACHABLE, 3], ['node.kubernetes.io/not-ready', 300]]);
  expect(forever.spec?.tolerations).toHaveLength(2);
  await client().patch(PODS, 'forever', 'strategic', { status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(Date.now()) }] } }, { namespace: 'default', subresource: 'status' });

  // Renewed for twice the grace period: still Ready, untainted, nothing evicted.
  await sleep(4000);
  let node = await getNode();
  expect(readyOf(node)?.status).toBe('True');
  expect(unreachableTaint(node)).toBeUndefined();
  expect(await evicted('plain')).toBe(false);

  // Silence.
  stopRenewing();
  node = await eventually(async () => {
    const n = await getNode();
    return unreachableTaint(n) ? n : undefined;
  }, 8000, 'the unreachable NoExecute taint');
  const tainted = Date.now();
  expect(readyOf(node)).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
  expect(node.spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual([`${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);

  // Not tolerated: at once.
  await eventually(async () => ((await evicted('plain')) ? true : undefined), 3000, 'plain evicted');
  const gone = await getPod('plain');
  if (gone) expect(gone.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'DeletionByTaintManager' });
  // Ready False on a pod of a NotReady node.
  await eventually(async () => ((await getPod('forever'))?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? true : undefined), 3000, 'forever marked not ready');

  // Tolerated for 3 s (counted from the taint's timeAdded, at second precision): not before ~2 s, by ~5 s.
  await sleep(Math.max(0, tainted + 1500 - Date.now()));
  expect(await evicted('patient')).toBe(false);
  await eventually(async () => ((await evicted('patient')) ? true : undefined), 5000, 'patient evicted');

  const events = (await client().list<KubeObject & { reason?: string; message?: string }>(EVENTS, { namespace: 'default' })).items;
  expect(events).toContainEqual(expect.objectContaining({ reason: 'TaintManagerEviction', message: 'Marking for deletion Pod default/plain' }));
  expect(events).toContainEqual(expect.objectContaining({ reason: 'TaintManagerEviction', message: 'Marking for deletion Pod default/patient' }));

  // Tolerated forever, and the 300 s default has not run out: both stay.
  await sleep(2000);
  expect(await evicted('forever')).toBe(false);
  expect(await evicted('defaulted')).toBe(false);

  // Back: lease renewed and Ready posted.
  startRenewing();
  await renewLease();
  await postReady();
  node = await eventually(async () => {
    const n = await getNode();
    return !unreachableTaint(n) && !(n.spec?.taints ?? []).some((t) => t.key === UNREACHABLE) ? n : undefined;
  }, 5000, 'the unreachable taints removed');
  expect(readyOf(node)?.status).toBe('True');
  stopRenewing();
}, 40_000);
