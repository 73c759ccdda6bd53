/**
 * PodTopologySpread: spec.topologySpreadConstraints, as kube-scheduler's
 * plugin of that name.
 *
 * DoNotSchedule constraints filter: PreFilter counts, once per pod over all
 * nodes, the pods matching each constraint's selector per topology value
 * (nodes that lack a constraint's key, or that the pod's node affinity /
 * untolerated taints exclude per nodeAffinityPolicy / nodeTaintsPolicy, do
 * not count), and keeps the two smallest domains; Filter checks
 * `matching + self - global minimum <= maxSkew` with map lookups.
 *
 * ScheduleAnyway constraints score: fewer matching pods in a node's domains,
 * higher score, each constraint weighted by log(number of domains + 2).
 *
 * A pod without constraints gets the profile's default constraints (args
 * `defaultingType`: System, or List with `defaultConstraints`), selecting the
 * pods that the Services, ReplicaSets and StatefulSets selecting it select.
 */
import type { Pod, Toleration, TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import { labelKeyProblem, labelSelectorFromObject, type LabelMatcher, type LabelRequirement } from '../../../kernel/api/selectors';
import {
  MAX_NODE_SCORE,
  SchedulingStatus,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type NodeScore,
  type PodInfo,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../../kernel/scheduling/types';
import { requiredNodeAffinityOf } from './node-affinity';
import { untoleratedTaint } from './taint-toleration';

const NAME = 'PodTopologySpread';
const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;
const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

/** kube-scheduler's reasons, word for word. */
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

// One status object per outcome: Filter runs for thousands of nodes per pod and allocates nothing.
// A node without the topology label never qualifies; a skew may change when pods are preempted.
const CONSTRAINTS_NOT_MATCH = SchedulingStatus.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
const NODE_LABEL_NOT_MATCH = SchedulingStatus.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);

/** PodTopologySpreadArgs (kube-scheduler config v1). */
export interface PodTopologySpreadArgs {
  /** System: kube-scheduler's built-in defaults; List: `defaultConstraints` (possibly none). */
  defaultingType: 'System' | 'List';
  /** Constraints for pods that have none, without labelSelector (it is the pod's owners'). */
  defaultConstraints: TopologySpreadConstraint[];
}

/** kube-scheduler's systemDefaultConstraints. */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraint[] = Object.freeze([
  { topologyKey: HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
]);

const DEFAULT_ARGS: PodTopologySpreadArgs = { defaultingType: 'System', defaultConstraints: [] };

type Labels = Readonly<Record<string, string>>;
const NO_LABELS: Labels = {};

function nodeLabels(node: NodeInfo): Labels {
  return node.node.metadata?.labels ?? NO_LABELS;
}

/** A label's value, or undefined (a key such as `constructor` must not find Object.prototype's). */
function labelValue(labels: Labels, key: string): string | undefined {
  const v = labels[key];
  return typeof v === 'string' ? v : undefined;
}

/** A constraint with its selector parsed and its defaults applied (kube-scheduler's topologySpreadConstraint). */
interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: LabelMatcher;
  readonly minDomains: number;
  /** nodeAffinityPolicy Honor (the default): nodes the pod's nodeSelector/required node affinity excludes do not count. */
  readonly honorNodeAffinity: boolean;
  /** nodeTaintsPolicy Honor (default Ignore): nodes with taints the pod does not tolerate do not count. */
  readonly honorNodeTaints: boolean;
}

// ---- selectors ----

/** All of `matchers` (kube-scheduler ANDs the requirements of the selectors it merges). */
function allOf(matchers: readonly LabelMatcher[]): LabelMatcher {
  if (matchers.length === 1) return matchers[0];
  const nothing = matchers.find(isNothing);
  if (nothing) return nothing;
  const requirements: LabelRequirement[] = matchers.flatMap((m) => m.requirements);
  return {
    requirements,
    empty: matchers.every((m) => m.empty),
    matches: (labels) => matchers.every((m) => m.matches(labels)),
    toString: () => matchers.map(String).filter(Boolean).join(','),
  };
}

/** A null selector: no requirement, yet not empty; it selects nothing. */
function isNothing(m: LabelMatcher): boolean {
  return m.requirements.length === 0 && !m.empty;
}


function parseConstraints(constraints: readonly TopologySpreadConstraint[], podLabels: Labels, action: 'DoNotSchedule' | 'ScheduleAnyway'): SpreadConstraint[] {
  const out: SpreadConstraint[] = [];
  for (const c of constraints) {
    if (c.whenUnsatisfiable !== action) continue;
    let selector = labelSelectorFromObject(c.labelSelector);
    // matchLabelKeys: the pod's values of those keys join the selector (a null selector stays null).
    if (c.matchLabelKeys && c.matchLabelKeys.length > 0 && c.labelSelector) {
      const picked: Record<string, string> = {};
      let any = false;
      for (const key of c.matchLabelKeys) {
        const value = labelValue(podLabels, key);
        if (value !== undefined) {
          picked[key] = value;
          any = true;
        }
      }
      if (any) selector = allOf([labelSelectorFromObject({ matchLabels: picked }), selector]);
    }
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      minDomains: c.minDomains ?? 1,
      honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorNodeTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
    });
  }
  return out;
}

