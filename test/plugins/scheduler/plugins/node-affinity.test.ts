import type { NodeSelectorRequirement, NodeSelectorTerm, Pod, PreferredSchedulingTerm } from 'kubernetes-types/core/v1';
import { validateWithSchema } from '../../../../kernel/plugin';
import type { NodeScore } from '../../../../kernel/scheduling/types';
import { defaultNormalizeScore, ERR_REASON_CONFLICT, ERR_REASON_ENFORCED, ERR_REASON_POD, NodeAffinity } from '../../../../plugins/scheduler/plugins/node-affinity';
import { makeNode, makePod, PluginHarness, snapshotOf } from '../support';

const NODES = ['n1', 'n2', 'n3', 'n4'] as const;
type NodeName = (typeof NODES)[number];

const snapshot = snapshotOf([
  makeNode({ name: 'n1', labels: { zone: 'a', gpu: 'true', cores: '8' } }),
  makeNode({ name: 'n2', labels: { zone: 'b', cores: '16' } }),
  makeNode({ name: 'n3', labels: { zone: 'c' } }),
  makeNode({ name: 'n4', labels: { cores: 'many' } }),
]);

const expr = (key: string, operator: string, values?: string[]): NodeSelectorRequirement => ({ key, operator, ...(values ? { values } : {}) });
const term = (matchExpressions?: NodeSelectorRequirement[], matchFields?: NodeSelectorRequirement[]): NodeSelectorTerm => ({
  ...(matchExpressions ? { matchExpressions } : {}),
  ...(matchFields ? { matchFields } : {}),
});

function podWith(required?: NodeSelectorTerm[], nodeSelector?: Record<string, string>, preferred?: PreferredSchedulingTerm[]): Pod {
  const nodeAffinity = {
    ...(required ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: required } } : {}),
    ...(preferred ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}),
  };
  return makePod({ name: 'p', nodeSelector, affinity: required || preferred ? { nodeAffinity } : undefined });
}

/** The nodes that fit, and every rejection must be kube's unresolvable `reason`. */
async function fitting(h: PluginHarness, pod: Pod, reason = ERR_REASON_POD): Promise<string[]> {
  const result = await h.filterAll(pod, snapshot);
  for (const [, status] of Object.entries(result)) if (status) expect(status).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [reason] });
  return Object.entries(result)
    .filter(([, s]) => !s)
    .map(([n]) => n);
}

