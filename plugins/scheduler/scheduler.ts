/**
 * The scheduler: kube-scheduler's scheduling framework over the kernel's
 * scheduling hooks.
 *
 * Scheduling cycles run one at a time: pop the next pod, PreFilter, Filter
 * (until enough feasible nodes are found, starting where the last cycle
 * stopped), PostFilter when nothing fits (preemption), PreScore, Score,
 * NormalizeScore, weigh and pick (ties broken at random), assume the pod onto
 * the node in the cache, Reserve, Permit. Binding cycles then run
 * concurrently: wait for Permit, PreBind, Bind (pods/binding), PostBind; a
 * failure unreserves, forgets the assumed pod and requeues it with backoff.
 *
 * Users see why: a pod that fits nowhere gets PodScheduled=False with reason
 * Unschedulable and a FailedScheduling event with Kubernetes' summary
 * ("0/5 nodes are available: 3 Insufficient cpu, ..."); a bound pod a
 * Scheduled event.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { Clock } from '../../kernel/client/clock';
import { EventRecorder, podRef } from '../../kernel/client/events';
import { SharedInformerFactory, type SharedInformer } from '../../kernel/client/informer';
import type { ApiClient, ResourceType } from '../../kernel/client/types';
import type { KubeObject } from '../../kernel/api/types';
import type { Logger } from '../../kernel/log';
import type { CycleState, NodeInfo, NodeScore, PodInfo, PreFilterResult, SchedulingStatus as Status } from '../../kernel/scheduling/types';
import { MAX_NODE_SCORE, SchedulingStatus } from '../../kernel/scheduling/types';
import type { WaitingPod as WaitingPodView } from '../../kernel/scheduling/plugins';
import type { FrameworkHandle, SchedulerEvent } from './framework/handle';
import { profileView, SchedulingCycleState } from './framework/snapshot';
import { SchedulerCache } from './cache';
import type { EnabledPlugin, ResolvedProfile } from './options';
import { SchedulingQueue, type QueuedPod } from './queue';

const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const NODES: ResourceType = { group: '', version: 'v1', resource: 'nodes', kind: 'Node' };
const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace' };
const SERVICES: ResourceType = { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true };
const REPLICASETS: ResourceType = { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true };
const STATEFULSETS: ResourceType = { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', namespaced: true };

/** kube-scheduler's constants for how many feasible nodes to look for. */
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
const BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50;

export interface SchedulerConfig {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly profiles: readonly ResolvedProfile[];
  /** 0: adaptive. */
  readonly percentageOfNodesToScore: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxInUnschedulableMs: number;
  readonly parallelBindings: number;
  /** Random numbers in [0, 1) for tie-breaking (tests pass a seeded one). */
  readonly random?: () => number;
  /** Where pods held at Permit are published for plugins (`waitingPods(kernel.hooks)`). */
  readonly waiting?: Map<string, WaitingPodView>;
}

/** The result of one scheduling attempt's search. */
interface Placement {
  readonly nodeName?: string;
  /** No node fits: every node's failure, and what PreFilter said if it rejected the pod outright. */
  readonly failures?: Map<string, Status>;
  readonly preFilterMessage?: string;
  readonly evaluated: number;
  readonly feasible: number;
}

/** A fault a plugin threw, turned into the attempt's Error status. */
class PluginFault extends Error {}

/** A pod held at Permit (Wait) until every waiting plugin allows it, one rejects it, or time runs out. */
export class WaitingPod implements WaitingPodView {
  private readonly pending: Map<string, ReturnType<Clock['setTimeout']>>;
  private settle!: (status: Status) => void;
  readonly done: Promise<Status>;

  constructor(
    readonly pod: Pod,
    waits: Map<string, number>,
    private readonly clock: Clock,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
    this.pending = new Map();
    for (const [plugin, ms] of waits) {
      this.pending.set(
        plugin,
        clock.setTimeout(() => this.reject(plugin, `rejected due to timeout after waiting ${ms / 1000}s at plugin ${plugin}`), ms),
      );
    }
  }

  get pendingPlugins(): string[] {
    return [...this.pending.keys()];
  }

  allow(plugin: string): void {
    const timer = this.pending.get(plugin);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.pending.delete(plugin);
    if (this.pending.size === 0) this.settle(SchedulingStatus.success());
  }

