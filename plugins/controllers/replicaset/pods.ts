/**
 * What the ReplicaSet controller needs to know about pods: which count
 * (active), which are ready and available, which go first on scale-down
 * (kube's `getPodsToDelete` / `ActivePodsWithRanks`), and the pod a template
 * makes.
 */
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { deepCopy, type KubeObject, type StoredObject } from '../../../kernel/api/types';

export type PodObject = StoredObject & Omit<Pod, 'metadata'>;
export type ReplicaSetObject = StoredObject & Omit<ReplicaSet, 'metadata'>;

/** kube's `controller.kubernetes.io/pod-deletion-cost`: pods with a lower cost go first on scale-down. */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/** Counted as a replica: not finished (Succeeded/Failed) and not being deleted (kube's IsPodActive). */
export function isPodActive(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function readyCondition(pod: PodObject): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: PodObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** When the pod became ready (ms since the epoch; 0 when unknown or not ready). */
function readySince(pod: PodObject): number {
  const c = readyCondition(pod);
  if (c?.status !== 'True' || !c.lastTransitionTime) return 0;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Milliseconds until a ready pod counts as available (ready for more than
 * `minReadySeconds`, as kube's IsPodAvailable): 0 when it already is,
 * undefined when it is not ready (so never, until that changes).
 */
export function availableIn(pod: PodObject, minReadySeconds: number, now: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (minReadySeconds <= 0) return 0;
  const since = readySince(pod);
  if (since === 0) return undefined;
  // Strictly after: kube's `LastTransitionTime + minReadySeconds` must be Before(now).
  const at = since + minReadySeconds * 1000;
  return at < now ? 0 : at - now + 1;
}

/** The controlling owner reference (`controller: true`), if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The type of an owner: `apps/v1 ReplicaSet` unless told otherwise (a ReplicationController reuses this code). */
export interface OwnerKind {
  readonly apiVersion: string;
  readonly kind: string;
}

export const REPLICASET_OWNER: OwnerKind = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };

/** The reference a ReplicaSet (or the `owner` kind) puts on the pods it controls. */
export function controllerRefFor(rs: ReplicaSetObject, owner: OwnerKind = REPLICASET_OWNER): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** The pod `rs` creates from its template (kube's GetPodFromTemplate): named `<rs>-<random>` by the server. */
export function podFromTemplate(rs: ReplicaSetObject, owner: OwnerKind = REPLICASET_OWNER): KubeObject {
  const template = rs.spec?.template ?? {};
  const meta = template.metadata ?? {};
  const metadata: Record<string, unknown> = {
    generateName: `${rs.metadata.name}-`,
    namespace: rs.metadata.namespace,
    labels: { ...(meta.labels ?? {}) },
    ownerReferences: [controllerRefFor(rs, owner)],
  };
  if (meta.annotations) metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) metadata.finalizers = [...meta.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: deepCopy(template.spec ?? {}) } as KubeObject;
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: PodObject): number {
  const text = pod.metadata.annotations?.[POD_DELETION_COST];
  if (text === undefined) return 0;
  const n = Number(text);
  // kube rejects such values at admission; an unparsable one counts as 0.
  return Number.isInteger(n) ? n : 0;
}

/** The most restarts of any container (app containers, and init containers that keep running: sidecars). */
function maxRestarts(pod: PodObject): number {
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let max = 0;
  for (const s of pod.status?.containerStatuses ?? []) max = Math.max(max, s.restartCount ?? 0);
  for (const s of pod.status?.initContainerStatuses ?? []) if (sidecars.has(s.name)) max = Math.max(max, s.restartCount ?? 0);
  return max;
}

function creationTime(pod: PodObject): number {
  const t = Date.parse(pod.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** kube's afterOrZero: a zero time first, then the later time first. Negative when `a` goes first. */
function laterOrZeroFirst(a: number, b: number): number {
  if (a === 0 || b === 0) return a === 0 ? (b === 0 ? 0 : -1) : 1;
  return b - a;
}

/**
 * kube's ActivePodsWithRanks.Less: negative when `a` should be deleted
 * before `b`. `rank` is how many active related pods share the pod's node.
 */
export function compareForDeletion(a: PodObject, rankA: number, b: PodObject, rankB: number): number {
  // 1. Unassigned before assigned.
  const nodeA = a.spec?.nodeName ?? '';
  const nodeB = b.spec?.nodeName ?? '';
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '' ? -1 : 1;
  // 2. Pending < Unknown < Running.
  const phaseA = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
  const phaseB = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  // 3. Not ready before ready.
  const readyA = isPodReady(a);
  const readyB = isPodReady(b);
  if (readyA !== readyB) return readyA ? 1 : -1;
  // 4. Lower pod-deletion-cost first.
  const costA = deletionCost(a);
  const costB = deletionCost(b);
  if (costA !== costB) return costA - costB;
  // 5. More crowded node first.
  if (rankA !== rankB) return rankB - rankA;
  // 6. Ready for less time first.
  if (readyA && readyB) {
    const c = laterOrZeroFirst(readySince(a), readySince(b));
    if (c !== 0) return c;
  }
  // 7. More restarts first.
  const restarts = maxRestarts(b) - maxRestarts(a);
  if (restarts !== 0) return restarts;
  // 8. Newer first.
  return laterOrZeroFirst(creationTime(a), creationTime(b));
}

/**
 * The `count` pods of `pods` to delete first (kube's getPodsToDelete).
 * `related` are the pods of every ReplicaSet with the same controller, for
 * ranking by how crowded each pod's node is.
 */
export function podsToDelete(pods: readonly PodObject[], related: readonly PodObject[], count: number): PodObject[] {
  // Deleting them all: no need to rank.
  if (count >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = p.spec?.nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => compareForDeletion(x.pod, x.rank, y.pod, y.rank));
  return ranked.slice(0, count).map((r) => r.pod);
}
