/**
 * nodelifecycle: kube-controller-manager's node lifecycle controller, with
 * its taint-based eviction (the NoExecuteTaintManager) and the
 * DefaultTolerationSeconds admission plugin it relies on.
 *
 * Node health. A node is heard from when its Lease in kube-node-lease is
 * renewed or its Ready condition's heartbeat changes; both are timed on this
 * controller's clock when observed (not by the timestamps the node wrote, so
 * clock skew between machines does not matter). A node not heard from for
 * nodeMonitorGracePeriod gets Ready, MemoryPressure, DiskPressure and
 * PIDPressure set to Unknown (reason NodeStatusUnknown, "Kubelet stopped
 * posting node status.", or NodeStatusNeverUpdated for a condition it never
 * posted) through the status subresource, and an event NodeNotReady.
 *
 * Taints. Ready Unknown: `node.kubernetes.io/unreachable` NoExecute and
 * NoSchedule; Ready False: `node.kubernetes.io/not-ready` NoExecute and
 * NoSchedule; pressure conditions True, NetworkUnavailable True and
 * spec.unschedulable: their NoSchedule taints (TaintNodesByCondition). Taints
 * that no longer apply are removed; others' taints are left alone.
 *
 * MarkPodsNotReady. On a node whose Ready is not True, pods whose Ready
 * condition became True before the node stopped being Ready get Ready False
 * (and an event NodeNotReady "Node is not ready").
 *
 * Every node is looked at again every nodeMonitorPeriod.
 */
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { NodeCondition, Taint } from 'kubernetes-types/core/v1';
import { isApiError } from '../../../kernel/api/errors';
import { deepCopy, type StoredObject } from '../../../kernel/api/types';
import type { Clock, TimerHandle } from '../../../kernel/client/clock';
import { Controller } from '../../../kernel/client/controller';
import { nodeRef, podRef, rfc3339, type EventRecorder } from '../../../kernel/client/events';
import type { SharedInformer } from '../../../kernel/client/informer';
import type { ApiClient } from '../../../kernel/client/types';
import type { OptionsProblem } from '../../../kernel/plugin';
import type { ControllerContext, ControllerModule } from '../types';
import { tapDefaultTolerationSeconds } from './default-tolerations';
import { TaintEvictionController } from './taint-eviction';
import {
  LEASES,
  NODES,
  NODE_LEASE_NAMESPACE,
  PODS,
  POD_NODE_NAME_INDEX,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
  podNodeNameIndex,
  type NodeObject,
  type PodObject,
} from './taints';

export const CONTROLLER_NAME = 'nodelifecycle';

export interface NodeLifecycleSettings {
  /** How long a node may go unheard before it is Unknown (kube-controller-manager's --node-monitor-grace-period; default 40). */
  nodeMonitorGracePeriodSeconds?: number;
  /** How often every node is checked (--node-monitor-period; default 5). */
  nodeMonitorPeriodSeconds?: number;
  /** Workers of each of the two controllers (default 1). */
  workers?: number;
}

export const NODE_STATUS_UNKNOWN = 'NodeStatusUnknown';
export const NODE_STATUS_UNKNOWN_MESSAGE = 'Kubelet stopped posting node status.';
export const NODE_STATUS_NEVER_UPDATED = 'NodeStatusNeverUpdated';
export const NODE_STATUS_NEVER_UPDATED_MESSAGE = 'Kubelet never posted node status.';
/** The conditions set to Unknown when the node goes silent, in the order added when missing. */
const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

type LeaseObject = StoredObject & Omit<Lease, 'metadata'>;
type ConditionStatus = 'True' | 'False' | 'Unknown';

/** What the controller last heard from a node (Kubernetes' nodeHealthData). */
interface NodeHealth {
  /** When (controller clock) the node was last heard from. */
  probeTimestamp: number;
  readyHeartbeat?: string;
  readyTransition?: string;
  leaseRenewTime?: string;
}

function condition(node: NodeObject, type: string): NodeCondition | undefined {
  return (node.status?.conditions ?? []).find((c) => c.type === type);
}

