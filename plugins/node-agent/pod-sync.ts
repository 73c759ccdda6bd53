/**
 * One pod's sync, as the kubelet's syncPod / kuberuntime SyncPod do it:
 * level-triggered, from the pod as the API has it and the runtime's state
 * as read now (never from memory of what was started), so the same code
 * starts a new pod, adopts one after an agent restart, and cleans up after
 * one that is gone.
 *
 * A running pod: volumes → sandbox (re-created, with a SandboxChanged event,
 * when it died) → containers to kill (liveness or startup failure, changed
 * spec) → the next init container, one at a time, each to success → app
 * containers, restarted per restartPolicy with CrashLoopBackOff back-off →
 * probe workers → status (written only when it changed) → extra dead
 * instances removed (the newest two of each container are kept, for
 * `logs --previous`).
 *
 * A pod with a deletionTimestamp: preStop hooks and SIGTERM within the grace
 * period, SIGKILL after it, sandbox stopped, network torn down, volumes
 * removed, final status written, then the pod object deleted (grace 0, uid
 * precondition), as the kubelet's status manager does.
 *
 * A pod that finished (Succeeded/Failed): its sandbox is stopped; its
 * containers stay for logs until the pod is deleted.
 *
 * A uid the API no longer has (deleted while the agent was down, or force
 * deleted): its containers are stopped with the grace period they were
 * created with, and everything it had on the node is removed.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Container, Pod, PodStatus, Service } from 'kubernetes-types/core/v1';
import type { ApiClient } from '../../kernel/client/types';
import type { Clock } from '../../kernel/client/clock';
import type { Logger } from '../../kernel/log';
import type { KernelHooks } from '../../kernel/hooks';
import { isApiError } from '../../kernel/api/errors';
import type { KubeObject } from '../../kernel/api/types';
import type { ContainerRuntime, ContainerStatus, PodSandboxConfig, PodSandboxStatus, PortMapping } from '../../kernel/runtime/types';
import type { AgentConfig } from './options';
import type { Backoff } from './backoff';
import type { EventSink } from '../../kernel/client/events';
import { containerFieldPath, podRef } from '../../kernel/client/events';
import type { ImageManager } from './images';
import { goDuration } from './images';
import type { VolumeManager, PodVolume } from './volumes';
import type { ProbeManager } from './prober';
import type { ObjectLookup } from './env';
import { resolveEnv, serviceEnv } from './env';
import { buildContainerConfig } from './container-config';
import { runLifecycleHook } from './lifecycle-hooks';
import type { ResolvConf } from './dns';
import { podDnsConfig } from './dns';
import type { ContainerKind, PodRuntimeState } from './runtime-state';
import { formatPod, GRACE_PERIOD_LABEL, kindOf, latestSandbox, loadPodRuntimeState, nameOf, restartCountOf, sandboxLabels, specHash } from './runtime-state';
import { RuntimeLabels } from '../../kernel/runtime/types';
import type { WaitingReason } from './pod-status';
import { computePodStatus, mergePodStatus, reasonKey, sameStatus, shouldContainerBeRestarted } from './pod-status';

export const PODS = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } as const;

/** The kubelet gives a container at least this long to stop after its preStop hook. */
const MIN_GRACE_SECONDS = 2;
/** Termination messages are cut at 4 KiB (the kubelet's per-container limit). */
const MAX_TERMINATION_MESSAGE = 4096;
/** FallbackToLogsOnError: the last 80 lines, at most 2 KiB. */
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

/** The pod's network, recorded when its sandbox was set up (a network plugin's IPs are not the runtime's). */
export interface SandboxNetwork {
  readonly sandboxId: string;
  readonly ips: readonly string[];
  /** The network plugin that wired it, if one did. */
  readonly plugin?: string;
  readonly netns?: string;
}

/**
 * What the agent remembers about a pod between syncs (all of it can be
 * rebuilt; none of it is needed to adopt). Kept small: a node holds one per
 * pod, a 1,000-node simulated cluster 10,000, so maps and the abort
 * controller exist only while they hold something.
 */
interface PodRecord {
  /** Waiting reasons by container (absent: none). */
  reasons?: Map<string, WaitingReason>;
  network?: SandboxNetwork;
  terminal: boolean;
  sandboxStopped: boolean;
  podReason?: { reason: string; message: string };
  /** The status we last wrote, until the informer's copy of the pod has caught up with it. */
  lastWritten?: { status: PodStatus; resourceVersion: string };
  mountFailures: number;
  sandboxFailures: number;
  /** Termination messages by container id (terminated containers do not change; absent: none read). */
  messages?: Map<string, string | undefined>;
  /** The pod is being killed: image pulls are cut short. */
  killed: boolean;
  /** Aborted when the pod is being killed; exists while an image pull may need it. */
  abort?: AbortController;
}

const NO_REASONS: ReadonlyMap<string, WaitingReason> = new Map();

