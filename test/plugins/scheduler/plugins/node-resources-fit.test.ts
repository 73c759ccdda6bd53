import type { Container, Pod } from 'kubernetes-types/core/v1';
import { validateWithSchema } from '../../../../kernel/plugin';
import {
  isExtendedResourceName,
  isScalarResourceName,
  NodeResourcesFit,
  type NodeResourcesFitArgs,
} from '../../../../plugins/scheduler/plugins/node-resources-fit';
import { makeNode, makePod, PluginHarness, snapshotOf, type NodeSpec } from '../support';

const GiB = 1024 ** 3;

function container(name: string, requests?: Record<string, string>, restartPolicy?: string): Container {
  return { name, image: 'busybox', ...(requests ? { resources: { requests } } : {}), ...(restartPolicy ? { restartPolicy } : {}) };
}

/** A pod with app containers `apps`, init containers `inits` and an optional overhead. */
function pod(apps: Container[], inits: Container[] = [], overhead?: Record<string, string>): Pod {
  const p = makePod({ name: 'incoming', containers: apps, initContainers: inits.length ? inits : undefined });
  if (overhead) p.spec!.overhead = overhead;
  return p;
}

const unschedulable = (...reasons: string[]) => ({ code: 'Unschedulable', reasons });
const unresolvable = (...reasons: string[]) => ({ code: 'UnschedulableAndUnresolvable', reasons });

