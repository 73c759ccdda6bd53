/**
 * Taint-based eviction (Kubernetes' NoExecuteTaintManager, now the
 * taint-eviction-controller): a pod on a node with a NoExecute taint it does
 * not tolerate is deleted at once; one that tolerates every such taint, some
 * for a limited `tolerationSeconds`, is deleted when the earliest of those
 * runs out; one that tolerates them all without a limit stays.
 *
 * Keys are pods (`namespace/name`); a node's add or update enqueues the pods
 * on it. Unlike Kubernetes, which counts tolerationSeconds from when its
 * in-memory timer was set, a limit is counted from the taint's `timeAdded`
 * (from when this controller first saw the taint if it has none): the
 * deadline then survives a controller restart, and syncs stay level-triggered.
 *
 * Before deleting, the pod gets the DisruptionTarget condition (reason
 * DeletionByTaintManager) and an event TaintManagerEviction "Marking for
 * deletion Pod ns/name"; a scheduled deletion that is no longer due (the
 * taint went, or a toleration was added) records "Cancelling deletion of Pod
 * ns/name".
 */
import type { PodCondition, Taint, Toleration } from 'kubernetes-types/core/v1';
import { isApiError } from '../../../kernel/api/errors';
import { Controller } from '../../../kernel/client/controller';
import { podRef, rfc3339, type EventRecorder } from '../../../kernel/client/events';
import type { SharedInformer } from '../../../kernel/client/informer';
import type { ApiClient } from '../../../kernel/client/types';
import { tolerates } from '../../../kernel/scheduling/types';
import type { ControllerContext } from '../types';
import { NODES, PODS, POD_NODE_NAME_INDEX, noExecuteTaints, podNodeNameIndex, type NodeObject, type PodObject } from './taints';

/** Kubernetes' v1.DisruptionTarget and the taint manager's reason and message. */
export const DISRUPTION_TARGET = 'DisruptionTarget';
export const DELETION_BY_TAINT_MANAGER = 'DeletionByTaintManager';
export const TAINT_MANAGER_MESSAGE = 'Taint manager: deleting due to NoExecute taint';
export const TAINT_MANAGER_EVICTION = 'TaintManagerEviction';

/** What should happen to a pod on a node with these NoExecute taints. */
export type EvictionDecision =
  | { readonly action: 'keep' }
  | { readonly action: 'evict' }
  /** Evict at `at` (ms since the epoch). */
  | { readonly action: 'evictAt'; readonly at: number };

/**
 * The decision for a pod with `tolerations` on a node with NoExecute
 * `taints`, at `now`. `since(taint)` is when the taint was added. As
 * Kubernetes, each taint is judged by the first toleration that tolerates
 * it; a limit of 0 or less means at once.
 */
export function evictionDecision(taints: readonly Taint[], tolerations: readonly Toleration[], now: number, since: (taint: Taint) => number): EvictionDecision {
  let at = Infinity;
  for (const taint of taints) {
    const toleration = tolerations.find((t) => tolerates(t, taint));
    if (!toleration) return { action: 'evict' };
    if (toleration.tolerationSeconds === undefined || toleration.tolerationSeconds === null) continue;
    at = Math.min(at, since(taint) + Math.max(0, toleration.tolerationSeconds) * 1000);
  }
  if (at === Infinity) return { action: 'keep' };
  return at <= now ? { action: 'evict' } : { action: 'evictAt', at };
}

export class TaintEvictionController extends Controller {
  private readonly pods: SharedInformer<PodObject>;
  private readonly nodes: SharedInformer<NodeObject>;
  private readonly events: EventRecorder;
  private readonly clock: ControllerContext['clock'];
  /** Pods with a deletion scheduled (for the cancel event). */
  private readonly scheduled = new Set<string>();
  /** When a taint without timeAdded was first seen, by `node\0key\0effect`. */
  private readonly firstSeen = new Map<string, number>();

