/**
 * The plugin: a built-in, options validated before anything is applied,
 * per-node settings from cluster.yaml checked at apply and overriding the
 * options; default pod ranges by node position; a runtime re-opened for a
 * node (an agent restart) finds its containers; close() leaves no timers.
 */
import { loadPlugins } from '../../../kernel/plugin';
import { validateClusterObject } from '../../../kernel/config';
import { PLUGIN_NAME } from '../../../plugins/runtime-simulated';
import { applyPlugin, containerConfig, readAll, sandboxConfig, startContainer } from './support';

const cluster = (plugins: unknown[], nodes: unknown[] = []) =>
  validateClusterObject({ apiVersion: 'skiff.dev/v1alpha1', kind: 'Cluster', metadata: { name: 't' }, plugins, nodes });

test('runtime-simulated is a built-in plugin, and bad options fail the config with their paths', async () => {
  const [loaded] = await loadPlugins(cluster(['runtime-simulated']));
  expect(loaded!.plugin.name).toBe(PLUGIN_NAME);
  expect(loaded!.origin).toBe('builtin');

  const bad = cluster([
    { name: 'runtime-simulated', options: { startDelayMs: -1, pullDelay: 5, behaviours: [{ image: 'x', exitCode: 300 }], clusterCIDR: '10.0.0.0/33' } },
  ]);
  await expect(loadPlugins(bad)).rejects.toMatchObject({
    problems: expect.arrayContaining([
      expect.objectContaining({ path: 'plugins[0].options.startDelayMs' }),
      expect.objectContaining({ path: 'plugins[0].options.pullDelay', message: 'unknown field' }),
      expect.objectContaining({ path: 'plugins[0].options.behaviours[0].exitCode' }),
    ]),
  });
  await expect(loadPlugins(cluster([{ name: 'runtime-simulated', options: { clusterCIDR: '10.0.0.0/33' } }]))).rejects.toThrow(
    'plugins[0].options.clusterCIDR: "10.0.0.0/33" is not an IPv4 CIDR',
  );
  await expect(loadPlugins(cluster([{ name: 'runtime-simulated', options: { clusterCIDR: '10.0.0.0/16', nodeCIDRMaskSize: 12 } }]))).rejects.toThrow(
    'plugins[0].options.nodeCIDRMaskSize: 12 is shorter than clusterCIDR\'s prefix /16',
  );
});

test('bad settings on a simulated node stop apply with the node path; other runtimes\' nodes are not checked', async () => {
  await expect(
    applyPlugin({}, [
      { name: 'real', runtime: 'docker', startDelayMs: 'whatever' },
      { name: 'sim-a', runtime: 'simulated', startDelayMs: 'soon' },
      { name: 'sim-b', runtime: 'simulated', podCIDR: '10.1.0.0/31' },
      { name: 'sim-c', runtime: 'simulated', behaviours: [{ oom: 'yes' }] },
    ]),
  ).rejects.toThrow(
    'plugin/runtime-simulated: nodes[1].startDelayMs: must be an integer; nodes[2].podCIDR: "10.1.0.0/31" holds no pod IPs (the prefix must be /30 or shorter); nodes[3].behaviours[0].oom: must be true or false',
  );
  await expect(applyPlugin({ clusterCIDR: '10.0.0.0/24', nodeCIDRMaskSize: 25 }, [1, 2, 3].map((i) => ({ name: `n${i}`, runtime: 'simulated' })))).rejects.toThrow(
    'nodes[2]: clusterCIDR 10.0.0.0/24 holds 2 node ranges of /25; node #2 needs its own podCIDR',
  );
});

test('each node gets its slice of clusterCIDR by its position in nodes; unlisted nodes come after; podCIDR overrides', async () => {
  const nodes = Array.from({ length: 300 }, (_, i) => ({ name: `sim-${i}`, runtime: 'simulated' }));
  nodes[5] = { name: 'sim-5', runtime: 'simulated', podCIDR: '192.168.7.0/24' } as (typeof nodes)[number];
  const c = await applyPlugin({}, nodes);
  const ipOf = async (node: string) => {
    const runtime = await c.open(node);
    const ip = (await runtime.podSandboxStatus(await runtime.runPodSandbox(sandboxConfig())))!.ip;
    await runtime.close();
    return ip;
  };
  expect(await ipOf('sim-0')).toBe('10.128.0.2');
  expect(await ipOf('sim-1')).toBe('10.128.1.2');
  expect(await ipOf('sim-5')).toBe('192.168.7.2');
  expect(await ipOf('sim-299')).toBe('10.129.43.2');
  expect(await ipOf('made-in-code')).toBe('10.129.44.2');
  expect(await ipOf('made-in-code-too')).toBe('10.129.45.2');
});

