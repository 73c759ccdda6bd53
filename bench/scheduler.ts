/**
 * Scheduler benchmark (`npm run bench:scheduler`): workloads shaped like
 * kube-scheduler's scheduler_perf, through the real API path.
 *
 * Each workload boots a fresh cluster in this process (API server on the
 * embedded store, the scheduler plugin, nothing else), creates its Node
 * objects, then creates pods through the API client (32 at a time) while the
 * scheduler binds them through pods/binding. A pod counts as scheduled when a
 * watch shows it bound. Throughput is measured pods over the time from the
 * first measured pod's creation to the last one's binding (scheduler_perf's
 * SchedulingThroughput averages the same thing over time).
 *
 * - SchedulingBasic: 5,000 nodes, 10,000 pods (no init pods).
 * - NodeAffinity: 5,000 nodes in zone1, 1,000 init pods, 2,000 measured pods
 *   with required node affinity to zone1 or zone2.
 * - PodAntiAffinity: 5,000 nodes, 1,000 init pods and 1,000 measured pods with
 *   required anti-affinity on kubernetes.io/hostname.
 * - TopologySpreading: 5,000 nodes over 3 zones, 1,000 init pods, 2,000
 *   measured pods with a zone spread constraint (maxSkew 5, DoNotSchedule).
 *
 * BENCH_NODES and BENCH_SCALE (a factor on pod counts) shrink it for quick
 * runs; BENCH_WORKLOADS picks workloads (comma-separated). The last line is
 * one JSON object keyed by workload, each with `podsPerSecond`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateClusterObject } from '../kernel/config';
import { Kernel } from '../kernel/kernel';
import { silentLogger } from '../kernel/log';
import type { KubeObject } from '../kernel/api/types';
import type { ResourceType } from '../kernel/client/types';

const NODES = Number(process.env.BENCH_NODES ?? 5000);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const CLIENTS = 32;
const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const NODE: ResourceType = { group: '', version: 'v1', resource: 'nodes', kind: 'Node' };
const NAMESPACE = 'bench';
/** kube-scheduler's own thresholds in scheduler_perf for the same shapes (pods/s). */
const KUBE_THRESHOLDS: Record<string, number> = { SchedulingBasic: 680, NodeAffinity: 220, PodAntiAffinity: 60 };

type PodTemplate = (i: number) => Record<string, unknown>;

interface Workload {
  readonly nodes: number;
  readonly nodeLabels: (i: number) => Record<string, string>;
  readonly initPods: number;
  readonly initTemplate?: PodTemplate;
  readonly measuredPods: number;
  readonly template: PodTemplate;
}

const basicSpec = () => ({ containers: [{ name: 'pause', image: 'skiff/pause:3.9', resources: { requests: { cpu: '100m', memory: '500Mi' } } }] });

const workloads: Record<string, Workload> = {
  SchedulingBasic: { nodes: NODES, nodeLabels: () => ({}), initPods: 0, measuredPods: Math.round(10_000 * SCALE), template: () => ({ spec: basicSpec() }) },
  NodeAffinity: {
    nodes: NODES,
    nodeLabels: () => ({ 'topology.kubernetes.io/zone': 'zone1' }),
    initPods: Math.round(1000 * SCALE),
    measuredPods: Math.round(2000 * SCALE),
    template: () => ({
      spec: {
        ...basicSpec(),
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone1', 'zone2'] }] }] } } },
      },
    }),
  },
  PodAntiAffinity: {
    nodes: NODES,
    nodeLabels: () => ({}),
    initPods: Math.round(1000 * SCALE),
    measuredPods: Math.round(1000 * SCALE),
    template: () => ({
      metadata: { labels: { color: 'green' } },
      spec: { ...basicSpec(), affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { color: 'green' } }, topologyKey: 'kubernetes.io/hostname' }] } } },
    }),
  },
  TopologySpreading: {
    nodes: NODES,
    nodeLabels: (i) => ({ 'topology.kubernetes.io/zone': `zone${i % 3}` }),
    initPods: Math.round(1000 * SCALE),
    measuredPods: Math.round(2000 * SCALE),
    template: () => ({
      metadata: { labels: { app: 'spread' } },
      spec: { ...basicSpec(), topologySpreadConstraints: [{ maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }] },
    }),
  },
};

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

