/**
 * NodeResourcesFit: a pod fits a node when the node's allocatable minus what
 * its pods request covers what the pod requests, and scoring by how much of
 * each resource would be requested, as kube-scheduler's plugin of that name.
 *
 * Filter lists every shortfall, one reason each, in Kubernetes' words and
 * order: "Too many pods", "Insufficient cpu", "Insufficient memory",
 * "Insufficient ephemeral-storage", "Insufficient <scalar resource>".
 * Unschedulable, or UnschedulableAndUnresolvable when the pod asks for more
 * of a resource than the whole node has (preemption cannot help).
 * Extended resources named in `ignoredResources`, or whose prefix (before
 * the '/') is in `ignoredResourceGroups`, are not checked.
 *
 * Score follows `scoringStrategy`: LeastAllocated (default, favours emptier
 * nodes), MostAllocated (bin packing) or RequestedToCapacityRatio (a broken
 * line through `shape` points), per resource in `resources`, averaged by
 * weight. It counts requests as kube does for scoring: containers without a
 * cpu or memory request count 100m / 200Mi (nonZeroRequests).
 *
 * This file also holds the resource-allocation scorer that
 * NodeResourcesBalancedAllocation shares (kube's resourceAllocationScorer).
 *
 * Extension points: PreFilter (the pod's requests, once), Filter, PreScore
 * (the pod's request of each scored resource, once), Score.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import { FieldError } from '../../../kernel/api/errors';
import { isQualifiedName, validateLabelName } from '../../../kernel/api/validation';
import {
  MAX_NODE_SCORE,
  SchedulingStatus,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type PodInfo,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../../kernel/scheduling/types';

const NAME = 'NodeResourcesFit';
const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

// ---------------------------------------------------------------- resource names (kube's v1helper / schedutil)

/** `example.com/x`-style names in the kubernetes.io namespace (`kubernetes.io/batteries`). */
export function isPrefixedNativeResource(name: string): boolean {
  return name.includes('kubernetes.io/');
}

export function isNativeResource(name: string): boolean {
  return !name.includes('/') || isPrefixedNativeResource(name);
}

export function isHugePageResourceName(name: string): boolean {
  return name.startsWith('hugepages-');
}

export function isAttachableVolumeResourceName(name: string): boolean {
  return name.startsWith('attachable-volumes-');
}

/** A resource a device plugin or an operator advertises (`example.com/gpu`): outside kubernetes.io, a valid quota name. */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

/** Resources the scheduler counts besides cpu, memory, ephemeral-storage and pods (kube's IsScalarResourceName). */
export function isScalarResourceName(name: string): boolean {
  return isExtendedResourceName(name) || isHugePageResourceName(name) || isPrefixedNativeResource(name) || isAttachableVolumeResourceName(name);
}

// ---------------------------------------------------------------- args

/** A resource to score and its weight (kube's ResourceSpec). */
export interface ResourceSpec {
  name: string;
  /** 1..100; missing or 0 means 1. */
  weight?: number;
}

/** One point of RequestedToCapacityRatio's broken line (kube's UtilizationShapePoint). */
export interface UtilizationShapePoint {
  /** Percent of the resource requested, 0..100, strictly increasing along the shape. */
  utilization: number;
  /** 0..10, scaled by 10 to the 0..100 node score. */
  score: number;
}

export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';

export interface ScoringStrategy {
  type: ScoringStrategyType;
  /** Resources to score; empty or missing means cpu and memory, weight 1. */
  resources?: ResourceSpec[];
  requestedToCapacityRatio?: { shape: UtilizationShapePoint[] };
}

/** NodeResourcesFitArgs (kube-scheduler config v1). */
export interface NodeResourcesFitArgs {
  /** Extended resources Filter does not check (`example.com/foo`). */
  ignoredResources?: string[];
  /** Extended resource groups Filter does not check: `example.com` ignores `example.com/*`. */
  ignoredResourceGroups?: string[];
  scoringStrategy?: ScoringStrategy;
}

const DEFAULT_RESOURCES: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

const DEFAULT_ARGS: NodeResourcesFitArgs = {
  ignoredResources: [],
  ignoredResourceGroups: [],
  scoringStrategy: { type: 'LeastAllocated', resources: DEFAULT_RESOURCES.map((r) => ({ ...r })) },
};

const SCORING_STRATEGY_TYPES: readonly ScoringStrategyType[] = ['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'];

