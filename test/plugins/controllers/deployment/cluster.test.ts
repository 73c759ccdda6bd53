/**
 * The Deployment controller in a real cluster, with the ReplicaSet
 * controller making the pods. There is no kubelet or scheduler here: a
 * stand-in marks every new pod Running and Ready through pods/status, and a
 * watcher samples the pods throughout, so a rolling update with maxSurge 1
 * and maxUnavailable 0 can be seen never to drop below 3 ready pods. kubectl
 * (the newest on the machine) drives rollout status, history and undo.
 */
import type { KubeObject } from '../../../../kernel/api/types';
import type { PodObject } from '../../../../plugins/controllers/replicaset/pods';
import { DEPLOYMENTS, REPLICASETS, type DeploymentObject, type ReplicaSetObject } from '../../../../plugins/controllers/deployment';
import { startCluster, type TestCluster } from '../../../support/cluster';
import { eventually } from '../../../support/http';
import { kubectlFor, kubectlVersions, type KubectlRunner } from '../../../support/kubectl';

const NS = 'default';
const PODS = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
let cluster: TestCluster;
let kubectl: KubectlRunner;
let stopKubelet = false;
let kubelet: Promise<void>;

const client = () => cluster.kernel.client;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isReady = (p: PodObject) => !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The kubelet's part: every pod that is not yet Ready becomes Running and Ready. */
async function fakeKubelet(): Promise<void> {
  while (!stopKubelet) {
    const pods = (await client().list<PodObject>(PODS, { namespace: NS })).items;
    for (const p of pods) {
      if (isReady(p) || p.metadata.deletionTimestamp) continue;
      await client()
        .patch(PODS, p.metadata.name, 'merge', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } }, { namespace: NS, subresource: 'status' })
        .catch(() => undefined); // deleted meanwhile: nothing to mark
    }
    await sleep(100);
  }
}

beforeAll(async () => {
  cluster = await startCluster({ config: { plugins: [{ name: 'controllers', options: { controllers: ['replicaset', 'deployment'] } }] } });
  const versions = kubectlVersions();
  kubectl = kubectlFor(versions[versions.length - 1], cluster.kubeconfig);
  kubelet = fakeKubelet();
});
afterAll(async () => {
  stopKubelet = true;
  await kubelet?.catch(() => undefined);
  await cluster?.destroy();
});

function deployment(image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS, annotations: { 'kubernetes.io/change-cause': `image ${image}` } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

async function readyPods(image?: string): Promise<PodObject[]> {
  const pods = (await client().list<PodObject>(PODS, { namespace: NS, labelSelector: 'app=web' })).items;
  return pods.filter((p) => isReady(p) && (image === undefined || p.spec?.containers[0].image === image));
}

async function rolledOut(image: string): Promise<DeploymentObject> {
  return eventually(async () => {
    const d = await client().get<DeploymentObject>(DEPLOYMENTS, 'web', { namespace: NS });
    const s = d.status;
    const pods = await readyPods();
    const done = s !== undefined && s.observedGeneration === d.metadata.generation && s.updatedReplicas === 3 && s.replicas === 3 && s.availableReplicas === 3;
    return done && pods.length === 3 && pods.every((p) => p.spec?.containers[0].image === image) ? d : undefined;
  }, 30_000, `rolled out to ${image}`);
}

test('a rolling update with maxSurge 1 and maxUnavailable 0 never has fewer than 3 ready pods; rollout status, history, undo', async () => {
  await client().create(DEPLOYMENTS, deployment('busybox:1'), { namespace: NS });
  await rolledOut('busybox:1');
  expect(await kubectl.ok(['rollout', 'status', 'deployment/web', '--timeout=60s'])).toContain('deployment "web" successfully rolled out');

  // Sample the pods all through the rollout.
  let sampling = true;
  let fewest = Infinity;
  let samples = 0;
  const sampler = (async () => {
    while (sampling) {
      fewest = Math.min(fewest, (await readyPods()).length);
      samples++;
      await sleep(10);
    }
  })();
  // The new image and its change-cause in one write (annotating first would label the current set, as in Kubernetes).
  const patch = { metadata: { annotations: { 'kubernetes.io/change-cause': 'image busybox:2' } }, spec: { template: { spec: { containers: [{ name: 'web', image: 'busybox:2' }] } } } };
  await kubectl.ok(['patch', 'deployment/web', '--type=strategic', '-p', JSON.stringify(patch)]);
  const status = await kubectl.ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  expect(status).toContain('deployment "web" successfully rolled out');
  const d = await rolledOut('busybox:2');
  sampling = false;
  await sampler;
  expect(samples).toBeGreaterThan(10);
  expect(fewest).toBeGreaterThanOrEqual(3);
  expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });

  const sets = (await client().list<ReplicaSetObject>(REPLICASETS, { namespace: NS })).items;
  expect(sets).toHaveLength(2);
  for (const rs of sets) expect(rs.metadata.name).toBe(`web-${rs.metadata.labels?.['pod-template-hash']}`);

  const history = await kubectl.ok(['rollout', 'history', 'deployment/web']);
  expect(history).toMatch(/REVISION\s+CHANGE-CAUSE/);
  expect(history).toMatch(/^1\s+image busybox:1$/m);
  expect(history).toMatch(/^2\s+image busybox:2$/m);
  expect(await kubectl.ok(['rollout', 'history', 'deployment/web', '--revision=1'])).toContain('busybox:1');

  expect(await kubectl.ok(['rollout', 'undo', 'deployment/web'])).toContain('rolled back');
  expect(await kubectl.ok(['rollout', 'status', 'deployment/web', '--timeout=60s'])).toContain('successfully rolled out');
  const undone = await rolledOut('busybox:1');
  expect(undone.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  const after = await kubectl.ok(['rollout', 'history', 'deployment/web']);
  expect(after).toMatch(/^2\s+image busybox:2$/m);
  expect(after).toMatch(/^3\s+image busybox:1$/m);
  expect(after).not.toMatch(/^1\s/m);

  const events = await kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=web', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
  expect(events).toMatch(/ScalingReplicaSet: Scaled up replica set web-\w+ to 3/);
  expect(events).toMatch(/ScalingReplicaSet: Scaled down replica set web-\w+ to 2 from 3/);
}, 120_000);

