/**
 * The Node object as the kubelet registers and reports it: labels
 * (kubernetes.io/hostname, os, arch and the configured ones), capacity and
 * allocatable (allocatable less the kubelet's default hard-eviction
 * thresholds: 100Mi of memory and 10% of the filesystem), addresses,
 * nodeInfo, the four conditions with Kubernetes' reasons and messages, images
 * and daemonEndpoints.
 *
 * `NodeStatusReporter` registers the Node (adopting one that already exists,
 * as after a restart), then recomputes status every
 * nodeStatusUpdateFrequency and writes it when something other than the
 * heartbeat changed, or when nodeStatusReportFrequency has passed since the
 * last write (the kubelet's behaviour since node leases carry the heartbeat).
 */
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1';
import type { ApiClient } from '../../kernel/client/types';
import type { Clock, TimerHandle } from '../../kernel/client/clock';
import type { Logger } from '../../kernel/log';
import { isApiError } from '../../kernel/api/errors';
import { deepCopy } from '../../kernel/api/types';
import type { KubeObject } from '../../kernel/api/types';
import type { ContainerRuntime, ImageInfo } from '../../kernel/runtime/types';
import { versionInfo } from '../../kernel/api/version';
import type { AgentConfig } from './options';
import type { HostFacts } from './host';
import type { EventSink } from '../../kernel/client/events';
import { nodeRef, rfc3339 } from '../../kernel/client/events';

export const NODES = { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false } as const;

/** A node's entry in cluster.yaml (runtime-specific settings pass through to the runtime). */
export interface NodeSettings {
  readonly name: string;
  readonly runtime?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** The InternalIP to report (default: the host's first external IPv4). */
  readonly address?: string;
  readonly taints?: ReadonlyArray<{ key: string; value?: string; effect: string }>;
  /** Capacity overrides (`cpu`, `memory`, `pods`, ...), e.g. for simulated nodes. */
  readonly capacity?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

/** The kubelet's `--kubelet-version`: the API server's gitVersion. */
export function kubeletVersion(): string {
  return versionInfo().gitVersion;
}

/** The Ready condition's message when the runtime answers (KubeletReady). */
const READY_MESSAGE = 'kubelet is posting ready status';
const MEMORY_EVICTION_BYTES = 100 * 1024 * 1024;
const MAX_NODE_IMAGES = 50;
const KUBELET_PORT = 10250;

interface ConditionSpec {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** The node's conditions, in the order the kubelet writes them. */
export function nodeConditions(runtimeUp: boolean, runtimeError?: string): ConditionSpec[] {
  return [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    runtimeUp
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: READY_MESSAGE }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: `container runtime is down${runtimeError ? `: ${runtimeError}` : ''}` },
  ];
}

export interface NodeStatusInput {
  readonly nodeName: string;
  readonly settings: NodeSettings;
  readonly host: HostFacts;
  readonly config: AgentConfig;
  /** runtime.version(), or the error it failed with. */
  readonly runtime: { name: string; version: string } | { error: string };
  readonly images: readonly ImageInfo[];
  readonly now: number;
  /** The status last reported, for transition times. */
  readonly previous?: NodeStatus;
  /** Where the node's kubelet API listens (the API server reaches agents in other processes there). */
  readonly kubeletPort?: number;
}

export function nodeLabels(nodeName: string, settings: NodeSettings, host: HostFacts): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': host.architecture,
    'beta.kubernetes.io/os': host.operatingSystem,
    'kubernetes.io/arch': host.architecture,
    'kubernetes.io/hostname': nodeName,
    'kubernetes.io/os': host.operatingSystem,
    ...(settings.labels ?? {}),
  };
}