test('node settings override the options for that node only', async () => {
  const c = await applyPlugin({ startDelayMs: 100 }, [
    { name: 'slow', runtime: 'simulated', startDelayMs: 5000 },
    { name: 'fast', runtime: 'simulated' },
  ]);
  const startAfter = async (node: string) => {
    const runtime = await c.open(node);
    const begun = c.clock.now();
    await startContainer(runtime, c.clock, { command: ['sleep', 'infinity'] });
    const started = (await runtime.listContainers())[0]!.startedAt!.getTime() - begun;
    await runtime.close();
    return started;
  };
  // The helper's pull takes 1 s of fake time before the start.
  expect(await startAfter('slow')).toBe(1000 + 5000);
  expect(await startAfter('fast')).toBe(1000 + 100);
});

test('version and name, as nodeInfo shows them', async () => {
  const c = await applyPlugin();
  const runtime = await c.open();
  expect(runtime.name).toBe('simulated');
  expect(await runtime.version()).toEqual({ name: 'simulated', version: '0.1.0' });
  await runtime.close();
});

describe('close, and a runtime opened again on the same node', () => {
  test('close ends follows and waits, holds no timer, and the closed runtime refuses calls', async () => {
    const c = await applyPlugin();
    const runtime = await c.open();
    const { id } = await startContainer(runtime, c.clock, { command: ['sleep', '3600'], envs: { SIMULATED_IGNORE_SIGTERM: '1' } });
    const follow = readAll(await runtime.logs(id, { follow: true, timestamps: false }));
    const stop = runtime.stopContainer(id, 30);
    const pull = runtime.pullImage('other:1');
    expect(c.clock.pendingTimers).toBe(1);
    await runtime.close();
    await expect(follow).resolves.toBe('simulated container app started\nsimulated container app received SIGTERM\n');
    await expect(stop).rejects.toThrow('plugin/runtime-simulated: runtime for node sim-1 is closed');
    await expect(pull).rejects.toThrow('is closed');
    expect(c.clock.pendingTimers).toBe(0);
    await expect(runtime.listContainers()).rejects.toThrow('runtime for node sim-1 is closed');
    await expect(runtime.close()).resolves.toBeUndefined();
  });

  test('an agent restart finds its sandboxes and containers; what fell due meanwhile happens, at its due time', async () => {
    const c = await applyPlugin();
    const first = await c.open();
    const sandbox = await first.runPodSandbox(sandboxConfig('web'));
    const { id } = await startContainer(first, c.clock, { command: ['sleep', '10'] }, sandbox);
    const startedAt = c.clock.now();
    const script = await startContainer(first, c.clock, { name: 'script', command: ['sh', '-c', 'sleep 10; echo mid; sleep 10; exit 3'] }, sandbox);
    const scriptStartedAt = c.clock.now();
    await first.close();
    await c.clock.advance(60_000);
    expect(c.clock.pendingTimers).toBe(0);
    const second = await c.open();
    await c.clock.advance(0);
    expect((await second.listPodSandboxes()).map((s) => s.id)).toEqual([sandbox]);
    expect(await second.containerStatus(id)).toMatchObject({ state: 'exited', exitCode: 0, finishedAt: new Date(startedAt + 10_000) });
    expect(await second.containerStatus(script.id)).toMatchObject({ state: 'exited', exitCode: 3, finishedAt: new Date(scriptStartedAt + 20_000) });
    const log = await readAll(await second.logs(script.id, { follow: false, timestamps: true }));
    expect(log).toContain(`${new Date(scriptStartedAt + 10_000).toISOString().replace('Z', '000000Z')} mid\n`);
    await second.close();
  });

  test('two runtimes open on one node share it; the node keeps time until the last closes', async () => {
    const c = await applyPlugin();
    const a = await c.open();
    const b = await c.open();
    const sandbox = await a.runPodSandbox(sandboxConfig());
    const pull = a.pullImage('busybox:1.36');
    await c.clock.advance(1000);
    await pull;
    const id = await b.createContainer(sandbox, containerConfig({ command: ['sleep', '5'] }));
    const start = b.startContainer(id);
    await a.close();
    await c.clock.advance(200);
    await start;
    expect((await b.containerStatus(id))!.state).toBe('running');
    await b.close();
    expect(c.clock.pendingTimers).toBe(0);
  });
});
