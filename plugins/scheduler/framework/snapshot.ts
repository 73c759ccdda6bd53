/**
 * The cluster as one scheduling attempt sees it (ClusterSnapshot), and the
 * attempt's CycleState. Both are cheap to build: the scheduler makes one
 * snapshot per change of its cache and one CycleState per attempt.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { ClusterSnapshot, CycleState, ImageState, NodeInfo, PodInfo, SchedulingProfile } from '../../../kernel/scheduling/types';
import type { LabelMatcher } from '../../../kernel/api/selectors';
import { MutableNodeInfo } from './node-info';
import { computePodInfo } from './pod-info';

export class Snapshot implements ClusterSnapshot {
  private byName?: Map<string, NodeInfo>;
  private withAffinity?: NodeInfo[];
  private withAntiAffinity?: NodeInfo[];

  constructor(
    readonly nodes: readonly NodeInfo[],
    private readonly namespaces: (ns: string) => Readonly<Record<string, string>> | undefined = () => undefined,
    private readonly selectors: (pod: Pod) => readonly LabelMatcher[] = () => [],
    /** Lists kept by the caller (the scheduler's cache keeps them as pods come and go); computed from `nodes` otherwise. */
    lists?: { withAffinity: readonly NodeInfo[]; withRequiredAntiAffinity: readonly NodeInfo[] },
  ) {
    if (lists) {
      this.withAffinity = lists.withAffinity as NodeInfo[];
      this.withAntiAffinity = lists.withRequiredAntiAffinity as NodeInfo[];
    }
  }

  selectorsFor(pod: Pod): readonly LabelMatcher[] {
    return this.selectors(pod);
  }

  get(nodeName: string): NodeInfo | undefined {
    if (!this.byName) this.byName = new Map(this.nodes.map((n) => [n.name, n]));
    return this.byName.get(nodeName);
  }

  get nodesWithAffinityPods(): readonly NodeInfo[] {
    return (this.withAffinity ??= this.nodes.filter((n) => n.podsWithAffinity.length > 0));
  }

  get nodesWithRequiredAntiAffinityPods(): readonly NodeInfo[] {
    return (this.withAntiAffinity ??= this.nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0));
  }

  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.namespaces(namespace);
  }
}

/** A profile view over `args` by plugin name (defaults already applied). */
export function profileView(schedulerName: string, args: ReadonlyMap<string, unknown> = new Map()): SchedulingProfile {
  return {
    schedulerName,
    args<T>(plugin: string): T | undefined {
      return args.get(plugin) as T | undefined;
    },
  };
}

export class SchedulingCycleState implements CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose PreFilter/PreScore returned Skip for this attempt. */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();

  constructor(
    readonly snapshot: ClusterSnapshot,
    readonly profile: SchedulingProfile,
    readonly podInfo: PodInfo,
  ) {}

  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write<T>(key: string, value: T): void {
    this.data.set(key, value);
  }

  /** A copy whose writes do not show in this one (preemption evaluates candidates on clones). */
  clone(snapshot: ClusterSnapshot = this.snapshot): SchedulingCycleState {
    const c = new SchedulingCycleState(snapshot, this.profile, this.podInfo);
    for (const [k, v] of this.data) c.data.set(k, v && typeof v === 'object' && typeof (v as { clone?: unknown }).clone === 'function' ? (v as { clone(): unknown }).clone() : v);
    for (const s of this.skipFilter) c.skipFilter.add(s);
    for (const s of this.skipScore) c.skipScore.add(s);
    return c;
  }
}

/**
 * Image states for a set of nodes as kube-scheduler keeps them: per image
 * name the size on that node and on how many nodes the image is present.
 */
export function imageStatesFor(nodes: readonly Node[]): Map<string, Map<string, ImageState>> {
  const count = new Map<string, number>();
  for (const n of nodes) {
    const names = new Set<string>();
    for (const image of n.status?.images ?? []) for (const name of image.names ?? []) names.add(name);
    for (const name of names) count.set(name, (count.get(name) ?? 0) + 1);
  }
  const out = new Map<string, Map<string, ImageState>>();
  for (const n of nodes) {
    const states = new Map<string, ImageState>();
    for (const image of n.status?.images ?? []) for (const name of image.names ?? []) states.set(name, { sizeBytes: image.sizeBytes ?? 0, numNodes: count.get(name) ?? 1 });
    out.set(n.metadata?.name ?? '', states);
  }
  return out;
}

/** Build NodeInfos from Node objects and the pods bound to them (spec.nodeName), as tests and benchmarks do. */
export function buildNodeInfos(nodes: readonly Node[], pods: readonly Pod[] = []): MutableNodeInfo[] {
  const images = imageStatesFor(nodes);
  const infos = nodes.map((n) => {
    const info = new MutableNodeInfo(n.metadata?.name ?? '', n);
    info.setNode(n, images.get(n.metadata?.name ?? ''));
    return info;
  });
  const byName = new Map(infos.map((i) => [i.name, i]));
  for (const p of pods) {
    const target = p.spec?.nodeName ? byName.get(p.spec.nodeName) : undefined;
    if (target) target.addPod(p);
  }
  return infos;
}

/** A CycleState for scheduling `pod` against `nodes` (tests and benchmarks). */
export function cycleStateFor(pod: Pod, snapshot: ClusterSnapshot, profile: SchedulingProfile = profileView('default-scheduler')): SchedulingCycleState {
  return new SchedulingCycleState(snapshot, profile, computePodInfo(pod));
}