// ---- args ----

interface Profile {
  readonly defaults: readonly TopologySpreadConstraint[];
  readonly systemDefaulted: boolean;
}

const profiles = new WeakMap<object, Profile>();
const SYSTEM_PROFILE: Profile = { defaults: SYSTEM_DEFAULT_CONSTRAINTS, systemDefaulted: true };

function profileOf(state: CycleState): Profile {
  const args = state.profile.args<Partial<PodTopologySpreadArgs>>(NAME);
  if (!args) return SYSTEM_PROFILE;
  let p = profiles.get(args);
  if (!p) {
    const type = args.defaultingType ?? DEFAULT_ARGS.defaultingType;
    p = type === 'List' ? { defaults: args.defaultConstraints ?? [], systemDefaulted: false } : SYSTEM_PROFILE;
    profiles.set(args, p);
  }
  return p;
}

/** The pod's constraints of `action`, or the profile's defaults when the pod has none at all. */
function constraintsFor(state: CycleState, pod: Pod, action: 'DoNotSchedule' | 'ScheduleAnyway'): SpreadConstraint[] {
  const labels = pod.metadata?.labels ?? NO_LABELS;
  const own = pod.spec?.topologySpreadConstraints ?? [];
  try {
    if (own.length > 0) return parseConstraints(own, labels, action);
    const defaults = parseConstraints(profileOf(state).defaults, labels, action);
    if (defaults.length === 0) return defaults;
    const owners = state.snapshot.selectorsFor(pod);
    if (owners.length === 0) return [];
    const selector = allOf(owners);
    if (selector.empty) return [];
    return defaults.map((c) => ({ ...c, selector }));
  } catch (err) {
    throw new Error(`plugin/${NAME}: ${action} topology spread constraints of pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${(err as Error).message}`, { cause: err });
  }
}

// ---- node inclusion (nodeAffinityPolicy / nodeTaintsPolicy) ----

/** Whether a node's pods count for a constraint, per its nodeAffinityPolicy and nodeTaintsPolicy. */
class NodeInclusion {
  private readonly affinity: ((node: NodeInfo) => boolean) | undefined;
  private readonly tolerations: readonly Toleration[];

  constructor(pod: Pod) {
    this.affinity = requiredNodeAffinityOf(pod);
    this.tolerations = pod.spec?.tolerations ?? [];
  }

  includes(c: SpreadConstraint, node: NodeInfo): boolean {
    if (c.honorNodeAffinity && this.affinity && !this.affinity(node)) return false;
    if (c.honorNodeTaints && node.taints.length > 0 && untoleratedTaint(node.taints, this.tolerations)) return false;
    return true;
  }
}

function hasAllKeys(labels: Labels, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) if (labelValue(labels, c.topologyKey) === undefined) return false;
  return true;
}

/** Pods on the node in `namespace`, not terminating, that `selector` selects; an empty selector counts none. */
function countMatching(pods: readonly PodInfo[], selector: LabelMatcher, namespace: string): number {
  if (selector.empty) return 0;
  let n = 0;
  for (const p of pods) {
    const meta = p.pod.metadata;
    // Terminating pods do not count (kubernetes#87621).
    if (meta?.deletionTimestamp || (meta?.namespace ?? 'default') !== namespace) continue;
    if (selector.matches(meta?.labels ?? NO_LABELS)) n++;
  }
  return n;
}

// ---- filter state ----

const MAX_INT32 = 2147483647;

/**
 * The two domains with the fewest matching pods (kube-scheduler's
 * criticalPaths): [0] always holds the minimum; [1] is >= it, not
 * necessarily the second minimum. Enough because preemption evaluates one
 * node at a time, each on its own clone.
 */
class CriticalPaths {
  value0 = '';
  num0 = MAX_INT32;
  value1 = '';
  num1 = MAX_INT32;

