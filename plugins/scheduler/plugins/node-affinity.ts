/**
 * NodeAffinity: spec.nodeSelector and spec.affinity.nodeAffinity, plus the
 * profile's `addedAffinity`, as kube-scheduler's plugin of that name.
 *
 * Filter: the node must carry every nodeSelector label, and match one of the
 * required nodeSelectorTerms (terms are ORed, the requirements of a term
 * ANDed; matchExpressions on labels with In, NotIn, Exists, DoesNotExist,
 * Gt, Lt; matchFields on metadata.name with In, NotIn). An empty term
 * matches nothing; a term that does not parse is ignored. A pod whose terms
 * all pin metadata.name (matchFields In) only needs those nodes: PreFilter
 * returns them (and rejects the pod when the pins contradict each other).
 *
 * Score: the sum of the weights of the preferred terms the node matches (the
 * pod's and addedAffinity's), normalised to 0..100 against the best node.
 *
 * Extension points: PreFilter (parses the pod's selector and terms once;
 * Skip when there is nothing to check), Filter, PreScore (parses the
 * preferred terms once; Skip when there are none), Score, NormalizeScore.
 */
import type { NodeAffinity as NodeAffinitySpec, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PreferredSchedulingTerm } from 'kubernetes-types/core/v1';
import { FieldError } from '../../../kernel/api/errors';
import { goStringSlice, invalidGo, isQualifiedName, isValidLabelValue } from '../../../kernel/api/validation';
import {
  MAX_NODE_SCORE,
  SchedulingStatus,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type NodeScore,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../../kernel/scheduling/types';

const NAME = 'NodeAffinity';
const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** kube-scheduler's reasons, word for word. */
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const POD_MISMATCH = SchedulingStatus.unresolvable(ERR_REASON_POD);
const ENFORCED_MISMATCH = SchedulingStatus.unresolvable(ERR_REASON_ENFORCED);

/** NodeAffinityArgs (kube-scheduler config v1). */
export interface NodeAffinityArgs {
  /** Affinity every pod of the profile gets in addition to its own (required terms ANDed with the pod's, preferred terms added). */
  addedAffinity?: NodeAffinitySpec;
}

type Problem = { path: Array<string | number>; message: string };
type Labels = Readonly<Record<string, string>> | undefined;

// ---------------------------------------------------------------- DefaultNormalizeScore

/**
 * kube's helper.DefaultNormalizeScore: scale scores to 0..maxPriority
 * against the highest (integer division), reversed (max - score) when
 * `reverse`. All zero stays zero, or becomes maxPriority when reversed.
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): void {
  let maxCount = 0;
  for (const s of scores) if (s.score > maxCount) maxCount = s.score;
  if (maxCount === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return;
  }
  for (const s of scores) {
    let score = Math.trunc((maxPriority * s.score) / maxCount);
    if (reverse) score = maxPriority - score;
    s.score = score;
  }
}

// ---------------------------------------------------------------- node selector terms, parsed once

const IN = 0;
const NOT_IN = 1;
const EXISTS = 2;
const DOES_NOT_EXIST = 3;
const GT = 4;
const LT = 5;

const LABEL_OPERATORS: Record<string, number> = { In: IN, NotIn: NOT_IN, Exists: EXISTS, DoesNotExist: DOES_NOT_EXIST, Gt: GT, Lt: LT };
const LABEL_OPERATOR_NAMES = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
const FIELD_OPERATOR_NAMES = ['In', 'NotIn'];

interface LabelRequirement {
  readonly key: string;
  readonly op: number;
  readonly values: ReadonlySet<string>;
  /** Gt/Lt: the integer compared against. */
  readonly bound: number | bigint;
}

interface FieldRequirement {
  readonly key: string;
  readonly equal: boolean;
  readonly value: string;
}

/** A nodeSelectorTerm ready to match; a term with `errors` matches nothing. */
interface CompiledTerm {
  readonly labels?: readonly LabelRequirement[];
  readonly fields?: readonly FieldRequirement[];
  readonly errors?: readonly Problem[];
}

