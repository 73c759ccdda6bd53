/**
 * replicaset: keeps `spec.replicas` pods matching each ReplicaSet's selector
 * (kube-controller-manager's ReplicaSet controller).
 *
 * A sync of a ReplicaSet, from the informer caches:
 * 1. claim pods: the active pods of its namespace it controls and that match
 *    the selector, plus orphans that match (adopted: an ownerReference is
 *    added, only while the ReplicaSet is not being deleted); owned pods that
 *    no longer match are released (the ownerReference removed);
 * 2. unless creations or deletions it issued earlier have not yet come back
 *    through the pod informer (expectations.ts), create the missing pods
 *    from the template in slow-start batches (1, 2, 4, ...; at most
 *    BURST_REPLICAS per sync), or delete the surplus in kube's order
 *    (pods.ts);
 * 3. write the status (replicas, fullyLabeledReplicas, readyReplicas,
 *    availableReplicas, observedGeneration, the ReplicaFailure condition)
 *    through the status subresource when it changed, and come back when a
 *    ready pod reaches minReadySeconds.
 *
 * The same code serves core/v1 ReplicationControllers (../replicationcontroller),
 * as in kube: a ReplicatedKind says which kind a controller manages.
 *
 * Keys are ReplicaSet keys (`namespace/name`). Pod events map to the owning
 * ReplicaSet (orphans to every ReplicaSet whose selector matches them) and
 * count off expectations.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { isApiError } from '../../../kernel/api/errors';
import { deepCopy, type KubeObject } from '../../../kernel/api/types';
import { labelSelectorFromObject, type LabelMatcher } from '../../../kernel/api/selectors';
import { keyOf } from '../../../kernel/client/cache';
import type { Clock } from '../../../kernel/client/clock';
import { Controller } from '../../../kernel/client/controller';
import type { EventRecorder, InvolvedObject } from '../../../kernel/client/events';
import type { SharedInformer } from '../../../kernel/client/informer';
import type { ApiClient, ResourceType } from '../../../kernel/client/types';
import type { ControllerContext, ControllerModule } from '../types';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from './expectations';
import {
  availableIn,
  controllerOf,
  controllerRefFor,
  isPodActive,
  isPodReady,
  podFromTemplate,
  podsToDelete,
  type OwnerKind,
  type PodObject,
  type ReplicaSetObject,
} from './pods';

export { ControllerExpectations } from './expectations';
export { compareForDeletion, podsToDelete } from './pods';

export const CONTROLLER_NAME = 'replicaset';
export const REPLICASETS: ResourceType = { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true };
export const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };

/** kube's burstReplicas: the most pods one sync creates or deletes. */
export const BURST_REPLICAS = 500;
/** kube's SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH = 1;
/** kube's --concurrent-replicaset-syncs default. */
export const DEFAULT_WORKERS = 5;
/** Objects by the UID of their controller (kube's controllerUIDIndex, shared with any controller asking for the same index). */
const CONTROLLER_UID_INDEX = 'controllerUID';
const controllerUidIndex = (obj: KubeObject): string[] => {
  const ref = controllerOf(obj);
  return ref ? [ref.uid] : [];
};

/**
 * The kind a ReplicaSetController manages. kube runs the ReplicationController
 * controller as this same code over an adapter that converts the objects; here
 * the adapter is this description of the kind: its resource, the owner
 * reference it puts on pods, its event source and how its selector reads as a
 * metav1 LabelSelector. Objects of the kind must have a ReplicaSet's spec and
 * status shape otherwise.
 */
export interface ReplicatedKind extends OwnerKind {
  /** The name of the controller (work queue, logs, error messages). */
  readonly controllerName: string;
  readonly resource: ResourceType;
  /** The source component of its Events. */
  readonly eventComponent: string;
  /** `spec.selector` as a LabelSelector (what labelSelectorFromObject reads). */
  labelSelector(obj: ReplicaSetObject): LabelSelector | undefined;
}

