/**
 * The default distribution (examples/cluster.yaml) as the README's boot
 * command brings it up: the scheduler places pods on the Docker node, so
 * `kubectl apply` of examples/pods/web.yaml and `kubectl run` work without
 * naming a node, and the controllers run a Deployment on real containers.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startCluster, type TestCluster } from '../support/cluster';
import type { KubectlRunner } from '../support/kubectl';
import { oldestAndNewest, podColumns, removeNodeContainers, requireDocker, uniqueNodeName, waitFor } from './node-agent/support';

jest.setTimeout(180_000);

const root = path.join(__dirname, '..', '..');
const node = uniqueNodeName('default-dist');
let cluster: TestCluster;
let k: KubectlRunner;

beforeAll(async () => {
  await requireDocker();
  const file = path.join(root, 'examples', 'cluster.yaml');
  const raw = parseYaml(readFileSync(file, 'utf8')) as { nodes: Array<{ name: string }>; api?: Record<string, unknown>; dataDir?: string };
  // The example as written, on its own node name (containers are labelled with it) and an ephemeral port.
  expect(raw.nodes.map((n) => n.name)).toEqual(['node-1']);
  raw.nodes[0].name = node;
  delete raw.dataDir;
  cluster = await startCluster({ source: file, config: raw as Record<string, unknown> });
  const runners = oldestAndNewest(cluster.kubeconfig);
  k = runners[runners.length - 1];
});

afterAll(async () => {
  await cluster?.destroy();
  await removeNodeContainers(node);
});

test('kubectl apply of examples/pods/web.yaml and kubectl run: scheduled onto the Docker node and Running', async () => {
  await k.ok(['apply', '-f', path.join(root, 'examples', 'pods', 'web.yaml')]);
  await k.ok(['run', 'hello', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'echo hello from kubectl run; sleep 3600']);
  for (const [name, ready] of [['web', '2/2'], ['hello', '1/1']]) {
    const cols = await waitFor(`${name} Running`, async () => {
      const c = await podColumns(k, name);
      return c.status === 'Running' && c.ready === ready ? c : undefined;
    });
    expect(cols.node).toBe(node);
  }
  const events = await k.ok(['get', 'events', '--field-selector', 'involvedObject.name=hello,reason=Scheduled', '-o', 'jsonpath={.items[0].message}']);
  expect(events).toBe(`Successfully assigned default/hello to ${node}`);
  expect(await waitFor('hello logs', async () => (await k.ok(['logs', 'hello'])) || undefined)).toBe('hello from kubectl run\n');
  await k.ok(['delete', 'pod', 'web', 'hello', '--grace-period=1']);
});

test('kubectl create deployment: the controllers and the scheduler run it on Docker, rollout status and scale work', async () => {
  await k.ok(['create', 'deployment', 'hello-dep', '--image=busybox', '--replicas=2', '--', 'sleep', '3600']);
  const status = await k.ok(['rollout', 'status', 'deployment/hello-dep', '--timeout=120s']);
  expect(status).toContain('successfully rolled out');
  const pods = await k.ok(['get', 'pods', '-l', 'app=hello-dep', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {.status.phase}{"\\n"}{end}']);
  expect(pods.trim().split('\n')).toEqual([`${node} Running`, `${node} Running`]);
  await k.ok(['scale', 'deployment/hello-dep', '--replicas=1']);
  await waitFor('one pod left', async () => {
    const names = (await k.ok(['get', 'pods', '-l', 'app=hello-dep', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name,DELETING:.metadata.deletionTimestamp'])).trim().split('\n');
    return names.filter((l) => l.endsWith('<none>')).length === 1 ? true : undefined;
  });
  // Background cascade: the ReplicaSet and its pod go with the Deployment.
  await k.ok(['delete', 'deployment', 'hello-dep']);
  // ("No resources found" goes to stderr.)
  await waitFor('the ReplicaSet gone', async () => ((await k.ok(['get', 'replicasets', '-l', 'app=hello-dep', '--no-headers'], { allowStderr: true })).trim() === '' ? true : undefined));
});
