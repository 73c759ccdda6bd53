/**
 * The controllers with the whole chain: the scheduler places pods, node
 * agents on the simulated runtime run them and report them ready. A
 * Deployment of 3 rolls to a new image with maxUnavailable 0 and maxSurge 1
 * while a watcher samples the ready pods; `kubectl rollout status`,
 * `history` and `undo` work unchanged; a foreground delete and a namespace
 * delete clean up through the agents' graceful termination.
 */
import { startCluster, type TestCluster } from '../support/cluster';
import { kubectlVersions, kubectlFor, type KubectlRunner } from '../support/kubectl';
import { fromKubeconfig, type HttpApiClient } from '../../kernel/client/http';
import type { KubeObject } from '../../kernel/api/types';
import type { WatchHandle } from '../../kernel/client/types';

jest.setTimeout(120_000);

const PODS = { group: '', version: 'v1', resource: 'pods' };
let cluster: TestCluster;
let client: HttpApiClient;
let k: KubectlRunner;

beforeAll(async () => {
  cluster = await startCluster({
    config: {
      plugins: [
        { name: 'runtime-simulated', options: { startDelayMs: 100, pullDelayMs: 100 } },
        'node-agent',
        'scheduler',
        'controllers',
      ],
      nodes: [1, 2, 3].map((i) => ({ name: `sim-${i}`, runtime: 'simulated' })),
    },
  });
  client = fromKubeconfig(cluster.kubeconfig);
  const versions = kubectlVersions();
  k = kubectlFor(versions[versions.length - 1], cluster.kubeconfig);
});

afterAll(async () => {
  client?.close();
  await cluster?.destroy();
});

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type PodObject = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };
const ready = (p: PodObject) => !p.metadata?.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

test('a rolling update never drops below 3 ready pods; rollout status, history and undo', async () => {
  await k.ok(['create', 'namespace', 'roll']);
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: roll }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  strategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{ name: web, image: "busybox:1.36", command: [sleep, infinity] }]
`;
  await k.ok(['apply', '-f', '-'], { input: deployment });
  expect(await k.ok(['rollout', 'status', '-n', 'roll', 'deployment/web', '--timeout=60s'])).toContain('successfully rolled out');

  // Sample the ready pods on every change from here on.
  const pods = new Map<string, PodObject>();
  let minReady = Infinity;
  const watch: WatchHandle = client.watch<PodObject>(PODS, { namespace: 'roll', resourceVersion: '0' }, {
    onEvent: (e) => {
      if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
      const name = e.object.metadata!.name!;
      if (e.type === 'DELETED') pods.delete(name);
      else pods.set(name, e.object);
      if (pods.size > 0) minReady = Math.min(minReady, [...pods.values()].filter(ready).length);
    },
    onClose: () => undefined,
  });
  try {
    await until('the watch to see the 3 pods', async () => ([...pods.values()].filter(ready).length === 3 ? true : undefined));
    minReady = 3;
    await k.ok(['set', 'image', '-n', 'roll', 'deployment/web', 'web=busybox:latest']);
    expect(await k.ok(['rollout', 'status', '-n', 'roll', 'deployment/web', '--timeout=60s'])).toContain('successfully rolled out');
    await until('only new pods', async () => {
      const now = await client.list(PODS, { namespace: 'roll' });
      const live = (now.items as PodObject[]).filter((p) => !p.metadata?.deletionTimestamp);
      return live.length === 3 && live.every((p) => JSON.stringify(p).includes('busybox:latest')) ? true : undefined;
    });
  } finally {
    watch.stop();
  }
  expect(minReady).toBeGreaterThanOrEqual(3);

  const history = await k.ok(['rollout', 'history', '-n', 'roll', 'deployment/web']);
  expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  await k.ok(['rollout', 'undo', '-n', 'roll', 'deployment/web']);
  expect(await k.ok(['rollout', 'status', '-n', 'roll', 'deployment/web', '--timeout=60s'])).toContain('successfully rolled out');
  const image = await k.ok(['get', 'deployment', '-n', 'roll', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
  expect(image).toBe('busybox:1.36');
  expect(await k.ok(['rollout', 'history', '-n', 'roll', 'deployment/web'])).toMatch(/\n2\s+<none>\n3\s+<none>/);
});

test('foreground delete of a Deployment: its ReplicaSets and pods go first; then a namespace delete empties and removes it', async () => {
  await k.ok(['create', 'namespace', 'gone']);
  await k.ok(['create', 'deployment', 'app', '-n', 'gone', '--image=busybox', '--replicas=2', '--', 'sleep', 'infinity']);
  await k.ok(['rollout', 'status', '-n', 'gone', 'deployment/app', '--timeout=60s']);
  await k.ok(['create', 'configmap', 'settings', '-n', 'gone', '--from-literal=a=b']);

  await k.ok(['delete', 'deployment', 'app', '-n', 'gone', '--cascade=foreground', '--wait=false']);
  const during = await k.run(['get', 'deployment', 'app', '-n', 'gone', '-o', 'jsonpath={.metadata.finalizers}']);
  if (during.code === 0) expect(during.stdout).toContain('foregroundDeletion');
  await until('the Deployment gone after its pods', async () => ((await k.run(['get', 'deployment', 'app', '-n', 'gone'])).code !== 0 ? true : undefined));
  const left = await client.list(PODS, { namespace: 'gone' });
  expect(left.items.filter((p) => !p.metadata?.deletionTimestamp)).toEqual([]);

  await k.ok(['create', 'deployment', 'again', '-n', 'gone', '--image=busybox', '--replicas=2', '--', 'sleep', 'infinity']);
  await k.ok(['rollout', 'status', '-n', 'gone', 'deployment/again', '--timeout=60s']);
  await k.ok(['delete', 'namespace', 'gone', '--wait=false']);
  const phase = await k.ok(['get', 'namespace', 'gone', '-o', 'jsonpath={.status.phase}']);
  expect(phase).toBe('Terminating');
  await until('the namespace gone', async () => ((await k.run(['get', 'namespace', 'gone'])).code !== 0 ? true : undefined));
});
