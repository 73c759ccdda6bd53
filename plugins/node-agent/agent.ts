/**
 * NodeAgent: skiff's kubelet for one node. It needs only an ApiClient and a
 * ContainerRuntime, so the same class runs inside `skiff up` (in-process
 * client, the kernel's network and storage hooks) and as `skiff agent` on
 * another machine (HTTP client, no hooks: the runtime's own network).
 *
 *   const agent = new NodeAgent({ client, runtime, nodeName: 'node-1', dataDir });
 *   await agent.start();   // Node registered, lease renewing, pods syncing
 *   ...
 *   await agent.stop();    // containers keep running; a new agent adopts them
 *
 * Start-up order matters for adoption: the pod informer must have listed
 * before anything is cleaned up, so a container whose pod merely has not
 * been seen yet is never mistaken for an orphan.
 */
import { promises as fs, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Pod, Service } from 'kubernetes-types/core/v1';
import type { ApiClient } from '../../kernel/client/types';
import type { KubeObject } from '../../kernel/api/types';
import type { Clock, TimerHandle } from '../../kernel/client/clock';
import { realClock } from '../../kernel/client/clock';
import type { Logger } from '../../kernel/log';
import { ConsoleLogger } from '../../kernel/log';
import type { KernelHooks } from '../../kernel/hooks';
import { SharedInformer, stripManagedFields } from '../../kernel/client/informer';
import type { ContainerRuntime } from '../../kernel/runtime/types';
import type { AgentConfig, NodeAgentPluginOptions } from './options';
import { resolveConfig } from './options';
import type { HostFacts } from './host';
import { readHostFacts } from './host';
import type { NodeSettings } from './node-status';
import { buildNodeStatus, NodeStatusReporter } from './node-status';
import { NodeLease } from './lease';
import { EventRecorder, nodeRef } from '../../kernel/client/events';
import { Backoff } from './backoff';
import { ImageManager } from './images';
import type { Mounter } from './volumes';
import { VolumeManager } from './volumes';
import { ProbeManager } from './prober';
import { ObjectSource } from './object-source';
import type { ResolvConf } from './dns';
import { readHostResolvConf } from './dns';
import { PodSyncer, PODS } from './pod-sync';
import { PodWorkers } from './pod-workers';
import { Relister } from './pleg';
import type { StreamingProtocols } from './streams';
import { NodeStreamServer } from './streams';

const SERVICES = { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true } as const;

export interface NodeAgentOptions {
  readonly client: ApiClient;
  readonly runtime: ContainerRuntime;
  readonly nodeName: string;
  /** The node's own directory (pod volumes, termination messages, network records). */
  readonly dataDir: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** The kernel's network and storage hooks (absent outside the kernel process). */
  readonly hooks?: Pick<KernelHooks, 'network' | 'storage'>;
  /** The node's entry in cluster.yaml (labels, address, taints, capacity). */
  readonly settings?: NodeSettings;
  /** Timing and behaviour (the plugin's options, or resolved ones). */
  readonly config?: AgentConfig | NodeAgentPluginOptions;
  /** Facts about the machine (default: this one). */
  readonly host?: () => HostFacts;
  /** The node's resolv.conf (default: read from the host). */
  readonly resolvConf?: () => ResolvConf;
  /** tmpfs mounts (default: mount(8)). */
  readonly mounter?: Mounter;
  /** exec/attach protocols (default: plugins/node-agent/streaming). */
  readonly protocols?: StreamingProtocols;
  /** The port this node's kubelet API listens on, reported in daemonEndpoints (default 10250). */
  readonly kubeletPort?: number;
}

function isResolved(c: AgentConfig | NodeAgentPluginOptions | undefined): c is AgentConfig {
  return !!c && typeof (c as AgentConfig).leaseRenewIntervalMs === 'number';
}

/** What a pod update changes that matters to the node (not status, not our own write's resourceVersion). */
function relevant(pod: Pod): string {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = pod.metadata ?? {};
  return JSON.stringify([meta, pod.spec]);
}

export class NodeAgent {
  readonly nodeName: string;
  readonly config: AgentConfig;
  readonly events: EventRecorder;
  readonly streams: NodeStreamServer;
  readonly probes: ProbeManager;
  readonly syncer: PodSyncer;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly pods = new Map<string, Pod>();
  private readonly podInformer: SharedInformer<Pod & KubeObject>;
  private readonly serviceInformer: SharedInformer<Service & KubeObject>;
  private readonly objects: ObjectSource;
  private readonly workers: PodWorkers;
  private readonly nodeStatus: NodeStatusReporter;
  private readonly lease: NodeLease;
  private readonly relister: Relister;
  private readonly volumes: VolumeManager;
  private readonly crashBackoff: Backoff;
  private readonly imageBackoff: Backoff;
  private readonly podsDir: string;
  private host: HostFacts;
  private allocatableFor?: { readonly host: HostFacts; readonly value: Record<string, string> };
  private resolv: ResolvConf;
  private housekeepingTimer?: TimerHandle;
  private housekeeping?: Promise<void>;
  private started = false;
  private stopped = false;