  update(value: string, num: number): void {
    if (value === this.value0 || value === this.value1) {
      if (value === this.value0) this.num0 = num;
      else this.num1 = num;
      if (this.num0 > this.num1) this.swap();
    } else if (num < this.num0) {
      this.value1 = this.value0;
      this.num1 = this.num0;
      this.value0 = value;
      this.num0 = num;
    } else if (num < this.num1) {
      this.value1 = value;
      this.num1 = num;
    }
  }

  private swap(): void {
    const [v, n] = [this.value0, this.num0];
    this.value0 = this.value1;
    this.num0 = this.num1;
    this.value1 = v;
    this.num1 = n;
  }

  clone(): CriticalPaths {
    const c = new CriticalPaths();
    c.value0 = this.value0;
    c.num0 = this.num0;
    c.value1 = this.value1;
    c.num1 = this.num1;
    return c;
  }
}

class PreFilterState {
  constructor(
    readonly constraints: readonly SpreadConstraint[],
    /** Whether the incoming pod matches constraint i's selector (it adds one to the domain it lands in). */
    readonly selfMatch: readonly boolean[],
    /** Per constraint: topology value → matching pods. Every eligible domain has an entry, zero included. */
    readonly counts: Map<string, number>[],
    readonly paths: CriticalPaths[],
  ) {}

  /** The global minimum of constraint i; 0 while there are fewer eligible domains than minDomains. */
  minMatch(i: number): number {
    return this.counts[i].size < this.constraints[i].minDomains ? 0 : this.paths[i].num0;
  }

  clone(): PreFilterState {
    return new PreFilterState(
      this.constraints,
      this.selfMatch,
      this.counts.map((m) => new Map(m)),
      this.paths.map((p) => p.clone()),
    );
  }
}

// ---- score state ----

class PreScoreState {
  constructor(
    readonly constraints: readonly SpreadConstraint[],
    /** Nodes lacking one of the constraints' keys (when all are required): scored 0. Usually empty. */
    readonly ignored: ReadonlySet<string>,
    /** Per constraint: topology value → matching pods (none for hostname constraints: Score counts the node's own pods). */
    readonly counts: readonly Map<string, number>[],
    /** Per constraint: log(domains + 2), so that the counts of small topologies are not watered down by big ones. */
    readonly weights: readonly number[],
  ) {}
}

function missing(what: string): Error {
  return new Error(`plugin/${NAME}: no ${what} state in this scheduling cycle (${what} did not run for the pod)`);
}

const ACTIONS = ['DoNotSchedule', 'ScheduleAnyway'];
const DEFAULTING_TYPES = ['System', 'List'];

