/**
 * What the runtime holds for a pod, read back through the labels the agent
 * puts on everything it creates (RuntimeLabels). Nothing about running pods
 * is kept only in memory: an agent that restarts (even after kill -9) reads
 * the same state, which is what lets it adopt containers instead of starting
 * them again.
 */
import { createHash } from 'node:crypto';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { ContainerRuntime, ContainerStatus, PodSandboxStatus } from '../../kernel/runtime/types';
import { RuntimeLabels } from '../../kernel/runtime/types';

/** The pod's grace period when the container was created (to stop it gracefully after the pod is gone from the API). */
export const GRACE_PERIOD_LABEL = 'io.kubernetes.pod.terminationGracePeriod';

export type ContainerKind = 'init' | 'app';

export interface PodRuntimeState {
  /** Newest first. */
  readonly sandboxes: readonly PodSandboxStatus[];
  /** Newest first. */
  readonly containers: readonly ContainerStatus[];
}

export const EMPTY_STATE: PodRuntimeState = { sandboxes: [], containers: [] };

export function restartCountOf(c: ContainerStatus): number {
  const n = Number(c.labels[RuntimeLabels.restartCount]);
  return Number.isFinite(n) ? n : 0;
}

export function kindOf(c: ContainerStatus): ContainerKind {
  return c.labels[RuntimeLabels.containerKind] === 'init' ? 'init' : 'app';
}

/** The container's name in the pod (the label; the runtime's own name may be decorated). */
export function nameOf(c: ContainerStatus): string {
  return c.labels[RuntimeLabels.containerName] ?? c.name;
}

function newestFirst<T extends { createdAt: Date }>(a: T, b: T): number {
  return b.createdAt.getTime() - a.createdAt.getTime();
}

/** Sort containers newest first: by creation time, then by restart count (two created in the same millisecond). */
export function sortContainers(list: readonly ContainerStatus[]): ContainerStatus[] {
  return [...list].sort((a, b) => newestFirst(a, b) || restartCountOf(b) - restartCountOf(a));
}

/** Instances of one container of the pod, newest first. */
export function instancesOf(state: PodRuntimeState, name: string, kind: ContainerKind): ContainerStatus[] {
  return state.containers.filter((c) => nameOf(c) === name && kindOf(c) === kind);
}

export function latestSandbox(state: PodRuntimeState): PodSandboxStatus | undefined {
  return state.sandboxes[0];
}

/** Read the pod's sandboxes and containers from the runtime. */
export async function loadPodRuntimeState(runtime: ContainerRuntime, nodeName: string, podUid: string): Promise<PodRuntimeState> {
  const labels = { [RuntimeLabels.node]: nodeName, [RuntimeLabels.podUid]: podUid };
  const [sandboxes, containers] = await Promise.all([runtime.listPodSandboxes({ labels }), runtime.listContainers({ labels })]);
  return {
    sandboxes: [...sandboxes].sort(newestFirst),
    containers: sortContainers(containers.filter((c) => c.labels[RuntimeLabels.type] !== 'podsandbox')),
  };
}

/** JSON with sorted keys, so the hash does not depend on key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * A hash of the container spec the instance was created from. A running
 * container whose spec hash differs (its image was updated) is restarted,
 * as the kubelet does. Resources are left out: changing them does not
 * restart a container in Kubernetes either.
 */
export function specHash(container: Container): string {
  const { resources: _resources, ...rest } = container;
  return createHash('sha256').update(canonical(rest)).digest('hex').slice(0, 8);
}

/** Labels of a pod's sandbox: the pod's own, then the agent's (which win). */
export function sandboxLabels(pod: Pod, nodeName: string): Record<string, string> {
  return {
    ...(pod.metadata?.labels ?? {}),
    [RuntimeLabels.node]: nodeName,
    [RuntimeLabels.podUid]: pod.metadata?.uid ?? '',
    [RuntimeLabels.podName]: pod.metadata?.name ?? '',
    [RuntimeLabels.podNamespace]: pod.metadata?.namespace ?? '',
    [RuntimeLabels.type]: 'podsandbox',
  };
}

/** Labels of one container instance. */
export function containerLabels(pod: Pod, container: Container, kind: ContainerKind, restartCount: number, nodeName: string): Record<string, string> {
  return {
    [RuntimeLabels.node]: nodeName,
    [RuntimeLabels.podUid]: pod.metadata?.uid ?? '',
    [RuntimeLabels.podName]: pod.metadata?.name ?? '',
    [RuntimeLabels.podNamespace]: pod.metadata?.namespace ?? '',
    [RuntimeLabels.containerName]: container.name,
    [RuntimeLabels.type]: 'container',
    [RuntimeLabels.restartCount]: String(restartCount),
    [RuntimeLabels.specHash]: specHash(container),
    [RuntimeLabels.containerKind]: kind,
    [GRACE_PERIOD_LABEL]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
  };
}

/** `name_namespace(uid)`: how the kubelet names a pod in messages (format.Pod). */
export function formatPod(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}
