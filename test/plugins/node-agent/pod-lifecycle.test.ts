/**
 * Pods through the agent over the FakeContainerRuntime test double: a pod
 * runs in a sandbox with Kubernetes' labels and events; init containers run
 * one at a time to success; restartPolicy decides restarts; CrashLoopBackOff
 * backs off 10 s doubling to 5 min and resets after 10 minutes of running.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import { RuntimeLabels } from '../../../kernel/runtime/types';
import { harness, podRow, type Harness } from './support';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const status = async (name: string): Promise<string> => podRow(await h.pod(name), new Date(h.clock.now()))[1] as string;
const ready = async (name: string): Promise<string> => podRow(await h.pod(name), new Date(h.clock.now()))[0] as string;

test('a pod runs: one sandbox, its container with the runtime labels, status Running and Ready, events in order', async () => {
  h = await harness();
  const created = await h.createPod('web', { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] }, { labels: { app: 'web' } });
  expect(h.runtime.calls).toEqual(['runPodSandbox web', 'createContainer web/app', 'startContainer web/app']);

  const [sandbox] = [...h.runtime.sandboxes.values()];
  expect(sandbox.config).toMatchObject({ podUid: created.metadata!.uid, podName: 'web', namespace: 'default', hostname: 'web', hostNetwork: false, portMappings: [] });
  expect(sandbox.config.labels).toMatchObject({ app: 'web', [RuntimeLabels.node]: 'node-a', [RuntimeLabels.podUid]: created.metadata!.uid, [RuntimeLabels.type]: 'podsandbox' });
  // ClusterFirst without a cluster DNS server: the node's servers, Kubernetes' search path first.
  expect(sandbox.config.dns).toEqual({ servers: ['10.0.0.53'], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'example.internal'], options: ['ndots:5'] });

  const container = h.runtime.newest('web', 'app')!;
  expect(container.sandboxId).toBe(sandbox.id);
  expect(container.config.command).toEqual(['sleep', '3600']);
  expect(container.config.labels).toMatchObject({
    [RuntimeLabels.node]: 'node-a',
    [RuntimeLabels.podUid]: created.metadata!.uid,
    [RuntimeLabels.podName]: 'web',
    [RuntimeLabels.podNamespace]: 'default',
    [RuntimeLabels.containerName]: 'app',
    [RuntimeLabels.type]: 'container',
    [RuntimeLabels.restartCount]: '0',
    [RuntimeLabels.containerKind]: 'app',
  });
  expect(container.config.labels[RuntimeLabels.specHash]).toMatch(/^[0-9a-f]{8}$/);
  // The termination message file is the container's /dev/termination-log.
  expect(container.config.mounts).toEqual([expect.objectContaining({ containerPath: '/dev/termination-log', readOnly: false })]);

  const pod = await h.pod('web');
  expect(podRow(pod, new Date(h.clock.now())).slice(0, 3)).toEqual(['1/1', 'Running', '0']);
  expect(pod.status).toMatchObject({ phase: 'Running', podIP: sandbox.ip, hostIP: '192.0.2.10', startTime: '2024-01-01T12:00:00Z' });
  expect(pod.status!.containerStatuses![0]).toMatchObject({ name: 'app', ready: true, started: true, restartCount: 0, containerID: `fake://${container.id}`, state: { running: { startedAt: '2024-01-01T12:00:00Z' } } });
  expect(await h.events('web')).toEqual([
    'Normal Pulling: Pulling image "busybox"',
    'Normal Pulled: Successfully pulled image "busybox" in 0s (0s including waiting). Image size: 1234 bytes.',
    'Normal Created: Created container app',
    'Normal Started: Started container app',
  ]);
});

test('status is written only when it changed', async () => {
  h = await harness();
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox' }] });
  const writes = () => h.api.callsOf('patch', 'pods').length;
  const before = writes();
  await h.advance(120_000); // relists, a pod resync, node status ticks: nothing about the pod changed
  expect(writes()).toBe(before);
});

test('two containers share the sandbox; hostPorts become port mappings; hostname and host aliases pass through', async () => {
  h = await harness();
  await h.createPod('pair', {
    hostname: 'custom',
    hostAliases: [{ ip: '10.1.2.3', hostnames: ['db.local'] }],
    containers: [
      { name: 'web', image: 'busybox', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] },
      { name: 'sidecar', image: 'busybox' },
    ],
  });
  const [sandbox] = [...h.runtime.sandboxes.values()];
  expect(sandbox.config).toMatchObject({ hostname: 'custom', hostAliases: [{ ip: '10.1.2.3', hostnames: ['db.local'] }], portMappings: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] });
  expect(h.runtime.newest('pair', 'web')!.sandboxId).toBe(sandbox.id);
  expect(h.runtime.newest('pair', 'sidecar')!.sandboxId).toBe(sandbox.id);
  expect(await ready('pair')).toBe('2/2');
});

test('init containers run one at a time, each to success, before the app containers', async () => {
  h = await harness();
  await h.createPod('init', {
    initContainers: [
      { name: 'one', image: 'busybox' },
      { name: 'two', image: 'busybox' },
    ],
    containers: [{ name: 'app', image: 'busybox' }],
  });
  expect(h.runtime.calls.filter((c) => c.startsWith('create'))).toEqual(['createContainer init/one']);
  expect(await status('init')).toBe('Init:0/2');
  const initializing = await h.pod('init');
  expect(initializing.status!.conditions!.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [one two]' });

  h.runtime.exit(h.runtime.newest('init', 'one')!.id, 0);
  await h.advance(1000); // the relist notices
  expect(h.runtime.calls.filter((c) => c.startsWith('create'))).toEqual(['createContainer init/one', 'createContainer init/two']);
  expect(await status('init')).toBe('Init:1/2');

  h.runtime.exit(h.runtime.newest('init', 'two')!.id, 0);
  await h.advance(1000);
  expect(h.runtime.calls.filter((c) => c.startsWith('create'))).toEqual(['createContainer init/one', 'createContainer init/two', 'createContainer init/app']);
  expect(await status('init')).toBe('Running');
  const pod = await h.pod('init');
  expect(pod.status!.initContainerStatuses!.map((s) => [s.name, s.state?.terminated?.reason, s.ready])).toEqual([
    ['one', 'Completed', true],
    ['two', 'Completed', true],
  ]);

  // Nothing runs the init containers again while the pod lives (an agent restart included).
  await h.restart();
  await h.advance(5000);
  expect(h.runtime.calls.filter((c) => c.startsWith('create'))).toHaveLength(3);
});

test('a failing init container is retried with back-off (Init:CrashLoopBackOff); the app container waits', async () => {
  h = await harness();
  await h.createPod('init', { initContainers: [{ name: 'setup', image: 'busybox', command: ['sh', '-c', 'exit 1'] }], containers: [{ name: 'app', image: 'busybox' }] });
  expect(await status('init')).toBe('Init:Error');
  await h.advance(1000); // restarted at once (first failure), fails again
  expect(h.runtime.instances('init', 'setup')).toHaveLength(2);
  await h.advance(1000);
  expect(await status('init')).toBe('Init:CrashLoopBackOff');
  expect(h.runtime.instances('init', 'app')).toHaveLength(0);
});

test('a failing init container fails a restartPolicy Never pod (Init:Error, phase Failed) and is not retried', async () => {
  h = await harness();
  await h.createPod('init', { restartPolicy: 'Never', initContainers: [{ name: 'setup', image: 'busybox', command: ['sh', '-c', 'exit 3'] }], containers: [{ name: 'app', image: 'busybox' }] });
  await h.advance(30_000);
  const pod = await h.pod('init');
  expect(podRow(pod, new Date(h.clock.now()))[1]).toBe('Init:Error');
  expect(pod.status!.phase).toBe('Failed');
  expect(h.runtime.instances('init', 'setup')).toHaveLength(1);
  expect(h.runtime.instances('init', 'app')).toHaveLength(0);
});

interface PolicyCase {
  policy: 'Always' | 'OnFailure' | 'Never';
  exitCode: number;
  restarted: boolean;
  phase: string;
  status: string;
}

const policies: PolicyCase[] = [
  { policy: 'Always', exitCode: 0, restarted: true, phase: 'Running', status: 'Running' },
  { policy: 'Always', exitCode: 1, restarted: true, phase: 'Running', status: 'Running' },
  { policy: 'OnFailure', exitCode: 0, restarted: false, phase: 'Succeeded', status: 'Completed' },
  { policy: 'OnFailure', exitCode: 1, restarted: true, phase: 'Running', status: 'Running' },
  { policy: 'Never', exitCode: 0, restarted: false, phase: 'Succeeded', status: 'Completed' },
  { policy: 'Never', exitCode: 1, restarted: false, phase: 'Failed', status: 'Error' },
];

test.each(policies)('restartPolicy $policy, exit $exitCode: restarted $restarted, phase $phase, STATUS $status', async (c) => {
  h = await harness();
  await h.createPod('job', { restartPolicy: c.policy, containers: [{ name: 'app', image: 'busybox' }] });
  h.runtime.exit(h.runtime.newest('job', 'app')!.id, c.exitCode);
  await h.advance(1000);
  expect(h.runtime.instances('job', 'app')).toHaveLength(c.restarted ? 2 : 1);
  const pod = await h.pod('job');
  expect(pod.status!.phase).toBe(c.phase);
  expect(podRow(pod, new Date(h.clock.now()))[1]).toBe(c.status);
  if (c.restarted) {
    expect(pod.status!.containerStatuses![0]).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: c.exitCode } } });
  } else {
    // A finished pod's sandbox is stopped; its container stays for logs.
    expect([...h.runtime.sandboxes.values()][0].state).toBe('notready');
    expect(h.runtime.calls).toContain('stopPodSandbox job');
  }
});

test('CrashLoopBackOff is capped at 5 min, with the back-off message in status and BackOff events counted', async () => {
  h = await harness();
  const created = await h.createPod('crash', { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'exit 1'] }] });
  const uid = created.metadata!.uid!;
  await h.advance(30 * 60_000);
  const runs = h.runtime.instances('crash', 'app');
  // Only the newest two instances are kept; the agent's start calls tell the whole story.
  const starts = h.runtime.calls.filter((c) => c === 'startContainer crash/app').length;
  expect(starts).toBeGreaterThan(8);
  expect(runs).toHaveLength(2);

  // The delays between a crash and the next start, from the runtime's own clock readings.
  h.runtime.calls.length = 0;
  const gaps: number[] = [];
  let last = h.runtime.newest('crash', 'app')!;
  for (let i = 0; i < 3; i++) {
    const finished = last.finishedAt!.getTime();
    while (h.runtime.newest('crash', 'app')!.id === last.id) await h.advance(1000);
    last = h.runtime.newest('crash', 'app')!;
    gaps.push(Math.round((last.startedAt!.getTime() - finished) / 1000));
  }
  expect(gaps).toEqual([300, 300, 300]);

  // Just after a crash the container shows Error; the next sync puts it in back-off.
  expect(await status('crash')).toBe('Error');
  await h.advance(2000);
  const pod = await h.pod('crash');
  expect(podRow(pod, new Date(h.clock.now()))[1]).toBe('CrashLoopBackOff');
  expect(pod.status!.containerStatuses![0].state!.waiting).toEqual({ reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=app pod=crash_default(${uid})` });
  const backOff = (await h.events('crash')).find((e) => e.startsWith('Warning BackOff'));
  expect(backOff).toMatch(new RegExp(`^Warning BackOff: Back-off restarting failed container app in pod crash_default\\(${uid}\\) \\(x\\d+\\)$`));
});

test('CrashLoopBackOff delays double from 10 s', async () => {
  h = await harness();
  await h.createPod('crash', { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'exit 1'] }] });
  const startTimes: number[] = [];
  const finishTimes: number[] = [];
  let seen = '';
  for (let t = 0; t < 700; t++) {
    const newest = h.runtime.newest('crash', 'app')!;
    if (newest.id !== seen) {
      seen = newest.id;
      startTimes.push(newest.startedAt!.getTime());
      finishTimes.push(newest.finishedAt!.getTime());
    }
    await h.advance(1000);
  }
  const gaps = startTimes.slice(1).map((s, i) => Math.round((s - finishTimes[i]) / 1000));
  // The first restart waits only for the relist that notices the exit (at most 1 s).
  expect(gaps[0]).toBeLessThanOrEqual(1);
  expect(gaps.slice(1, 7)).toEqual([10, 20, 40, 80, 160, 300]);
});

test('the back-off resets after the container ran for 10 minutes', async () => {
  h = await harness();
  await h.createPod('flaky', { containers: [{ name: 'app', image: 'busybox' }] });
  const crash = async () => {
    h.runtime.exit(h.runtime.newest('flaky', 'app')!.id, 1);
    const before = h.runtime.newest('flaky', 'app')!.id;
    let waited = 0;
    while (h.runtime.newest('flaky', 'app')!.id === before) {
      await h.advance(1000);
      waited++;
    }
    return waited;
  };
  expect(await crash()).toBe(1); // at once (as soon as the relist sees it)
  expect(await crash()).toBe(10);
  expect(await crash()).toBe(20);
  await h.advance(11 * 60_000); // runs for 11 minutes
  expect(await crash()).toBe(1);
  expect(await crash()).toBe(10);
});

test('a container whose start fails is reported (RunContainerError, Failed event) and retried with back-off', async () => {
  h = await harness();
  h.runtime.startFailures.add('app');
  await h.createPod('bad', { containers: [{ name: 'app', image: 'busybox', command: ['nope'] }] });
  let pod: Pod = await h.pod('bad');
  expect(pod.status!.containerStatuses![0].state!.waiting).toMatchObject({ reason: 'RunContainerError', message: 'failed to start container "app": exec: "nope": executable file not found in $PATH' });
  expect(podRow(pod, new Date(h.clock.now()))[1]).toBe('RunContainerError');
  expect(await h.events('bad')).toContain('Warning Failed: Error: failed to start container "app": exec: "nope": executable file not found in $PATH');
  await h.advance(3000);
  pod = await h.pod('bad');
  expect(podRow(pod, new Date(h.clock.now()))[1]).toBe('CrashLoopBackOff');
  expect(pod.status!.containerStatuses![0].lastState!.terminated).toMatchObject({ exitCode: 128, reason: 'ContainerCannotRun', message: 'exec: "nope": executable file not found in $PATH', startedAt: '1970-01-01T00:00:00Z' });
});

test('activeDeadlineSeconds: the pod fails with DeadlineExceeded and its containers are stopped', async () => {
  h = await harness();
  await h.createPod('deadline', { activeDeadlineSeconds: 30, containers: [{ name: 'app', image: 'busybox' }] });
  await h.advance(31_000);
  const pod = await h.pod('deadline');
  expect(pod.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
  expect(h.runtime.newest('deadline', 'app')!.state).toBe('exited');
  expect(await h.events('deadline')).toContain('Warning DeadlineExceeded: Pod was active on the node longer than the specified deadline');
});

test('a changed image restarts the container ("definition changed")', async () => {
  h = await harness();
  h.runtime.pullResults.set('busybox:1.36', 'ok');
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox' }] });
  const pod = await h.pod('web');
  const next = JSON.parse(JSON.stringify(pod)) as Pod & { metadata: { name: string } };
  next.spec!.containers[0].image = 'busybox:1.36';
  await h.api.update({ group: '', version: 'v1', resource: 'pods' }, next as never, { namespace: 'default' });
  await h.settle();
  await h.advance(1000);
  expect(h.runtime.instances('web', 'app').map((c) => c.config.image)).toEqual(['busybox', 'busybox:1.36']);
  expect(await h.events('web')).toContain('Normal Killing: Container app definition changed, will be restarted');
});

test('sidecars (init containers with restartPolicy Always) start in order, keep running beside the app, and are restarted', async () => {
  h = await harness();
  await h.createPod('side', {
    initContainers: [
      { name: 'proxy', image: 'busybox', restartPolicy: 'Always' },
      { name: 'setup', image: 'busybox' },
    ],
    containers: [{ name: 'app', image: 'busybox' }],
  });
  // The next init container waits for the sidecar to have started (its startup probe, if any, passed).
  expect(h.runtime.calls.filter((c) => c.startsWith('create'))).toEqual(['createContainer side/proxy']);
  await h.advance(1000);
  expect(h.runtime.calls.filter((c) => c.startsWith('create'))).toEqual(['createContainer side/proxy', 'createContainer side/setup']);
  h.runtime.exit(h.runtime.newest('side', 'setup')!.id, 0);
  await h.advance(1000);
  expect(h.runtime.newest('side', 'app')!.state).toBe('running');
  expect(h.runtime.newest('side', 'proxy')!.state).toBe('running');
  expect(podRow(await h.pod('side'), new Date(h.clock.now())).slice(0, 2)).toEqual(['2/2', 'Running']);
  h.runtime.exit(h.runtime.newest('side', 'proxy')!.id, 1);
  await h.advance(1000);
  expect(h.runtime.instances('side', 'proxy')).toHaveLength(2);
  expect(h.runtime.instances('side', 'setup')).toHaveLength(1);
});