export interface PodSyncerOptions {
  readonly nodeName: string;
  readonly runtime: ContainerRuntime;
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventSink;
  readonly images: ImageManager;
  readonly volumes: VolumeManager;
  readonly probes: ProbeManager;
  readonly objects: ObjectLookup;
  readonly services: () => readonly Service[];
  readonly network?: KernelHooks['network'];
  readonly config: AgentConfig;
  readonly hostIPs: () => readonly string[];
  readonly nodeAllocatable: () => Readonly<Record<string, string>>;
  readonly dns: () => ResolvConf;
  readonly crashBackoff: Backoff;
  readonly getPod: (uid: string) => Pod | undefined;
  readonly requeue: (uid: string, ms: number) => void;
  /** The pod's worker and records can go (it was cleaned up). */
  readonly forget: (uid: string) => void;
}

function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

/** The pod's hostname (spec.hostname or its name, at most 63 characters). */
export function podHostname(pod: Pod): string {
  const name = pod.spec?.hostname || pod.metadata?.name || '';
  return name.length > 63 ? name.slice(0, 63).replace(/[-.]+$/, '') : name;
}

function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ containerPort: p.containerPort, hostPort: p.hostPort, hostIP: p.hostIP, protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'] });
    }
  }
  return out;
}

export class PodSyncer {
  private readonly records = new Map<string, PodRecord>();

  constructor(private readonly o: PodSyncerOptions) {}

  private record(uid: string): PodRecord {
    let rec = this.records.get(uid);
    if (!rec) {
      rec = { terminal: false, sandboxStopped: false, mountFailures: 0, sandboxFailures: 0, killed: false };
      this.records.set(uid, rec);
    }
    return rec;
  }

  /** The waiting reasons recorded for a pod (for tests and streams). */
  reasonsOf(uid: string): ReadonlyMap<string, WaitingReason> {
    return this.records.get(uid)?.reasons ?? NO_REASONS;
  }

  /** The pod's IPs as last set up. */
  podIPsOf(uid: string): readonly string[] {
    return this.records.get(uid)?.network?.ips ?? [];
  }

  /** Sync one pod by uid (see the module comment). Throws on runtime or API faults (retried by the worker). */
  async sync(uid: string): Promise<void> {
    const pod = this.o.getPod(uid);
    const state = await loadPodRuntimeState(this.o.runtime, this.o.nodeName, uid);
    if (!pod) {
      await this.cleanUpOrphan(uid, state);
      return;
    }
    const rec = this.record(uid);
    if (pod.metadata?.deletionTimestamp) {
      await this.terminate(pod, state, rec);
      return;
    }
    const phase = pod.status?.phase;
    if (rec.terminal || phase === 'Succeeded' || phase === 'Failed') {
      await this.syncFinished(pod, state, rec);
      return;
    }
    await this.syncRunning(pod, state, rec);
    this.o.requeue(uid, this.o.config.podResyncMs);
  }

  // ------------------------------------------------------------ running pods

