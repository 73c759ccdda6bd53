/**
 * The ContainerRuntime through the Docker engine: a pod sandbox is a pause
 * container holding the pod's network and IPC namespaces; the pod's
 * containers join it. Everything created carries the RuntimeLabels (and the
 * node's name), so an agent that restarts finds it again by listing.
 */
import { readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import {
  ImagePullError,
  RuntimeLabels,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerStatus,
  type ExecOptions,
  type ExecSession,
  type ImageInfo,
  type LogOptions,
  type PodSandboxConfig,
  type PodSandboxStatus,
} from '../../kernel/runtime/types';
import { engineStatus, isNotFound, runtimeError } from './errors';
import { imageStatus, inspectImage, pullImage } from './images';
import { openLogs } from './logs';
import { createTerminationMessageFile, resolveMountSource } from './mounts';
import type { ResolvedDockerRuntimeOptions } from './options';
import { killExecProcess, pollUntil, startSession } from './sessions';
import { containerCreateOptions, sandboxCreateOptions, SandboxIdLabel, TerminationMessageLabel } from './spec';
import { toContainerStatus, toImageInfo, toSandboxStatus } from './status';

/** How long after a session's output ends the engine may take to report the exit (it lags by milliseconds). */
const EXIT_REPORT_DEADLINE_MS = 10_000;
/** How long an attach waits, after its streams end, for the container to stop before calling it detached. */
const DETACH_DEADLINE_MS = 2_000;
/** Kubernetes caps termination messages at 4096 bytes. */
const MAX_TERMINATION_MESSAGE_BYTES = 4096;

export interface DockerRuntimeContext {
  readonly nodeName: string;
  readonly dataDir: string;
  readonly options: ResolvedDockerRuntimeOptions;
}

export class DockerRuntime implements ContainerRuntime {
  readonly name = 'docker';
  /** Aborted by close(): ends every log stream and session still open. */
  private readonly lifetime = new AbortController();

  constructor(
    private readonly docker: Docker,
    private readonly context: DockerRuntimeContext,
  ) {}

  async version(): Promise<{ name: string; version: string }> {
    try {
      const v = await this.docker.version();
      return { name: 'docker', version: v.Version };
    } catch (err) {
      throw runtimeError('cannot ask the Docker engine its version', err);
    }
  }

  // ---- images ----

  imageStatus(image: string): Promise<ImageInfo | undefined> {
    return imageStatus(this.docker, image);
  }

  pullImage(image: string, signal?: AbortSignal): Promise<ImageInfo> {
    if (this.context.options.offline) {
      // An air-gapped node asks no registry (not even a DNS lookup): the agent falls back to what is present.
      return Promise.reject(new ImagePullError(image, `failed to pull image ${JSON.stringify(image)}: registry unreachable: the node is offline (runtime-docker option offline)`, true));
    }
    return pullImage(this.docker, image, signal);
  }

  async listImages(): Promise<ImageInfo[]> {
    try {
      return (await this.docker.listImages()).map(toImageInfo);
    } catch (err) {
      throw runtimeError('cannot list images', err);
    }
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const { pauseImage, network } = this.context.options;
    // Never pulled: the pause image is built on the node (scripts/images).
    if (!(await inspectImage(this.docker, pauseImage))) {
      throw runtimeError(`the pause image ${pauseImage} is not on this node (build it with scripts/images)`);
    }
    const spec = sandboxCreateOptions(config, { nodeName: this.context.nodeName, pauseImage, network });
    const id = await this.create(spec, `the sandbox of pod ${config.namespace}/${config.podName}`);
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      await this.forceRemove(id);
      throw runtimeError(`cannot start the sandbox of pod ${config.namespace}/${config.podName}`, err);
    }
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    // Containers the agent has not stopped itself go without grace, as CRI
    // runtimes stop them; then the pause container.
    for (const c of await this.listContainerIds({ [SandboxIdLabel]: id })) await this.stop(c, 0);
    await this.stop(id, this.context.options.stopTimeoutSeconds);
  }

  async removePodSandbox(id: string): Promise<void> {
    for (const c of await this.listContainerIds({ [SandboxIdLabel]: id })) await this.removeContainer(c);
    await this.forceRemove(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    const info = await this.inspect(id);
    return info && toSandboxStatus(info);
  }

  async listPodSandboxes(filter?: { labels?: Readonly<Record<string, string>> }): Promise<PodSandboxStatus[]> {
    const ids = await this.listIds({ ...this.scope(filter?.labels), [RuntimeLabels.type]: 'podsandbox' });
    const infos = await Promise.all(ids.map((id) => this.inspect(id)));
    return infos.filter((i): i is Docker.ContainerInspectInfo => !!i).map(toSandboxStatus);
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    const sandbox = await this.inspect(sandboxId);
    if (!sandbox || sandbox.Config.Labels?.[RuntimeLabels.type] !== 'podsandbox') {
      throw runtimeError(`cannot create container ${config.name}: no pod sandbox ${sandboxId}`);
    }
    const image = await inspectImage(this.docker, config.image);
    if (!image) throw runtimeError(`cannot create container ${config.name}: image ${JSON.stringify(config.image)} is not present (pull it first)`);
    const mountSources = config.mounts.map(resolveMountSource);
    // The runtime provides the termination message file unless the agent
    // mounts one there itself.
    const terminationMessageFile =
      config.terminationMessagePath && !config.mounts.some((m) => m.containerPath === config.terminationMessagePath)
        ? createTerminationMessageFile(this.context.dataDir)
        : undefined;
    const spec = containerCreateOptions(config, {
      sandboxId: sandbox.Id,
      sandboxLabels: sandbox.Config.Labels ?? {},
      imageUser: image.Config?.User,
      mountSources,
      terminationMessageFile,
    });
    try {
      return await this.create(spec, `container ${config.name}`);
    } catch (err) {
      if (terminationMessageFile) rmSync(terminationMessageFile, { force: true });
      throw err;
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      throw runtimeError(`cannot start container ${id}`, err);
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.stop(id, timeoutSeconds);
  }

  async removeContainer(id: string): Promise<void> {
    const info = await this.inspect(id);
    if (!info) return;
    await this.forceRemove(id);
    const file = info.Config.Labels?.[TerminationMessageLabel];
    if (file) rmSync(file, { force: true });
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const info = await this.inspect(id);
    if (!info) return undefined;
    return this.toStatus(info, new Map());
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    const labels: Record<string, string> = { ...this.scope(filter?.labels), [RuntimeLabels.type]: 'container' };
    if (filter?.sandboxId) labels[SandboxIdLabel] = filter.sandboxId;
    const ids = await this.listIds(labels);
    const images = new Map<string, Promise<Docker.ImageInspectInfo | undefined>>();
    const infos = await Promise.all(ids.map((id) => this.inspect(id)));
    return Promise.all(infos.filter((i): i is Docker.ContainerInspectInfo => !!i).map((i) => this.toStatus(i, images)));
  }

  // ---- streams ----

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    const container = this.docker.getContainer(id);
    let exec: Docker.Exec;
    try {
      exec = await container.exec({
        Cmd: [...options.command],
        AttachStdin: !!options.stdin,
        AttachStdout: !!options.stdout,
        AttachStderr: !!options.stderr,
        Tty: options.tty,
      });
    } catch (err) {
      throw runtimeError(`cannot exec in container ${id}`, err);
    }
    const signal = this.sessionSignal(options.signal);
    let connection: Duplex;
    try {
      connection = (await exec.start({ hijack: true, stdin: !!options.stdin, Tty: options.tty })) as Duplex;
    } catch (err) {
      throw runtimeError(`cannot start exec in container ${id}`, err);
    }
    const exitCode = async () => {
      const info = await exec.inspect();
      return info.Running ? undefined : (info.ExitCode ?? -1);
    };
    let killed = false;
    return startSession(connection, { ...options, signal }, {
      resize: (w, h) => exec.resize({ w, h }),
      onAbort: async () => {
        // The engine can report a running exec with pid 0 for a moment: wait for the pid (or the end).
        const pid = await pollUntil(async () => {
          const info = await exec.inspect();
          return !info.Running ? 0 : info.Pid > 0 ? info.Pid : undefined;
        }, DETACH_DEADLINE_MS);
        if (pid) killed = killExecProcess(pid, id);
      },
      exitCode: async (aborted) => {
        // A process we killed is reported gone by the engine in its own time (seconds on a busy node): wait for it.
        const code = await pollUntil(exitCode, aborted && !killed ? DETACH_DEADLINE_MS : EXIT_REPORT_DEADLINE_MS);
        if (code !== undefined) return code;
        // Aborted and the process outlived the kill we could (or could not) send.
        if (aborted) return -1;
        throw runtimeError(`exec in container ${id}: its streams ended but the process is still running`);
      },
    });
  }

  /**
   * Attach to the main process. Unlike exec, abort only detaches (a client
   * going away must not kill the container), and `done` resolves with the
   * container's exit code when it stopped, 0 when the session merely
   * detached (its streams ended while the container runs on).
   */
  async attach(id: string, options: Omit<ExecOptions, 'command'>): Promise<ExecSession> {
    const info = await this.inspect(id);
    if (!info) throw runtimeError(`cannot attach to container ${id}: no such container`);
    if (!info.State.Running) throw runtimeError(`cannot attach to container ${id}: it is not running`);
    const container = this.docker.getContainer(id);
    const signal = this.sessionSignal(options.signal);
    let connection: Duplex;
    try {
      connection = (await container.attach({
        stream: true,
        stdin: !!options.stdin && info.Config.OpenStdin,
        stdout: !!options.stdout,
        stderr: !!options.stderr,
        hijack: true,
      })) as unknown as Duplex;
    } catch (err) {
      throw runtimeError(`cannot attach to container ${id}`, err);
    }
    const stopped = async () => {
      const now = await this.inspect(id);
      return !now ? -1 : now.State.Running ? undefined : now.State.ExitCode;
    };
    return startSession(connection, { ...options, stdin: info.Config.OpenStdin ? options.stdin : undefined, tty: info.Config.Tty, signal }, {
      resize: (w, h) => container.resize({ w, h }),
      onAbort: async () => undefined,
      // Detached by abort: what is known now. Otherwise the streams ended
      // because the container stopped (its state lags a little) or detached.
      exitCode: async (aborted) => (aborted ? await stopped() : await pollUntil(stopped, DETACH_DEADLINE_MS)) ?? 0,
    });
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    const info = await this.inspect(id);
    if (!info) throw runtimeError(`cannot read the log of container ${id}: no such container`);
    return openLogs(this.docker, id, info.Config.Tty, { ...options, signal: this.sessionSignal(options.signal) });
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    const info = await this.inspect(sandboxId);
    if (!info) throw runtimeError(`cannot forward to port ${port}: no pod sandbox ${sandboxId}`);
    const status = toSandboxStatus(info);
    const host = info.HostConfig.NetworkMode === 'host' ? '127.0.0.1' : status.ip;
    if (status.state !== 'ready' || !host) throw runtimeError(`cannot forward to port ${port}: pod sandbox ${sandboxId} is not running`);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(socket);
      });
      const onError = (err: Error) => reject(runtimeError(`cannot connect to ${host}:${port} in pod sandbox ${sandboxId}`, err));
      socket.once('error', onError);
    });
  }

  async close(): Promise<void> {
    this.lifetime.abort(new Error('the runtime is closing'));
  }

  // ---- helpers ----

  /** The caller's signal, also aborted when the runtime closes. */
  private sessionSignal(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.lifetime.signal]) : this.lifetime.signal;
  }

  /**
   * Lists are scoped to this runtime's node (several nodes may share one
   * engine), unless the caller names a node label itself.
   */
  private scope(labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
    return { [RuntimeLabels.node]: this.context.nodeName, ...labels };
  }

  private async create(spec: Docker.ContainerCreateOptions, what: string): Promise<string> {
    try {
      return (await this.docker.createContainer(spec)).id;
    } catch (err) {
      throw runtimeError(`cannot create ${what}`, err);
    }
  }

  private async inspect(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(id).inspect();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw runtimeError(`cannot inspect container ${id}`, err);
    }
  }

  /** The engine's stop: the stop signal (SIGTERM unless the image says otherwise), SIGKILL after `t` seconds. */
  private async stop(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.floor(timeoutSeconds)) });
    } catch (err) {
      // 304: already stopped; 404: already gone. Both are what was asked.
      if (engineStatus(err) === 304 || isNotFound(err)) return;
      throw runtimeError(`cannot stop container ${id}`, err);
    }
  }

  private async forceRemove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      // 404: gone already. 409 "removal already in progress": another caller is doing it.
      if (isNotFound(err) || (engineStatus(err) === 409 && /already in progress/i.test(String(err)))) return;
      throw runtimeError(`cannot remove container ${id}`, err);
    }
  }

  private async listIds(labels: Record<string, string>): Promise<string[]> {
    try {
      const list = await this.docker.listContainers({ all: true, filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) } });
      return list.map((c) => c.Id);
    } catch (err) {
      throw runtimeError('cannot list containers', err);
    }
  }

  private listContainerIds(labels: Record<string, string>): Promise<string[]> {
    return this.listIds({ ...labels, [RuntimeLabels.type]: 'container' });
  }

  private async toStatus(info: Docker.ContainerInspectInfo, images: Map<string, Promise<Docker.ImageInspectInfo | undefined>>): Promise<ContainerStatus> {
    let image = images.get(info.Image);
    if (!image) {
      image = inspectImage(this.docker, info.Image);
      images.set(info.Image, image);
    }
    const imageInfo = await image;
    return toContainerStatus(info, imageInfo && toImageInfo(imageInfo), this.terminationMessage(info));
  }

  /** The container's termination message, once it has exited (from the file the runtime mounted). */
  private terminationMessage(info: Docker.ContainerInspectInfo): string | undefined {
    const file = info.Config.Labels?.[TerminationMessageLabel];
    if (!file || info.State.Running) return undefined;
    try {
      const bytes = readFileSync(file);
      return bytes.subarray(0, MAX_TERMINATION_MESSAGE_BYTES).toString('utf8') || undefined;
    } catch {
      // Removed along with its container, or never written: no message.
      return undefined;
    }
  }
}