describe('NodeAffinity Filter', () => {
  const h = new PluginHarness(NodeAffinity);

  test("reasons are kube-scheduler's", () => {
    expect(ERR_REASON_POD).toBe("node(s) didn't match Pod's node affinity/selector");
    expect(ERR_REASON_ENFORCED).toBe("node(s) didn't match scheduler-enforced node affinity");
    expect(ERR_REASON_CONFLICT).toBe('pod affinity terms conflict');
  });

  test.each<[string, Pod, NodeName[]]>([
    ['nodeSelector', podWith(undefined, { zone: 'a' }), ['n1']],
    ['nodeSelector with two labels (ANDed)', podWith(undefined, { zone: 'a', gpu: 'false' }), []],
    ['In', podWith([term([expr('zone', 'In', ['a', 'b'])])]), ['n1', 'n2']],
    ['NotIn (a node without the label matches)', podWith([term([expr('zone', 'NotIn', ['a'])])]), ['n2', 'n3', 'n4']],
    ['Exists', podWith([term([expr('gpu', 'Exists')])]), ['n1']],
    ['DoesNotExist', podWith([term([expr('gpu', 'DoesNotExist')])]), ['n2', 'n3', 'n4']],
    ['Gt: integers only, a missing or non-integer label does not match', podWith([term([expr('cores', 'Gt', ['8'])])]), ['n2']],
    ['Lt', podWith([term([expr('cores', 'Lt', ['16'])])]), ['n1']],
    ['Gt with a negative bound does not parse (values must be label values): matches nothing', podWith([term([expr('cores', 'Gt', ['-1'])])]), []],
    ['requirements of a term are ANDed', podWith([term([expr('zone', 'In', ['a', 'b']), expr('cores', 'Gt', ['8'])])]), ['n2']],
    ['terms are ORed', podWith([term([expr('zone', 'In', ['a'])]), term([expr('zone', 'In', ['c'])])]), ['n1', 'n3']],
    ['matchFields metadata.name In', podWith([term(undefined, [expr('metadata.name', 'In', ['n2'])])]), ['n2']],
    ['matchFields metadata.name NotIn', podWith([term(undefined, [expr('metadata.name', 'NotIn', ['n2'])])]), ['n1', 'n3', 'n4']],
    ['matchFields and matchExpressions in one term are ANDed', podWith([term([expr('zone', 'In', ['b'])], [expr('metadata.name', 'In', ['n1'])])]), []],
    ['matchFields on another field compares with the empty string', podWith([term(undefined, [expr('metadata.namespace', 'In', ['x'])])]), []],
    ['nodeSelector and affinity must both match', podWith([term([expr('zone', 'In', ['b'])])], { zone: 'a' }), []],
    ['nodeSelector and affinity both matching', podWith([term([expr('cores', 'Exists')])], { gpu: 'true' }), ['n1']],
    ['no nodeSelectorTerms matches nothing', podWith([]), []],
    ['an empty term matches nothing', podWith([term()]), []],
    ['an empty term next to a good one', podWith([term(), term([expr('zone', 'In', ['c'])])]), ['n3']],
    ['a term that does not parse is ignored, the others still count', podWith([term([expr('zone', 'Near', ['a'])]), term([expr('zone', 'In', ['c'])])]), ['n3']],
    ['Gt with a non-integer value does not parse: matches nothing', podWith([term([expr('cores', 'Gt', ['eight'])])]), []],
    ['In without values does not parse', podWith([term([expr('zone', 'In', [])])]), []],
    ['a label called like an Object.prototype property', podWith(undefined, { constructor: 'x' }), []],
    ['DoesNotExist on a prototype property name', podWith([term([expr('constructor', 'DoesNotExist')])]), ['n1', 'n2', 'n3', 'n4']],
  ])('%s', async (_name, pod, expected) => {
    expect(await fitting(h, pod)).toEqual(expected);
  });

  test('a pod without nodeSelector or required affinity is skipped at PreFilter', async () => {
    const pod = podWith(undefined, undefined, [{ weight: 1, preference: term([expr('zone', 'In', ['a'])]) }]);
    expect(await h.plugin.preFilter!(h.state(pod, snapshot), pod)).toEqual({ code: 'Skip', reasons: [] });
  });

  test.each<[string, NodeSelectorTerm[], unknown]>([
    ['one term pinning two names', [term(undefined, [expr('metadata.name', 'In', ['n1', 'n2'])])], { nodeNames: new Set(['n1', 'n2']) }],
    ['two terms: the union', [term(undefined, [expr('metadata.name', 'In', ['n1'])]), term(undefined, [expr('metadata.name', 'In', ['n3'])])], { nodeNames: new Set(['n1', 'n3']) }],
    [
      'two pins in one term: the intersection',
      [term(undefined, [expr('metadata.name', 'In', ['n1', 'n2']), expr('metadata.name', 'In', ['n2', 'n3'])])],
      { nodeNames: new Set(['n2']) },
    ],
    [
      'pins that contradict each other',
      [term(undefined, [expr('metadata.name', 'In', ['n1']), expr('metadata.name', 'In', ['n2'])])],
      { code: 'UnschedulableAndUnresolvable', reasons: ['pod affinity terms conflict'] },
    ],
    ['a term without a pin lets every node through', [term(undefined, [expr('metadata.name', 'In', ['n1'])]), term([expr('zone', 'In', ['c'])])], undefined],
    ['NotIn does not pin', [term(undefined, [expr('metadata.name', 'NotIn', ['n1'])])], undefined],
    ['expressions only', [term([expr('zone', 'In', ['a'])])], undefined],
    ['no terms', [], undefined],
  ])('PreFilter narrows to pinned node names: %s', async (_name, terms, expected) => {
    const pod = podWith(terms);
    expect(await h.plugin.preFilter!(h.state(pod, snapshot), pod)).toEqual(expected);
  });
});

