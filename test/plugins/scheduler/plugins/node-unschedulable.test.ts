import type { Toleration } from 'kubernetes-types/core/v1';
import { ERR_REASON_UNSCHEDULABLE, NodeUnschedulable } from '../../../../plugins/scheduler/plugins/node-unschedulable';
import { makeNode, makePod, PluginHarness, snapshotOf } from '../support';

describe('NodeUnschedulable', () => {
  const h = new PluginHarness(NodeUnschedulable);
  const snapshot = snapshotOf([makeNode({ name: 'open' }), makeNode({ name: 'cordoned', unschedulable: true })]);
  const rejected = { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) were unschedulable'] };

  test("the reason is kube-scheduler's", () => {
    expect(ERR_REASON_UNSCHEDULABLE).toBe('node(s) were unschedulable');
  });

  test.each<[string, Toleration[] | undefined, unknown]>([
    ['no tolerations: the cordoned node is rejected', undefined, rejected],
    ['tolerates the unschedulable taint (Exists, NoSchedule)', [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }], undefined],
    ['tolerates it with any effect', [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }], undefined],
    ['tolerates it by Equal with the empty value', [{ key: 'node.kubernetes.io/unschedulable', operator: 'Equal', value: '' }], undefined],
    ['tolerates every taint (empty key, Exists)', [{ operator: 'Exists' }], undefined],
    ['a NoExecute toleration does not tolerate NoSchedule', [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }], rejected],
    ['Equal with another value does not tolerate it', [{ key: 'node.kubernetes.io/unschedulable', operator: 'Equal', value: 'true' }], rejected],
    ['another key does not tolerate it', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }], rejected],
  ])('%s', async (_name, tolerations, expected) => {
    const result = await h.filterAll(makePod({ name: 'p', tolerations }), snapshot);
    expect(result).toEqual({ open: undefined, cordoned: expected });
  });
});
