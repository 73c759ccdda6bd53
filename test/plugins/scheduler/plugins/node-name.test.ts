import { NodeName, ERR_REASON_NODE_NAME } from '../../../../plugins/scheduler/plugins/node-name';
import { makeNode, makePod, PluginHarness, snapshotOf } from '../support';

describe('NodeName', () => {
  const h = new PluginHarness(NodeName);
  const snapshot = snapshotOf([makeNode({ name: 'n1' }), makeNode({ name: 'n2' }), makeNode({ name: 'n1-suffix' })]);
  const rejected = { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_NODE_NAME] };

  test("the reason is kube-scheduler's", () => {
    expect(ERR_REASON_NODE_NAME).toBe("node(s) didn't match the requested node name");
  });

  test.each([
    ['no spec.nodeName fits every node', undefined, { n1: undefined, n2: undefined, 'n1-suffix': undefined }],
    ['spec.nodeName fits only that node', 'n1', { n1: undefined, n2: rejected, 'n1-suffix': rejected }],
    ['an unknown node name fits none', 'n9', { n1: rejected, n2: rejected, 'n1-suffix': rejected }],
  ])('%s', async (_name, nodeName, expected) => {
    const pod = makePod({ name: 'p' });
    if (nodeName) pod.spec!.nodeName = nodeName;
    const result = await h.filterAll(pod, snapshot);
    expect(result).toEqual(expected);
  });
});
