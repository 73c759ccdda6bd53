/**
 * The ContainerRuntime: what the node agent (skiff's kubelet) asks of a
 * container engine, shaped like Kubernetes' CRI. Implementations are plugins:
 * `runtime-docker` (real containers through the Docker engine) and
 * `runtime-simulated` (in memory, for rehearsing large clusters; never the
 * default). A node names its runtime in cluster.yaml (`nodes[].runtime`).
 *
 * Everything a runtime creates carries the labels below, so that an agent
 * that restarts (even after kill -9) finds and adopts what it started, and
 * removes what no pod owns.
 */
import type { Readable, Writable } from 'node:stream';

/** Labels on every sandbox and container a runtime creates for the node agent. */
export const RuntimeLabels = {
  /** The node (agent) that owns it. */
  node: 'skiff.dev/node',
  podUid: 'io.kubernetes.pod.uid',
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  containerName: 'io.kubernetes.container.name',
  /** `podsandbox` or `container`. */
  type: 'io.kubernetes.docker.type',
  /** How many times this container (by name, in this pod) had run before this instance. */
  restartCount: 'io.kubernetes.container.restartCount',
  /** A hash of the container spec the instance was created from (a changed spec means recreate). */
  specHash: 'io.kubernetes.container.hash',
  /** `init`, `app` or `ephemeral`. */
  containerKind: 'skiff.dev/container-kind',
} as const;

export interface ImageInfo {
  /** Content id (`sha256:...`). */
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly size: number;
}

