/**
 * The scheduler's NodeInfo: a node with the pods bound or assumed to it and
 * the sums the filters and scores read (kube-scheduler's framework.NodeInfo).
 * Plugins see it read-only; the cache (and preemption, on a clone) change it.
 */
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1';
import type { HostPort, ImageState, NodeInfo, PodInfo, ResourceList } from '../../../kernel/scheduling/types';
import { computePodInfo, hasAffinity } from './pod-info';
import { toResourceList } from './resources';

let generations = 0;
/** A process-wide counter, so that a generation says which of two NodeInfos changed last. */
export function nextGeneration(): number {
  return ++generations;
}

/** Host ports a pod holds on its node (NodePorts): app containers' and sidecars' (init containers that keep running). */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...sidecars, ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ hostIP: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

/** Whether two host ports conflict: same port and protocol, and the same IP or either on 0.0.0.0. */
export function hostPortsConflict(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && a.protocol === b.protocol && (a.hostIP === b.hostIP || a.hostIP === '0.0.0.0' || b.hostIP === '0.0.0.0');
}

const EMPTY_IMAGES: ReadonlyMap<string, ImageState> = new Map();

export class MutableNodeInfo implements NodeInfo {
  node: Node;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  requested: Record<string, number> = {};
  nonZeroRequested: Record<string, number> = {};
  allocatable: ResourceList = {};
  usedPorts: HostPort[] = [];
  imageStates: ReadonlyMap<string, ImageState> = EMPTY_IMAGES;
  taints: readonly Taint[] = [];
  generation = nextGeneration();

  constructor(
    readonly name: string,
    node?: Node,
  ) {
    this.node = node ?? { apiVersion: 'v1', kind: 'Node', metadata: { name } };
    if (node) this.setNode(node);
  }

  /** Replace the Node object (allocatable, taints, labels come from it). */
  setNode(node: Node, imageStates?: ReadonlyMap<string, ImageState>): void {
    this.node = node;
    const status = node.status;
    this.allocatable = toResourceList((status?.allocatable ?? status?.capacity) as Record<string, string> | undefined);
    this.taints = node.spec?.taints ?? [];
    if (imageStates) this.imageStates = imageStates;
    this.generation = nextGeneration();
  }

  /** Add a pod (bound or assumed). Accepts a Pod or a PodInfo computed earlier. */
  addPod(pod: Pod | PodInfo): PodInfo {
    const info = 'requests' in pod && 'pod' in pod ? (pod as PodInfo) : computePodInfo(pod as Pod);
    this.pods.push(info);
    if (hasAffinity(info)) this.podsWithAffinity.push(info);
    if (info.requiredAntiAffinityTerms.length > 0) this.podsWithRequiredAntiAffinity.push(info);
    for (const k in info.requests) this.requested[k] = (this.requested[k] ?? 0) + info.requests[k];
    for (const k in info.nonZeroRequests) this.nonZeroRequested[k] = (this.nonZeroRequested[k] ?? 0) + info.nonZeroRequests[k];
    for (const p of podHostPorts(info.pod)) this.usedPorts.push(p);
    this.generation = nextGeneration();
    return info;
  }

  /** Remove the pod with this uid; returns its PodInfo, or undefined if it was not here. */
  removePod(uid: string): PodInfo | undefined {
    const i = this.pods.findIndex((p) => p.pod.metadata?.uid === uid);
    if (i < 0) return undefined;
    const [info] = this.pods.splice(i, 1);
    const drop = (list: PodInfo[]) => {
      const j = list.indexOf(info);
      if (j >= 0) list.splice(j, 1);
    };
    drop(this.podsWithAffinity);
    drop(this.podsWithRequiredAntiAffinity);
    for (const k in info.requests) this.requested[k] -= info.requests[k];
    for (const k in info.nonZeroRequests) this.nonZeroRequested[k] -= info.nonZeroRequests[k];
    for (const p of podHostPorts(info.pod)) {
      const j = this.usedPorts.findIndex((u) => u.port === p.port && u.protocol === p.protocol && u.hostIP === p.hostIP);
      if (j >= 0) this.usedPorts.splice(j, 1);
    }
    this.generation = nextGeneration();
    return info;
  }

  /** An independent copy (preemption tries removing pods on it). */
  clone(): MutableNodeInfo {
    const c = new MutableNodeInfo(this.name);
    c.node = this.node;
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.requested = { ...this.requested };
    c.nonZeroRequested = { ...this.nonZeroRequested };
    c.allocatable = this.allocatable;
    c.usedPorts = [...this.usedPorts];
    c.imageStates = this.imageStates;
    c.taints = this.taints;
    c.generation = this.generation;
    return c;
  }
}