describe('NodeAffinity addedAffinity', () => {
  const added = {
    addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term([expr('zone', 'In', ['a', 'b'])])] } },
  };

  test('rejects nodes outside the added affinity as scheduler-enforced, even for pods without affinity', async () => {
    const h = new PluginHarness(NodeAffinity, added);
    const pod = makePod({ name: 'p' });
    expect(await h.plugin.preFilter!(h.state(pod, snapshot), pod)).toBeUndefined();
    expect(await h.filterAll(pod, snapshot)).toEqual({
      n1: undefined,
      n2: undefined,
      n3: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_ENFORCED] },
      n4: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_ENFORCED] },
    });
  });

  test("is checked before the pod's own affinity", async () => {
    const h = new PluginHarness(NodeAffinity, added);
    expect(await h.filterAll(podWith(undefined, { zone: 'b' }), snapshot)).toEqual({
      n1: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_POD] },
      n2: undefined,
      n3: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_ENFORCED] },
      n4: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_ENFORCED] },
    });
  });
});

describe('NodeAffinity Score', () => {
  const preferred: PreferredSchedulingTerm[] = [
    { weight: 5, preference: term([expr('zone', 'In', ['a'])]) },
    { weight: 3, preference: term([expr('cores', 'Exists')]) },
    { weight: 0, preference: term([expr('zone', 'In', ['b'])]) }, // weight 0: ignored
    { weight: 50, preference: term() }, // empty preference: ignored
  ];

  test.each<[string, Record<string, unknown>, Pod, Record<string, number>]>([
    // Raw sums n1 5+3 = 8, n2 3, n3 0, n4 3; normalised 100 * score / 8.
    ['sum of the matching weights, normalised to the best node', {}, podWith(undefined, undefined, preferred), { n1: 100, n2: 37, n3: 0, n4: 37 }],
    [
      'addedAffinity preferences add up with the pod’s',
      { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 2, preference: term([expr('zone', 'In', ['c'])]) }] } },
      podWith(undefined, undefined, preferred),
      { n1: 100, n2: 37, n3: 25, n4: 37 }, // n3: 2 * 100 / 8
    ],
    [
      'addedAffinity preferences alone',
      { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 4, preference: term(undefined, [expr('metadata.name', 'In', ['n4'])]) }] } },
      makePod({ name: 'p' }),
      { n1: 0, n2: 0, n3: 0, n4: 100 },
    ],
    ['no node matches: all 0', {}, podWith(undefined, undefined, [{ weight: 7, preference: term([expr('zone', 'In', ['z'])]) }]), { n1: 0, n2: 0, n3: 0, n4: 0 }],
    [
      'Gt and matchFields in preferences',
      {},
      podWith(undefined, undefined, [
        { weight: 10, preference: term([expr('cores', 'Gt', ['10'])]) },
        { weight: 30, preference: term(undefined, [expr('metadata.name', 'In', ['n3'])]) },
      ]),
      { n1: 0, n2: 33, n3: 100, n4: 0 }, // n2 10 * 100 / 30
    ],
  ])('%s', async (_name, args, pod, expected) => {
    const h = new PluginHarness(NodeAffinity, args);
    expect(await h.scoreAll(pod, snapshot)).toEqual(expected);
  });

  test('nothing preferred: PreScore returns Skip', async () => {
    const h = new PluginHarness(NodeAffinity);
    const pod = podWith(undefined, { zone: 'a' });
    expect(await h.plugin.preScore!(h.state(pod, snapshot), pod, snapshot.nodes)).toEqual({ code: 'Skip', reasons: [] });
  });

  test('a preferred term that does not parse makes PreScore an Error', async () => {
    const h = new PluginHarness(NodeAffinity);
    const pod = podWith(undefined, undefined, [{ weight: 1, preference: term([expr('zone', 'Near', ['a'])]) }]);
    expect(await h.plugin.preScore!(h.state(pod, snapshot), pod, snapshot.nodes)).toEqual({
      code: 'Error',
      reasons: ['[0].preference.matchExpressions[0].operator: Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"'],
    });
  });

  test.each<[string, boolean, number[], number[]]>([
    ['scaled to the highest', false, [8, 3, 0], [100, 37, 0]],
    ['all zero stays zero', false, [0, 0], [0, 0]],
    ['reversed', true, [0, 1, 3], [100, 67, 0]],
    ['reversed, all zero: all the maximum', true, [0, 0], [100, 100]],
  ])('defaultNormalizeScore: %s', (_name, reverse, raw, expected) => {
    const scores: NodeScore[] = raw.map((score, i) => ({ name: `n${i}`, score }));
    defaultNormalizeScore(100, reverse, scores);
    expect(scores.map((s) => s.score)).toEqual(expected);
  });
});