  constructor(private readonly o: NodeAgentOptions) {
    this.nodeName = o.nodeName;
    this.config = isResolved(o.config) ? o.config : resolveConfig(o.config);
    this.clock = o.clock ?? realClock;
    this.logger = o.logger ?? new ConsoleLogger(`node-agent/${o.nodeName}`);
    this.podsDir = path.join(o.dataDir, 'pods');
    mkdirSync(this.podsDir, { recursive: true });
    const hostFacts = o.host ?? (() => readHostFacts(o.dataDir));
    this.host = hostFacts();
    const resolv = o.resolvConf ?? (() => readHostResolvConf(this.config.resolvConf));
    this.resolv = resolv();
    const settings: NodeSettings = o.settings ?? { name: o.nodeName };

    this.events = new EventRecorder(o.client, { host: o.nodeName, clock: this.clock, logger: this.logger });
    this.crashBackoff = new Backoff(this.clock, this.config.crashLoopBackoff.initialMs, this.config.crashLoopBackoff.maxMs);
    this.imageBackoff = new Backoff(this.clock, this.config.imagePullBackoff.initialMs, this.config.imagePullBackoff.maxMs);
    this.workers = new PodWorkers((uid) => this.syncer.sync(uid), this.clock, this.logger);
    this.probes = new ProbeManager({
      runtime: o.runtime,
      clock: this.clock,
      events: this.events,
      logger: this.logger,
      timeScale: this.config.probeTimeScale,
      onChange: (uid) => this.workers.enqueue(uid),
    });
    this.objects = new ObjectSource({ client: o.client, clock: this.clock, logger: this.logger, onChange: (uids) => uids.forEach((u) => this.workers.enqueue(u)) });
    this.volumes = new VolumeManager({
      podsDir: this.podsDir,
      client: o.client,
      logger: this.logger,
      allowedHostPaths: this.config.allowedHostPaths,
      storage: o.hooks?.storage,
      mounter: o.mounter,
      now: () => new Date(this.clock.now()),
    });
    const images = new ImageManager({
      runtime: o.runtime,
      events: this.events,
      clock: this.clock,
      backoff: this.imageBackoff,
      unreachableRegistryCacheMs: this.config.unreachableRegistryCacheMs,
      logger: this.logger,
    });
    // The agent never reads managedFields: not holding them halves what a cached pod costs (about 4 of 6 KB).
    this.podInformer = new SharedInformer(o.client, PODS, { fieldSelector: `spec.nodeName=${o.nodeName}`, transform: stripManagedFields, clock: this.clock, logger: this.logger });
    this.serviceInformer = new SharedInformer(o.client, SERVICES, { clock: this.clock, logger: this.logger });
    this.syncer = new PodSyncer({
      nodeName: o.nodeName,
      runtime: o.runtime,
      client: o.client,
      clock: this.clock,
      logger: this.logger,
      events: this.events,
      images,
      volumes: this.volumes,
      probes: this.probes,
      objects: this.objects,
      services: () => this.serviceInformer.cache.list(),
      network: o.hooks?.network,
      config: this.config,
      hostIPs: () => this.hostIPs(),
      nodeAllocatable: () => this.allocatable(),
      dns: () => this.resolv,
      crashBackoff: this.crashBackoff,
      getPod: (uid) => this.pods.get(uid),
      requeue: (uid, ms) => this.workers.enqueueAfter(uid, ms),
      forget: (uid) => {
        this.objects.untrack(uid);
        this.workers.forget(uid);
      },
    });
    this.nodeStatus = new NodeStatusReporter({
      client: o.client,
      runtime: o.runtime,
      nodeName: o.nodeName,
      settings,
      host: () => {
        this.host = hostFacts();
        this.resolv = resolv();
        return this.host;
      },
      config: this.config,
      clock: this.clock,
      logger: this.logger,
      events: this.events,
      kubeletPort: o.kubeletPort,
    });
    this.lease = new NodeLease({
      client: o.client,
      nodeName: o.nodeName,
      clock: this.clock,
      logger: this.logger,
      durationSeconds: this.config.leaseDurationSeconds,
      renewIntervalMs: this.config.leaseRenewIntervalMs,
      nodeUid: () => this.nodeStatus.uid,
    });
    this.relister = new Relister({
      runtime: o.runtime,
      nodeName: o.nodeName,
      clock: this.clock,
      logger: this.logger,
      periodMs: this.config.relistMs,
      onChange: (uids) => uids.forEach((u) => this.workers.enqueue(u)),
    });
    this.streams = new NodeStreamServer({ runtime: o.runtime, nodeName: o.nodeName, clock: this.clock, logger: this.logger, protocols: o.protocols });
  }