interface WeightedTerm {
  readonly weight: number;
  readonly term: CompiledTerm;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL = /^[+-]?[0-9]+$/;

/** Go's strconv.ParseInt(s, 10, 64): undefined when it would fail (syntax or range). */
function parseInt64(s: string): number | bigint | undefined {
  if (!DECIMAL.test(s)) return undefined;
  if (s.length <= 15) return Number(s);
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

function compileLabelRequirements(exprs: readonly NodeSelectorRequirement[], path: Array<string | number>, errors: Problem[]): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  exprs.forEach((expr, i) => {
    const p = [...path, i];
    const op = LABEL_OPERATORS[expr.operator];
    if (op === undefined) {
      errors.push({ path: [...p, 'operator'], message: FieldError.notSupported('', expr.operator, LABEL_OPERATOR_NAMES).body() });
      return;
    }
    const before = errors.length;
    const values = expr.values ?? [];
    const keyProblems = isQualifiedName(expr.key ?? '');
    if (keyProblems.length > 0) errors.push({ path: [...p, 'key'], message: FieldError.invalid('', expr.key, keyProblems.join('; ')).body() });
    let bound: number | bigint = 0;
    switch (op) {
      case IN:
      case NOT_IN:
        if (values.length === 0) errors.push({ path: [...p, 'values'], message: invalidGo('', values, goStringSlice(expr.values), "for 'in', 'notin' operators, values set can't be empty").body() });
        break;
      case EXISTS:
      case DOES_NOT_EXIST:
        if (values.length !== 0) errors.push({ path: [...p, 'values'], message: invalidGo('', values, goStringSlice(values), 'values set must be empty for exists and does not exist').body() });
        break;
      default:
        if (values.length !== 1) errors.push({ path: [...p, 'values'], message: invalidGo('', values, goStringSlice(expr.values), "for 'Gt', 'Lt' operators, exactly one value is required").body() });
        values.forEach((v, j) => {
          const n = parseInt64(v);
          if (n === undefined) errors.push({ path: [...p, 'values', j], message: FieldError.invalid('', v, "for 'Gt', 'Lt' operators, the value must be an integer").body() });
          else if (j === 0) bound = n;
        });
    }
    values.forEach((v, j) => {
      const problems = isValidLabelValue(v);
      if (problems.length > 0) errors.push({ path: [...p, 'values', j], message: FieldError.invalid('', v, problems.join('; ')).body() });
    });
    if (errors.length === before) out.push({ key: expr.key, op, values: new Set(values), bound });
  });
  return out;
}

function compileFieldRequirements(exprs: readonly NodeSelectorRequirement[], path: Array<string | number>, errors: Problem[]): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  exprs.forEach((expr, i) => {
    const p = [...path, i];
    if (expr.operator !== 'In' && expr.operator !== 'NotIn') {
      errors.push({ path: [...p, 'operator'], message: FieldError.notSupported('', expr.operator, FIELD_OPERATOR_NAMES).body() });
      return;
    }
    const values = expr.values ?? [];
    if (values.length !== 1) {
      errors.push({ path: [...p, 'values'], message: invalidGo('', values, goStringSlice(expr.values), 'must have one element').body() });
      return;
    }
    out.push({ key: expr.key, equal: expr.operator === 'In', value: values[0] });
  });
  return out;
}

function isEmptyTerm(term: NodeSelectorTerm | undefined): boolean {
  return !term || ((term.matchExpressions ?? []).length === 0 && (term.matchFields ?? []).length === 0);
}

/** Parse a term (kube's newNodeSelectorTerm); its problems are reported under `path`. */
function compileTerm(term: NodeSelectorTerm, path: Array<string | number>): CompiledTerm {
  const errors: Problem[] = [];
  const exprs = term.matchExpressions ?? [];
  const fieldExprs = term.matchFields ?? [];
  const labels = exprs.length > 0 ? compileLabelRequirements(exprs, [...path, 'matchExpressions'], errors) : undefined;
  const fields = fieldExprs.length > 0 ? compileFieldRequirements(fieldExprs, [...path, 'matchFields'], errors) : undefined;
  return errors.length > 0 ? { errors } : { labels, fields };
}