/** kube's MaxCustomPriorityScore: shape scores are 0..10. */
export const MAX_CUSTOM_PRIORITY_SCORE = 10;
const MAX_UTILIZATION = 100;

const RESOURCE_SPEC_SCHEMA = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string' }, weight: { type: 'integer' } },
};

/** `resources` as kube's v1 defaulting leaves them: cpu and memory when empty, weight 0 or missing is 1. */
export function defaultedResources(resources: readonly ResourceSpec[] | undefined): Array<{ name: string; weight: number }> {
  const list = resources && resources.length > 0 ? resources : DEFAULT_RESOURCES;
  return list.map((r) => ({ name: r.name, weight: r.weight || 1 }));
}

type Problem = { path: Array<string | number>; message: string };

function validateFitArgs(args: NodeResourcesFitArgs): Problem[] {
  const problems: Problem[] = [];
  (args.ignoredResources ?? []).forEach((res, i) => {
    for (const e of validateLabelName(res, '')) problems.push({ path: ['ignoredResources', i], message: e.body() });
  });
  (args.ignoredResourceGroups ?? []).forEach((group, i) => {
    if (group.includes('/')) problems.push({ path: ['ignoredResourceGroups', i], message: FieldError.invalid('', group, "resource group name can't contain '/'").body() });
    for (const e of validateLabelName(group, '')) problems.push({ path: ['ignoredResourceGroups', i], message: e.body() });
  });
  const strategy = args.scoringStrategy;
  if (strategy) {
    if (!SCORING_STRATEGY_TYPES.includes(strategy.type)) {
      problems.push({ path: ['scoringStrategy', 'type'], message: FieldError.notSupported('', strategy.type ?? '', SCORING_STRATEGY_TYPES).body() });
    }
    defaultedResources(strategy.resources).forEach((r, i) => {
      if (r.weight <= 0 || r.weight > 100) {
        problems.push({ path: ['scoringStrategy', 'resources', i, 'weight'], message: FieldError.invalid('', r.weight, `resource weight of ${r.name} not in valid range (0, 100]`).body() });
      }
    });
    if (strategy.requestedToCapacityRatio) {
      problems.push(...validateShape(strategy.requestedToCapacityRatio.shape ?? [], ['scoringStrategy', 'requestedToCapacityRatio', 'shape']));
    } else if (strategy.type === 'RequestedToCapacityRatio') {
      problems.push({ path: ['scoringStrategy', 'requestedToCapacityRatio'], message: FieldError.required('', 'must be specified when type is RequestedToCapacityRatio').body() });
    }
  }
  return problems;
}

/** kube's validateFunctionShape: at least one point, utilization strictly increasing within 0..100, score within 0..10. */
export function validateShape(shape: readonly UtilizationShapePoint[], path: Array<string | number>): Problem[] {
  if (shape.length === 0) return [{ path, message: FieldError.required('', 'at least one point must be specified').body() }];
  const problems: Problem[] = [];
  for (let i = 1; i < shape.length; i++) {
    if (shape[i - 1].utilization >= shape[i].utilization) {
      problems.push({ path: [...path, i, 'utilization'], message: FieldError.invalid('', shape[i].utilization, 'values must be sorted in increasing order').body() });
      break;
    }
  }
  shape.forEach((point, i) => {
    if (point.utilization < 0 || point.utilization > MAX_UTILIZATION) {
      problems.push({ path: [...path, i, 'utilization'], message: FieldError.invalid('', point.utilization, `not in valid range [0, ${MAX_UTILIZATION}]`).body() });
    }
    if (point.score < 0 || point.score > MAX_CUSTOM_PRIORITY_SCORE) {
      problems.push({ path: [...path, i, 'score'], message: FieldError.invalid('', point.score, `not in valid range [0, ${MAX_CUSTOM_PRIORITY_SCORE}]`).body() });
    }
  });
  return problems;
}

// ---------------------------------------------------------------- integer arithmetic as Go's int64

