/**
 * Test support for the node agent: a FakeContainerRuntime test double (an
 * in-memory ContainerRuntime whose containers do what the test says, with
 * time from a FakeClock), fixed host facts, and a harness that builds a
 * NodeAgent over the FakeApiClient the way the plugin would.
 *
 * FakeContainerRuntime rules (say so in a test that depends on one):
 * - a container runs from start until the test ends it (`exit`), until it is
 *   stopped (exit 143, or 137 when stopped with no grace), or, when its
 *   command is `sh -c "exit N"`, exits with N at once;
 * - `startFailures` names containers whose start fails (as a missing binary
 *   does in Docker: the instance stays, exited with 128, ContainerCannotRun);
 * - images: present ones in `images`; a pull of another image fails as
 *   `pullResults` says (not found by default), or succeeds when set to 'ok';
 * - exec runs `execHandler` (default: exit 0); logs are the lines in `logs`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1';
import type {
  ContainerConfig,
  ContainerFilter,
  ContainerRuntime,
  ContainerStatus,
  ExecOptions,
  ExecSession,
  ImageInfo,
  LogOptions,
  PodSandboxConfig,
  PodSandboxStatus,
} from '../../../kernel/runtime/types';
import { ImagePullError, RuntimeLabels } from '../../../kernel/runtime/types';
import { silentLogger } from '../../../kernel/log';
import type { KubeObject, StoredObject } from '../../../kernel/api/types';
import { FakeApiClient } from '../../kernel/client/fake-api';
import { FakeClock, settle } from '../../kernel/client/fake-clock';
import { NodeAgent } from '../../../plugins/node-agent/agent';
import type { NodeAgentOptions } from '../../../plugins/node-agent/agent';
import type { HostFacts } from '../../../plugins/node-agent/host';
import type { NodeAgentPluginOptions } from '../../../plugins/node-agent/options';
import type { Mounter } from '../../../plugins/node-agent/volumes';

export { FakeApiClient, FakeClock, settle };

/**
 * The FakeApiClient with the API server's graceful pod deletion (the fake
 * ignores grace periods): deleting a pod bound to a node that has not
 * finished sets deletionTimestamp and deletionGracePeriodSeconds (the
 * request's, else the pod's terminationGracePeriodSeconds, else 30) and
 * leaves it to the node; grace 0 deletes at once.
 */
export class GracefulPodsApi extends FakeApiClient {
  constructor(private readonly clock: FakeClock) {
    super({ now: () => new Date(clock.now()) });
  }

  override async delete(type: Parameters<FakeApiClient['delete']>[0], name: string, options: Parameters<FakeApiClient['delete']>[2] = {}) {
    if (type.resource === 'pods' && options.gracePeriodSeconds !== 0) {
      // Reaching into the fake's store: it has no graceful deletion of its own.
      const internals = this as unknown as { objects: Map<string, StoredObject>; key(t: unknown, ns: string | undefined, n: string): string; store(t: unknown, prev: StoredObject, next: StoredObject): KubeObject };
      const key = internals.key(type, options.namespace, name);
      const existing = internals.objects.get(key) as (StoredObject & { spec?: Pod['spec']; status?: Pod['status'] }) | undefined;
      const phase = existing?.status?.phase;
      if (existing && existing.spec?.nodeName && phase !== 'Succeeded' && phase !== 'Failed') {
        if (existing.metadata.deletionTimestamp) return JSON.parse(JSON.stringify(existing)) as KubeObject;
        const next = JSON.parse(JSON.stringify(existing)) as StoredObject;
        const meta = next.metadata as { deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
        meta.deletionTimestamp = new Date(this.clock.now()).toISOString();
        meta.deletionGracePeriodSeconds = options.gracePeriodSeconds ?? existing.spec.terminationGracePeriodSeconds ?? 30;
        return internals.store(type, existing, next);
      }
    }
    return super.delete(type, name, options);
  }
}

export interface FakeSandbox {
  id: string;
  config: PodSandboxConfig;
  state: 'ready' | 'notready';
  createdAt: Date;
  ip: string;
  removed: boolean;
}

export interface FakeContainer {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  state: 'created' | 'running' | 'exited';
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  reason?: string;
  message?: string;
  logs: string[];
}

export type PullResult = 'ok' | 'notfound' | 'unreachable';

function matches(labels: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(wanted ?? {}).every(([k, v]) => labels[k] === v);
}

export function imageInfo(name: string): ImageInfo {
  const tagged = name.includes(':') ? name : `${name}:latest`;
  return { id: `sha256:${Buffer.from(tagged).toString('hex').padEnd(64, '0').slice(0, 64)}`, repoTags: [tagged], repoDigests: [], size: 1234 };
}

/** An in-memory ContainerRuntime test double (see the module comment for its rules). */
export class FakeContainerRuntime implements ContainerRuntime {
  readonly name = 'fake';
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Map<string, ImageInfo>();
  readonly pullResults = new Map<string, PullResult>();
  readonly startFailures = new Set<string>();
  /** Every mutating call, in order: `runPodSandbox web`, `createContainer web/app`, `stopContainer web/app 30`... */
  readonly calls: string[] = [];
  pulls = 0;
  /** What an exec does: its exit code and output, or `done` to decide when it ends (a hanging command). */
  execHandler: (container: FakeContainer, command: readonly string[]) => { exitCode?: number; output?: string; done?: Promise<number> } = () => ({ exitCode: 0 });
  /** Every exec, as `pod/container: command words`. */
  readonly execs: string[] = [];
  down = false;
  private seq = 0;
  private lastCreated = 0;

