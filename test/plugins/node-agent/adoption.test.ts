/**
 * What survives an agent restart, and what the agent cleans up: a second
 * agent over the same runtime and data directory adopts running pods
 * without starting, stopping or duplicating anything (restart counts, start
 * times, readiness and pod IPs intact); containers no pod owns are removed;
 * a pod deleted while the agent was down is finished off; dead instances
 * beyond the two newest of each container go; a pod whose sandbox died gets
 * a new one (SandboxChanged).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createKernelHooks } from '../../../kernel/hooks';
import { RuntimeLabels } from '../../../kernel/runtime/types';
import { harness, podRow, PODS, type Harness } from './support';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

/** Calls that change what runs (creation, start, stop, removal). */
const mutations = () => h.runtime.calls.filter((c) => /^(create|start|stop|remove|run)/.test(c));

test('a restarted agent adopts running pods: nothing started, stopped or duplicated; status unchanged', async () => {
  h = await harness();
  let ready = true;
  h.runtime.execHandler = () => ({ exitCode: ready ? 0 : 1 });
  await h.createPod('plain', { containers: [{ name: 'app', image: 'busybox' }] });
  await h.createPod('init', { initContainers: [{ name: 'setup', image: 'busybox', command: ['sh', '-c', 'exit 0'] }], containers: [{ name: 'app', image: 'busybox' }] });
  await h.createPod('probed', { containers: [{ name: 'app', image: 'busybox', readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 10 } }] });
  await h.createPod('crashy', { containers: [{ name: 'app', image: 'busybox' }] });
  await h.advance(1000);
  h.runtime.exit(h.runtime.newest('crashy', 'app')!.id, 1);
  await h.advance(1000);
  h.runtime.exit(h.runtime.newest('crashy', 'app')!.id, 1);
  await h.advance(15_000);
  const names = ['plain', 'init', 'probed', 'crashy'];
  const before = await Promise.all(names.map((n) => h.pod(n)));
  expect(before.map((p) => podRow(p, new Date(h.clock.now())).slice(0, 3))).toEqual([
    ['1/1', 'Running', '0'],
    ['1/1', 'Running', '0'],
    ['1/1', 'Running', '0'],
    ['1/1', 'Running', expect.stringMatching(/^2 \(/)],
  ]);

  h.runtime.calls.length = 0;
  const writes = h.api.callsOf('patch', 'pods').length;
  ready = false; // the new agent must not need a probe to know the pod was ready
  await h.restart();
  await h.advance(5000);
  expect(mutations()).toEqual([]);
  expect(h.api.callsOf('patch', 'pods').length).toBe(writes);
  const after = await Promise.all(names.map((n) => h.pod(n)));
  expect(after.map((p) => p.status)).toEqual(before.map((p) => p.status));
});

test('a pod IP from a network plugin is remembered across restarts', async () => {
  const hooks = createKernelHooks();
  hooks.network.setUp.tapPromise('test-cni', async () => ({ ips: ['10.244.3.3'], plugin: 'test-cni' }));
  h = await harness({ agent: { hooks } });
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox', env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }] });
  await h.restart();
  await h.advance(2000);
  expect((await h.pod('web')).status!.podIP).toBe('10.244.3.3');
  expect(h.runtime.newest('web', 'app')!.config.env).toContainEqual({ name: 'IP', value: '10.244.3.3' });
});

test('containers and sandboxes no pod owns are stopped and removed when the agent starts; another node\'s are left alone', async () => {
  h = await harness();
  const created = await h.createPod('web', { volumes: [{ name: 'v', emptyDir: {} }], terminationGracePeriodSeconds: 9, containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'v', mountPath: '/v' }] }] });
  const uid = created.metadata!.uid!;
  // Someone else's container on the same engine.
  const foreignSandbox = await h.runtime.runPodSandbox({ podUid: 'x', podName: 'other', namespace: 'default', hostname: 'other', hostNetwork: false, portMappings: [], labels: { [RuntimeLabels.node]: 'node-b', [RuntimeLabels.podUid]: 'x' } });
  await h.agent.stop();
  // Deleted while the agent was down.
  await h.api.delete(PODS, 'web', { namespace: 'default', gracePeriodSeconds: 0 });
  h.runtime.calls.length = 0;
  await h.restart();
  expect(mutations()).toEqual(['stopContainer web/app 9', 'stopPodSandbox web', 'removeContainer web/app', 'removePodSandbox web']);
  expect(existsSync(path.join(h.dataDir, 'pods', uid))).toBe(false);
  expect(h.runtime.sandboxes.has(foreignSandbox)).toBe(true);
});