/** trunc(a * b / c) for non-negative integers, exact past 2^53 (Go's int64 arithmetic). */
function mulDiv(a: number, b: number, c: number): number {
  const product = a * b;
  if (product <= Number.MAX_SAFE_INTEGER) return Math.trunc(product / c);
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

// ---------------------------------------------------------------- the resource-allocation scorer

const CPU = 0;
const MEMORY = 1;
const EPHEMERAL_STORAGE = 2;
const SCALAR = 3;
const UNSCORED = 4;

function kindOf(name: string): number {
  if (name === 'cpu') return CPU;
  if (name === 'memory') return MEMORY;
  if (name === 'ephemeral-storage') return EPHEMERAL_STORAGE;
  if (isScalarResourceName(name)) return SCALAR;
  return UNSCORED;
}

/** Per resource in order: what would be requested on the node with the pod, and the node's allocatable (0: not scored). */
export type ResourceScorerFn = (requested: readonly number[], allocatable: readonly number[]) => number;

/** Scratch arrays for one attempt, so that Score allocates nothing per node. */
export interface ScoreScratch {
  readonly requested: number[];
  readonly allocatable: number[];
}

/**
 * Scores a node from the requested and allocatable amounts of a list of
 * resources (kube's resourceAllocationScorer). `useRequested` reads the
 * pods' plain requests; otherwise cpu and memory count the non-zero
 * defaults (100m / 200Mi for containers that request none).
 */
export class ResourceAllocationScorer {
  readonly names: readonly string[];
  readonly weights: readonly number[];
  private readonly kinds: readonly number[];

  constructor(
    resources: ReadonlyArray<{ name: string; weight: number }>,
    private readonly useRequested: boolean,
    private readonly scorer: ResourceScorerFn,
  ) {
    this.names = resources.map((r) => r.name);
    this.weights = resources.map((r) => r.weight);
    this.kinds = resources.map((r) => kindOf(r.name));
  }

  /** The pod's request of each resource, in order (once per attempt). */
  podRequests(podInfo: PodInfo): number[] {
    const source = this.useRequested ? podInfo.requests : podInfo.nonZeroRequests;
    // PodInfo counts the pod itself as `pods: 1`; kube's pod requests have no `pods`.
    return this.names.map((name) => (name === 'pods' ? 0 : (source[name] ?? 0)));
  }

  scratch(): ScoreScratch {
    return { requested: new Array<number>(this.names.length).fill(0), allocatable: new Array<number>(this.names.length).fill(0) };
  }

  /** The node's score with the pod on it (kube's resourceAllocationScorer.score). */
  score(node: NodeInfo, podRequests: readonly number[], scratch: ScoreScratch): number {
    const { requested, allocatable } = scratch;
    const alloc = node.allocatable;
    const used = node.requested;
    const cpuMemoryUsed = this.useRequested ? node.requested : node.nonZeroRequested;
    for (let i = 0; i < this.kinds.length; i++) {
      const podRequest = podRequests[i];
      const name = this.names[i];
      let a = 0;
      let r = 0;
      switch (this.kinds[i]) {
        case CPU:
          a = alloc.cpu ?? 0;
          r = (cpuMemoryUsed.cpu ?? 0) + podRequest;
          break;
        case MEMORY:
          a = alloc.memory ?? 0;
          r = (cpuMemoryUsed.memory ?? 0) + podRequest;
          break;
        case EPHEMERAL_STORAGE:
          a = alloc[name] ?? 0;
          r = (used[name] ?? 0) + podRequest;
          break;
        case SCALAR:
          // A scalar resource the pod does not request is left out of the score.
          if (podRequest !== 0) {
            a = alloc[name] ?? 0;
            r = (used[name] ?? 0) + podRequest;
          }
          break;
        default:
          break;
      }
      // Resources the node does not have are left out of the score.
      if (a === 0) {
        allocatable[i] = 0;
        requested[i] = 0;
      } else {
        allocatable[i] = a;
        requested[i] = r;
      }
    }
    return this.scorer(requested, allocatable);
  }
}

function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return mulDiv(capacity - requested, MAX_NODE_SCORE, capacity);
}

function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  // Requested may exceed capacity: pods without requests count the non-zero defaults.
  return mulDiv(Math.min(requested, capacity), MAX_NODE_SCORE, capacity);
}

/** Weighted average of per-resource scores, truncated (kube's least/most allocated scorers). */
function weightedAverage(weights: readonly number[], perResource: (requested: number, capacity: number) => number): ResourceScorerFn {
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      nodeScore += perResource(requested[i], allocatable[i]) * weights[i];
      weightSum += weights[i];
    }
    return weightSum === 0 ? 0 : Math.trunc(nodeScore / weightSum);
  };
}

/** kube's BuildBrokenLinearFunction over shape points already scaled to 0..100. */
function brokenLinear(shape: ReadonlyArray<{ utilization: number; score: number }>): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      if (p <= shape[i].utilization) {
        if (i === 0) return shape[0].score;
        const prev = shape[i - 1];
        // Go's integer division truncates toward zero (the slope may be negative).
        return prev.score + Math.trunc(((shape[i].score - prev.score) * (p - prev.utilization)) / (shape[i].utilization - prev.utilization));
      }
    }
    return shape[shape.length - 1].score;
  };
}