/** The taints (key and effect) the node's conditions call for; `taintsFor` manages exactly the keys in MANAGED_TAINTS. */
export function taintsFor(node: NodeObject): Array<Pick<Taint, 'key' | 'effect'>> {
  const want: Array<Pick<Taint, 'key' | 'effect'>> = [];
  const ready = condition(node, 'Ready')?.status;
  if (ready === 'False') want.push({ key: TAINT_NODE_NOT_READY, effect: 'NoExecute' }, { key: TAINT_NODE_NOT_READY, effect: 'NoSchedule' });
  if (ready === 'Unknown') want.push({ key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' }, { key: TAINT_NODE_UNREACHABLE, effect: 'NoSchedule' });
  const pressure: Array<[string, string]> = [
    ['MemoryPressure', TAINT_NODE_MEMORY_PRESSURE],
    ['DiskPressure', TAINT_NODE_DISK_PRESSURE],
    ['PIDPressure', TAINT_NODE_PID_PRESSURE],
    ['NetworkUnavailable', TAINT_NODE_NETWORK_UNAVAILABLE],
  ];
  for (const [type, key] of pressure) if (condition(node, type)?.status === 'True') want.push({ key, effect: 'NoSchedule' });
  if (node.spec?.unschedulable) want.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
  return want;
}

const MANAGED_TAINTS = new Set([
  `${TAINT_NODE_NOT_READY}:NoExecute`,
  `${TAINT_NODE_NOT_READY}:NoSchedule`,
  `${TAINT_NODE_UNREACHABLE}:NoExecute`,
  `${TAINT_NODE_UNREACHABLE}:NoSchedule`,
  `${TAINT_NODE_MEMORY_PRESSURE}:NoSchedule`,
  `${TAINT_NODE_DISK_PRESSURE}:NoSchedule`,
  `${TAINT_NODE_PID_PRESSURE}:NoSchedule`,
  `${TAINT_NODE_NETWORK_UNAVAILABLE}:NoSchedule`,
  `${TAINT_NODE_UNSCHEDULABLE}:NoSchedule`,
]);

/** The node's taints with the managed ones brought in line with its conditions; undefined when nothing changes. */
export function reconcileTaints(node: NodeObject, now: number): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const want = taintsFor(node);
  const wanted = new Set(want.map((t) => `${t.key}:${t.effect}`));
  const next = current.filter((t) => !MANAGED_TAINTS.has(`${t.key}:${t.effect}`) || wanted.has(`${t.key}:${t.effect}`));
  for (const t of want) {
    if (next.some((c) => c.key === t.key && c.effect === t.effect)) continue;
    // As Kubernetes: NoExecute taints carry when they were added (taint eviction counts tolerationSeconds from it).
    next.push(t.effect === 'NoExecute' ? { key: t.key, effect: t.effect, timeAdded: rfc3339(now) } : { key: t.key, effect: t.effect });
  }
  return next.length === current.length && next.every((t, i) => t === current[i]) ? undefined : next;
}

/**
 * The node's conditions after `now` passed its grace period unheard: the
 * monitored ones Unknown. Undefined when they already are.
 */
export function unknownConditions(node: NodeObject, now: number): NodeCondition[] | undefined {
  const conditions = deepCopy(node.status?.conditions ?? []);
  let changed = false;
  for (const type of MONITORED_CONDITIONS) {
    const existing = conditions.find((c) => c.type === type);
    if (!existing) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: NODE_STATUS_NEVER_UPDATED,
        message: NODE_STATUS_NEVER_UPDATED_MESSAGE,
        lastHeartbeatTime: node.metadata.creationTimestamp,
        lastTransitionTime: rfc3339(now),
      });
      changed = true;
    } else if (existing.status !== 'Unknown') {
      existing.status = 'Unknown';
      existing.reason = NODE_STATUS_UNKNOWN;
      existing.message = NODE_STATUS_UNKNOWN_MESSAGE;
      // lastHeartbeatTime stays: it is when the node was last heard from.
      existing.lastTransitionTime = rfc3339(now);
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}

