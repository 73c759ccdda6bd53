/**
 * The garbage collector through a real cluster: ConfigMaps (and a Pod) owned
 * by a Deployment object (no deployment controller runs: only the
 * ownerReferences matter) with background, foreground and orphan deletion,
 * a dangling reference, and kubectl's --cascade; and the dependency graph
 * on its own.
 */
import type { KubeObject } from '../../../../kernel/api/types';
import { startCluster, type TestCluster } from '../../../support/cluster';
import { eventually } from '../../../support/http';
import { kubectlFor, kubectlVersions } from '../../../support/kubectl';
import { DependencyGraph } from '../../../../plugins/controllers/garbagecollector/graph';

const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const NS = 'gc';
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ config: { plugins: [{ name: 'controllers', options: { controllers: ['garbagecollector', 'namespace'] } }] } });
  await cluster.kernel.client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
afterAll(() => cluster?.destroy());

const client = () => cluster.kernel.client;

async function owner(name: string): Promise<KubeObject> {
  return client().create(
    DEPLOYMENTS,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    },
    { namespace: NS },
  );
}

const ref = (o: KubeObject, blockOwnerDeletion = true) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name: o.metadata!.name!, uid: o.metadata!.uid!, controller: true, blockOwnerDeletion });

async function dependents(o: KubeObject, count: number, blockOwnerDeletion = true): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${o.metadata!.name}-${i}`;
    await client().create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ownerReferences: [ref(o, blockOwnerDeletion)] }, data: { i: String(i) } }, { namespace: NS });
    names.push(name);
  }
  return names;
}

const getOr = (type: typeof CONFIGMAPS, name: string) => client().get(type, name, { namespace: NS }).catch(() => undefined);
const gone = (type: typeof CONFIGMAPS, name: string, what: string) => eventually(async () => ((await getOr(type, name)) ? undefined : true), 10_000, what);

test('background: the owner goes at once, its dependents after it', async () => {
  const o = await owner('bg');
  const names = await dependents(o, 3);
  await client().create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bg-pod', ownerReferences: [ref(o)] }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, { namespace: NS });
  await client().delete(DEPLOYMENTS, 'bg', { namespace: NS, propagationPolicy: 'Background' });
  expect(await getOr(DEPLOYMENTS, 'bg')).toBeUndefined();
  for (const n of names) await gone(CONFIGMAPS, n, `configmap ${n} collected`);
  await gone(PODS, 'bg-pod', 'pod collected');
});

test('foreground: the owner waits with its finalizer until its dependents are gone, then goes', async () => {
  const o = await owner('fg');
  const names = await dependents(o, 3);
  // A dependent held by a finalizer keeps the owner waiting.
  await client().patch(CONFIGMAPS, names[0], 'merge', { metadata: { finalizers: ['example.com/hold'] } }, { namespace: NS });
  await client().delete(DEPLOYMENTS, 'fg', { namespace: NS, propagationPolicy: 'Foreground' });
  const waiting = await client().get(DEPLOYMENTS, 'fg', { namespace: NS });
  expect(waiting.metadata?.deletionTimestamp).toBeDefined();
  expect(waiting.metadata?.finalizers).toContain('foregroundDeletion');
  for (const n of names.slice(1)) await gone(CONFIGMAPS, n, `configmap ${n} collected`);
  const held = await eventually(async () => {
    const cm = await getOr(CONFIGMAPS, names[0]);
    return cm?.metadata?.deletionTimestamp ? cm : undefined;
  }, 10_000, 'the held dependent marked for deletion');
  expect(held.metadata?.finalizers).toEqual(['example.com/hold']);
  await new Promise((r) => setTimeout(r, 300));
  expect((await getOr(DEPLOYMENTS, 'fg'))?.metadata?.finalizers).toContain('foregroundDeletion');
  await client().patch(CONFIGMAPS, names[0], 'merge', { metadata: { finalizers: null } }, { namespace: NS });
  await gone(CONFIGMAPS, names[0], 'held configmap gone');
  await gone(DEPLOYMENTS, 'fg', 'owner gone after its dependents');
});

test('foreground is recursive: a blocking dependent with dependents of its own goes in the foreground too', async () => {
  const o = await owner('deep');
  const mid = await client().create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep-mid', ownerReferences: [ref(o)] } }, { namespace: NS });
  const midRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'deep-mid', uid: mid.metadata!.uid!, blockOwnerDeletion: true };
  await client().create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep-leaf', finalizers: ['example.com/hold'], ownerReferences: [midRef] } }, { namespace: NS });
  await client().delete(DEPLOYMENTS, 'deep', { namespace: NS, propagationPolicy: 'Foreground' });
  const midDeleting = await eventually(async () => {
    const cm = await getOr(CONFIGMAPS, 'deep-mid');
    return cm?.metadata?.deletionTimestamp ? cm : undefined;
  }, 10_000, 'the middle object in foreground deletion');
  expect(midDeleting.metadata?.finalizers).toEqual(['foregroundDeletion']);
  await eventually(async () => ((await getOr(CONFIGMAPS, 'deep-leaf'))?.metadata?.deletionTimestamp ? true : undefined), 10_000, 'the leaf marked for deletion');
  expect((await getOr(DEPLOYMENTS, 'deep'))?.metadata?.finalizers).toContain('foregroundDeletion');
  await client().patch(CONFIGMAPS, 'deep-leaf', 'merge', { metadata: { finalizers: null } }, { namespace: NS });
  await gone(CONFIGMAPS, 'deep-leaf', 'leaf gone');
  await gone(CONFIGMAPS, 'deep-mid', 'middle gone after the leaf');
  await gone(DEPLOYMENTS, 'deep', 'owner gone last');
});

test('orphan: dependents stay, without the reference to their owner', async () => {
  const o = await owner('or');
  const names = await dependents(o, 2);
  await client().delete(DEPLOYMENTS, 'or', { namespace: NS, propagationPolicy: 'Orphan' });
  await gone(DEPLOYMENTS, 'or', 'owner gone once its dependents are orphaned');
  for (const n of names) {
    const cm = await client().get(CONFIGMAPS, n, { namespace: NS });
    expect(cm.metadata?.ownerReferences).toBeUndefined();
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const n of names) expect(await getOr(CONFIGMAPS, n)).toBeDefined();
});

test('a dangling reference (an owner uid that never existed) gets its dependent deleted; a living owner keeps it', async () => {
  const living = await owner('alive');
  await client().create(
    CONFIGMAPS,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dangling', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'alive', uid: '00000000-0000-0000-0000-000000000000' }] },
    },
    { namespace: NS },
  );
  await client().create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept', ownerReferences: [ref(living)] } }, { namespace: NS });
  await gone(CONFIGMAPS, 'dangling', 'dangling dependent collected');
  expect(await getOr(CONFIGMAPS, 'kept')).toBeDefined();
});

test('a dependent with two owners loses only the reference to the one deleted', async () => {
  const a = await owner('two-a');
  const b = await owner('two-b');
  await client().create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', ownerReferences: [ref(a, false), { ...ref(b, false), controller: false }] } }, { namespace: NS });
  await client().delete(DEPLOYMENTS, 'two-a', { namespace: NS });
  const cm = await eventually(async () => {
    const c = await getOr(CONFIGMAPS, 'shared');
    return c && c.metadata?.ownerReferences?.length === 1 ? c : undefined;
  }, 10_000, 'the reference to the deleted owner removed');
  expect(cm.metadata?.ownerReferences?.[0].uid).toBe(b.metadata?.uid);
});

test('kubectl delete --cascade=foreground|orphan|background', async () => {
  const versions = kubectlVersions();
  const kubectl = kubectlFor(versions[versions.length - 1], cluster.kubeconfig);
  for (const cascade of ['foreground', 'orphan', 'background'] as const) {
    const o = await owner(`kc-${cascade}`);
    const names = await dependents(o, 2);
    await kubectl.ok(['delete', '-n', NS, 'deployment', `kc-${cascade}`, `--cascade=${cascade}`, '--wait=true'], { allowStderr: true });
    await gone(DEPLOYMENTS, `kc-${cascade}`, `owner deleted with --cascade=${cascade}`);
    if (cascade === 'orphan') {
      for (const n of names) expect((await client().get(CONFIGMAPS, n, { namespace: NS })).metadata?.ownerReferences).toBeUndefined();
    } else {
      // Foreground: gone before the owner went (kubectl waited for it); background: shortly after.
      for (const n of names) await gone(CONFIGMAPS, n, `configmap ${n} collected (${cascade})`);
    }
  }
}, 60_000);

describe('DependencyGraph', () => {
  const CM = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap' };
  const obj = (uid: string, owners: string[]): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: uid, namespace: 'ns', uid, ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o, uid: o })) },
  });

  test.each([
    { name: 'dependents of an owner never seen', steps: [['a', ['x']], ['b', ['x']]] as Array<[string, string[]]>, owner: 'x', want: ['a', 'b'], released: [] as string[] },
    { name: 'a reference removed releases the owner', steps: [['a', ['x', 'y']], ['a', ['y']]] as Array<[string, string[]]>, owner: 'x', want: [], released: ['x'] },
    { name: 'no references', steps: [['a', []]] as Array<[string, string[]]>, owner: 'x', want: [], released: [] },
  ])('$name', ({ steps, owner: o, want, released }) => {
    const graph = new DependencyGraph();
    let last: string[] = [];
    for (const [uid, owners] of steps) last = graph.upsert(CM, obj(uid, owners));
    expect(graph.dependentsOf(o).map((n) => n.uid).sort()).toEqual(want);
    expect(last).toEqual(released);
  });

  test('remove forgets the node and its edges', () => {
    const graph = new DependencyGraph();
    graph.upsert(CM, obj('a', ['x']));
    expect(graph.remove('a')?.owners.map((r) => r.uid)).toEqual(['x']);
    expect(graph.dependentsOf('x')).toEqual([]);
    expect(graph.size).toBe(0);
  });
});
