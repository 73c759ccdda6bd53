import type { Taint, Toleration } from 'kubernetes-types/core/v1';
import { TaintToleration, untoleratedTaintReason } from '../../../../plugins/scheduler/plugins/taint-toleration';
import { makeNode, makePod, PluginHarness, snapshotOf } from '../support';

const unresolvable = (reason: string) => ({ code: 'UnschedulableAndUnresolvable', reasons: [reason] });

describe('TaintToleration Filter', () => {
  const h = new PluginHarness(TaintToleration);
  const gpu: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const controlPlane: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
  const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
  const prefer: Taint = { key: 'spot', value: 'true', effect: 'PreferNoSchedule' };

  test("reasons are formatted as kube-scheduler's (an empty value leaves nothing after the colon)", () => {
    expect(untoleratedTaintReason(gpu)).toBe('node(s) had untolerated taint {dedicated: gpu}');
    expect(untoleratedTaintReason(controlPlane)).toBe('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }');
    expect(untoleratedTaintReason({ key: 'k', value: '', effect: 'NoSchedule' })).toBe('node(s) had untolerated taint {k: }');
  });

  test.each<[string, Taint[], Toleration[] | undefined, unknown]>([
    ['no taints', [], undefined, undefined],
    ['a NoSchedule taint, no tolerations', [gpu], undefined, unresolvable('node(s) had untolerated taint {dedicated: gpu}')],
    ['a taint without value', [controlPlane], undefined, unresolvable('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }')],
    ['a NoExecute taint', [notReady], [], unresolvable('node(s) had untolerated taint {node.kubernetes.io/not-ready: }')],
    ['a PreferNoSchedule taint does not filter', [prefer], undefined, undefined],
    ['Equal with the value tolerates', [gpu], [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], undefined],
    ['operator defaults to Equal', [gpu], [{ key: 'dedicated', value: 'gpu' }], undefined],
    ['Equal with another value does not', [gpu], [{ key: 'dedicated', value: 'cpu' }], unresolvable('node(s) had untolerated taint {dedicated: gpu}')],
    ['Exists on the key tolerates any value', [gpu], [{ key: 'dedicated', operator: 'Exists' }], undefined],
    ['Exists with an empty key tolerates everything', [gpu, controlPlane, notReady], [{ operator: 'Exists' }], undefined],
    ['a toleration for another effect does not', [gpu], [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }], unresolvable('node(s) had untolerated taint {dedicated: gpu}')],
    ['Equal with no value tolerates a taint without value', [controlPlane], [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Equal' }], undefined],
    ['the first untolerated taint is named', [gpu, controlPlane], [{ key: 'dedicated', operator: 'Exists' }], unresolvable('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }')],
    ['several untolerated: the first in node order', [notReady, gpu], undefined, unresolvable('node(s) had untolerated taint {node.kubernetes.io/not-ready: }')],
    ['PreferNoSchedule before an untolerated NoSchedule is passed over', [prefer, gpu], undefined, unresolvable('node(s) had untolerated taint {dedicated: gpu}')],
  ])('%s', async (_name, taints, tolerations, expected) => {
    const snapshot = snapshotOf([makeNode({ name: 'n', taints })]);
    expect(await h.filterAll(makePod({ name: 'p', tolerations }), snapshot)).toEqual({ n: expected });
  });

  test('each node is judged by its own taints', async () => {
    const snapshot = snapshotOf([makeNode({ name: 'plain' }), makeNode({ name: 'tainted', taints: [gpu] })]);
    expect(await h.filterAll(makePod({ name: 'p' }), snapshot)).toEqual({ plain: undefined, tainted: unresolvable('node(s) had untolerated taint {dedicated: gpu}') });
  });
});

describe('TaintToleration Score', () => {
  const a: Taint = { key: 'a', value: '1', effect: 'PreferNoSchedule' };
  const b: Taint = { key: 'b', value: '2', effect: 'PreferNoSchedule' };
  const c: Taint = { key: 'c', effect: 'PreferNoSchedule' };
  const hard: Taint = { key: 'hard', effect: 'NoSchedule' };
  // Intolerable PreferNoSchedule taints counted per node, then reversed: 100 - 100 * count / max (integer division).
  const snapshot = snapshotOf([
    makeNode({ name: 'none' }),
    makeNode({ name: 'one', taints: [a] }),
    makeNode({ name: 'two', taints: [a, b, hard] }),
    makeNode({ name: 'three', taints: [a, b, c] }),
  ]);

  test.each<[string, Toleration[] | undefined, Record<string, number>]>([
    ['no tolerations: counts 0, 1, 2, 3', undefined, { none: 100, one: 67, two: 34, three: 0 }], // 100 - 33, 100 - 66
    ['tolerating b for PreferNoSchedule: 0, 1, 1, 2', [{ key: 'b', operator: 'Exists', effect: 'PreferNoSchedule' }], { none: 100, one: 50, two: 50, three: 0 }],
    ['a toleration without effect counts for PreferNoSchedule', [{ key: 'b', operator: 'Equal', value: '2' }], { none: 100, one: 50, two: 50, three: 0 }],
    ['a NoSchedule toleration does not help the score', [{ key: 'b', operator: 'Exists', effect: 'NoSchedule' }], { none: 100, one: 67, two: 34, three: 0 }],
    ['a value mismatch does not tolerate', [{ key: 'b', operator: 'Equal', value: '3' }], { none: 100, one: 67, two: 34, three: 0 }],
    ['tolerating everything: all counts 0, all 100', [{ operator: 'Exists' }], { none: 100, one: 100, two: 100, three: 100 }],
    ['tolerating a and b: 0, 0, 0, 1', [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }], { none: 100, one: 100, two: 100, three: 0 }],
  ])('%s', async (_name, tolerations, expected) => {
    const h = new PluginHarness(TaintToleration);
    expect(await h.scoreAll(makePod({ name: 'p', tolerations }), snapshot)).toEqual(expected);
  });
});