  reject(plugin: string, message: string): void {
    for (const timer of this.pending.values()) this.clock.clearTimeout(timer);
    this.pending.clear();
    this.settle({ ...SchedulingStatus.unschedulable(message), plugin });
  }
}

/** `0/5 nodes are available: 3 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}.` (FitError.Error). */
export function fitErrorMessage(numAllNodes: number, failures: ReadonlyMap<string, Status>, preFilterMessage?: string, postFilterMessage?: string): string {
  let message = `0/${numAllNodes} nodes are available:`;
  if (preFilterMessage) message += ` ${preFilterMessage}.`;
  else {
    const histogram = new Map<string, number>();
    for (const status of failures.values()) for (const reason of status.reasons) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
    const parts = [...histogram].map(([reason, count]) => `${count} ${reason}`).sort();
    if (parts.length > 0) message += ` ${parts.join(', ')}.`;
  }
  if (postFilterMessage) message += ` ${postFilterMessage}`;
  return message;
}

/** How many feasible nodes to find before scoring (kube-scheduler's numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(numAllNodes: number, percentage: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let adaptive = percentage;
  if (adaptive <= 0) {
    adaptive = BASE_PERCENTAGE_OF_NODES_TO_SCORE - Math.floor(numAllNodes / 125);
    if (adaptive < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) adaptive = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const num = Math.floor((numAllNodes * adaptive) / 100);
  return num < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : num;
}

function withPlugin(status: Status, plugin: string): Status {
  return status.plugin === plugin ? status : { ...status, plugin };
}

function isPreFilterResult(r: PreFilterResult | Status): r is PreFilterResult {
  return !('code' in r);
}

export class Scheduler implements FrameworkHandle {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly profiles = new Map<string, ResolvedProfile>();
  private readonly factory: SharedInformerFactory;
  private readonly events: EventRecorder;
  private readonly random: () => number;
  private readonly waiting: Map<string, WaitingPod>;
  private readonly bindings = new Set<Promise<void>>();
  private nextStartNodeIndex = 0;
  private stopped = false;
  private loop?: Promise<void>;
  /** The profile of the attempt running now (for the handle's methods called by plugins). */
  private current?: ResolvedProfile;
  /** Counters for metrics and tests. */
  readonly stats = { attempts: 0, scheduled: 0, unschedulable: 0, errors: 0, bindFailures: 0 };

  constructor(private readonly config: SchedulerConfig) {
    this.client = config.client;
    this.clock = config.clock;
    this.logger = config.logger;
    this.random = config.random ?? Math.random;
    this.waiting = (config.waiting as Map<string, WaitingPod> | undefined) ?? new Map();
    for (const p of config.profiles) this.profiles.set(p.schedulerName, p);
    const sort = config.profiles[0].points.queueSort[0].plugin;
    this.queue = new SchedulingQueue({
      clock: config.clock,
      less: (a, b) => sort.less!(a, b),
      initialBackoffMs: config.initialBackoffMs,
      maxBackoffMs: config.maxBackoffMs,
      maxInUnschedulableMs: config.maxInUnschedulableMs,
    });
    this.factory = new SharedInformerFactory(config.client, { clock: config.clock, logger: config.logger });
    this.events = new EventRecorder(config.client, { clock: config.clock, logger: config.logger, component: 'default-scheduler', instance: 'default-scheduler' });
  }

  /** Start the informers, wait for their caches, then schedule until `stop()`. */
  async start(signal?: AbortSignal): Promise<void> {
    this.watch<Pod>(PODS, { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' }, {
      add: (pod) => this.podAdded(pod),
      update: (old, pod) => this.podUpdated(old, pod),
      remove: (pod) => this.podDeleted(pod),
    });
    this.watch<Node>(NODES, {}, {
      add: (node) => this.cache.apply(() => {
        this.cache.addOrUpdateNode(node);
        this.queue.moveAllToActiveOrBackoff('NodeAdd');
      }),
      update: (old, node) => this.cache.apply(() => {
        this.cache.addOrUpdateNode(node);
        if (this.nodeSchedulingPropertiesChanged(old, node)) this.queue.moveAllToActiveOrBackoff('NodeUpdate');
      }),
      remove: (node) => this.cache.apply(() => this.cache.removeNode(node.metadata?.name ?? '')),
    });
    this.watch<{ metadata: { name: string; labels?: Record<string, string> } }>(NAMESPACES, {}, {
      add: (ns) => this.cache.apply(() => this.cache.setNamespace(ns.metadata.name, ns.metadata.labels ?? {})),
      update: (_old, ns) => this.cache.apply(() => this.cache.setNamespace(ns.metadata.name, ns.metadata.labels ?? {})),
      remove: (ns) => this.cache.apply(() => this.cache.setNamespace(ns.metadata.name, undefined)),
    });
    type Owner = { metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };
    const owner = (kind: string, type: ResourceType, isLabelSelector: boolean) => {
      const set = (o: Owner, selector: unknown) => this.cache.apply(() => this.cache.setOwnerSelector(kind, o.metadata.namespace ?? '', o.metadata.name, selector as never, isLabelSelector));
      this.watch<Owner>(type, {}, {
        add: (o) => set(o, o.spec?.selector),
        update: (_old, o) => set(o, o.spec?.selector),
        remove: (o) => set(o, undefined),
      });
    };
    owner('Service', SERVICES, false);
    owner('ReplicaSet', REPLICASETS, true);
    owner('StatefulSet', STATEFULSETS, true);
    this.factory.start();
    await this.factory.waitForCacheSync(signal);
    this.queue.run();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.close();
    for (const w of this.waiting.values()) w.reject('scheduler', 'the scheduler is stopping');
    await this.loop;
    await Promise.allSettled([...this.bindings]);
    await this.factory.stop();
    await this.events.flush();
  }

  /** Whether nothing is waiting to be tried and no binding is in flight (tests and benchmarks). */
  get idle(): boolean {
    const c = this.queue.counts;
    return c.active === 0 && c.inFlight === 0 && this.bindings.size === 0;
  }

  /** A pod held at Permit, for plugins that allow or reject it later. */
  waitingPod(uid: string): WaitingPod | undefined {
    return this.waiting.get(uid);
  }

  private watch<T>(
    type: ResourceType,
    selector: { fieldSelector?: string },
    h: { add(o: T): void; update(old: T, o: T): void; remove(o: T): void },
  ): SharedInformer<KubeObject> {
    const informer = this.factory.informerFor<KubeObject>(type, selector);
    informer.addEventHandler({
      onAdd: (o) => h.add(o as T),
      onUpdate: (old, o) => {
        if (old !== o) h.update(old as T, o as T);
      },
      onDelete: (o) => h.remove(o as T),
    });
    return informer;
  }

  private responsibleFor(pod: Pod): boolean {
    return this.profiles.has(pod.spec?.schedulerName ?? 'default-scheduler');
  }

  private podAdded(pod: Pod): void {
    if (pod.spec?.nodeName) {
      this.cache.apply(() => {
        this.cache.addOrUpdateBoundPod(pod);
        this.cache.setNominated(pod, '');
      });
      this.queue.delete(pod.metadata?.uid ?? '');
      return;
    }
    if (!this.responsibleFor(pod) || pod.metadata?.deletionTimestamp) return;
    if ((pod.spec?.schedulingGates ?? []).length > 0) return;
    this.cache.apply(() => this.cache.setNominated(pod, pod.status?.nominatedNodeName ?? ''));
    this.queue.add(pod);
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (pod.spec?.nodeName) {
      this.podAdded(pod);
      return;
    }
    if (!this.responsibleFor(pod)) return;
    if (pod.metadata?.deletionTimestamp) {
      this.queue.delete(pod.metadata.uid ?? '');
      return;
    }
    if ((pod.spec?.schedulingGates ?? []).length > 0) return;
    if (old.status?.nominatedNodeName !== pod.status?.nominatedNodeName) {
      this.cache.apply(() => this.cache.setNominated(pod, pod.status?.nominatedNodeName ?? ''));
    }
    // The scheduler's own status writes (conditions, nominatedNodeName) change nothing it schedules on.
    if (this.queue.has(pod.metadata?.uid ?? '')) this.queue.update(pod);
    else if (!this.cache.isAssumed(pod.metadata?.uid ?? '')) this.queue.add(pod);
  }

  private podDeleted(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    this.queue.delete(uid);
    this.waiting.get(uid)?.reject('scheduler', 'the pod was deleted');
    this.cache.apply(() => {
      this.cache.setNominated(pod, '');
      if (this.cache.removePod(uid)) this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
    });
  }

  private nodeSchedulingPropertiesChanged(old: Node, node: Node): boolean {
    return (
      old.spec?.unschedulable !== node.spec?.unschedulable ||
      JSON.stringify(old.status?.allocatable) !== JSON.stringify(node.status?.allocatable) ||
      JSON.stringify(old.metadata?.labels) !== JSON.stringify(node.metadata?.labels) ||
      JSON.stringify(old.spec?.taints) !== JSON.stringify(node.spec?.taints) ||
      JSON.stringify(old.status?.conditions?.map((c) => [c.type, c.status])) !== JSON.stringify(node.status?.conditions?.map((c) => [c.type, c.status]))
    );
  }

  // ---------------------------------------------------------------- the loop

  private async run(): Promise<void> {
    while (!this.stopped) {
      const queued = await this.queue.pop();
      if (!queued || this.stopped) break;
      try {
        await this.scheduleOne(queued);
      } catch (err) {
        // Deliberately absorbed: a fault in one attempt (already reported on the pod) must not stop the scheduler.
        this.logger.error(`scheduling ${queued.pod.metadata?.namespace}/${queued.pod.metadata?.name} failed: ${(err as Error).message}`);
      }
      // Bound the binding cycles in flight.
      while (this.bindings.size >= this.config.parallelBindings) await Promise.race(this.bindings);
    }
  }

  /** One scheduling cycle, then the binding cycle in the background. */
  async scheduleOne(queued: QueuedPod): Promise<void> {
    const pod = queued.pod;
    const uid = pod.metadata?.uid ?? '';
    const profile = this.profiles.get(pod.spec?.schedulerName ?? 'default-scheduler');
    if (!profile || pod.metadata?.deletionTimestamp || this.cache.isAssumed(uid) || this.cache.boundPod(uid)) {
      this.queue.done(uid);
      return;
    }
    this.stats.attempts++;
    this.cache.hold();
    this.current = profile;
    let state: SchedulingCycleState;
    let nodeName: string;
    try {
      const snapshot = this.cache.snapshot();
      state = new SchedulingCycleState(snapshot, profileView(profile.schedulerName, profile.args), queued.podInfo);
      let placement: Placement;
      try {
        placement = await this.schedulePod(profile, state, pod);
      } catch (err) {
        await this.failed(queued, profile, SchedulingStatus.error((err as Error).message), undefined);
        return;
      }
      if (!placement.nodeName) {
        const failures = placement.failures ?? new Map();
        let nominatedNodeName: string | undefined;
        let postFilterMessage: string | undefined;
        const unresolvableEverywhere = [...failures.values()].every((s) => s.code === 'UnschedulableAndUnresolvable');
        if (!(placement.preFilterMessage && unresolvableEverywhere)) {
          try {
            const post = await this.runPostFilter(profile, state, pod, failures);
            nominatedNodeName = post?.nominatedNodeName;
            if (post && !SchedulingStatus.isSuccess(post.status) && post.status.reasons.length > 0) postFilterMessage = post.status.reasons.join(', ');
          } catch (err) {
            this.logger.error(`preemption for ${pod.metadata?.namespace}/${pod.metadata?.name} failed: ${(err as Error).message}`);
          }
        }
        const message = fitErrorMessage(this.cache.snapshot().nodes.length, failures, placement.preFilterMessage, postFilterMessage);
        this.stats.unschedulable++;
        await this.failed(queued, profile, { code: 'Unschedulable', reasons: [message] }, nominatedNodeName);
        return;
      }
      nodeName = placement.nodeName;
      // Assume: the next cycle sees the pod on its node before the binding is done.
      const assumed = this.cache.assume(queued.podInfo, nodeName);
      const reserve = await this.runReserve(profile, state, assumed, nodeName);
      if (!SchedulingStatus.isSuccess(reserve)) {
        await this.runUnreserve(profile, state, assumed, nodeName);
        this.cache.forget(uid);
        await this.failed(queued, profile, reserve!, undefined);
        return;
      }
      const permit = await this.runPermit(profile, state, assumed, nodeName);
      if (permit.status && !SchedulingStatus.isSuccess(permit.status)) {
        await this.runUnreserve(profile, state, assumed, nodeName);
        this.cache.forget(uid);
        await this.failed(queued, profile, permit.status, undefined);
        return;
      }
      const binding = this.bindingCycle(queued, profile, state, assumed, nodeName, permit.waiting).finally(() => this.bindings.delete(binding));
      this.bindings.add(binding);
    } finally {
      this.current = undefined;
      this.cache.release();
    }
  }

  /** Find the node for `pod`: PreFilter, Filter, PreScore, Score, select. */
  private async schedulePod(profile: ResolvedProfile, state: SchedulingCycleState, pod: Pod): Promise<Placement> {
    const snapshot = state.snapshot;
    const all = snapshot.nodes;
    if (all.length === 0) return { failures: new Map(), evaluated: 0, feasible: 0, preFilterMessage: 'no nodes available to schedule pods' };

    // PreFilter.
    let allowed: ReadonlySet<string> | undefined;
    const narrowedBy: string[] = [];
    for (const { plugin } of profile.points.preFilter) {
      let r: PreFilterResult | Status | undefined;
      try {
        r = await plugin.preFilter!(state, pod);
      } catch (err) {
        throw new PluginFault(`running PreFilter plugin ${JSON.stringify(plugin.name)}: ${(err as Error).message}`, { cause: err });
      }
      if (!r) continue;
      const status = isPreFilterResult(r) ? r.status : r;
      if (status?.code === 'Skip') {
        state.skipFilter.add(plugin.name);
        continue;
      }
      if (status && status.code === 'Error') throw new PluginFault(`running PreFilter plugin ${JSON.stringify(plugin.name)}: ${status.reasons.join(', ')}`);
      if (status && SchedulingStatus.isRejected(status)) {
        const failed = withPlugin(status, plugin.name);
        return { failures: new Map(all.map((n) => [n.name, failed])), evaluated: 0, feasible: 0, preFilterMessage: status.reasons.join(', ') };
      }
      if (isPreFilterResult(r) && r.nodeNames) {
        allowed = allowed ? new Set([...allowed].filter((n) => r.nodeNames!.has(n))) : r.nodeNames;
        narrowedBy.push(plugin.name);
      }
    }

    const failures = new Map<string, Status>();
    const feasible: NodeInfo[] = [];
    let candidates: readonly NodeInfo[] = all;
    if (allowed) {
      // Nodes a PreFilter plugin ruled out are unresolvable there (kube-scheduler's message).
      const outside = SchedulingStatus.unresolvable(`node(s) didn't satisfy plugin(s) [${narrowedBy.join(' ')}]`);
      candidates = all.filter((n) => allowed!.has(n.name));
      for (const n of all) if (!allowed.has(n.name)) failures.set(n.name, outside);
      if (candidates.length === 0) return { failures, evaluated: 0, feasible: 0 };
    }

    // A nominated node (after preemption) is tried first.
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) {
      const node = snapshot.get(nominated);
      if (node && candidates.includes(node)) {
        const status = this.filterNode(profile, state, pod, node);
        if (SchedulingStatus.isSuccess(status)) return { nodeName: nominated, evaluated: 1, feasible: 1 };
      }
    }

    // Filter, from where the last cycle stopped, until enough nodes fit.
    const n = candidates.length;
    const want = numFeasibleNodesToFind(n, profile.percentageOfNodesToScore ?? this.config.percentageOfNodesToScore);
    const start = this.nextStartNodeIndex % n;
    let processed = 0;
    for (; processed < n && feasible.length < want; processed++) {
      const node = candidates[(start + processed) % n];
      const status = this.filterNode(profile, state, pod, node);
      if (SchedulingStatus.isSuccess(status)) feasible.push(node);
      else failures.set(node.name, status!);
    }
    this.nextStartNodeIndex = (start + processed) % n;
    if (feasible.length === 0) return { failures, evaluated: processed, feasible: 0 };
    if (feasible.length === 1) return { nodeName: feasible[0].name, evaluated: processed, feasible: 1 };

    // PreScore and Score.
    const totals = new Float64Array(feasible.length);
    for (const { plugin } of profile.points.preScore) {
      let status: Status | undefined;
      try {
        status = await plugin.preScore!(state, pod, feasible);
      } catch (err) {
        throw new PluginFault(`running PreScore plugin ${JSON.stringify(plugin.name)}: ${(err as Error).message}`, { cause: err });
      }
      if (status?.code === 'Skip') state.skipScore.add(plugin.name);
      else if (status && !SchedulingStatus.isSuccess(status)) throw new PluginFault(`running PreScore plugin ${JSON.stringify(plugin.name)}: ${status.reasons.join(', ')}`);
    }
    // One score list for every plugin in turn (each normalises it in place, then it is summed): not one per plugin.
    const scores: NodeScore[] = feasible.map((n) => ({ name: n.name, score: 0 }));
    for (const { plugin, weight } of profile.points.score) {
      if (state.skipScore.has(plugin.name)) continue;
      try {
        for (let i = 0; i < feasible.length; i++) scores[i].score = plugin.score!(state, pod, feasible[i]);
        plugin.normalizeScore?.(state, pod, scores);
      } catch (err) {
        throw new PluginFault(`running Score plugin ${JSON.stringify(plugin.name)}: ${(err as Error).message}`, { cause: err });
      }
      for (let i = 0; i < scores.length; i++) {
        const s = scores[i].score;
        if (!(s >= 0 && s <= MAX_NODE_SCORE)) throw new PluginFault(`plugin ${JSON.stringify(plugin.name)} returns an invalid score ${s}, it should in the range of [0, ${MAX_NODE_SCORE}] after normalizing`);
        totals[i] += s * weight;
      }
    }

    // Highest total; ties broken at random (reservoir sampling, as kube-scheduler).
    let best = 0;
    let ties = 1;
    for (let i = 1; i < feasible.length; i++) {
      if (totals[i] > totals[best]) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return { nodeName: feasible[best].name, evaluated: processed, feasible: feasible.length };
  }

  /** The profile's filters on one node (with higher-priority nominated pods counted as if there), first failure wins. */
  private filterNode(profile: ResolvedProfile, state: SchedulingCycleState, pod: Pod, node: NodeInfo): Status | undefined {
    const nominated = this.cache.hasNominated ? this.cache.nominatedPodsFor(node.name) : [];
    if (nominated.length > 0) {
      const priority = pod.spec?.priority ?? 0;
      const uid = pod.metadata?.uid;
      const others = nominated.filter((p) => p.pod.metadata?.uid !== uid && (p.pod.spec?.priority ?? 0) >= priority);
      if (others.length > 0) {
        const clone = (node as import('./framework/node-info').MutableNodeInfo).clone();
        const cloneState = state.clone();
        for (const p of others) {
          clone.addPod(p);
          this.runPreFilterAddPod(cloneState, pod, p, clone);
        }
        const status = this.runFilters(profile, cloneState, pod, clone);
        if (!SchedulingStatus.isSuccess(status)) return status;
      }
    }
    return this.runFilters(profile, state, pod, node);
  }

  private runFilters(profile: ResolvedProfile, state: SchedulingCycleState, pod: Pod, node: NodeInfo): Status | undefined {
    const filters = profile.points.filter;
    for (let i = 0; i < filters.length; i++) {
      const plugin = filters[i].plugin;
      if (state.skipFilter.size > 0 && state.skipFilter.has(plugin.name)) continue;
      let status: Status | undefined;
      try {
        status = plugin.filter!(state, pod, node);
      } catch (err) {
        throw new PluginFault(`running Filter plugin ${JSON.stringify(plugin.name)}: ${(err as Error).message}`, { cause: err });
      }
      if (status && status.code !== 'Success') {
        if (status.code === 'Error') throw new PluginFault(`running Filter plugin ${JSON.stringify(plugin.name)}: ${status.reasons.join(', ')}`);
        return withPlugin(status, plugin.name);
      }
    }
    return undefined;
  }

  private async runPostFilter(profile: ResolvedProfile, state: SchedulingCycleState, pod: Pod, failures: Map<string, Status>) {
    let last: { nominatedNodeName?: string; status: Status } | undefined;
    for (const { plugin } of profile.points.postFilter) {
      const r = await plugin.postFilter!(state, pod, failures);
      if (!r) continue;
      if (SchedulingStatus.isSuccess(r.status) || r.nominatedNodeName) return r;
      last = r;
    }
    return last;
  }

  private async runReserve(profile: ResolvedProfile, state: CycleState, pod: Pod, nodeName: string): Promise<Status | undefined> {
    for (const { plugin } of profile.points.reserve) {
      let status: Status | undefined;
      try {
        status = await plugin.reserve!(state, pod, nodeName);
      } catch (err) {
        return SchedulingStatus.error(`running Reserve plugin ${JSON.stringify(plugin.name)}: ${(err as Error).message}`);
      }
      if (!SchedulingStatus.isSuccess(status)) return withPlugin(status!, plugin.name);
    }
    return undefined;
  }

  private async runUnreserve(profile: ResolvedProfile, state: CycleState, pod: Pod, nodeName: string): Promise<void> {
    const list = profile.points.reserve;
    for (let i = list.length - 1; i >= 0; i--) {
      try {
        await list[i].plugin.unreserve?.(state, pod, nodeName);
      } catch (err) {
        // Deliberately absorbed: unreserve must reach every plugin; the failure is logged.
        this.logger.error(`Unreserve plugin ${list[i].plugin.name} failed: ${(err as Error).message}`);
      }
    }
  }

  private async runPermit(profile: ResolvedProfile, state: CycleState, pod: Pod, nodeName: string): Promise<{ status?: Status; waiting?: WaitingPod }> {
    const waits = new Map<string, number>();
    for (const { plugin } of profile.points.permit) {
      let r;
      try {
        r = await plugin.permit!(state, pod, nodeName);
      } catch (err) {
        return { status: SchedulingStatus.error(`running Permit plugin ${JSON.stringify(plugin.name)}: ${(err as Error).message}`) };
      }
      if (!r || SchedulingStatus.isSuccess(r.status)) continue;
      if (r.status.code === 'Wait') {
        waits.set(plugin.name, Math.min(r.timeoutMs ?? 15 * 60_000, 15 * 60_000));
        continue;
      }
      return { status: withPlugin(r.status, plugin.name) };
    }
    if (waits.size === 0) return {};
    const waiting = new WaitingPod(pod, waits, this.clock);
    this.waiting.set(pod.metadata?.uid ?? '', waiting);
    return { waiting };
  }

  private async bindingCycle(queued: QueuedPod, profile: ResolvedProfile, state: CycleState, pod: Pod, nodeName: string, waiting?: WaitingPod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    let status: Status | undefined;
    try {
      if (waiting) {
        status = await waiting.done;
        this.waiting.delete(uid);
      }
      if (SchedulingStatus.isSuccess(status)) {
        for (const { plugin } of profile.points.preBind) {
          const s = await plugin.preBind!(state, pod, nodeName);
          if (!SchedulingStatus.isSuccess(s)) {
            status = withPlugin(s!, plugin.name);
            break;
          }
        }
      }
      if (SchedulingStatus.isSuccess(status)) {
        let bound = false;
        for (const { plugin } of profile.points.bind) {
          const s = await plugin.bind!(state, pod, nodeName);
          if (s?.code === 'Skip') continue;
          if (!SchedulingStatus.isSuccess(s)) status = withPlugin(s!, plugin.name);
          else bound = true;
          break;
        }
        if (!bound && SchedulingStatus.isSuccess(status)) status = SchedulingStatus.error('no bind plugin bound the pod (all returned Skip)');
      }
    } catch (err) {
      status = SchedulingStatus.error((err as Error).message);
    }
    if (!SchedulingStatus.isSuccess(status)) {
      this.stats.bindFailures++;
      await this.runUnreserve(profile, state, pod, nodeName);
      this.cache.apply(() => this.cache.forget(uid));
      const reason = status!.code === 'Error' ? `Binding rejected: ${status!.reasons.join(', ')}` : status!.reasons.join(', ');
      // The pod fitted its node a moment ago: whatever failed while binding is retried after a backoff, not parked until a cluster event.
      await this.failed(queued, profile, { ...status!, reasons: [reason] }, undefined, false);
      return;
    }
    this.stats.scheduled++;
    this.queue.done(uid);
    this.recordEvent(pod, { type: 'Normal', reason: 'Scheduled', action: 'Binding', message: `Successfully assigned ${pod.metadata?.namespace}/${pod.metadata?.name} to ${nodeName}` });
    for (const { plugin } of profile.points.postBind) {
      try {
        await plugin.postBind!(state, pod, nodeName);
      } catch (err) {
        // Deliberately absorbed: PostBind is informational; the pod is bound.
        this.logger.error(`PostBind plugin ${plugin.name} failed: ${(err as Error).message}`);
      }
    }
  }

  /**
   * The attempt failed: tell the user (FailedScheduling event, PodScheduled
   * condition, nominatedNodeName) and requeue: unschedulable pods wait for a
   * cluster event, errors back off.
   */
  private async failed(queued: QueuedPod, profile: ResolvedProfile, status: Status, nominatedNodeName: string | undefined, unschedulable = status.code !== 'Error'): Promise<void> {
    const pod = queued.pod;
    const message = status.reasons.join(', ');
    if (status.code === 'Error') this.stats.errors++;
    if (status.plugin) queued.unschedulablePlugins = new Set([status.plugin]);
    this.recordEvent(pod, { type: 'Warning', reason: 'FailedScheduling', action: 'Scheduling', message });
    // '' from preemption clears a nomination (no node can be helped).
    if (nominatedNodeName !== undefined) this.cache.apply(() => this.cache.setNominated(pod, nominatedNodeName));
    const reason = status.code === 'Error' ? 'SchedulerError' : 'Unschedulable';
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const conditionChanged = !current || current.status !== 'False' || current.reason !== reason || current.message !== message;
    const nominationChanged = nominatedNodeName !== undefined && nominatedNodeName !== (pod.status?.nominatedNodeName ?? '');
    if (conditionChanged || nominationChanged) {
      const patch: Record<string, unknown> = {};
      if (conditionChanged) {
        patch.conditions = [
          {
            type: 'PodScheduled',
            status: 'False',
            reason,
            message,
            lastProbeTime: null,
            lastTransitionTime: current?.status === 'False' && current.lastTransitionTime ? current.lastTransitionTime : new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          },
        ];
      }
      if (nominationChanged) patch.nominatedNodeName = nominatedNodeName || null;
      try {
        await this.client.patch(PODS, pod.metadata?.name ?? '', 'strategic', { status: patch }, { namespace: pod.metadata?.namespace, subresource: 'status' });
      } catch (err) {
        // Deliberately absorbed: the pod may be gone; the event and the requeue stand.
        this.logger.debug?.(`updating the PodScheduled condition of ${pod.metadata?.namespace}/${pod.metadata?.name} failed: ${(err as Error).message}`);
      }
    }
    this.queue.requeue(queued, unschedulable);
  }

  // ---------------------------------------------------------------- FrameworkHandle

  runFilterPlugins(state: CycleState, pod: Pod, node: NodeInfo): Status | undefined {
    const profile = this.current ?? this.profiles.get(pod.spec?.schedulerName ?? 'default-scheduler')!;
    return this.runFilters(profile, state as SchedulingCycleState, pod, node);
  }

  runPreFilterRemovePod(state: CycleState, podToSchedule: Pod, podInfo: PodInfo, node: NodeInfo): Status | undefined {
    return this.runExtensions('removePod', state, podToSchedule, podInfo, node);
  }

  runPreFilterAddPod(state: CycleState, podToSchedule: Pod, podInfo: PodInfo, node: NodeInfo): Status | undefined {
    return this.runExtensions('addPod', state, podToSchedule, podInfo, node);
  }

  private runExtensions(which: 'addPod' | 'removePod', state: CycleState, podToSchedule: Pod, podInfo: PodInfo, node: NodeInfo): Status | undefined {
    const profile = this.current ?? this.profiles.get(podToSchedule.spec?.schedulerName ?? 'default-scheduler')!;
    const skip = (state as SchedulingCycleState).skipFilter;
    for (const { plugin } of profile.points.preFilter as readonly EnabledPlugin[]) {
      if (skip?.has(plugin.name) || !plugin[which]) continue;
      const status = plugin[which]!(state, podToSchedule, podInfo, node);
      if (!SchedulingStatus.isSuccess(status)) return withPlugin(status!, plugin.name);
    }
    return undefined;
  }

  nominatedPodsFor(nodeName: string): readonly PodInfo[] {
    return this.cache.nominatedPodsFor(nodeName);
  }

  recordEvent(pod: Pod, event: SchedulerEvent): void {
    try {
      this.events.record(podRef(pod as never), event.type, event.reason, event.message);
    } catch (err) {
      // Deliberately absorbed: events are best effort.
      this.logger.error(`recording event ${event.reason} failed: ${(err as Error).message}`);
    }
  }
}
