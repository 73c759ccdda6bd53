/**
 * InterPodAffinity: spec.affinity.podAffinity / podAntiAffinity, as
 * kube-scheduler's plugin of that name.
 *
 * PreFilter counts, per topology pair (key, value), once per pod:
 *  - existing pods whose required anti-affinity terms select the incoming pod
 *    (only the nodes that have such pods are visited);
 *  - existing pods that match all of the incoming pod's required affinity terms;
 *  - existing pods that match each of its required anti-affinity terms.
 * Filter then looks a node's labels up in those counts: O(terms) per node.
 *
 * PreScore sums, per topology pair, the weights of the incoming pod's
 * preferred terms matched by existing pods, and of existing pods' required
 * (hardPodAffinityWeight) and preferred terms matched by the incoming pod;
 * Score adds up the pairs a node is in, NormalizeScore rescales min-max to 0-100.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import {
  MAX_NODE_SCORE,
  SchedulingStatus,
  type AffinityTerm,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type NodeScore,
  type PodInfo,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
  type WeightedAffinityTerm,
} from '../../../kernel/scheduling/types';

const NAME = 'InterPodAffinity';
const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** kube-scheduler's reasons, word for word. */
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";

// One status object per outcome: Filter runs for thousands of nodes per pod and allocates nothing.
// Affinity cannot be fixed by preempting pods (it needs pods to exist); anti-affinity can.
const AFFINITY_NOT_MATCH = SchedulingStatus.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
const ANTI_AFFINITY_NOT_MATCH = SchedulingStatus.unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
const EXISTING_ANTI_AFFINITY_NOT_MATCH = SchedulingStatus.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);

/** InterPodAffinityArgs (kube-scheduler config v1). */
export interface InterPodAffinityArgs {
  /** Score weight of an existing pod's required affinity term that the incoming pod matches (0..100; 0 ignores them). */
  hardPodAffinityWeight: number;
  /** Skip scoring existing pods' preferences when the incoming pod has no preferred (anti-)affinity terms. */
  ignorePreferredTermsOfExistingPods: boolean;
}

const DEFAULT_ARGS: InterPodAffinityArgs = { hardPodAffinityWeight: 1, ignorePreferredTermsOfExistingPods: false };

type Labels = Readonly<Record<string, string>>;
type NamespaceLabels = (ns: string) => Labels | undefined;
const NO_LABELS: Labels = {};

function nodeLabels(node: NodeInfo): Labels {
  return node.node.metadata?.labels ?? NO_LABELS;
}

/** A label's value, or undefined (a key such as `constructor` must not find Object.prototype's). */
function labelValue(labels: Labels, key: string): string | undefined {
  const v = labels[key];
  return typeof v === 'string' ? v : undefined;
}

/** Whether `term` selects `pod`: its namespace, then its labels. PreFilter and PreScore call it for every (term, pod) pair of the cluster. */
function termMatches(term: AffinityTerm, pod: Pod, namespaceLabels: NamespaceLabels): boolean {
  const meta = pod.metadata;
  const ns = meta?.namespace ?? 'default';
  if (!term.namespaces.has(ns) && !(term.namespaceSelector !== undefined && term.namespaceSelector.matches(namespaceLabels(ns) ?? NO_LABELS))) return false;
  return term.selector.matches(meta?.labels ?? NO_LABELS);
}

/** True iff `pod` matches every term (false for no terms), as kube-scheduler's podMatchesAllAffinityTerms. */
function matchesAll(terms: readonly AffinityTerm[], pod: Pod, namespaceLabels: NamespaceLabels): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatches(t, pod, namespaceLabels)) return false;
  return true;
}

/**
 * Counts per topology pair, without zero entries (kube-scheduler's
 * topologyToMatchedTermCount), kept per topology key so that Filter looks a
 * node up without building a pair.
 */
class TopologyCounts {
  private readonly keys: string[] = [];
  private readonly tables: Map<string, number>[] = [];
  /** Number of pairs with a non-zero count. */
  size = 0;

  private table(key: string): Map<string, number> {
    const i = this.keys.indexOf(key);
    if (i >= 0) return this.tables[i];
    const t = new Map<string, number>();
    this.keys.push(key);
    this.tables.push(t);
    return t;
  }

