/**
 * deployment: kube-controller-manager's Deployment controller. A Deployment
 * owns ReplicaSets named `<deployment>-<pod-template-hash>`, one per pod
 * template it has had; the one whose template is the Deployment's is the new
 * set, the others are old. A sync:
 *
 * - claims sets: adopts orphans its selector matches, releases its own that
 *   the selector no longer matches (ownerReferences controller and
 *   blockOwnerDeletion, as ControllerRefManager);
 * - paused, or only the replica count changed: scales the sets
 *   proportionally (largest first) and records status;
 * - RollingUpdate: grows the new set while the total stays within replicas +
 *   maxSurge, shrinks old ones (unhealthy replicas first) while available
 *   pods stay at replicas - maxUnavailable;
 * - Recreate: old sets to zero, waits until their pods are gone, then the
 *   new set to full size;
 * - revisions: the new set takes max(old revisions) + 1 (a template coming
 *   back keeps its former ones in revision-history), the Deployment carries
 *   the new set's; old sets beyond revisionHistoryLimit with nothing left
 *   are deleted once a rollout is complete;
 * - status: counts, Available, Progressing (checked again at the deadline),
 *   ReplicaFailure copied from the sets, as `kubectl rollout status` reads.
 *
 * Keys are Deployments (`namespace/name`); a set's events map to its owner
 * (or, for an orphan, to every Deployment that selects it), a pod's deletion
 * to the Deployment of its set (Recreate waits on it).
 */
import type { Pod } from 'kubernetes-types/core/v1';
import type { DeploymentCondition, DeploymentStatus } from 'kubernetes-types/apps/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { isApiError } from '../../../kernel/api/errors';
import { deepCopy, type StoredObject } from '../../../kernel/api/types';
import { selectorMatches } from '../../../kernel/api/resources/printing';
import { Controller } from '../../../kernel/client/controller';
import type { EventSink, InvolvedObject } from '../../../kernel/client/events';
import type { SharedInformer } from '../../../kernel/client/informer';
import type { ApiClient, ResourceType } from '../../../kernel/client/types';
import type { Clock } from '../../../kernel/client/clock';
import type { ControllerContext, ControllerModule } from '../types';
import {
  POD_TEMPLATE_HASH_LABEL,
  REASON,
  REVISION_ANNOTATION,
  activeReplicaSets,
  actualReplicas,
  calculateStatus,
  computeHash,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  equalIgnoreHash,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getCondition,
  hasProgressDeadline,
  isRollingUpdate,
  isSaturated,
  largestNewerFirst,
  largestOlderFirst,
  lowestRevisionFirst,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  newRSNewReplicas,
  oldestFirst,
  proportion,
  removeCondition,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
  statusEqual,
  type DeploymentObject,
  type ReplicaSetObject,
} from './util';

export * from './util';

export const DEPLOYMENTS: ResourceType = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true };
export const REPLICASETS: ResourceType = { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true };
const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
/** Source component of its Events, as kube-controller-manager's. */
export const EVENT_COMPONENT = 'deployment-controller';

type RS = ReplicaSetObject;
type PodObject = StoredObject & Omit<Pod, 'metadata'>;

