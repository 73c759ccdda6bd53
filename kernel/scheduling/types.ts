/**
 * The scheduling framework's vocabulary, shared by the kernel hooks of the
 * scheduling group and every scheduling plugin (kube-scheduler's framework
 * types). A scheduling plugin is an object with a name and one method per
 * extension point it implements (`FilterPlugin`, `ScorePlugin`, ...); the
 * scheduler plugin calls the kernel hook taps of that name, so a plugin is
 * added by tapping the hooks, from any npm package (`tapSchedulingPlugin`).
 */
import type { Pod, Node, Taint, Toleration } from 'kubernetes-types/core/v1';
import type { LabelMatcher } from '../api/selectors';

/** Outcome codes, as kube-scheduler's framework.Code. Faults are thrown errors, not statuses. */
export type SchedulingCode = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip';

/** An expected outcome of a scheduling plugin (never a thrown error). */
export interface SchedulingStatus {
  readonly code: SchedulingCode;
  /** Human-readable reasons, as they appear in the FailedScheduling event ("Insufficient cpu"). */
  readonly reasons: readonly string[];
  /** The plugin that produced it (set by the framework). */
  readonly plugin?: string;
}

const SUCCESS: SchedulingStatus = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as readonly string[] });
const SKIP: SchedulingStatus = Object.freeze({ code: 'Skip', reasons: Object.freeze([]) as readonly string[] });

export const SchedulingStatus = {
  success(): SchedulingStatus {
    return SUCCESS;
  },
  /** The pod does not fit, but might after something changes (preemption may help). */
  unschedulable(...reasons: string[]): SchedulingStatus {
    return { code: 'Unschedulable', reasons };
  },
  /** The pod does not fit and preempting pods on the node would not change that. */
  unresolvable(...reasons: string[]): SchedulingStatus {
    return { code: 'UnschedulableAndUnresolvable', reasons };
  },
  /** This plugin has nothing to do for this pod (PreFilter/PreScore: its Filter/Score are skipped too). */
  skip(): SchedulingStatus {
    return SKIP;
  },
  wait(reason = ''): SchedulingStatus {
    return { code: 'Wait', reasons: reason ? [reason] : [] };
  },
  /** An internal failure reported as a value (a thrown error becomes one of these). */
  error(reason: string): SchedulingStatus {
    return { code: 'Error', reasons: [reason] };
  },
  isSuccess(status: SchedulingStatus | undefined): boolean {
    return status === undefined || status.code === 'Success';
  },
  /** Unschedulable or UnschedulableAndUnresolvable. */
  isRejected(status: SchedulingStatus | undefined): boolean {
    return status !== undefined && (status.code === 'Unschedulable' || status.code === 'UnschedulableAndUnresolvable');
  },
} as const;

/**
 * Resource amounts in canonical integer units: `cpu` in millicores, `memory`
 * and `ephemeral-storage` in bytes, `pods` a count, extended resources
 * (`example.com/gpu`, `hugepages-2Mi`) in their integer units. A missing key
 * is zero.
 */
export type ResourceList = Readonly<Record<string, number>>;

/** A pod's affinity term, parsed once (kube-scheduler's AffinityTerm). */
export interface AffinityTerm {
  /** Namespaces the term selects pods in (the pod's own when the term names none and has no namespaceSelector). */
  readonly namespaces: ReadonlySet<string>;
  /** Selects namespaces by their labels in addition to `namespaces` (undefined: none). */
  readonly namespaceSelector?: LabelMatcher;
  readonly selector: LabelMatcher;
  readonly topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

/** A pod with what the scheduler computes from it once (kube-scheduler's PodInfo). */
export interface PodInfo {
  readonly pod: Pod;
  /** Effective requests: max(sum of containers, largest init container) plus overhead, and `pods: 1`. */
  readonly requests: ResourceList;
  /** Requests for scoring: containers without cpu/memory requests count 100m / 200Mi (kube's non-zero defaults). */
  readonly nonZeroRequests: ResourceList;
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];
}

/** A host port in use on a node (NodePorts). `hostIP` is '0.0.0.0' when the pod left it empty. */
export interface HostPort {
  readonly hostIP: string;
  readonly protocol: string;
  readonly port: number;
}

/** An image present on a node, and on how many nodes of the cluster (ImageLocality). */
export interface ImageState {
  readonly sizeBytes: number;
  readonly numNodes: number;
}

/**
 * A node with the pods the scheduler believes it runs, assumed ones included
 * (kube-scheduler's NodeInfo). Read-only for plugins: the scheduler owns it.
 */