/** Node status from host facts and the runtime, with transition times carried from `previous`. */
export function buildNodeStatus(input: NodeStatusInput): NodeStatus {
  const { host, config, settings, now } = input;
  const ki = (bytes: number) => `${Math.floor(bytes / 1024)}Ki`;
  const capacity: Record<string, string> = {
    cpu: String(host.cpus),
    'ephemeral-storage': ki(host.ephemeralStorageBytes),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: ki(host.memoryBytes),
    pods: String(config.maxPods),
    ...(settings.capacity ?? {}),
  };
  const allocatable: Record<string, string> = {
    ...capacity,
    'ephemeral-storage': String(Math.floor(host.ephemeralStorageBytes * 0.9)),
    memory: ki(Math.max(0, host.memoryBytes - MEMORY_EVICTION_BYTES)),
    ...(settings.capacity ?? {}),
  };
  const heartbeat = rfc3339(now);
  const runtimeUp = !('error' in input.runtime);
  const conditions: NodeCondition[] = nodeConditions(runtimeUp, 'error' in input.runtime ? input.runtime.error : undefined).map((c) => {
    const old = input.previous?.conditions?.find((p) => p.type === c.type);
    return {
      type: c.type,
      status: c.status,
      lastHeartbeatTime: heartbeat,
      lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : heartbeat,
      reason: c.reason,
      message: c.message,
    };
  });
  const address = settings.address ?? host.internalIP;
  const addresses = [...(address ? [{ type: 'InternalIP', address }] : []), { type: 'Hostname', address: input.nodeName }];
  const images = [...input.images]
    .sort((a, b) => b.size - a.size)
    .slice(0, MAX_NODE_IMAGES)
    .map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: i.size }))
    .filter((i) => i.names.length > 0);
  const version = kubeletVersion();
  return {
    addresses,
    allocatable,
    capacity,
    conditions,
    daemonEndpoints: { kubeletEndpoint: { Port: input.kubeletPort ?? KUBELET_PORT } },
    images,
    nodeInfo: {
      architecture: host.architecture,
      bootID: host.bootID,
      containerRuntimeVersion: 'error' in input.runtime ? '' : `${input.runtime.name}://${input.runtime.version}`,
      kernelVersion: host.kernelVersion,
      kubeProxyVersion: version,
      kubeletVersion: version,
      machineID: host.machineID,
      operatingSystem: host.operatingSystem,
      osImage: host.osImage,
      systemUUID: host.systemUUID,
    },
  };
}

/** Status with the heartbeat times blanked: what decides whether a write is needed. */
function withoutHeartbeat(status: NodeStatus | undefined): string {
  if (!status) return '';
  const copy = deepCopy(status);
  for (const c of copy.conditions ?? []) delete c.lastHeartbeatTime;
  return JSON.stringify(copy);
}

export interface NodeStatusReporterOptions {
  readonly client: ApiClient;
  readonly runtime: ContainerRuntime;
  readonly nodeName: string;
  readonly settings: NodeSettings;
  readonly host: () => HostFacts;
  readonly config: AgentConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventSink;
  readonly kubeletPort?: number;
}

/** The event the kubelet records when a condition changes (`Node n status is now: NodeReady`). */
const NODE_EVENT: Record<string, string> = {
  'MemoryPressure/False': 'NodeHasSufficientMemory',
  'MemoryPressure/True': 'NodeHasInsufficientMemory',
  'DiskPressure/False': 'NodeHasNoDiskPressure',
  'DiskPressure/True': 'NodeHasDiskPressure',
  'PIDPressure/False': 'NodeHasSufficientPID',
  'PIDPressure/True': 'NodeHasInsufficientPID',
  'Ready/True': 'NodeReady',
  'Ready/False': 'NodeNotReady',
};

export class NodeStatusReporter {
  private timer?: TimerHandle;
  private stopped = false;
  private lastReported?: NodeStatus;
  private lastReportAt = 0;
  private running?: Promise<void>;
  /** The registered Node's uid (owner of the lease). */
  uid = '';

  constructor(private readonly o: NodeStatusReporterOptions) {}

