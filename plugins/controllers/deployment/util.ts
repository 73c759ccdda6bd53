/**
 * The arithmetic of kube-controller-manager's Deployment controller
 * (pkg/controller/deployment/util): pod-template hashes, maxSurge and
 * maxUnavailable fenceposts, revision and replica annotations, conditions,
 * status and the orderings ReplicaSets are scaled in. Pure functions over
 * plain objects, so the controller and its tests share them.
 */
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { StoredObject } from '../../../kernel/api/types';
import { rfc3339 } from '../../../kernel/client/events';

export type DeploymentObject = StoredObject & Omit<Deployment, 'metadata'>;
export type ReplicaSetObject = StoredObject & Omit<ReplicaSet, 'metadata'>;

/** The label the controller adds to a ReplicaSet's selector, template and pods. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
/** Longest revision-history annotation kept (Kubernetes' maxRevHistoryLengthInChars). */
export const MAX_REVISION_HISTORY_CHARS = 2000;
/** ProgressDeadlineSeconds of MaxInt32 means "no deadline", as in Kubernetes. */
const MAX_INT32 = 2147483647;

/** Deployment annotations never copied to its ReplicaSets. */
const ANNOTATIONS_NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

// Condition reasons and messages, as kube-controller-manager writes them.
export const REASON = {
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  rsUpdated: 'ReplicaSetUpdated',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  failedRSCreate: 'ReplicaSetCreateError',
  minimumAvailable: 'MinimumReplicasAvailable',
  minimumUnavailable: 'MinimumReplicasUnavailable',
} as const;

// ---- pod-template hash -------------------------------------------------------

/** Characters of k8s.io/apimachinery's rand.SafeEncodeString (no vowels, no 0/1/3, so no words). */
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each character mapped into SAFE_ALPHANUMS by its code point. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_ALPHANUMS[ch.codePointAt(0)! % SAFE_ALPHANUMS.length];
  return out;
}

/** FNV-1a, 32 bits, continuing from `hash`. */
export function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** A deterministic rendering: keys sorted at every level. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * controller.ComputeHash: FNV-32a of the template, then of collisionCount as
 * 8 little-endian bytes when set, the decimal sum through SafeEncodeString.
 * Kubernetes hashes Go's spew dump of its PodTemplateSpec struct, which has no
 * equivalent here (and changes whenever Kubernetes adds a field): the template
 * is rendered as key-sorted JSON instead, so the same template always gives
 * the same name, though not the one a kube-controller-manager would pick.
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(canonical(template ?? {}), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}

/**
 * apiequality.Semantic.DeepEqual as it matters for templates: absent, empty
 * object and empty array are one value (Go's nil and empty maps and slices).
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const empty = (v: unknown): boolean => v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v as object).every((k) => (v as Record<string, unknown>)[k] === undefined));
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    return true;
  }
  return a === b;
}

/** EqualIgnoreHash: templates equal once the pod-template-hash label is dropped from both. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined): PodTemplateSpec => {
    const copy = JSON.parse(JSON.stringify(t ?? {})) as PodTemplateSpec;
    if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    return copy;
  };
  return semanticEqual(strip(a), strip(b));
}

// ---- fenceposts --------------------------------------------------------------

/** intstr.GetScaledValueFromIntOrPercent: a number, or `N%` of `total` rounded up or down. */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const m = /^(-?\d+)%$/.exec(value);
  if (!m) {
    if (/^-?\d+$/.test(value)) return Number(value);
    throw new Error(`invalid value for IntOrString: invalid value "${value}": must be an integer or a percentage`);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export function replicasOf(obj: { spec?: { replicas?: number } } | undefined): number {
  return obj?.spec?.replicas ?? 0;
}

export function isRollingUpdate(d: DeploymentObject): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** ResolveFenceposts: surge rounded up, unavailable down; both zero means one unavailable. */
export function resolveFenceposts(d: DeploymentObject): { maxSurge: number; maxUnavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const desired = replicasOf(d);
  const maxSurge = scaledValue(ru?.maxSurge ?? '25%', desired, true);
  let maxUnavailable = scaledValue(ru?.maxUnavailable ?? '25%', desired, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

export function maxSurge(d: DeploymentObject): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).maxSurge : 0;
}

export function maxUnavailable(d: DeploymentObject): number {
  const desired = replicasOf(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(resolveFenceposts(d).maxUnavailable, desired);
}

// ---- counting ------------------------------------------------------------------

type RS = ReplicaSetObject;
const sum = (rss: ReadonlyArray<RS | undefined>, f: (rs: RS) => number): number => rss.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);
/** Desired pods (spec.replicas) of the sets. */
export const specReplicas = (rss: ReadonlyArray<RS | undefined>): number => sum(rss, (rs) => replicasOf(rs));
/** Pods the sets have (status.replicas). */
export const actualReplicas = (rss: ReadonlyArray<RS | undefined>): number => sum(rss, (rs) => rs.status?.replicas ?? 0);
export const readyReplicas = (rss: ReadonlyArray<RS | undefined>): number => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
export const availableReplicas = (rss: ReadonlyArray<RS | undefined>): number => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);

