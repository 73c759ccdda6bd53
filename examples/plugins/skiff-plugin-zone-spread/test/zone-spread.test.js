'use strict';
/**
 * ZoneSpread through the kernel's scheduling hooks, the way the scheduler
 * calls it: the package's `apply` runs against a fake plugin context (fresh
 * kernel hooks and skiff's public API), the plugin is read back with
 * `schedulingPlugins(hooks)`, and each case builds a cluster snapshot with
 * the scheduler's own NodeInfo builders.
 *
 * The skiff sources are TypeScript, required through jest's swc transform
 * (the repository's jest.config.js); a package outside this repository would
 * depend on skiff and require 'skiff/...' instead.
 */
const path = require('node:path');
const Ajv = require('ajv');

const repo = path.resolve(__dirname, '..', '..', '..', '..');
const skiff = require(path.join(repo, 'kernel', 'index'));
const { createKernelHooks } = require(path.join(repo, 'kernel', 'hooks'));
const { schedulingPlugins } = require(path.join(repo, 'kernel', 'scheduling', 'plugins'));
const { buildNodeInfos, Snapshot, cycleStateFor, profileView } = require(path.join(repo, 'plugins', 'scheduler', 'framework', 'snapshot'));

const zoneSpread = require('..');

const ZONE = 'topology.kubernetes.io/zone';

/** The package applied to fresh kernel hooks, and ZoneSpread read back through them. */
function applied(options = {}) {
  const hooks = createKernelHooks();
  const kernel = { name: zoneSpread.name, hooks, skiff };
  zoneSpread.apply(kernel, options);
  return { hooks, plugin: schedulingPlugins(hooks).get('ZoneSpread') };
}

