/**
 * Pod status from what the runtime holds, as the kubelet's
 * generateAPIPodStatus computes it (a pure function, table-tested):
 *
 * - container statuses: every container starts as waiting (PodInitializing
 *   when the pod has init containers, else ContainerCreating); the newest
 *   runtime instance gives `state`, the one before it `lastState`; a
 *   container that will be started again and has a recorded reason
 *   (ErrImagePull, CrashLoopBackOff, CreateContainerConfigError, ...) is
 *   waiting with that reason, its last run becoming `lastState`;
 * - started/ready from the probes (init containers: ready once completed);
 * - phase by the kubelet's getPhase;
 * - conditions PodReadyToStartContainers, Initialized, Ready,
 *   ContainersReady and PodScheduled, with Kubernetes' reasons and messages
 *   ("containers with unready status: [web]"), after any condition the
 *   kubelet does not own (readiness gates' conditions, DisruptionTarget);
 * - app container statuses sorted by name, init ones in spec order.
 *
 * Transition times are left to `mergePodStatus`, which carries them over
 * from the previous status.
 */
import type { Container, ContainerState, ContainerStatus as ApiContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1';
import type { ContainerStatus } from '../../kernel/runtime/types';
import { podQOSClass } from '../../kernel/api/resources/podspec';
import { deepCopy } from '../../kernel/api/types';
import { rfc3339 } from '../../kernel/client/events';
import type { ContainerKind, PodRuntimeState } from './runtime-state';
import { kindOf, nameOf, restartCountOf } from './runtime-state';

/** Why a container is waiting, recorded by the last sync (the kubelet's reasonCache). */
export interface WaitingReason {
  readonly reason: string;
  readonly message?: string;
}

export interface ProbeView {
  isStarted(containerId: string): boolean;
  isReady(containerId: string): boolean;
  has(containerId: string): boolean;
}

export interface PodStatusInput {
  readonly pod: Pod;
  readonly state: PodRuntimeState;
  /** `docker` in `docker://<id>`. */
  readonly runtimeName: string;
  /** Keyed `init/<name>` or `app/<name>`. */
  readonly reasons: ReadonlyMap<string, WaitingReason>;
  readonly probes: ProbeView;
  readonly podIPs: readonly string[];
  readonly hostIPs: readonly string[];
  /** The sandbox is up and its network configured. */
  readonly sandboxReady: boolean;
  /** The message of a terminated instance (termination message file, or log tail). */
  readonly terminationMessage?: (instance: ContainerStatus) => string | undefined;
  /** The pod is finished for good (deleted, or failed/succeeded): no container runs again. */
  readonly podIsTerminal: boolean;
  /** The pod was killed as a whole: containers not terminated are reported lost (the kubelet's TerminatePod). */
  readonly killed?: boolean;
  /** Pod-level reason and message (e.g. DeadlineExceeded). */
  readonly podReason?: { readonly reason: string; readonly message: string };
  readonly now: number;
}

/** Conditions the kubelet owns (and rewrites on every status); all others are kept as they are. */
const KUBELET_CONDITIONS = new Set(['PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers']);

export function reasonKey(kind: ContainerKind, name: string): string {
  return `${kind}/${name}`;
}

const EPOCH = '1970-01-01T00:00:00Z';
const time = (d: Date | undefined): string => (d ? rfc3339(d.getTime()) : EPOCH);

/** Go's %s of a []string: `[a b]`. */
function goList(names: readonly string[]): string {
  return `[${names.join(' ')}]`;
}

/** The kubelet's ShouldContainerBeRestarted (by the newest instance of the container). */
export function shouldContainerBeRestarted(pod: Pod, newest: ContainerStatus | undefined): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (!newest) return true;
  if (newest.state === 'running') return false;
  if (newest.state === 'unknown' || newest.state === 'created') return true;
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && (newest.exitCode ?? 0) === 0) return false;
  return true;
}

function newestByName(state: PodRuntimeState): Map<string, ContainerStatus> {
  const out = new Map<string, ContainerStatus>();
  for (const c of state.containers) if (!out.has(nameOf(c))) out.set(nameOf(c), c);
  return out;
}