export class NodeLifecycleController extends Controller {
  private readonly nodes: SharedInformer<NodeObject>;
  private readonly leases: SharedInformer<LeaseObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly health = new Map<string, NodeHealth>();
  private readonly events: EventRecorder;
  private readonly clock: Clock;
  private readonly gracePeriodMs: number;
  private readonly monitorPeriodMs: number;

  constructor(
    private readonly client: ApiClient,
    context: ControllerContext,
    settings: NodeLifecycleSettings = {},
  ) {
    super({ name: CONTROLLER_NAME, clock: context.clock, logger: context.logger });
    this.clock = context.clock;
    this.events = context.events('node-controller');
    this.gracePeriodMs = (settings.nodeMonitorGracePeriodSeconds ?? 40) * 1000;
    this.monitorPeriodMs = (settings.nodeMonitorPeriodSeconds ?? 5) * 1000;
    this.nodes = context.informers.informerFor<NodeObject>(NODES);
    this.leases = context.informers.informerFor<LeaseObject>(LEASES, { namespace: NODE_LEASE_NAMESPACE });
    this.pods = context.informers.informerFor<PodObject>(PODS, { indexers: { [POD_NODE_NAME_INDEX]: podNodeNameIndex } });
    this.enqueueFrom(this.nodes);
    this.enqueueFrom(this.leases, (lease) => [lease.metadata.name]);
    // A pod that turns Ready on a node that is not: MarkPodsNotReady looks at it.
    this.enqueueFrom(this.pods, (pod) => {
      const nodeName = pod.spec?.nodeName;
      if (!nodeName) return [];
      const node = this.nodes.cache.get(nodeName);
      return node && condition(node, 'Ready')?.status !== 'True' ? [nodeName] : [];
    });
  }

  /** Enqueue every node every nodeMonitorPeriod until `signal` aborts (kube's monitorNodeHealth loop). */
  monitor(signal: AbortSignal): void {
    let timer: TimerHandle | undefined;
    const tick = (): void => {
      for (const name of this.nodes.cache.listKeys()) this.enqueue(name);
      timer = this.clock.setTimeout(tick, this.monitorPeriodMs);
    };
    timer = this.clock.setTimeout(tick, this.monitorPeriodMs);
    signal.addEventListener('abort', () => timer && this.clock.clearTimeout(timer), { once: true });
  }

  /** Record what the node and its lease say now; returns when it was last heard from. */
  private observe(node: NodeObject, now: number): number {
    const ready = condition(node, 'Ready');
    const renewTime = this.leases.cache.get(`${NODE_LEASE_NAMESPACE}/${node.metadata.name}`)?.spec?.renewTime;
    let health = this.health.get(node.metadata.name);
    if (!health) {
      health = { probeTimestamp: now, readyHeartbeat: ready?.lastHeartbeatTime, readyTransition: ready?.lastTransitionTime, leaseRenewTime: renewTime };
      this.health.set(node.metadata.name, health);
      return now;
    }
    if (ready && (ready.lastHeartbeatTime !== health.readyHeartbeat || ready.lastTransitionTime !== health.readyTransition)) {
      // Our own Unknown write keeps the heartbeat: only a transition changed, which is not hearing from the node.
      if (ready.lastHeartbeatTime !== health.readyHeartbeat) health.probeTimestamp = now;
      health.readyHeartbeat = ready.lastHeartbeatTime;
      health.readyTransition = ready.lastTransitionTime;
    }
    if (renewTime && renewTime !== health.leaseRenewTime && (!health.leaseRenewTime || Date.parse(renewTime) >= Date.parse(health.leaseRenewTime))) {
      health.leaseRenewTime = renewTime;
      health.probeTimestamp = now;
    }
    return health.probeTimestamp;
  }