function node(name, labels = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-node-${name}`, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: {},
    status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, capacity: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

let serial = 0;
/** A pod; `on` binds it to a node (spec.nodeName). */
function pod({ name = `p${++serial}`, namespace = 'default', labels = {}, on, terminating = false } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, labels, ...(terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36' }], ...(on ? { nodeName: on } : {}) },
    status: { phase: on ? 'Running' : 'Pending' },
  };
}

/** `n` pods of `app` on node `on`. */
function web(on, n = 1, labels = { app: 'web' }, namespace = 'default') {
  return Array.from({ length: n }, () => pod({ labels, on, namespace }));
}

// a1, a2 in zone-a; b1 in zone-b; c1 in zone-c; bare has no zone label.
const cluster = [node('a1', { [ZONE]: 'zone-a' }), node('a2', { [ZONE]: 'zone-a' }), node('b1', { [ZONE]: 'zone-b' }), node('c1', { [ZONE]: 'zone-c' }), node('bare')];

/**
 * PreScore, Score on `feasible` (default: every node), NormalizeScore, as the
 * scheduler runs one score plugin: node name → final score, or the status
 * when PreScore did not succeed.
 */
async function scoreAll(plugin, incoming, { nodes = cluster, pods = [], args = {}, feasible } = {}) {
  const snapshot = new Snapshot(buildNodeInfos(nodes, pods));
  const state = cycleStateFor(incoming, snapshot, profileView('default-scheduler', new Map([['ZoneSpread', { ...plugin.defaultArgs, ...args }]])));
  const candidates = feasible ? snapshot.nodes.filter((n) => feasible.includes(n.name)) : snapshot.nodes;
  const status = await plugin.preScore(state, incoming, candidates);
  if (status && status.code !== 'Success') return { status };
  const scores = candidates.map((n) => ({ name: n.name, score: plugin.score(state, incoming, n) }));
  const raw = Object.fromEntries(scores.map((s) => [s.name, s.score]));
  plugin.normalizeScore(state, incoming, scores);
  return { raw, scores: Object.fromEntries(scores.map((s) => [s.name, s.score])) };
}

describe('ZoneSpread scores', () => {
  const { plugin } = applied();

  test.each([
    {
      name: 'an empty cluster: every zone is the emptiest (100), the node without a zone 0',
      pods: [],
      want: { a1: 100, a2: 100, b1: 100, c1: 100, bare: 0 },
    },
    {
      name: 'the emptiest zone 100, the fullest 0, in between linearly',
      pods: [...web('a1'), ...web('a2'), ...web('b1')],
      raw: { a1: 2, a2: 2, b1: 1, c1: 0, bare: 0 },
      want: { a1: 0, a2: 0, b1: 50, c1: 100, bare: 0 },
    },
    {
      name: 'a zone counts the pods of all its nodes, so both nodes of zone-a score alike',
      pods: [...web('a1', 3), ...web('b1', 2), ...web('c1', 2)],
      want: { a1: 0, a2: 0, b1: 100, c1: 100, bare: 0 },
    },
    {
      name: 'scores round: 0, 1 and 3 pods give 100, 67 and 0',
      pods: [...web('b1', 1), ...web('c1', 3)],
      want: { a1: 100, a2: 100, b1: 67, c1: 0, bare: 0 },
    },
    {
      name: 'all zones equally full: all 100',
      pods: [...web('a2', 2), ...web('b1', 2), ...web('c1', 2)],
      want: { a1: 100, a2: 100, b1: 100, c1: 100, bare: 0 },
    },
    {
      name: 'only the group counts: other apps, pods without the label, other namespaces and terminating pods do not',
      pods: [
        ...web('a1', 3, { app: 'db' }),
        ...web('a1', 2, {}),
        ...web('a2', 4, { app: 'web' }, 'other'),
        pod({ labels: { app: 'web' }, on: 'a2', terminating: true }),
        ...web('b1', 1),
      ],
      raw: { a1: 0, a2: 0, b1: 1, c1: 0, bare: 0 },
      want: { a1: 100, a2: 100, b1: 0, c1: 100, bare: 0 },
    },
    {
      name: 'pods on a node without the zone label belong to no zone',
      pods: [...web('bare', 5), ...web('a1')],
      raw: { a1: 1, a2: 1, b1: 0, c1: 0, bare: 0 },
      want: { a1: 0, a2: 0, b1: 100, c1: 100, bare: 0 },
    },
    {
      name: 'normalising is over the feasible nodes: the emptiest of their zones gets 100',
      pods: [...web('a1', 2), ...web('b1', 1)],
      feasible: ['a1', 'b1', 'bare'],
      want: { a1: 0, b1: 100, bare: 0 },
    },
    {
      name: 'a zone is as full as all its nodes, feasible or not',
      pods: [...web('a2', 3), ...web('b1', 1)],
      feasible: ['a1', 'b1'],
      raw: { a1: 3, b1: 1 },
      want: { a1: 0, b1: 100 },
    },
    {
      name: 'only nodes without a zone: all 0',
      pods: [...web('a1')],
      feasible: ['bare'],
      want: { bare: 0 },
    },
  ])('$name', async ({ pods, feasible, raw, want }) => {
    const got = await scoreAll(plugin, pod({ labels: { app: 'web' } }), { pods, feasible });
    if (raw) expect(got.raw).toEqual(raw);
    expect(got.scores).toEqual(want);
    for (const score of Object.values(got.scores)) {
      expect(Number.isInteger(score)).toBe(true);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(skiff.MAX_NODE_SCORE);
    }
  });

  test('a pod without the group label is skipped at preScore', async () => {
    const got = await scoreAll(plugin, pod({ labels: { tier: 'frontend' } }), { pods: web('a1') });
    expect(got.status).toEqual(skiff.SchedulingStatus.skip());
  });

  test('the incoming pod counts only pods of its own namespace', async () => {
    const pods = [...web('a1', 2, { app: 'web' }, 'shop'), ...web('b1', 2)];
    const got = await scoreAll(plugin, pod({ namespace: 'shop', labels: { app: 'web' } }), { pods });
    expect(got.scores).toEqual({ a1: 0, a2: 0, b1: 100, c1: 100, bare: 0 });
  });

  test('args from the profile choose the labels: a rack label and a tier group', async () => {
    const nodes = [node('r1', { 'example.com/rack': 'r1', [ZONE]: 'zone-a' }), node('r2', { 'example.com/rack': 'r2', [ZONE]: 'zone-a' }), node('r3', { [ZONE]: 'zone-b' })];
    const pods = [...web('r1', 2, { tier: 'cache', app: 'x' }), ...web('r2', 1, { tier: 'cache', app: 'y' })];
    const got = await scoreAll(plugin, pod({ labels: { tier: 'cache' } }), { nodes, pods, args: { zoneLabel: 'example.com/rack', groupLabel: 'tier' } });
    expect(got.scores).toEqual({ r1: 0, r2: 100, r3: 0 });
    // With the defaults, the same pod has no `app` label: nothing to spread.
    expect((await scoreAll(plugin, pod({ labels: { tier: 'cache' } }), { nodes, pods })).status.code).toBe('Skip');
  });

  test('score without preScore (a what-if tool) computes the counts itself', () => {
    const snapshot = new Snapshot(buildNodeInfos(cluster, [...web('a1', 2), ...web('b1')]));
    const incoming = pod({ labels: { app: 'web' } });
    const state = cycleStateFor(incoming, snapshot, profileView('default-scheduler'));
    expect(snapshot.nodes.map((n) => plugin.score(state, incoming, n))).toEqual([2, 2, 1, 0, 0]);
  });
});

describe('ZoneSpread on the kernel hooks', () => {
  test('the package taps preScore, score and normalizeScore as ZoneSpread, and nothing else', () => {
    const { hooks } = applied();
    const tapped = Object.entries(hooks.scheduling)
      .filter(([, hook]) => hook.taps.some((t) => t.name === 'ZoneSpread'))
      .map(([point]) => point);
    expect(tapped).toEqual(['preScore', 'score', 'normalizeScore']);
    expect(hooks.scheduling.score.taps.map((t) => t.type)).toEqual(['sync']);
    expect(hooks.scheduling.normalizeScore.taps.map((t) => t.type)).toEqual(['sync']);
  });

  test('its args schema, defaults and validation reach the scheduler through schedulingPlugins', () => {
    const { plugin } = applied();
    expect(plugin.defaultArgs).toEqual({ zoneLabel: ZONE, groupLabel: 'app' });
    const validate = new Ajv({ allErrors: true, strict: false }).compile(plugin.argsSchema);
    expect(validate({ zoneLabel: 'example.com/rack', groupLabel: 'tier' })).toBe(true);
    expect(validate({ zoneLabel: 3 })).toBe(false);
    expect(validate({ zone: 'x' })).toBe(false);
    expect(validate({ groupLabel: '' })).toBe(false);
  });

  test.each([
    [{ zoneLabel: ZONE, groupLabel: 'app' }, []],
    [{ zoneLabel: 'rack', groupLabel: 'app.kubernetes.io/name' }, []],
    [{ zoneLabel: 'not a label', groupLabel: 'app' }, ['zoneLabel']],
    [{ zoneLabel: 'Example.COM/zone', groupLabel: 'app' }, ['zoneLabel']],
    [{ zoneLabel: 'a/b/c', groupLabel: '-app' }, ['zoneLabel', 'groupLabel']],
    [{ zoneLabel: '/zone', groupLabel: 'x'.repeat(64) }, ['zoneLabel', 'groupLabel']],
    [{ zoneLabel: 'example.com/', groupLabel: 'app' }, ['zoneLabel']],
  ])('validateArgs(%j) complains about %j', (args, paths) => {
    const { plugin } = applied();
    const problems = plugin.validateArgs(args);
    expect(problems.map((p) => p.path.join('.'))).toEqual(paths);
    for (const p of problems) expect(p.message).toMatch(/^must be a label key/);
  });

  test('the skiff plugin takes no options', () => {
    expect(zoneSpread.name).toBe('skiff-plugin-zone-spread');
    expect(zoneSpread.optionsSchema).toEqual({ type: 'object', additionalProperties: false });
    expect(() => applied({ weight: 5 })).toThrow('takes no options (got "weight")');
  });

  test('applying it twice to one kernel is refused: one ZoneSpread per kernel', () => {
    const hooks = createKernelHooks();
    zoneSpread.apply({ name: zoneSpread.name, hooks, skiff }, {});
    expect(() => zoneSpread.apply({ name: zoneSpread.name, hooks, skiff }, {})).toThrow('scheduling plugin "ZoneSpread" is already registered');
  });
});
