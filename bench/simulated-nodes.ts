/**
 * Simulated cluster benchmark (`npm run bench:simulated-nodes`): what one
 * `skiff up` process costs holding a large cluster of simulated nodes
 * (issue 3: 1,000 nodes with 10 pods each in under 1 GB).
 *
 * Boots `skiff up` with `plugins: [runtime-simulated, node-agent]` and
 * BENCH_NODES nodes (default 1,000) in a child process, then from this
 * process over HTTPS:
 * - creates BENCH_PODS_PER_NODE pods per node (default 10; busybox
 *   `sleep infinity`, `spec.nodeName` set) with 32 concurrent clients;
 * - waits until every pod is Running and Ready (paged lists, then a watch
 *   from the list's resourceVersion; a watch that ends relists);
 * - waits BENCH_SETTLE_SECONDS (default 30) for steady state, then measures
 *   the server's CPU over BENCH_CPU_SECONDS (default 20), the API writes per
 *   second meanwhile (store revisions), and its RSS.
 *
 * The server logs `process.memoryUsage()` (SKIFF_MEMORY_LOG_MS), which is
 * where `heapUsedMB` comes from. BENCH_SERVER_NODE_ARGS passes extra flags to
 * the server's node (e.g. `--heapsnapshot-signal=SIGUSR2`, `--cpu-prof` or
 * `--trace-gc`) for profiling runs; BENCH_SERVER_STDOUT names a file for the
 * server's standard output.
 *
 * The last line of output is one JSON object with the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HttpApiClient } from '../kernel/client/http';
import type { KubeObject } from '../kernel/api/types';
import { procStat, startServer, type Server } from './support/server';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const PODS_PER_NODE = Number(process.env.BENCH_PODS_PER_NODE ?? 10);
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_SECONDS ?? 30);
const CPU_SECONDS = Number(process.env.BENCH_CPU_SECONDS ?? 20);
const READY_TIMEOUT_SECONDS = Number(process.env.BENCH_READY_TIMEOUT_SECONDS ?? 900);
const CLIENTS = 32;
const NAMESPACE = 'bench';
const pods = { group: '', version: 'v1', resource: 'pods' };
const namespaces = { group: '', version: 'v1', resource: 'namespaces' };
const nodesType = { group: '', version: 'v1', resource: 'nodes' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const nodeName = (i: number) => `sim-${i}`;

async function startSimulatedCluster(dir: string): Promise<Server> {
  const nodes = Array.from({ length: NODES }, (_, i) => `  - { name: ${nodeName(i)}, runtime: simulated }`).join('\n');
  return startServer(dir, `apiVersion: skiff.dev/v1alpha1\nkind: Cluster\ndataDir: ${dir}/data\napi:\n  listen: 127.0.0.1:0\nplugins: [runtime-simulated, node-agent]\nnodes:\n${nodes}\n`, CLIENTS + 4);
}

function runningAndReady(pod: KubeObject): boolean {
  const status = (pod as { status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } }).status;
  return status?.phase === 'Running' && !!status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Create `total` pods over CLIENTS concurrent loops, round-robin over the nodes. */
async function createPods(client: HttpApiClient, total: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < total; i = next++) {
        await client.create(
          pods,
          {
            metadata: { name: `pod-${i}` },
            spec: { nodeName: nodeName(i % NODES), containers: [{ name: 'main', image: 'busybox', command: ['sleep', 'infinity'] }] },
          },
          { namespace: NAMESPACE },
        );
      }
    }),
  );
}

/** Paged list of the namespace's pods: the Ready set and the list's resourceVersion. */
async function listReady(client: HttpApiClient): Promise<{ ready: Set<string>; resourceVersion: string }> {
  const ready = new Set<string>();
  let cont: string | undefined;
  let resourceVersion = '';
  do {
    const page = await client.list(pods, { namespace: NAMESPACE, limit: 500, continue: cont });
    for (const pod of page.items) if (runningAndReady(pod)) ready.add(pod.metadata!.name!);
    resourceVersion = page.metadata.resourceVersion ?? resourceVersion;
    cont = page.metadata.continue || undefined;
  } while (cont);
  return { ready, resourceVersion };
}