  /** Register the Node (or adopt the existing one) with its current status. Throws when the API refuses. */
  async register(): Promise<Node> {
    const status = await this.computeStatus();
    const labels = nodeLabels(this.o.nodeName, this.o.settings, this.o.host());
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.o.nodeName,
        labels,
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      },
      spec: this.o.settings.taints ? { taints: this.o.settings.taints.map((t) => ({ ...t })) } : {},
      status,
    };
    let registered: Node;
    try {
      registered = await this.o.client.create<Node & KubeObject>(NODES, node as never);
    } catch (err) {
      if (!isApiError(err, 'AlreadyExists')) throw new Error(`registering node ${this.o.nodeName}: ${(err as Error).message}`, { cause: err });
      // Registered before (an agent restart): make the labels ours again and report status.
      registered = await this.reconcileExisting(labels);
    }
    this.uid = registered.metadata?.uid ?? '';
    await this.writeStatus(status);
    return registered;
  }

  private async reconcileExisting(labels: Record<string, string>): Promise<Node> {
    for (let attempt = 0; ; attempt++) {
      const existing = await this.o.client.get<Node & KubeObject>(NODES, this.o.nodeName);
      const current = existing.metadata?.labels ?? {};
      if (Object.entries(labels).every(([k, v]) => current[k] === v)) return existing;
      const next = deepCopy(existing);
      next.metadata = { ...next.metadata, labels: { ...current, ...labels } };
      try {
        return await this.o.client.update<Node & KubeObject>(NODES, next as never);
      } catch (err) {
        // Someone else wrote the Node between our read and write: read again.
        if (!isApiError(err, 'Conflict') || attempt >= 4) throw err;
      }
    }
  }

  /** Recompute status every update period; write it when it changed or the report period passed. */
  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.o.config.nodeStatusUpdateFrequencyMs);
  }

  /** One update pass (also callable by tests). */
  async tick(): Promise<void> {
    try {
      const status = await this.computeStatus();
      const due = this.o.clock.now() - this.lastReportAt >= this.o.config.nodeStatusReportFrequencyMs;
      if (!due && withoutHeartbeat(status) === withoutHeartbeat(this.lastReported)) {
        // Nothing new of ours; still make sure the Node exists (someone may have deleted it), and that
        // nobody else changed our conditions (the node lifecycle controller sets them Unknown when it
        // stopped hearing from us): the kubelet compares with the Node it reads, not with its memory.
        const node = (await this.o.client.get(NODES, this.o.nodeName)) as { status?: NodeStatus };
        if (sameConditionStatuses(node.status, status)) return;
      }
      await this.writeStatus(status);
    } catch (err) {
      if (isApiError(err, 'NotFound')) {
        // The Node was deleted under us: the kubelet registers again.
        this.o.logger.warn(`node ${this.o.nodeName} was deleted from the API; registering it again`);
        await this.register().catch((e: unknown) => this.o.logger.error(`re-registering node failed: ${(e as Error).message}`));
        return;
      }
      // Deliberately absorbed: the next tick retries; the lease says whether we are alive.
      this.o.logger.error(`updating node status failed: ${(err as Error).message}`);
    }
  }

  private async computeStatus(): Promise<NodeStatus> {
    let runtime: { name: string; version: string } | { error: string };
    let images: ImageInfo[] = [];
    try {
      runtime = await this.o.runtime.version();
      images = await this.o.runtime.listImages();
    } catch (err) {
      runtime = { error: (err as Error).message };
    }
    return buildNodeStatus({
      nodeName: this.o.nodeName,
      settings: this.o.settings,
      host: this.o.host(),
      config: this.o.config,
      runtime,
      images,
      now: this.o.clock.now(),
      previous: this.lastReported,
      kubeletPort: this.o.kubeletPort,
    });
  }

  private async writeStatus(status: NodeStatus): Promise<void> {
    await this.o.client.patch(NODES, this.o.nodeName, 'merge', { status }, { subresource: 'status' });
    for (const c of status.conditions ?? []) {
      const before = this.lastReported?.conditions?.find((p) => p.type === c.type);
      if (before?.status === c.status && before.reason === c.reason) continue;
      const what = NODE_EVENT[`${c.type}/${c.status}`] ?? c.reason ?? c.type;
      this.o.events.record(nodeRef(this.o.nodeName), 'Normal', what, `Node ${this.o.nodeName} status is now: ${what}`);
    }
    this.lastReported = status;
    this.lastReportAt = this.o.clock.now();
  }
}

/** Whether the Node in the API shows every condition of `ours` with the same status. */
function sameConditionStatuses(server: NodeStatus | undefined, ours: NodeStatus): boolean {
  for (const c of ours.conditions ?? []) {
    if (server?.conditions?.find((s) => s.type === c.type)?.status !== c.status) return false;
  }
  return true;
}
