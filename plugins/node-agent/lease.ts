/**
 * The node's heartbeat: a Lease named after the node in kube-node-lease,
 * renewed every renew interval (the kubelet's NodeLease controller). The
 * lease names the node as holder, carries its duration, and is owned by the
 * Node, so deleting the Node deletes its lease.
 *
 * A renewal that loses a race (409) or finds the lease gone (404) reads or
 * creates it again and retries at once; other failures retry with a short
 * back-off (200 ms doubling to 7 s) so a restarted API server sees the node
 * alive again quickly.
 */
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { ApiClient } from '../../kernel/client/types';
import type { Clock, TimerHandle } from '../../kernel/client/clock';
import type { Logger } from '../../kernel/log';
import { isApiError } from '../../kernel/api/errors';
import { deepCopy } from '../../kernel/api/types';
import type { KubeObject } from '../../kernel/api/types';

export const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true } as const;
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface NodeLeaseOptions {
  readonly client: ApiClient;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly durationSeconds: number;
  readonly renewIntervalMs: number;
  /** The Node's uid, for the owner reference (empty: no owner reference yet). */
  readonly nodeUid: () => string;
}

type StoredLease = Lease & KubeObject & { metadata: { name: string; resourceVersion?: string } };

export class NodeLease {
  private lease?: StoredLease;
  private timer?: TimerHandle;
  private stopped = false;
  private running?: Promise<void>;
  private failures = 0;

  constructor(private readonly o: NodeLeaseOptions) {}

  /** Renew now, then every renew interval. */
  start(): void {
    this.run(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    await this.running;
  }

  /** Renew after `delay` ms (at once for 0), then schedule the next renewal. */
  private run(delay: number): void {
    if (this.stopped) return;
    if (delay > 0) {
      this.timer = this.o.clock.setTimeout(() => this.run(0), delay);
      return;
    }
    this.running = this.renew()
      .then(
        () => {
          this.failures = 0;
          return this.o.renewIntervalMs;
        },
        (err: unknown) => {
          // Deliberately absorbed: retried with back-off; a node whose lease lapses shows NotReady, which is the truth.
          this.o.logger.warn(`renewing lease ${NODE_LEASE_NAMESPACE}/${this.o.nodeName} failed: ${(err as Error).message}`);
          this.lease = undefined;
          return Math.min(200 * 2 ** this.failures++, 7000, this.o.renewIntervalMs);
        },
      )
      .then((next) => {
        this.running = undefined;
        this.run(next);
      });
  }

  /** One renewal: update the lease we hold, or get/create it first. */
  async renew(): Promise<StoredLease> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = this.lease ?? (await this.ensure());
      const next = deepCopy(current);
      next.spec = { ...next.spec, holderIdentity: this.o.nodeName, leaseDurationSeconds: this.o.durationSeconds, renewTime: microTime(this.o.clock.now()) };
      this.setOwner(next);
      try {
        this.lease = await this.o.client.update<StoredLease>(LEASES, next as never, { namespace: NODE_LEASE_NAMESPACE });
        return this.lease;
      } catch (err) {
        if (!isApiError(err, 'Conflict') && !isApiError(err, 'NotFound')) throw err;
        // Someone else wrote it, or it was deleted: read (or create) it again and retry.
        this.lease = undefined;
      }
    }
    throw new Error(`lease ${NODE_LEASE_NAMESPACE}/${this.o.nodeName} kept changing under us`);
  }

  private async ensure(): Promise<StoredLease> {
    try {
      return await this.o.client.get<StoredLease>(LEASES, this.o.nodeName, { namespace: NODE_LEASE_NAMESPACE });
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err;
    }
    const lease: StoredLease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.o.nodeName, namespace: NODE_LEASE_NAMESPACE },
      spec: { holderIdentity: this.o.nodeName, leaseDurationSeconds: this.o.durationSeconds, renewTime: microTime(this.o.clock.now()) },
    };
    this.setOwner(lease);
    try {
      return await this.o.client.create<StoredLease>(LEASES, lease as never, { namespace: NODE_LEASE_NAMESPACE });
    } catch (err) {
      if (!isApiError(err, 'AlreadyExists')) throw err;
      return this.o.client.get<StoredLease>(LEASES, this.o.nodeName, { namespace: NODE_LEASE_NAMESPACE });
    }
  }

  private setOwner(lease: StoredLease): void {
    const uid = this.o.nodeUid();
    if (!uid) return;
    const owners = lease.metadata.ownerReferences ?? [];
    if (owners.some((o) => o.kind === 'Node' && o.uid === uid)) return;
    (lease.metadata as { ownerReferences?: unknown }).ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid }];
  }
}
