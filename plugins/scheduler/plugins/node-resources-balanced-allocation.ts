/**
 * NodeResourcesBalancedAllocation: favours nodes whose resources would be
 * used evenly with the pod on them, as kube-scheduler's plugin of that name.
 *
 * For each resource in `resources` (default cpu and memory) the fraction
 * requested/allocatable is taken (capped at 1; resources the node lacks, and
 * scalar resources the pod does not request, are left out); the score is
 * (1 - standard deviation of the fractions) * 100, truncated. With two
 * resources the deviation is |f1 - f2| / 2. This is kube-scheduler's score
 * through 1.35 (1.36 scores the change in balance the pod makes instead).
 * It counts plain requests (no non-zero defaults), and a pod that requests
 * none of the resources (best-effort) is not scored at all (PreScore
 * returns Skip), as kube does since 1.33.
 *
 * Extension points: PreScore (the pod's requests, once), Score.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import { FieldError } from '../../../kernel/api/errors';
import { MAX_NODE_SCORE, SchedulingStatus, type CycleState, type NodeInfo, type PreScorePlugin, type ScorePlugin } from '../../../kernel/scheduling/types';
import { defaultedResources, ResourceAllocationScorer, type ResourceSpec, type ScoreScratch } from './node-resources-fit';

const NAME = 'NodeResourcesBalancedAllocation';
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** NodeResourcesBalancedAllocationArgs (kube-scheduler config v1). */
export interface NodeResourcesBalancedAllocationArgs {
  /** Resources to balance; empty or missing means cpu and memory. Weights must be 1 (missing or 0 means 1). */
  resources?: ResourceSpec[];
}

const DEFAULT_ARGS: NodeResourcesBalancedAllocationArgs = {
  resources: [
    { name: 'cpu', weight: 1 },
    { name: 'memory', weight: 1 },
  ],
};

/** kube's balancedResourceScorer: (1 - std of the requested fractions) * 100, truncated. */
export function balancedResourceScore(requested: readonly number[], allocatable: readonly number[]): number {
  let count = 0;
  let total = 0;
  let first = 0;
  let second = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const fraction = Math.min(requested[i] / allocatable[i], 1);
    if (count === 0) first = fraction;
    else if (count === 1) second = fraction;
    total += fraction;
    count++;
  }
  let std = 0;
  if (count === 2) {
    // The common case (cpu and memory) in kube's simplified form.
    std = Math.abs((first - second) / 2);
  } else if (count > 2) {
    const mean = total / count;
    let sum = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const d = Math.min(requested[i] / allocatable[i], 1) - mean;
      sum += d * d;
    }
    std = Math.sqrt(sum / count);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

const scorers = new WeakMap<object, ResourceAllocationScorer>();

function scorerOf(state: CycleState): ResourceAllocationScorer {
  const args = state.profile.args<NodeResourcesBalancedAllocationArgs>(NAME) ?? DEFAULT_ARGS;
  let scorer = scorers.get(args);
  if (!scorer) {
    scorer = new ResourceAllocationScorer(defaultedResources(args.resources), true, balancedResourceScore);
    scorers.set(args, scorer);
  }
  return scorer;
}

interface BalancedScoreState {
  readonly scorer: ResourceAllocationScorer;
  readonly podRequests: readonly number[];
  readonly scratch: ScoreScratch;
}

export const NodeResourcesBalancedAllocation = {
  name: NAME,
  argsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      resources: {
        type: 'array',
        items: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string' }, weight: { type: 'integer' } } },
      },
    },
  },
  defaultArgs: DEFAULT_ARGS as Record<string, unknown>,

  /** kube's ValidateNodeResourcesBalancedAllocationArgs: no resource twice, every weight 1. */
  validateArgs(args: Record<string, unknown>): Array<{ path: Array<string | number>; message: string }> {
    const problems: Array<{ path: Array<string | number>; message: string }> = [];
    const seen = new Set<string>();
    defaultedResources((args as NodeResourcesBalancedAllocationArgs).resources).forEach((r, i) => {
      if (seen.has(r.name)) problems.push({ path: ['resources', i, 'name'], message: FieldError.duplicate('', r.name).body() });
      else seen.add(r.name);
      if (r.weight !== 1) problems.push({ path: ['resources', i, 'weight'], message: FieldError.invalid('', r.weight, 'must be 1').body() });
    });
    return problems;
  },

  /** The pod's request of each resource, once; Skip for a pod that requests none of them. */
  preScore(state: CycleState, _pod: Pod): SchedulingStatus | undefined {
    const scorer = scorerOf(state);
    const podRequests = scorer.podRequests(state.podInfo);
    // Best-effort pods would all pile onto the same node otherwise (kubernetes#129138).
    if (podRequests.every((r) => r === 0)) return SchedulingStatus.skip();
    state.write<BalancedScoreState>(PRE_SCORE_KEY, { scorer, podRequests, scratch: scorer.scratch() });
    return undefined;
  },

  /** 0..100: 100 when the node's resources would be used in equal proportions. */
  score(state: CycleState, _pod: Pod, node: NodeInfo): number {
    let s = state.read<BalancedScoreState>(PRE_SCORE_KEY);
    if (!s) {
      // As kube: without PreScore, compute the pod's requests here (and score best-effort pods 0).
      const scorer = scorerOf(state);
      const podRequests = scorer.podRequests(state.podInfo);
      if (podRequests.every((r) => r === 0)) return 0;
      s = { scorer, podRequests, scratch: scorer.scratch() };
      state.write(PRE_SCORE_KEY, s);
    }
    return s.scorer.score(node, s.podRequests, s.scratch);
  },
} satisfies PreScorePlugin & ScorePlugin;
