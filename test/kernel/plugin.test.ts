/**
 * The plugin contract end to end: a third-party plugin installed as an npm
 * package (test/fixtures/plugin-project/node_modules/@acme/skiff-audit) is
 * found by name from cluster.yaml's directory, its options are validated
 * before anything starts, its taps work, and it is torn down on shutdown;
 * failures are attributed to the plugin by name.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import { startCluster } from '../support/cluster';
import { definePlugin, Plugin } from '../../kernel/plugin';
import { ConfigError } from '../../kernel/config';
import { ApiError } from '../../kernel/api/errors';

const fixture = path.join(__dirname, '..', 'fixtures', 'plugin-project');
const source = path.join(fixture, 'cluster.yaml');
const configMaps = { group: '', version: 'v1', resource: 'configmaps' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-plugin-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function journal(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

test('an npm package plugin is loaded by name, taps hooks, and is torn down on shutdown', async () => {
  const file = path.join(dir, 'journal');
  const cluster = await startCluster({
    source,
    dataDir: path.join(dir, 'data'),
    config: { plugins: [{ name: '@acme/skiff-audit', options: { journal: file } }] },
  });
  try {
    expect(journal(file)).toEqual(['applied', 'boot']);
    const cm = await cluster.kernel.client.create(configMaps, { metadata: { name: 'audited' } }, { namespace: 'default' });
    expect(cm.metadata?.annotations?.['audit.acme.dev/seen-by']).toBe('system:admin');
  } finally {
    await cluster.stop();
  }
  expect(journal(file)).toEqual(['applied', 'boot', 'shutdown']);
});

test('plugin options are validated before anything starts, with the path in cluster.yaml', async () => {
  const err = await startCluster({ source, dataDir: path.join(dir, 'data'), config: { plugins: [{ name: '@acme/skiff-audit', options: { journal: 3 } }] } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toContain('plugins[0].options.journal: must be a string');
  // Nothing was applied: the plugin never wrote its journal.
  expect(existsSync(path.join(dir, 'journal'))).toBe(false);
});

test('an unknown plugin name is a config error naming where it was looked for', async () => {
  const err = await startCluster({ source, dataDir: path.join(dir, 'data'), config: { plugins: ['@acme/not-installed'] } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toMatch(/plugins\[0\]\.name: plugin\/@acme\/not-installed: not a built-in plugin .* and not an installed npm package/);
});

test('duplicate plugin names are rejected', async () => {
  const twice: Plugin = definePlugin({ name: 'twice', apply() {} });
  const err = await startCluster({
    source,
    dataDir: path.join(dir, 'data'),
    config: { plugins: [{ name: '@acme/skiff-audit', options: { journal: 'x' } }, { name: '@acme/skiff-audit', options: { journal: 'y' } }] },
    plugins: [{ plugin: twice as Plugin<never> }],
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((err as Error).message).toContain('plugins[1]: duplicate plugin "@acme/skiff-audit" (also plugins[0])');
});

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('a plugin that throws during boot stops the boot with plugin/<name>: <reason>, and what started is stopped', async () => {
  const stopped: string[] = [];
  const healthy = definePlugin({
    name: 'healthy',
    apply(kernel) {
      kernel.hooks.lifecycle.shutdown.tapPromise(kernel.name, async () => void stopped.push('healthy'));
    },
  });
  const broken = definePlugin({
    name: 'broken',
    apply(kernel) {
      kernel.hooks.lifecycle.boot.tapPromise(kernel.name, async () => {
        throw new Error('cannot reach the quota service');
      });
    },
  });
  const err = await startCluster({ dataDir: path.join(dir, 'data'), plugins: [{ plugin: healthy as Plugin<never> }, { plugin: broken as Plugin<never> }] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((err as Error).message).toBe('plugin/broken: cannot reach the quota service');
  expect(stopped).toEqual(['healthy']);
});

test('a plugin that throws in apply is reported by name', async () => {
  const broken = definePlugin({
    name: 'explodes',
    apply() {
      throw new Error('bad wiring');
    },
  });
  await expect(startCluster({ dataDir: path.join(dir, 'data'), plugins: [{ plugin: broken as Plugin<never> }] })).rejects.toThrow('plugin/explodes: bad wiring');
});

test('a plugin that throws while serving a hook fails that one request, not the server', async () => {
  let fail = true;
  const flaky = definePlugin({
    name: 'flaky-admission',
    apply(kernel) {
      kernel.hooks.api.admission.validate.tapPromise(kernel.name, async (req) => {
        if (fail && req.name === 'victim') throw new Error('lost its database');
        return undefined;
      });
    },
  });
  const cluster = await startCluster({ dataDir: path.join(dir, 'data'), plugins: [{ plugin: flaky as Plugin<never> }] });
  try {
    const err = await cluster.kernel.client.create(configMaps, { metadata: { name: 'victim' } }, { namespace: 'default' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('plugin/flaky-admission: lost its database');
    // The write did not happen, and the next request is served.
    await expect(cluster.kernel.client.get(configMaps, 'victim', { namespace: 'default' })).rejects.toBeInstanceOf(ApiError);
    fail = false;
    await cluster.kernel.client.create(configMaps, { metadata: { name: 'victim' } }, { namespace: 'default' });
  } finally {
    await cluster.destroy();
  }
});

test('shutdown runs the plugins\' shutdown taps in reverse order, even past a failing one, and frees the port', async () => {
  const order: string[] = [];
  const make = (name: string, failing = false) =>
    definePlugin({
      name,
      apply(kernel) {
        kernel.hooks.lifecycle.shutdown.tapPromise(kernel.name, async () => {
          order.push(name);
          if (failing) throw new Error(`${name} could not flush`);
        });
      },
    }) as Plugin<never>;
  const cluster = await startCluster({ dataDir: path.join(dir, 'data'), plugins: [{ plugin: make('first') }, { plugin: make('second', true) }, { plugin: make('third') }] });
  const port = Number(new URL(cluster.url).port);
  await expect(cluster.stop()).rejects.toThrow('plugin/second: second could not flush');
  expect(order).toEqual(['third', 'second', 'first']);
  expect(await portIsFree(port)).toBe(true);
});
