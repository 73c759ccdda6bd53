/**
 * The contract by which the node that runs a pod serves its streams:
 * `pods/log`, `pods/exec`, `pods/attach` and `pods/portforward`. The API
 * server resolves the pod, checks the container, finds the node's provider and
 * hands it the request; it never speaks the container runtime itself (as
 * kube-apiserver hands these to the kubelet).
 *
 * A node agent in the `skiff up` process registers a provider for its node
 * here. The protocol of exec/attach/portforward (SPDY/3.1 or WebSocket
 * channel.k8s.io) is the provider's: it receives the raw upgraded connection.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1';

export interface PodStreamTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string;
  readonly nodeName: string;
  /** The container addressed (resolved by the API server: the only one, or the one named). */
  readonly container: string;
  /** The pod as stored, for the provider's convenience. Do not mutate. */
  readonly object: Pod;
}

/** pods/log options (PodLogOptions), parsed and validated by the API server. */
export interface PodLogOptions {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly sinceSeconds?: number;
  readonly sinceTime?: string;
  readonly limitBytes?: number;
}

export type ConnectKind = 'exec' | 'attach' | 'portforward';

export interface NodeStreamProvider {
  /**
   * Write the container's log to `out` (plain text) and resolve when done. With
   * `follow`, keep writing until the container stops or `signal` aborts.
   * Reject with an ApiError (e.g. 400 `previous terminated container "x" in pod "y" not found`).
   */
  logs(target: PodStreamTarget, options: PodLogOptions, out: Writable, signal: AbortSignal): Promise<void>;
  /**
   * Take over an upgrade request (exec, attach, portforward). `query` carries
   * command, container, stdin, stdout, stderr, tty (and ports for
   * portforward); `request` carries the protocol headers to negotiate.
   */
  connect(kind: ConnectKind, target: PodStreamTarget, query: URLSearchParams, request: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export class NodeStreams {
  private readonly providers = new Map<string, NodeStreamProvider>();

  /** Serve a node's streams; returns the function that unregisters it. */
  register(nodeName: string, provider: NodeStreamProvider): () => void {
    if (this.providers.has(nodeName)) throw new Error(`node ${nodeName} already has a stream provider`);
    this.providers.set(nodeName, provider);
    return () => {
      if (this.providers.get(nodeName) === provider) this.providers.delete(nodeName);
    };
  }

  get(nodeName: string): NodeStreamProvider | undefined {
    return this.providers.get(nodeName);
  }
}
