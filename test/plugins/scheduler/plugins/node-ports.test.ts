import type { Container } from 'kubernetes-types/core/v1';
import { ERR_REASON_NODE_PORTS, NodePorts } from '../../../../plugins/scheduler/plugins/node-ports';
import { makeNode, makePod, PluginHarness, snapshotOf } from '../support';

type Port = number | { port: number; protocol?: string; hostIP?: string };

describe('NodePorts', () => {
  const h = new PluginHarness(NodePorts);
  const rejected = { code: 'Unschedulable', reasons: [ERR_REASON_NODE_PORTS] };

  test("the reason is kube-scheduler's", () => {
    expect(ERR_REASON_NODE_PORTS).toBe("node(s) didn't have free ports for the requested pod ports");
  });

  /** One node whose running pod holds `used`. */
  function nodeUsing(used: Port[]) {
    return snapshotOf([makeNode({ name: 'n' })], [makePod({ name: 'running', nodeName: 'n', hostPorts: used })]);
  }

  test.each<[string, Port[], Port[], unknown]>([
    ['same port and protocol on all addresses', [8080], [8080], rejected],
    ['another port', [8080], [8081], undefined],
    ['same port, another protocol', [{ port: 53, protocol: 'UDP' }], [{ port: 53, protocol: 'TCP' }], undefined],
    ['same port and protocol UDP', [{ port: 53, protocol: 'UDP' }], [{ port: 53, protocol: 'UDP' }], rejected],
    ['wanted on one IP, used on 0.0.0.0', [{ port: 80, hostIP: '127.0.0.1' }], [80], rejected],
    ['wanted on 0.0.0.0, used on one IP', [80], [{ port: 80, hostIP: '10.0.0.1' }], rejected],
    ['wanted and used on the same IP', [{ port: 80, hostIP: '10.0.0.1' }], [{ port: 80, hostIP: '10.0.0.1' }], rejected],
    ['wanted and used on different IPs', [{ port: 80, hostIP: '127.0.0.1' }], [{ port: 80, hostIP: '10.0.0.1' }], undefined],
    ['one of several wanted ports taken', [80, 443], [443], rejected],
  ])('%s', async (_name, wanted, used, expected) => {
    const result = await h.filterAll(makePod({ name: 'p', hostPorts: wanted }), nodeUsing(used));
    expect(result).toEqual({ n: expected });
  });

  test('empty hostIP and protocol mean 0.0.0.0 and TCP', async () => {
    const pod = makePod({ name: 'p', containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 80 }] }] });
    expect(await h.filterAll(pod, nodeUsing([{ port: 80, protocol: 'TCP', hostIP: '10.0.0.1' }]))).toEqual({ n: rejected });
    expect(await h.filterAll(pod, nodeUsing([{ port: 80, protocol: 'UDP' }]))).toEqual({ n: undefined });
  });

  const sidecar = (port: number): Container => ({ name: 'sidecar', image: 'x', restartPolicy: 'Always', ports: [{ containerPort: port, hostPort: port }] });
  const init = (port: number): Container => ({ name: 'init', image: 'x', ports: [{ containerPort: port, hostPort: port }] });
  const app: Container = { name: 'app', image: 'x' };

  test.each<[string, Container[], Container[], string]>([
    ['no ports at all', [], [app], 'Skip'],
    ['container ports without host ports', [], [{ name: 'app', image: 'x', ports: [{ containerPort: 8080 }] }], 'Skip'],
    ['host ports of an init container that runs to completion only', [init(9000)], [app], 'Skip'],
    ['host ports of a sidecar (restartPolicy Always)', [sidecar(9000)], [app], 'Success'],
    ['host ports of an app container', [], [{ name: 'app', image: 'x', ports: [{ containerPort: 1, hostPort: 1 }] }], 'Success'],
  ])('PreFilter: %s', async (_name, initContainers, containers, code) => {
    const pod = makePod({ name: 'p', initContainers, containers });
    const snapshot = nodeUsing([]);
    const status = await h.plugin.preFilter!(h.state(pod, snapshot), pod);
    expect(status === undefined ? 'Success' : (status as { code: string }).code).toBe(code);
  });

  test("a sidecar's host port conflicts; an init container's does not", async () => {
    const snapshot = nodeUsing([9000]);
    expect(await h.filterAll(makePod({ name: 'p', initContainers: [sidecar(9000)], containers: [app] }), snapshot)).toEqual({ n: rejected });
    expect(await h.filterAll(makePod({ name: 'p', initContainers: [init(9000)], containers: [app] }), snapshot)).toEqual({ n: undefined });
  });

  test('a node without used ports fits; so do several nodes independently', async () => {
    const snapshot = snapshotOf([makeNode({ name: 'a' }), makeNode({ name: 'b' })], [makePod({ name: 'r', nodeName: 'b', hostPorts: [80] })]);
    expect(await h.filterAll(makePod({ name: 'p', hostPorts: [80] }), snapshot)).toEqual({ a: undefined, b: rejected });
  });
});
