/**
 * A Deployment controller on a fake API and a fake clock, with a stand-in
 * for the ReplicaSet controller: `settleReplicaSets()` reports each set as
 * having its spec.replicas pods, ready and available, except the sets a
 * test holds back (`hold`), which report pods that never become available.
 */
import { FakeApiClient } from '../../../kernel/client/fake-api';
import { FakeClock } from '../../../kernel/client/fake-clock';
import { SharedInformerFactory } from '../../../../kernel/client/informer';
import { silentLogger } from '../../../../kernel/log';
import type { KubeObject } from '../../../../kernel/api/types';
import type { EventSink } from '../../../../kernel/client/events';
import { DEPLOYMENTS, DeploymentController, REPLICASETS, type DeploymentObject, type ReplicaSetObject } from '../../../../plugins/controllers/deployment';

export const PODS = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };

export interface RecordedEvent {
  object: string;
  type: string;
  reason: string;
  message: string;
}

export interface DeploymentSpecInput {
  replicas?: number;
  image?: string;
  strategy?: Record<string, unknown>;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
  annotations?: Record<string, string>;
}

export class Harness {
  readonly clock = new FakeClock();
  readonly api = new FakeApiClient({ now: () => new Date(this.clock.now()) });
  readonly events: RecordedEvent[] = [];
  /** Sets (by name) whose pods never become available. */
  readonly hold = new Set<string>();
  private readonly abort = new AbortController();
  private readonly informers = new SharedInformerFactory(this.api, { clock: this.clock, logger: silentLogger });
  private stopped?: Promise<void>;

  start(): this {
    const sink: EventSink = { record: (o, type, reason, message) => this.events.push({ object: `${o.kind}/${o.name}`, type, reason, message }) };
    const controller = new DeploymentController({
      client: this.api,
      deployments: this.informers.informerFor<DeploymentObject>(DEPLOYMENTS),
      replicaSets: this.informers.informerFor<ReplicaSetObject>(REPLICASETS),
      pods: this.informers.informerFor(PODS),
      events: sink,
      clock: this.clock,
      logger: silentLogger,
    });
    this.informers.start();
    this.stopped = controller.run(2, this.abort.signal);
    return this;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.clock.advance(1000);
    await this.stopped;
    await this.informers.stop();
  }

  /** Let the controller work through its queue (including backoffs), `ms` of fake time in small steps. */
  async idle(ms = 500): Promise<void> {
    for (let t = 0; t < ms; t += 50) {
      await this.api.flush();
      await this.clock.advance(50);
    }
    await this.api.flush();
  }

  deploymentObject(name: string, input: DeploymentSpecInput = {}): KubeObject {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'default', annotations: input.annotations },
      spec: {
        replicas: input.replicas ?? 3,
        selector: { matchLabels: { app: name } },
        strategy: input.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        revisionHistoryLimit: input.revisionHistoryLimit ?? 10,
        progressDeadlineSeconds: input.progressDeadlineSeconds ?? 600,
        paused: input.paused,
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: input.image ?? 'web:1' }] } },
      },
    };
  }

  async create(name: string, input: DeploymentSpecInput = {}): Promise<DeploymentObject> {
    return this.api.create<DeploymentObject>(DEPLOYMENTS, this.deploymentObject(name, input), { namespace: 'default' });
  }

  /** Merge-patch the Deployment's spec (as kubectl set image / scale / rollout pause would). */
  async patchSpec(name: string, spec: Record<string, unknown>): Promise<void> {
    await this.api.patch(DEPLOYMENTS, name, 'merge', { spec }, { namespace: 'default' });
  }

  async setImage(name: string, image: string): Promise<void> {
    await this.patchSpec(name, { template: { spec: { containers: [{ name: 'web', image }] } } });
  }

  deployment(name: string): Promise<DeploymentObject> {
    return this.api.get<DeploymentObject>(DEPLOYMENTS, name, { namespace: 'default' });
  }

  async replicaSets(): Promise<ReplicaSetObject[]> {
    const list = await this.api.list<ReplicaSetObject>(REPLICASETS, { namespace: 'default' });
    return list.items.sort((a, b) => (a.metadata.creationTimestamp < b.metadata.creationTimestamp ? -1 : a.metadata.creationTimestamp > b.metadata.creationTimestamp ? 1 : Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion)));
  }

  /** Sizes by image: `{ 'web:1': 3, 'web:2': 1 }`. */
  async sizes(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const rs of await this.replicaSets()) out[rs.spec!.template!.spec!.containers[0].image!] = rs.spec!.replicas ?? 0;
    return out;
  }

  /** The ReplicaSet controller's part: each set's status follows its spec. Returns whether anything changed. */
  async settleReplicaSets(): Promise<boolean> {
    let changed = false;
    for (const rs of await this.replicaSets()) {
      const replicas = rs.spec?.replicas ?? 0;
      const available = this.hold.has(rs.metadata.name) ? 0 : replicas;
      const status = { replicas, fullyLabeledReplicas: replicas, readyReplicas: available, availableReplicas: available, observedGeneration: rs.metadata.generation };
      if (JSON.stringify(status) === JSON.stringify(rs.status ?? {})) continue;
      await this.api.update(REPLICASETS, { ...rs, status }, { namespace: 'default', subresource: 'status' });
      changed = true;
    }
    return changed;
  }

  /**
   * Alternate controller and stand-in until nothing changes; `observe` sees
   * the sets after every step (for invariants such as "never fewer than N available").
   */
  async rollOut(observe?: (sets: ReplicaSetObject[]) => void): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await this.idle();
      observe?.(await this.replicaSets());
      const changed = await this.settleReplicaSets();
      observe?.(await this.replicaSets());
      if (!changed) {
        await this.idle();
        if (!(await this.settleReplicaSets())) return;
      }
    }
    throw new Error('rollout did not settle in 50 steps');
  }

  scalingMessages(): string[] {
    return this.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
  }
}
