/**
 * DefaultPreemption (PostFilter), as kube-scheduler's: when no node fits a
 * pod, find the nodes where evicting lower-priority pods would make it fit,
 * pick the one whose eviction hurts least, evict those pods and nominate the
 * node. The scheduler then requeues the pod; it is scheduled there once the
 * victims have gone.
 *
 * The steps, each as Kubernetes' preemption.Evaluator does them:
 * 1. Eligibility: a pod with `preemptionPolicy: Never` does not preempt; a pod
 *    already nominated to a node where lower-priority victims it preempted
 *    are still terminating does not preempt again (unless that node is now
 *    UnschedulableAndUnresolvable for it).
 * 2. Candidates: the nodes whose filter failure was Unschedulable (preemption
 *    cannot fix UnschedulableAndUnresolvable). On a copy of each (NodeInfo
 *    and CycleState), remove every lower-priority pod, check the pod fits,
 *    then put back as many as possible, the most important first: what
 *    cannot be put back are the victims. Pods nominated to the node with an
 *    equal or higher priority count as present. The dry run starts at a
 *    random node and stops once it has `max(minCandidateNodesPercentage% of
 *    the nodes, minCandidateNodesAbsolute)` candidates.
 * 3. The node: fewest PodDisruptionBudget violations, then the lowest
 *    highest-victim priority, the smallest sum of victim priorities, the
 *    fewest victims, the latest start among the highest-priority victims,
 *    then the first found.
 * 4. Act: on each victim a `DisruptionTarget` condition, then its deletion
 *    (with its own grace period) and a `Preempted` event; lower-priority pods
 *    nominated to the node lose their nomination.
 *
 * PodDisruptionBudgets are not consulted: skiff has no PodDisruptionBudget
 * resource yet, so every victim counts as non-violating (the first criterion
 * of step 3 is then a tie, and kept so that adding PDBs later is local).
 */
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';
import { rfc3339 } from '../../../kernel/api/codec';
import { isApiError } from '../../../kernel/api/errors';
import { PluginError } from '../../../kernel/plugin';
import type { ResourceType } from '../../../kernel/client/types';
import type { CycleState, NodeInfo, NodeStatusMap, PodInfo, PostFilterPlugin, PostFilterResult, SchedulingPlugin } from '../../../kernel/scheduling/types';
import { SchedulingStatus } from '../../../kernel/scheduling/types';
import type { FrameworkHandle } from '../framework/handle';
import { MutableNodeInfo } from '../framework/node-info';

export const DEFAULT_PREEMPTION = 'DefaultPreemption';

/** kube-scheduler's DefaultPreemptionArgs. */
export interface DefaultPreemptionArgs {
  /** Candidates wanted from the dry run, as a percentage of the nodes where preemption might help (0-100). */
  readonly minCandidateNodesPercentage: number;
  /** ... and at least this many (>= 0; not both zero). */
  readonly minCandidateNodesAbsolute: number;
}

export const DEFAULT_PREEMPTION_ARGS: DefaultPreemptionArgs = Object.freeze({ minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100 });

export interface DefaultPreemptionOptions {
  /**
   * The node the dry run starts at, an integer in [0, numNodes) (Kubernetes:
   * rand.Int31n). Defaults to Math.random; tests pass a fixed one.
   */
  randomOffset?(numNodes: number): number;
}

/** A node where preemption makes the pod fit, with what it costs. */
export interface PreemptionCandidate {
  readonly nodeName: string;
  /** Most important first (highest priority, then earliest start). */
  readonly victims: readonly PodInfo[];
  /** Always 0 until skiff has PodDisruptionBudgets. */
  readonly numPDBViolations: number;
}

export type DefaultPreemption = PostFilterPlugin & Required<Pick<SchedulingPlugin, 'argsSchema' | 'defaultArgs' | 'validateArgs'>>;

const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod' };

/** Kubernetes' v1.DisruptionTarget and v1.PodReasonPreemptionByScheduler. */
export const DISRUPTION_TARGET = 'DisruptionTarget';
export const PREEMPTION_BY_SCHEDULER = 'PreemptionByScheduler';

const NO_VICTIMS = 'No preemption victims found for incoming pod';
const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
/** A node the filters did not report on: as Kubernetes' default for absent nodes, preemption cannot help there. */
const ABSENT = SchedulingStatus.unresolvable(NOT_HELPFUL);
/** Added to every priority before summing, so that negative priorities still add up to more for more pods (math.MaxInt32 + 1). */
const PRIORITY_OFFSET = 2 ** 31;

const argsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    minCandidateNodesPercentage: { type: 'integer' },
    minCandidateNodesAbsolute: { type: 'integer' },
  },
} as const;

/** The pod's priority as the scheduler reads it (spec.priority, 0 when unset). */
export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

/** When the pod started (status.startTime); `now` for pods that have not (assumed, or bound but not started). */
function startTime(pod: Pod, now: number): number {
  const t = pod.status?.startTime ? Date.parse(pod.status.startTime) : NaN;
  return Number.isNaN(t) ? now : t;
}

/** Kubernetes' MoreImportantPod: higher priority, then the one that started first. */
function moreImportant(a: Pod, b: Pod, now: number): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return startTime(a, now) < startTime(b, now);
}

/** Whether `pod` is being deleted because the scheduler preempted it. */
function terminatingByPreemption(pod: Pod): boolean {
  if (!pod.metadata?.deletionTimestamp) return false;
  const condition = (pod.status?.conditions ?? []).find((c) => c.type === DISRUPTION_TARGET);
  return condition !== undefined && condition.status === 'True' && condition.reason === PREEMPTION_BY_SCHEDULER;
}

function uidOf(pod: Pod): string {
  return pod.metadata?.uid ?? '';
}

function podRef(pod: Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

function statusMessage(status: SchedulingStatus | undefined): string {
  return status?.reasons.join(', ') ?? '';
}

/** Kubernetes' utilerrors.NewAggregate(errs).Error(). */
function aggregate(messages: readonly string[]): string {
  return messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
}

/** Kubernetes' FitError message: "0/N nodes are available: <count> <reason>, ...." with the reasons sorted as strings. */
export function fitErrorMessage(numAllNodes: number, statuses: Iterable<SchedulingStatus>): string {
  const counts = new Map<string, number>();
  for (const status of statuses) for (const reason of status.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const histogram = [...counts].map(([reason, n]) => `${n} ${reason}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `0/${numAllNodes} nodes are available:` + (histogram.length > 0 ? ` ${histogram.join(', ')}.` : '');
}

/** How many candidates the dry run looks for among `numNodes` (kube-scheduler's calculateNumCandidates). */
export function numCandidates(numNodes: number, args: DefaultPreemptionArgs): number {
  let n = Math.floor((numNodes * args.minCandidateNodesPercentage) / 100);
  if (n < args.minCandidateNodesAbsolute) n = args.minCandidateNodesAbsolute;
  return Math.min(n, numNodes);
}

function validateArgs(args: Record<string, unknown>): Array<{ path: Array<string | number>; message: string }> {
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  const percentage = args.minCandidateNodesPercentage as number;
  const absolute = args.minCandidateNodesAbsolute as number;
  if (percentage < 0 || percentage > 100) problems.push({ path: ['minCandidateNodesPercentage'], message: `Invalid value: ${percentage}: not in valid range [0, 100]` });
  if (absolute < 0) problems.push({ path: ['minCandidateNodesAbsolute'], message: `Invalid value: ${absolute}: not in valid range [0, inf)` });
  if (percentage === 0 && absolute === 0) {
    problems.push(
      { path: ['minCandidateNodesPercentage'], message: `Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute` },
      { path: ['minCandidateNodesAbsolute'], message: `Invalid value: 0: cannot be zero at the same time as minCandidateNodesPercentage` },
    );
  }
  return problems;
}

/** A copy of `node` preemption may change. */
function copyNode(node: NodeInfo): MutableNodeInfo {
  if (node instanceof MutableNodeInfo) return node.clone();
  const copy = new MutableNodeInfo(node.name);
  copy.setNode(node.node, node.imageStates);
  for (const p of node.pods) copy.addPod(p);
  return copy;
}

/** A copy of `state` preemption may change (the scheduler's SchedulingCycleState clones; CycleState itself does not promise it). */
function copyState(state: CycleState): CycleState {
  const clone = (state as { clone?: () => CycleState }).clone;
  if (typeof clone !== 'function') throw new PluginError(DEFAULT_PREEMPTION, 'the cycle state cannot be cloned, and preemption evaluates every node on a copy');
  return clone.call(state);
}

interface VictimSelection {
  readonly victims: PodInfo[];
  readonly status: SchedulingStatus;
}

/**
 * The DefaultPreemption plugin. `handle` is the scheduler's (client, clock,
 * filters, nominated pods, events); its args come from the profile of each
 * pod (`state.profile.args`).
 */
export function createDefaultPreemption(handle: FrameworkHandle, options: DefaultPreemptionOptions = {}): DefaultPreemption {
  const randomOffset = options.randomOffset ?? ((n: number) => Math.floor(Math.random() * n));

  function argsOf(state: CycleState): DefaultPreemptionArgs {
    return { ...DEFAULT_PREEMPTION_ARGS, ...(state.profile.args<Partial<DefaultPreemptionArgs>>(DEFAULT_PREEMPTION) ?? {}) };
  }

  /** Why `pod` may not preempt now, or undefined when it may (kube-scheduler's PodEligibleToPreemptOthers). */
  function ineligibility(state: CycleState, pod: Pod, failures: NodeStatusMap): string | undefined {
    if (pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
    const nominated = pod.status?.nominatedNodeName;
    if (!nominated) return undefined;
    // Its nominated node no longer suits it at all: it may look for another.
    if ((failures.get(nominated) ?? ABSENT).code === 'UnschedulableAndUnresolvable') return undefined;
    const node = state.snapshot.get(nominated);
    if (!node) return undefined;
    const priority = podPriority(pod);
    for (const p of node.pods) {
      if (podPriority(p.pod) < priority && terminatingByPreemption(p.pod)) return 'not eligible due to a terminating pod on the nominated node.';
    }
    return undefined;
  }

  /**
   * Filters on `node` with the pods nominated to it that matter to `pod`
   * (equal or higher priority) added, and then, if any were and the pod
   * fits, without them too: it must fit both ways, since a nominated pod may
   * go elsewhere (kube-scheduler's RunFilterPluginsWithNominatedPods).
   */
  function filterWithNominatedPods(state: CycleState, pod: Pod, node: MutableNodeInfo): SchedulingStatus | undefined {
    const priority = podPriority(pod);
    const nominated = handle.nominatedPodsFor(node.name).filter((p) => podPriority(p.pod) >= priority && uidOf(p.pod) !== uidOf(pod));
    let withNominated: { state: CycleState; node: MutableNodeInfo } | undefined;
    if (nominated.length > 0) {
      const nodeOut = node.clone();
      const stateOut = copyState(state);
      for (const p of nominated) {
        nodeOut.addPod(p);
        const s = handle.runPreFilterAddPod(stateOut, pod, p, nodeOut);
        if (!SchedulingStatus.isSuccess(s)) return SchedulingStatus.error(statusMessage(s));
      }
      withNominated = { state: stateOut, node: nodeOut };
    }
    const first = handle.runFilterPlugins(withNominated?.state ?? state, pod, withNominated?.node ?? node);
    if (!withNominated || !SchedulingStatus.isSuccess(first)) return first;
    return handle.runFilterPlugins(state, pod, node);
  }

  /**
   * The fewest pods on `node` (a copy) to evict for `pod` to fit, most
   * important first (kube-scheduler's SelectVictimsOnNode). `state` is a copy too.
   */
  function selectVictimsOnNode(state: CycleState, pod: Pod, node: MutableNodeInfo, now: number): VictimSelection {
    const priority = podPriority(pod);
    const remove = (p: PodInfo): SchedulingStatus | undefined => {
      node.removePod(uidOf(p.pod));
      const s = handle.runPreFilterRemovePod(state, pod, p, node);
      return SchedulingStatus.isSuccess(s) ? undefined : SchedulingStatus.error(statusMessage(s));
    };
    const potential: PodInfo[] = [];
    for (const p of [...node.pods]) {
      if (podPriority(p.pod) >= priority) continue;
      potential.push(p);
      const failed = remove(p);
      if (failed) return { victims: [], status: failed };
    }
    // Nothing to evict: the node is as the filters saw it.
    if (potential.length === 0) return { victims: [], status: SchedulingStatus.unresolvable(NO_VICTIMS) };
    // Not even with every lower-priority pod gone. (A pod that fails only
    // because of affinity to the victims is not handled, as in Kubernetes.)
    const fits = filterWithNominatedPods(state, pod, node);
    if (!SchedulingStatus.isSuccess(fits)) return { victims: [], status: fits! };

    potential.sort((a, b) => (moreImportant(a.pod, b.pod, now) ? -1 : moreImportant(b.pod, a.pod, now) ? 1 : 0));
    // Reprieve as many as possible, the most important first. (Kubernetes
    // first reprieves the pods whose eviction would violate a PDB; none do here.)
    const victims: PodInfo[] = [];
    for (const p of potential) {
      node.addPod(p);
      const added = handle.runPreFilterAddPod(state, pod, p, node);
      if (!SchedulingStatus.isSuccess(added)) return { victims: [], status: SchedulingStatus.error(statusMessage(added)) };
      if (SchedulingStatus.isSuccess(filterWithNominatedPods(state, pod, node))) continue;
      const failed = remove(p);
      if (failed) return { victims: [], status: failed };
      victims.push(p);
    }
    return { victims, status: SchedulingStatus.success() };
  }

  /** Kubernetes' pickOneNodeForPreemption: each criterion breaks the previous one's ties. */
  function pickOne(candidates: readonly PreemptionCandidate[], now: number): PreemptionCandidate {
    const highestPriority = (c: PreemptionCandidate) => podPriority(c.victims[0].pod);
    const criteria: Array<(c: PreemptionCandidate) => number> = [
      (c) => -c.numPDBViolations,
      (c) => -highestPriority(c),
      (c) => -c.victims.reduce((sum, v) => sum + podPriority(v.pod) + PRIORITY_OFFSET, 0),
      (c) => -c.victims.length,
      // The latest start among the highest-priority victims: evict what has run the shortest.
      (c) => {
        const top = highestPriority(c);
        return Math.min(...c.victims.filter((v) => podPriority(v.pod) === top).map((v) => startTime(v.pod, now)));
      },
    ];
    let remaining = candidates;
    for (const score of criteria) {
      if (remaining.length === 1) break;
      let best = -Infinity;
      let kept: PreemptionCandidate[] = [];
      for (const c of remaining) {
        const s = score(c);
        if (s > best) {
          best = s;
          kept = [c];
        } else if (s === best) kept.push(c);
      }
      remaining = kept;
    }
    return remaining[0];
  }

  /** Mark, delete and report one victim. A victim already gone is not an error. */
  async function preemptVictim(pod: Pod, nodeName: string, victim: Pod): Promise<void> {
    const namespace = victim.metadata?.namespace ?? 'default';
    const name = victim.metadata?.name ?? '';
    const gone = (err: unknown) => isApiError(err, 'NotFound') || isApiError(err, 'Conflict');
    const condition: PodCondition = {
      type: DISRUPTION_TARGET,
      status: 'True',
      reason: PREEMPTION_BY_SCHEDULER,
      message: `${pod.spec?.schedulerName ?? 'default-scheduler'}: preempting to accommodate a higher priority pod`,
    };
    const existing = (victim.status?.conditions ?? []).find((c) => c.type === DISRUPTION_TARGET);
    const unchanged = existing && existing.status === condition.status && existing.reason === condition.reason && existing.message === condition.message;
    try {
      if (!unchanged) {
        const lastTransitionTime = existing?.status === condition.status && existing.lastTransitionTime ? existing.lastTransitionTime : rfc3339(new Date(handle.clock.now()));
        await handle.client.patch(PODS, name, 'strategic', { status: { conditions: [{ ...condition, lastTransitionTime }] } }, { namespace, subresource: 'status' });
      }
      await handle.client.delete(PODS, name, {
        namespace,
        ...(victim.spec?.terminationGracePeriodSeconds !== undefined ? { gracePeriodSeconds: victim.spec.terminationGracePeriodSeconds } : {}),
        ...(victim.metadata?.uid ? { preconditions: { uid: victim.metadata.uid } } : {}),
      });
    } catch (err) {
      // Deliberately absorbed: the victim is already gone (or replaced by a pod of the same name, which the uid precondition spares).
      if (gone(err)) {
        handle.logger.debug('victim pod is already deleted', { preemptor: podRef(pod), victim: `${namespace}/${name}`, node: nodeName });
        return;
      }
      throw new PluginError(DEFAULT_PREEMPTION, `preempting pod ${namespace}/${name} on node ${nodeName}: ${(err as Error).message}`, { cause: err });
    }
    handle.recordEvent(victim, { type: 'Normal', reason: 'Preempted', action: 'Preempting', message: `Preempted by pod ${uidOf(pod)} on node ${nodeName}` });
  }

  /** Evict the candidate's victims and take the node's nomination from lower-priority pods (kube-scheduler's prepareCandidate). */
  async function prepareCandidate(pod: Pod, candidate: PreemptionCandidate): Promise<void> {
    // A victim whose graceful deletion has started needs no second call.
    await Promise.all(candidate.victims.filter((v) => !v.pod.metadata?.deletionTimestamp).map((v) => preemptVictim(pod, candidate.nodeName, v.pod)));
    const priority = podPriority(pod);
    const lower = handle.nominatedPodsFor(candidate.nodeName).filter((p) => podPriority(p.pod) < priority && p.pod.status?.nominatedNodeName);
    await Promise.all(
      lower.map(async ({ pod: p }) => {
        try {
          await handle.client.patch(PODS, p.metadata?.name ?? '', 'strategic', { status: { nominatedNodeName: null } }, { namespace: p.metadata?.namespace ?? 'default', subresource: 'status' });
        } catch (err) {
          // Deliberately absorbed, as in Kubernetes: that pod keeps a stale nomination until its next attempt, which is not critical.
          handle.logger.warn('cannot clear the nominatedNodeName of a lower-priority pod', { pod: podRef(p), node: candidate.nodeName, error: err });
        }
      }),
    );
  }

  async function preempt(state: CycleState, pod: Pod, failures: NodeStatusMap): Promise<PostFilterResult> {
    const why = ineligibility(state, pod, failures);
    // No nominatedNodeName in the result: the pod keeps its nomination.
    if (why) return { status: SchedulingStatus.unschedulable(why) };

    const allNodes = state.snapshot.nodes;
    if (allNodes.length === 0) return { status: SchedulingStatus.error('no nodes available') };
    const potential = allNodes.filter((n) => (failures.get(n.name) ?? ABSENT).code === 'Unschedulable');
    const now = handle.clock.now();
    const args = argsOf(state);

    const statuses = new Map<string, SchedulingStatus>();
    const candidates: PreemptionCandidate[] = [];
    const errors: string[] = [];
    if (potential.length > 0) {
      const offset = Math.min(potential.length - 1, Math.max(0, Math.floor(randomOffset(potential.length))));
      const wanted = numCandidates(potential.length, args);
      for (let i = 0; i < potential.length && candidates.length < wanted; i++) {
        const node = potential[(offset + i) % potential.length];
        const selection = selectVictimsOnNode(copyState(state), pod, copyNode(node), now);
        if (selection.status.code === 'Success' && selection.victims.length > 0) {
          candidates.push({ nodeName: node.name, victims: selection.victims, numPDBViolations: 0 });
          continue;
        }
        const status = selection.status.code === 'Success' ? SchedulingStatus.error(`expected at least one victim pod on node "${node.name}"`) : selection.status;
        if (status.code === 'Error') errors.push(statusMessage(status));
        statuses.set(node.name, status);
      }
    }
    if (candidates.length === 0 && errors.length > 0) return { status: SchedulingStatus.error(aggregate(errors)) };
    if (candidates.length === 0) {
      // Every node the dry run did not report on could not be helped.
      const message = fitErrorMessage(allNodes.length, allNodes.map((n) => statuses.get(n.name) ?? ABSENT));
      // An empty nominatedNodeName clears the pod's nomination, as Kubernetes' NewPostFilterResultWithNominatedNode("").
      return { nominatedNodeName: '', status: SchedulingStatus.unschedulable(message) };
    }

    const best = pickOne(candidates, now);
    await prepareCandidate(pod, best);
    return { nominatedNodeName: best.nodeName, status: SchedulingStatus.success() };
  }

  return {
    name: DEFAULT_PREEMPTION,
    argsSchema,
    defaultArgs: { ...DEFAULT_PREEMPTION_ARGS },
    validateArgs,
    /**
     * No node fits `pod`: preempt if that can help. Returns the nominated
     * node and Success when victims were evicted (the scheduler requeues the
     * pod); Unschedulable with Kubernetes' "preemption: ..." summary when no
     * node can be helped (nominatedNodeName '' asks the scheduler to clear
     * the pod's nomination) or when the pod may not preempt (no
     * nominatedNodeName: keep it). Faults of the API calls are thrown.
     */
    async postFilter(state, pod, failures) {
      const result = await preempt(state, pod, failures);
      const reasons = result.status.reasons;
      // Kubernetes prefixes every message of the preemption with where it comes from.
      if (reasons.length === 0 || reasons.every((r) => r === '')) return result;
      return { ...result, status: { ...result.status, reasons: [`preemption: ${reasons.join(', ')}`] } };
    },
  } satisfies DefaultPreemption;
}
