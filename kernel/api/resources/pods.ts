/**
 * core/v1 Pod: PodSpec defaults plus the Pod-only ones (requests from limits,
 * enableServiceLinks), a Pending status with its QoS class on create,
 * Kubernetes' narrow rules for updating a running pod, its field selectors,
 * and `kubectl get pods` with Kubernetes' STATUS and RESTARTS logic.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy, SubresourceDefinition } from '../resource';
import type { StoredObject } from '../types';
import { FieldPath, inclusiveRangeError, semanticEqual } from '../validation';
import { defaultPodOnly, defaultPodSpec, podQOSClass, validatePodSpec, validateTolerations } from './podspec';
import { AGE_COLUMN, age, column, humanDuration } from './printing';
import { jsonDiff, keepStatus, list, readSpec, spec, statusSubresource, view, type Obj } from './shared';

function defaults(object: Obj): void {
  const s = spec(object);
  defaultPodOnly(s);
  defaultPodSpec(s);
}

/** A new pod is Pending with its QoS class; gated pods say why they are not scheduled. */
function prepareForCreate(object: Obj): void {
  // The QoS class depends on defaulted requests, whatever order the server calls us in.
  defaults(object);
  const s = readSpec(object);
  const status: Obj = { phase: 'Pending', qosClass: podQOSClass(s) };
  if (list(s, 'schedulingGates').length > 0) {
    status.conditions = [
      { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' },
    ];
  }
  object.status = status;
}

const UPDATABLE_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** Existing tolerations may only gain tolerationSeconds changes; new ones may be added. */
function validateOnlyAddedTolerations(next: Obj[], old: Obj[], path: FieldPath): FieldError[] {
  for (const o of old) {
    const found = next.some((n) => semanticEqual({ ...o, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) return [FieldError.forbidden(path.toString(), 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, path);
}

function validateContainerUpdates(next: Obj[], old: Obj[], path: FieldPath): { errors: FieldError[]; stop: boolean } {
  if (next.length !== old.length) return { errors: [FieldError.forbidden(path.toString(), 'pod updates may not add or remove containers')], stop: true };
  const errors: FieldError[] = [];
  // An empty image is reported by `validate`, which the server runs on updates too.
  next.forEach((c, i) => {
    const image = typeof c.image === 'string' ? c.image : '';
    if (image.trim().length !== image.length) errors.push(FieldError.invalid(path.index(i).child('image').toString(), image, 'must not have leading or trailing whitespace'));
  });
  return { errors, stop: false };
}

/** Kubernetes' ValidatePodUpdate: a running pod's spec is fixed except for a few fields. */
function validateUpdate(object: Obj, old: Obj): FieldError[] {
  const next = readSpec(object);
  const prev = readSpec(old);
  const path = FieldPath.of('spec');
  const errs: FieldError[] = [];
  for (const key of ['containers', 'initContainers']) {
    const { errors, stop } = validateContainerUpdates(list(next, key), list(prev, key), path.child(key));
    errs.push(...errors);
    if (stop) return errs;
  }
  const adsPath = path.child('activeDeadlineSeconds');
  if (typeof next.activeDeadlineSeconds === 'number') {
    const v = next.activeDeadlineSeconds;
    if (v < 0 || v > 2147483647) return [...errs, FieldError.invalid(adsPath.toString(), v, inclusiveRangeError(0, 2147483647))];
    if (typeof prev.activeDeadlineSeconds === 'number' && prev.activeDeadlineSeconds < v) return [...errs, FieldError.invalid(adsPath.toString(), v, 'must be less than or equal to previous value')];
  } else if (typeof prev.activeDeadlineSeconds === 'number') {
    errs.push(FieldError.invalid(adsPath.toString(), null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(list(next, 'tolerations'), list(prev, 'tolerations'), path.child('tolerations')));
  const oldGates = new Set(list(prev, 'schedulingGates').map((g) => g.name));
  for (const g of list(next, 'schedulingGates')) {
    if (!oldGates.has(g.name)) errs.push(FieldError.forbidden(path.child('schedulingGates').toString(), `only deletion is allowed, but found new scheduling gate '${g.name}'`));
  }

  // Everything else must be unchanged: take the updatable fields from the old spec and compare.
  const munged: Obj = JSON.parse(JSON.stringify(next));
  for (const key of ['containers', 'initContainers']) {
    const oldList = list(prev, key);
    list(munged, key).forEach((c, i) => {
      if (oldList[i]?.image === undefined) delete c.image;
      else c.image = oldList[i].image;
    });
  }
  const carry = (key: string) => {
    if (prev[key] === undefined) delete munged[key];
    else munged[key] = prev[key];
  };
  carry('activeDeadlineSeconds');
  carry('schedulingGates');
  carry('tolerations');
  if (typeof prev.terminationGracePeriodSeconds === 'number' && prev.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = prev.terminationGracePeriodSeconds;
  }
  if (!semanticEqual(munged, prev)) {
    errs.push(FieldError.forbidden(path.toString(), `pod updates may not change fields other than ${UPDATABLE_FIELDS.join(',')}\n${jsonDiff('core.PodSpec', prev, munged)}`));
  }
  return errs;
}

// ---------------------------------------------------------------- printing

type ContainerStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];

function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/**
 * Kubernetes' printPod: READY, STATUS (Init:N/M, Init:<reason>, the waiting or
 * terminated reason of a container, Completed/NotReady, Terminating, Unknown
 * for lost nodes), RESTARTS with the time of the last restart, then the wide
 * columns IP, NODE, NOMINATED NODE, READINESS GATES.
 */
export function podRow(pod: Pod, now: Date): unknown[] {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  let restarts = 0;
  let sidecarRestarts = 0;
  let total = (spec.containers ?? []).length;
  let ready = 0;
  let lastRestart: string | undefined;
  let lastSidecarRestart: string | undefined;
  let reason = status.reason || status.phase || '';
  for (const c of status.conditions ?? []) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initSpecs = new Map((spec.initContainers ?? []).map((c) => [c.name, c]));
  const isSidecar = (name: string) => initSpecs.get(name)?.restartPolicy === 'Always';
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') total++;

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c.restartCount ?? 0;
    const finished = c.lastState?.terminated?.finishedAt;
    lastRestart = laterOf(lastRestart, finished);
    if (isSidecar(c.name)) {
      sidecarRestarts += c.restartCount ?? 0;
      lastSidecarRestart = laterOf(lastSidecarRestart, finished);
    }
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (isSidecar(c.name) && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (terminated) {
      if (terminated.reason) reason = `Init:${terminated.reason}`;
      else reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }

  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: ContainerStatus[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount ?? 0;
      lastRestart = laterOf(lastRestart, c.lastState?.terminated?.finishedAt);
      const waiting = c.state?.waiting;
      const terminated = c.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A completed container next to a running one: the pod is still running.
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';

  let restartCell = String(restarts);
  if (restarts !== 0 && lastRestart) restartCell = `${restarts} (${humanDuration(now.getTime() - Date.parse(lastRestart))} ago)`;

  const ip = status.podIPs?.[0]?.ip || status.podIP || '<none>';
  let gates = '<none>';
  if ((spec.readinessGates ?? []).length > 0) {
    let trueCount = 0;
    for (const g of spec.readinessGates ?? []) {
      const cond = (status.conditions ?? []).find((c) => c.type === g.conditionType);
      if (cond?.status === 'True') trueCount++;
    }
    gates = `${trueCount}/${spec.readinessGates!.length}`;
  }
  return [`${ready}/${total}`, reason, restartCell, age(pod.metadata?.creationTimestamp, now), ip, spec.nodeName || '<none>', status.nominatedNodeName || '<none>', gates];
}

function selectableFields(object: StoredObject): Record<string, string> {
  const pod = view<Pod>(object);
  return {
    'spec.nodeName': pod.spec?.nodeName ?? '',
    'spec.restartPolicy': pod.spec?.restartPolicy ?? '',
    'spec.schedulerName': pod.spec?.schedulerName ?? '',
    'spec.serviceAccountName': pod.spec?.serviceAccountName ?? '',
    'spec.hostNetwork': String(pod.spec?.hostNetwork === true),
    'status.phase': pod.status?.phase ?? '',
    'status.podIP': pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP ?? '',
    'status.nominatedNodeName': pod.status?.nominatedNodeName ?? '',
  };
}

/**
 * Kubernetes' pod graceful deletion: the requested period, else the pod's
 * terminationGracePeriodSeconds, else 30 s; at once when the pod never reached
 * a node or has already finished (nothing is left to stop).
 */
function deletionGracePeriod(object: StoredObject, requested: number | undefined): number {
  const pod = view<Pod>(object);
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
  return Math.max(0, requested ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
}

const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;

export const podStrategy: ResourceStrategy = {
  defaults,
  deletionGracePeriod,
  prepareForCreate,
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate: (object) => validatePodSpec(readSpec(object), FieldPath.of('spec'), { isPod: true }),
  validateUpdate,
  selectableFields,
  table: {
    columns: [
      column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      column('Status', 'string', 'The aggregate status of the containers in this pod.'),
      column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE_COLUMN,
      column('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', true),
      column('Node', 'string', 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.', true),
      column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', true),
      column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', true),
    ],
    cells: (object, now) => podRow(view<Pod>(object), now),
  },
};

const sub = (name: string, kind: string, verbs: SubresourceDefinition['verbs'], group?: string, version?: string): SubresourceDefinition => ({ name, kind, verbs, ...(group !== undefined ? { group, version } : {}) });

export const pods: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  subresources: [
    sub('attach', 'PodAttachOptions', ['create', 'get']),
    sub('binding', 'Binding', ['create']),
    sub('ephemeralcontainers', 'Pod', ['get', 'patch', 'update']),
    sub('eviction', 'Eviction', ['create'], 'policy', 'v1'),
    sub('exec', 'PodExecOptions', ['create', 'get']),
    sub('log', 'Pod', ['get']),
    sub('portforward', 'PodPortForwardOptions', ['create', 'get']),
    sub('proxy', 'PodProxyOptions', ['create', 'delete', 'get', 'patch', 'update']),
    sub('resize', 'Pod', ['get', 'patch', 'update']),
    statusSubresource('Pod'),
  ],
  hasStatus: true,
  strategy: podStrategy,
};