/** Why a pull failed, as the kubelet reports it. */
export class ImagePullError extends Error {
  override readonly name = 'ImagePullError';
  constructor(
    readonly image: string,
    /** `ErrImagePull` in status; the message names the registry failure. */
    message: string,
    /** True when the registry could not be reached at all (as opposed to "not found" or "unauthorized"). */
    readonly unreachable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PortMapping {
  readonly containerPort: number;
  readonly hostPort?: number;
  readonly hostIP?: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface PodSandboxConfig {
  readonly podUid: string;
  readonly podName: string;
  readonly namespace: string;
  readonly hostname: string;
  /** Use the node's network namespace (hostNetwork: true). */
  readonly hostNetwork: boolean;
  readonly portMappings: readonly PortMapping[];
  /** resolv.conf content for the pod's containers (from dnsPolicy / dnsConfig). */
  readonly dns?: { readonly servers: readonly string[]; readonly searches: readonly string[]; readonly options: readonly string[] };
  /** Extra /etc/hosts entries (hostAliases). */
  readonly hostAliases?: ReadonlyArray<{ readonly ip: string; readonly hostnames: readonly string[] }>;
  /** Labels the runtime must set (RuntimeLabels plus the pod's). */
  readonly labels: Readonly<Record<string, string>>;
}

export type SandboxState = 'ready' | 'notready';

export interface PodSandboxStatus {
  readonly id: string;
  readonly state: SandboxState;
  readonly createdAt: Date;
  /** The pod IP from the runtime's default network, if it wired one. */
  readonly ip?: string;
  /** A handle a network plugin can enter (`/proc/<pid>/ns/net`), if the runtime has one. */
  readonly netns?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Mount {
  /** An absolute path on the node. */
  readonly hostPath: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
  /** A file or directory from a subPath of the volume. */
  readonly subPath?: string;
}

export interface ContainerConfig {
  readonly name: string;
  readonly image: string;
  /** The image's entrypoint is replaced when set (Kubernetes `command`). */
  readonly command?: readonly string[];
  /** The image's cmd is replaced when set (Kubernetes `args`). */
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly env: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly mounts: readonly Mount[];
  readonly stdin: boolean;
  readonly stdinOnce: boolean;
  readonly tty: boolean;
  /** Resources in canonical units. */
  readonly resources: {
    readonly cpuRequestMillis?: number;
    readonly cpuLimitMillis?: number;
    readonly memoryLimitBytes?: number;
  };
  readonly security: {
    readonly runAsUser?: number;
    readonly runAsGroup?: number;
    readonly readOnlyRootFilesystem?: boolean;
    readonly privileged?: boolean;
    readonly capAdd?: readonly string[];
    readonly capDrop?: readonly string[];
  };
  /** Where the container writes its termination message (mounted from the node). */
  readonly terminationMessagePath?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  readonly id: string;
  readonly sandboxId?: string;
  readonly name: string;
  readonly state: ContainerState;
  readonly createdAt: Date;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  readonly exitCode?: number;
  /** `OOMKilled`, `Error`, `Completed` (set when exited). */
  readonly reason?: string;
  readonly message?: string;
  readonly image: string;
  /** The image's content id (`docker-pullable://...@sha256:` or `sha256:`). */
  readonly imageRef: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ExecOptions {
  readonly command: readonly string[];
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly tty: boolean;
  /** Abort kills the process (as far as the runtime can) and resolves with what is known. */
  readonly signal?: AbortSignal;
}

export interface ExecSession {
  /** Resize the terminal (tty only). */
  resize(width: number, height: number): void;
  /** Resolves with the exit code when the process ends. */
  readonly done: Promise<number>;
}

export interface LogOptions {
  readonly follow: boolean;
  readonly tailLines?: number;
  /** Only lines at or after this time. */
  readonly since?: Date;
  readonly timestamps: boolean;
  readonly limitBytes?: number;
  readonly signal?: AbortSignal;
}

export interface ContainerFilter {
  readonly labels?: Readonly<Record<string, string>>;
  readonly sandboxId?: string;
}

export interface ContainerRuntime {
  /** `docker`, `simulated`, ... (also the prefix of container ids in pod status: `docker://<id>`). */
  readonly name: string;

  /** `{ name: 'docker', version: '20.10.24' }` for nodeInfo.containerRuntimeVersion (`docker://20.10.24`). */
  version(): Promise<{ name: string; version: string }>;

  /** The image if present locally. */
  imageStatus(image: string): Promise<ImageInfo | undefined>;
  /** Pull an image; throws ImagePullError. */
  pullImage(image: string, signal?: AbortSignal): Promise<ImageInfo>;
  listImages(): Promise<ImageInfo[]>;

  /** Create and start a sandbox holding the pod's namespaces; returns its id. */
  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stop it (and every container in it). Idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  /** Remove it. Idempotent. */
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined>;
  listPodSandboxes(filter?: { labels?: Readonly<Record<string, string>> }): Promise<PodSandboxStatus[]>;

  /** Create a container in a sandbox (sharing its network, IPC and UTS namespaces); returns its id. */
  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`. Idempotent. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** Idempotent. */
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
  listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]>;

  /** Run a process in a running container, streaming its I/O. */
  exec(id: string, options: ExecOptions): Promise<ExecSession>;
  /** Attach to a container's main process (stdin if the container has it open). */
  attach(id: string, options: Omit<ExecOptions, 'command'>): Promise<ExecSession>;
  /** The container's log (stdout and stderr interleaved as written), as a stream of lines (with RFC 3339 timestamps when asked). */
  logs(id: string, options: LogOptions): Promise<Readable>;
  /** Connect to a port inside the sandbox's network namespace. */
  portForward(sandboxId: string, port: number): Promise<import('node:stream').Duplex>;

  /**
   * Optional: tell `listener` about every sandbox and container of this node
   * that is created, changes state (starts, exits, is stopped) or is removed,
   * including changes the runtime makes by itself (a process exiting), as
   * CRI's GetContainerEvents does. A node agent on a runtime that offers it
   * relists when told (the kubelet's Evented PLEG) instead of every second.
   * Returns a function that stops the reports.
   */
  watchEvents?(listener: (event: RuntimeEvent) => void): () => void;

  /** Release connections and timers (not the containers). */
  close(): Promise<void>;
}

/** A sandbox or container changed (see `ContainerRuntime.watchEvents`). */
export interface RuntimeEvent {
  /** The sandbox's or container's id. */
  readonly id: string;
  /** The pod it belongs to (its RuntimeLabels.podUid label; '' if it has none). */
  readonly podUid: string;
}

/** Creates a runtime for one node (`nodes[i]` of cluster.yaml, with the node agent's data dir). */
export type ContainerRuntimeFactory = (context: {
  readonly nodeName: string;
  /** The node's entry in cluster.yaml (runtime-specific settings live there). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** A directory of the node's own for runtime state. */
  readonly dataDir: string;
}) => Promise<ContainerRuntime>;

/** The runtimes plugins provide, by the name nodes use in cluster.yaml. */
export class ContainerRuntimeRegistry {
  private readonly factories = new Map<string, ContainerRuntimeFactory>();

  register(name: string, factory: ContainerRuntimeFactory): void {
    if (this.factories.has(name)) throw new Error(`a container runtime named ${JSON.stringify(name)} is already registered`);
    this.factories.set(name, factory);
  }

  get(name: string): ContainerRuntimeFactory | undefined {
    return this.factories.get(name);
  }

  names(): string[] {
    return [...this.factories.keys()].sort();
  }
}
