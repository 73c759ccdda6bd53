/**
 * `skiff agent` on the real Docker engine: a node agent in a process of its
 * own joins a running cluster over HTTPS with a token, registers its Node,
 * runs a pod, and serves `kubectl logs` and `kubectl exec` through the API
 * server's relay to its kubelet endpoint; stopping it leaves the containers
 * running.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startCluster, TestCluster } from '../support/cluster';
import { kubectlFor, kubectlVersions, KubectlRunner } from '../support/kubectl';
import { nodeContainers, removeNodeContainers, requireDocker, uniqueNodeName, waitFor } from './node-agent/support';

const root = path.join(__dirname, '..', '..');
const node = uniqueNodeName('agent');
let cluster: TestCluster;
let child: ChildProcess | undefined;
let output = '';
let kubectl: KubectlRunner;

beforeAll(async () => {
  await requireDocker();
  cluster = await startCluster();
  const tokenFile = path.join(cluster.dataDir, 'agent-token');
  writeFileSync(tokenFile, cluster.kernel.adminBearerToken);
  const caFile = path.join(cluster.dataDir, 'agent-ca.crt');
  writeFileSync(caFile, cluster.kernel.caCertificate!);
  child = spawn(
    process.execPath,
    [
      '-r', path.join(root, 'test/support/register-ts.js'), path.join(root, 'cli/skiff.ts'), 'agent',
      '--server', cluster.url, '--token-file', tokenFile, '--certificate-authority', caFile,
      '--node-name', node, '--runtime', 'docker', '--data-dir', path.join(cluster.dataDir, 'agent'),
      '--address', '127.0.0.1', '--kubelet-port', '0', '--label', 'tier=remote', '--offline',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SKIFF_LOG_LEVEL: 'warn' } },
  );
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const versions = kubectlVersions();
  kubectl = kubectlFor(versions[versions.length - 1], cluster.kubeconfig);
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
  }
  await removeNodeContainers(node);
  await cluster?.destroy();
});

const nodes = { group: '', version: 'v1', resource: 'nodes' };
const pods = { group: '', version: 'v1', resource: 'pods' };

test('the agent registers its Node, Ready, with its kubelet endpoint and labels', async () => {
  const registered = await waitFor(`node ${node} Ready (agent output: ${output})`, async () => {
    const n = (await cluster.kernel.client.get(nodes, node).catch(() => undefined)) as
      | { metadata: { labels: Record<string, string> }; status?: { conditions?: Array<{ type: string; status: string }>; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } }
      | undefined;
    return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
  });
  expect(registered.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': node, tier: 'remote' });
  expect(registered.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBeGreaterThan(0);
  expect(output).toContain(`skiff agent: node ${node} is up`);
});

test('a pod runs on the remote node; kubectl logs and exec go through the relay', async () => {
  await cluster.kernel.client.create(
    pods,
    { metadata: { name: 'remote-pod' }, spec: { nodeName: node, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo hello from the remote node; sleep 3600'] }] } },
    { namespace: 'default' },
  );
  await waitFor('remote-pod Running', async () => {
    const p = (await cluster.kernel.client.get(pods, 'remote-pod', { namespace: 'default' })) as { status?: { phase?: string } };
    return p.status?.phase === 'Running' ? true : undefined;
  });
  const logs = await waitFor('the log line', async () => {
    const r = await kubectl.run(['logs', 'remote-pod']);
    return r.code === 0 && r.stdout.includes('hello') ? r.stdout : undefined;
  });
  expect(logs).toBe('hello from the remote node\n');
  expect(await kubectl.ok(['exec', 'remote-pod', '--', 'sh', '-c', 'echo $((6*7))'])).toBe('42\n');
  expect(await kubectl.ok(['exec', '-i', 'remote-pod', '--', 'cat'], { input: 'round trip\n' })).toBe('round trip\n');
});

test('stopping the agent leaves its containers running', async () => {
  const before = (await nodeContainers(node)).filter((c) => c.State === 'running').map((c) => c.Id).sort();
  expect(before.length).toBeGreaterThanOrEqual(2);
  child!.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
  expect(code).toBe(0);
  const after = (await nodeContainers(node)).filter((c) => c.State === 'running').map((c) => c.Id).sort();
  expect(after).toEqual(before);
});
