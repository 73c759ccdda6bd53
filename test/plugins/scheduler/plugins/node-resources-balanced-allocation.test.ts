import type { Pod } from 'kubernetes-types/core/v1';
import { validateWithSchema } from '../../../../kernel/plugin';
import { balancedResourceScore, NodeResourcesBalancedAllocation } from '../../../../plugins/scheduler/plugins/node-resources-balanced-allocation';
import { makeNode, makePod, PluginHarness, snapshotOf } from '../support';

describe('NodeResourcesBalancedAllocation Score', () => {
  // Worked out by hand: (1 - std of requested/allocatable) * 100, truncated; with two resources std = |f1 - f2| / 2.
  const snapshot = snapshotOf(
    [
      makeNode({ name: 'balanced', cpu: '4', memory: '8Gi' }),
      makeNode({ name: 'empty', cpu: '4', memory: '8Gi' }),
      makeNode({ name: 'memory-rich', cpu: '2', memory: '16Gi' }),
      makeNode({ name: 'overcommitted', cpu: '1', memory: '1Gi' }),
      makeNode({ name: 'besteffort', cpu: '1', memory: '4Gi' }),
    ],
    [
      makePod({ name: 'r1', nodeName: 'balanced', requests: { cpu: '1', memory: '1Gi' } }),
      // Requests nothing: BalancedAllocation counts plain requests, so this pod weighs nothing (no 100m / 200Mi).
      makePod({ name: 'r2', nodeName: 'besteffort' }),
    ],
  );

  test.each<[string, Pod, Record<string, number>]>([
    [
      '1 cpu, 3Gi',
      makePod({ name: 'p', requests: { cpu: '1', memory: '3Gi' } }),
      {
        balanced: 100, // cpu 2000/4000 = 0.5, memory 4/8 = 0.5: std 0
        empty: 93, // 0.25, 0.375: std 0.0625 -> 93.75
        'memory-rich': 84, // 0.5, 3/16 = 0.1875: std 0.15625 -> 84.375
        overcommitted: 100, // 1, 3 capped at 1: std 0
        besteffort: 87, // 1, 0.75: std 0.125 -> 87.5
      },
    ],
    [
      '500m, 1Gi',
      makePod({ name: 'p', requests: { cpu: '500m', memory: '1Gi' } }),
      {
        balanced: 93, // 1500/4000 = 0.375, 2/8 = 0.25: std 0.0625
        empty: 100, // 0.125, 0.125
        'memory-rich': 90, // 0.25, 1/16: std 0.09375 -> 90.625
        overcommitted: 75, // 0.5, 1: std 0.25
        besteffort: 87, // 0.5, 0.25 -> 87.5 (with non-zero defaults it would be 0.6, 0.2988 -> 84)
      },
    ],
    [
      'memory only: not best-effort, cpu counts 0',
      makePod({ name: 'p', requests: { memory: '3Gi' } }),
      {
        balanced: 87, // 1000/4000 = 0.25, 4/8 = 0.5: std 0.125
        empty: 81, // 0, 0.375: std 0.1875 -> 81.25
        'memory-rich': 90, // 0, 0.1875: std 0.09375
        overcommitted: 50, // 0, 1: std 0.5
        besteffort: 62, // 0, 0.75: std 0.375 -> 62.5
      },
    ],
  ])('%s', async (_name, pod, expected) => {
    const h = new PluginHarness(NodeResourcesBalancedAllocation);
    expect(await h.scoreAll(pod, snapshot)).toEqual(expected);
  });

  test('a best-effort pod is not scored: PreScore returns Skip', async () => {
    const h = new PluginHarness(NodeResourcesBalancedAllocation);
    const pod = makePod({ name: 'p' });
    expect(await h.plugin.preScore!(h.state(pod, snapshot), pod, snapshot.nodes)).toEqual({ code: 'Skip', reasons: [] });
    expect(await h.scoreAll(pod, snapshot)).toEqual({ balanced: 0, empty: 0, 'memory-rich': 0, overcommitted: 0, besteffort: 0 });
  });

  test.each<[string, Record<string, string>, Record<string, number>]>([
    // Node gpu: 4 cpu, 8Gi, 4 gpus; node plain: 4 cpu, 8Gi.
    ['three resources: the population standard deviation', { cpu: '1', memory: '2Gi', 'example.com/gpu': '2' }, { gpu: 88, plain: 100 }],
    // 0.25, 0.25, 0.5: mean 1/3, variance (1/144 + 1/144 + 4/144) / 3 = 1/72, std 0.11785 -> 88.2; plain has no gpus: 0.25, 0.25 -> 100
    ['three resources, one capped at 1', { cpu: '4', memory: '2Gi', 'example.com/gpu': '1' }, { gpu: 64, plain: 62 }],
    // 1, 0.25, 0.25: mean 0.5, variance 0.375 / 3 = 0.125, std 0.35355 -> 64.6; plain: 1, 0.25 -> std 0.375 -> 62.5
    ['a scalar resource the pod does not request is left out', { cpu: '1', memory: '4Gi' }, { gpu: 87, plain: 87 }],
    // 0.25, 0.5 (gpu not requested: left out, else 0.25, 0.5, 0 would give 79)
  ])('%s', async (_name, requests, expected) => {
    const h = new PluginHarness(NodeResourcesBalancedAllocation, { resources: [{ name: 'cpu' }, { name: 'memory' }, { name: 'example.com/gpu' }] });
    const snap = snapshotOf([makeNode({ name: 'gpu', cpu: '4', memory: '8Gi', extra: { 'example.com/gpu': '4' } }), makeNode({ name: 'plain', cpu: '4', memory: '8Gi' })]);
    expect(await h.scoreAll(makePod({ name: 'p', requests }), snap)).toEqual(expected);
  });

  test.each<[number[], number[], number]>([
    [[1, 1], [2, 4], 87], // 0.5, 0.25
    [[5, 1], [0, 2], 100], // the resource with no allocatable is left out: one fraction, std 0
    [[], [], 100],
    [[3, 0, 0], [4, 4, 4], 64], // 0.75, 0, 0: mean 0.25, variance (0.25 + 0.0625 * 2) / 3 = 0.125 -> std 0.35355
  ])('balancedResourceScore(%j, %j) = %d', (requested, allocatable, expected) => {
    expect(balancedResourceScore(requested, allocatable)).toBe(expected);
  });
});