/** Deployment `name` done: every replica updated and available, all its pods ready with `image`. */
async function settled(name: string, image: string, replicas: number): Promise<DeploymentObject> {
  return eventually(async () => {
    const d = await client().get<DeploymentObject>(DEPLOYMENTS, name, { namespace: NS });
    const s = d.status;
    const pods = (await client().list<PodObject>(PODS, { namespace: NS, labelSelector: `app=${name}` })).items.filter(isReady);
    const done = s !== undefined && s.observedGeneration === d.metadata.generation && s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas;
    return done && pods.length === replicas && pods.every((p) => p.spec?.containers[0].image === image) ? d : undefined;
  }, 30_000, `${name} settled on ${image} x${replicas}`);
}

const revisionOf = (d: DeploymentObject) => d.metadata.annotations?.['deployment.kubernetes.io/revision'];

describe.each(kubectlVersions().map((k) => [k.version, k] as const))('kubectl %s', (version, k) => {
  test('scale, rollout pause/resume, restart, undo --to-revision', async () => {
    const kc = kubectlFor(k, cluster.kubeconfig);
    const name = `app-${version.replace(/\W/g, '-')}`;
    const manifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS },
      spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1' }] } } },
    };
    await kc.ok(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    await settled(name, 'busybox:1', 2);

    await kc.ok(['scale', `deployment/${name}`, '--replicas=4']);
    await settled(name, 'busybox:1', 4);

    await kc.ok(['rollout', 'pause', `deployment/${name}`]);
    await kc.ok(['set', 'image', `deployment/${name}`, 'main=busybox:2']);
    const paused = await eventually(async () => {
      const d = await client().get<DeploymentObject>(DEPLOYMENTS, name, { namespace: NS });
      const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
      return c?.reason === 'DeploymentPaused' && d.status?.observedGeneration === d.metadata.generation ? d : undefined;
    }, 10_000, 'paused condition');
    expect(paused.status?.conditions?.find((x) => x.type === 'Progressing')).toMatchObject({ status: 'Unknown', message: 'Deployment is paused' });
    await sleep(300);
    const owned = async () => (await client().list<ReplicaSetObject>(REPLICASETS, { namespace: NS, labelSelector: `app=${name}` })).items;
    expect(await owned()).toHaveLength(1);

    await kc.ok(['rollout', 'resume', `deployment/${name}`]);
    expect(revisionOf(await settled(name, 'busybox:2', 4))).toBe('2');
    expect(await kc.ok(['rollout', 'status', `deployment/${name}`, '--timeout=60s'])).toContain('successfully rolled out');

    await kc.ok(['rollout', 'restart', `deployment/${name}`]);
    await eventually(async () => ((await owned()).length === 3 ? true : undefined), 10_000, 'a third ReplicaSet after restart');
    expect(revisionOf(await settled(name, 'busybox:2', 4))).toBe('3');

    await kc.ok(['rollout', 'undo', `deployment/${name}`, '--to-revision=1']);
    expect(revisionOf(await settled(name, 'busybox:1', 4))).toBe('4');
    const history = await kc.ok(['rollout', 'history', `deployment/${name}`]);
    expect(history.match(/^\d+\s/gm)?.map((r) => r.trim())).toEqual(['2', '3', '4']);
    await kc.ok(['delete', 'deployment', name]);
  }, 120_000);
});