export const REPLICASET_KIND: ReplicatedKind = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  controllerName: CONTROLLER_NAME,
  resource: REPLICASETS,
  eventComponent: `${CONTROLLER_NAME}-controller`,
  labelSelector: (rs) => rs.spec?.selector,
};

type ReplicaSetStatus = NonNullable<ReplicaSetObject['status']>;
type ReplicaSetCondition = NonNullable<ReplicaSetStatus['conditions']>[number];

export interface ReplicaSetControllerOptions {
  /** Default BURST_REPLICAS. */
  burstReplicas?: number;
  /** Default EXPECTATIONS_TIMEOUT_MS. */
  expectationsTimeoutMs?: number;
  /** Default REPLICASET_KIND. */
  kind?: ReplicatedKind;
}

function refOf(rs: ReplicaSetObject, owner: OwnerKind): InvolvedObject {
  const m = rs.metadata;
  return { kind: owner.kind, apiVersion: owner.apiVersion, name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion };
}

function sameLabels(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a![k] === b?.[k]);
}

/** kube's HasStatusCause(err, NamespaceTerminatingCause); skiff's NamespaceLifecycle says it in the message. */
function namespaceTerminating(err: unknown): boolean {
  if (!isApiError(err, 'Forbidden')) return false;
  return Boolean(err.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) || err.message.includes('because it is being terminated');
}

/**
 * Run `fn` `count` times, in batches of 1, 2, 4, ... (kube's slowStartBatch):
 * a batch runs at once; the first batch with a failure ends it, so a
 * template that cannot be created (quota, admission) costs one or two
 * requests, not hundreds.
 */
async function slowStartBatch(count: number, initial: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length > 0) return { successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { successes };
}

export class ReplicaSetController extends Controller {
  readonly expectations: ControllerExpectations;
  private readonly replicaSets: SharedInformer<ReplicaSetObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly burstReplicas: number;
  private readonly kind: ReplicatedKind;