export interface NodeInfo {
  readonly name: string;
  readonly node: Node;
  readonly pods: readonly PodInfo[];
  /** Pods with any affinity or anti-affinity (InterPodAffinity). */
  readonly podsWithAffinity: readonly PodInfo[];
  /** Pods with required anti-affinity terms (InterPodAffinity). */
  readonly podsWithRequiredAntiAffinity: readonly PodInfo[];
  /** Sum of the pods' `requests` (with `pods` their count). */
  readonly requested: ResourceList;
  /** Sum of the pods' `nonZeroRequests`. */
  readonly nonZeroRequested: ResourceList;
  /** The node's status.allocatable (or capacity when allocatable is absent). */
  readonly allocatable: ResourceList;
  readonly usedPorts: readonly HostPort[];
  /** By image name as the node reports it (every name of each image; tags normalized as kube-scheduler does). */
  readonly imageStates: ReadonlyMap<string, ImageState>;
  readonly taints: readonly Taint[];
  /** Bumped on every change to this NodeInfo. */
  readonly generation: number;
}

/** The cluster as one scheduling attempt sees it. */
export interface ClusterSnapshot {
  /** Every node, in a stable order. */
  readonly nodes: readonly NodeInfo[];
  /** Nodes with at least one pod that has (anti-)affinity. */
  readonly nodesWithAffinityPods: readonly NodeInfo[];
  /** Nodes with at least one pod that has required anti-affinity. */
  readonly nodesWithRequiredAntiAffinityPods: readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  /** Labels of a namespace (for namespaceSelector in affinity terms); undefined if unknown. */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  /**
   * Selectors of the Services, ReplicaSets and StatefulSets in the pod's
   * namespace that select it (PodTopologySpread's default constraints, as
   * kube-scheduler's DefaultSelector).
   */
  selectorsFor(pod: Pod): readonly LabelMatcher[];
}

/** The profile scheduling a pod (a KubeSchedulerProfile): its name and each plugin's args, defaults applied. */
export interface SchedulingProfile {
  readonly schedulerName: string;
  args<T>(plugin: string): T | undefined;
}

/** Per-attempt scratch space plugins share between extension points (framework.CycleState), with the attempt's view of the cluster. */
export interface CycleState {
  read<T>(key: string): T | undefined;
  write<T>(key: string, value: T): void;
  readonly snapshot: ClusterSnapshot;
  readonly profile: SchedulingProfile;
  /** The pod being scheduled, parsed (requests, affinity terms). */
  readonly podInfo: PodInfo;
}

/** A pod waiting in the scheduling queue. */
export interface QueuedPodInfo {
  readonly pod: Pod;
  /** When it was (re)added to the queue (ms since the epoch). */
  readonly timestamp: number;
  readonly attempts: number;
  /** The pod's priority (spec.priority, 0 if unset). */
  readonly priority: number;
}

export interface NodeScore {
  readonly name: string;
  score: number;
}

/** The highest score a plugin returns after normalising (framework.MaxNodeScore). */
export const MAX_NODE_SCORE = 100;

/** What a PreFilter plugin may narrow the candidate nodes to, with its status. */
export interface PreFilterResult {
  /** Only these nodes can fit (undefined: all). */
  readonly nodeNames?: ReadonlySet<string>;
  readonly status?: SchedulingStatus;
}

/** A PostFilter plugin's outcome (preemption): the node nominated, if any. */
export interface PostFilterResult {
  readonly nominatedNodeName?: string;
  readonly status: SchedulingStatus;
}

/** A Permit plugin's answer: Success, Unschedulable, or Wait up to `timeoutMs`. */
export interface PermitResult {
  readonly status: SchedulingStatus;
  readonly timeoutMs?: number;
}

/** Failures of a pod by node name, as the filter phase reports them. */
export type NodeStatusMap = ReadonlyMap<string, SchedulingStatus>;

// ---- one small interface per extension point ----

/** What every scheduling plugin has: its name (the name profiles enable it by, and its taps' name). */
export interface SchedulingPlugin {
  readonly name: string;
  /**
   * The args a profile may give it (`pluginConfig[].args`), as a JSON Schema
   * checked when the scheduler boots, with `defaultArgs` merged under them.
   */
  readonly argsSchema?: object;
  readonly defaultArgs?: Record<string, unknown>;
  /** Checks the schema cannot express; each problem names its path under `args` (called with defaults applied). */
  validateArgs?(args: Record<string, unknown>): Array<{ path: Array<string | number>; message: string }>;
}

