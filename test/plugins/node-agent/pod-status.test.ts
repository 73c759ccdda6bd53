/**
 * Pod status computed from runtime state, as the kubelet computes it: every
 * STATUS kubectl shows (through the API's own printer), phases, conditions
 * with Kubernetes' reasons and messages, container states and lastState,
 * and transition times carried over.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { ContainerStatus } from '../../../kernel/runtime/types';
import { RuntimeLabels } from '../../../kernel/runtime/types';
import { podRow } from '../../../kernel/api/resources/pods';
import type { PodRuntimeState } from '../../../plugins/node-agent/runtime-state';
import { computePodStatus, mergePodStatus, type WaitingReason } from '../../../plugins/node-agent/pod-status';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

interface InstanceSpec {
  name: string;
  kind?: 'init' | 'app';
  state: 'running' | 'exited' | 'created';
  exitCode?: number;
  restarts?: number;
  /** Seconds after T0 it was created (newer is larger). */
  at?: number;
  reason?: string;
}

function instance(spec: InstanceSpec, i: number): ContainerStatus {
  const at = T0 + (spec.at ?? i) * 1000;
  return {
    id: `id-${spec.name}-${spec.restarts ?? 0}`,
    name: spec.name,
    state: spec.state,
    createdAt: new Date(at),
    startedAt: spec.state === 'created' ? undefined : new Date(at),
    finishedAt: spec.state === 'exited' ? new Date(at + 500) : undefined,
    exitCode: spec.state === 'exited' ? (spec.exitCode ?? 0) : undefined,
    reason: spec.reason,
    image: 'busybox:latest',
    imageRef: 'docker-pullable://busybox@sha256:abc',
    labels: {
      [RuntimeLabels.containerName]: spec.name,
      [RuntimeLabels.containerKind]: spec.kind ?? 'app',
      [RuntimeLabels.restartCount]: String(spec.restarts ?? 0),
    },
  };
}

function state(instances: InstanceSpec[]): PodRuntimeState {
  const containers = instances.map(instance).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  return { sandboxes: [{ id: 'sb', state: 'ready', createdAt: new Date(T0), ip: '10.0.0.5', labels: {} }], containers };
}

function pod(spec: { containers: string[]; init?: string[]; policy?: string; deleting?: boolean; readiness?: string[] }): Pod {
  const c = (name: string): Container => ({ name, image: 'busybox', ...(spec.readiness?.includes(name) ? { readinessProbe: { exec: { command: ['true'] } } } : {}) });
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', creationTimestamp: new Date(T0).toISOString(), ...(spec.deleting ? { deletionTimestamp: new Date(T0).toISOString() } : {}) },
    spec: { restartPolicy: spec.policy ?? 'Always', containers: spec.containers.map(c), ...(spec.init ? { initContainers: spec.init.map(c) } : {}) },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-01-01T11:00:00Z' }] },
  };
}

const noProbes = { isStarted: () => true, isReady: () => true, has: () => true };
const notReady = { isStarted: () => true, isReady: () => false, has: () => true };

interface Case {
  name: string;
  pod: Pod;
  instances: InstanceSpec[];
  reasons?: Record<string, WaitingReason>;
  probes?: typeof noProbes;
  terminal?: boolean;
  status: string;
  ready: string;
  phase: string;
}