  constructor(
    private readonly client: ApiClient,
    context: ControllerContext,
    options: ReplicaSetControllerOptions = {},
  ) {
    const kind = options.kind ?? REPLICASET_KIND;
    super({ name: kind.controllerName, clock: context.clock, logger: context.logger });
    this.kind = kind;
    this.clock = context.clock;
    this.burstReplicas = options.burstReplicas ?? BURST_REPLICAS;
    this.expectations = new ControllerExpectations(context.clock, options.expectationsTimeoutMs ?? EXPECTATIONS_TIMEOUT_MS);
    this.recorder = context.events(kind.eventComponent);
    this.replicaSets = context.informers.informerFor<ReplicaSetObject>(kind.resource, { indexers: { [CONTROLLER_UID_INDEX]: controllerUidIndex } });
    this.pods = context.informers.informerFor<PodObject>(PODS, { indexers: { [CONTROLLER_UID_INDEX]: controllerUidIndex } });

    this.enqueueFrom(this.replicaSets);
    this.replicaSets.addEventHandler({ onDelete: (rs) => this.expectations.delete(keyOf(rs)) });
    // Pod events need more than a key mapping (expectations, old and new
    // owners): registered for the cache-sync wait only, handled below.
    this.enqueueFrom(this.pods, () => []);
    this.pods.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => this.podDeleted(pod),
    });
  }

  protected sync(key: string): Promise<void> {
    return this.syncReplicaSet(key);
  }

  // ---- event handlers ----------------------------------------------------------

  private podAdded(pod: PodObject): void {
    // Seen already being deleted (e.g. after a restart): not a creation to count.
    if (pod.metadata.deletionTimestamp) {
      this.podDeleted(pod);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata.namespace ?? '', ref);
      if (!rs) return;
      const key = keyOf(rs);
      this.expectations.creationObserved(key);
      this.enqueue(key);
      return;
    }
    // An orphan: whoever matches it may adopt it.
    for (const rs of this.matchingReplicaSets(pod)) this.enqueue(keyOf(rs));
  }

  private podUpdated(old: PodObject, pod: PodObject): void {
    // A periodic resync: nothing changed.
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const labelsChanged = !sameLabels(old.metadata.labels, pod.metadata.labels);
    if (pod.metadata.deletionTimestamp) {
      // Graceful deletion started: replace the pod now, not when the kubelet is done with it.
      this.podDeleted(pod);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const ref = controllerOf(pod);
    const oldRef = controllerOf(old);
    const refChanged = ref?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const rs = this.resolveControllerRef(old.metadata.namespace ?? '', oldRef);
      if (rs) this.enqueue(keyOf(rs));
    }
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata.namespace ?? '', ref);
      if (rs) this.enqueue(keyOf(rs));
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingReplicaSets(pod)) this.enqueue(keyOf(rs));
  }

  private podDeleted(pod: PodObject): void {
    const ref = controllerOf(pod);
    if (!ref) return;
    const rs = this.resolveControllerRef(pod.metadata.namespace ?? '', ref);
    if (!rs) return;
    const key = keyOf(rs);
    this.expectations.deletionObserved(key, keyOf(pod));
    this.enqueue(key);
  }

  /** The ReplicaSet an owner reference names, if cached and the same object (uid). */
  private resolveControllerRef(namespace: string, ref: { kind: string; name: string; uid: string }): ReplicaSetObject | undefined {
    if (ref.kind !== this.kind.kind) return undefined;
    const rs = this.replicaSets.cache.get(`${namespace}/${ref.name}`);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets of the pod's namespace whose selector matches it (a nil or empty selector matches nothing here). */
  private matchingReplicaSets(pod: PodObject): ReplicaSetObject[] {
    const labels = pod.metadata.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    return this.replicaSets.cache.listNamespace(pod.metadata.namespace ?? '').filter((rs) => {
      const selector = this.selectorOf(rs);
      return selector !== undefined && !selector.empty && selector.matches(labels);
    });
  }

  private selectorOf(rs: ReplicaSetObject): LabelMatcher | undefined {
    try {
      return labelSelectorFromObject(this.kind.labelSelector(rs));
    } catch {
      // Deliberately absorbed: validation refuses such selectors; one that slipped in matches nothing.
      return undefined;
    }
  }

  // ---- sync -------------------------------------------------------------------

  /** One reconciliation of the ReplicaSet `key` (kube's syncReplicaSet). Public for tests. */
  async syncReplicaSet(key: string): Promise<void> {
    const rs = this.replicaSets.cache.get(key);
    if (!rs) {
      // Deleted: its pods are the garbage collector's.
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = this.selectorOf(rs);
    if (!selector) {
      this.logger.warn(`${this.kind.kind} ${key} has an invalid selector; not syncing it`);
      return;
    }

    const active = this.pods.cache.listNamespace(rs.metadata.namespace ?? '').filter(isPodActive);
    const pods = await this.claimPods(rs, selector, active);

    let manageError: Error | undefined;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(rs, pods);
      } catch (err) {
        manageError = err as Error;
      }
    } else if (!needsSync) {
      // Waiting for the informer; if the events never come, act once the expectations time out.
      const wait = this.expectations.expiresIn(key);
      if (wait !== undefined) this.enqueueAfter(key, wait);
    }

    const now = this.clock.now();
    const status = this.calculateStatus(rs, pods, manageError, now);
    const updated = await this.updateStatus(rs, status);
    if (manageError) throw manageError;

    // Ready pods become available after minReadySeconds: come back then.
    const minReadySeconds = updated.spec?.minReadySeconds ?? 0;
    if (minReadySeconds > 0) {
      let soonest: number | undefined;
      for (const pod of pods) {
        const wait = availableIn(pod, minReadySeconds, now);
        if (wait !== undefined && wait > 0 && (soonest === undefined || wait < soonest)) soonest = wait;
      }
      if (soonest !== undefined) this.enqueueAfter(key, soonest);
    }
  }

  /**
   * The pods `rs` controls (kube's ClaimPods): those it owns that match, and
   * matching orphans it adopts; owned pods that stopped matching are
   * released. Any adopt or release failure fails the sync (retried).
   */
  private async claimPods(rs: ReplicaSetObject, selector: LabelMatcher, pods: readonly PodObject[]): Promise<PodObject[]> {
    const claimed: PodObject[] = [];
    const errors: unknown[] = [];
    const deleting = Boolean(rs.metadata.deletionTimestamp);
    let adoptable: Promise<void> | undefined;
    const canAdopt = (): Promise<void> => (adoptable ??= this.recheckNotDeleted(rs));
    await Promise.all(
      pods.map(async (pod) => {
        const ref = controllerOf(pod);
        const matches = !selector.empty && selector.matches(pod.metadata.labels);
        try {
          if (ref) {
            if (ref.uid !== rs.metadata.uid) return; // someone else's
            if (matches) {
              claimed.push(pod);
              return;
            }
            if (deleting) return;
            await this.releasePod(rs, pod);
            return;
          }
          if (deleting || !matches || pod.metadata.deletionTimestamp) return;
          await canAdopt();
          await this.adoptPod(rs, pod);
          claimed.push(pod);
        } catch (err) {
          // The pod is gone: nothing to adopt or release.
          if (isApiError(err, 'NotFound')) return;
          errors.push(err);
        }
      }),
    );
    if (errors.length > 0) {
      const first = errors[0] as Error;
      throw new Error(`plugin/controllers: ${this.kind.controllerName} ${keyOf(rs)}: claiming pods: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`, { cause: first });
    }
    return claimed;
  }

  /** Before adopting: read the ReplicaSet from the API (not the cache) to be sure it is not being deleted meanwhile. */
  private async recheckNotDeleted(rs: ReplicaSetObject): Promise<void> {
    const fresh = await this.client.get<ReplicaSetObject>(this.kind.resource, rs.metadata.name, { namespace: rs.metadata.namespace });
    if (fresh.metadata.uid !== rs.metadata.uid) throw new Error(`original ${this.kind.kind} ${keyOf(rs)} is gone: got uid ${fresh.metadata.uid}, wanted ${rs.metadata.uid}`);
    if (fresh.metadata.deletionTimestamp) throw new Error(`${keyOf(rs)} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
  }

  /**
   * Add our controller reference. A JSON patch whose tests pin the pod's uid
   * and resourceVersion: if the pod changed since we read it (another
   * controller adopted it), the patch fails and the sync is retried.
   */
  private async adoptPod(rs: ReplicaSetObject, pod: PodObject): Promise<void> {
    const ref = controllerRefFor(rs, this.kind);
    const ops: unknown[] = [
      { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
      { op: 'test', path: '/metadata/resourceVersion', value: pod.metadata.resourceVersion },
      pod.metadata.ownerReferences ? { op: 'add', path: '/metadata/ownerReferences/-', value: ref } : { op: 'add', path: '/metadata/ownerReferences', value: [ref] },
    ];
    await this.client.patch(PODS, pod.metadata.name, 'json', ops, { namespace: pod.metadata.namespace });
  }

  /** Remove our reference from a pod that no longer matches (only if it is still ours, at the same place). */
  private async releasePod(rs: ReplicaSetObject, pod: PodObject): Promise<void> {
    const refs = pod.metadata.ownerReferences ?? [];
    const index = refs.findIndex((r) => r.uid === rs.metadata.uid);
    if (index < 0) return;
    const ops = [
      { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
      { op: 'test', path: `/metadata/ownerReferences/${index}/uid`, value: rs.metadata.uid },
      // Our reference was the only one: no empty list left behind.
      refs.length === 1 ? { op: 'remove', path: '/metadata/ownerReferences' } : { op: 'remove', path: `/metadata/ownerReferences/${index}` },
    ];
    try {
      await this.client.patch(PODS, pod.metadata.name, 'json', ops, { namespace: pod.metadata.namespace });
    } catch (err) {
      // A failed test: someone else changed the owners first; the next sync decides again.
      if (isApiError(err, 'Invalid') || isApiError(err, 'Conflict')) throw new Error(`releasing pod ${keyOf(pod)}: its owners changed meanwhile`, { cause: err });
      throw err;
    }
  }

  /** Create or delete the difference between the claimed pods and spec.replicas (kube's manageReplicas). */
  private async manageReplicas(rs: ReplicaSetObject, pods: readonly PodObject[]): Promise<void> {
    const key = keyOf(rs);
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) {
      const count = Math.min(-diff, this.burstReplicas);
      this.expectations.expectCreations(key, count);
      const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH, () => this.createPod(rs));
      // Creations that failed or were never tried will never be observed.
      for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
      if (error !== undefined) {
        const err = error as Error;
        throw new Error(`plugin/controllers: ${this.kind.controllerName} ${key}: creating pods: ${err.message}`, { cause: err });
      }
      return;
    }
    if (diff > 0) {
      const count = Math.min(diff, this.burstReplicas);
      const victims = podsToDelete(pods, this.indirectlyRelatedPods(rs), count);
      this.expectations.expectDeletions(key, victims.map((p) => keyOf(p)));
      const errors = await Promise.all(victims.map((pod) => this.deletePod(rs, pod)));
      const first = errors.find((e) => e !== undefined);
      if (first) throw new Error(`plugin/controllers: ${this.kind.controllerName} ${key}: deleting pods: ${first.message}`, { cause: first });
    }
  }

  private async createPod(rs: ReplicaSetObject): Promise<void> {
    const template = podFromTemplate(rs, this.kind);
    if (Object.keys(template.metadata?.labels ?? {}).length === 0) throw new Error('unable to create pods, no labels');
    let created: KubeObject;
    try {
      created = await this.client.create(PODS, template, { namespace: rs.metadata.namespace });
    } catch (err) {
      // A terminating namespace refuses every pod: nothing to retry, nothing to report.
      if (namespaceTerminating(err)) return;
      this.recorder.record(refOf(rs, this.kind), 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
    this.recorder.record(refOf(rs, this.kind), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
  }

  /** Delete one pod; resolves to the error to report, if any (a pod already gone is not one). */
  private async deletePod(rs: ReplicaSetObject, pod: PodObject): Promise<Error | undefined> {
    try {
      await this.client.delete(PODS, pod.metadata.name, { namespace: pod.metadata.namespace });
    } catch (err) {
      // The informer will not report a deletion that did not happen.
      this.expectations.deletionObserved(keyOf(rs), keyOf(pod));
      if (isApiError(err, 'NotFound')) return undefined;
      this.recorder.record(refOf(rs, this.kind), 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
      return err as Error;
    }
    this.recorder.record(refOf(rs, this.kind), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    return undefined;
  }

  /**
   * Pods of every ReplicaSet with the same controller (a Deployment's old and
   * new ReplicaSets), for ranking scale-down by crowded nodes. kube finds none
   * for a ReplicaSet without a controller; here its own pods count, so a bare
   * ReplicaSet spreads too.
   */
  private indirectlyRelatedPods(rs: ReplicaSetObject): PodObject[] {
    const owner = controllerOf(rs);
    const related = owner ? this.replicaSets.cache.byIndex(CONTROLLER_UID_INDEX, owner.uid).filter((r) => r.metadata.namespace === rs.metadata.namespace) : [rs];
    const seen = new Set<string>();
    const pods: PodObject[] = [];
    for (const r of related) {
      const selector = this.selectorOf(r);
      if (!selector || selector.empty) continue;
      for (const pod of this.pods.cache.listNamespace(rs.metadata.namespace ?? '')) {
        if (seen.has(pod.metadata.uid) || !selector.matches(pod.metadata.labels)) continue;
        seen.add(pod.metadata.uid);
        pods.push(pod);
      }
    }
    return pods;
  }

  /** kube's calculateStatus. */
  private calculateStatus(rs: ReplicaSetObject, pods: readonly PodObject[], manageError: Error | undefined, now: number): ReplicaSetStatus {
    const status: ReplicaSetStatus = deepCopy(rs.status ?? { replicas: 0 });
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
    let fullyLabeled = 0;
    let ready = 0;
    let available = 0;
    for (const pod of pods) {
      const labels = pod.metadata.labels ?? {};
      if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
      if (isPodReady(pod)) {
        ready++;
        if (availableIn(pod, minReadySeconds, now) === 0) available++;
      }
    }
    const conditions = status.conditions ?? [];
    const failure = conditions.find((c) => c.type === 'ReplicaFailure');
    if (manageError && !failure) {
      const diff = pods.length - (rs.spec?.replicas ?? 1);
      const condition: ReplicaSetCondition = {
        type: 'ReplicaFailure',
        status: 'True',
        reason: diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '',
        message: ((manageError.cause as Error | undefined) ?? manageError).message,
        lastTransitionTime: new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
      };
      status.conditions = [...conditions, condition];
    } else if (!manageError && failure) {
      const rest = conditions.filter((c) => c.type !== 'ReplicaFailure');
      if (rest.length > 0) status.conditions = rest;
      else delete status.conditions;
    }
    status.replicas = pods.length;
    status.fullyLabeledReplicas = fullyLabeled;
    status.readyReplicas = ready;
    status.availableReplicas = available;
    return status;
  }

  /** Write `status` through the status subresource if it differs (kube's updateReplicaSetStatus: one retry after a fresh read). */
  private async updateStatus(rs: ReplicaSetObject, status: ReplicaSetStatus): Promise<ReplicaSetObject> {
    const old = rs.status ?? { replicas: 0 };
    const same =
      (old.replicas ?? 0) === status.replicas &&
      (old.fullyLabeledReplicas ?? 0) === status.fullyLabeledReplicas &&
      (old.readyReplicas ?? 0) === status.readyReplicas &&
      (old.availableReplicas ?? 0) === status.availableReplicas &&
      rs.metadata.generation === old.observedGeneration &&
      JSON.stringify(old.conditions ?? []) === JSON.stringify(status.conditions ?? []);
    if (same) return rs;
    const next: ReplicaSetStatus = { ...status, observedGeneration: rs.metadata.generation };
    let current: ReplicaSetObject = rs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.client.update<ReplicaSetObject>(this.kind.resource, { ...deepCopy(current), status: next } as KubeObject, { namespace: rs.metadata.namespace, subresource: 'status' });
      } catch (err) {
        // One retry against the latest version; after that the key is requeued with backoff.
        if (attempt >= 1) throw new Error(`plugin/controllers: ${this.kind.controllerName} ${keyOf(rs)}: updating status: ${(err as Error).message}`, { cause: err });
        current = await this.client.get<ReplicaSetObject>(this.kind.resource, rs.metadata.name, { namespace: rs.metadata.namespace });
      }
    }
  }
}

export interface ReplicaSetSettings {
  /** Concurrent syncs (kube's --concurrent-replicaset-syncs). Default 5. */
  workers?: number;
}

const replicaSetController: ControllerModule<ReplicaSetSettings> = {
  name: CONTROLLER_NAME,
  enabledByDefault: true,
  optionsSchema: { type: 'object', additionalProperties: false, properties: { workers: { type: 'integer', minimum: 1 } } },
  start(context, options) {
    const controller = new ReplicaSetController(context.client, context);
    return { stopped: controller.run(options.workers ?? DEFAULT_WORKERS, context.signal) };
  },
};

export default replicaSetController;