/** The non-empty terms of a NodeSelector, parsed (kube's LazyErrorNodeSelector: empty terms select nothing and are dropped). */
function compileNodeSelector(selector: NodeSelector, path: Array<string | number> = []): CompiledTerm[] {
  const out: CompiledTerm[] = [];
  (selector.nodeSelectorTerms ?? []).forEach((term, i) => {
    if (!isEmptyTerm(term)) out.push(compileTerm(term, [...path, 'nodeSelectorTerms', i]));
  });
  return out;
}

/** Preferred terms with a weight and a non-empty preference (kube's NewPreferredSchedulingTerms). */
function compilePreferred(terms: readonly PreferredSchedulingTerm[], path: Array<string | number> = []): { terms: WeightedTerm[]; errors: Problem[] } {
  const out: WeightedTerm[] = [];
  const errors: Problem[] = [];
  terms.forEach((t, i) => {
    if (!t.weight || isEmptyTerm(t.preference)) return;
    const term = compileTerm(t.preference, [...path, i, 'preference']);
    if (term.errors) errors.push(...term.errors);
    else out.push({ weight: t.weight, term });
  });
  return { terms: out, errors };
}

function matchesLabel(r: LabelRequirement, labels: Labels): boolean {
  const value = labels?.[r.key];
  // Own string values only: a label called "constructor" must not find Object.prototype's.
  const has = typeof value === 'string';
  switch (r.op) {
    case IN:
      return has && r.values.has(value);
    case NOT_IN:
      return !has || !r.values.has(value);
    case EXISTS:
      return has;
    case DOES_NOT_EXIST:
      return !has;
    case GT:
    case LT: {
      if (!has) return false;
      const n = parseInt64(value);
      if (n === undefined) return false;
      return r.op === GT ? n > r.bound : n < r.bound;
    }
    default:
      return false;
  }
}

/** A term against a node's labels and name (kube's nodeSelectorTerm.match; metadata.name is the only field). */
function matchesTerm(term: CompiledTerm, labels: Labels, nodeName: string): boolean {
  if (term.errors) return false;
  if (term.labels) for (const r of term.labels) if (!matchesLabel(r, labels)) return false;
  if (term.fields && nodeName !== '') {
    for (const f of term.fields) {
      const value = f.key === 'metadata.name' ? nodeName : '';
      if ((value === f.value) !== f.equal) return false;
    }
  }
  return true;
}

function matchesAnyTerm(terms: readonly CompiledTerm[], node: NodeInfo): boolean {
  const labels = node.node.metadata?.labels;
  for (const term of terms) if (matchesTerm(term, labels, node.name)) return true;
  return false;
}

function preferredScore(terms: readonly WeightedTerm[], node: NodeInfo): number {
  const labels = node.node.metadata?.labels;
  let score = 0;
  for (const t of terms) if (matchesTerm(t.term, labels, node.name)) score += t.weight;
  return score;
}

// ---------------------------------------------------------------- per pod and per profile

/** The pod's required node selection, parsed once (kube's RequiredNodeAffinity), with addedAffinity's required terms. */
interface RequiredAffinity {
  /** addedAffinity's required terms (undefined: none). */
  readonly added?: readonly CompiledTerm[];
  /** spec.nodeSelector as [key, value] pairs (undefined: none). */
  readonly nodeSelector?: ReadonlyArray<readonly [string, string]>;
  /** The required terms (undefined: the pod has no required node affinity). */
  readonly terms?: readonly CompiledTerm[];
}

function requiredAffinity(pod: Pod, added: readonly CompiledTerm[] | undefined): RequiredAffinity {
  const selector = pod.spec?.nodeSelector;
  const pairs = selector ? Object.entries(selector) : [];
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return { added, nodeSelector: pairs.length > 0 ? pairs : undefined, terms: required ? compileNodeSelector(required) : undefined };
}

