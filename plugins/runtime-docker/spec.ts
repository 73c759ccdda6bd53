/**
 * What the engine is asked to create: a pod sandbox (the pause container) and
 * the containers that join it, translated from the CRI-shaped configs the node
 * agent gives, the way Kubernetes' dockershim translated them. Pure functions:
 * host paths are resolved before (mounts.ts).
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { RuntimeLabels, type ContainerConfig, type PodSandboxConfig } from '../../kernel/runtime/types';

/** On containers: the sandbox they belong to (dockershim's label). */
export const SandboxIdLabel = 'io.kubernetes.sandbox.id';
/** On containers: the node file holding the termination message (see mounts.ts). */
export const TerminationMessageLabel = 'skiff.dev/termination-message-file';

/**
 * json-file keeps each line's time (the logs API's timestamps) and is what
 * the logs API reads back; sizes as the kubelet's defaults
 * (containerLogMaxSize 10Mi, containerLogMaxFiles 5).
 */
export const LogConfig = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '5' } };

/** The labels sandboxes pass on to their containers, so a container alone tells whose it is. */
const podLabels = [RuntimeLabels.node, RuntimeLabels.podUid, RuntimeLabels.podName, RuntimeLabels.podNamespace] as const;

// Kubernetes' cgroup arithmetic (pkg/kubelet/cm/helpers_linux.go).
const MIN_SHARES = 2;
const MAX_SHARES = 262144;
const SHARES_PER_CPU = 1024;
/** Docker accepts at least 0.01 CPU, the same floor as Kubernetes' minimum CFS quota (1 ms per 100 ms). */
const MIN_NANO_CPUS = 10_000_000;