async function inParallel(count: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        await fn(i);
      }
    }),
  );
}

async function run(name: string, w: Workload): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-scheduler-'));
  const config = validateClusterObject({ apiVersion: 'skiff.dev/v1alpha1', kind: 'Cluster', dataDir, plugins: [{ name: 'scheduler' }] });
  const kernel = await Kernel.start({ config, logger: silentLogger, listen: '127.0.0.1:0' });
  const client = kernel.client;
  try {
    await client.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } } as KubeObject);
    const t0 = performance.now();
    await inParallel(w.nodes, async (i) => {
      const allocatable = { cpu: '4', memory: '32Gi', pods: '110' };
      await client.create(NODE, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, ...w.nodeLabels(i) } },
        status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True' }] },
      } as KubeObject);
    });
    const nodesSeconds = (performance.now() - t0) / 1000;

    // Count bindings as the watch reports them.
    const boundAt = new Map<string, number>();
    let resolveAll!: () => void;
    let want = 0;
    const allBound = new Promise<void>((r) => (resolveAll = r));
    const watch = client.watch(PODS, { namespace: NAMESPACE, resourceVersion: '0' }, {
      onEvent: (e) => {
        const pod = e.object as KubeObject & { spec?: { nodeName?: string } };
        if (e.type === 'BOOKMARK' || !pod.spec?.nodeName || !pod.metadata?.name || boundAt.has(pod.metadata.name)) return;
        boundAt.set(pod.metadata.name, performance.now());
        if (want > 0 && boundAt.size >= want) resolveAll();
      },
      onClose: () => undefined,
    });
    const create = (prefix: string, template: PodTemplate) => async (i: number) => {
      const t = template(i) as { metadata?: Record<string, unknown>; spec: Record<string, unknown> };
      await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${prefix}-${i}`, ...(t.metadata ?? {}) }, spec: t.spec } as KubeObject, { namespace: NAMESPACE });
    };

    // Init pods: created and scheduled first, not measured.
    if (w.initPods > 0) {
      want = w.initPods;
      await inParallel(w.initPods, create('init', w.initTemplate ?? w.template));
      await allBound;
    }
    const allMeasured = new Promise<void>((r) => (resolveAll = r));
    want = w.initPods + w.measuredPods;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await inParallel(w.measuredPods, create('pod', w.template));
    const createdSeconds = (performance.now() - start) / 1000;
    await allMeasured;
    const end = Math.max(...[...boundAt.entries()].filter(([n]) => n.startsWith('pod-')).map(([, t]) => t));
    const seconds = (end - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    watch.stop();
    const result = {
      nodes: w.nodes,
      initPods: w.initPods,
      pods: w.measuredPods,
      podsPerSecond: round(w.measuredPods / seconds),
      seconds: round(seconds, 2),
      createSeconds: round(createdSeconds, 2),
      nodesSeconds: round(nodesSeconds, 2),
      cpuPercent: round(((cpu.user + cpu.system) / 1000 / (end - start)) * 100),
      rssMB: round(process.memoryUsage().rss / 1048576),
      ...(KUBE_THRESHOLDS[name] ? { kubeSchedulerThreshold: KUBE_THRESHOLDS[name], ratioToKubeThreshold: round(w.measuredPods / seconds / KUBE_THRESHOLDS[name], 2) } : {}),
    };
    process.stdout.write(`${name}: ${JSON.stringify(result)}\n`);
    return result;
  } finally {
    await kernel.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const selected = (process.env.BENCH_WORKLOADS ?? Object.keys(workloads).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const out: Record<string, Record<string, number>> = {};
  for (const name of selected) {
    const w = workloads[name];
    if (!w) throw new Error(`BENCH_WORKLOADS: unknown workload ${JSON.stringify(name)} (known: ${Object.keys(workloads).join(', ')})`);
    out[name] = await run(name, w);
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench:scheduler failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