/**
 * The pod's nodeSelector and required node affinity as one test of a node
 * (kube's GetRequiredNodeAffinity), or undefined when the pod has neither:
 * also PodTopologySpread's nodeAffinityPolicy.
 */
export function requiredNodeAffinityOf(pod: Pod): ((node: NodeInfo) => boolean) | undefined {
  const req = requiredAffinity(pod, undefined);
  if (!req.nodeSelector && !req.terms) return undefined;
  return (node) => matchesRequired(req, node);
}

function matchesRequired(req: RequiredAffinity, node: NodeInfo): boolean {
  if (req.nodeSelector) {
    const labels = node.node.metadata?.labels;
    for (const [key, value] of req.nodeSelector) if (labels?.[key] !== value) return false;
  }
  // Parse errors only make their term match nothing, for backwards compatibility (as kube).
  return req.terms ? matchesAnyTerm(req.terms, node) : true;
}

/** addedAffinity, parsed once per args object. */
interface AddedAffinity {
  readonly required?: readonly CompiledTerm[];
  readonly preferred?: readonly WeightedTerm[];
}

const NOTHING_ADDED: AddedAffinity = {};
const addedByArgs = new WeakMap<object, AddedAffinity>();

function addedAffinity(state: CycleState): AddedAffinity {
  const args = state.profile.args<NodeAffinityArgs>(NAME);
  if (!args?.addedAffinity) return NOTHING_ADDED;
  let added = addedByArgs.get(args);
  if (!added) {
    const problems = validateAddedAffinity(args.addedAffinity);
    if (problems.length > 0) throw new Error(`plugin/${NAME}: addedAffinity: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
    const required = args.addedAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    const preferred = args.addedAffinity.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    added = {
      required: required ? compileNodeSelector(required) : undefined,
      preferred: preferred.length > 0 ? compilePreferred(preferred).terms : undefined,
    };
    addedByArgs.set(args, added);
  }
  return added;
}

/** kube's ValidateNodeAffinityArgs: the added terms must parse. */
function validateAddedAffinity(affinity: NodeAffinitySpec): Problem[] {
  const problems: Problem[] = [];
  const required = affinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) {
    for (const term of compileNodeSelector(required, ['addedAffinity', 'requiredDuringSchedulingIgnoredDuringExecution'])) if (term.errors) problems.push(...term.errors);
  }
  const preferred = affinity.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  if (preferred.length > 0) problems.push(...compilePreferred(preferred, ['addedAffinity', 'preferredDuringSchedulingIgnoredDuringExecution']).errors);
  return problems;
}

/** The node names the pod's required terms pin with matchFields metadata.name In (kube's PreFilter narrowing); undefined: any node. */
function pinnedNodeNames(terms: readonly NodeSelectorTerm[]): Set<string> | undefined {
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      // Requirements of a term are ANDed: intersect.
      const values = new Set(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => values.has(n))) : values;
    }
    // A term without a name pin lets any node through (terms are ORed).
    if (!termNames) return undefined;
    names ??= new Set();
    for (const n of termNames) names.add(n);
  }
  return names;
}

interface PreScoreState {
  /** addedAffinity's preferred terms (undefined: none). */
  readonly added?: readonly WeightedTerm[];
  /** The pod's preferred terms (undefined: none). */
  readonly preferred?: readonly WeightedTerm[];
}

const NODE_SELECTOR_TERM_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchExpressions: { type: 'array', items: { type: 'object', required: ['key', 'operator'] } },
    matchFields: { type: 'array', items: { type: 'object', required: ['key', 'operator'] } },
  },
};

export const NodeAffinity = {
  name: NAME,
  argsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      addedAffinity: {
        type: 'object',
        additionalProperties: false,
        properties: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            type: 'object',
            required: ['nodeSelectorTerms'],
            properties: { nodeSelectorTerms: { type: 'array', items: NODE_SELECTOR_TERM_SCHEMA } },
          },
          preferredDuringSchedulingIgnoredDuringExecution: {
            type: 'array',
            items: { type: 'object', required: ['weight', 'preference'], properties: { weight: { type: 'integer' }, preference: NODE_SELECTOR_TERM_SCHEMA } },
          },
        },
      },
    },
  },
  defaultArgs: {} as Record<string, unknown>,

  /** kube's ValidateNodeAffinityArgs: addedAffinity's terms must parse (paths relative to args). */
  validateArgs(args: Record<string, unknown>): Problem[] {
    const affinity = (args as NodeAffinityArgs).addedAffinity;
    return affinity ? validateAddedAffinity(affinity) : [];
  },

  /**
   * Parses the pod's nodeSelector and required terms; Skip when neither
   * they nor addedAffinity's required terms exist. Narrows to the nodes its
   * terms pin by metadata.name, or rejects the pod when those pins conflict.
   */
  preFilter(state: CycleState, pod: Pod): PreFilterResult | SchedulingStatus | undefined {
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    const added = addedAffinity(state).required;
    if (!required && !added && pod.spec?.nodeSelector === undefined) return SchedulingStatus.skip();
    state.write<RequiredAffinity>(PRE_FILTER_KEY, requiredAffinity(pod, added));
    if (!required || (required.nodeSelectorTerms ?? []).length === 0) return undefined;
    const names = pinnedNodeNames(required.nodeSelectorTerms);
    if (names === undefined) return undefined;
    // Every term pins names, but none survives their intersections: no node can match.
    if (names.size === 0) return SchedulingStatus.unresolvable(ERR_REASON_CONFLICT);
    return { nodeNames: names };
  },

  /** addedAffinity's required terms first (scheduler-enforced), then the pod's selector and terms. */
  filter(state: CycleState, pod: Pod, node: NodeInfo): SchedulingStatus | undefined {
    let req = state.read<RequiredAffinity>(PRE_FILTER_KEY);
    if (!req) {
      // As kube: without PreFilter, parse here.
      req = requiredAffinity(pod, addedAffinity(state).required);
      state.write(PRE_FILTER_KEY, req);
    }
    if (req.added && !matchesAnyTerm(req.added, node)) return ENFORCED_MISMATCH;
    return matchesRequired(req, node) ? undefined : POD_MISMATCH;
  },

  /** Parses the pod's preferred terms; Skip when neither the pod nor addedAffinity prefers anything; Error when a term does not parse. */
  preScore(state: CycleState, pod: Pod): SchedulingStatus | undefined {
    const terms = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    const added = addedAffinity(state).preferred;
    if (terms === undefined && !added) return SchedulingStatus.skip();
    if (terms === undefined) {
      state.write<PreScoreState>(PRE_SCORE_KEY, { added });
      return undefined;
    }
    const { terms: preferred, errors } = compilePreferred(terms);
    if (errors.length > 0) return SchedulingStatus.error(errors.map((e) => `${formatPath(e.path)}: ${e.message}`).join(', '));
    state.write<PreScoreState>(PRE_SCORE_KEY, { added, preferred });
    return undefined;
  },

  /** The sum of the weights of the matching preferred terms (addedAffinity's and the pod's). */
  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    let s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) {
      // As kube: without PreScore, parse here (terms that do not parse score nothing).
      const terms = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
      s = { added: addedAffinity(state).preferred, preferred: terms ? compilePreferred(terms).terms : undefined };
      state.write(PRE_SCORE_KEY, s);
    }
    let count = 0;
    if (s.added) count += preferredScore(s.added, node);
    if (s.preferred) count += preferredScore(s.preferred, node);
    return count;
  },

  /** 0..100 against the best node (DefaultNormalizeScore). */
  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): void {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
  },
} satisfies PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;

/** A problem path as kube prints it: `[0].preference.matchExpressions[1].operator`. */
function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}