function requestedToCapacityRatio(weights: readonly number[], shape: readonly UtilizationShapePoint[]): ResourceScorerFn {
  const raw = brokenLinear(shape.map((p) => ({ utilization: p.utilization, score: p.score * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE) })));
  const resourceScore = (requested: number, capacity: number) => (capacity === 0 || requested > capacity ? raw(MAX_UTILIZATION) : raw(mulDiv(requested, MAX_UTILIZATION, capacity)));
  return (requested, allocatable) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      if (allocatable[i] === 0) continue;
      const s = resourceScore(requested[i], allocatable[i]);
      // Resources scoring 0 do not count in the average.
      if (s > 0) {
        nodeScore += s * weights[i];
        weightSum += weights[i];
      }
    }
    return weightSum === 0 ? 0 : Math.round(nodeScore / weightSum);
  };
}

// ---------------------------------------------------------------- the plugin's view of its args

interface FitConfig {
  readonly ignoredResources: ReadonlySet<string>;
  readonly ignoredResourceGroups: ReadonlySet<string>;
  readonly scorer: ResourceAllocationScorer;
}

const configs = new WeakMap<object, FitConfig>();

function buildConfig(args: NodeResourcesFitArgs): FitConfig {
  const strategy = args.scoringStrategy ?? DEFAULT_ARGS.scoringStrategy!;
  const resources = defaultedResources(strategy.resources);
  const weights = resources.map((r) => r.weight);
  let fn: ResourceScorerFn;
  switch (strategy.type) {
    case 'LeastAllocated':
      fn = weightedAverage(weights, leastRequestedScore);
      break;
    case 'MostAllocated':
      fn = weightedAverage(weights, mostRequestedScore);
      break;
    case 'RequestedToCapacityRatio':
      fn = requestedToCapacityRatio(weights, strategy.requestedToCapacityRatio?.shape ?? []);
      break;
    default:
      throw new Error(`plugin/${NAME}: scoring strategy ${String(strategy.type)} is not supported`);
  }
  return {
    ignoredResources: new Set(args.ignoredResources ?? []),
    ignoredResourceGroups: new Set(args.ignoredResourceGroups ?? []),
    scorer: new ResourceAllocationScorer(resources, false, fn),
  };
}

/** The profile's args turned into sets and a scorer, once per args object. */
function configOf(state: CycleState): FitConfig {
  const args = state.profile.args<NodeResourcesFitArgs>(NAME) ?? DEFAULT_ARGS;
  let config = configs.get(args);
  if (!config) {
    config = buildConfig(args);
    configs.set(args, config);
  }
  return config;
}

// ---------------------------------------------------------------- filter

/** kube-scheduler's reasons, word for word. */
export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_INSUFFICIENT_CPU = 'Insufficient cpu';
export const REASON_INSUFFICIENT_MEMORY = 'Insufficient memory';
export const REASON_INSUFFICIENT_EPHEMERAL_STORAGE = 'Insufficient ephemeral-storage';

interface ScalarRequest {
  readonly name: string;
  readonly quantity: number;
  readonly reason: string;
}

/** What Filter compares, computed once per pod. */
interface FitRequest {
  readonly cpu: number;
  readonly memory: number;
  readonly ephemeralStorage: number;
  /** Requested scalar resources (extended, hugepages, ...), ignored ones left out. */
  readonly scalars: readonly ScalarRequest[];
}

function fitRequest(podInfo: PodInfo, config: FitConfig): FitRequest {
  const requests = podInfo.requests;
  const scalars: ScalarRequest[] = [];
  for (const name in requests) {
    const quantity = requests[name];
    if (quantity === 0 || name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name === 'pods') continue;
    if (!isScalarResourceName(name)) continue;
    if (isExtendedResourceName(name)) {
      if (config.ignoredResources.has(name)) continue;
      if (config.ignoredResourceGroups.size > 0 && config.ignoredResourceGroups.has(name.split('/')[0])) continue;
    }
    scalars.push({ name, quantity, reason: `Insufficient ${name}` });
  }
  return { cpu: requests.cpu ?? 0, memory: requests.memory ?? 0, ephemeralStorage: requests['ephemeral-storage'] ?? 0, scalars };
}