  /** The node's InternalIP(s), as pods see them in status.hostIP(s). */
  hostIPs(): string[] {
    const ip = this.o.settings?.address ?? this.host.internalIP;
    return ip ? [ip] : [];
  }

  /** Node allocatable for the downward API, computed again only when the host facts change (every pod sync asks). */
  private allocatable(): Record<string, string> {
    if (this.allocatableFor?.host === this.host) return this.allocatableFor.value;
    const status = buildNodeStatus({
      nodeName: this.nodeName,
      settings: this.o.settings ?? { name: this.nodeName },
      host: this.host,
      config: this.config,
      runtime: { name: this.o.runtime.name, version: '' },
      images: [],
      now: this.clock.now(),
    });
    this.allocatableFor = { host: this.host, value: status.allocatable as Record<string, string> };
    return this.allocatableFor.value;
  }

  /**
   * Register the Node, start the lease and status loops, list the node's
   * pods, then adopt what the runtime holds and clean up what no pod owns.
   * Resolves once the node is registered and its pods are being synced.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error(`node agent ${this.nodeName} was already started`);
    this.started = true;
    this.events.record(nodeRef(this.nodeName), 'Normal', 'Starting', 'Starting kubelet.');
    await this.nodeStatus.register();
    this.lease.start();
    this.nodeStatus.start();

    this.podInformer.addEventHandler({
      onAdd: (pod) => this.podChanged(pod),
      onUpdate: (old, pod) => {
        if (old.metadata?.uid !== pod.metadata?.uid || relevant(old) !== relevant(pod)) this.podChanged(pod);
        else this.pods.set(pod.metadata!.uid!, pod);
      },
      onDelete: (pod) => {
        const uid = pod.metadata?.uid ?? '';
        this.pods.delete(uid);
        this.workers.enqueue(uid);
      },
    });
    this.podInformer.start();
    this.serviceInformer.start();
    const synced = await this.podInformer.waitForSync();
    if (!synced) return;
    await this.serviceInformer.waitForSync();

    // What the runtime holds and the API does not know any more is cleaned up (after the list, never before).
    await this.relister.relist();
    await this.housekeep();
    this.relister.start();
    this.scheduleHousekeeping();
    this.logger.info(`node ${this.nodeName} is up with ${this.pods.size} pod(s)`);
  }

  private podChanged(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    this.pods.set(uid, pod);
    this.objects.track(pod);
    this.workers.enqueue(uid);
  }

  private scheduleHousekeeping(): void {
    if (this.stopped) return;
    this.housekeepingTimer = this.clock.setTimeout(() => {
      this.housekeeping = this.housekeep().finally(() => {
        this.housekeeping = undefined;
        this.scheduleHousekeeping();
      });
    }, this.config.housekeepingMs);
  }

  /** Sync uids the runtime or the pods directory has and the API does not (their sync cleans them up). */
  private async housekeep(): Promise<void> {
    try {
      for (const uid of this.relister.uids) if (!this.pods.has(uid)) this.workers.enqueue(uid);
      for (const uid of await fs.readdir(this.podsDir).catch(() => [] as string[])) {
        if (!this.pods.has(uid) && !this.relister.uids.has(uid)) this.workers.enqueue(uid);
      }
      this.crashBackoff.gc();
      this.imageBackoff.gc();
    } catch (err) {
      // Deliberately absorbed: housekeeping runs again shortly.
      this.logger.error(`housekeeping failed: ${(err as Error).message}`);
    }
  }

  /** Stop the agent's loops; containers keep running (a restarted agent adopts them). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.housekeepingTimer) this.clock.clearTimeout(this.housekeepingTimer);
    this.syncer.abortAll();
    await Promise.all([this.lease.stop(), this.nodeStatus.stop(), this.relister.stop(), this.podInformer.stop(), this.serviceInformer.stop(), this.objects.stop()]);
    await this.housekeeping;
    await this.probes.stop();
    await this.workers.stop();
    await this.events.flush();
  }

  /**
   * Resolves when no pod sync is running and every recorded event is written
   * (tests). Probe attempts in flight are not waited for: one may be waiting
   * for its timeout on the clock.
   */
  async settled(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await this.workers.idle();
      await this.events.flush();
      await new Promise((r) => setImmediate(r));
      if (!this.workers.busy) return;
    }
  }

  /** The pods the agent currently knows (by uid). */
  knownPods(): Pod[] {
    return [...this.pods.values()];
  }
}
