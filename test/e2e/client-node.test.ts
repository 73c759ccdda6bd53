/**
 * The official JavaScript client against a booted skiff: CRUD, watch, all
 * three patch types, optimistic concurrency and Status errors, for ConfigMaps
 * and Deployments.
 */
import * as k8s from '@kubernetes/client-node';
import { startCluster, TestCluster } from '../support/cluster';

let cluster: TestCluster;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
const ns = 'client-node';

beforeAll(async () => {
  cluster = await startCluster();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
});

afterAll(async () => {
  await cluster?.destroy();
});

/** The Status body of a failed call. */
async function statusOf(call: Promise<unknown>): Promise<{ code: number; status: k8s.V1Status }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof k8s.ApiException) {
      const body = typeof err.body === 'string' ? (JSON.parse(err.body) as k8s.V1Status) : (err.body as k8s.V1Status);
      return { code: err.code, status: body };
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategic = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

describe('ConfigMaps', () => {
  test('create, get, list, patch (json, merge, strategic), replace, delete', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings', labels: { app: 'demo' } }, data: { a: '1' } } });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const got = await core.readNamespacedConfigMap({ name: 'settings', namespace: ns });
    expect(got.data).toEqual({ a: '1' });

    const list = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=demo' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['settings']);
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);

    const p1 = await core.patchNamespacedConfigMap({ name: 'settings', namespace: ns, body: [{ op: 'add', path: '/data/b', value: '2' }] }, jsonPatch);
    expect(p1.data).toEqual({ a: '1', b: '2' });
    const p2 = await core.patchNamespacedConfigMap({ name: 'settings', namespace: ns, body: { data: { a: null, c: '3' } } }, merge);
    expect(p2.data).toEqual({ b: '2', c: '3' });
    const p3 = await core.patchNamespacedConfigMap({ name: 'settings', namespace: ns, body: { metadata: { labels: { tier: 'x' } }, data: { d: '4' } } }, strategic);
    expect(p3.data).toEqual({ b: '2', c: '3', d: '4' });
    expect(p3.metadata?.labels).toEqual({ app: 'demo', tier: 'x' });

    const replaced = await core.replaceNamespacedConfigMap({ name: 'settings', namespace: ns, body: { ...p3, data: { only: 'this' } } });
    expect(replaced.data).toEqual({ only: 'this' });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(p3.metadata?.resourceVersion));

    await core.deleteNamespacedConfigMap({ name: 'settings', namespace: ns });
    const gone = await statusOf(core.readNamespacedConfigMap({ name: 'settings', namespace: ns }));
    expect(gone.code).toBe(404);
    expect(gone.status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'configmaps "settings" not found', details: { name: 'settings', kind: 'configmaps' } });
  });

  test('a stale update gets 409 Conflict', async () => {
    const first = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'contended' }, data: { v: '1' } } });
    await core.replaceNamespacedConfigMap({ name: 'contended', namespace: ns, body: { ...first, data: { v: '2' } } });
    const stale = await statusOf(core.replaceNamespacedConfigMap({ name: 'contended', namespace: ns, body: { ...first, data: { v: '3' } } }));
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe('Conflict');
    expect(stale.status.message).toBe('Operation cannot be fulfilled on configmaps "contended": the object has been modified; please apply your changes to the latest version and try again');
    const again = await statusOf(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'contended' } } }));
    expect(again.code).toBe(409);
    expect(again.status).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "contended" already exists' });
  });

  test('invalid objects get 422 Invalid with field causes', async () => {
    const bad = await statusOf(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'Not_Valid' } } }));
    expect(bad.code).toBe(422);
    expect(bad.status.reason).toBe('Invalid');
    expect(bad.status.message).toMatch(/^ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain/);
    expect(bad.status.details?.causes?.[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'metadata.name' });
    const badKey = await statusOf(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'badkey' }, data: { 'no/slash': 'x' } } }));
    expect(badKey.code).toBe(422);
    expect(badKey.status.details?.causes?.[0]?.field).toBe('data[no/slash]');
  });

  test('a watch resumed from a resourceVersion sees every later event once, in order', async () => {
    const start = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'w0' } } });
    const from = start.metadata!.resourceVersion!;
    // Changes made while nobody watches...
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'w1' }, data: { n: '1' } } });
    await core.patchNamespacedConfigMap({ name: 'w1', namespace: ns, body: { data: { n: '2' } } }, merge);
    await core.deleteNamespacedConfigMap({ name: 'w0', namespace: ns });
    const seen: Array<[string, string, string]> = [];
    const watch = new k8s.Watch(kc);
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const controller = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: from },
      (phase, obj: k8s.V1ConfigMap) => {
        seen.push([phase, obj.metadata!.name!, obj.metadata!.resourceVersion!]);
        if (obj.metadata?.name === 'w2' && phase === 'DELETED') resolveDone();
      },
      () => undefined,
    );
    // ...and while it runs.
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'w2' } } });
    await core.deleteNamespacedConfigMap({ name: 'w2', namespace: ns });
    await done;
    controller.abort();
    expect(seen.map(([p, n]) => `${p} ${n}`)).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w0', 'ADDED w2', 'DELETED w2']);
    const versions = seen.map(([, , rv]) => Number(rv));
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions[0]).toBeGreaterThan(Number(from));
  });
});