/** Kubernetes' MilliCPUToShares: the cgroup weight of a CPU request. */
export function milliCpuToShares(millis: number): number {
  const shares = Math.floor((millis * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** A CPU limit as the engine's NanoCpus (a CFS quota over a 100 ms period). */
export function milliCpuToNanoCpus(millis: number): number {
  return Math.max(MIN_NANO_CPUS, Math.round(millis * 1_000_000));
}

/**
 * The engine's `User`: `uid`, `uid:gid`, or, with only a group asked for, the
 * image's user with that group (as CRI runtimes treat runAsGroup alone).
 */
export function userSpec(security: ContainerConfig['security'], imageUser: string | undefined): string | undefined {
  const { runAsUser, runAsGroup } = security;
  if (runAsUser !== undefined) return runAsGroup !== undefined ? `${runAsUser}:${runAsGroup}` : `${runAsUser}`;
  if (runAsGroup !== undefined) return `${(imageUser ?? '').split(':')[0] || '0'}:${runAsGroup}`;
  return undefined;
}

/** Container names the engine accepts (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`); a random tail keeps a re-created container from colliding with a leftover. */
function dockerName(parts: readonly string[]): string {
  const name = [...parts, randomBytes(4).toString('hex')].map((p) => p.replace(/[^a-zA-Z0-9_.-]/g, '-')).join('_');
  return name;
}

export interface SandboxSpecContext {
  readonly nodeName: string;
  readonly pauseImage: string;
  readonly network: string;
}

export function sandboxCreateOptions(config: PodSandboxConfig, context: SandboxSpecContext): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  // Host network: the pod's ports are the node's already; the engine discards bindings there.
  if (!config.hostNetwork) {
    for (const p of config.portMappings) {
      const key = `${p.containerPort}/${p.protocol.toLowerCase()}`;
      exposed[key] = {};
      if (p.hostPort) (bindings[key] ??= []).push({ HostIp: p.hostIP ?? '', HostPort: String(p.hostPort) });
    }
  }
  return {
    name: dockerName(['k8s', 'POD', config.podName, config.namespace, config.podUid]),
    Image: context.pauseImage,
    Hostname: config.hostname,
    Labels: {
      [RuntimeLabels.node]: context.nodeName,
      [RuntimeLabels.podUid]: config.podUid,
      [RuntimeLabels.podName]: config.podName,
      [RuntimeLabels.podNamespace]: config.namespace,
      ...config.labels,
      [RuntimeLabels.type]: 'podsandbox',
    },
    ExposedPorts: exposed,
    HostConfig: {
      NetworkMode: config.hostNetwork ? 'host' : context.network,
      // Containers join the sandbox's IPC namespace, which the engine allows
      // only from a "shareable" one (20.10 defaults to private).
      IpcMode: 'shareable',
      PortBindings: bindings,
      Dns: config.dns ? [...config.dns.servers] : undefined,
      DnsSearch: config.dns ? [...config.dns.searches] : undefined,
      DnsOptions: config.dns ? [...config.dns.options] : undefined,
      ExtraHosts: (config.hostAliases ?? []).flatMap((a) => a.hostnames.map((h) => `${h}:${a.ip}`)),
      RestartPolicy: { Name: 'no' },
      // The pause process reaps zombies itself; no docker-init in between.
      Init: false,
      LogConfig,
    },
  };
}

export interface ContainerSpecContext {
  readonly sandboxId: string;
  /** The sandbox's labels (its pod's identity is copied onto the container). */
  readonly sandboxLabels: Readonly<Record<string, string>>;
  /** The image's configured user (for runAsGroup without runAsUser). */
  readonly imageUser?: string;
  /** Bind sources, resolved on the node, in the order of `config.mounts`. */
  readonly mountSources: readonly string[];
  /** A node file to bind at `config.terminationMessagePath`, when the runtime provides it. */
  readonly terminationMessageFile?: string;
}

export function containerCreateOptions(config: ContainerConfig, context: ContainerSpecContext): Docker.ContainerCreateOptions {
  const inherited: Record<string, string> = {};
  for (const key of podLabels) if (context.sandboxLabels[key] !== undefined) inherited[key] = context.sandboxLabels[key];
  const labels: Record<string, string> = {
    ...inherited,
    ...config.labels,
    [RuntimeLabels.containerName]: config.name,
    [RuntimeLabels.type]: 'container',
    [SandboxIdLabel]: context.sandboxId,
  };
  if (context.terminationMessageFile) labels[TerminationMessageLabel] = context.terminationMessageFile;

  const mounts: Docker.MountSettings[] = config.mounts.map((m, i) => ({
    Type: 'bind',
    Source: context.mountSources[i] ?? m.hostPath,
    Target: m.containerPath,
    ReadOnly: m.readOnly,
  }));
  if (context.terminationMessageFile && config.terminationMessagePath) {
    mounts.push({ Type: 'bind', Source: context.terminationMessageFile, Target: config.terminationMessagePath, ReadOnly: false });
  }

  const { cpuLimitMillis, cpuRequestMillis, memoryLimitBytes } = config.resources;
  const sandbox = `container:${context.sandboxId}`;
  return {
    name: dockerName([
      'k8s',
      config.name,
      context.sandboxLabels[RuntimeLabels.podName] ?? '',
      context.sandboxLabels[RuntimeLabels.podNamespace] ?? '',
      context.sandboxLabels[RuntimeLabels.podUid] ?? '',
      config.labels[RuntimeLabels.restartCount] ?? '0',
    ]),
    Image: config.image,
    // Kubernetes semantics: `command` replaces ENTRYPOINT, `args` replace
    // CMD. The engine takes no CMD from the image once Entrypoint is given, so
    // a command without args runs without the image's CMD.
    Entrypoint: config.command?.length ? [...config.command] : undefined,
    Cmd: config.args?.length ? [...config.args] : undefined,
    Env: config.env.map((e) => `${e.name}=${e.value}`),
    WorkingDir: config.workingDir || undefined,
    User: userSpec(config.security, context.imageUser),
    OpenStdin: config.stdin,
    StdinOnce: config.stdinOnce,
    Tty: config.tty,
    Labels: labels,
    HostConfig: {
      // The sandbox's network namespace (and with it the hostname, /etc/hosts
      // and resolv.conf) and its IPC namespace.
      NetworkMode: sandbox,
      IpcMode: sandbox,
      Mounts: mounts,
      NanoCpus: cpuLimitMillis ? milliCpuToNanoCpus(cpuLimitMillis) : undefined,
      CpuShares: cpuRequestMillis !== undefined ? milliCpuToShares(cpuRequestMillis) : undefined,
      // Memory and memory+swap equal: no swap, as the kubelet configures it.
      Memory: memoryLimitBytes || undefined,
      MemorySwap: memoryLimitBytes || undefined,
      ReadonlyRootfs: config.security.readOnlyRootFilesystem ?? false,
      Privileged: config.security.privileged ?? false,
      CapAdd: config.security.capAdd?.length ? [...config.security.capAdd] : undefined,
      CapDrop: config.security.capDrop?.length ? [...config.security.capDrop] : undefined,
      RestartPolicy: { Name: 'no' },
      Init: false,
      LogConfig,
    },
  };
}