describe('NodeResourcesFit Filter', () => {
  // One 4-cpu / 8Gi node with 2 gpus and 1 hugepage; its running pod requests 1500m, 6Gi and 1 gpu.
  const node: NodeSpec = { name: 'n', cpu: '4', memory: '8Gi', pods: 110, extra: { 'example.com/gpu': '2', 'hugepages-2Mi': '2Mi' } };
  const running = makePod({ name: 'running', nodeName: 'n', containers: [container('c', { cpu: '1500m', memory: '6Gi', 'example.com/gpu': '1' })] });
  const snapshot = snapshotOf([makeNode(node)], [running]);

  test.each<[string, Pod, unknown]>([
    ['fits the room left (2500m, 2Gi)', pod([container('a', { cpu: '2500m', memory: '2Gi' })]), undefined],
    ['a pod without requests fits', pod([container('a')]), undefined],
    ['one millicore too many', pod([container('a', { cpu: '2501m' })]), unschedulable('Insufficient cpu')],
    ['one byte of memory too many', pod([container('a', { memory: `${2 * GiB + 1}` })]), unschedulable('Insufficient memory')],
    ['cpu and memory short: both reasons, in kube order', pod([container('a', { memory: '3Gi', cpu: '3' })]), unschedulable('Insufficient cpu', 'Insufficient memory')],
    ['more cpu than the whole node: unresolvable', pod([container('a', { cpu: '5' })]), unresolvable('Insufficient cpu')],
    ['more memory than the whole node, cpu merely short: unresolvable', pod([container('a', { cpu: '3', memory: '9Gi' })]), unresolvable('Insufficient cpu', 'Insufficient memory')],
    ['containers add up', pod([container('a', { cpu: '2' }), container('b', { cpu: '1' })]), unschedulable('Insufficient cpu')],
    ['init containers: the largest counts, not the sum (3 > 2500m)', pod([container('a', { cpu: '1' })], [container('i', { cpu: '3' })]), unschedulable('Insufficient cpu')],
    ['init containers run one by one: max(2, 2, 1) fits', pod([container('a', { cpu: '1' })], [container('i1', { cpu: '2' }), container('i2', { cpu: '2' })]), undefined],
    ['a sidecar keeps running: 1 + 2 does not fit', pod([container('a', { cpu: '2' })], [container('s', { cpu: '1' }, 'Always')]), unschedulable('Insufficient cpu')],
    ['overhead is added (2 + 1 > 2500m)', pod([container('a', { cpu: '2' })], [], { cpu: '1' }), unschedulable('Insufficient cpu')],
    ['extended resource left (1 of 2)', pod([container('a', { 'example.com/gpu': '1' })]), undefined],
    ['extended resource short', pod([container('a', { 'example.com/gpu': '2' })]), unschedulable('Insufficient example.com/gpu')],
    ['more of an extended resource than the node has: unresolvable', pod([container('a', { 'example.com/gpu': '3' })]), unresolvable('Insufficient example.com/gpu')],
    ['an extended resource the node lacks', pod([container('a', { 'example.com/fpga': '1' })]), unresolvable('Insufficient example.com/fpga')],
    ['hugepages are checked too', pod([container('a', { 'hugepages-2Mi': '4Mi' })]), unresolvable('Insufficient hugepages-2Mi')],
    ['ephemeral-storage the node does not advertise', pod([container('a', { 'ephemeral-storage': '1Gi' })]), unresolvable('Insufficient ephemeral-storage')],
    [
      'every shortfall listed, one reason each (ephemeral-storage makes it unresolvable)',
      pod([container('a', { cpu: '3', memory: '3Gi', 'ephemeral-storage': '1', 'example.com/gpu': '2' })]),
      unresolvable('Insufficient cpu', 'Insufficient memory', 'Insufficient ephemeral-storage', 'Insufficient example.com/gpu'),
    ],
    ['a resource name the scheduler does not track is not checked', pod([container('a', { foo: '5' })]), undefined],
  ])('%s', async (_name, incoming, expected) => {
    const h = new PluginHarness(NodeResourcesFit);
    expect(await h.filterAll(incoming, snapshot)).toEqual({ n: expected });
  });

  test.each<[string, number, number, Pod, unknown]>([
    ['pods allocatable reached: Too many pods', 1, 1, pod([container('a')]), unschedulable('Too many pods')],
    ['pods allocatable not reached', 2, 1, pod([container('a')]), undefined],
    ['Too many pods comes first', 1, 1, pod([container('a', { cpu: '4' })]), unschedulable('Too many pods', 'Insufficient cpu')],
    ['no pods allocatable at all', 0, 0, pod([container('a')]), unschedulable('Too many pods')],
  ])('%s', async (_name, allowed, runningPods, incoming, expected) => {
    const pods = Array.from({ length: runningPods }, (_, i) => makePod({ name: `r${i}`, nodeName: 'n', requests: { cpu: '1' } }));
    const h = new PluginHarness(NodeResourcesFit);
    expect(await h.filterAll(incoming, snapshotOf([makeNode({ name: 'n', cpu: '4', pods: allowed })], pods))).toEqual({ n: expected });
  });

  test.each<[string, Partial<NodeResourcesFitArgs>, Record<string, string>, unknown]>([
    ['ignoredResources skips that extended resource', { ignoredResources: ['example.com/fpga'] }, { 'example.com/fpga': '1' }, undefined],
    ['ignoredResources does not skip others', { ignoredResources: ['example.com/fpga'] }, { 'example.com/fpga': '1', 'other.io/x': '1' }, unresolvable('Insufficient other.io/x')],
    ['ignoredResourceGroups skips the whole prefix', { ignoredResourceGroups: ['example.com'] }, { 'example.com/fpga': '1', 'example.com/gpu': '5' }, undefined],
    ['ignoredResourceGroups matches the whole prefix only', { ignoredResourceGroups: ['example'] }, { 'example.com/fpga': '1' }, unresolvable('Insufficient example.com/fpga')],
    ['only extended resources can be ignored (not hugepages)', { ignoredResources: ['hugepages-2Mi'] }, { 'hugepages-2Mi': '4Mi' }, unresolvable('Insufficient hugepages-2Mi')],
    ['only extended resources can be ignored (not cpu)', { ignoredResources: ['cpu'] }, { cpu: '5' }, unresolvable('Insufficient cpu')],
  ])('%s', async (_name, args, requests, expected) => {
    const h = new PluginHarness(NodeResourcesFit, args);
    expect(await h.filterAll(pod([container('a', requests)]), snapshot)).toEqual({ n: expected });
  });
});

describe('resource names', () => {
  test.each([
    ['cpu', false, false],
    ['memory', false, false],
    ['ephemeral-storage', false, false],
    ['pods', false, false],
    ['example.com/gpu', true, true],
    ['nvidia.com/gpu', true, true],
    ['kubernetes.io/batteries', false, true],
    ['hugepages-2Mi', false, true],
    ['attachable-volumes-aws-ebs', false, true],
    ['requests.example.com/gpu', false, false],
    ['foo', false, false],
  ])('%s: extended %s, scalar %s', (name, extended, scalar) => {
    expect(isExtendedResourceName(name)).toBe(extended);
    expect(isScalarResourceName(name)).toBe(scalar);
  });
});