  constructor(private readonly clock: FakeClock) {
    this.images.set('busybox:latest', imageInfo('busybox'));
  }

  private now(): Date {
    // Strictly increasing creation times, so "newest first" is never a tie.
    const t = Math.max(this.clock.now(), this.lastCreated + 1);
    this.lastCreated = t;
    return new Date(t);
  }

  private check(): void {
    if (this.down) throw new Error('Cannot connect to the fake runtime');
  }

  private label(c: FakeContainer): string {
    return `${c.config.labels[RuntimeLabels.podName] ?? '?'}/${c.config.name}`;
  }

  async version() {
    this.check();
    return { name: 'fake', version: '1.0.0' };
  }

  private key(image: string): string {
    return image.includes(':') || image.includes('@') ? image : `${image}:latest`;
  }

  async imageStatus(image: string) {
    this.check();
    return this.images.get(this.key(image));
  }

  async pullImage(image: string) {
    this.check();
    this.pulls++;
    const result = this.pullResults.get(this.key(image)) ?? (this.images.has(this.key(image)) ? 'ok' : 'notfound');
    if (result === 'unreachable') throw new ImagePullError(image, `failed to pull image "${image}": registry unreachable: dial tcp: lookup registry-1.docker.io: no such host`, true);
    if (result === 'notfound') throw new ImagePullError(image, `failed to pull image "${image}": not found: manifest unknown`, false);
    const info = this.images.get(this.key(image)) ?? imageInfo(image);
    this.images.set(this.key(image), info);
    return info;
  }

  async listImages() {
    this.check();
    return [...this.images.values()];
  }

  async runPodSandbox(config: PodSandboxConfig) {
    this.check();
    const id = `s${++this.seq}`;
    this.sandboxes.set(id, { id, config, state: 'ready', createdAt: this.now(), ip: config.hostNetwork ? '' : `10.88.0.${this.seq}`, removed: false });
    this.calls.push(`runPodSandbox ${config.podName}`);
    return id;
  }

  async stopPodSandbox(id: string) {
    this.check();
    const s = this.sandboxes.get(id);
    if (!s) return;
    for (const c of this.containers.values()) if (c.sandboxId === id && c.state === 'running') this.finish(c, 137);
    if (s.state === 'ready') this.calls.push(`stopPodSandbox ${s.config.podName}`);
    s.state = 'notready';
  }

  async removePodSandbox(id: string) {
    this.check();
    const s = this.sandboxes.get(id);
    if (!s) return;
    await this.stopPodSandbox(id);
    for (const c of [...this.containers.values()]) if (c.sandboxId === id) this.containers.delete(c.id);
    this.sandboxes.delete(id);
    this.calls.push(`removePodSandbox ${s.config.podName}`);
  }

  private sandboxStatus(s: FakeSandbox): PodSandboxStatus {
    return { id: s.id, state: s.state, createdAt: s.createdAt, ip: s.ip || undefined, netns: `/proc/fake-${s.id}/ns/net`, labels: s.config.labels };
  }

  async podSandboxStatus(id: string) {
    this.check();
    const s = this.sandboxes.get(id);
    return s ? this.sandboxStatus(s) : undefined;
  }

  async listPodSandboxes(filter?: { labels?: Readonly<Record<string, string>> }) {
    this.check();
    return [...this.sandboxes.values()].filter((s) => matches(s.config.labels, filter?.labels)).map((s) => this.sandboxStatus(s));
  }

  async createContainer(sandboxId: string, config: ContainerConfig) {
    this.check();
    const id = `c${++this.seq}`;
    const c: FakeContainer = { id, sandboxId, config, state: 'created', createdAt: this.now(), logs: [] };
    this.containers.set(id, c);
    this.calls.push(`createContainer ${this.label(c)}`);
    return id;
  }