  /** Add `delta` to the pair (key, node's value of key); nothing if the node lacks the label. */
  update(labels: Labels, key: string, delta: number): void {
    const value = labelValue(labels, key);
    if (value === undefined) return;
    const t = this.table(key);
    const before = t.get(value);
    const after = (before ?? 0) + delta;
    if (after === 0) {
      if (before !== undefined) {
        t.delete(value);
        this.size--;
      }
    } else {
      if (before === undefined) this.size++;
      t.set(value, after);
    }
  }

  get(key: string, value: string): number {
    const i = this.keys.indexOf(key);
    return i < 0 ? 0 : (this.tables[i].get(value) ?? 0);
  }

  /** Whether the node is in any pair with a positive count. */
  anyPositive(labels: Labels): boolean {
    for (let i = 0; i < this.keys.length; i++) {
      const value = labelValue(labels, this.keys[i]);
      if (value !== undefined && (this.tables[i].get(value) ?? 0) > 0) return true;
    }
    return false;
  }

  /** For each term `pod` matches, count the node's pair of the term's key. */
  updateWithAntiAffinityTerms(terms: readonly AffinityTerm[], pod: Pod, namespaceLabels: NamespaceLabels, labels: Labels, delta: number): void {
    for (const t of terms) if (termMatches(t, pod, namespaceLabels)) this.update(labels, t.topologyKey, delta);
  }

  /** If `pod` matches all terms, count the node's pair of each term's key. */
  updateWithAffinityTerms(terms: readonly AffinityTerm[], pod: Pod, namespaceLabels: NamespaceLabels, labels: Labels, delta: number): void {
    if (!matchesAll(terms, pod, namespaceLabels)) return;
    for (const t of terms) this.update(labels, t.topologyKey, delta);
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (let i = 0; i < this.keys.length; i++) {
      c.keys.push(this.keys[i]);
      c.tables.push(new Map(this.tables[i]));
    }
    c.size = this.size;
    return c;
  }
}

/** What Filter reads, per attempt. Cloned for preemption's what-ifs (addPod/removePod change the clone only). */
class PreFilterState {
  constructor(
    readonly podInfo: PodInfo,
    readonly namespaceLabels: NamespaceLabels,
    /** Existing pods' required anti-affinity terms that select the incoming pod. */
    readonly existingAntiAffinity = new TopologyCounts(),
    /** Existing pods matching all of the incoming pod's required affinity terms. */
    readonly affinity = new TopologyCounts(),
    /** Existing pods matching the incoming pod's required anti-affinity terms. */
    readonly antiAffinity = new TopologyCounts(),
  ) {}

  /** The incoming pod matches all its own required affinity terms (the first pod of a group with affinity to itself). */
  selfMatch = false;

  /** Count (multiplier 1) or uncount (-1) `other`, placed on a node with `labels`. */
  updateWithPod(other: PodInfo, labels: Labels, multiplier: number): void {
    const pod = this.podInfo.pod;
    this.existingAntiAffinity.updateWithAntiAffinityTerms(other.requiredAntiAffinityTerms, pod, this.namespaceLabels, labels, multiplier);
    this.affinity.updateWithAffinityTerms(this.podInfo.requiredAffinityTerms, other.pod, this.namespaceLabels, labels, multiplier);
    this.antiAffinity.updateWithAntiAffinityTerms(this.podInfo.requiredAntiAffinityTerms, other.pod, this.namespaceLabels, labels, multiplier);
  }

  clone(): PreFilterState {
    const c = new PreFilterState(this.podInfo, this.namespaceLabels, this.existingAntiAffinity.clone(), this.affinity.clone(), this.antiAffinity.clone());
    c.selfMatch = this.selfMatch;
    return c;
  }
}

/** Score per topology pair (kube-scheduler's scoreMap); zero sums are kept. */
class TopologyScores {
  readonly keys: string[] = [];
  readonly tables: Map<string, number>[] = [];
  /** Whether any term matched on a labelled node (else PreScore skips). */
  touched = false;

  add(labels: Labels, key: string, amount: number): void {
    const value = labelValue(labels, key);
    if (value === undefined) return;
    let i = this.keys.indexOf(key);
    if (i < 0) {
      i = this.keys.length;
      this.keys.push(key);
      this.tables.push(new Map());
    }
    const t = this.tables[i];
    t.set(value, (t.get(value) ?? 0) + amount);
    this.touched = true;
  }

  scoreOf(labels: Labels): number {
    let score = 0;
    for (let i = 0; i < this.keys.length; i++) {
      const value = labelValue(labels, this.keys[i]);
      if (value !== undefined) score += this.tables[i].get(value) ?? 0;
    }
    return score;
  }
}