describe('Deployments', () => {
  const deployment = (name: string, image = 'busybox:1.36'): k8s.V1Deployment => ({
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image, ports: [{ containerPort: 80 }] }] } },
    },
  });

  test('create applies Kubernetes defaults and generation; spec changes bump it', async () => {
    const created = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web') });
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    expect(created.spec?.revisionHistoryLimit).toBe(10);
    expect(created.spec?.progressDeadlineSeconds).toBe(600);
    const c = created.spec?.template.spec?.containers[0];
    expect(c).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    expect(created.spec?.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' });

    const labelled = await apps.patchNamespacedDeployment({ name: 'web', namespace: ns, body: { metadata: { labels: { team: 'a' } } } }, merge);
    expect(labelled.metadata?.generation).toBe(1);
    const scaled = await apps.patchNamespacedDeployment({ name: 'web', namespace: ns, body: [{ op: 'replace', path: '/spec/replicas', value: 5 }] }, jsonPatch);
    expect(scaled.spec?.replicas).toBe(5);
    expect(scaled.metadata?.generation).toBe(2);
  });

  test('strategic merge patch merges containers by name', async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('smp') });
    const patched = await apps.patchNamespacedDeployment(
      { name: 'smp', namespace: ns, body: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.36' }, { name: 'main', image: 'busybox:1.37' }] } } } } },
      strategic,
    );
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => `${c.name}=${c.image}`).sort()).toEqual(['main=busybox:1.37', 'sidecar=busybox:1.36']);
    expect(containers.find((c) => c.name === 'main')?.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
  });

  test('replace, list, the scale subresource, delete', async () => {
    const created = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('api') });
    const replaced = await apps.replaceNamespacedDeployment({ name: 'api', namespace: ns, body: { ...created, spec: { ...created.spec!, replicas: 3 } } });
    expect(replaced.spec?.replicas).toBe(3);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'api', namespace: ns });
    expect(scale.spec?.replicas).toBe(3);
    expect(scale.status?.selector).toBe('app=api');
    await apps.replaceNamespacedDeploymentScale({ name: 'api', namespace: ns, body: { ...scale, spec: { replicas: 7 } } });
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: ns })).spec?.replicas).toBe(7);
    const list = await apps.listNamespacedDeployment({ namespace: ns });
    expect(list.items.map((d) => d.metadata?.name)).toContain('api');
    await apps.deleteNamespacedDeployment({ name: 'api', namespace: ns });
    expect((await statusOf(apps.readNamespacedDeployment({ name: 'api', namespace: ns }))).status.message).toBe('deployments.apps "api" not found');
  });

  test('watch sees ADDED, MODIFIED and DELETED for Deployments', async () => {
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const list = await apps.listNamespacedDeployment({ namespace: ns });
    const controller = await watch.watch(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      { resourceVersion: list.metadata!.resourceVersion!, allowWatchBookmarks: true },
      (phase, obj: k8s.V1Deployment) => {
        if (phase === 'BOOKMARK') return;
        seen.push(`${phase} ${obj.metadata?.name}`);
        if (phase === 'DELETED') resolveDone();
      },
      () => undefined,
    );
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('watched') });
    await apps.patchNamespacedDeployment({ name: 'watched', namespace: ns, body: { spec: { replicas: 4 } } }, merge);
    await apps.deleteNamespacedDeployment({ name: 'watched', namespace: ns });
    await done;
    controller.abort();
    expect(seen).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
  });

  test('422 for an invalid Deployment names the field', async () => {
    const bad = deployment('mismatch');
    bad.spec!.template.metadata!.labels = { app: 'other' };
    const r = await statusOf(apps.createNamespacedDeployment({ namespace: ns, body: bad }));
    expect(r.code).toBe(422);
    expect(r.status.reason).toBe('Invalid');
    expect(r.status.message).toContain('Deployment.apps "mismatch" is invalid');
    expect(r.status.details?.causes?.some((c) => c.field === 'spec.template.metadata.labels')).toBe(true);
  });
});