  async startContainer(id: string) {
    this.check();
    const c = this.containers.get(id);
    if (!c) throw new Error(`no such container: ${id}`);
    this.calls.push(`startContainer ${this.label(c)}`);
    if (this.startFailures.has(c.config.name)) {
      c.state = 'exited';
      c.exitCode = 128;
      c.reason = 'ContainerCannotRun';
      c.message = 'exec: "nope": executable file not found in $PATH';
      c.finishedAt = new Date(this.clock.now());
      throw new Error(c.message);
    }
    c.state = 'running';
    c.startedAt = new Date(this.clock.now());
    const words = [...(c.config.command ?? []), ...(c.config.args ?? [])];
    const m = words.length === 3 && words[0] === 'sh' && words[1] === '-c' ? /^exit (\d+)$/.exec(words[2]) : null;
    if (m) this.finish(c, Number(m[1]));
  }

  /** End a running container with `exitCode` (the test's way of making it crash or complete). */
  exit(id: string, exitCode: number, reason?: string): void {
    const c = this.containers.get(id);
    if (!c || c.state !== 'running') throw new Error(`container ${id} is not running`);
    this.finish(c, exitCode, reason);
  }

  private finish(c: FakeContainer, exitCode: number, reason?: string): void {
    c.state = 'exited';
    c.exitCode = exitCode;
    c.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    c.finishedAt = new Date(this.clock.now());
  }

  async stopContainer(id: string, timeoutSeconds: number) {
    this.check();
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`stopContainer ${this.label(c)} ${timeoutSeconds}`);
    if (c.state === 'running') this.finish(c, timeoutSeconds > 0 ? 143 : 137);
    else if (c.state === 'created') this.finish(c, 0);
  }

  async removeContainer(id: string) {
    this.check();
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`removeContainer ${this.label(c)}`);
    this.containers.delete(id);
  }

  private status(c: FakeContainer): ContainerStatus {
    return {
      id: c.id,
      sandboxId: c.sandboxId,
      name: c.config.name,
      state: c.state,
      createdAt: c.createdAt,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      exitCode: c.exitCode,
      reason: c.reason,
      message: c.message,
      image: c.config.image.includes(':') ? c.config.image : `${c.config.image}:latest`,
      imageRef: `fake-pullable://${c.config.image}@sha256:0123`,
      labels: c.config.labels,
    };
  }

  async containerStatus(id: string) {
    this.check();
    const c = this.containers.get(id);
    return c ? this.status(c) : undefined;
  }

  async listContainers(filter?: ContainerFilter) {
    this.check();
    return [...this.containers.values()].filter((c) => matches(c.config.labels, filter?.labels) && (!filter?.sandboxId || c.sandboxId === filter.sandboxId)).map((c) => this.status(c));
  }

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    this.check();
    const c = this.containers.get(id);
    if (!c || c.state !== 'running') throw new Error(`container ${id} is not running`);
    this.execs.push(`${this.label(c)}: ${options.command.join(' ')}`);
    const result = this.execHandler(c, options.command);
    if (result.output) options.stdout?.write(result.output);
    return { resize() {}, done: result.done ?? Promise.resolve(result.exitCode ?? 0) };
  }

  async attach(id: string, options: Omit<ExecOptions, 'command'>): Promise<ExecSession> {
    return this.exec(id, { ...options, command: [] });
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    this.check();
    const c = this.containers.get(id);
    if (!c) throw new Error(`no such container: ${id}`);
    let lines = c.logs.map((l) => `${l}\n`);
    if (options.tailLines !== undefined) lines = lines.slice(-options.tailLines || lines.length);
    return Readable.from(lines.map((l) => Buffer.from(l)));
  }

  async portForward(): Promise<import('node:stream').Duplex> {
    return new PassThrough();
  }

  async close() {}

  /** The instances of a pod's container, oldest first. */
  instances(podName: string, name: string): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.config.labels[RuntimeLabels.podName] === podName && c.config.name === name).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** The newest instance of a pod's container. */
  newest(podName: string, name: string): FakeContainer | undefined {
    return this.instances(podName, name).at(-1);
  }
}

export const HOST: HostFacts = {
  hostname: 'test-host',
  internalIP: '192.0.2.10',
  cpus: 4,
  memoryBytes: 8 * 1024 ** 3,
  ephemeralStorageBytes: 100 * 1024 ** 3,
  kernelVersion: '6.1.0-test',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  operatingSystem: 'linux',
  architecture: 'amd64',
  machineID: 'machine-id',
  systemUUID: 'system-uuid',
  bootID: 'boot-id',
};

/** A Mounter test double: records tmpfs mounts instead of calling mount(8). */
export class FakeMounter implements Mounter {
  readonly mounted = new Set<string>();
  fail?: string;
  async mountTmpfs(target: string) {
    if (this.fail) throw new Error(this.fail);
    this.mounted.add(target);
  }
  async unmount(target: string) {
    this.mounted.delete(target);
  }
  isMountPoint(target: string) {
    return this.mounted.has(target);
  }
}

