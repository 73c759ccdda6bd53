/**
 * The example third-party scheduling plugin (examples/plugins/skiff-plugin-zone-spread),
 * linked into this repository's node_modules as a devDependency, loaded by
 * name from cluster.yaml through the real plugin loader: it taps ZoneSpread
 * onto the kernel's scheduling hooks with the running kernel's API
 * (`kernel.skiff`), and bad options are refused before anything starts.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster } from '../support/cluster';
import { loadPlugins, type Plugin } from '../../kernel/plugin';
import { ConfigError, loadClusterConfig, validateClusterObject } from '../../kernel/config';
import { builtinPlugins } from '../../plugins';
import { schedulingPlugins } from '../../kernel/scheduling/plugins';
import { SchedulingStatus } from '../../kernel/scheduling/types';
import { buildNodeInfos, cycleStateFor, profileView, Snapshot } from '../../plugins/scheduler/framework/snapshot';
import { makeNode, makePod } from '../plugins/scheduler/support';

const repo = path.join(__dirname, '..', '..');
// A cluster.yaml at the repository's root (not on disk): plugins resolve from
// the node_modules next to it, where npm linked the example package.
const source = path.join(repo, 'cluster.yaml');
const packageDir = path.join(repo, 'examples', 'plugins', 'skiff-plugin-zone-spread');
const entry = { name: 'skiff-plugin-zone-spread' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-zone-spread-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function configWith(plugins: unknown[]) {
  return { ...validateClusterObject({ apiVersion: 'skiff.dev/v1alpha1', kind: 'Cluster', dataDir: path.join(dir, 'data'), plugins }), source };
}

test('the loader finds the package by name through the node_modules link to examples/plugins', async () => {
  const [loaded] = await loadPlugins(configWith([entry]));
  expect(loaded.plugin.name).toBe('skiff-plugin-zone-spread');
  expect(loaded.origin).toBe(realpathSync(packageDir));
});

test('loaded by name from cluster.yaml, it taps ZoneSpread on preScore, score and normalizeScore', async () => {
  const cluster = await startCluster({ source, dataDir: path.join(dir, 'data'), config: { plugins: [entry] } });
  try {
    const hooks = cluster.kernel.hooks;
    const zoneSpread = schedulingPlugins(hooks).get('ZoneSpread');
    expect(zoneSpread).toBeDefined();
    expect(typeof zoneSpread!.preScore).toBe('function');
    expect(typeof zoneSpread!.score).toBe('function');
    expect(typeof zoneSpread!.normalizeScore).toBe('function');
    expect(zoneSpread!.filter).toBeUndefined();
    for (const point of ['preScore', 'score', 'normalizeScore'] as const) {
      expect((hooks.scheduling[point].taps as Array<{ name: string }>).map((t) => t.name)).toContain('ZoneSpread');
    }
    expect(zoneSpread!.defaultArgs).toEqual({ zoneLabel: 'topology.kubernetes.io/zone', groupLabel: 'app' });
    expect(zoneSpread!.validateArgs!({ zoneLabel: 'not a label', groupLabel: 'app' }).map((p) => p.path)).toEqual([['zoneLabel']]);

    // It was made with the running kernel's API: its Skip is the kernel's, and it scores.
    const nodes = [makeNode({ name: 'a', labels: { 'topology.kubernetes.io/zone': 'zone-a' } }), makeNode({ name: 'b', labels: { 'topology.kubernetes.io/zone': 'zone-b' } })];
    const snapshot = new Snapshot(buildNodeInfos(nodes, [makePod({ name: 'web-1', labels: { app: 'web' }, nodeName: 'a' })]));
    const profile = profileView('default-scheduler', new Map([['ZoneSpread', zoneSpread!.defaultArgs]]));
    const unlabelled = makePod({ name: 'lonely' });
    expect(await zoneSpread!.preScore!(cycleStateFor(unlabelled, snapshot, profile), unlabelled, snapshot.nodes)).toBe(SchedulingStatus.skip());
    const web = makePod({ name: 'web-2', labels: { app: 'web' } });
    const state = cycleStateFor(web, snapshot, profile);
    expect(SchedulingStatus.isSuccess(await zoneSpread!.preScore!(state, web, snapshot.nodes))).toBe(true);
    const scores = snapshot.nodes.map((n) => ({ name: n.name, score: zoneSpread!.score!(state, web, n) }));
    zoneSpread!.normalizeScore!(state, web, scores);
    expect(scores).toEqual([
      { name: 'a', score: 0 },
      { name: 'b', score: 100 },
    ]);
  } finally {
    await cluster.stop();
  }
});

test('options in cluster.yaml are refused before anything starts: it takes none', async () => {
  const err = await startCluster({ source, dataDir: path.join(dir, 'data'), config: { plugins: [{ ...entry, options: { weight: 5 } }] } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toContain('plugins[0].options.weight: unknown field');
});

test('options handed to the plugin object directly (no loader) are refused with plugin/skiff-plugin-zone-spread:', async () => {
  const [{ plugin }] = await loadPlugins(configWith([entry]));
  const err = await startCluster({ dataDir: path.join(dir, 'data'), plugins: [{ plugin: plugin as Plugin<never>, options: { weight: 5 } as never }] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((err as Error).message).toBe('plugin/skiff-plugin-zone-spread: takes no options (got "weight")');
});

test('a second ZoneSpread on the same kernel stops the boot, attributed to the plugin that tapped second', async () => {
  const impostor: Plugin = {
    name: 'impostor',
    apply(kernel) {
      kernel.skiff.tapSchedulingPlugin(kernel.hooks, { name: 'ZoneSpread', score: () => 0 });
    },
  };
  const err = await startCluster({
    source,
    dataDir: path.join(dir, 'data'),
    config: { plugins: [entry] },
    plugins: [{ plugin: impostor as Plugin<never> }],
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((err as Error).message).toBe('plugin/impostor: scheduling plugin "ZoneSpread" is already registered');
});

test('examples/cluster-zone-spread.yaml validates as `skiff config validate` does, and its ZoneSpread args pass the plugin\'s checks', async () => {
  const file = path.join(repo, 'examples', 'cluster-zone-spread.yaml');
  const config = loadClusterConfig(file);
  expect(config.plugins.map((p) => p.name)).toEqual(['runtime-simulated', 'node-agent', 'skiff-plugin-zone-spread', 'scheduler']);
  const zones = new Map<string, number>();
  for (const n of config.nodes) zones.set(n.labels?.['topology.kubernetes.io/zone'] ?? '', (zones.get(n.labels?.['topology.kubernetes.io/zone'] ?? '') ?? 0) + 1);
  expect(Object.fromEntries(zones)).toEqual({ 'zone-a': 2, 'zone-b': 2, 'zone-c': 2 });
  expect(config.nodes.every((n) => n.runtime === 'simulated')).toBe(true);

  const scheduler = config.plugins.find((p) => p.name === 'scheduler')!.options as {
    profiles: Array<{ plugins: Record<string, { enabled: Array<{ name: string; weight?: number }> }>; pluginConfig: Array<{ name: string; args: Record<string, unknown> }> }>;
  };
  const [profile] = scheduler.profiles;
  expect(profile.plugins.score.enabled).toContainEqual({ name: 'ZoneSpread', weight: 5 });
  const args = profile.pluginConfig.find((c) => c.name === 'ZoneSpread')!.args;

  // The scheduler plugin is being written; until it is built in, validate the rest.
  const plugins = builtinPlugins.scheduler ? config.plugins : config.plugins.filter((p) => p.name !== 'scheduler');
  const loaded = await loadPlugins({ ...config, plugins });
  const zoneSpread = loaded.find((l) => l.plugin.name === 'skiff-plugin-zone-spread')!;
  expect(zoneSpread.origin).toBe(realpathSync(packageDir));

  // ZoneSpread's args as the scheduler checks them at boot: its own validation, defaults applied.
  const cluster = await startCluster({ source: file, dataDir: path.join(dir, 'data'), config: { plugins: [entry] } });
  try {
    const plugin = schedulingPlugins(cluster.kernel.hooks).get('ZoneSpread')!;
    expect(plugin.validateArgs!({ ...plugin.defaultArgs, ...args })).toEqual([]);
  } finally {
    await cluster.stop();
  }
});