export interface QueueSortPlugin extends SchedulingPlugin {
  /** True when `a` goes before `b` in the active queue. Pure and fast. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreFilterPlugin extends SchedulingPlugin {
  /**
   * Once per attempt: compute what Filter needs into `state`, narrow the nodes,
   * or reject the pod outright. Skip: this plugin's Filter is not called for this pod.
   */
  preFilter(state: CycleState, pod: Pod): PreFilterResult | SchedulingStatus | undefined | Promise<PreFilterResult | SchedulingStatus | undefined>;
  /**
   * PreFilterExtensions: preemption asks "what if this pod were added to /
   * removed from that node"; a plugin whose PreFilter state depends on other
   * pods (InterPodAffinity, PodTopologySpread) updates `state` (a clone) to match.
   */
  addPod?(state: CycleState, podToSchedule: Pod, podToAdd: PodInfo, node: NodeInfo): SchedulingStatus | undefined;
  removePod?(state: CycleState, podToSchedule: Pod, podToRemove: PodInfo, node: NodeInfo): SchedulingStatus | undefined;
}

export interface FilterPlugin extends SchedulingPlugin {
  /** Per node: Success (or undefined) if the pod fits. Synchronous and allocation-light: it runs for thousands of nodes per pod. */
  filter(state: CycleState, pod: Pod, node: NodeInfo): SchedulingStatus | undefined;
}

export interface PostFilterPlugin extends SchedulingPlugin {
  /** No node fits: make room (preemption) and nominate a node, or say why not. */
  postFilter(state: CycleState, pod: Pod, failures: NodeStatusMap): Promise<PostFilterResult | undefined> | PostFilterResult | undefined;
}

export interface PreScorePlugin extends SchedulingPlugin {
  /** Once, with the feasible nodes, before scoring. Skip: this plugin's Score is not called for this pod. */
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): SchedulingStatus | undefined | Promise<SchedulingStatus | undefined>;
}

export interface ScorePlugin extends SchedulingPlugin {
  /** Per feasible node: a score (0-100 unless the plugin normalises). Synchronous. */
  score(state: CycleState, pod: Pod, node: NodeInfo): number;
  /** Rescale this plugin's scores in place to 0-MAX_NODE_SCORE. */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): void;
}

export interface ReservePlugin extends SchedulingPlugin {
  /** The node is chosen: reserve what the pod needs. A non-Success status fails the attempt (and unreserves). */
  reserve(state: CycleState, pod: Pod, nodeName: string): SchedulingStatus | undefined | Promise<SchedulingStatus | undefined>;
  /** Undo `reserve`. Idempotent; called in reverse order when a later stage fails. */
  unreserve(state: CycleState, pod: Pod, nodeName: string): void | Promise<void>;
}

export interface PermitPlugin extends SchedulingPlugin {
  /** Allow (Success/undefined), reject, or Wait up to `timeoutMs` for `allow`/`reject` from elsewhere. */
  permit(state: CycleState, pod: Pod, nodeName: string): PermitResult | undefined | Promise<PermitResult | undefined>;
}

export interface PreBindPlugin extends SchedulingPlugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): SchedulingStatus | undefined | Promise<SchedulingStatus | undefined>;
}

export interface BindPlugin extends SchedulingPlugin {
  /** Bind the pod, or return Skip to let the next bind plugin do it. */
  bind(state: CycleState, pod: Pod, nodeName: string): SchedulingStatus | undefined | Promise<SchedulingStatus | undefined>;
}

export interface PostBindPlugin extends SchedulingPlugin {
  postBind(state: CycleState, pod: Pod, nodeName: string): void | Promise<void>;
}

/** Any scheduling plugin: a name and any of the extension point methods. */
export type AnySchedulingPlugin = SchedulingPlugin &
  Partial<
    Pick<QueueSortPlugin, 'less'> &
      Pick<PreFilterPlugin, 'preFilter' | 'addPod' | 'removePod'> &
      Pick<FilterPlugin, 'filter'> &
      Pick<PostFilterPlugin, 'postFilter'> &
      Pick<PreScorePlugin, 'preScore'> &
      Pick<ScorePlugin, 'score' | 'normalizeScore'> &
      Pick<ReservePlugin, 'reserve' | 'unreserve'> &
      Pick<PermitPlugin, 'permit'> &
      Pick<PreBindPlugin, 'preBind'> &
      Pick<BindPlugin, 'bind'> &
      Pick<PostBindPlugin, 'postBind'>
  >;

/** Toleration matching as Kubernetes' v1helper.TolerationsTolerateTaint: shared by TaintToleration, preemption and the node agent's eviction. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key !== undefined && toleration.key !== '' && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}
