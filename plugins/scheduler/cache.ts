/**
 * The scheduler's cache (kube-scheduler's internal cache): every node with the
 * pods bound to it, plus the pods the scheduler has assumed onto a node and
 * not yet seen bound, so that consecutive decisions see each other; and what
 * plugins read besides nodes (namespace labels, the selectors of Services,
 * ReplicaSets and StatefulSets, nominated pods).
 *
 * Informer events change it between scheduling cycles only: while a cycle
 * runs (`hold()`), they are queued and applied when it ends, so a cycle sees
 * one consistent cluster.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { labelSelectorFromObject, type LabelMatcher } from '../../kernel/api/selectors';
import type { ImageState, PodInfo } from '../../kernel/scheduling/types';
import { MutableNodeInfo } from './framework/node-info';
import { computePodInfo } from './framework/pod-info';
import { Snapshot } from './framework/snapshot';

interface CachedPod {
  pod: Pod;
  nodeName: string;
  /** Assumed by this scheduler, not yet seen bound by the informer. */
  assumed: boolean;
}

/** An image's state on one node: its size there, and (live) on how many nodes it is. */
class NodeImageState implements ImageState {
  constructor(
    readonly sizeBytes: number,
    private readonly nodes: ReadonlySet<string>,
  ) {}

  get numNodes(): number {
    return this.nodes.size;
  }
}

const ZONE_LABELS = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone'];

function zoneOf(node: Node): string {
  const labels = node.metadata?.labels ?? {};
  return ZONE_LABELS.map((k) => labels[k] ?? '').join(':');
}

/** Selectors by namespace, of one kind of owner. */
type OwnerSelectors = Map<string, Map<string, LabelMatcher>>;

export class SchedulerCache {
  private readonly nodes = new Map<string, MutableNodeInfo>();
  private readonly pods = new Map<string, CachedPod>();
  /** Image name → nodes that have it. */
  private readonly imageNodes = new Map<string, Set<string>>();
  private readonly namespaces = new Map<string, Readonly<Record<string, string>>>();
  private readonly owners: OwnerSelectors = new Map();
  /** Pods with status.nominatedNodeName, by node, then uid. */
  private readonly nominated = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNode = new Map<string, string>();
  /** Pods bound to nodes the cache does not know yet (the pod's informer event came first). */
  private readonly orphans = new Map<string, MutableNodeInfo>();
  private ordered?: MutableNodeInfo[];
  /**
   * Nodes (known ones, not orphans) with pods that have (anti)affinity, kept
   * as pods come and go: InterPodAffinity reads them for every pod. Arrays in
   * the order nodes gained such pods (the counts built from them do not
   * depend on order).
   */
  private readonly affinityLists = { withAffinity: [] as MutableNodeInfo[], withRequiredAntiAffinity: [] as MutableNodeInfo[] };
  private current?: Snapshot;
  private holds = 0;
  private deferred: Array<() => void> = [];

  // ---- consistency ----

  /** Defer informer changes until `release()` (a scheduling cycle is running). */
  hold(): void {
    this.holds++;
  }

  release(): void {
    if (--this.holds > 0) return;
    const pending = this.deferred;
    this.deferred = [];
    for (const fn of pending) fn();
  }

  /** Run an informer-driven change now, or when the running cycle ends. */
  apply(fn: () => void): void {
    if (this.holds > 0) this.deferred.push(fn);
    else fn();
  }

  private changed(orderChanged = false): void {
    this.current = undefined;
    if (orderChanged) this.ordered = undefined;
  }

  // ---- nodes ----

  get nodeCount(): number {
    return this.nodes.size;
  }

  addOrUpdateNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    let info = this.nodes.get(name);
    const zoneChanged = !info || zoneOf(info.node) !== zoneOf(node);
    if (!info) {
      info = this.orphans.get(name) ?? new MutableNodeInfo(name);
      this.orphans.delete(name);
      this.nodes.set(name, info);
      this.listed(this.affinityLists.withAffinity, info, false, info.podsWithAffinity.length > 0);
      this.listed(this.affinityLists.withRequiredAntiAffinity, info, false, info.podsWithRequiredAntiAffinity.length > 0);
    }
    info.setNode(node, this.imageStatesFor(name, info.node, node));
    this.changed(zoneChanged);
  }

  removeNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    this.nodes.delete(name);
    this.listed(this.affinityLists.withAffinity, info, info.podsWithAffinity.length > 0, false);
    this.listed(this.affinityLists.withRequiredAntiAffinity, info, info.podsWithRequiredAntiAffinity.length > 0, false);
    for (const image of info.node.status?.images ?? []) for (const n of image.names ?? []) this.imageNodes.get(n)?.delete(name);
    // Pods still bound to it stay accounted for if the node comes back.
    if (info.pods.length > 0) this.orphans.set(name, info);
    this.changed(true);
  }

  private imageStatesFor(nodeName: string, before: Node, after: Node): Map<string, ImageState> {
    for (const image of before.status?.images ?? []) for (const n of image.names ?? []) this.imageNodes.get(n)?.delete(nodeName);
    const states = new Map<string, ImageState>();
    for (const image of after.status?.images ?? []) {
      for (const n of image.names ?? []) {
        let set = this.imageNodes.get(n);
        if (!set) {
          set = new Set();
          this.imageNodes.set(n, set);
        }
        set.add(nodeName);
        states.set(n, new NodeImageState(image.sizeBytes ?? 0, set));
      }
    }
    return states;
  }

  nodeInfo(name: string): MutableNodeInfo | undefined {
    return this.nodes.get(name);
  }

  // ---- pods ----

  private infoFor(nodeName: string): MutableNodeInfo {
    let info = this.nodes.get(nodeName) ?? this.orphans.get(nodeName);
    if (!info) {
      info = new MutableNodeInfo(nodeName);
      this.orphans.set(nodeName, info);
    }
    return info;
  }

  /** A pod the informer saw bound to a node (new, or an update): replaces an assumed copy. */
  addOrUpdateBoundPod(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const nodeName = pod.spec?.nodeName ?? '';
    const cached = this.pods.get(uid);
    if (cached) this.track(this.infoFor(cached.nodeName), () => this.infoFor(cached.nodeName).removePod(uid));
    const info = this.infoFor(nodeName);
    this.track(info, () => info.addPod(pod));
    this.pods.set(uid, { pod, nodeName, assumed: false });
    this.changed();
  }

  removePod(uid: string): boolean {
    const cached = this.pods.get(uid);
    if (!cached) return false;
    const info = this.infoFor(cached.nodeName);
    this.track(info, () => info.removePod(uid));
    this.pods.delete(uid);
    this.changed();
    return true;
  }

  /** Change a node's pods, keeping the affinity node lists in step. */
  private track(info: MutableNodeInfo, change: () => unknown): void {
    const affinity = info.podsWithAffinity.length > 0;
    const anti = info.podsWithRequiredAntiAffinity.length > 0;
    change();
    if (!this.nodes.has(info.name) || this.nodes.get(info.name) !== info) return;
    this.listed(this.affinityLists.withAffinity, info, affinity, info.podsWithAffinity.length > 0);
    this.listed(this.affinityLists.withRequiredAntiAffinity, info, anti, info.podsWithRequiredAntiAffinity.length > 0);
  }

  private listed(list: MutableNodeInfo[], info: MutableNodeInfo, before: boolean, after: boolean): void {
    if (before === after) return;
    if (after) list.push(info);
    else {
      const i = list.indexOf(info);
      if (i >= 0) {
        list[i] = list[list.length - 1];
        list.pop();
      }
    }
  }

  /** The scheduler chose `nodeName` for the pod: account for it before the binding is done. */
  assume(podInfo: PodInfo, nodeName: string): Pod {
    const uid = podInfo.pod.metadata?.uid ?? '';
    const pod: Pod = { ...podInfo.pod, spec: { ...podInfo.pod.spec!, nodeName } };
    const info: PodInfo = { ...podInfo, pod };
    const node = this.infoFor(nodeName);
    this.track(node, () => node.addPod(info));
    this.pods.set(uid, { pod, nodeName, assumed: true });
    this.changed();
    return pod;
  }

  /** The binding failed: take the assumed pod off its node. */
  forget(uid: string): void {
    const cached = this.pods.get(uid);
    if (!cached || !cached.assumed) return;
    this.removePod(uid);
  }

  isAssumed(uid: string): boolean {
    return this.pods.get(uid)?.assumed === true;
  }

  /** A bound or assumed pod (by uid). */
  boundPod(uid: string): Pod | undefined {
    return this.pods.get(uid)?.pod;
  }

  get podCount(): number {
    return this.pods.size;
  }

  // ---- namespaces and owners ----

  setNamespace(name: string, labels: Readonly<Record<string, string>> | undefined): void {
    if (labels === undefined) this.namespaces.delete(name);
    else this.namespaces.set(name, labels);
  }

  /** A Service, ReplicaSet or StatefulSet's selector (`kind` keeps them apart); undefined removes it. */
  setOwnerSelector(kind: string, namespace: string, name: string, selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | Record<string, string> | undefined, isLabelSelector: boolean): void {
    let byNs = this.owners.get(namespace);
    if (!byNs) {
      byNs = new Map();
      this.owners.set(namespace, byNs);
    }
    const key = `${kind}/${name}`;
    if (!selector || Object.keys(selector).length === 0) {
      byNs.delete(key);
      return;
    }
    try {
      byNs.set(key, labelSelectorFromObject(isLabelSelector ? (selector as never) : { matchLabels: selector as Record<string, string> }));
    } catch {
      // Deliberately absorbed: the API server validated the selector; one that cannot be parsed selects nothing.
      byNs.delete(key);
    }
  }

  selectorsFor(pod: Pod): LabelMatcher[] {
    const byNs = this.owners.get(pod.metadata?.namespace ?? 'default');
    if (!byNs) return [];
    const labels = pod.metadata?.labels ?? {};
    const out: LabelMatcher[] = [];
    for (const m of byNs.values()) if (!m.empty && m.matches(labels)) out.push(m);
    return out;
  }

  // ---- nominated pods ----

  /** Record (or clear, with '') the node a pending pod is nominated to. */
  setNominated(pod: Pod, nodeName: string): void {
    const uid = pod.metadata?.uid ?? '';
    const before = this.nominatedNode.get(uid);
    if (before) {
      this.nominated.get(before)?.delete(uid);
      this.nominatedNode.delete(uid);
    }
    if (!nodeName) return;
    let byUid = this.nominated.get(nodeName);
    if (!byUid) {
      byUid = new Map();
      this.nominated.set(nodeName, byUid);
    }
    byUid.set(uid, computePodInfo(pod));
    this.nominatedNode.set(uid, nodeName);
  }

  /** Whether any pending pod is nominated anywhere (most of the time none is). */
  get hasNominated(): boolean {
    return this.nominatedNode.size > 0;
  }

  nominatedPodsFor(nodeName: string): PodInfo[] {
    const byUid = this.nominated.get(nodeName);
    return byUid ? [...byUid.values()] : [];
  }

  // ---- snapshot ----

  /**
   * The nodes in the order the scheduler walks them: zones interleaved
   * (kube-scheduler's NodeTree), so that filtering a fraction of the nodes
   * still sees every zone.
   */
  private order(): MutableNodeInfo[] {
    if (this.ordered) return this.ordered;
    const byZone = new Map<string, MutableNodeInfo[]>();
    for (const info of this.nodes.values()) {
      const zone = zoneOf(info.node);
      let list = byZone.get(zone);
      if (!list) {
        list = [];
        byZone.set(zone, list);
      }
      list.push(info);
    }
    const zones = [...byZone.values()];
    const out: MutableNodeInfo[] = [];
    for (let i = 0; out.length < this.nodes.size; i++) for (const z of zones) if (i < z.length) out.push(z[i]);
    this.ordered = out;
    return out;
  }

  /** The cluster as a scheduling cycle sees it (the same object until the cache changes). */
  snapshot(): Snapshot {
    if (!this.current) {
      this.current = new Snapshot(
        this.order(),
        (ns) => this.namespaces.get(ns),
        (pod) => this.selectorsFor(pod),
        this.affinityLists,
      );
    }
    return this.current;
  }
}