function quote(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export const PodTopologySpread = {
  name: NAME,

  argsSchema: {
    type: 'object',
    properties: {
      defaultingType: { type: 'string' },
      defaultConstraints: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            maxSkew: { type: 'integer' },
            topologyKey: { type: 'string' },
            whenUnsatisfiable: { type: 'string' },
            labelSelector: { type: ['object', 'null'] },
            matchLabelKeys: { type: 'array', items: { type: 'string' } },
            minDomains: { type: 'integer' },
            nodeAffinityPolicy: { type: 'string' },
            nodeTaintsPolicy: { type: 'string' },
          },
          additionalProperties: false,
        },
      },
    },
    additionalProperties: false,
  },

  defaultArgs: { defaultingType: DEFAULT_ARGS.defaultingType, defaultConstraints: [] } as Record<string, unknown>,

  /** kube-scheduler's ValidatePodTopologySpreadArgs (messages as its field errors, paths under args). */
  validateArgs(args: Record<string, unknown>): Array<{ path: Array<string | number>; message: string }> {
    const problems: Array<{ path: Array<string | number>; message: string }> = [];
    const type = args.defaultingType;
    const constraints = (Array.isArray(args.defaultConstraints) ? args.defaultConstraints : []) as TopologySpreadConstraint[];
    if (!DEFAULTING_TYPES.includes(type as string)) {
      problems.push({ path: ['defaultingType'], message: `Unsupported value: ${quote(type)}: supported values: ${DEFAULTING_TYPES.map(quote).join(', ')}` });
    } else if (type === 'System' && constraints.length > 0) {
      problems.push({ path: ['defaultingType'], message: `Invalid value: ${quote(type)}: when .defaultConstraints are not empty` });
    }
    constraints.forEach((c, i) => {
      const at = (...rest: string[]) => ['defaultConstraints', i, ...rest];
      if (!(c.maxSkew > 0)) problems.push({ path: at('maxSkew'), message: `Invalid value: ${quote(c.maxSkew ?? 0)}: not in valid range (0, inf)` });
      if (!c.topologyKey) problems.push({ path: at('topologyKey'), message: 'Required value: can not be empty' });
      else {
        const problem = labelKeyProblem(c.topologyKey);
        if (problem) problems.push({ path: at('topologyKey'), message: `Invalid value: ${quote(c.topologyKey)}: ${problem}` });
      }
      if (!c.whenUnsatisfiable) problems.push({ path: at('whenUnsatisfiable'), message: 'Required value: can not be empty' });
      else if (!ACTIONS.includes(c.whenUnsatisfiable)) {
        problems.push({ path: at('whenUnsatisfiable'), message: `Unsupported value: ${quote(c.whenUnsatisfiable)}: supported values: ${ACTIONS.map(quote).join(', ')}` });
      }
      if (c.labelSelector != null) problems.push({ path: at('labelSelector'), message: 'Forbidden: constraint must not define a selector, as they deduced for each pod' });
      const dup = constraints.slice(0, i).some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable);
      if (dup) problems.push({ path: ['defaultConstraints', i], message: `Duplicate value: ${quote(`{${c.topologyKey}, ${c.whenUnsatisfiable}}`)}` });
    });
    return problems;
  },

  /** Counts matching pods per domain of each DoNotSchedule constraint, over all nodes. Skip when there is none. */
  preFilter(state: CycleState, pod: Pod): SchedulingStatus | undefined {
    const constraints = constraintsFor(state, pod, 'DoNotSchedule');
    if (constraints.length === 0) return SchedulingStatus.skip();
    const namespace = pod.metadata?.namespace ?? 'default';
    const podLabels = pod.metadata?.labels ?? NO_LABELS;
    const inclusion = new NodeInclusion(pod);
    const counts = constraints.map(() => new Map<string, number>());

    for (const node of state.snapshot.nodes) {
      const labels = nodeLabels(node);
      if (!hasAllKeys(labels, constraints)) continue;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i];
        if (!inclusion.includes(c, node)) continue;
        const value = labels[c.topologyKey];
        const n = node.pods.length === 0 ? 0 : countMatching(node.pods, c.selector, namespace);
        counts[i].set(value, (counts[i].get(value) ?? 0) + n);
      }
    }

    const paths = counts.map((m) => {
      const p = new CriticalPaths();
      for (const [value, n] of m) p.update(value, n);
      return p;
    });
    const selfMatch = constraints.map((c) => c.selector.matches(podLabels));
    state.write(PRE_FILTER_KEY, new PreFilterState(constraints, selfMatch, counts, paths));
    return undefined;
  },

  /** Preemption's what-if: `podToAdd` placed on `node` (changes only this, cloned, state). */
  addPod(state: CycleState, podToSchedule: Pod, podToAdd: PodInfo, node: NodeInfo): SchedulingStatus | undefined {
    updateWithPod(state, podToSchedule, podToAdd.pod, node, 1);
    return undefined;
  },

  /** Preemption's what-if: `podToRemove` gone from `node`. */
  removePod(state: CycleState, podToSchedule: Pod, podToRemove: PodInfo, node: NodeInfo): SchedulingStatus | undefined {
    updateWithPod(state, podToSchedule, podToRemove.pod, node, -1);
    return undefined;
  },

  /** O(constraints) per node: the node's domain count, the pod itself, the global minimum. */
  filter(state: CycleState, _pod: Pod, node: NodeInfo): SchedulingStatus | undefined {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) throw missing('PreFilter');
    const labels = nodeLabels(node);
    const constraints = s.constraints;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i];
      const value = labelValue(labels, c.topologyKey);
      if (value === undefined) return NODE_LABEL_NOT_MATCH;
      const skew = (s.counts[i].get(value) ?? 0) + (s.selfMatch[i] ? 1 : 0) - s.minMatch(i);
      if (skew > c.maxSkew) return CONSTRAINTS_NOT_MATCH;
    }
    return undefined;
  },

  /**
   * Counts matching pods per domain of each ScheduleAnyway constraint, over
   * all nodes for the domains of the feasible nodes (per node for hostname).
   * Skip when the pod has no such constraint.
   */
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): SchedulingStatus | undefined {
    const all = state.snapshot.nodes;
    if (all.length === 0 || nodes.length === 0) return SchedulingStatus.skip();
    const constraints = constraintsFor(state, pod, 'ScheduleAnyway');
    if (constraints.length === 0) return SchedulingStatus.skip();
    // Only the pod's own constraints, or listed defaults, require every key: with the
    // system defaults a node without a zone label still spreads by hostname.
    const requireAll = (pod.spec?.topologySpreadConstraints?.length ?? 0) > 0 || !profileOf(state).systemDefaulted;
    const ignored = new Set<string>();
    const counts = constraints.map(() => new Map<string, number>());
    const isHostname = constraints.map((c) => c.topologyKey === HOSTNAME);
    for (const node of nodes) {
      const labels = nodeLabels(node);
      if (requireAll && !hasAllKeys(labels, constraints)) {
        ignored.add(node.name);
        continue;
      }
      for (let i = 0; i < constraints.length; i++) {
        // A hostname domain is the node itself: Score counts its pods.
        if (isHostname[i]) continue;
        // A missing label is the '' domain here, as in kube-scheduler (only with the system defaults).
        const value = labelValue(labels, constraints[i].topologyKey) ?? '';
        if (!counts[i].has(value)) counts[i].set(value, 0);
      }
    }
    const weights = constraints.map((c, i) => Math.log((isHostname[i] ? nodes.length - ignored.size : counts[i].size) + 2));

    if (!isHostname.every(Boolean)) {
      const namespace = pod.metadata?.namespace ?? 'default';
      const inclusion = new NodeInclusion(pod);
      for (const node of all) {
        const labels = nodeLabels(node);
        if (requireAll && !hasAllKeys(labels, constraints)) continue;
        for (let i = 0; i < constraints.length; i++) {
          if (isHostname[i]) continue;
          const c = constraints[i];
          if (!inclusion.includes(c, node)) continue;
          const value = labelValue(labels, c.topologyKey) ?? '';
          const before = counts[i].get(value);
          // Only domains of feasible nodes are scored.
          if (before === undefined) continue;
          if (node.pods.length > 0) counts[i].set(value, before + countMatching(node.pods, c.selector, namespace));
        }
      }
    }

    state.write(PRE_SCORE_KEY, new PreScoreState(constraints, ignored, counts, weights));
    return undefined;
  },

  /** Sum over constraints of count x weight + (maxSkew - 1), rounded: more matching pods, higher (worse) raw score. O(constraints), plus the node's pods for a hostname constraint. */
  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) throw missing('PreScore');
    if (s.ignored.size > 0 && s.ignored.has(node.name)) return 0;
    const labels = nodeLabels(node);
    let score = 0;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      const value = labelValue(labels, c.topologyKey);
      if (value === undefined) continue;
      // A hostname domain holds only this node's pods (usually few): counted here, as kube-scheduler does.
      const count = c.topologyKey === HOSTNAME ? countMatching(node.pods, c.selector, pod.metadata?.namespace ?? 'default') : (s.counts[i].get(value) ?? 0);
      score += count * s.weights[i] + (c.maxSkew - 1);
    }
    return Math.round(score);
  },

  /** Inverts and rescales: the node with the fewest matching pods gets MAX_NODE_SCORE; ignored nodes 0. */
  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) throw missing('PreScore');
    const ignored = s.ignored.size > 0 ? s.ignored : undefined;
    let min = Infinity;
    let max = 0;
    for (const { name, score } of scores) {
      if (ignored?.has(name)) continue;
      if (score < min) min = score;
      if (score > max) max = score;
    }
    for (const entry of scores) {
      if (ignored?.has(entry.name)) entry.score = 0;
      else if (max === 0) entry.score = MAX_NODE_SCORE;
      else entry.score = Math.floor((MAX_NODE_SCORE * (max + min - entry.score)) / max);
    }
  },
} satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;

/** addPod / removePod: `other` counted (delta 1) or uncounted (-1) in the domains of `node`, as kube-scheduler's updateWithPod. */
function updateWithPod(state: CycleState, podToSchedule: Pod, other: Pod, node: NodeInfo, delta: number): void {
  // No state: PreFilter returned Skip, and the framework does not filter this pod with this plugin.
  const s = state.read<PreFilterState>(PRE_FILTER_KEY);
  if (!s) return;
  if ((other.metadata?.namespace ?? 'default') !== (podToSchedule.metadata?.namespace ?? 'default')) return;
  const labels = nodeLabels(node);
  if (!hasAllKeys(labels, s.constraints)) return;
  const inclusion = new NodeInclusion(podToSchedule);
  const otherLabels = other.metadata?.labels ?? NO_LABELS;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i];
    if (!c.selector.matches(otherLabels)) continue;
    if (!inclusion.includes(c, node)) continue;
    const value = labels[c.topologyKey];
    const n = (s.counts[i].get(value) ?? 0) + delta;
    s.counts[i].set(value, n);
    s.paths[i].update(value, n);
  }
}