  constructor(
    private readonly client: ApiClient,
    context: ControllerContext,
  ) {
    super({ name: 'taint-eviction', clock: context.clock, logger: context.logger });
    this.clock = context.clock;
    this.events = context.events('taint-eviction-controller');
    this.pods = context.informers.informerFor<PodObject>(PODS, { indexers: { [POD_NODE_NAME_INDEX]: podNodeNameIndex } });
    this.nodes = context.informers.informerFor<NodeObject>(NODES);
    this.enqueueFrom(this.pods, (pod) => (pod.spec?.nodeName ? [`${pod.metadata.namespace}/${pod.metadata.name}`] : []));
    this.enqueueFrom(this.nodes, (node) => this.podKeysOn(node.metadata.name));
    // Forget first sightings of taints that went (with their node or from it).
    this.nodes.addEventHandler({
      onUpdate: (_old, node) => this.forgetTaints(node.metadata.name, noExecuteTaints(node)),
      onDelete: (node) => this.forgetTaints(node.metadata.name, []),
    });
  }

  private forgetTaints(nodeName: string, present: readonly Taint[]): void {
    for (const key of this.firstSeen.keys()) {
      const [node, taintKey, effect] = key.split('\u0000');
      if (node === nodeName && !present.some((t) => t.key === taintKey && t.effect === effect)) this.firstSeen.delete(key);
    }
  }

  private podKeysOn(nodeName: string): string[] {
    return this.pods.cache.byIndex(POD_NODE_NAME_INDEX, nodeName).map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  }

  private since(nodeName: string, taint: Taint): number {
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
    if (!Number.isNaN(added)) return added;
    const key = `${nodeName}\u0000${taint.key}\u0000${taint.effect}`;
    let seen = this.firstSeen.get(key);
    if (seen === undefined) this.firstSeen.set(key, (seen = this.clock.now()));
    return seen;
  }

  private cancel(key: string): void {
    if (!this.scheduled.delete(key)) return;
    const [namespace, name] = key.split('/');
    this.events.record({ kind: 'Pod', apiVersion: 'v1', name, namespace }, 'Normal', TAINT_MANAGER_EVICTION, `Cancelling deletion of Pod ${key}`);
  }

  protected async sync(key: string): Promise<void> {
    const pod = this.pods.cache.get(key);
    // Gone, already being deleted, or finished: nothing to evict.
    if (!pod || pod.metadata.deletionTimestamp || !pod.spec?.nodeName || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      this.scheduled.delete(key);
      return;
    }
    const nodeName = pod.spec.nodeName;
    const taints = noExecuteTaints(this.nodes.cache.get(nodeName));
    const now = this.clock.now();
    const decision = evictionDecision(taints, pod.spec.tolerations ?? [], now, (t) => this.since(nodeName, t));
    if (decision.action === 'keep') {
      this.cancel(key);
      return;
    }
    if (decision.action === 'evictAt') {
      this.scheduled.add(key);
      this.enqueueAfter(key, decision.at - now);
      return;
    }
    this.scheduled.delete(key);
    await this.evict(pod, now);
  }

  private async evict(pod: PodObject, now: number): Promise<void> {
    const namespace = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name;
    this.events.record(podRef(pod), 'Normal', TAINT_MANAGER_EVICTION, `Marking for deletion Pod ${namespace}/${name}`);
    const existing = (pod.status?.conditions ?? []).find((c) => c.type === DISRUPTION_TARGET);
    try {
      if (!existing || existing.status !== 'True' || existing.reason !== DELETION_BY_TAINT_MANAGER || existing.message !== TAINT_MANAGER_MESSAGE) {
        const condition: PodCondition = {
          type: DISRUPTION_TARGET,
          status: 'True',
          reason: DELETION_BY_TAINT_MANAGER,
          message: TAINT_MANAGER_MESSAGE,
          lastTransitionTime: existing?.status === 'True' && existing.lastTransitionTime ? existing.lastTransitionTime : rfc3339(now),
        };
        await this.client.patch(PODS, name, 'strategic', { status: { conditions: [condition] } }, { namespace, subresource: 'status' });
      }
      await this.client.delete(PODS, name, { namespace, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      // Gone already, or replaced by a pod of the same name (another uid): nothing of ours to delete.
      if (isApiError(err, 'NotFound') || isApiError(err, 'Conflict')) return;
      throw new Error(`plugin/controllers: taint eviction of pod ${namespace}/${name}: ${(err as Error).message}`, { cause: err });
    }
  }
}