function argsOf(state: CycleState): InterPodAffinityArgs {
  return { ...DEFAULT_ARGS, ...(state.profile.args<Partial<InterPodAffinityArgs>>(NAME) ?? {}) };
}

function preFilterState(state: CycleState): PreFilterState | undefined {
  return state.read<PreFilterState>(PRE_FILTER_KEY);
}

function missing(what: string): Error {
  return new Error(`plugin/${NAME}: no ${what} state in this scheduling cycle (${what} did not run for the pod)`);
}

export const InterPodAffinity = {
  name: NAME,

  argsSchema: {
    type: 'object',
    properties: {
      hardPodAffinityWeight: { type: 'integer' },
      ignorePreferredTermsOfExistingPods: { type: 'boolean' },
    },
    additionalProperties: false,
  },

  defaultArgs: { ...DEFAULT_ARGS } as Record<string, unknown>,

  /** kube-scheduler's ValidateInterPodAffinityArgs. */
  validateArgs(args: Record<string, unknown>): Array<{ path: Array<string | number>; message: string }> {
    const w = args.hardPodAffinityWeight;
    if (typeof w === 'number' && (w < 0 || w > 100)) {
      return [{ path: ['hardPodAffinityWeight'], message: `Invalid value: ${w}: not in valid range [0, 100]` }];
    }
    return [];
  },

  /**
   * Counts the topology pairs Filter needs. Skip when no existing pod's
   * anti-affinity selects this pod and it has no required (anti-)affinity.
   */
  preFilter(state: CycleState, pod: Pod): SchedulingStatus | undefined {
    const snapshot = state.snapshot;
    const info = state.podInfo;
    const namespaceLabels: NamespaceLabels = (ns) => snapshot.namespaceLabels(ns);
    const s = new PreFilterState(info, namespaceLabels);

    for (const node of snapshot.nodesWithRequiredAntiAffinityPods) {
      const labels = nodeLabels(node);
      for (const existing of node.podsWithRequiredAntiAffinity) {
        s.existingAntiAffinity.updateWithAntiAffinityTerms(existing.requiredAntiAffinityTerms, pod, namespaceLabels, labels, 1);
      }
    }

    const affinity = info.requiredAffinityTerms;
    const antiAffinity = info.requiredAntiAffinityTerms;
    if (affinity.length > 0 || antiAffinity.length > 0) {
      for (const node of snapshot.nodes) {
        if (node.pods.length === 0) continue;
        const labels = nodeLabels(node);
        for (const existing of node.pods) {
          if (affinity.length > 0) s.affinity.updateWithAffinityTerms(affinity, existing.pod, namespaceLabels, labels, 1);
          if (antiAffinity.length > 0) s.antiAffinity.updateWithAntiAffinityTerms(antiAffinity, existing.pod, namespaceLabels, labels, 1);
        }
      }
      s.selfMatch = matchesAll(affinity, pod, namespaceLabels);
    }

    if (s.existingAntiAffinity.size === 0 && affinity.length === 0 && antiAffinity.length === 0) return SchedulingStatus.skip();
    state.write(PRE_FILTER_KEY, s);
    return undefined;
  },

  /** Preemption's what-if: `podToAdd` placed on `node` (changes only this, cloned, state). */
  addPod(state: CycleState, _podToSchedule: Pod, podToAdd: PodInfo, node: NodeInfo): SchedulingStatus | undefined {
    // No state: PreFilter returned Skip, and the framework does not filter this pod with this plugin.
    preFilterState(state)?.updateWithPod(podToAdd, nodeLabels(node), 1);
    return undefined;
  },

  /** Preemption's what-if: `podToRemove` gone from `node`. */
  removePod(state: CycleState, _podToSchedule: Pod, podToRemove: PodInfo, node: NodeInfo): SchedulingStatus | undefined {
    // No state: as in addPod.
    preFilterState(state)?.updateWithPod(podToRemove, nodeLabels(node), -1);
    return undefined;
  },

  /** O(terms + topology keys) per node: map lookups in PreFilter's counts. */
  filter(state: CycleState, _pod: Pod, node: NodeInfo): SchedulingStatus | undefined {
    const s = preFilterState(state);
    if (!s) throw missing('PreFilter');
    const labels = nodeLabels(node);

    // The incoming pod's required affinity: every term's key on the node, and a matching pod in each pair...
    let podsExist = true;
    for (const term of s.podInfo.requiredAffinityTerms) {
      const value = labelValue(labels, term.topologyKey);
      if (value === undefined) return AFFINITY_NOT_MATCH;
      if (s.affinity.get(term.topologyKey, value) <= 0) podsExist = false;
    }
    // ...unless no pod anywhere matches and the pod matches its own terms (the first of a group).
    if (!podsExist && !(s.affinity.size === 0 && s.selfMatch)) return AFFINITY_NOT_MATCH;

    if (s.antiAffinity.size > 0) {
      for (const term of s.podInfo.requiredAntiAffinityTerms) {
        const value = labelValue(labels, term.topologyKey);
        if (value !== undefined && s.antiAffinity.get(term.topologyKey, value) > 0) return ANTI_AFFINITY_NOT_MATCH;
      }
    }

    if (s.existingAntiAffinity.size > 0 && s.existingAntiAffinity.anyPositive(labels)) return EXISTING_ANTI_AFFINITY_NOT_MATCH;
    return undefined;
  },

  /**
   * Sums the preferred weights per topology pair. Visits every pod when the
   * incoming pod has preferred terms, else only pods with affinity terms.
   * Skip when nothing matched anywhere.
   */
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): SchedulingStatus | undefined {
    if (nodes.length === 0) return SchedulingStatus.skip();
    const args = argsOf(state);
    const snapshot = state.snapshot;
    const info = state.podInfo;
    const preferred = info.preferredAffinityTerms;
    const preferredAnti = info.preferredAntiAffinityTerms;
    const hasConstraints = preferred.length > 0 || preferredAnti.length > 0;
    if (args.ignorePreferredTermsOfExistingPods && !hasConstraints) return SchedulingStatus.skip();

    const namespaceLabels: NamespaceLabels = (ns) => snapshot.namespaceLabels(ns);
    const hardWeight = args.hardPodAffinityWeight;
    const scores = new TopologyScores();
    const processTerms = (terms: readonly WeightedAffinityTerm[], candidate: Pod, labels: Labels, sign: number) => {
      for (const t of terms) if (termMatches(t, candidate, namespaceLabels)) scores.add(labels, t.topologyKey, sign * t.weight);
    };

    for (const node of hasConstraints ? snapshot.nodes : snapshot.nodesWithAffinityPods) {
      const labels = nodeLabels(node);
      // A node without labels is in no topology pair.
      if (labels === NO_LABELS || isEmpty(labels)) continue;
      for (const existing of hasConstraints ? node.pods : node.podsWithAffinity) {
        // The incoming pod's preferences about the existing pod...
        if (preferred.length > 0) processTerms(preferred, existing.pod, labels, 1);
        if (preferredAnti.length > 0) processTerms(preferredAnti, existing.pod, labels, -1);
        // ...and the existing pod's about the incoming pod.
        if (hardWeight > 0) {
          for (const t of existing.requiredAffinityTerms) if (termMatches(t, pod, namespaceLabels)) scores.add(labels, t.topologyKey, hardWeight);
        }
        processTerms(existing.preferredAffinityTerms, pod, labels, 1);
        processTerms(existing.preferredAntiAffinityTerms, pod, labels, -1);
      }
    }

    if (!scores.touched) return SchedulingStatus.skip();
    state.write(PRE_SCORE_KEY, scores);
    return undefined;
  },

  /** The sum over the topology pairs the node is in (negative for anti-affinity); normalised later. */
  score(state: CycleState, _pod: Pod, node: NodeInfo): number {
    const scores = state.read<TopologyScores>(PRE_SCORE_KEY);
    if (!scores) throw missing('PreScore');
    return scores.scoreOf(nodeLabels(node));
  },

  /** Min-max to 0..MAX_NODE_SCORE (all zero when every node scored the same). */
  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    const s = state.read<TopologyScores>(PRE_SCORE_KEY);
    if (!s) throw missing('PreScore');
    if (s.keys.length === 0) return;
    let min = Infinity;
    let max = -Infinity;
    for (const { score } of scores) {
      if (score > max) max = score;
      if (score < min) min = score;
    }
    const diff = max - min;
    for (const s of scores) s.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((s.score - min) / diff)) : 0;
  },
} satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;

function isEmpty(labels: Labels): boolean {
  for (const _ in labels) return false;
  return true;
}