/** Sets with spec.replicas > 0. */
export function activeReplicaSets(rss: ReadonlyArray<RS | undefined>): RS[] {
  return rss.filter((rs): rs is RS => rs !== undefined && replicasOf(rs) > 0);
}

// ---- orderings -----------------------------------------------------------------

function byCreation(a: RS, b: RS): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}
/** ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export const oldestFirst = (rss: RS[]): RS[] => rss.sort(byCreation);
/** ReplicaSetsBySizeOlder: largest first; among equals, older first. */
export const largestOlderFirst = (rss: RS[]): RS[] => rss.sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(a, b));
/** ReplicaSetsBySizeNewer: largest first; among equals, newer first. */
export const largestNewerFirst = (rss: RS[]): RS[] => rss.sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(b, a));

/** The revision annotation as a number (0 when absent or not a number). */
export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number {
  const v = obj?.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return 0;
  return Number(v);
}
/** ReplicaSetsByRevision: lowest revision first, then oldest. */
export const lowestRevisionFirst = (rss: RS[]): RS[] => rss.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));

export function maxRevision(rss: readonly RS[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

// ---- new and old sets ----------------------------------------------------------

/** FindNewReplicaSet: the oldest set whose template equals the Deployment's (ignoring the hash label). */
export function findNewReplicaSet(d: DeploymentObject, rss: readonly RS[]): RS | undefined {
  return oldestFirst([...rss]).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Every set but the new one. */
export function findOldReplicaSets(d: DeploymentObject, rss: readonly RS[]): RS[] {
  const newRS = findNewReplicaSet(d, rss);
  return rss.filter((rs) => !newRS || rs.metadata.uid !== newRS.metadata.uid);
}

/** FindActiveOrLatest: the only active set, else the newest when none is active, else none. */
export function findActiveOrLatest(newRS: RS | undefined, oldRSs: RS[]): RS | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** NewRSNewReplicas: how big the new set may be now. */
export function newRSNewReplicas(d: DeploymentObject, allRSs: ReadonlyArray<RS | undefined>, newRS: RS): number {
  const desired = replicasOf(d);
  if (!isRollingUpdate(d)) return desired;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
  const current = specReplicas(allRSs);
  const maxTotal = desired + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  return replicasOf(newRS) + Math.min(maxTotal - current, desired - replicasOf(newRS));
}

/** IsSaturated: the new set is at full size, says so in its annotation, and all its pods are available. */
export function isSaturated(d: DeploymentObject, rs: RS | undefined): boolean {
  if (!rs) return false;
  const desired = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
  if (desired === undefined || !/^-?\d+$/.test(desired)) return false;
  const want = replicasOf(d);
  return replicasOf(rs) === want && Number(desired) === want && (rs.status?.availableReplicas ?? 0) === want;
}

/** Go's math.Round: halves away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** GetProportion: this set's share of `toAdd` (what is left of it being `toAdd - added`). */
export function proportion(rs: RS, d: DeploymentObject, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: RS, d: DeploymentObject): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION];
  // Without the annotation, the Deployment's current size stands in (kube does the same).
  const annotatedReplicas = annotated !== undefined && /^\d+$/.test(annotated) ? Number(annotated) : (d.status?.replicas ?? 0);
  if (annotatedReplicas === 0) return 0;
  return roundHalfAway((replicasOf(rs) * deploymentReplicas) / annotatedReplicas) - replicasOf(rs);
}

// ---- annotations -----------------------------------------------------------------

/** SetReplicasAnnotations on a mutable copy; whether anything changed. */
export function setReplicasAnnotations(rs: RS, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    a[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: RS, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/**
 * SetNewReplicaSetAnnotations on a mutable copy of the new set: the
 * Deployment's annotations (change-cause among them), the new revision when
 * higher (an old template coming back keeps its former revisions in
 * revision-history), and for a set about to be created the replica
 * annotations. Whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: DeploymentObject, rs: RS, newRevision: number, exists: boolean): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_NOT_COPIED.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const old = a[REVISION_ANNOTATION];
  let oldRevision = 0;
  if (old !== undefined && old !== '') {
    if (!/^\d+$/.test(old)) return false;
    oldRevision = Number(old);
  }
  if (oldRevision < newRevision) {
    a[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (old !== undefined) {
      const history = a[REVISION_HISTORY_ANNOTATION] ?? '';
      if (history === '') a[REVISION_HISTORY_ANNOTATION] = old;
      else {
        const revisions = history.split(',');
        let total = history.length + old.length + 1;
        let start = 0;
        while (total > MAX_REVISION_HISTORY_CHARS && start < revisions.length) total -= revisions[start++].length + 1;
        if (total <= MAX_REVISION_HISTORY_CHARS) a[REVISION_HISTORY_ANNOTATION] = [...revisions.slice(start), old].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

// ---- conditions and status -------------------------------------------------------

export function hasProgressDeadline(d: DeploymentObject): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== MAX_INT32;
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, nowMs: number): DeploymentCondition {
  const now = rfc3339(nowMs);
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

/** SetDeploymentCondition: same status and reason is no change; same status keeps lastTransitionTime. */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (status.conditions) status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** calculateStatus: counts from the sets, the Available condition from maxUnavailable. */
export function calculateStatus(allRSs: ReadonlyArray<RS | undefined>, newRS: RS | undefined, d: DeploymentObject, nowMs: number): DeploymentStatus {
  const available = availableReplicas(allRSs);
  const total = specReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  status.conditions = (d.status?.conditions ?? []).map((c) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', REASON.minimumAvailable, 'Deployment has minimum availability.', nowMs));
  } else {
    setCondition(status, newCondition('Available', 'False', REASON.minimumUnavailable, 'Deployment does not have minimum availability.', nowMs));
  }
  return status;
}

/** DeploymentComplete: every replica updated and available, and the latest generation seen. */
export function deploymentComplete(d: DeploymentObject, status: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return status.updatedReplicas === want && status.replicas === want && status.availableReplicas === want && (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** DeploymentProgressing: more updated, ready or available pods, or fewer old ones, than last recorded. */
export function deploymentProgressing(d: DeploymentObject, status: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: no progress recorded within progressDeadlineSeconds. */
export function deploymentTimedOut(d: DeploymentObject, status: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(status, 'Progressing');
  if (!c) return false;
  if (c.reason === REASON.newRSAvailable) return false;
  if (c.reason === REASON.timedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return false;
  return from + d.spec!.progressDeadlineSeconds! * 1000 < nowMs;
}

/** Status equality as reflect.DeepEqual sees it (absent and empty lists alike). */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  return semanticEqual(a ?? {}, b ?? {});
}
