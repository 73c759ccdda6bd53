/**
 * The node taints and resources the node lifecycle controller and the taint
 * eviction controller share (Kubernetes' well-known taint keys, v1.Taint*).
 */
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1';
import type { StoredObject } from '../../../kernel/api/types';
import type { ResourceType } from '../../../kernel/client/types';

export const NODES: ResourceType = { group: '', version: 'v1', resource: 'nodes', kind: 'Node' };
export const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
export const LEASES: ResourceType = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true };
/** Where node agents renew their Leases (named after the node). */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_NODE_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_NODE_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_NODE_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NODE_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

export type NodeObject = StoredObject & Omit<Node, 'metadata'>;
export type PodObject = StoredObject & Omit<Pod, 'metadata'>;

/** The pod informer's index of pods by `spec.nodeName`. */
export const POD_NODE_NAME_INDEX = 'nodelifecycle.spec.nodeName';
export const podNodeNameIndex = (pod: PodObject): string[] => (pod.spec?.nodeName ? [pod.spec.nodeName] : []);

/** A node's NoExecute taints. */
export function noExecuteTaints(node: Node | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}