/** Resolves once `total` pods are Running and Ready. */
async function waitAllReady(client: HttpApiClient, total: number, deadline: number): Promise<void> {
  for (;;) {
    const { ready, resourceVersion } = await listReady(client);
    if (ready.size >= total) return;
    console.log(`${ready.size} of ${total} pods Running and Ready; watching`);
    // Watch until all are ready, or until the watch ends (then relist).
    const allReady = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), Math.max(0, deadline - Date.now()));
      const finish = (done: boolean) => {
        clearTimeout(timer);
        handle.stop();
        resolve(done);
      };
      const handle = client.watch(pods, { namespace: NAMESPACE, resourceVersion }, {
        onEvent: (e) => {
          const name = e.object.metadata?.name;
          if (!name || e.type === 'BOOKMARK') return;
          if (e.type !== 'DELETED' && runningAndReady(e.object)) ready.add(name);
          else ready.delete(name);
          if (ready.size >= total) finish(true);
        },
        onClose: () => finish(false),
      });
    });
    if (allReady) return;
    if (Date.now() > deadline) throw new Error(`not all ${total} pods became Running and Ready within ${READY_TIMEOUT_SECONDS} s`);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-simulated-'));
  const totalPods = NODES * PODS_PER_NODE;
  const bootStarted = Date.now();
  const server = await startSimulatedCluster(dir);
  const { child, client } = server;
  let result: object | undefined;
  try {
    const nodeList = await client.list(nodesType, {});
    if (nodeList.items.length !== NODES) throw new Error(`${nodeList.items.length} of ${NODES} nodes registered`);
    const bootSeconds = round((Date.now() - bootStarted) / 1000);
    await sleep(5000);
    const idle = procStat(child.pid!);
    console.log(`${NODES} nodes up in ${bootSeconds} s; idle RSS ${idle.rssMB} MB`);

    await client.create(namespaces, { metadata: { name: NAMESPACE } });
    const t0 = Date.now();
    await createPods(client, totalPods);
    const createSeconds = round((Date.now() - t0) / 1000);
    console.log(`${totalPods} pods created in ${createSeconds} s`);
    await waitAllReady(client, totalPods, t0 + READY_TIMEOUT_SECONDS * 1000);
    const allRunningSeconds = round((Date.now() - t0) / 1000);
    console.log(`all ${totalPods} pods Running and Ready ${allRunningSeconds} s after the first create`);

    await sleep(SETTLE_SECONDS * 1000);
    const revision = async () => Number((await client.list(namespaces, { limit: 1 })).metadata.resourceVersion);
    const rv0 = await revision();
    const before = procStat(child.pid!);
    const c0 = Date.now();
    await sleep(CPU_SECONDS * 1000);
    const after = procStat(child.pid!);
    // Every write is one store revision: leases, node and pod status, events.
    const writesPerSecondSteady = round((await revision() - rv0) / ((Date.now() - c0) / 1000));
    const ticksPerSecond = 100; // Linux USER_HZ
    const cpuPercentSteady = round(((after.cpuTicks - before.cpuTicks) / ticksPerSecond / ((Date.now() - c0) / 1000)) * 100);
    const memory = server.memory();
    if (memory) console.log(`server memory (MB): ${Object.entries(memory).map(([k, v]) => `${k} ${round(v / 1048576)}`).join(', ')}`);
    result = {
      nodes: NODES,
      pods: totalPods,
      bootSeconds,
      idleRssMB: idle.rssMB,
      createSeconds,
      allRunningSeconds,
      rssMB: after.rssMB,
      peakRssMB: after.peakRssMB,
      cpuPercentSteady,
      writesPerSecondSteady,
      ...(memory ? { heapUsedMB: round(memory.heapUsed / 1048576) } : {}),
    };
  } finally {
    client.close();
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    clearTimeout(killer);
    if (!process.env.BENCH_KEEP_DIR) rmSync(dir, { recursive: true, force: true });
    else console.log(`data kept in ${dir}`);
  }
  // The figures are the last line of output, after the server has stopped.
  console.log(JSON.stringify(result));
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
