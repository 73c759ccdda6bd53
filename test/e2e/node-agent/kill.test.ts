/**
 * kill -9 of the node agent (with its API server: one `skiff up` process, run
 * as a child) and a restart on the same data directory: the agent adopts
 * what runs on Docker. No container is restarted (same ids, same start
 * times), none is duplicated, and pod status is what it was; the adopted
 * pods can still be exec'd into and deleted, and new pods run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { kubectlFor, kubectlVersions, type KubectlRunner } from '../../support/kubectl';
import { RuntimeLabels } from '../../../kernel/runtime/types';
import { docker, nodeContainers, podColumns, removeNodeContainers, requireDocker, uniqueNodeName, waitFor } from './support';

jest.setTimeout(180_000);

const root = path.join(__dirname, '..', '..', '..');
const node = uniqueNodeName('node-kill');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'skiff-node-kill-'));
const children: ChildProcess[] = [];

function startCluster(): Promise<{ child: ChildProcess; kubeconfig: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', path.join(root, 'test/support/register-ts.js'), path.join(__dirname, 'fixtures/node-cluster.ts'), dataDir, node], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, kubeconfig: (JSON.parse(out.slice(0, nl)) as { kubeconfig: string }).kubeconfig });
    });
    child.once('exit', (code) => reject(new Error(`cluster exited with ${code} before serving: ${err}`)));
  });
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  await requireDocker();
});

afterAll(async () => {
  for (const c of children) await killHard(c);
  await removeNodeContainers(node);
  rmSync(dataDir, { recursive: true, force: true });
});

function pod(name: string, body: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  nodeName: ${node}\n  terminationGracePeriodSeconds: 2\n${body}`;
}

/** What must survive: per container, its engine id, start time and restart count label; per pod, its status. */
async function snapshot(k: KubectlRunner) {
  const containers = (await nodeContainers(node)).map((c) => ({ id: c.Id, state: c.State, name: `${c.Labels[RuntimeLabels.podName]}/${c.Labels[RuntimeLabels.containerName] ?? 'POD'}`, restarts: c.Labels[RuntimeLabels.restartCount] }));
  containers.sort((a, b) => (a.id < b.id ? -1 : 1));
  const pods = (JSON.parse(await k.ok(['get', 'pods', '-o', 'json'])) as { items: Pod[] }).items.map((p) => ({ name: p.metadata!.name, uid: p.metadata!.uid, status: p.status }));
  const started = await Promise.all(containers.map(async (c) => [c.id, (await docker.getContainer(c.id).inspect()).State.StartedAt] as const));
  return { containers, pods, started: Object.fromEntries(started) };
}

test('kill -9 of the agent, restart: no container restarted, none duplicated, status unchanged', async () => {
  const first = await startCluster();
  const k1 = kubectlFor(kubectlVersions().at(-1)!, first.kubeconfig);
  await k1.ok(
    ['apply', '-f', '-'],
    {
      input: [
        pod('steady', `  containers:\n  - name: app\n    image: busybox\n    command: ["sleep", "3600"]\n`),
        pod(
          'inited',
          `  volumes: [{name: w, emptyDir: {}}]\n  initContainers:\n  - name: setup\n    image: busybox\n    command: ["sh", "-c", "echo ok > /w/ready"]\n    volumeMounts: [{name: w, mountPath: /w}]\n  containers:\n  - name: app\n    image: busybox\n    command: ["sh", "-c", "cat /w/ready; sleep 3600"]\n    volumeMounts: [{name: w, mountPath: /w}]\n`,
        ),
        pod(
          'probed',
          `  containers:\n  - name: web\n    image: busybox\n    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]\n    readinessProbe:\n      httpGet: {path: /index.html, port: 8080}\n      periodSeconds: 1\n  - name: side\n    image: busybox\n    command: ["sleep", "3600"]\n`,
        ),
      ].join('\n---\n'),
    },
  );
  for (const [name, ready] of [['steady', '1/1'], ['inited', '1/1'], ['probed', '2/2']]) {
    await waitFor(`${name} Running ${ready}`, async () => {
      const c = await podColumns(k1, name);
      return c.status === 'Running' && c.ready === ready ? c : undefined;
    });
  }
  // Let status settle (the last write after readiness) before taking the picture.
  await new Promise((r) => setTimeout(r, 2000));
  const before = await snapshot(k1);
  expect(before.containers.filter((c) => c.state === 'running')).toHaveLength(7); // 3 sandboxes + 4 app containers
  expect(before.containers).toHaveLength(8); // and the completed init container

  await killHard(first.child);
  // Containers outlive the agent.
  expect((await nodeContainers(node)).filter((c) => c.State === 'running')).toHaveLength(7);

  const second = await startCluster();
  const k2 = kubectlFor(kubectlVersions()[0], second.kubeconfig);
  // Give the new agent time to act (relists every 0.5 s, probes every second) if it were going to.
  await waitFor('the node lease to be renewed by the new agent', async () => {
    const lease = JSON.parse(await k2.ok(['get', 'lease', node, '-n', 'kube-node-lease', '-o', 'json'])) as { spec: { renewTime: string } };
    return Date.parse(lease.spec.renewTime) > Date.now() - 5000 ? true : undefined;
  });
  await new Promise((r) => setTimeout(r, 4000));
  const after = await snapshot(k2);
  expect(after.containers).toEqual(before.containers);
  expect(after.started).toEqual(before.started);
  expect(after.pods).toEqual(before.pods);
  for (const name of ['steady', 'inited', 'probed']) expect((await podColumns(k2, name)).restarts).toBe(0);

  // The adopted pods are fully managed: exec works, deletion goes through, new pods run.
  expect(await k2.ok(['exec', 'inited', '-c', 'app', '--', 'cat', '/w/ready'])).toBe('ok\n');
  await k2.ok(['delete', 'pod', 'steady', '--wait=true', '--timeout=60s']);
  // Its containers go right after the pod object (the kubelet removes them after the API delete, too).
  await waitFor('steady\'s containers to be removed', async () => ((await nodeContainers(node)).some((c) => c.Labels[RuntimeLabels.podName] === 'steady') ? undefined : true), 10_000);
  await k2.ok(['apply', '-f', '-'], { input: pod('later', `  containers:\n  - name: app\n    image: busybox\n    command: ["sleep", "3600"]\n`) });
  await waitFor('later Running', async () => ((await podColumns(k2, 'later')).status === 'Running' ? true : undefined));
});
