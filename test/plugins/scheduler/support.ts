/**
 * Builders for scheduler tests: Nodes and Pods in a line each, a snapshot of
 * them, and a scheduling plugin tapped onto a fresh set of kernel hooks (the
 * fake kernel) and called back through them, the way the scheduler calls it.
 */
import type { Container, Node, Pod, Taint, Toleration, Affinity, TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import { labelSelectorFromObject } from '../../../kernel/api/selectors';
import { createKernelHooks } from '../../../kernel/hooks';
import { schedulingPlugins, tapSchedulingPlugin } from '../../../kernel/scheduling/plugins';
import type { AnySchedulingPlugin, NodeInfo, NodeScore, SchedulingStatus } from '../../../kernel/scheduling/types';
import { buildNodeInfos, cycleStateFor, profileView, Snapshot, type SchedulingCycleState } from '../../../plugins/scheduler/framework/snapshot';

export interface NodeSpec {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  images?: Array<{ names: string[]; sizeBytes: number }>;
  /** Extra allocatable resources (`example.com/gpu: '2'`). */
  extra?: Record<string, string>;
}

export function makeNode(s: NodeSpec): Node {
  const allocatable = { cpu: s.cpu ?? '4', memory: s.memory ?? '8Gi', pods: String(s.pods ?? 110), ...(s.extra ?? {}) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: s.name, uid: `uid-node-${s.name}`, labels: { 'kubernetes.io/hostname': s.name, ...(s.labels ?? {}) } },
    spec: { ...(s.taints ? { taints: s.taints } : {}), ...(s.unschedulable ? { unschedulable: true } : {}) },
    status: { capacity: allocatable, allocatable, images: s.images ?? [], conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export interface PodSpecShort {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  /** Requests of the one container (`{ cpu: '500m' }`). */
  requests?: Record<string, string>;
  containers?: Container[];
  initContainers?: Container[];
  hostPorts?: Array<number | { port: number; protocol?: string; hostIP?: string }>;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  priority?: number;
  image?: string;
  schedulerName?: string;
  uid?: string;
}

export function makePod(s: PodSpecShort): Pod {
  const ports = (s.hostPorts ?? []).map((p) => (typeof p === 'number' ? { containerPort: p, hostPort: p, protocol: 'TCP' } : { containerPort: p.port, hostPort: p.port, protocol: p.protocol ?? 'TCP', ...(p.hostIP ? { hostIP: p.hostIP } : {}) }));
  const containers = s.containers ?? [
    { name: 'app', image: s.image ?? 'busybox:1.36', ...(s.requests ? { resources: { requests: s.requests } } : {}), ...(ports.length ? { ports } : {}) },
  ];
  const ns = s.namespace ?? 'default';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: s.name, namespace: ns, uid: s.uid ?? `uid-${ns}-${s.name}`, labels: s.labels ?? {} },
    spec: {
      containers,
      ...(s.initContainers ? { initContainers: s.initContainers } : {}),
      ...(s.nodeName ? { nodeName: s.nodeName } : {}),
      ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}),
      ...(s.affinity ? { affinity: s.affinity } : {}),
      ...(s.tolerations ? { tolerations: s.tolerations } : {}),
      ...(s.topologySpreadConstraints ? { topologySpreadConstraints: s.topologySpreadConstraints } : {}),
      ...(s.priority !== undefined ? { priority: s.priority } : {}),
      schedulerName: s.schedulerName ?? 'default-scheduler',
    },
    status: { phase: s.nodeName ? 'Running' : 'Pending' },
  };
}

/**
 * A snapshot of `nodes` with `pods` placed by spec.nodeName; namespace labels
 * from `namespaces` (default: just kubernetes.io/metadata.name); `owners`
 * are label selectors of Services/ReplicaSets (`{ app: 'web' }`) that select
 * pods in any namespace (PodTopologySpread's default constraints).
 */
export function snapshotOf(nodes: Node[], pods: Pod[] = [], namespaces: Record<string, Record<string, string>> = {}, owners: Array<Record<string, string>> = []): Snapshot {
  const matchers = owners.map((o) => labelSelectorFromObject({ matchLabels: o }));
  return new Snapshot(
    buildNodeInfos(nodes, pods),
    (ns) => namespaces[ns] ?? { 'kubernetes.io/metadata.name': ns },
    (pod) => matchers.filter((m) => m.matches(pod.metadata?.labels ?? {})),
  );
}

/**
 * `plugin` tapped onto fresh kernel hooks and read back through them; calls
 * go through what the scheduler would call. `args` are the profile's args
 * for it, over its defaultArgs.
 */
export class PluginHarness {
  readonly plugin: AnySchedulingPlugin;
  readonly args: Record<string, unknown>;

  constructor(plugin: AnySchedulingPlugin, args: Record<string, unknown> = {}) {
    const hooks = createKernelHooks();
    tapSchedulingPlugin(hooks, plugin);
    const tapped = schedulingPlugins(hooks).get(plugin.name);
    if (!tapped) throw new Error(`${plugin.name} did not tap any hook`);
    this.plugin = tapped;
    this.args = { ...(plugin.defaultArgs ?? {}), ...args };
    if (plugin.validateArgs) {
      const problems = plugin.validateArgs(this.args);
      if (problems.length > 0) throw new Error(`bad args: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
    }
  }

  state(pod: Pod, snapshot: Snapshot): SchedulingCycleState {
    return cycleStateFor(pod, snapshot, profileView('default-scheduler', new Map([[this.plugin.name, this.args]])));
  }

  /** PreFilter (if any) then Filter on every node: node name → status (undefined when it fits). */
  async filterAll(pod: Pod, snapshot: Snapshot): Promise<Record<string, SchedulingStatus | undefined>> {
    const state = this.state(pod, snapshot);
    const out: Record<string, SchedulingStatus | undefined> = {};
    if (this.plugin.preFilter) {
      const r = await this.plugin.preFilter(state, pod);
      const status = r && 'code' in r ? r : r?.status;
      if (status?.code === 'Skip') {
        for (const n of snapshot.nodes) out[n.name] = undefined;
        return out;
      }
      if (status && status.code !== 'Success') {
        for (const n of snapshot.nodes) out[n.name] = status;
        return out;
      }
    }
    for (const n of snapshot.nodes) {
      const s = this.plugin.filter!(state, pod, n);
      out[n.name] = s && s.code !== 'Success' ? s : undefined;
    }
    return out;
  }

  /** PreScore (if any), Score on `nodes` (default: all), then NormalizeScore: node name → score. */
  async scoreAll(pod: Pod, snapshot: Snapshot, nodes: readonly NodeInfo[] = snapshot.nodes): Promise<Record<string, number>> {
    const state = this.state(pod, snapshot);
    if (this.plugin.preFilter) await this.plugin.preFilter(state, pod);
    if (this.plugin.preScore) {
      const s = await this.plugin.preScore(state, pod, nodes);
      if (s?.code === 'Skip') return Object.fromEntries(nodes.map((n) => [n.name, 0]));
    }
    const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: this.plugin.score!(state, pod, n) }));
    this.plugin.normalizeScore?.(state, pod, scores);
    return Object.fromEntries(scores.map((s) => [s.name, s.score]));
  }
}
