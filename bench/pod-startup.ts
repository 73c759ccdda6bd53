/**
 * Pod startup benchmark (`npm run bench:pod-startup`), on the real Docker engine.
 *
 * - skiff: `skiff up` with the Docker runtime and one node, in a child process;
 *   30 pods (busybox, image present) created at once over HTTPS; latency from
 *   each create request to the pod being Running and Ready, as a watch sees it.
 * - docker: the same 30 containers started at once with bare `docker run`
 *   (create + start through the engine API), measured in the same run.
 * - then 100 running pods: RSS of the skiff process (API server and agent in
 *   one process) and its CPU use over 20 s of steady state.
 *
 * The last line of output is one JSON object with the figures.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { parse as parseYaml } from 'yaml';
import { HttpApiClient } from '../kernel/client/http';
import type { KubeObject } from '../kernel/api/types';

const PODS = 30;
const STEADY_PODS = 100;
const IMAGE = 'busybox:latest';
const pods = { group: '', version: 'v1', resource: 'pods' };
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

interface Latency {
  p50ms: number;
  p99ms: number;
}

function summarize(values: number[]): Latency {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  return { p50ms: Math.round(at(50)), p99ms: Math.round(at(99)) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procStat(pid: number): { rssMB: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { rssMB: Math.round(rss * 10) / 10, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

async function requireDocker(): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(`Docker engine not reachable: run scripts/start-docker (as root) (${(err as Error).message})`);
  }
  for (const image of [IMAGE, 'skiff/pause:3.9']) {
    await docker
      .getImage(image)
      .inspect()
      .catch(() => {
        throw new Error(`local image ${image} missing: run scripts/images`);
      });
  }
}

async function startSkiff(dir: string, node: string): Promise<{ child: ChildProcess; client: HttpApiClient }> {
  const config = path.join(dir, 'cluster.yaml');
  writeFileSync(
    config,
    `apiVersion: skiff.dev/v1alpha1\nkind: Cluster\ndataDir: ${dir}/data\napi:\n  listen: 127.0.0.1:0\nplugins:\n  - { name: runtime-docker, options: { offline: true } }\n  - node-agent\nnodes:\n  - name: ${node}\n    runtime: docker\n`,
  );
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'cli', 'skiff.js'), 'up', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SKIFF_LOG_LEVEL: 'warn' } });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('skiff is running')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
    child.once('exit', (code) => reject(new Error(`skiff up exited with ${code}`)));
  });
  const kc = parseYaml(readFileSync(path.join(dir, 'data', 'kubeconfig'), 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ user: { token: string } }>;
  };
  const client = new HttpApiClient({
    server: kc.clusters[0].cluster.server,
    ca: Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64'),
    token: kc.users[0].user.token,
    maxSockets: 64,
  });
  return { child, client };
}

function ready(pod: KubeObject): boolean {
  const status = (pod as { status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } }).status;
  return status?.phase === 'Running' && !!status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Create `count` pods at once; resolves with each one's create-to-Ready latency. */
async function startPods(client: HttpApiClient, node: string, prefix: string, count: number): Promise<number[]> {
  const list = await client.list(pods, { namespace: 'default' });
  const started = new Map<string, bigint>();
  const latencies = new Map<string, number>();
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const watch = client.watch(pods, { namespace: 'default', resourceVersion: list.metadata.resourceVersion }, {
    onEvent: (e) => {
      const name = e.object.metadata?.name ?? '';
      const t0 = started.get(name);
      if (t0 === undefined || latencies.has(name) || !ready(e.object)) return;
      latencies.set(name, Number(process.hrtime.bigint() - t0) / 1e6);
      if (latencies.size === count) done();
    },
    onClose: () => undefined,
  });
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `${prefix}-${i}`;
      started.set(name, process.hrtime.bigint());
      await client.create(
        pods,
        {
          metadata: { name },
          spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
        },
        { namespace: 'default' },
      );
    }),
  );
  const timeout = setTimeout(() => done(), 120_000);
  await all;
  clearTimeout(timeout);
  watch.stop();
  if (latencies.size < count) throw new Error(`only ${latencies.size} of ${count} pods became Ready within 120 s`);
  return [...latencies.values()];
}

async function deletePods(client: HttpApiClient, prefix: string, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => client.delete(pods, `${prefix}-${i}`, { namespace: 'default', gracePeriodSeconds: 0 }).catch(() => undefined)));
  for (let i = 0; i < 240; i++) {
    const left = (await client.list(pods, { namespace: 'default' })).items.filter((p) => p.metadata?.name?.startsWith(`${prefix}-`));
    if (left.length === 0) return;
    await sleep(500);
  }
}

/** Bare Docker: the same containers, created and started at once. */
async function dockerRuns(label: string, count: number): Promise<number[]> {
  const latencies = await Promise.all(
    Array.from({ length: count }, async () => {
      const t0 = process.hrtime.bigint();
      const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '3600'], Labels: { [label]: 'true' }, HostConfig: { AutoRemove: false } });
      await c.start();
      return Number(process.hrtime.bigint() - t0) / 1e6;
    }),
  );
  const mine = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(mine.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  return latencies;
}

async function main(): Promise<void> {
  await requireDocker();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-pods-'));
  const node = `bench-${process.pid}`;
  const { child, client } = await startSkiff(dir, node);
  let result: object | undefined;
  try {
    // Warm-up: one pod, so that first-use costs (connections, JIT) are not measured.
    await startPods(client, node, 'warm', 1);
    await deletePods(client, 'warm', 1);

    const skiff = summarize(await startPods(client, node, 'burst', PODS));
    console.log(`skiff: ${PODS} pods at once, create to Ready: ${JSON.stringify(skiff)}`);
    await deletePods(client, 'burst', PODS);

    const bare = summarize(await dockerRuns(`skiff.dev/bench-${process.pid}`, PODS));
    console.log(`docker: ${PODS} containers at once, create to running: ${JSON.stringify(bare)}`);

    await startPods(client, node, 'steady', STEADY_PODS);
    await sleep(5_000);
    const before = procStat(child.pid!);
    const t0 = Date.now();
    await sleep(20_000);
    const after = procStat(child.pid!);
    const seconds = (Date.now() - t0) / 1000;
    const ticksPerSecond = 100; // Linux USER_HZ
    const agentCpuPercent100Pods = Math.round(((after.cpuTicks - before.cpuTicks) / ticksPerSecond / seconds) * 1000) / 10;
    console.log(`skiff process with ${STEADY_PODS} running pods: RSS ${after.rssMB} MB, CPU ${agentCpuPercent100Pods}% of one core`);
    await deletePods(client, 'steady', STEADY_PODS);

    result = { skiff, docker: bare, ratio: Math.round((skiff.p99ms / bare.p99ms) * 100) / 100, agentRssMB100Pods: after.rssMB, agentCpuPercent100Pods };
  } finally {
    client.close();
    child.stderr!.removeAllListeners('data');
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const left = await docker.listContainers({ all: true, filters: { label: [`skiff.dev/node=${node}`] } });
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result));
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