test('a pod deleted gracefully while the agent was down is terminated and removed when it returns', async () => {
  h = await harness();
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox' }] });
  await h.agent.stop();
  await h.api.delete(PODS, 'web', { namespace: 'default', gracePeriodSeconds: 4 });
  expect((await h.pod('web')).metadata!.deletionTimestamp).toBeDefined();
  await h.restart();
  expect(h.runtime.calls).toContain('stopContainer web/app 4');
  await expect(h.pod('web')).rejects.toMatchObject({ reason: 'NotFound' });
  expect(h.runtime.containers.size).toBe(0);
});

test('dead instances beyond the newest two of a container are removed (the second is kept for logs --previous)', async () => {
  h = await harness({ config: { crashLoopBackoff: { initialSeconds: 1, maxSeconds: 1 } } });
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox' }] });
  for (let i = 0; i < 4; i++) {
    h.runtime.exit(h.runtime.newest('web', 'app')!.id, 1);
    await h.advance(3000);
  }
  const instances = h.runtime.instances('web', 'app');
  expect(instances.map((c) => [c.config.labels[RuntimeLabels.restartCount], c.state])).toEqual([
    ['3', 'exited'],
    ['4', 'running'],
  ]);
  expect(h.runtime.calls.filter((c) => c === 'removeContainer web/app')).toHaveLength(3);
  const status = (await h.pod('web')).status!.containerStatuses![0];
  expect(status.lastState!.terminated!.containerID).toBe(`fake://${instances[0].id}`);
});

test('a pod whose sandbox died gets a new one (SandboxChanged): containers restart in it, init containers run again', async () => {
  h = await harness();
  const created = await h.createPod('web', { initContainers: [{ name: 'setup', image: 'busybox', command: ['sh', '-c', 'exit 0'] }], containers: [{ name: 'app', image: 'busybox' }] });
  await h.advance(1000);
  const [old] = [...h.runtime.sandboxes.values()];
  expect(podRow(await h.pod('web'), new Date(h.clock.now()))[1]).toBe('Running');
  h.runtime.calls.length = 0;
  await h.runtime.stopPodSandbox(old.id); // the pause container died, taking the app with it
  await h.advance(1000);
  await h.advance(1000);
  expect(await h.events('web')).toContain('Normal SandboxChanged: Pod sandbox changed, it will be killed and re-created.');
  const sandboxes = [...h.runtime.sandboxes.values()];
  const fresh = sandboxes.find((s) => s.state === 'ready')!;
  expect(fresh.id).not.toBe(old.id);
  expect(h.runtime.newest('web', 'setup')!.sandboxId).toBe(fresh.id);
  const app = h.runtime.newest('web', 'app')!;
  expect(app.sandboxId).toBe(fresh.id);
  expect(app.config.labels[RuntimeLabels.restartCount]).toBe('1');
  const pod = await h.pod('web');
  expect(podRow(pod, new Date(h.clock.now()))[1]).toBe('Running');
  expect(pod.status!.podIP).toBe(fresh.ip);
  expect(pod.metadata!.uid).toBe(created.metadata!.uid);
  expect(pod.status!.containerStatuses![0].lastState!.terminated).toMatchObject({ exitCode: 137 });
  // The dead sandbox stays while the previous instance (lastState, logs --previous) lives in it, then goes.
  await h.advance(2000);
  expect(h.runtime.sandboxes.has(old.id)).toBe(true);
  h.runtime.exit(app.id, 1);
  await h.advance(12_000); // restarted after its 10 s back-off: the instance in the old sandbox is now two back
  expect(h.runtime.newest('web', 'app')!.config.labels[RuntimeLabels.restartCount]).toBe('2');
  expect(h.runtime.sandboxes.has(old.id)).toBe(false);
});

test('a restartPolicy Never pod whose sandbox died is not restarted: it fails', async () => {
  h = await harness();
  await h.createPod('once', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox' }] });
  const [sandbox] = [...h.runtime.sandboxes.values()];
  await h.runtime.stopPodSandbox(sandbox.id);
  await h.advance(2000);
  expect(h.runtime.sandboxes.size).toBe(1);
  const pod = await h.pod('once');
  expect(pod.status!.phase).toBe('Failed');
  expect(podRow(pod, new Date(h.clock.now()))[1]).toBe('Error');
});