interface FitScoreState {
  readonly scorer: ResourceAllocationScorer;
  readonly podRequests: readonly number[];
  readonly scratch: ScoreScratch;
}

function scoreState(state: CycleState): FitScoreState {
  const { scorer } = configOf(state);
  return { scorer, podRequests: scorer.podRequests(state.podInfo), scratch: scorer.scratch() };
}

export const NodeResourcesFit = {
  name: NAME,
  argsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ignoredResources: { type: 'array', items: { type: 'string' } },
      ignoredResourceGroups: { type: 'array', items: { type: 'string' } },
      scoringStrategy: {
        type: 'object',
        additionalProperties: false,
        properties: {
          type: { type: 'string' },
          resources: { type: 'array', items: RESOURCE_SPEC_SCHEMA },
          requestedToCapacityRatio: {
            type: 'object',
            additionalProperties: false,
            properties: {
              shape: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['utilization', 'score'],
                  additionalProperties: false,
                  properties: { utilization: { type: 'integer' }, score: { type: 'integer' } },
                },
              },
            },
          },
        },
      },
    },
  },
  defaultArgs: DEFAULT_ARGS as Record<string, unknown>,

  /** kube's ValidateNodeResourcesFitArgs, with its messages (paths relative to args). */
  validateArgs(args: Record<string, unknown>): Problem[] {
    return validateFitArgs(args as NodeResourcesFitArgs);
  },

  /** The pod's requests (max of init containers and the sum of the others, plus overhead), once per attempt. */
  preFilter(state: CycleState, _pod: Pod): undefined {
    state.write(PRE_FILTER_KEY, fitRequest(state.podInfo, configOf(state)));
    return undefined;
  },

  /** Every resource the node lacks for the pod, one reason each; allocates only when the pod does not fit. */
  filter(state: CycleState, _pod: Pod, node: NodeInfo): SchedulingStatus | undefined {
    const s = state.read<FitRequest>(PRE_FILTER_KEY);
    if (!s) throw new Error(`plugin/${NAME}: no PreFilter state (${PRE_FILTER_KEY}); Filter was called without PreFilter`);
    const alloc = node.allocatable;
    const used = node.requested;
    let reasons: string[] | undefined;
    let unresolvable = false;

    if (node.pods.length + 1 > (alloc.pods ?? 0)) (reasons ??= []).push(REASON_TOO_MANY_PODS);
    if (s.cpu > 0) {
      const a = alloc.cpu ?? 0;
      if (s.cpu > a - (used.cpu ?? 0)) {
        (reasons ??= []).push(REASON_INSUFFICIENT_CPU);
        if (s.cpu > a) unresolvable = true;
      }
    }
    if (s.memory > 0) {
      const a = alloc.memory ?? 0;
      if (s.memory > a - (used.memory ?? 0)) {
        (reasons ??= []).push(REASON_INSUFFICIENT_MEMORY);
        if (s.memory > a) unresolvable = true;
      }
    }
    if (s.ephemeralStorage > 0) {
      const a = alloc['ephemeral-storage'] ?? 0;
      if (s.ephemeralStorage > a - (used['ephemeral-storage'] ?? 0)) {
        (reasons ??= []).push(REASON_INSUFFICIENT_EPHEMERAL_STORAGE);
        if (s.ephemeralStorage > a) unresolvable = true;
      }
    }
    for (const r of s.scalars) {
      const a = alloc[r.name] ?? 0;
      if (r.quantity > a - (used[r.name] ?? 0)) {
        (reasons ??= []).push(r.reason);
        if (r.quantity > a) unresolvable = true;
      }
    }
    if (!reasons) return undefined;
    return unresolvable ? SchedulingStatus.unresolvable(...reasons) : SchedulingStatus.unschedulable(...reasons);
  },

  /** The pod's (non-zero) request of each scored resource, once per attempt. */
  preScore(state: CycleState, _pod: Pod): undefined {
    state.write<FitScoreState>(PRE_SCORE_KEY, scoreState(state));
    return undefined;
  },

  /** 0..100 by the scoring strategy. */
  score(state: CycleState, _pod: Pod, node: NodeInfo): number {
    let s = state.read<FitScoreState>(PRE_SCORE_KEY);
    if (!s) {
      // As kube: without PreScore, compute the pod's requests here.
      s = scoreState(state);
      state.write(PRE_SCORE_KEY, s);
    }
    return s.scorer.score(node, s.podRequests, s.scratch);
  },
} satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