  private async syncRunning(pod: Pod, initial: PodRuntimeState, rec: PodRecord): Promise<void> {
    const uid = pod.metadata!.uid!;
    let state = initial;

    // activeDeadlineSeconds: the pod fails as a whole once it has been active that long.
    const deadline = pod.spec?.activeDeadlineSeconds;
    if (deadline !== undefined) {
      const started = pod.status?.startTime ? Date.parse(pod.status.startTime) : this.o.clock.now();
      const left = started + deadline * 1000 - this.o.clock.now();
      if (left <= 0) {
        const message = 'Pod was active on the node longer than the specified deadline';
        this.o.events.record(podRef(pod), 'Warning', 'DeadlineExceeded', message);
        rec.podReason = { reason: 'DeadlineExceeded', message };
        rec.terminal = true;
        await this.killAll(pod, state, this.podGrace(pod));
        await this.syncFinished(pod, await this.load(uid), rec);
        return;
      }
      this.o.requeue(uid, left);
    }

    // Volumes first: a pod whose volumes cannot be set up gets no sandbox (it stays ContainerCreating).
    const volumes = await this.o.volumes.setUp({ pod, objects: this.o.objects, podIPs: rec.network?.ips ?? [], hostIPs: this.o.hostIPs(), nodeAllocatable: this.o.nodeAllocatable() });
    if (!volumes.ok) {
      for (const f of volumes.failures) this.o.events.record(podRef(pod), 'Warning', 'FailedMount', f.message);
      rec.mountFailures++;
      this.o.requeue(uid, Math.min(500 * 2 ** rec.mountFailures, 122_000));
      // A pod that runs keeps running on the last good files; one that never started waits for its volumes.
      const running = state.sandboxes.some((s) => s.state === 'ready');
      const complete = (pod.spec?.volumes ?? []).every((v) => volumes.volumes.has(v.name));
      if (!running || !complete) {
        await this.writeStatus(pod, state, rec, { sandboxReady: false });
        return;
      }
    } else rec.mountFailures = 0;

    // The sandbox: created when missing, re-created when it died.
    const sandbox = latestSandbox(state);
    const readySandboxes = state.sandboxes.filter((s) => s.state === 'ready');
    const needSandbox = !sandbox || sandbox.state !== 'ready' || readySandboxes.length > 1;
    let sandboxId = sandbox?.id;
    if (needSandbox) {
      const hadSandbox = state.sandboxes.length > 0;
      if (hadSandbox) {
        if (!this.shouldRecreateSandbox(pod, state)) {
          // Nothing will run again: the pod is finished, not restarted (the kubelet's rule for Never).
          await this.killAll(pod, state, this.podGrace(pod));
          rec.terminal = true;
          await this.syncFinished(pod, await this.load(uid), rec);
          return;
        }
        await this.killAll(pod, state, this.podGrace(pod));
        for (const s of state.sandboxes) await this.stopSandbox(pod, s, rec);
        // Init containers run again from the first in the new sandbox.
        for (const c of state.containers) if (kindOf(c) === 'init') await this.o.runtime.removeContainer(c.id);
        state = await this.load(uid);
      }
      const created = await this.createSandbox(pod, rec);
      if (!created) {
        await this.writeStatus(pod, state, rec, { sandboxReady: false });
        return;
      }
      if (hadSandbox) this.o.events.record(podRef(pod), 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      sandboxId = created.sandboxId;
      // A first sandbox holds nothing yet; after a replacement, read what the old one left.
      if (hadSandbox) state = await this.load(uid);
    } else {
      await this.ensureNetworkKnown(pod, sandbox!, rec);
    }

    // Containers that must go before anything starts.
    let killed = false;
    for (const c of this.newestByName(state).values()) {
      if (c.state !== 'running') continue;
      const spec = this.specOf(pod, nameOf(c), kindOf(c));
      if (!spec) continue;
      let message: string | undefined;
      let grace = this.podGrace(pod);
      if (c.labels[RuntimeLabels.specHash] && c.labels[RuntimeLabels.specHash] !== specHash(spec)) {
        message = `Container ${spec.name} definition changed, will be restarted`;
      } else {
        const failed = this.o.probes.failed(c.id);
        if (failed) {
          message = `Container ${spec.name} failed ${failed} probe, will be restarted`;
          const probe = failed === 'liveness' ? spec.livenessProbe : spec.startupProbe;
          if (probe?.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds !== null) {
            grace = probe.terminationGracePeriodSeconds * this.o.config.probeTimeScale;
          }
        }
      }
      if (!message) continue;
      await this.killContainer(pod, c, spec, grace, message);
      killed = true;
    }
    if (killed) state = await this.load(uid);

    const volumeMap = volumes.volumes;
    const started = await this.startContainers(pod, state, sandboxId!, volumeMap, rec);
    if (started) state = await this.load(uid);

    this.ensureProbes(pod, state, rec);
    const status = await this.writeStatus(pod, state, rec, { sandboxReady: true });
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      // Finished: stop the sandbox now rather than at the next sync.
      rec.terminal = true;
      await this.syncFinished(pod, state, rec);
      return;
    }
    await this.collectGarbage(state);
  }

  /** The kubelet does not re-create a sandbox for a Never pod whose containers ran, nor when nothing would start. */
  private shouldRecreateSandbox(pod: Pod, state: PodRuntimeState): boolean {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Never' && state.containers.length > 0) return false;
    const newest = this.newestByName(state);
    const toStart = (pod.spec?.containers ?? []).filter((c) => !(policy === 'OnFailure' && newest.get(c.name)?.state === 'exited' && newest.get(c.name)?.exitCode === 0));
    if (toStart.length === 0 && (pod.spec?.containers ?? []).some((c) => newest.has(c.name))) return false;
    return true;
  }

  /**
   * Start what should run now: sidecars and the next init container in
   * order (holding app containers back until every regular init container
   * has succeeded), then app containers per restartPolicy. Returns true if
   * anything was created.
   */
  private async startContainers(pod: Pod, state: PodRuntimeState, sandboxId: string, volumes: ReadonlyMap<string, PodVolume>, rec: PodRecord): Promise<boolean> {
    const newest = this.newestByName(state);
    const appNames = new Set((pod.spec?.containers ?? []).map((c) => c.name));
    // Initialised in this sandbox: a new sandbox runs the init containers again (the kubelet purges them).
    const appStarted = state.containers.some((c) => kindOf(c) === 'app' && appNames.has(nameOf(c)) && (c.sandboxId === undefined || c.sandboxId === sandboxId));
    let createdAny = false;
    const start = async (spec: Container, kind: ContainerKind): Promise<void> => {
      if (await this.startOrBackOff(pod, spec, kind, newest.get(spec.name), sandboxId, volumes, rec)) createdAny = true;
    };

    let blocked = false;
    for (const spec of pod.spec?.initContainers ?? []) {
      const latest = newest.get(spec.name);
      if (isSidecar(spec)) {
        if (latest?.state === 'running') {
          if (!appStarted && !this.o.probes.isStarted(latest.id)) {
            blocked = true;
            break;
          }
          continue;
        }
        await start(spec, 'init');
        if (!appStarted) {
          blocked = true;
          break;
        }
        continue;
      }
      if (appStarted) continue;
      if (latest?.state === 'exited' && latest.exitCode === 0) continue;
      blocked = true;
      if (latest?.state === 'running') break;
      if (latest && !shouldContainerBeRestarted(pod, latest)) break; // Never: the pod fails
      await start(spec, 'init');
      break;
    }
    if (blocked) return createdAny;

    for (const spec of pod.spec?.containers ?? []) {
      const latest = newest.get(spec.name);
      if (latest?.state === 'running') continue;
      if (!shouldContainerBeRestarted(pod, latest)) continue;
      await start(spec, 'app');
    }
    return createdAny;
  }

