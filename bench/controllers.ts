/**
 * Controller benchmark (`npm run bench:controllers`): 100 Deployments of 10
 * replicas (1,000 pods) on 50 nodes of the simulated runtime, through one
 * `skiff up` (API server, scheduler, controller manager and the 50 node
 * agents in one process, as the default distribution runs them).
 *
 * Measures the time from the first Deployment's creation until every one
 * reports 10 available replicas, the API writes per pod meanwhile (store
 * revisions consumed, divided by the pods), and the process's RSS before and
 * after. skiff's controller manager is a plugin of that process, not a
 * process of its own, so its RSS is reported as the process's growth from
 * idle to 1,000 pods (`rssGrowthMB`) next to the whole (`rssMB`).
 *
 * BENCH_DEPLOYMENTS, BENCH_REPLICAS and BENCH_NODES shrink it for quick
 * runs. The last line is one JSON object with the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeObject } from '../kernel/api/types';
import { procStat, startServer } from './support/server';

const DEPLOYMENTS = Number(process.env.BENCH_DEPLOYMENTS ?? 100);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 10);
const NODES = Number(process.env.BENCH_NODES ?? 50);
const TIMEOUT_SECONDS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 600);
const CLIENTS = 16;
const NAMESPACE = 'bench';
const deployments = { group: 'apps', version: 'v1', resource: 'deployments' };
const namespaces = { group: '', version: 'v1', resource: 'namespaces' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-controllers-'));
  const nodes = Array.from({ length: NODES }, (_, i) => `  - { name: sim-${i}, runtime: simulated }`).join('\n');
  const server = await startServer(
    dir,
    `apiVersion: skiff.dev/v1alpha1\nkind: Cluster\ndataDir: ${dir}/data\napi:\n  listen: 127.0.0.1:0\nplugins: [runtime-simulated, node-agent, scheduler, controllers]\nnodes:\n${nodes}\n`,
    CLIENTS + 4,
  );
  const { child, client } = server;
  try {
    // Every node registered and Ready before the clock starts.
    for (;;) {
      const list = await client.list({ group: '', version: 'v1', resource: 'nodes' });
      const ready = list.items.filter((n) => ((n as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
      if (ready.length >= NODES) break;
      await sleep(200);
    }
    await client.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } } as KubeObject);
    await sleep(2000);
    const idle = procStat(child.pid!);
    const before = Number((await client.list(deployments, { namespace: NAMESPACE, limit: 1 })).metadata?.resourceVersion);

    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = next++; i < DEPLOYMENTS; i = next++) {
          await client.create(
            deployments,
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              metadata: { name: `app-${i}` },
              spec: {
                replicas: REPLICAS,
                selector: { matchLabels: { app: `app-${i}` } },
                template: {
                  metadata: { labels: { app: `app-${i}` } },
                  spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', 'infinity'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
                },
              },
            } as KubeObject,
            { namespace: NAMESPACE },
          );
        }
      }),
    );
    const created = performance.now();
    let available = 0;
    for (;;) {
      const list = await client.list(deployments, { namespace: NAMESPACE });
      available = list.items.filter((d) => ((d as { status?: { availableReplicas?: number } }).status?.availableReplicas ?? 0) >= REPLICAS).length;
      if (available >= DEPLOYMENTS) break;
      if ((performance.now() - start) / 1000 > TIMEOUT_SECONDS) throw new Error(`only ${available} of ${DEPLOYMENTS} Deployments available after ${TIMEOUT_SECONDS} s`);
      await sleep(250);
    }
    const seconds = (performance.now() - start) / 1000;
    const after = Number((await client.list(deployments, { namespace: NAMESPACE, limit: 1 })).metadata?.resourceVersion);
    await sleep(1000);
    const end = procStat(child.pid!);
    const pods = DEPLOYMENTS * REPLICAS;
    const result = {
      deployments: DEPLOYMENTS,
      replicas: REPLICAS,
      pods,
      nodes: NODES,
      secondsToAvailable: round(seconds, 2),
      createSeconds: round((created - start) / 1000, 2),
      apiWritesPerPod: round((after - before) / pods, 2),
      idleRssMB: idle.rssMB,
      rssMB: end.rssMB,
      rssGrowthMB: round(end.rssMB - idle.rssMB),
      heapUsedMB: round((server.memory()?.heapUsed ?? 0) / 1048576),
    };
    process.stdout.write(`${DEPLOYMENTS} Deployments of ${REPLICAS} available in ${result.secondsToAvailable} s on ${NODES} simulated nodes\n`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench:controllers failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