describe('NodeResourcesFit Score', () => {
  // Scores are kube's integer formulas worked out by hand; the running pod on `half` requests 1 cpu, 2Gi.
  const nodes = [
    makeNode({ name: 'half', cpu: '4', memory: '8Gi' }),
    makeNode({ name: 'empty', cpu: '4', memory: '8Gi' }),
    makeNode({ name: 'odd', cpu: '3', memory: '3Gi' }),
    makeNode({ name: 'small', cpu: '1', memory: '1Gi' }),
    makeNode({ name: 'besteffort', cpu: '4', memory: '8Gi' }),
    makeNode({ name: 'huge-cpu', cpu: '1000', memory: '4Gi' }),
  ];
  const running = [
    makePod({ name: 'r1', nodeName: 'half', requests: { cpu: '1', memory: '2Gi' } }),
    // No requests: counts 100m / 200Mi when scoring (kube's non-zero defaults).
    makePod({ name: 'r2', nodeName: 'besteffort' }),
  ];
  const snapshot = snapshotOf(nodes, running);
  const oneCpuTwoGi = makePod({ name: 'p', requests: { cpu: '1', memory: '2Gi' } });

  test.each<[string, Partial<NodeResourcesFitArgs>, Pod, Record<string, number>]>([
    [
      'LeastAllocated (default): (alloc - requested) * 100 / alloc, averaged',
      {},
      oneCpuTwoGi,
      {
        half: 50, // cpu (4000-2000)*100/4000 = 50, memory (8-4)*100/8 = 50
        empty: 75, // 75, 75
        odd: 49, // cpu (3000-1000)*100/3000 = 66, memory (3-2)*100/3 = 33, (66+33)/2 = 49
        small: 0, // cpu (1000-1000) = 0, memory requested > capacity = 0
        besteffort: 72, // cpu (4000-1100)*100/4000 = 72, memory (8192-2248)Mi*100/8192Mi = 72
        'huge-cpu': 74, // cpu (1000000-1000)*100/1000000 = 99, memory (4-2)*100/4 = 50, (99+50)/2 = 74
      },
    ],
    [
      'LeastAllocated, a pod without requests counts 100m / 200Mi',
      {},
      makePod({ name: 'p' }),
      {
        half: 72, // cpu (4000-1100)*100/4000 = 72, memory (8192-2248)Mi*100/8192Mi = 72
        empty: 97, // cpu 3900*100/4000 = 97, memory 7992*100/8192 = 97
        odd: 94, // cpu 2900*100/3000 = 96, memory 2872*100/3072 = 93, (96+93)/2 = 94
        small: 85, // cpu 900*100/1000 = 90, memory 824*100/1024 = 80, (90+80)/2 = 85
        besteffort: 95, // the running pod counts 100m / 200Mi too: cpu 3800*100/4000 = 95, memory 7792*100/8192 = 95
        'huge-cpu': 97, // cpu 999900*100/1000000 = 99, memory 3896*100/4096 = 95, (99+95)/2 = 97
      },
    ],
    [
      'LeastAllocated with weights cpu 3, memory 1',
      { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 3 }, { name: 'memory', weight: 1 }] } },
      oneCpuTwoGi,
      { half: 50, empty: 75, odd: 57 /* (66*3 + 33)/4 = 57 */, small: 0, besteffort: 72, 'huge-cpu': 86 /* (99*3 + 50)/4 = 86 */ },
    ],
    [
      'MostAllocated: requested * 100 / alloc, capped at alloc',
      { scoringStrategy: { type: 'MostAllocated' } },
      oneCpuTwoGi,
      {
        half: 50, // 2000*100/4000 = 50, 4*100/8 = 50
        empty: 25,
        odd: 49, // cpu 1000*100/3000 = 33, memory 2*100/3 = 66, (33+66)/2 = 49
        small: 100, // cpu 100, memory capped at capacity: 100
        besteffort: 27, // cpu 1100*100/4000 = 27, memory 2248*100/8192 = 27
        'huge-cpu': 25, // cpu 1000*100/1000000 = 0, memory 50, (0+50)/2 = 25
      },
    ],
    [
      'RequestedToCapacityRatio, shape 0->0, 100->10: score = utilization, rounded average',
      { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] } } },
      oneCpuTwoGi,
      {
        half: 50,
        empty: 25,
        odd: 50, // cpu utilization 33 -> 33, memory 66 -> 66, round(99/2 = 49.5) = 50
        small: 100, // cpu 100, memory over capacity scores as 100% utilization
        besteffort: 27, // cpu utilization 1100*100/4000 = 27, memory 2248*100/8192 = 27
        'huge-cpu': 50, // cpu utilization 0 scores 0 and is left out of the average: memory 50 alone
      },
    ],
    [
      'RequestedToCapacityRatio, shape 0->10, 100->0 (spreading)',
      { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }] } } },
      oneCpuTwoGi,
      {
        half: 50,
        empty: 75,
        odd: 51, // cpu 100 - 33 = 67, memory 100 - 66 = 34, round(101/2 = 50.5) = 51
        small: 0,
        besteffort: 73, // cpu 100 - 27 = 73, memory 100 - 27 = 73
        'huge-cpu': 75, // cpu 100 - 0 = 100, memory 50, round(150/2) = 75
      },
    ],
    [
      'RequestedToCapacityRatio truncates a falling slope toward zero, as Go',
      { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 10 }, { utilization: 100, score: 3 }] } } },
      oneCpuTwoGi,
      {
        half: 65, // 100 + trunc(-70*50/100) = 65, twice
        empty: 83, // 100 + trunc(-70*25/100 = -17.5) = 83, twice
        odd: 66, // cpu 100 + trunc(-23.1) = 77, memory 100 + trunc(-46.2) = 54, round(65.5) = 66
        small: 30,
        besteffort: 82, // 100 + trunc(-70*27/100 = -18.9) = 82
        'huge-cpu': 83, // cpu 100, memory 65, round(82.5) = 83
      },
    ],
  ])('%s', async (_name, args, incoming, expected) => {
    const h = new PluginHarness(NodeResourcesFit, args);
    expect(await h.scoreAll(incoming, snapshot)).toEqual(expected);
  });

  test.each<[string, Pod, Record<string, number>]>([
    // resources cpu 1, memory 1, example.com/gpu 2; the node's running pod requests 1 cpu, 2Gi, 1 gpu.
    ['a requested extended resource is scored with its weight', makePod({ name: 'p', requests: { cpu: '1', memory: '2Gi', 'example.com/gpu': '2' } }), { gpu: 37, plain: 75 }],
    // gpu (4-3)*100/4 = 25: (50 + 50 + 25*2)/4 = 37; the node without gpus scores cpu and memory only: 75.
    ['an extended resource the pod does not request is left out', makePod({ name: 'p', requests: { cpu: '1', memory: '2Gi' } }), { gpu: 50, plain: 75 }],
  ])('%s', async (_name, incoming, expected) => {
    const h = new PluginHarness(NodeResourcesFit, {
      scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'example.com/gpu', weight: 2 }] },
    });
    const snap = snapshotOf(
      [makeNode({ name: 'gpu', cpu: '4', memory: '8Gi', extra: { 'example.com/gpu': '4' } }), makeNode({ name: 'plain', cpu: '4', memory: '8Gi' })],
      [makePod({ name: 'r', nodeName: 'gpu', requests: { cpu: '1', memory: '2Gi', 'example.com/gpu': '1' } })],
    );
    expect(await h.scoreAll(incoming, snap)).toEqual(expected);
  });
});

