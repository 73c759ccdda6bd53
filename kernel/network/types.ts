/**
 * What the network hooks exchange between the node agent (which creates pod
 * sandboxes) and a network plugin (which wires them), like a CNI ADD/DEL.
 */
import type { Service, Endpoints } from 'kubernetes-types/core/v1';

export interface PodNetworkRequest {
  readonly podUid: string;
  readonly podName: string;
  readonly namespace: string;
  readonly nodeName: string;
  /** The sandbox's network namespace path (`/proc/<pid>/ns/net`) or runtime-specific handle. */
  readonly netns: string;
  /** The sandbox container's id in the runtime. */
  readonly sandboxId: string;
}

export interface PodNetworkResult {
  /** The pod's IPs, IPv4 first. */
  readonly ips: readonly string[];
  /** The plugin that wired the pod (recorded so tearDown can reach the same one). */
  readonly plugin: string;
}

export interface ServiceChange {
  readonly type: 'upsert' | 'delete';
  readonly service: Service;
  readonly endpoints?: Endpoints;
}
