/**
 * The framework's arithmetic: effective requests (init containers, sidecars,
 * overhead, kube's non-zero defaults), the host ports a pod holds, how many
 * feasible nodes to look for, and the FailedScheduling summary.
 */
import { podHostPorts } from '../../../plugins/scheduler/framework/node-info';
import { podRequests } from '../../../plugins/scheduler/framework/resources';
import { fitErrorMessage, numFeasibleNodesToFind } from '../../../plugins/scheduler/scheduler';
import { SchedulingStatus } from '../../../kernel/scheduling/types';
import { makePod } from './support';

const c = (name: string, cpu?: string, extra: Record<string, unknown> = {}) => ({ name, image: 'busybox', ...(cpu ? { resources: { requests: { cpu } } } : {}), ...extra });

test.each([
  ['app containers add up', { containers: [c('a', '200m'), c('b', '300m')] }, 500],
  ['the largest init container wins over a smaller sum', { containers: [c('a', '200m')], initContainers: [c('i', '1')] }, 1000],
  ['sidecars run beside everything after them', { containers: [c('a', '200m')], initContainers: [c('side', '100m', { restartPolicy: 'Always' }), c('i', '500m')] }, 600],
  ['overhead is added', { containers: [c('a', '200m')], overhead: { cpu: '50m' } }, 250],
])('podRequests: %s', (_what, spec, cpu) => {
  const pod = { ...makePod({ name: 'p' }), spec: spec as never };
  expect(podRequests(pod).cpu).toBe(cpu);
});

test('non-zero requests default only what is absent', () => {
  const absent = { ...makePod({ name: 'p' }), spec: { containers: [c('a')] } };
  const zero = { ...makePod({ name: 'p' }), spec: { containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '0', memory: '0' } } }] } };
  expect(podRequests(absent, true)).toMatchObject({ cpu: 100, memory: 200 * 1024 * 1024 });
  expect(podRequests(zero, true)).toMatchObject({ cpu: 0, memory: 0 });
});

test('host ports held: app containers and sidecars, not init containers that finish', () => {
  const pod = {
    ...makePod({ name: 'p' }),
    spec: {
      initContainers: [c('setup', undefined, { ports: [{ containerPort: 1, hostPort: 7001 }] }), c('side', undefined, { restartPolicy: 'Always', ports: [{ containerPort: 2, hostPort: 7002, protocol: 'UDP' }] })],
      containers: [c('a', undefined, { ports: [{ containerPort: 3, hostPort: 7003, hostIP: '10.0.0.1' }, { containerPort: 4 }] })],
    },
  };
  expect(podHostPorts(pod as never)).toEqual([
    { hostIP: '0.0.0.0', protocol: 'UDP', port: 7002 },
    { hostIP: '10.0.0.1', protocol: 'TCP', port: 7003 },
  ]);
});

test.each([
  [50, 0, 50],
  [100, 0, 100],
  [1000, 0, 420],
  [5000, 0, 500],
  [10_000, 0, 500],
  [100_000, 0, 5000],
  [5000, 30, 1500],
  [5000, 1, 100],
])('numFeasibleNodesToFind(%d nodes, %d%%) = %d', (nodes, pct, want) => {
  expect(numFeasibleNodesToFind(nodes, pct)).toBe(want);
});

test('the FailedScheduling summary counts reasons over nodes, sorted as strings, then what preemption said', () => {
  const failures = new Map([
    ['a', SchedulingStatus.unschedulable('Insufficient cpu')],
    ['b', SchedulingStatus.unschedulable('Insufficient cpu', 'Insufficient memory')],
    ['c', SchedulingStatus.unresolvable('node(s) had untolerated taint {dedicated: gpu}')],
  ]);
  expect(fitErrorMessage(3, failures, undefined, 'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.')).toBe(
    '0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
  );
  expect(fitErrorMessage(3, failures, 'no nodes available to schedule pods')).toBe('0/3 nodes are available: no nodes available to schedule pods.');
});
