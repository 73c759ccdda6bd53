/**
 * The plugin: a built-in named in cluster.yaml, its options checked before
 * boot, the `docker` runtime registered for nodes; the factory's checks (the
 * engine answers, the pause image is there); version and close.
 */
import { ConfigError } from '../../../kernel/config';
import { validatePluginOptions, type Plugin } from '../../../kernel/plugin';
import { builtinPlugins } from '../../../plugins';
import plugin, { dockerRuntimeFactory, PLUGIN_NAME } from '../../../plugins/runtime-docker';
import { resolveOptions } from '../../../plugins/runtime-docker/options';
import { startCluster } from '../../support/cluster';
import { Collector, runContainer, TestNode } from './support';

const node = new TestNode();
beforeAll(() => node.start());
afterEach(() => node.removeAll());
afterAll(async () => {
  await node.stop();
  expect(await node.leftovers()).toEqual([]);
});

const context = { nodeName: node.name, settings: {}, dataDir: node.dataDir };

test('runtime-docker is a built-in plugin that registers the docker runtime', async () => {
  expect(await builtinPlugins['runtime-docker']!()).toBe(plugin);
  const cluster = await startCluster({ config: { plugins: [{ name: 'runtime-docker', options: { network: 'bridge', stopTimeoutSeconds: 5 } }] } });
  try {
    expect(cluster.kernel.runtimes.names()).toContain('docker');
    const runtime = await cluster.kernel.runtimes.get('docker')!(context);
    expect(runtime.name).toBe('docker');
    await runtime.close();
  } finally {
    await cluster.destroy();
  }
});

test('options are checked before anything starts', async () => {
  const p = plugin as unknown as Plugin<Record<string, unknown>>;
  expect(PLUGIN_NAME).toBe('runtime-docker');
  expect(validatePluginOptions(p, {})).toEqual([]);
  expect(validatePluginOptions(p, { socketPath: '/run/docker.sock', pauseImage: 'x/pause:1', network: 'pods', stopTimeoutSeconds: 0 })).toEqual([]);
  expect(validatePluginOptions(p, { network: 3 })).toEqual([{ path: ['network'], message: expect.stringContaining('must be a string') }]);
  expect(validatePluginOptions(p, { stopTimeoutSeconds: -1 })[0]?.path).toEqual(['stopTimeoutSeconds']);
  expect(validatePluginOptions(p, { netwrok: 'x' })).toHaveLength(1);

  const err = await startCluster({ config: { plugins: [{ name: 'runtime-docker', options: { pauseImage: '' } }] } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toContain('plugins[0].options.pauseImage');
});

test('defaults: the engine socket, the local pause image, the bridge network', () => {
  expect(resolveOptions({}, {})).toEqual({ socketPath: '/var/run/docker.sock', pauseImage: 'skiff/pause:3.9', network: 'bridge', stopTimeoutSeconds: 10, offline: false });
  expect(resolveOptions({}, { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }).socketPath).toBe('/run/user/1000/docker.sock');
  expect(resolveOptions({ socketPath: '/x.sock' }, { DOCKER_HOST: 'unix:///y.sock' }).socketPath).toBe('/x.sock');
});

test('the factory fails clearly when the engine does not answer or the pause image is missing', async () => {
  const unreachable = dockerRuntimeFactory(resolveOptions({ socketPath: '/nonexistent/docker.sock' }))(context);
  await expect(unreachable).rejects.toThrow(/^plugin\/runtime-docker: cannot reach the Docker engine at \/nonexistent\/docker.sock: .*ENOENT/);
  await expect(unreachable).rejects.toHaveProperty('cause');

  await expect(dockerRuntimeFactory(resolveOptions({ pauseImage: 'skiff-test/no-pause:1' }))(context)).rejects.toThrow(
    'plugin/runtime-docker: the pause image skiff-test/no-pause:1 is not on this node (build it with scripts/images)',
  );
});

test('version is the engine version', async () => {
  const version = await node.runtime.version();
  expect(version.name).toBe('docker');
  expect(version.version).toMatch(/^\d+\.\d+\.\d+/);
});

test('close ends the streams still open, not the containers', async () => {
  const runtime = await dockerRuntimeFactory(resolveOptions({}))(context);
  const { containerId } = await runContainer(node, { name: 'main', command: ['sh', '-c', 'echo up; exec sleep 3600'] });
  const log = await runtime.logs(containerId, { follow: true, timestamps: false });
  const out = new Collector();
  const ended = new Promise<void>((resolve) => log.on('end', resolve));
  log.pipe(out);
  await out.waitFor('up\n');
  await runtime.close();
  await ended;
  expect((await node.runtime.containerStatus(containerId))?.state).toBe('running');
});