function convert(c: ContainerStatus, spec: Container, input: PodStatusInput, old: ApiContainerStatus | undefined): ApiContainerStatus {
  const containerID = `${input.runtimeName}://${c.id}`;
  const status: ApiContainerStatus = {
    name: spec.name,
    image: c.image || spec.image || '',
    imageID: c.imageRef ?? '',
    containerID,
    restartCount: restartCountOf(c),
    ready: false,
    started: false,
    state: {},
    lastState: {},
  };
  switch (c.state) {
    case 'running':
      status.state = { running: { startedAt: time(c.startedAt) } };
      break;
    case 'created':
      status.state = { waiting: {} };
      break;
    case 'exited': {
      const exitCode = c.exitCode ?? 0;
      const message = input.terminationMessage?.(c) ?? c.message;
      status.state = {
        terminated: {
          exitCode,
          reason: c.reason || (exitCode === 0 ? 'Completed' : 'Error'),
          ...(message ? { message } : {}),
          startedAt: time(c.startedAt),
          finishedAt: time(c.finishedAt),
          containerID,
        },
      };
      break;
    }
    default:
      if (old?.state?.running) {
        status.state = { terminated: { reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', exitCode: 137 } };
        status.restartCount = (old.restartCount ?? 0) + 1;
      } else {
        status.state = { waiting: {} };
      }
  }
  return status;
}

function containerStatuses(specs: readonly Container[], kind: ContainerKind, input: PodStatusInput, hasInitContainers: boolean): ApiContainerStatus[] {
  const { pod, state } = input;
  const oldList = (kind === 'init' ? pod.status?.initContainerStatuses : pod.status?.containerStatuses) ?? [];
  const old = new Map(oldList.map((s) => [s.name, s]));
  const defaultWaiting: ContainerState = { waiting: { reason: hasInitContainers ? 'PodInitializing' : 'ContainerCreating' } };
  const statuses = new Map<string, ApiContainerStatus>();
  for (const spec of specs) {
    let status: ApiContainerStatus = { name: spec.name, image: spec.image ?? '', imageID: '', ready: false, restartCount: 0, started: false, state: deepCopy(defaultWaiting), lastState: {} };
    const o = old.get(spec.name);
    if (o) {
      if (o.state?.terminated) status = { ...deepCopy(o) };
      else {
        status.restartCount = o.restartCount ?? 0;
        status.lastState = deepCopy(o.lastState ?? {});
      }
    }
    statuses.set(spec.name, status);
  }

  const specByName = new Map(specs.map((s) => [s.name, s]));
  const seen = new Map<string, number>();
  for (const c of state.containers) {
    if (kindOf(c) !== kind) continue;
    const name = nameOf(c);
    const spec = specByName.get(name);
    if (!spec) continue;
    const n = seen.get(name) ?? 0;
    if (n >= 2) continue;
    const converted = convert(c, spec, input, old.get(name));
    if (n === 0) statuses.set(name, converted);
    else statuses.get(name)!.lastState = converted.state;
    seen.set(name, n + 1);
  }

  const newest = newestByName(state);
  for (const spec of specs) {
    const latest = newest.get(spec.name);
    if (kind === 'init' && latest?.state === 'exited' && latest.exitCode === 0) continue;
    if (!shouldContainerBeRestarted(pod, latest)) continue;
    const reason = input.reasons.get(reasonKey(kind, spec.name));
    if (!reason) continue;
    const status = statuses.get(spec.name)!;
    if (status.state?.terminated) status.lastState = status.state;
    status.state = { waiting: { reason: reason.reason, ...(reason.message ? { message: reason.message } : {}) } };
  }

  // started / ready, as the prober manager's UpdatePodStatus sets them.
  for (const spec of specs) {
    const status = statuses.get(spec.name)!;
    const id = status.containerID?.replace(/^[a-z0-9-]+:\/\//, '') ?? '';
    const running = !!status.state?.running;
    if (kind === 'init' && spec.restartPolicy !== 'Always') {
      status.started = running && (!spec.startupProbe || (input.probes.has(id) && input.probes.isStarted(id)));
      status.ready = !!status.state?.terminated && status.state.terminated.exitCode === 0;
      continue;
    }
    const started = running && (!spec.startupProbe || (input.probes.has(id) && input.probes.isStarted(id)));
    status.started = started;
    status.ready = started && (!spec.readinessProbe || (input.probes.has(id) && input.probes.isReady(id)));
  }

  const out = specs.map((s) => statuses.get(s.name)!);
  if (kind === 'app') out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** Any app container has run (so init containers are done, even if their records are gone). */
export function hasAnyRegularContainerStarted(pod: Pod, statuses: readonly ApiContainerStatus[]): boolean {
  const names = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  return statuses.some((s) => names.has(s.name) && (s.state?.running || s.state?.terminated || s.lastState?.terminated));
}

/** The kubelet's getPhase. */
export function podPhase(pod: Pod, init: readonly ApiContainerStatus[], app: readonly ApiContainerStatus[], podIsTerminal: boolean): PodStatus['phase'] {
  const spec = pod.spec ?? { containers: [] };
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') {
      const s = init.find((x) => x.name === c.name);
      if (!s || !s.started) pendingInitialization++;
      continue;
    }
    const s = init.find((x) => x.name === c.name);
    if (!s) {
      pendingInitialization++;
      continue;
    }
    if (s.state?.running) pendingInitialization++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInitialization++;
      } else pendingInitialization++;
    } else pendingInitialization++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.containers ?? []) {
    const s = app.find((x) => x.name === c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInitialization > 0 && spec.restartPolicy === 'Never') return 'Failed';
  if ((pendingInitialization > 0 && !hasAnyRegularContainerStarted(pod, app)) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (spec.restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (spec.restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

type Condition = Omit<PodCondition, 'lastProbeTime' | 'lastTransitionTime'>;

function initializedCondition(pod: Pod, init: readonly ApiContainerStatus[], app: readonly ApiContainerStatus[], phase: string | undefined): Condition {
  const specs = pod.spec?.initContainers ?? [];
  if (specs.length === 0) return { type: 'Initialized', status: 'True' };
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of specs) {
    const s = init.find((x) => x.name === c.name);
    if (!s) {
      unknown.push(c.name);
      continue;
    }
    if (c.restartPolicy === 'Always') {
      if (!s.started) incomplete.push(c.name);
      continue;
    }
    if (!s.state?.terminated || s.state.terminated.exitCode !== 0) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (hasAnyRegularContainerStarted(pod, app)) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length > 0) return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: messages.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

function containersReadyCondition(pod: Pod, init: readonly ApiContainerStatus[], app: readonly ApiContainerStatus[], phase: string | undefined): Condition {
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    const s = init.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  for (const c of pod.spec?.containers ?? []) {
    const s = app.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length > 0) return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: messages.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

function readyCondition(pod: Pod, containersReady: Condition, conditions: readonly Condition[]): Condition {
  if (containersReady.status !== 'True') return { ...containersReady, type: 'Ready' };
  const messages: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (messages.length > 0) return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') };
  return { type: 'Ready', status: 'True' };
}

/** The kubelet's TerminatePod: what never reached a terminated state is reported lost. */
function markLost(statuses: ApiContainerStatus[]): void {
  for (const s of statuses) {
    if (s.state?.terminated) continue;
    s.state = { terminated: { reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', exitCode: 137 } };
    s.ready = false;
    s.started = false;
  }
}

/** Compute the pod's status (conditions without transition times; see mergePodStatus). */
export function computePodStatus(input: PodStatusInput): PodStatus {
  const { pod } = input;
  const spec = pod.spec ?? { containers: [] };
  const hasInit = (spec.initContainers ?? []).length > 0;
  const init = containerStatuses(spec.initContainers ?? [], 'init', input, hasInit);
  const app = containerStatuses(spec.containers ?? [], 'app', input, hasInit);
  if (input.killed) {
    markLost(app);
    if (!hasAnyRegularContainerStarted(pod, app)) markLost(init);
  }
  let phase = podPhase(pod, init, app, input.podIsTerminal);
  if (input.podReason?.reason === 'DeadlineExceeded') phase = 'Failed';
  if (phase === 'Succeeded' || phase === 'Failed') {
    for (const s of [...init, ...app]) s.ready = s.ready && !!s.state?.terminated && (spec.initContainers ?? []).some((c) => c.name === s.name);
  }

  const kept: Condition[] = (pod.status?.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type)).map((c) => deepCopy(c));
  const containersReady = containersReadyCondition(pod, init, app, phase);
  const conditions: Condition[] = [
    ...kept,
    { type: 'PodReadyToStartContainers', status: input.sandboxReady ? 'True' : 'False' },
    initializedCondition(pod, init, app, phase),
    readyCondition(pod, containersReady, kept),
    containersReady,
    { type: 'PodScheduled', status: 'True' },
  ];

  const podIPs = input.podIPs.length > 0 ? input.podIPs : (pod.status?.podIPs ?? []).map((p) => p.ip);
  const status: PodStatus = {
    phase,
    conditions: conditions as PodCondition[],
    hostIP: input.hostIPs[0],
    hostIPs: input.hostIPs.map((ip) => ({ ip })),
    ...(podIPs.length > 0 ? { podIP: podIPs[0], podIPs: podIPs.map((ip) => ({ ip })) } : {}),
    startTime: pod.status?.startTime ?? rfc3339(input.now),
    ...(hasInit ? { initContainerStatuses: init } : {}),
    containerStatuses: app,
    qosClass: pod.status?.qosClass ?? podQOSClass(spec as never),
  };
  if (input.podReason) {
    status.reason = input.podReason.reason;
    status.message = input.podReason.message;
  } else if (pod.status?.reason && (phase === 'Failed' || phase === 'Succeeded')) {
    status.reason = pod.status.reason;
    if (pod.status.message) status.message = pod.status.message;
  }
  if (pod.status?.nominatedNodeName) status.nominatedNodeName = pod.status.nominatedNodeName;
  return status;
}

/**
 * Carry transition times over from `old` (a condition whose status did not
 * change keeps its time; PodScheduled keeps the scheduler's), and set
 * lastProbeTime null as Kubernetes serialises it.
 */
export function mergePodStatus(old: PodStatus | undefined, next: PodStatus, now: number): PodStatus {
  const stamp = rfc3339(now);
  const conditions = (next.conditions ?? []).map((c) => {
    const before = old?.conditions?.find((o) => o.type === c.type);
    const transition = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : (c.lastTransitionTime ?? stamp);
    return { ...c, lastProbeTime: null, lastTransitionTime: transition } as unknown as PodCondition;
  });
  return { ...next, conditions };
}

/** Status equality for "did anything change" (key order does not matter). */
export function sameStatus(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  return canonical(a ?? {}) === canonical(b ?? {});
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