function controllerOf(obj: { metadata?: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

export interface DeploymentControllerOptions {
  client: ApiClient;
  deployments: SharedInformer<DeploymentObject>;
  replicaSets: SharedInformer<RS>;
  pods: SharedInformer<PodObject>;
  events: EventSink;
  clock: Clock;
  logger?: ControllerContext['logger'];
}

export class DeploymentController extends Controller {
  private readonly client: ApiClient;
  private readonly deployments: SharedInformer<DeploymentObject>;
  private readonly replicaSets: SharedInformer<RS>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly events: EventSink;
  private readonly clock: Clock;

  constructor(options: DeploymentControllerOptions) {
    super({ name: 'deployment', clock: options.clock, logger: options.logger });
    this.client = options.client;
    this.deployments = options.deployments;
    this.replicaSets = options.replicaSets;
    this.pods = options.pods;
    this.events = options.events;
    this.clock = options.clock;
    this.enqueueFrom(this.deployments);
    this.enqueueFrom(this.replicaSets, (rs) => this.deploymentKeysFor(rs));
    // A set that changed owner (released, or adopted elsewhere) also concerns its former owner.
    this.replicaSets.addEventHandler({
      onUpdate: (old, rs) => {
        const before = controllerOf(old);
        const after = controllerOf(rs);
        if (before && before.uid !== after?.uid) for (const key of this.ownerKeys(old)) this.enqueue(key);
      },
    });
    // Recreate waits for the old pods to be gone: a deletion may be what it waits for.
    this.enqueueFrom(this.pods, () => []);
    this.pods.addEventHandler({ onDelete: (pod) => this.podDeleted(pod) });
  }

  // ---- event mapping ---------------------------------------------------------

  /** The Deployment that controls `obj` (by controller ownerReference, uid checked against the cache). */
  private ownerKeys(obj: { metadata: { namespace?: string; ownerReferences?: OwnerReference[] } }): string[] {
    const ref = controllerOf(obj);
    if (!ref || ref.kind !== 'Deployment') return [];
    const key = `${obj.metadata.namespace}/${ref.name}`;
    const d = this.deployments.cache.get(key);
    return d && d.metadata.uid === ref.uid ? [key] : [];
  }

  private deploymentKeysFor(rs: RS): string[] {
    if (controllerOf(rs)) return this.ownerKeys(rs);
    // An orphan: every Deployment that would adopt it.
    return this.deployments.cache
      .listNamespace(rs.metadata.namespace ?? '')
      .filter((d) => selectorMatches(d.spec?.selector, rs.metadata.labels))
      .map((d) => `${d.metadata.namespace}/${d.metadata.name}`);
  }

  private podDeleted(pod: PodObject): void {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.cache.get(`${pod.metadata.namespace}/${ref.name}`);
    if (!rs || rs.metadata.uid !== ref.uid) return;
    for (const key of this.ownerKeys(rs)) {
      if (this.deployments.cache.get(key)?.spec?.strategy?.type === 'Recreate') this.enqueue(key);
    }
  }

  // ---- sync --------------------------------------------------------------------

  protected async sync(key: string): Promise<void> {
    try {
      await this.syncDeployment(key);
    } catch (err) {
      // Absorbed: a 409 means we wrote from a cache behind the server (most often
      // behind our own last write). The newer version's watch event enqueues the
      // Deployment again (a set's event maps to its owner), so retrying now with
      // backoff would only repeat the stale read.
      if (isApiError(err, 'Conflict')) {
        this.logger.debug(`sync "${key}": ${(err as Error).message}; waiting for the newer version`);
        return;
      }
      throw err;
    }
  }

  private async syncDeployment(key: string): Promise<void> {
    const cached = this.deployments.cache.get(key);
    if (!cached) return; // deleted: the garbage collector removes its sets
    const d = deepCopy(cached) as DeploymentObject;
    const selector = d.spec?.selector;
    if (!selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)) {
      this.record(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) await this.writeStatus(d, { ...(d.status ?? {}), observedGeneration: d.metadata.generation });
      return;
    }
    const rsList = await this.claimReplicaSets(d);

    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(d, rsList, false);
      await this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
      return;
    }

    await this.checkPausedConditions(d);
    if (d.spec?.paused || (await this.isScalingEvent(d, rsList))) {
      await this.syncScale(d, rsList);
      return;
    }
    if (isRollingUpdate(d)) await this.rolloutRolling(d, rsList);
    else await this.rolloutRecreate(d, rsList);
  }

  /**
   * ControllerRefManager.ClaimReplicaSets: the Deployment's own sets its
   * selector matches, orphans it matches adopted, its own it no longer
   * matches released. Adoption asks the API (not the cache) whether the
   * Deployment is still the same live object first.
   */
  private async claimReplicaSets(d: DeploymentObject): Promise<RS[]> {
    const claimed: RS[] = [];
    let canAdopt: boolean | undefined;
    const deleting = Boolean(d.metadata.deletionTimestamp);
    for (const rs of this.replicaSets.cache.listNamespace(d.metadata.namespace ?? '')) {
      const ref = controllerOf(rs);
      const matches = selectorMatches(d.spec?.selector, rs.metadata.labels);
      if (ref) {
        if (ref.uid !== d.metadata.uid) continue;
        if (matches) {
          claimed.push(rs);
          continue;
        }
        if (deleting) continue;
        await this.patchOwners(rs, (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== d.metadata.uid));
        continue;
      }
      if (deleting || !matches || rs.metadata.deletionTimestamp) continue;
      canAdopt ??= await this.stillLive(d);
      if (!canAdopt) continue;
      const adopted = await this.patchOwners(rs, [...(rs.metadata.ownerReferences ?? []), this.controllerRef(d)]);
      if (adopted) claimed.push(adopted);
    }
    return claimed;
  }

  private async stillLive(d: DeploymentObject): Promise<boolean> {
    try {
      const fresh = await this.client.get<DeploymentObject>(DEPLOYMENTS, d.metadata.name, { namespace: d.metadata.namespace });
      return fresh.metadata.uid === d.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (err) {
      if (isApiError(err, 'NotFound')) return false;
      throw err;
    }
  }

  /** Set a set's ownerReferences (guarded by its resourceVersion); undefined when it is gone. */
  private async patchOwners(rs: RS, owners: OwnerReference[]): Promise<RS | undefined> {
    try {
      return await this.client.patch<RS>(
        REPLICASETS,
        rs.metadata.name,
        'merge',
        { metadata: { ownerReferences: owners.length > 0 ? owners : null, resourceVersion: rs.metadata.resourceVersion } },
        { namespace: rs.metadata.namespace },
      );
    } catch (err) {
      // Gone meanwhile: nothing to adopt or release.
      if (isApiError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  private controllerRef(d: DeploymentObject): OwnerReference {
    return { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid, controller: true, blockOwnerDeletion: true };
  }

  /** checkPausedConditions: Progressing Unknown DeploymentPaused / DeploymentResumed, unless it timed out. */
  private async checkPausedConditions(d: DeploymentObject): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === REASON.timedOut) return;
    const pausedCondition = cond?.reason === REASON.paused;
    const status = deepCopy(d.status ?? {});
    if (d.spec?.paused && !pausedCondition) {
      setCondition(status, newCondition('Progressing', 'Unknown', REASON.paused, 'Deployment is paused', this.clock.now()));
    } else if (!d.spec?.paused && pausedCondition) {
      setCondition(status, newCondition('Progressing', 'Unknown', REASON.resumed, 'Deployment is resumed', this.clock.now()));
    } else return;
    await this.writeStatus(d, status);
  }

  /** isScalingEvent: an active set whose desired-replicas annotation is not the Deployment's replicas. */
  private async isScalingEvent(d: DeploymentObject, rsList: RS[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(d, rsList, false);
    for (const rs of activeReplicaSets([...oldRSs, newRS])) {
      const desired = rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'];
      if (desired === undefined || !/^-?\d+$/.test(desired)) continue;
      if (Number(desired) !== replicasOf(d)) return true;
    }
    return false;
  }

  /** sync (paused or scaling): scale, clean up while paused, record status. */
  private async syncScale(d: DeploymentObject, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(d, rsList, false);
    await this.scale(d, newRS, oldRSs);
    if (d.spec?.paused) await this.cleanupDeployment(oldRSs, d);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  // ---- new and old sets, revisions -------------------------------------------

  private async replicaSetsAndSyncRevision(d: DeploymentObject, rsList: RS[], createIfMissing: boolean): Promise<{ newRS: RS | undefined; oldRSs: RS[] }> {
    const oldRSs = findOldReplicaSets(d, rsList);
    const newRS = await this.getNewReplicaSet(d, rsList, oldRSs, createIfMissing);
    // Later steps of this sync see the set as written, not as cached.
    if (newRS) {
      const i = rsList.findIndex((rs) => rs.metadata.uid === newRS.metadata.uid);
      if (i >= 0) rsList[i] = newRS;
    }
    return { newRS, oldRSs };
  }

  /**
   * getNewReplicaSet: the existing new set with its annotations and
   * minReadySeconds brought up to date, or (when asked) a new one created;
   * the Deployment's revision follows it.
   */
  private async getNewReplicaSet(d: DeploymentObject, rsList: RS[], oldRSs: RS[], createIfMissing: boolean): Promise<RS | undefined> {
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;

    if (existing) {
      const copy = deepCopy(existing) as RS;
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyChanged) {
        copy.spec = { ...copy.spec!, minReadySeconds: d.spec?.minReadySeconds ?? 0 };
        return this.client.update<RS>(REPLICASETS, copy, { namespace: copy.metadata.namespace });
      }
      await this.setDeploymentRevision(d, copy.metadata.annotations?.[REVISION_ANNOTATION] ?? '');
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        const status = deepCopy(d.status ?? {});
        setCondition(status, newCondition('Progressing', 'True', REASON.foundNewRS, `Found new replica set "${copy.metadata.name}"`, this.clock.now()));
        await this.writeStatus(d, status);
      }
      return copy;
    }
    if (!createIfMissing) return undefined;

    const template = deepCopy(d.spec!.template);
    const hash = computeHash(template, d.status?.collisionCount);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = deepCopy(d.spec!.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${d.metadata.name}-${hash}`;
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: d.metadata.namespace, ownerReferences: [this.controllerRef(d)], labels: { ...template.metadata.labels } },
      spec: { replicas: 0, selector, template, ...(d.spec?.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}) },
    } as unknown as RS;
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);

    let created: RS;
    let alreadyExists = false;
    try {
      created = await this.client.create<RS>(REPLICASETS, rs, { namespace: d.metadata.namespace });
    } catch (err) {
      if (isApiError(err, 'AlreadyExists')) {
        alreadyExists = true;
        const found = await this.client.get<RS>(REPLICASETS, name, { namespace: d.metadata.namespace });
        const ref = controllerOf(found);
        if (ref?.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, found.spec?.template)) {
          created = found;
        } else {
          // A hash collision: another template has this name. Bump collisionCount
          // so that the next sync computes another hash; the error requeues.
          await this.writeStatus(d, { ...deepCopy(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 });
          this.logger.info(`hash collision for deployment ${d.metadata.namespace}/${d.metadata.name}: collisionCount now ${d.status?.collisionCount}`);
          throw err;
        }
      } else if (isApiError(err, 'Forbidden') && /terminat/i.test(err.message)) {
        throw err; // the namespace is going away: every create fails, nothing to report
      } else {
        const msg = `Failed to create new replica set "${name}": ${(err as Error).message}`;
        if (hasProgressDeadline(d)) {
          const status = deepCopy(d.status ?? {});
          setCondition(status, newCondition('Progressing', 'False', REASON.failedRSCreate, msg, this.clock.now()));
          // Deliberately absorbed: the create failure below is the error that matters.
          await this.writeStatus(d, status).catch(() => undefined);
        }
        this.record(d, 'Warning', REASON.failedRSCreate, msg);
        throw err;
      }
    }
    if (!alreadyExists && replicas > 0) this.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} to ${replicas}`);

    await this.setDeploymentRevision(d, String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      const status = deepCopy(d.status ?? {});
      setCondition(status, newCondition('Progressing', 'True', REASON.newRSCreated, `Created new replica set "${created.metadata.name}"`, this.clock.now()));
      await this.writeStatus(d, status);
    }
    return created;
  }

  /** The Deployment's revision annotation (a metadata patch: status writes leave metadata alone). */
  private async setDeploymentRevision(d: DeploymentObject, revision: string): Promise<void> {
    if (d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    const updated = await this.client.patch<DeploymentObject>(
      DEPLOYMENTS,
      d.metadata.name,
      'merge',
      { metadata: { annotations: { [REVISION_ANNOTATION]: revision }, resourceVersion: d.metadata.resourceVersion } },
      { namespace: d.metadata.namespace },
    );
    d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision };
    d.metadata.resourceVersion = updated.metadata.resourceVersion;
  }

  // ---- scaling -------------------------------------------------------------------

  /**
   * scale: one active set (or none) takes the full size; a saturated new set
   * leaves old ones at zero; otherwise (RollingUpdate) the difference to
   * replicas + maxSurge is shared out in proportion to each set's size, the
   * leftover to the largest.
   */
  private async scale(d: DeploymentObject, newRS: RS | undefined, oldRSs: RS[]): Promise<void> {
    const target = findActiveOrLatest(newRS, oldRSs);
    if (target) {
      if (replicasOf(target) !== replicasOf(d)) await this.scaleAndRecord(target, replicasOf(d), d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) await this.scaleAndRecord(old, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = activeReplicaSets([...oldRSs, newRS]);
    const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
    const toAdd = allowed - specReplicas(all);
    let operation = '';
    if (toAdd > 0) {
      largestNewerFirst(all);
      operation = 'up';
    } else if (toAdd < 0) {
      largestOlderFirst(all);
      operation = 'down';
    }
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const share = proportion(rs, d, toAdd, added);
        sizes.set(rs.metadata.name, replicasOf(rs) + share);
        added += share;
      } else sizes.set(rs.metadata.name, replicasOf(rs));
    }
    for (const [i, rs] of all.entries()) {
      if (i === 0 && toAdd !== 0) sizes.set(rs.metadata.name, Math.max(0, sizes.get(rs.metadata.name)! + toAdd - added));
      await this.scaleReplicaSet(rs, sizes.get(rs.metadata.name)!, d, operation);
    }
  }

  /** scaleReplicaSetAndRecordEvent: no-op at the same size. */
  private async scaleAndRecord(rs: RS, size: number, d: DeploymentObject): Promise<{ scaled: boolean; rs: RS }> {
    if (replicasOf(rs) === size) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, size, d, replicasOf(rs) < size ? 'up' : 'down');
  }

  /** scaleReplicaSet: the size and the desired/max-replicas annotations in one update; an Event when the size changed. */
  private async scaleReplicaSet(rs: RS, size: number, d: DeploymentObject, operation: string): Promise<{ scaled: boolean; rs: RS }> {
    const sizeChanged = replicasOf(rs) !== size;
    const max = replicasOf(d) + maxSurge(d);
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, replicasOf(d), max)) return { scaled: false, rs };
    const from = replicasOf(rs);
    const copy = deepCopy(rs) as RS;
    copy.spec = { ...copy.spec!, replicas: size };
    setReplicasAnnotations(copy, replicasOf(d), max);
    const updated = await this.client.update<RS>(REPLICASETS, copy, { namespace: copy.metadata.namespace });
    if (sizeChanged) this.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${rs.metadata.name} to ${size} from ${from}`);
    return { scaled: sizeChanged, rs: updated };
  }

  // ---- RollingUpdate -------------------------------------------------------------

  private async rolloutRolling(d: DeploymentObject, rsList: RS[]): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(d, rsList, true);
    const all = [...oldRSs, newRS];
    if (newRS && (await this.reconcileNewReplicaSet(all, newRS, d))) return this.syncRolloutStatus(all, newRS, d);
    if (newRS && (await this.reconcileOldReplicaSets(all, activeReplicaSets(oldRSs), newRS, d))) return this.syncRolloutStatus(all, newRS, d);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanupDeployment(oldRSs, d);
    return this.syncRolloutStatus(all, newRS, d);
  }

  /** reconcileNewReplicaSet: grow the new set as far as maxSurge allows (or shrink it to replicas). */
  private async reconcileNewReplicaSet(all: Array<RS | undefined>, newRS: RS, d: DeploymentObject): Promise<boolean> {
    if (replicasOf(newRS) === replicasOf(d)) return false;
    if (replicasOf(newRS) > replicasOf(d)) return (await this.scaleAndRecord(newRS, replicasOf(d), d)).scaled;
    return (await this.scaleAndRecord(newRS, newRSNewReplicas(d, all, newRS), d)).scaled;
  }

  /**
   * reconcileOldReplicaSets: shrink old sets by at most what keeps
   * replicas - maxUnavailable pods available, counting the new set's
   * unavailable pods as unavailable; unhealthy old replicas go first, since
   * they count for nothing and would otherwise block the rollout.
   */
  private async reconcileOldReplicaSets(all: Array<RS | undefined>, oldRSs: RS[], newRS: RS, d: DeploymentObject): Promise<boolean> {
    if (specReplicas(oldRSs) === 0) return false;
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    const { oldRSs: cleaned, count: cleanedUp } = await this.cleanupUnhealthyReplicas(oldRSs, d, maxScaledDown);
    const scaledDown = await this.scaleDownOldReplicaSetsForRollingUpdate([...cleaned, newRS], cleaned, d);
    return cleanedUp + scaledDown > 0;
  }

  private async cleanupUnhealthyReplicas(oldRSs: RS[], d: DeploymentObject, maxCleanup: number): Promise<{ oldRSs: RS[]; count: number }> {
    const sets = oldestFirst([...oldRSs]);
    let total = 0;
    for (const [i, rs] of sets.entries()) {
      if (total >= maxCleanup) break;
      const available = rs.status?.availableReplicas ?? 0;
      // `>=`, not Kubernetes' `==`: a status not yet caught up with a scale-down
      // (more available than wanted) has no unhealthy replicas, rather than a negative count.
      if (replicasOf(rs) === 0 || available >= replicasOf(rs)) continue;
      const count = Math.min(maxCleanup - total, replicasOf(rs) - available);
      const size = replicasOf(rs) - count;
      if (size > replicasOf(rs)) throw new Error(`plugin/controllers: deployment: when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${replicasOf(rs)} -> ${size}`);
      sets[i] = (await this.scaleAndRecord(rs, size, d)).rs;
      total += count;
    }
    return { oldRSs: sets, count: total };
  }

  private async scaleDownOldReplicaSetsForRollingUpdate(all: Array<RS | undefined>, oldRSs: RS[], d: DeploymentObject): Promise<number> {
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    // A set's pods beyond its spec are on their way out: not counted, so that a
    // status that has not caught up with the last scale-down cannot buy a second one.
    const available = all.reduce((n, rs) => n + (rs ? Math.min(rs.status?.availableReplicas ?? 0, replicasOf(rs)) : 0), 0);
    if (available <= minAvailable) return 0;
    const budget = available - minAvailable;
    let total = 0;
    for (const rs of oldestFirst([...oldRSs])) {
      if (total >= budget) break;
      if (replicasOf(rs) === 0) continue;
      const count = Math.min(replicasOf(rs), budget - total);
      await this.scaleAndRecord(rs, replicasOf(rs) - count, d);
      total += count;
    }
    return total;
  }

  // ---- Recreate ------------------------------------------------------------------

  private async rolloutRecreate(d: DeploymentObject, rsList: RS[]): Promise<void> {
    // No new set before the old ones are down, so nothing scales up early.
    let { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(d, rsList, false);
    let all: Array<RS | undefined> = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) if ((await this.scaleAndRecord(rs, 0, d)).scaled) scaledDown = true;
    if (scaledDown) return this.syncRolloutStatus(all, newRS, d);
    if (this.oldPodsRunning(newRS, oldRSs, rsList, d)) return this.syncRolloutStatus(all, newRS, d);
    if (!newRS) {
      ({ newRS, oldRSs } = await this.replicaSetsAndSyncRevision(d, rsList, true));
      all = [...oldRSs, newRS];
    }
    if (newRS) await this.scaleAndRecord(newRS, replicasOf(d), d);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanupDeployment(oldRSs, d);
    return this.syncRolloutStatus(all, newRS, d);
  }

  /** oldPodsRunning: old sets report pods, or pods of theirs are not finished (Unknown counts as running). */
  private oldPodsRunning(newRS: RS | undefined, oldRSs: RS[], rsList: RS[], d: DeploymentObject): boolean {
    if (actualReplicas(oldRSs) > 0) return true;
    const owned = new Set(rsList.map((rs) => rs.metadata.uid));
    for (const pod of this.pods.cache.listNamespace(d.metadata.namespace ?? '')) {
      if (!selectorMatches(d.spec?.selector, pod.metadata.labels)) continue;
      const ref = controllerOf(pod);
      if (!ref || !owned.has(ref.uid) || (newRS && ref.uid === newRS.metadata.uid)) continue;
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
    return false;
  }

  // ---- history -------------------------------------------------------------------

  /** cleanupDeployment: delete the oldest old sets beyond revisionHistoryLimit that have nothing left. */
  private async cleanupDeployment(oldRSs: RS[], d: DeploymentObject): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    lowestRevisionFirst(cleanable);
    for (const rs of cleanable.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.client.delete(REPLICASETS, rs.metadata.name, { namespace: rs.metadata.namespace });
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err; // already gone is what we wanted
      }
    }
  }

  // ---- status ----------------------------------------------------------------------

  private async syncDeploymentStatus(all: Array<RS | undefined>, newRS: RS | undefined, d: DeploymentObject): Promise<void> {
    const status = calculateStatus(all, newRS, d, this.clock.now());
    if (statusEqual(d.status, status)) return;
    await this.writeStatus(d, status);
  }

  /** syncRolloutStatus: status plus the Progressing condition, and a requeue for the deadline. */
  private async syncRolloutStatus(all: Array<RS | undefined>, newRS: RS | undefined, d: DeploymentObject): Promise<void> {
    const now = this.clock.now();
    const status = calculateStatus(all, newRS, d, now);
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const current = getCondition(d.status, 'Progressing');
    const complete = status.replicas === status.updatedReplicas && current?.reason === REASON.newRSAvailable;
    if (hasProgressDeadline(d) && !complete) {
      if (deploymentComplete(d, status)) {
        const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` : `Deployment "${d.metadata.name}" has successfully progressed.`;
        setCondition(status, newCondition('Progressing', 'True', REASON.newRSAvailable, msg, now));
      } else if (deploymentProgressing(d, status)) {
        const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : `Deployment "${d.metadata.name}" is progressing.`;
        const condition = newCondition('Progressing', 'True', REASON.rsUpdated, msg, now);
        // Progress refreshes lastUpdateTime even with the same reason (what the deadline counts from).
        if (current) {
          if (current.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
          removeCondition(status, 'Progressing');
        }
        setCondition(status, condition);
      } else if (deploymentTimedOut(d, status, now)) {
        const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
        setCondition(status, newCondition('Progressing', 'False', REASON.timedOut, msg, now));
      }
    }
    const failure = this.replicaFailure(all, newRS);
    if (failure) setCondition(status, failure);
    else removeCondition(status, 'ReplicaFailure');

    if (statusEqual(d.status, status)) {
      this.requeueStuckDeployment(d, status);
      return;
    }
    await this.writeStatus(d, status);
  }

  /** getReplicaFailures: the new set's ReplicaFailure condition, else the first old one's. */
  private replicaFailure(all: Array<RS | undefined>, newRS: RS | undefined): DeploymentCondition | undefined {
    for (const rs of [newRS, ...all]) {
      const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
      if (c) return { type: 'ReplicaFailure', status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime, lastUpdateTime: c.lastTransitionTime };
    }
    return undefined;
  }

  /** requeueStuckDeployment: look again when the progress deadline passes (a second late, as Kubernetes). */
  private requeueStuckDeployment(d: DeploymentObject, status: DeploymentStatus): void {
    const current = getCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !current) return;
    if (deploymentComplete(d, status) || current.reason === REASON.timedOut) return;
    const lastUpdate = Date.parse(current.lastUpdateTime ?? '');
    if (Number.isNaN(lastUpdate)) return;
    const after = lastUpdate + d.spec!.progressDeadlineSeconds! * 1000 - this.clock.now();
    const key = `${d.metadata.namespace}/${d.metadata.name}`;
    if (after < 1000) this.queue.addRateLimited(key);
    else this.enqueueAfter(key, after + 1000);
  }

  /** Write status through the status subresource; `d` follows (status and resourceVersion). */
  private async writeStatus(d: DeploymentObject, status: DeploymentStatus): Promise<void> {
    const updated = await this.client.update<DeploymentObject>(DEPLOYMENTS, { ...d, status }, { namespace: d.metadata.namespace, subresource: 'status' });
    d.status = status;
    d.metadata.resourceVersion = updated.metadata.resourceVersion;
  }

  private record(d: DeploymentObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const ref: InvolvedObject = { kind: 'Deployment', apiVersion: 'apps/v1', name: d.metadata.name, namespace: d.metadata.namespace, uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion };
    this.events.record(ref, type, reason, message);
  }
}

export interface DeploymentSettings {
  /** Concurrent syncs (kube-controller-manager's --concurrent-deployment-syncs, default 5). */
  workers?: number;
}

const deploymentController: ControllerModule<DeploymentSettings> = {
  name: 'deployment',
  enabledByDefault: true,
  optionsSchema: { type: 'object', additionalProperties: false, properties: { workers: { type: 'integer', minimum: 1 } } },
  start(context, options) {
    const controller = new DeploymentController({
      client: context.client,
      deployments: context.informers.informerFor<DeploymentObject>(DEPLOYMENTS),
      replicaSets: context.informers.informerFor<RS>(REPLICASETS),
      pods: context.informers.informerFor<PodObject>(PODS),
      events: context.events(EVENT_COMPONENT),
      clock: context.clock,
      logger: context.logger,
    });
    return { stopped: controller.run(options.workers ?? 5, context.signal) };
  },
};

export default deploymentController;