describe('NodeAffinity args', () => {
  const REQUIRED = ['addedAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms', 0];
  const required = (...exprs: NodeSelectorRequirement[]) => ({ addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term(exprs)] } } });
  const requiredFields = (...exprs: NodeSelectorRequirement[]) => ({
    addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term(undefined, exprs)] } },
  });

  test('no args by default', () => {
    expect(NodeAffinity.defaultArgs).toEqual({});
    expect(NodeAffinity.validateArgs({})).toEqual([]);
  });

  test.each<[string, Record<string, unknown>, Array<{ path: Array<string | number>; message: string }>]>([
    ['good required and preferred terms', { addedAffinity: { ...required(expr('zone', 'In', ['a'])).addedAffinity, preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: term([expr('gpu', 'Exists')]) }] } }, []],
    [
      'an unknown operator',
      required(expr('zone', 'Near', ['a'])),
      [{ path: [...REQUIRED, 'matchExpressions', 0, 'operator'], message: 'Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"' }],
    ],
    [
      'In without values',
      required(expr('zone', 'In')),
      [{ path: [...REQUIRED, 'matchExpressions', 0, 'values'], message: "Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty" }],
    ],
    [
      'Exists with values',
      required(expr('zone', 'Exists', ['a'])),
      [{ path: [...REQUIRED, 'matchExpressions', 0, 'values'], message: 'Invalid value: []string{"a"}: values set must be empty for exists and does not exist' }],
    ],
    [
      'Gt with two values',
      required(expr('cores', 'Gt', ['1', '2'])),
      [{ path: [...REQUIRED, 'matchExpressions', 0, 'values'], message: `Invalid value: []string{"1", "2"}: for 'Gt', 'Lt' operators, exactly one value is required` }],
    ],
    [
      'Lt with a non-integer',
      required(expr('cores', 'Lt', ['1.5'])),
      [{ path: [...REQUIRED, 'matchExpressions', 0, 'values', 0], message: `Invalid value: "1.5": for 'Gt', 'Lt' operators, the value must be an integer` }],
    ],
    [
      'matchFields with two values',
      requiredFields(expr('metadata.name', 'In', ['a', 'b'])),
      [{ path: [...REQUIRED, 'matchFields', 0, 'values'], message: 'Invalid value: []string{"a", "b"}: must have one element' }],
    ],
    [
      'matchFields with Exists',
      requiredFields(expr('metadata.name', 'Exists')),
      [{ path: [...REQUIRED, 'matchFields', 0, 'operator'], message: 'Unsupported value: "Exists": supported values: "In", "NotIn"' }],
    ],
    [
      'a preferred term',
      { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: term([expr('zone', 'Near', ['a'])]) }] } },
      [
        {
          path: ['addedAffinity', 'preferredDuringSchedulingIgnoredDuringExecution', 0, 'preference', 'matchExpressions', 0, 'operator'],
          message: 'Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"',
        },
      ],
    ],
  ])('%s', (_name, args, expected) => {
    expect(NodeAffinity.validateArgs(args)).toEqual(expected);
  });

  test('keys and values must be valid label keys and values', () => {
    expect(NodeAffinity.validateArgs(required(expr('bad key', 'In', ['ok', 'bad value'])))).toEqual([
      { path: [...REQUIRED, 'matchExpressions', 0, 'key'], message: expect.stringMatching(/^Invalid value: "bad key": name part must consist of/) },
      { path: [...REQUIRED, 'matchExpressions', 0, 'values', 1], message: expect.stringMatching(/^Invalid value: "bad value": a valid label must be an empty string or consist of/) },
    ]);
  });

  test('the args schema compiles and checks value shapes', () => {
    expect(validateWithSchema(NodeAffinity.argsSchema, required(expr('zone', 'In', ['a'])))).toEqual([]);
    expect(validateWithSchema(NodeAffinity.argsSchema, { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} } })).not.toEqual([]);
    expect(validateWithSchema(NodeAffinity.argsSchema, { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 'high', preference: {} }] } })).not.toEqual([]);
    expect(validateWithSchema(NodeAffinity.argsSchema, { somethingElse: true })).not.toEqual([]);
  });
});
