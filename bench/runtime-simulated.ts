/**
 * Simulated runtime memory benchmark: what it costs to hold a large
 * simulated cluster's containers in one process. Prints one JSON line.
 *
 *   npm run bench:runtime-simulated
 *   (or: node --expose-gc -r ./test/support/register-ts.js bench/runtime-simulated.ts)
 *
 * Options: --nodes N (default 1000), --pods N per node (10).
 *
 * The runtimes are built as a cluster builds them (the plugin applied, its
 * `simulated` factory called per node, on the real clock), and driven the
 * way the node agent drives them: one pull per node, then per pod a sandbox
 * and one container created and started, with the labels and a few
 * environment variables the agent sets. Measured once every container runs,
 * after a GC (run node with --expose-gc, as the npm script does), against a
 * baseline taken after loading the code. Also reported: the Node timers
 * alive at that point (none are due, so there should be none), and how long
 * creating and starting took (with the default 200 ms start delay).
 *
 * This is the runtime's share only; the node agent's own state comes on top.
 */
import 'reflect-metadata';
import { container as rootContainer } from 'tsyringe';
import { validateClusterObject } from '../kernel/config';
import type { PluginContext } from '../kernel/plugin';
import { ContainerRuntimeRegistry, RuntimeLabels, type ContainerRuntime } from '../kernel/runtime/types';
import { realClock } from '../kernel/client/clock';
import * as tokens from '../kernel/tokens';
import plugin from '../plugins/runtime-simulated';

interface Args {
  nodes: number;
  pods: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { nodes: 1000, pods: 10 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--nodes' || flag === '--pods') {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer`);
      args[flag.slice(2) as 'nodes' | 'pods'] = n;
    } else {
      throw new Error(`unknown option ${flag}`);
    }
  }
  return args;
}

const gc = (globalThis as { gc?: () => void }).gc;

function memory(): { heapUsed: number; rss: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

/** Node timers alive now (ours would show as `Timeout`). */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const nodeNames = Array.from({ length: args.nodes }, (_, i) => `sim-${String(i).padStart(4, '0')}`);
  const config = validateClusterObject({
    apiVersion: 'skiff.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'bench' },
    nodes: nodeNames.map((name) => ({ name, runtime: 'simulated' })),
  });
  const registry = new ContainerRuntimeRegistry();
  const di = rootContainer.createChildContainer();
  di.register(tokens.Clock, { useValue: realClock });
  di.register(tokens.ContainerRuntimes, { useValue: registry });
  await plugin.apply({ name: plugin.name, container: di, config } as unknown as PluginContext, {});
  const factory = registry.get('simulated')!;

  const baseline = memory();
  const began = performance.now();

  const runtimes: ContainerRuntime[] = await Promise.all(nodeNames.map((nodeName) => factory({ nodeName, settings: config.nodes.find((n) => n.name === nodeName)!, dataDir: '' })));
  const image = 'registry.example.com/shop/web:1.4.2';
  await Promise.all(runtimes.map((r) => r.pullImage(image)));

  const created = await Promise.all(
    runtimes.map(async (runtime, n) => {
      const ids: string[] = [];
      for (let p = 0; p < args.pods; p++) {
        const podName = `web-${n}-${p}`;
        const podUid = `00000000-0000-4000-8000-${String(n * args.pods + p).padStart(12, '0')}`;
        const podLabels = { app: 'web', 'pod-template-hash': '5d9c7b8f6' };
        const sandbox = await runtime.runPodSandbox({
          podUid,
          podName,
          namespace: 'default',
          hostname: podName,
          hostNetwork: false,
          portMappings: [],
          labels: {
            ...podLabels,
            [RuntimeLabels.node]: nodeNames[n]!,
            [RuntimeLabels.podUid]: podUid,
            [RuntimeLabels.podName]: podName,
            [RuntimeLabels.podNamespace]: 'default',
            [RuntimeLabels.type]: 'podsandbox',
          },
        });
        ids.push(
          await runtime.createContainer(sandbox, {
            name: 'web',
            image,
            env: [
              { name: 'PORT', value: '8080' },
              { name: 'KUBERNETES_SERVICE_HOST', value: '10.96.0.1' },
              { name: 'KUBERNETES_SERVICE_PORT', value: '443' },
            ],
            mounts: [],
            stdin: false,
            stdinOnce: false,
            tty: false,
            resources: { cpuRequestMillis: 100, memoryLimitBytes: 134217728 },
            security: {},
            labels: {
              [RuntimeLabels.node]: nodeNames[n]!,
              [RuntimeLabels.podUid]: podUid,
              [RuntimeLabels.podName]: podName,
              [RuntimeLabels.podNamespace]: 'default',
              [RuntimeLabels.containerName]: 'web',
              [RuntimeLabels.type]: 'container',
              [RuntimeLabels.restartCount]: '0',
              [RuntimeLabels.specHash]: '3f2a9c1e',
              [RuntimeLabels.containerKind]: 'app',
            },
          }),
        );
      }
      return ids;
    }),
  );
  const createdAt = performance.now();
  await Promise.all(runtimes.map((runtime, n) => Promise.all(created[n]!.map((id) => runtime.startContainer(id)))));
  const startedAt = performance.now();

  let running = 0;
  for (const runtime of runtimes) running += (await runtime.listContainers()).filter((c) => c.state === 'running').length;
  const expected = args.nodes * args.pods;
  if (running !== expected) throw new Error(`${running} of ${expected} containers are running`);

  const timersWhileIdle = activeTimers();
  const loaded = memory();
  await Promise.all(runtimes.map((r) => r.close()));
  const timersAfterClose = activeTimers();

  const result = {
    bench: 'runtime-simulated',
    node: process.version,
    gc: gc !== undefined,
    nodes: args.nodes,
    podsPerNode: args.pods,
    containersRunning: running,
    createSeconds: Math.round(createdAt - began) / 1000,
    startSeconds: Math.round(startedAt - createdAt) / 1000,
    heapUsedMB: { baseline: mb(baseline.heapUsed), loaded: mb(loaded.heapUsed), delta: mb(loaded.heapUsed - baseline.heapUsed) },
    rssMB: { baseline: mb(baseline.rss), loaded: mb(loaded.rss), delta: mb(loaded.rss - baseline.rss) },
    heapBytesPerPod: Math.round((loaded.heapUsed - baseline.heapUsed) / expected),
    timersWhileIdle,
    timersAfterClose,
  };
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
