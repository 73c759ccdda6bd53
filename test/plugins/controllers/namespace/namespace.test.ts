/**
 * The namespace controller through a real cluster (everything in a deleted
 * namespace goes, then the namespace; Terminating with Kubernetes' deletion
 * conditions meanwhile), and its conditions computed on their own.
 */
import type { Namespace } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../../../../kernel/api/types';
import { startCluster, type TestCluster } from '../../../support/cluster';
import { eventually } from '../../../support/http';
import { kubectlFor, kubectlVersions } from '../../../support/kubectl';
import { namespaceConditions, type DeletionPass } from '../../../../plugins/controllers/namespace/conditions';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
const SERVICES = { group: '', version: 'v1', resource: 'services' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ config: { plugins: [{ name: 'controllers', options: { controllers: ['garbagecollector', 'namespace'] } }] } });
});
afterAll(() => cluster?.destroy());

const client = () => cluster.kernel.client;
type NamespaceObject = KubeObject & { status?: Namespace['status']; spec?: Namespace['spec'] };
const getNs = (name: string) => client().get<NamespaceObject>(NAMESPACES, name).catch(() => undefined);

async function fill(ns: string): Promise<void> {
  await client().create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (let i = 0; i < 3; i++) {
    await client().create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } }, { namespace: ns });
    await client().create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `secret-${i}` }, stringData: { i: String(i) } }, { namespace: ns });
  }
  await client().create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, { namespace: ns });
  await client().create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, { namespace: ns });
}

async function count(ns: string): Promise<number> {
  let n = 0;
  for (const type of [CONFIGMAPS, SECRETS, SERVICES, PODS]) n += (await client().list(type, { namespace: ns })).items.length;
  return n;
}

test('a deleted namespace is Terminating until its content is gone, with the deletion conditions, then goes', async () => {
  await fill('doomed');
  // A ConfigMap held by a finalizer keeps the namespace Terminating, and says so.
  await client().create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } }, { namespace: 'doomed' });
  await client().delete(NAMESPACES, 'doomed');

  const terminating = await eventually(async () => {
    const ns = await getNs('doomed');
    return ns?.status?.conditions?.find((c) => c.type === 'NamespaceFinalizersRemaining' && c.status === 'True') ? ns : undefined;
  }, 10_000, 'conditions naming what remains');
  expect(terminating.status?.phase).toBe('Terminating');
  const byType = Object.fromEntries((terminating.status?.conditions ?? []).map((c) => [c.type, c]));
  expect(byType.NamespaceDeletionDiscoveryFailure).toMatchObject({ status: 'False', reason: 'ResourcesDiscovered' });
  expect(byType.NamespaceDeletionContentFailure).toMatchObject({ status: 'False', reason: 'ContentDeleted' });
  expect(byType.NamespaceContentRemaining).toMatchObject({ status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: configmaps. has 1 resource instances' });
  expect(byType.NamespaceFinalizersRemaining).toMatchObject({
    status: 'True',
    reason: 'SomeFinalizersRemain',
    message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
  });
  expect(await count('doomed')).toBe(1);
  expect(terminating.spec?.finalizers).toEqual(['kubernetes']);

  await client().patch(CONFIGMAPS, 'held', 'merge', { metadata: { finalizers: null } }, { namespace: 'doomed' });
  await eventually(async () => ((await getNs('doomed')) ? undefined : true), 15_000, 'the namespace removed');
  expect(await count('doomed')).toBe(0);
});

test('kubectl delete namespace waits for the content and the namespace to go', async () => {
  await fill('doomed-kubectl');
  const versions = kubectlVersions();
  const kubectl = kubectlFor(versions[versions.length - 1], cluster.kubeconfig);
  await kubectl.ok(['delete', 'namespace', 'doomed-kubectl', '--wait=true', '--timeout=30s'], { allowStderr: true });
  expect(await getNs('doomed-kubectl')).toBeUndefined();
  expect(await count('doomed-kubectl')).toBe(0);
}, 60_000);

describe('namespaceConditions', () => {
  const empty = (): DeletionPass => ({ discoveryErrors: [], contentErrors: [], remaining: new Map(), finalizers: new Map() });
  const T0 = '2026-01-01T00:00:00Z';
  const T1 = '2026-01-01T00:01:00Z';

  test.each([
    { name: 'all well', pass: empty(), want: { NamespaceContentRemaining: ['False', 'ContentRemoved', 'All content successfully removed'] } },
    {
      name: 'resources remaining, sorted',
      pass: { ...empty(), remaining: new Map([['secrets.', 2], ['configmaps.', 1]]) },
      want: { NamespaceContentRemaining: ['True', 'SomeResourcesRemain', 'Some resources are remaining: configmaps. has 1 resource instances, secrets. has 2 resource instances'] },
    },
    {
      name: 'one content failure',
      pass: { ...empty(), contentErrors: ['pods: boom'] },
      want: { NamespaceDeletionContentFailure: ['True', 'ContentDeletionFailed', 'Failed to delete all resource types, 1 remaining: pods: boom'] },
    },
    {
      name: 'discovery failures',
      pass: { ...empty(), discoveryErrors: ['a', 'b'] },
      want: { NamespaceDeletionDiscoveryFailure: ['True', 'DiscoveryFailed', 'Discovery failed for some groups, 2 failing: [a, b]'] },
    },
  ])('$name', ({ pass, want }) => {
    const conditions = namespaceConditions(pass, [], T0);
    expect(conditions.map((c) => c.type)).toEqual([
      'NamespaceDeletionDiscoveryFailure',
      'NamespaceDeletionGroupVersionParsingFailure',
      'NamespaceDeletionContentFailure',
      'NamespaceContentRemaining',
      'NamespaceFinalizersRemaining',
    ]);
    for (const [type, [status, reason, message]] of Object.entries(want)) expect(conditions.find((c) => c.type === type)).toEqual({ type, status, reason, message, lastTransitionTime: T0 });
  });

  test('lastTransitionTime moves only when the status does', () => {
    const first = namespaceConditions({ ...empty(), remaining: new Map([['configmaps.', 2]]) }, [], T0);
    const fewer = namespaceConditions({ ...empty(), remaining: new Map([['configmaps.', 1]]) }, first, T1);
    const remaining = (cs: typeof first) => cs.find((c) => c.type === 'NamespaceContentRemaining')!;
    expect(remaining(fewer)).toMatchObject({ message: 'Some resources are remaining: configmaps. has 1 resource instances', lastTransitionTime: T0 });
    const done = namespaceConditions(empty(), fewer, T1);
    expect(remaining(done)).toMatchObject({ status: 'False', lastTransitionTime: T1 });
    expect(done.find((c) => c.type === 'NamespaceDeletionDiscoveryFailure')).toBe(fewer.find((c) => c.type === 'NamespaceDeletionDiscoveryFailure'));
  });
});