export const PODS = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } as const;
export const EVENTS = { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true } as const;
export const NODE = 'node-a';

export interface Harness {
  readonly api: FakeApiClient;
  readonly runtime: FakeContainerRuntime;
  readonly clock: FakeClock;
  readonly mounter: FakeMounter;
  readonly dataDir: string;
  agent: NodeAgent;
  /** A new agent over the same API, runtime and data directory (an agent restart). */
  restart(): Promise<NodeAgent>;
  /** Move time forward and let the agent finish what that triggered. */
  advance(ms: number): Promise<void>;
  /** Let pending syncs and events land. */
  settle(): Promise<void>;
  /** Retry `check` until it passes (for work on real sockets, which no clock drives), failing after `ms` of real time. */
  eventually(check: () => Promise<void> | void, ms?: number): Promise<void>;
  /** Create a pod bound to the node (Kubernetes' defaults that matter here filled in). */
  createPod(name: string, spec: Partial<Pod['spec']> & { containers: NonNullable<Pod['spec']>['containers'] }, metadata?: Record<string, unknown>): Promise<Pod>;
  pod(name: string, namespace?: string): Promise<Pod>;
  /** Events about a pod (or every event), as `Type Reason: message (count)`. */
  events(podName?: string): Promise<string[]>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  config?: NodeAgentPluginOptions;
  agent?: Partial<NodeAgentOptions>;
  start?: boolean;
  api?: FakeApiClient;
  runtime?: FakeContainerRuntime;
  clock?: FakeClock;
  dataDir?: string;
}

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new FakeClock(Date.UTC(2024, 0, 1, 12, 0, 0));
  const api = options.api ?? new GracefulPodsApi(clock);
  const runtime = options.runtime ?? new FakeContainerRuntime(clock);
  const mounter = new FakeMounter();
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'skiff-node-agent-'));
  const make = () =>
    new NodeAgent({
      client: api,
      runtime,
      nodeName: NODE,
      dataDir,
      clock,
      logger: silentLogger,
      host: () => HOST,
      resolvConf: () => ({ servers: ['10.0.0.53'], searches: ['example.internal'], options: [] }),
      mounter,
      config: { probeTimeScale: 1, ...options.config },
      ...options.agent,
    });
  const agents: NodeAgent[] = [];
  const h: Harness = {
    api,
    runtime,
    clock,
    mounter,
    dataDir,
    agent: make(),
    async restart() {
      await h.agent.stop();
      h.agent = make();
      agents.push(h.agent);
      await h.agent.start();
      await h.settle();
      return h.agent;
    },
    async advance(ms) {
      // Timer by timer, letting what each one started finish before time moves on.
      const target = clock.now() + ms;
      for (;;) {
        const next = clock.nextTimerIn();
        if (next === undefined || clock.now() + next > target) break;
        await clock.advance(next);
        await h.settle();
      }
      await clock.advance(target - clock.now());
      await h.settle();
    },
    async settle() {
      for (let i = 0; i < 5; i++) {
        await api.flush();
        // A sync may be waiting on the fake clock (a preStop sleep, a grace period): that
        // is as settled as it gets until the test moves time, so the wait is bounded.
        let timer: NodeJS.Timeout | undefined;
        const blocked = new Promise<'blocked'>((resolve) => (timer = setTimeout(() => resolve('blocked'), 200)));
        const outcome = await Promise.race([h.agent.settled(), blocked]);
        clearTimeout(timer);
        await settle();
        if (outcome === 'blocked') return;
      }
    },
    async eventually(check, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        await h.settle();
        try {
          await check();
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    },
    async createPod(name, spec, metadata = {}) {
      const pod = await api.create<Pod & KubeObject>(
        PODS,
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: 'default', ...metadata },
          spec: { nodeName: NODE, restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...spec },
          status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-01-01T11:59:00Z' }] },
        } as KubeObject,
        { namespace: 'default' },
      );
      await h.settle();
      return pod;
    },
    async pod(name, namespace = 'default') {
      return api.get<Pod & KubeObject>(PODS, name, { namespace });
    },
    async events(podName) {
      const list = await api.list<KubeObject & { involvedObject: { name: string; kind: string }; type: string; reason: string; message: string; count: number; lastTimestamp: string }>(EVENTS);
      return list.items
        .filter((e) => podName === undefined || (e.involvedObject.kind === 'Pod' && e.involvedObject.name === podName))
        .sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1))
        .map((e) => `${e.type} ${e.reason}: ${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`);
    },
    async stop() {
      await h.agent.stop();
      for (const a of agents) await a.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  agents.push(h.agent);
  if (options.start !== false) {
    await h.agent.start();
    await h.settle();
  }
  return h;
}

/** The STATUS column kubectl would show for a pod. */
export { podRow } from '../../../kernel/api/resources/pods';