describe('NodeResourcesFit args', () => {
  const validate = (args: Record<string, unknown>) => NodeResourcesFit.validateArgs({ ...NodeResourcesFit.defaultArgs, ...args });
  const shape = (...points: Array<[number, number]>) => ({
    scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: points.map(([utilization, score]) => ({ utilization, score })) } },
  });
  const SHAPE = ['scoringStrategy', 'requestedToCapacityRatio', 'shape'];

  test('defaults: LeastAllocated on cpu and memory, weight 1, nothing ignored', () => {
    expect(NodeResourcesFit.defaultArgs).toEqual({
      ignoredResources: [],
      ignoredResourceGroups: [],
      scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] },
    });
  });

  test.each<[string, Record<string, unknown>, Array<{ path: Array<string | number>; message: string }>]>([
    ['the defaults', {}, []],
    ['a missing or 0 weight means 1', { scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu' }, { name: 'memory', weight: 0 }] } }, []],
    ['weight 100', { scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu', weight: 100 }] } }, []],
    [
      'weight above 100',
      { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 101 }] } },
      [{ path: ['scoringStrategy', 'resources', 0, 'weight'], message: 'Invalid value: 101: resource weight of cpu not in valid range (0, 100]' }],
    ],
    [
      'negative weight',
      { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: -1 }] } },
      [{ path: ['scoringStrategy', 'resources', 1, 'weight'], message: 'Invalid value: -1: resource weight of memory not in valid range (0, 100]' }],
    ],
    [
      'unknown strategy type',
      { scoringStrategy: { type: 'Balanced' } },
      [{ path: ['scoringStrategy', 'type'], message: 'Unsupported value: "Balanced": supported values: "LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"' }],
    ],
    ['a good shape', shape([0, 0], [50, 10], [100, 5]), []],
    [
      'RequestedToCapacityRatio without requestedToCapacityRatio',
      { scoringStrategy: { type: 'RequestedToCapacityRatio' } },
      [{ path: ['scoringStrategy', 'requestedToCapacityRatio'], message: 'Required value: must be specified when type is RequestedToCapacityRatio' }],
    ],
    ['a shape given with another strategy is still checked', { scoringStrategy: { type: 'MostAllocated', requestedToCapacityRatio: { shape: [] } } }, [{ path: SHAPE, message: 'Required value: at least one point must be specified' }]],
    ['an empty shape', shape(), [{ path: SHAPE, message: 'Required value: at least one point must be specified' }]],
    ['utilization not increasing', shape([0, 0], [50, 5], [50, 10]), [{ path: [...SHAPE, 2, 'utilization'], message: 'Invalid value: 50: values must be sorted in increasing order' }]],
    ['utilization decreasing', shape([60, 0], [50, 5]), [{ path: [...SHAPE, 1, 'utilization'], message: 'Invalid value: 50: values must be sorted in increasing order' }]],
    [
      'utilization and score out of range',
      shape([-1, 0], [101, 11]),
      [
        { path: [...SHAPE, 0, 'utilization'], message: 'Invalid value: -1: not in valid range [0, 100]' },
        { path: [...SHAPE, 1, 'utilization'], message: 'Invalid value: 101: not in valid range [0, 100]' },
        { path: [...SHAPE, 1, 'score'], message: 'Invalid value: 11: not in valid range [0, 10]' },
      ],
    ],
    ['negative score', shape([0, -1]), [{ path: [...SHAPE, 0, 'score'], message: 'Invalid value: -1: not in valid range [0, 10]' }]],
    [
      'a resource group with a slash',
      { ignoredResourceGroups: ['example.com/gpu'] },
      [{ path: ['ignoredResourceGroups', 0], message: `Invalid value: "example.com/gpu": resource group name can't contain '/'` }],
    ],
  ])('%s', (_name, args, expected) => {
    expect(validate(args)).toEqual(expected);
  });

  test('ignored resources and groups must be qualified names (kube: ValidateLabelName)', () => {
    expect(validate({ ignoredResources: ['fine.io/x', 'bad name'], ignoredResourceGroups: ['ok.io', 'bad group'] })).toEqual([
      { path: ['ignoredResources', 1], message: expect.stringMatching(/^Invalid value: "bad name": name part must consist of alphanumeric characters/) },
      { path: ['ignoredResourceGroups', 1], message: expect.stringMatching(/^Invalid value: "bad group": name part must consist of alphanumeric characters/) },
    ]);
  });

  test('the args schema compiles and checks shapes of values', () => {
    expect(validateWithSchema(NodeResourcesFit.argsSchema, { ...NodeResourcesFit.defaultArgs })).toEqual([]);
    expect(validateWithSchema(NodeResourcesFit.argsSchema, { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 'heavy' }] } })).not.toEqual([]);
    expect(validateWithSchema(NodeResourcesFit.argsSchema, { ignoredResources: 'example.com/gpu' })).not.toEqual([]);
    expect(validateWithSchema(NodeResourcesFit.argsSchema, { scoringStrategy: { type: 'MostAllocated', extra: true } })).not.toEqual([]);
  });

  test('PluginHarness refuses bad args', () => {
    expect(() => new PluginHarness(NodeResourcesFit, { scoringStrategy: { type: 'Nope' } })).toThrow('scoringStrategy.type: Unsupported value: "Nope"');
  });
});