describe('NodeResourcesBalancedAllocation args', () => {
  const validate = (args: Record<string, unknown>) => NodeResourcesBalancedAllocation.validateArgs({ ...NodeResourcesBalancedAllocation.defaultArgs, ...args });

  test('defaults: cpu and memory, weight 1', () => {
    expect(NodeResourcesBalancedAllocation.defaultArgs).toEqual({ resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] });
  });

  test.each<[string, Record<string, unknown>, Array<{ path: Array<string | number>; message: string }>]>([
    ['the defaults', {}, []],
    ['empty resources mean the defaults', { resources: [] }, []],
    ['missing or 0 weight means 1', { resources: [{ name: 'cpu' }, { name: 'memory', weight: 0 }, { name: 'example.com/gpu', weight: 1 }] }, []],
    ['a weight other than 1', { resources: [{ name: 'cpu', weight: 2 }] }, [{ path: ['resources', 0, 'weight'], message: 'Invalid value: 2: must be 1' }]],
    ['a negative weight', { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: -1 }] }, [{ path: ['resources', 1, 'weight'], message: 'Invalid value: -1: must be 1' }]],
    ['a resource twice', { resources: [{ name: 'cpu' }, { name: 'memory' }, { name: 'cpu' }] }, [{ path: ['resources', 2, 'name'], message: 'Duplicate value: "cpu"' }]],
  ])('%s', (_name, args, expected) => {
    expect(validate(args)).toEqual(expected);
  });

  test('the args schema compiles and checks value shapes', () => {
    expect(validateWithSchema(NodeResourcesBalancedAllocation.argsSchema, { ...NodeResourcesBalancedAllocation.defaultArgs })).toEqual([]);
    expect(validateWithSchema(NodeResourcesBalancedAllocation.argsSchema, { resources: [{ weight: 1 }] })).not.toEqual([]);
    expect(validateWithSchema(NodeResourcesBalancedAllocation.argsSchema, { resources: 'cpu' })).not.toEqual([]);
  });
});