  /** Start a container, unless its restart back-off is running (CrashLoopBackOff). Returns true if an instance was created. */
  private async startOrBackOff(pod: Pod, spec: Container, kind: ContainerKind, latest: ContainerStatus | undefined, sandboxId: string, volumes: ReadonlyMap<string, PodVolume>, rec: PodRecord): Promise<boolean> {
    const uid = pod.metadata!.uid!;
    let restartCount = 0;
    if (latest) {
      restartCount = restartCountOf(latest) + 1;
      const finishedAt = (latest.finishedAt ?? latest.createdAt).getTime();
      const key = `${uid}/${kind}/${spec.name}/${specHash(spec)}`;
      const backoff = this.o.crashBackoff;
      if (backoff.isInBackOffSince(key, finishedAt)) {
        this.o.events.record(podRef(pod, containerFieldPath(kind, spec.name)), 'Warning', 'BackOff', `Back-off restarting failed container ${spec.name} in pod ${formatPod(pod)}`);
        setReason(rec, reasonKey(kind, spec.name), { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(backoff.get(key))} restarting failed container=${spec.name} pod=${formatPod(pod)}` });
        this.o.requeue(uid, backoff.remaining(key, finishedAt));
        return false;
      }
      backoff.next(key, finishedAt);
    }
    return this.startContainer(pod, spec, kind, restartCount, sandboxId, volumes, rec);
  }

  /**
   * Pull, configure, create and start one container, then run its postStart
   * hook. Failures a user can fix are recorded as the container's waiting
   * reason with a Failed event; runtime faults throw.
   */
  private async startContainer(pod: Pod, spec: Container, kind: ContainerKind, restartCount: number, sandboxId: string, volumes: ReadonlyMap<string, PodVolume>, rec: PodRecord): Promise<boolean> {
    const uid = pod.metadata!.uid!;
    const ref = podRef(pod, containerFieldPath(kind, spec.name));
    const key = reasonKey(kind, spec.name);
    const fail = (reason: string, message: string, eventMessage: string, retryMs: number): false => {
      setReason(rec, key, { reason, message });
      this.o.events.record(ref, 'Warning', 'Failed', eventMessage);
      this.o.requeue(uid, retryMs);
      return false;
    };

    const image = await this.o.images.ensureImage(pod, spec, ref, pullSignal(rec));
    // The pull is over (a pod's syncs never overlap): nothing needs the controller until the next one.
    if (!rec.killed) rec.abort = undefined;
    if (!image.ok) {
      setReason(rec, key, { reason: image.reason, message: image.message });
      this.o.events.record(ref, 'Warning', 'Failed', `Error: ${image.reason}`);
      // After a failed pull, look again soon (the status moves on to ImagePullBackOff), then when the back-off ends.
      this.o.requeue(uid, image.reason === 'ErrImagePull' ? 1000 : Math.max(image.retryAfterMs ?? 0, 1000));
      return false;
    }

    const podIPs = rec.network?.ips ?? [];
    let env;
    try {
      env = await resolveEnv({
        pod,
        container: spec,
        objects: this.o.objects,
        serviceEnv: serviceEnv(this.o.services(), pod),
        podIPs,
        hostIPs: this.o.hostIPs(),
        nodeAllocatable: this.o.nodeAllocatable(),
      });
    } catch (err) {
      if ((err as Error).name !== 'FieldPathError') throw err;
      env = { ok: false as const, message: (err as Error).message };
    }
    if (!env.ok) return fail('CreateContainerConfigError', env.message, `Error: ${env.message}`, 5000);
    for (const w of env.warnings) this.o.events.record(ref, 'Warning', 'InvalidEnvironmentVariableNames', w);

    const messageFile = await this.terminationMessageFile(uid, spec.name, restartCount);
    const config = buildContainerConfig({ pod, container: spec, kind, restartCount, nodeName: this.o.nodeName, env: env.env, volumes, terminationMessageFile: messageFile });
    if (!config.ok) return fail('CreateContainerConfigError', config.message, `Error: ${config.message}`, 5000);

    let id: string;
    try {
      id = await this.o.runtime.createContainer(sandboxId, config.config);
    } catch (err) {
      const message = (err as Error).message;
      return fail('CreateContainerError', message, `Error: ${message}`, 10_000);
    }
    this.o.events.record(ref, 'Normal', 'Created', `Created container ${spec.name}`);
    try {
      await this.o.runtime.startContainer(id);
    } catch (err) {
      // The runtime's own words for the failure (the engine's error, as CRI reports it), else the fault's.
      const why = (await this.o.runtime.containerStatus(id).catch(() => undefined))?.message || (err as Error).message;
      const message = `failed to start container "${spec.name}": ${why}`;
      fail('RunContainerError', message, `Error: ${message}`, 1000);
      return true;
    }
    this.o.events.record(ref, 'Normal', 'Started', `Started container ${spec.name}`);
    if (rec.reasons?.delete(key) && rec.reasons.size === 0) rec.reasons = undefined;

    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      const outcome = await runLifecycleHook(postStart, pod, spec, { runtime: this.o.runtime, containerId: id, container: spec, podIP: podIPs[0] ?? '', clock: this.o.clock }, 0);
      if (!outcome.ok) {
        this.o.events.record(ref, 'Warning', 'FailedPostStartHook', outcome.message);
        const instance = await this.o.runtime.containerStatus(id);
        if (instance) await this.killContainer(pod, instance, spec, this.podGrace(pod), 'FailedPostStartHook', false);
        setReason(rec, key, { reason: 'PostStartHookError', message: outcome.message });
        this.o.requeue(uid, 1000);
      }
    }
    return true;
  }

  /** The node file a container writes its termination message to (one per instance). */
  private async terminationMessageFile(uid: string, name: string, restartCount: number): Promise<string> {
    const dir = path.join(this.o.volumes.podDir(uid), 'containers', name);
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, String(restartCount));
    await fs.writeFile(file, '');
    // Writable by whatever user the container runs as, as the kubelet makes it.
    await fs.chmod(file, 0o666);
    return file;
  }

  /** Probe workers for running containers; stop those of containers that are gone. */
  private ensureProbes(pod: Pod, state: PodRuntimeState, rec: PodRecord): void {
    const uid = pod.metadata!.uid!;
    const running = new Set<string>();
    for (const c of this.newestByName(state).values()) {
      if (c.state !== 'running') continue;
      const spec = this.specOf(pod, nameOf(c), kindOf(c));
      if (!spec || (!spec.livenessProbe && !spec.readinessProbe && !spec.startupProbe)) continue;
      if (kindOf(c) === 'init' && !isSidecar(spec)) continue;
      running.add(c.id);
      // An adopted container (agent restart) keeps the readiness the API last saw, instead of flapping to not ready.
      const list = kindOf(c) === 'init' ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
      const known = list?.find((s) => s.name === spec.name && s.containerID === `${this.o.runtime.name}://${c.id}`);
      this.o.probes.ensure({
        pod,
        container: spec,
        containerId: c.id,
        startedAt: (c.startedAt ?? c.createdAt).getTime(),
        podIP: rec.network?.ips[0] ?? '',
        ref: podRef(pod, containerFieldPath(kindOf(c), spec.name)),
        initial: known ? { ready: known.ready, started: known.started } : undefined,
      });
    }
    this.o.probes.retain(uid, running);
  }

  // ------------------------------------------------------------ sandbox and network

  private async createSandbox(pod: Pod, rec: PodRecord): Promise<SandboxNetwork | undefined> {
    const uid = pod.metadata!.uid!;
    const hostNetwork = pod.spec?.hostNetwork === true;
    const config: PodSandboxConfig = {
      podUid: uid,
      podName: pod.metadata?.name ?? '',
      namespace: pod.metadata?.namespace ?? 'default',
      hostname: podHostname(pod),
      hostNetwork,
      portMappings: portMappings(pod),
      dns: podDnsConfig(pod, { host: this.o.dns(), clusterDNS: this.o.config.clusterDNS, clusterDomain: this.o.config.clusterDomain }),
      hostAliases: (pod.spec?.hostAliases ?? []).map((a) => ({ ip: a.ip ?? '', hostnames: a.hostnames ?? [] })),
      labels: sandboxLabels(pod, this.o.nodeName),
    };
    let sandboxId: string | undefined;
    try {
      sandboxId = await this.o.runtime.runPodSandbox(config);
      const status = await this.o.runtime.podSandboxStatus(sandboxId);
      let ips: readonly string[] = [];
      let plugin: string | undefined;
      if (hostNetwork) ips = this.o.hostIPs();
      else {
        const result = this.o.network ? await this.o.network.setUp.promise({ podUid: uid, podName: config.podName, namespace: config.namespace, nodeName: this.o.nodeName, netns: status?.netns ?? '', sandboxId }) : undefined;
        if (result) {
          ips = result.ips;
          plugin = result.plugin;
        } else if (status?.ip) ips = [status.ip];
      }
      const network: SandboxNetwork = { sandboxId, ips, plugin, netns: status?.netns };
      rec.network = network;
      rec.sandboxStopped = false;
      rec.sandboxFailures = 0;
      await this.saveNetwork(uid, network);
      return network;
    } catch (err) {
      const message = (err as Error).message;
      this.o.events.record(podRef(pod), 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${message}`);
      if (sandboxId) {
        await this.o.runtime.stopPodSandbox(sandboxId).catch(() => undefined);
        await this.o.runtime.removePodSandbox(sandboxId).catch(() => undefined);
      }
      rec.sandboxFailures++;
      this.o.requeue(uid, Math.min(1000 * 2 ** rec.sandboxFailures, 60_000));
      return undefined;
    }
  }

  /** After a restart, the pod IPs of an adopted sandbox: from the record saved at set-up, else the runtime's. */
  private async ensureNetworkKnown(pod: Pod, sandbox: PodSandboxStatus, rec: PodRecord): Promise<void> {
    if (rec.network?.sandboxId === sandbox.id) return;
    const uid = pod.metadata!.uid!;
    const saved = await this.loadNetwork(uid);
    if (saved?.sandboxId === sandbox.id) {
      rec.network = saved;
      return;
    }
    const ips = pod.spec?.hostNetwork ? this.o.hostIPs() : sandbox.ip ? [sandbox.ip] : [];
    rec.network = { sandboxId: sandbox.id, ips, netns: sandbox.netns };
  }

  private networkFile(uid: string): string {
    return path.join(this.o.volumes.podDir(uid), 'network.json');
  }

  private async saveNetwork(uid: string, network: SandboxNetwork): Promise<void> {
    const file = this.networkFile(uid);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(`${file}.tmp`, JSON.stringify(network));
    await fs.rename(`${file}.tmp`, file);
  }

  private async loadNetwork(uid: string): Promise<SandboxNetwork | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.networkFile(uid), 'utf8')) as SandboxNetwork;
    } catch {
      return undefined;
    }
  }

  /** Stop a sandbox and release its network. */
  private async stopSandbox(pod: Pod | undefined, sandbox: PodSandboxStatus, rec: PodRecord | undefined): Promise<void> {
    await this.o.runtime.stopPodSandbox(sandbox.id);
    const hostNetwork = pod?.spec?.hostNetwork === true;
    if (!hostNetwork && this.o.network) {
      await this.o.network.tearDown.promise({
        podUid: sandbox.labels[RuntimeLabels.podUid] ?? '',
        podName: sandbox.labels[RuntimeLabels.podName] ?? '',
        namespace: sandbox.labels[RuntimeLabels.podNamespace] ?? '',
        nodeName: this.o.nodeName,
        netns: rec?.network?.sandboxId === sandbox.id ? (rec.network.netns ?? sandbox.netns ?? '') : (sandbox.netns ?? ''),
        sandboxId: sandbox.id,
      });
    }
  }

  // ------------------------------------------------------------ killing

  private podGrace(pod: Pod): number {
    return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  /**
   * Stop one container: Killing event, preStop hook within the grace
   * period, then SIGTERM and SIGKILL after what is left of it (at least 2 s).
   */
  private async killContainer(pod: Pod, instance: ContainerStatus, spec: Container | undefined, graceSeconds: number, message?: string, runPreStop = true): Promise<void> {
    const name = nameOf(instance);
    const kind = kindOf(instance);
    this.o.events.record(podRef(pod, containerFieldPath(kind, name)), 'Normal', 'Killing', message ?? `Stopping container ${name}`);
    let grace = graceSeconds;
    const preStop = spec?.lifecycle?.preStop;
    if (runPreStop && preStop && instance.state === 'running' && grace > 0) {
      const startedAt = this.o.clock.now();
      const outcome = await runLifecycleHook(preStop, pod, spec!, { runtime: this.o.runtime, containerId: instance.id, container: spec!, podIP: this.podIPsOf(pod.metadata?.uid ?? '')[0] ?? '', clock: this.o.clock }, grace * 1000);
      if (!outcome.ok) this.o.events.record(podRef(pod, containerFieldPath(kind, name)), 'Warning', 'FailedPreStopHook', outcome.message);
      grace -= (this.o.clock.now() - startedAt) / 1000;
    }
    if (grace < MIN_GRACE_SECONDS) grace = MIN_GRACE_SECONDS;
    await this.o.runtime.stopContainer(instance.id, Math.ceil(grace));
  }

  /** Stop every running container of the pod in parallel (app containers and init containers alike). */
  private async killAll(pod: Pod, state: PodRuntimeState, graceSeconds: number): Promise<void> {
    const running = state.containers.filter((c) => c.state === 'running' || c.state === 'created');
    await Promise.all(
      running.map((c) => (c.state === 'running' ? this.killContainer(pod, c, this.specOf(pod, nameOf(c), kindOf(c)), graceSeconds) : this.o.runtime.stopContainer(c.id, 0))),
    );
    this.o.probes.removePod(pod.metadata?.uid ?? '');
  }

  // ------------------------------------------------------------ finished and deleted pods

  /** A finished pod: nothing runs again; its sandbox is stopped and its network released once. */
  private async syncFinished(pod: Pod, state: PodRuntimeState, rec: PodRecord): Promise<void> {
    const stillRunning = state.containers.some((c) => c.state === 'running');
    if (stillRunning) {
      await this.killAll(pod, state, this.podGrace(pod));
      state = await this.load(pod.metadata!.uid!);
    }
    this.o.probes.removePod(pod.metadata!.uid!);
    if (!rec.sandboxStopped) {
      for (const s of state.sandboxes) if (s.state === 'ready') await this.stopSandbox(pod, s, rec);
      rec.sandboxStopped = true;
      state = await this.load(pod.metadata!.uid!);
    }
    await this.writeStatus(pod, state, rec, { sandboxReady: false, terminal: true });
  }

  /** Graceful deletion, then removal of the pod object. */
  private async terminate(pod: Pod, state: PodRuntimeState, rec: PodRecord): Promise<void> {
    const uid = pod.metadata!.uid!;
    kill(rec);
    await this.killAll(pod, state, this.podGrace(pod));
    let after = await this.load(uid);
    for (const s of after.sandboxes) if (s.state === 'ready' || !rec.sandboxStopped) await this.stopSandbox(pod, s, rec);
    rec.sandboxStopped = true;
    after = await this.load(uid);
    await this.writeStatus(pod, after, rec, { sandboxReady: false, terminal: true, killed: true });
    await this.o.volumes.tearDown(uid);
    try {
      await this.o.client.delete(PODS, pod.metadata!.name!, { namespace: pod.metadata!.namespace, gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      // Already gone, or the name now belongs to a new pod (the uid precondition failed): nothing left to delete.
      if (!isApiError(err, 'NotFound') && !isApiError(err, 'Conflict')) throw err;
    }
    await this.removeEverything(after);
    this.forgetPod(uid);
  }

  /** A uid the API no longer has: stop and remove all it left on the node. */
  private async cleanUpOrphan(uid: string, state: PodRuntimeState): Promise<void> {
    if (state.containers.length > 0 || state.sandboxes.length > 0) {
      await Promise.all(
        state.containers
          .filter((c) => c.state === 'running')
          .map((c) => {
            const grace = Number(c.labels[GRACE_PERIOD_LABEL] ?? '30');
            return this.o.runtime.stopContainer(c.id, Number.isFinite(grace) ? Math.max(grace, 0) : 30);
          }),
      );
      for (const s of state.sandboxes) await this.stopSandbox(undefined, s, this.records.get(uid));
      await this.removeEverything(state);
    }
    await this.o.volumes.tearDown(uid);
    this.forgetPod(uid);
  }

  private async removeEverything(state: PodRuntimeState): Promise<void> {
    for (const c of state.containers) await this.o.runtime.removeContainer(c.id);
    for (const s of state.sandboxes) await this.o.runtime.removePodSandbox(s.id);
  }

  private forgetPod(uid: string): void {
    this.o.probes.removePod(uid);
    this.o.crashBackoff.resetPrefix(`${uid}/`);
    this.records.delete(uid);
    this.o.forget(uid);
  }

  /**
   * Dead instances beyond the newest two of each container go (the newest
   * is the current state, the one before it is `lastState` and what
   * `logs --previous` reads), and so do dead sandboxes other than the newest.
   */
  private async collectGarbage(state: PodRuntimeState): Promise<void> {
    const seen = new Map<string, number>();
    const kept = new Set<string>();
    for (const c of state.containers) {
      const key = `${kindOf(c)}/${nameOf(c)}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n > 2 && c.state === 'exited') await this.o.runtime.removeContainer(c.id);
      else kept.add(c.id);
    }
    for (const s of state.sandboxes.slice(1)) {
      if (s.state === 'ready') continue;
      // Removing a sandbox removes its containers: keep it while an instance we keep lives in it.
      if (state.containers.some((c) => c.sandboxId === s.id && kept.has(c.id))) continue;
      await this.o.runtime.removePodSandbox(s.id);
    }
  }

  // ------------------------------------------------------------ status

  private async load(uid: string): Promise<PodRuntimeState> {
    return loadPodRuntimeState(this.o.runtime, this.o.nodeName, uid);
  }

  /** Compute the pod's status and write it when it changed. Returns the status. */
  private async writeStatus(pod: Pod, state: PodRuntimeState, rec: PodRecord, opts: { sandboxReady: boolean; terminal?: boolean; killed?: boolean }): Promise<PodStatus> {
    await this.readTerminationMessages(pod, state, rec);
    const computed = computePodStatus({
      pod,
      state,
      runtimeName: this.o.runtime.name,
      reasons: rec.reasons ?? NO_REASONS,
      probes: this.o.probes,
      podIPs: rec.network?.ips ?? [],
      hostIPs: this.o.hostIPs(),
      sandboxReady: opts.sandboxReady && (pod.spec?.hostNetwork === true || (rec.network?.ips.length ?? 0) > 0),
      terminationMessage: (c) => rec.messages?.get(c.id),
      podIsTerminal: opts.terminal ?? false,
      killed: opts.killed,
      podReason: rec.podReason,
      now: this.o.clock.now(),
    });
    // The newer of the cache and what we last wrote is "before" (the cache may lag our own write).
    const cacheRv = pod.metadata?.resourceVersion ?? '';
    const written = rec.lastWritten;
    const before = written && newerVersion(written.resourceVersion, cacheRv) ? written.status : pod.status;
    // The cache has our write (or something newer): it is what the next sync compares with.
    if (written && before === pod.status) rec.lastWritten = undefined;
    const status = mergePodStatus(before, computed, this.o.clock.now());
    if (sameStatus(status, before)) return status;
    try {
      const updated = await this.o.client.patch<Pod & KubeObject>(
        PODS,
        pod.metadata!.name!,
        'json',
        [
          { op: 'test', path: '/metadata/uid', value: pod.metadata!.uid },
          { op: 'add', path: '/status', value: status },
        ],
        { namespace: pod.metadata!.namespace, subresource: 'status' },
      );
      rec.lastWritten = { status, resourceVersion: updated.metadata?.resourceVersion ?? '' };
    } catch (err) {
      // The pod is gone or is another pod by now: its next sync sees that.
      if (isApiError(err, 'NotFound') || isApiError(err, 'Invalid') || isApiError(err, 'Conflict')) return status;
      throw err;
    }
    return status;
  }

  /** Termination messages of exited instances: the file the container wrote, or (FallbackToLogsOnError) its log tail. */
  private async readTerminationMessages(pod: Pod, state: PodRuntimeState, rec: PodRecord): Promise<void> {
    const uid = pod.metadata!.uid!;
    for (const c of state.containers) {
      if (c.state !== 'exited' || rec.messages?.has(c.id)) continue;
      const name = nameOf(c);
      const spec = this.specOf(pod, name, kindOf(c));
      let message: string | undefined;
      const file = path.join(this.o.volumes.podDir(uid), 'containers', name, String(restartCountOf(c)));
      try {
        const handle = await fs.open(file, 'r');
        try {
          const buf = Buffer.alloc(MAX_TERMINATION_MESSAGE);
          const { bytesRead } = await handle.read(buf, 0, MAX_TERMINATION_MESSAGE, 0);
          message = buf.subarray(0, bytesRead).toString('utf8') || undefined;
        } finally {
          await handle.close();
        }
      } catch {
        // No file (created before it existed, or already cleaned up): no message from it.
      }
      if (!message && spec?.terminationMessagePolicy === 'FallbackToLogsOnError' && (c.exitCode ?? 0) !== 0) {
        message = await this.logTail(c.id);
      }
      (rec.messages ??= new Map()).set(c.id, message ?? c.message);
    }
    if (!rec.messages) return;
    const ids = new Set(state.containers.map((c) => c.id));
    for (const id of [...rec.messages.keys()]) if (!ids.has(id)) rec.messages.delete(id);
    if (rec.messages.size === 0) rec.messages = undefined;
  }

  private async logTail(id: string): Promise<string | undefined> {
    try {
      const stream = await this.o.runtime.logs(id, { follow: false, tailLines: FALLBACK_LOG_LINES, limitBytes: FALLBACK_LOG_BYTES, timestamps: false });
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
      const text = Buffer.concat(chunks).toString('utf8');
      return text.length > FALLBACK_LOG_BYTES ? text.slice(-FALLBACK_LOG_BYTES) : text || undefined;
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------ helpers

  private newestByName(state: PodRuntimeState): Map<string, ContainerStatus> {
    const out = new Map<string, ContainerStatus>();
    for (const c of state.containers) if (!out.has(nameOf(c))) out.set(nameOf(c), c);
    return out;
  }

  private specOf(pod: Pod, name: string, kind: ContainerKind): Container | undefined {
    const list = kind === 'init' ? pod.spec?.initContainers : pod.spec?.containers;
    return list?.find((c) => c.name === name);
  }

  /** Every uid with a record (for housekeeping). */
  knownUids(): string[] {
    return [...this.records.keys()];
  }

  /** Stop a pod's in-flight work (shutdown). */
  abortAll(): void {
    for (const rec of this.records.values()) kill(rec);
  }
}

function setReason(rec: PodRecord, key: string, reason: WaitingReason): void {
  (rec.reasons ??= new Map()).set(key, reason);
}

/** The signal an image pull of the pod watches: aborted once the pod is being killed. */
function pullSignal(rec: PodRecord): AbortSignal {
  if (!rec.abort) {
    rec.abort = new AbortController();
    if (rec.killed) rec.abort.abort();
  }
  return rec.abort.signal;
}

function kill(rec: PodRecord): void {
  rec.killed = true;
  rec.abort?.abort();
}

/** a > b for resourceVersions (numeric in skiff's store; unknown ones compare as not newer). */
function newerVersion(a: string, b: string): boolean {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}
