/**
 * The engine's inspect answers as CRI statuses, as Kubernetes' dockershim
 * reported them (pkg/kubelet/dockershim/docker_container.go and
 * docker_sandbox.go), so pod status reads as it did on Docker nodes.
 */
import type Docker from 'dockerode';
import type { ContainerState, ContainerStatus, ImageInfo, PodSandboxStatus } from '../../kernel/runtime/types';
import { RuntimeLabels } from '../../kernel/runtime/types';
import { SandboxIdLabel } from './spec';

/** The engine writes Go's zero time (`0001-01-01T00:00:00Z`) for "never". */
export function parseEngineTime(value: string | undefined): Date | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * dockershim's image reference: `docker-pullable://<repo>@sha256:...` when the
 * image came from a registry (it has a repo digest), else `docker://sha256:...`.
 */
export function imageRef(imageId: string, image: Pick<ImageInfo, 'repoDigests'> | undefined): string {
  const digest = image?.repoDigests[0];
  return digest ? `docker-pullable://${digest}` : `docker://${imageId}`;
}

export function toImageInfo(image: Docker.ImageInspectInfo | Docker.ImageInfo): ImageInfo {
  // The list API says `<none>:<none>` / `<none>@<none>` where inspect says nothing.
  const real = (values: readonly string[] | null | undefined) => (values ?? []).filter((v) => !v.startsWith('<none>'));
  return { id: image.Id, repoTags: real(image.RepoTags), repoDigests: real(image.RepoDigests), size: image.Size };
}

export function toContainerStatus(
  info: Docker.ContainerInspectInfo,
  image: Pick<ImageInfo, 'repoDigests'> | undefined,
  terminationMessage?: string,
): ContainerStatus {
  const labels = info.Config.Labels ?? {};
  const createdAt = new Date(info.Created);
  let startedAt = parseEngineTime(info.State.StartedAt);
  let finishedAt = parseEngineTime(info.State.FinishedAt);
  let state: ContainerState;
  let reason: string | undefined;
  let exitCode: number | undefined;
  if (info.State.Running) {
    state = 'running';
  } else if (finishedAt) {
    // It ran and exited.
    state = 'exited';
    exitCode = info.State.ExitCode;
    reason = info.State.OOMKilled ? 'OOMKilled' : info.State.ExitCode === 0 ? 'Completed' : 'Error';
  } else if (info.State.ExitCode !== 0) {
    // It never ran (the engine failed to start it): dockershim dates both
    // ends at creation rather than leave them empty.
    state = 'exited';
    exitCode = info.State.ExitCode;
    reason = 'ContainerCannotRun';
    startedAt = createdAt;
    finishedAt = createdAt;
  } else if (info.State.Status === 'created') {
    state = 'created';
  } else {
    state = 'unknown';
  }
  const message = terminationMessage || info.State.Error || undefined;
  return {
    id: info.Id,
    sandboxId: labels[SandboxIdLabel],
    name: labels[RuntimeLabels.containerName] ?? info.Name.replace(/^\//, ''),
    state,
    createdAt,
    startedAt,
    finishedAt,
    exitCode,
    reason,
    message: state === 'exited' ? message : undefined,
    image: info.Config.Image,
    imageRef: imageRef(info.Image, image),
    labels,
  };
}

export function toSandboxStatus(info: Docker.ContainerInspectInfo): PodSandboxStatus {
  const hostNetwork = info.HostConfig.NetworkMode === 'host';
  const running = info.State.Running && info.State.Pid > 0;
  let ip: string | undefined;
  if (running && !hostNetwork) {
    // The network the sandbox was created on (its NetworkMode), else any it has.
    const networks = info.NetworkSettings.Networks ?? {};
    const own = info.HostConfig.NetworkMode ? networks[info.HostConfig.NetworkMode] : undefined;
    ip = own?.IPAddress || Object.values(networks).find((n) => n.IPAddress)?.IPAddress || undefined;
  }
  return {
    id: info.Id,
    state: running ? 'ready' : 'notready',
    createdAt: new Date(info.Created),
    ip,
    netns: running ? `/proc/${info.State.Pid}/ns/net` : undefined,
    labels: info.Config.Labels ?? {},
  };
}