const cases: Case[] = [
  { name: 'nothing created yet', pod: pod({ containers: ['app'] }), instances: [], status: 'ContainerCreating', ready: '0/1', phase: 'Pending' },
  { name: 'two init containers, none run', pod: pod({ containers: ['app'], init: ['one', 'two'] }), instances: [], status: 'Init:0/2', ready: '0/1', phase: 'Pending' },
  {
    name: 'first init container done, second running',
    pod: pod({ containers: ['app'], init: ['one', 'two'] }),
    instances: [{ name: 'one', kind: 'init', state: 'exited', exitCode: 0 }, { name: 'two', kind: 'init', state: 'running' }],
    status: 'Init:1/2',
    ready: '0/1',
    phase: 'Pending',
  },
  {
    name: 'init container failed, restartPolicy Never',
    pod: pod({ containers: ['app'], init: ['one'], policy: 'Never' }),
    instances: [{ name: 'one', kind: 'init', state: 'exited', exitCode: 1 }],
    status: 'Init:Error',
    ready: '0/1',
    phase: 'Failed',
  },
  {
    name: 'init container failing and backing off',
    pod: pod({ containers: ['app'], init: ['one'] }),
    instances: [{ name: 'one', kind: 'init', state: 'exited', exitCode: 1 }],
    reasons: { 'init/one': { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=one pod=web_default(uid-1)' } },
    status: 'Init:CrashLoopBackOff',
    ready: '0/1',
    phase: 'Pending',
  },
  {
    name: 'init done, app container not created yet',
    pod: pod({ containers: ['app'], init: ['one'] }),
    instances: [{ name: 'one', kind: 'init', state: 'exited', exitCode: 0 }],
    status: 'PodInitializing',
    ready: '0/1',
    phase: 'Pending',
  },
  { name: 'running', pod: pod({ containers: ['app'] }), instances: [{ name: 'app', state: 'running' }], status: 'Running', ready: '1/1', phase: 'Running' },
  { name: 'running, readiness not passed', pod: pod({ containers: ['app'], readiness: ['app'] }), instances: [{ name: 'app', state: 'running' }], probes: notReady, status: 'Running', ready: '0/1', phase: 'Running' },
  {
    name: 'crashed and backing off',
    pod: pod({ containers: ['app'] }),
    instances: [{ name: 'app', state: 'exited', exitCode: 1 }],
    reasons: { 'app/app': { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=web_default(uid-1)' } },
    status: 'CrashLoopBackOff',
    ready: '0/1',
    phase: 'Running',
  },
  { name: 'crashed, restart not decided yet', pod: pod({ containers: ['app'] }), instances: [{ name: 'app', state: 'exited', exitCode: 2 }], status: 'Error', ready: '0/1', phase: 'Running' },
  { name: 'completed, restartPolicy Never', pod: pod({ containers: ['app'], policy: 'Never' }), instances: [{ name: 'app', state: 'exited', exitCode: 0 }], status: 'Completed', ready: '0/1', phase: 'Succeeded' },
  { name: 'failed, restartPolicy Never', pod: pod({ containers: ['app'], policy: 'Never' }), instances: [{ name: 'app', state: 'exited', exitCode: 1 }], status: 'Error', ready: '0/1', phase: 'Failed' },
  { name: 'completed, restartPolicy OnFailure', pod: pod({ containers: ['app'], policy: 'OnFailure' }), instances: [{ name: 'app', state: 'exited', exitCode: 0 }], status: 'Completed', ready: '0/1', phase: 'Succeeded' },
  { name: 'image pull failed', pod: pod({ containers: ['app'] }), instances: [], reasons: { 'app/app': { reason: 'ErrImagePull', message: 'not found' } }, status: 'ErrImagePull', ready: '0/1', phase: 'Pending' },
  { name: 'image pull backing off', pod: pod({ containers: ['app'] }), instances: [], reasons: { 'app/app': { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope"' } }, status: 'ImagePullBackOff', ready: '0/1', phase: 'Pending' },
  {
    name: 'config error',
    pod: pod({ containers: ['app'] }),
    instances: [],
    reasons: { 'app/app': { reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' } },
    status: 'CreateContainerConfigError',
    ready: '0/1',
    phase: 'Pending',
  },
  { name: 'being deleted', pod: pod({ containers: ['app'], deleting: true }), instances: [{ name: 'app', state: 'running' }], status: 'Terminating', ready: '1/1', phase: 'Running' },
  {
    name: 'one of two containers completed, the other running',
    pod: pod({ containers: ['a', 'b'], policy: 'OnFailure' }),
    instances: [{ name: 'a', state: 'exited', exitCode: 0 }, { name: 'b', state: 'running' }],
    status: 'NotReady',
    ready: '1/2',
    phase: 'Running',
  },
];

test.each(cases)('$name: STATUS $status, READY $ready, phase $phase', (c) => {
  const status = computePodStatus({
    pod: c.pod,
    state: state(c.instances),
    runtimeName: 'docker',
    reasons: new Map(Object.entries(c.reasons ?? {})),
    probes: c.probes ?? noProbes,
    podIPs: ['10.0.0.5'],
    hostIPs: ['192.0.2.10'],
    sandboxReady: true,
    podIsTerminal: c.terminal ?? false,
    now: T0 + 60_000,
  });
  const row = podRow({ ...c.pod, status }, new Date(T0 + 60_000));
  expect({ ready: row[0], status: row[1], phase: status.phase }).toEqual({ ready: c.ready, status: c.status, phase: c.phase });
});

function compute(p: Pod, instances: InstanceSpec[], reasons: Record<string, WaitingReason> = {}, probes = noProbes) {
  return computePodStatus({ pod: p, state: state(instances), runtimeName: 'docker', reasons: new Map(Object.entries(reasons)), probes, podIPs: ['10.0.0.5'], hostIPs: ['192.0.2.10'], sandboxReady: true, podIsTerminal: false, now: T0 });
}

test('conditions carry Kubernetes reasons and messages, in the kubelet\'s order, after PodScheduled is kept', () => {
  const status = compute(pod({ containers: ['b', 'a'], init: ['setup'] }), []);
  expect(status.conditions).toEqual([
    { type: 'PodReadyToStartContainers', status: 'True' },
    { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [setup]' },
    { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b a]' },
    { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b a]' },
    { type: 'PodScheduled', status: 'True' },
  ]);
  // App container statuses sorted by name, init ones in spec order; all waiting with PodInitializing.
  expect(status.containerStatuses!.map((s) => [s.name, s.state?.waiting?.reason])).toEqual([
    ['a', 'PodInitializing'],
    ['b', 'PodInitializing'],
  ]);
  expect(status.initContainerStatuses!.map((s) => [s.name, s.state?.waiting?.reason])).toEqual([['setup', 'PodInitializing']]);
});

test('a succeeded pod: Ready and ContainersReady False with PodCompleted, Initialized True with PodCompleted', () => {
  const status = compute(pod({ containers: ['app'], init: ['setup'], policy: 'Never' }), [
    { name: 'setup', kind: 'init', state: 'exited', exitCode: 0 },
    { name: 'app', state: 'exited', exitCode: 0 },
  ]);
  expect(status.phase).toBe('Succeeded');
  const byType = Object.fromEntries(status.conditions!.map((c) => [c.type, [c.status, c.reason]]));
  expect(byType).toMatchObject({ Initialized: ['True', 'PodCompleted'], Ready: ['False', 'PodCompleted'], ContainersReady: ['False', 'PodCompleted'] });
  // A completed init container is ready and not started, as the kubelet reports it.
  expect(status.initContainerStatuses![0]).toMatchObject({ ready: true, started: false, state: { terminated: { reason: 'Completed', exitCode: 0 } } });
});

test('the newest instance is the state, the one before it lastState; restartCount comes from the newest', () => {
  const status = compute(pod({ containers: ['app'] }), [
    { name: 'app', state: 'exited', exitCode: 1, restarts: 0, at: 1 },
    { name: 'app', state: 'exited', exitCode: 137, restarts: 1, at: 2, reason: 'OOMKilled' },
    { name: 'app', state: 'running', restarts: 2, at: 3 },
  ]);
  const s = status.containerStatuses![0];
  expect(s).toMatchObject({
    restartCount: 2,
    containerID: 'docker://id-app-2',
    imageID: 'docker-pullable://busybox@sha256:abc',
    state: { running: { startedAt: '2024-01-01T12:00:03Z' } },
    lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', containerID: 'docker://id-app-1', startedAt: '2024-01-01T12:00:02Z', finishedAt: '2024-01-01T12:00:02Z' } },
    ready: true,
    started: true,
  });
});

test('a crash-looping container is waiting with the back-off message, its last run in lastState', () => {
  const status = compute(pod({ containers: ['app'] }), [{ name: 'app', state: 'exited', exitCode: 3, restarts: 4 }], {
    'app/app': { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=app pod=web_default(uid-1)' },
  });
  expect(status.containerStatuses![0]).toMatchObject({
    restartCount: 4,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=app pod=web_default(uid-1)' } },
    lastState: { terminated: { exitCode: 3, reason: 'Error' } },
  });
});

test('pod IPs, host IPs, start time and QoS class', () => {
  const status = compute(pod({ containers: ['app'] }), [{ name: 'app', state: 'running' }]);
  expect(status).toMatchObject({ podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }], hostIP: '192.0.2.10', hostIPs: [{ ip: '192.0.2.10' }], startTime: '2024-01-01T12:00:00Z', qosClass: 'BestEffort' });
});

test('killed pods report containers that never terminated as ContainerStatusUnknown (the kubelet\'s TerminatePod)', () => {
  const p = pod({ containers: ['a', 'b'], deleting: true });
  const status = computePodStatus({
    pod: p,
    state: state([{ name: 'a', state: 'exited', exitCode: 143 }]),
    runtimeName: 'docker',
    reasons: new Map(),
    probes: noProbes,
    podIPs: [],
    hostIPs: ['192.0.2.10'],
    sandboxReady: false,
    podIsTerminal: true,
    killed: true,
    now: T0,
  });
  expect(status.phase).toBe('Failed');
  expect(status.containerStatuses!.map((s) => s.state?.terminated?.reason)).toEqual(['Error', 'ContainerStatusUnknown']);
});

test('transition times: kept while a condition holds, now when it flips; PodScheduled keeps the scheduler\'s', () => {
  const p = pod({ containers: ['app'] });
  const first = mergePodStatus(p.status, compute(p, []), T0);
  const ready = (s: typeof first) => s.conditions!.find((c) => c.type === 'Ready')!;
  expect(ready(first)).toMatchObject({ status: 'False', lastTransitionTime: '2024-01-01T12:00:00Z', lastProbeTime: null });
  expect(first.conditions!.find((c) => c.type === 'PodScheduled')!.lastTransitionTime).toBe('2024-01-01T11:00:00Z');
  const same = mergePodStatus(first, compute({ ...p, status: first }, []), T0 + 5000);
  expect(ready(same).lastTransitionTime).toBe('2024-01-01T12:00:00Z');
  const flipped = mergePodStatus(same, compute({ ...p, status: same }, [{ name: 'app', state: 'running' }]), T0 + 9000);
  expect(ready(flipped)).toMatchObject({ status: 'True', lastTransitionTime: '2024-01-01T12:00:09Z' });
});

test('readiness gates: Ready waits for the gate\'s condition', () => {
  const p = pod({ containers: ['app'] });
  p.spec!.readinessGates = [{ conditionType: 'example.com/lb' }];
  const missing = compute(p, [{ name: 'app', state: 'running' }]);
  expect(missing.conditions!.find((c) => c.type === 'Ready')).toEqual({
    type: 'Ready',
    status: 'False',
    reason: 'ReadinessGatesNotReady',
    message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.',
  });
  p.status!.conditions!.push({ type: 'example.com/lb', status: 'True' });
  const met = compute(p, [{ name: 'app', state: 'running' }]);
  expect(met.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
  // The gate's condition is kept, before the kubelet's own.
  expect(met.conditions![0].type).toBe('example.com/lb');
});
