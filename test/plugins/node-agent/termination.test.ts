/**
 * Pods leaving the node: graceful deletion (Terminating, preStop within the
 * grace period, SIGTERM with what is left of it, sandbox stopped, network
 * torn down through the kernel hook, volumes removed, the pod object deleted
 * with grace 0 and a uid precondition), and the network hooks' part in a
 * pod's life (set-up gives the pod IP; no tap means the runtime's network).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createKernelHooks } from '../../../kernel/hooks';
import type { PodNetworkRequest } from '../../../kernel/network/types';
import { harness, podRow, PODS, type Harness } from './support';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

function networkHooks(ips: string[] | undefined) {
  const hooks = createKernelHooks();
  const setUp: PodNetworkRequest[] = [];
  const tearDown: PodNetworkRequest[] = [];
  hooks.network.setUp.tapPromise('test-cni', async (req) => {
    setUp.push(req);
    return ips ? { ips, plugin: 'test-cni' } : undefined;
  });
  hooks.network.tearDown.tapPromise('test-cni', async (req) => {
    tearDown.push(req);
  });
  return { hooks, setUp, tearDown };
}

test('graceful deletion: Terminating, preStop, SIGTERM within what is left of the grace period, sandbox and network, volumes, then the pod object', async () => {
  const net = networkHooks(['10.244.1.5']);
  h = await harness({ agent: { hooks: net.hooks } });
  const created = await h.createPod('web', {
    volumes: [{ name: 'scratch', emptyDir: {} }],
    containers: [{ name: 'app', image: 'busybox', lifecycle: { preStop: { sleep: { seconds: 5 } } }, volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
  });
  const uid = created.metadata!.uid!;
  const podDir = path.join(h.dataDir, 'pods', uid);
  expect(existsSync(path.join(podDir, 'volumes', 'kubernetes.io~empty-dir', 'scratch'))).toBe(true);
  expect(net.setUp).toEqual([{ podUid: uid, podName: 'web', namespace: 'default', nodeName: 'node-a', netns: '/proc/fake-s1/ns/net', sandboxId: 's1' }]);
  expect((await h.pod('web')).status!.podIP).toBe('10.244.1.5');

  await h.api.delete(PODS, 'web', { namespace: 'default', gracePeriodSeconds: 20 });
  await h.settle();
  // The preStop sleep is running: the pod shows Terminating and its container still runs.
  expect(podRow(await h.pod('web'), new Date(h.clock.now()))[1]).toBe('Terminating');
  expect(h.runtime.newest('web', 'app')!.state).toBe('running');
  expect(await h.events('web')).toContain('Normal Killing: Stopping container app');

  await h.advance(5000);
  // 20 s of grace, 5 s spent in preStop: SIGTERM with 15 s before SIGKILL.
  const order = h.runtime.calls.filter((c) => !c.startsWith('create') && !c.startsWith('start') && !c.startsWith('run'));
  expect(order).toEqual(['stopContainer web/app 15', 'stopPodSandbox web', 'removeContainer web/app', 'removePodSandbox web']);
  expect(net.tearDown).toEqual([{ podUid: uid, podName: 'web', namespace: 'default', nodeName: 'node-a', netns: '/proc/fake-s1/ns/net', sandboxId: 's1' }]);
  expect(existsSync(podDir)).toBe(false);
  const deletes = h.api.callsOf('delete', 'pods');
  expect(deletes.at(-1)!.options).toEqual({ namespace: 'default', gracePeriodSeconds: 0, preconditions: { uid } });
  await expect(h.pod('web')).rejects.toMatchObject({ reason: 'NotFound' });
  expect(h.runtime.containers.size).toBe(0);
  expect(h.runtime.sandboxes.size).toBe(0);
});

test('deletion without preStop: SIGTERM with the pod\'s grace period; the final status reports the containers terminated', async () => {
  h = await harness();
  await h.createPod('web', { terminationGracePeriodSeconds: 7, containers: [{ name: 'app', image: 'busybox' }, { name: 'side', image: 'busybox' }] });
  const statusWrites: unknown[] = [];
  const patch = h.api.patch.bind(h.api);
  h.api.patch = (async (...args: Parameters<typeof patch>) => {
    if (args[0].resource === 'pods') statusWrites.push(args[3]);
    return patch(...args);
  }) as typeof patch;
  await h.api.delete(PODS, 'web', { namespace: 'default' });
  await h.settle();
  expect(h.runtime.calls).toEqual(expect.arrayContaining(['stopContainer web/app 7', 'stopContainer web/side 7']));
  const last = (statusWrites.at(-1) as Array<{ value?: { phase: string; containerStatuses: Array<{ state: unknown }> } }>)[1].value!;
  expect(last.phase).toBe('Failed');
  expect(last.containerStatuses.map((s) => s.state)).toEqual([
    { terminated: expect.objectContaining({ exitCode: 143, reason: 'Error' }) },
    { terminated: expect.objectContaining({ exitCode: 143, reason: 'Error' }) },
  ]);
  await expect(h.pod('web')).rejects.toMatchObject({ reason: 'NotFound' });
});

test('a failing preStop hook is reported and the container is stopped anyway', async () => {
  h = await harness();
  h.runtime.execHandler = () => ({ exitCode: 1, output: 'drain failed' });
  const created = await h.createPod('web', { containers: [{ name: 'app', image: 'busybox', lifecycle: { preStop: { exec: { command: ['drain'] } } } }] });
  await h.api.delete(PODS, 'web', { namespace: 'default' });
  await h.settle();
  expect(await h.events('web')).toContain(
    `Warning FailedPreStopHook: Exec lifecycle hook ([drain]) for Container "app" in Pod "web_default(${created.metadata!.uid})" failed - error: command 'drain' exited with 1: , message: "drain failed"`,
  );
  expect(h.runtime.calls).toContain('stopContainer web/app 30');
});

test('a pod deleted outright (grace 0, or gone while the agent watched) has its containers stopped with the grace they were created with', async () => {
  h = await harness();
  await h.createPod('web', { terminationGracePeriodSeconds: 12, containers: [{ name: 'app', image: 'busybox' }] });
  await h.api.delete(PODS, 'web', { namespace: 'default', gracePeriodSeconds: 0 });
  await h.settle();
  expect(h.runtime.calls).toEqual(expect.arrayContaining(['stopContainer web/app 12', 'removeContainer web/app', 'removePodSandbox web']));
  expect(h.runtime.containers.size).toBe(0);
});

test('no network plugin tapped: the pod IP is the runtime\'s own (the sandbox\'s); hostNetwork pods have the node\'s IP', async () => {
  const net = networkHooks(undefined);
  h = await harness({ agent: { hooks: net.hooks } });
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox' }] });
  expect((await h.pod('web')).status!.podIP).toBe('10.88.0.1');
  await h.createPod('host', { hostNetwork: true, containers: [{ name: 'app', image: 'busybox' }] });
  const host = await h.pod('host');
  expect(host.status!.podIP).toBe('192.0.2.10');
  expect(net.setUp.map((r) => r.podName)).toEqual(['web']);
  // hostNetwork: the node's resolv.conf (dnsPolicy ClusterFirst means Default there).
  const sandbox = [...h.runtime.sandboxes.values()].find((s) => s.config.podName === 'host')!;
  expect(sandbox.config).toMatchObject({ hostNetwork: true, dns: { servers: ['10.0.0.53'], searches: ['example.internal'], options: [] } });
});

test('a network plugin that fails: FailedCreatePodSandBox, the sandbox is removed and retried', async () => {
  const hooks = createKernelHooks();
  let fail = true;
  hooks.network.setUp.tapPromise('test-cni', async () => {
    if (fail) throw new Error('no IPs left in 10.244.1.0/24');
    return { ips: ['10.244.1.9'], plugin: 'test-cni' };
  });
  h = await harness({ agent: { hooks } });
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox' }] });
  expect(await h.events('web')).toEqual(['Warning FailedCreatePodSandBox: Failed to create pod sandbox: no IPs left in 10.244.1.0/24']);
  expect(h.runtime.sandboxes.size).toBe(0);
  expect(podRow(await h.pod('web'), new Date(h.clock.now()))[1]).toBe('ContainerCreating');
  fail = false;
  await h.advance(2000);
  expect((await h.pod('web')).status!.podIP).toBe('10.244.1.9');
});
