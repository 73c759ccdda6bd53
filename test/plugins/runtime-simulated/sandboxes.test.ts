/**
 * Pod sandboxes: ready when run, IPs from the node's podCIDR, stopping kills
 * what runs in them and releases the IP, removal takes their containers;
 * labels kept as given and usable as list filters.
 */
import { RuntimeLabels, type ContainerRuntime } from '../../../kernel/runtime/types';
import { applyPlugin, openRuntime, sandboxConfig, startContainer, type FakeClock } from './support';

let runtime: ContainerRuntime;
let clock: FakeClock;

beforeEach(async () => {
  ({ runtime, clock } = await openRuntime());
});

afterEach(() => runtime.close());

test('a sandbox is ready at once, with an IP from the node range and the labels it was given', async () => {
  const config = sandboxConfig('web', { labels: { ...sandboxConfig('web').labels, app: 'web' } });
  const id = await runtime.runPodSandbox(config);
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  const status = await runtime.podSandboxStatus(id);
  expect(status).toEqual({ id, state: 'ready', createdAt: new Date(clock.now()), ip: '10.128.0.2', labels: config.labels });
  expect(status!.netns).toBeUndefined();
});

test('each sandbox gets its own IP; a released one is not handed out again at once', async () => {
  const a = await runtime.runPodSandbox(sandboxConfig('a'));
  const b = await runtime.runPodSandbox(sandboxConfig('b'));
  expect((await runtime.podSandboxStatus(b))!.ip).toBe('10.128.0.3');
  await runtime.stopPodSandbox(a);
  expect(await runtime.podSandboxStatus(a)).toMatchObject({ state: 'notready' });
  expect((await runtime.podSandboxStatus(a))!.ip).toBeUndefined();
  const c = await runtime.runPodSandbox(sandboxConfig('c'));
  expect((await runtime.podSandboxStatus(c))!.ip).toBe('10.128.0.4');
});

test('a hostNetwork sandbox has no pod IP of its own (the node agent reports the node IP)', async () => {
  const id = await runtime.runPodSandbox(sandboxConfig('host', { hostNetwork: true }));
  const status = await runtime.podSandboxStatus(id);
  expect(status!.state).toBe('ready');
  expect(status!.ip).toBeUndefined();
});

test('a full podCIDR refuses new sandboxes with the reason', async () => {
  const cluster = await applyPlugin({}, [{ name: 'tiny', runtime: 'simulated', podCIDR: '10.9.9.0/29' }]);
  const tiny = await cluster.open('tiny');
  const ips = [];
  for (let i = 0; i < 5; i++) ips.push((await tiny.podSandboxStatus(await tiny.runPodSandbox(sandboxConfig(`p${i}`))))!.ip);
  expect(ips).toEqual(['10.9.9.2', '10.9.9.3', '10.9.9.4', '10.9.9.5', '10.9.9.6']);
  await expect(tiny.runPodSandbox(sandboxConfig('one-too-many'))).rejects.toThrow('plugin/runtime-simulated: no free pod IP in 10.9.9.0/29 on node tiny');
  await tiny.close();
});

test('stopping a sandbox kills its running containers with 137 and is idempotent', async () => {
  const sandbox = await runtime.runPodSandbox(sandboxConfig());
  const { id } = await startContainer(runtime, clock, { command: ['sleep', '3600'], envs: { SIMULATED_IGNORE_SIGTERM: '1' } }, sandbox);
  await runtime.stopPodSandbox(sandbox);
  expect(await runtime.containerStatus(id)).toMatchObject({ state: 'exited', exitCode: 137 });
  await runtime.stopPodSandbox(sandbox);
  await runtime.stopPodSandbox('unknown');
  expect((await runtime.podSandboxStatus(sandbox))!.state).toBe('notready');
  expect(clock.pendingTimers).toBe(0);
});

test('removing a sandbox removes its containers; removal is idempotent', async () => {
  const sandbox = await runtime.runPodSandbox(sandboxConfig());
  const other = await runtime.runPodSandbox(sandboxConfig('other'));
  const { id } = await startContainer(runtime, clock, { command: ['sleep', '3600'] }, sandbox);
  const kept = await startContainer(runtime, clock, { command: ['sleep', '3600'] }, other);
  await runtime.removePodSandbox(sandbox);
  expect(await runtime.podSandboxStatus(sandbox)).toBeUndefined();
  expect(await runtime.containerStatus(id)).toBeUndefined();
  expect((await runtime.listContainers()).map((c) => c.id)).toEqual([kept.id]);
  await expect(runtime.removePodSandbox(sandbox)).resolves.toBeUndefined();
});

test('list filters: sandboxes by labels; containers by labels and sandbox', async () => {
  const label = (name: string, extra: Record<string, string>) => sandboxConfig(name, { labels: { ...sandboxConfig(name).labels, ...extra } });
  const web = await runtime.runPodSandbox(label('web', { tier: 'front' }));
  const db = await runtime.runPodSandbox(label('db', { tier: 'back' }));
  const webApp = await startContainer(runtime, clock, { name: 'app', command: ['sleep', '10'] }, web);
  const webSidecar = await startContainer(runtime, clock, { name: 'sidecar', command: ['sleep', '10'] }, web);
  const dbApp = await startContainer(runtime, clock, { name: 'app', command: ['sleep', '10'] }, db);

  expect((await runtime.listPodSandboxes()).map((s) => s.id).sort()).toEqual([web, db].sort());
  expect((await runtime.listPodSandboxes({ labels: { tier: 'front' } })).map((s) => s.id)).toEqual([web]);
  expect((await runtime.listPodSandboxes({ labels: { tier: 'front', [RuntimeLabels.podName]: 'db' } }))).toEqual([]);
  expect((await runtime.listPodSandboxes({ labels: { [RuntimeLabels.node]: 'sim-1' } })).length).toBe(2);

  expect((await runtime.listContainers({ sandboxId: web })).map((c) => c.id)).toEqual([webApp.id, webSidecar.id]);
  expect((await runtime.listContainers({ labels: { [RuntimeLabels.containerName]: 'app' } })).map((c) => c.id)).toEqual([webApp.id, dbApp.id]);
  expect((await runtime.listContainers({ sandboxId: db, labels: { [RuntimeLabels.containerName]: 'sidecar' } }))).toEqual([]);
  // Exited containers are listed too (the agent needs their status for restarts).
  await clock.advance(10_000);
  expect((await runtime.listContainers()).map((c) => c.state)).toEqual(['exited', 'exited', 'exited']);
});

test('labels are the runtime\'s own copy: changing the caller\'s object changes nothing', async () => {
  const config = sandboxConfig();
  const labels = { ...config.labels };
  const id = await runtime.runPodSandbox({ ...config, labels });
  labels.extra = 'x';
  expect((await runtime.podSandboxStatus(id))!.labels).toEqual(config.labels);
});