  protected async sync(name: string): Promise<void> {
    const cached = this.nodes.cache.get(name);
    if (!cached) {
      this.health.delete(name);
      return;
    }
    const now = this.clock.now();
    const heard = this.observe(cached, now);
    let node = cached;
    const readyBefore = condition(node, 'Ready')?.status as ConditionStatus | undefined;

    if (now - heard >= this.gracePeriodMs) {
      const conditions = unknownConditions(node, now);
      if (conditions) {
        const next: NodeObject = { ...deepCopy(node), status: { ...deepCopy(node.status), conditions } };
        // The cached resourceVersion is a precondition: a status the node just posted wins.
        const written = await this.writeNode(next, 'status');
        if (!written) return;
        node = written;
        if (readyBefore === 'True') this.events.record(nodeRef(name), 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      }
    } else {
      // Heard from within the grace period: the next check is due when it runs out.
      this.enqueueAfter(name, heard + this.gracePeriodMs - now);
    }

    const taints = reconcileTaints(node, now);
    if (taints) {
      const next = deepCopy(node);
      next.spec = { ...next.spec, taints };
      if (taints.length === 0) delete next.spec.taints;
      const written = await this.writeNode(next);
      if (!written) return;
      node = written;
    }

    const ready = condition(node, 'Ready');
    if (ready && ready.status !== 'True') await this.markPodsNotReady(node, ready, now);
  }

  /**
   * Write the node (or its status); undefined when our copy was stale or the
   * node is gone. Absorbed deliberately: the newer version's watch event
   * enqueues the node again (or the deletion ends it), and the sync then
   * starts from what is current.
   */
  private async writeNode(node: NodeObject, subresource?: 'status'): Promise<NodeObject | undefined> {
    try {
      return await this.client.update<NodeObject>(NODES, node, subresource ? { subresource } : {});
    } catch (err) {
      if (isApiError(err, 'Conflict') || isApiError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  /** Kubernetes' MarkPodsNotReady, once per node transition: pods that became Ready after the node stopped are the node agent's business. */
  private async markPodsNotReady(node: NodeObject, ready: NodeCondition, now: number): Promise<void> {
    const nodeSince = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : now;
    const failures: string[] = [];
    for (const pod of this.pods.cache.byIndex(POD_NODE_NAME_INDEX, node.metadata.name)) {
      if (pod.spec?.nodeName !== node.metadata.name) continue;
      const podReady = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
      if (!podReady || podReady.status !== 'True') continue;
      const podSince = podReady.lastTransitionTime ? Date.parse(podReady.lastTransitionTime) : 0;
      if (podSince > nodeSince) continue;
      const namespace = pod.metadata.namespace ?? 'default';
      try {
        await this.client.patch(PODS, pod.metadata.name, 'strategic', { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: rfc3339(now) }] } }, { namespace, subresource: 'status' });
        this.events.record(podRef(pod), 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        // Deleted meanwhile: nothing to mark.
        if (isApiError(err, 'NotFound')) continue;
        failures.push(`${namespace}/${pod.metadata.name}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`plugin/controllers: marking pods not ready on node ${node.metadata.name}: ${failures.join('; ')}`);
  }
}

function positive(value: unknown, path: string): OptionsProblem[] {
  return value === undefined || (typeof value === 'number' && value > 0) ? [] : [{ path: [path], message: 'must be a positive number of seconds' }];
}

const nodeLifecycleController: ControllerModule<NodeLifecycleSettings> = {
  name: CONTROLLER_NAME,
  enabledByDefault: true,
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      nodeMonitorGracePeriodSeconds: { type: 'number' },
      nodeMonitorPeriodSeconds: { type: 'number' },
      workers: { type: 'integer', minimum: 1 },
    },
  },
  validateOptions(options) {
    return [...positive(options.nodeMonitorGracePeriodSeconds, 'nodeMonitorGracePeriodSeconds'), ...positive(options.nodeMonitorPeriodSeconds, 'nodeMonitorPeriodSeconds')];
  },
  start(context, options) {
    // kube-apiserver's DefaultTolerationSeconds, without which every pod would be evicted at once from a failed node.
    tapDefaultTolerationSeconds(context.hooks, 'controllers');
    const workers = options.workers ?? 1;
    const lifecycle = new NodeLifecycleController(context.client, context, options);
    const eviction = new TaintEvictionController(context.client, context);
    lifecycle.monitor(context.signal);
    return { stopped: Promise.all([lifecycle.run(workers, context.signal), eviction.run(workers, context.signal)]).then(() => undefined) };
  },
};

export default nodeLifecycleController;
