/**
 * TaintToleration: a node's taints keep away the pods that do not tolerate
 * them, as kube-scheduler's plugin of that name.
 *
 * Filter rejects a node with a NoSchedule or NoExecute taint the pod does
 * not tolerate, naming the first such taint as kube-scheduler (through 1.34)
 * does: "node(s) had untolerated taint {key: value}" (an empty value reads
 * "{key: }"). Score counts the PreferNoSchedule taints the pod does not
 * tolerate; NormalizeScore turns the counts around, so the node with the
 * fewest scores 100.
 *
 * Extension points: Filter, PreScore (the pod's tolerations that can
 * tolerate PreferNoSchedule, once), Score, NormalizeScore.
 */
import type { Pod, Taint, Toleration } from 'kubernetes-types/core/v1';
import {
  MAX_NODE_SCORE,
  SchedulingStatus,
  tolerates,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type NodeScore,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../../kernel/scheduling/types';
import { defaultNormalizeScore } from './node-affinity';

const NAME = 'TaintToleration';
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** kube-scheduler's reason for an untolerated taint, word for word. */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

// Taint objects live as long as their Node in the cache: one status per taint, not one per rejection.
const statuses = new WeakMap<Taint, SchedulingStatus>();

function untolerated(taint: Taint): SchedulingStatus {
  let status = statuses.get(taint);
  if (!status) {
    status = SchedulingStatus.unresolvable(untoleratedTaintReason(taint));
    statuses.set(taint, status);
  }
  return status;
}

function toleratedBy(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (tolerates(t, taint)) return true;
  return false;
}

const NO_TOLERATIONS: readonly Toleration[] = [];

/** The first NoSchedule or NoExecute taint no toleration tolerates (FindMatchingUntoleratedTaint with DoNotScheduleTaintsFilterFunc); also PodTopologySpread's nodeTaintsPolicy. */
export function untoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  for (const taint of taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!toleratedBy(tolerations, taint)) return taint;
  }
  return undefined;
}

export const TaintToleration = {
  name: NAME,

  /** UnschedulableAndUnresolvable on the first NoSchedule/NoExecute taint no toleration of the pod tolerates. */
  filter(_state: CycleState, pod: Pod, node: NodeInfo): SchedulingStatus | undefined {
    const taints = node.taints;
    if (taints.length === 0) return undefined;
    const taint = untoleratedTaint(taints, pod.spec?.tolerations ?? NO_TOLERATIONS);
    return taint ? untolerated(taint) : undefined;
  },

  /** Keeps the tolerations that can tolerate PreferNoSchedule (that effect, or any effect). */
  preScore(state: CycleState, pod: Pod): undefined {
    const tolerations = (pod.spec?.tolerations ?? NO_TOLERATIONS).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    state.write(PRE_SCORE_KEY, tolerations);
    return undefined;
  },

  /** How many PreferNoSchedule taints of the node the pod does not tolerate (reversed by NormalizeScore). */
  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    let tolerations = state.read<readonly Toleration[]>(PRE_SCORE_KEY);
    if (!tolerations) {
      tolerations = (pod.spec?.tolerations ?? NO_TOLERATIONS).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
      state.write(PRE_SCORE_KEY, tolerations);
    }
    let count = 0;
    for (const taint of node.taints) if (taint.effect === 'PreferNoSchedule' && !toleratedBy(tolerations, taint)) count++;
    return count;
  },

  /** Fewest intolerable taints scores 100 (DefaultNormalizeScore, reversed). */
  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
  },
} satisfies FilterPlugin & PreScorePlugin & ScorePlugin;
