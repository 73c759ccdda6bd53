/**
 * The node-agent plugin in a real kernel (in-process API server) with a
 * FakeContainerRuntime test double registered as a runtime: options are
 * validated first; a node naming a runtime nobody registered fails the boot;
 * a booted node serves its pods and streams; shutdown leaves containers
 * running and a restarted cluster adopts them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { definePlugin, validatePluginOptions, type Plugin } from '../../../kernel/plugin';
import * as tokens from '../../../kernel/tokens';
import type { KubeObject } from '../../../kernel/api/types';
import { builtinPlugins } from '../../../plugins';
import plugin from '../../../plugins/node-agent';
import { startCluster } from '../../support/cluster';
import { FakeClock, FakeContainerRuntime, PODS } from './support';

const NODES = { group: '', version: 'v1', resource: 'nodes' };

test.each([
  [{ leaseRenewIntervalSeconds: 50 }, 'leaseRenewIntervalSeconds', 'must be shorter than leaseDurationSeconds (40), or the lease expires between renewals'],
  [{ crashLoopBackoff: { initialSeconds: 20, maxSeconds: 10 } }, 'crashLoopBackoff.initialSeconds', 'must not exceed maxSeconds (10)'],
  [{ probeTimeScale: 2 }, 'probeTimeScale', 'must be <= 1'],
  [{ relistSecond: 1 }, 'relistSecond', 'unknown field'],
  [{ allowedHostPaths: ['relative'] }, 'allowedHostPaths.0', 'must be an absolute path'],
])('options %j are refused at %s', (options, where, message) => {
  const problems = validatePluginOptions(plugin as Plugin<Record<string, unknown>>, options as Record<string, unknown>);
  expect(problems.map((p) => ({ path: p.path.join('.'), message: p.message }))).toEqual([{ path: where, message: expect.stringContaining(message) }]);
});

test('node-agent is a built-in plugin', async () => {
  expect(await builtinPlugins['node-agent']()).toBe(plugin);
});

test('a node whose runtime no plugin registered fails the boot, naming the node and the plugin to add', async () => {
  const err = await startCluster({ config: { plugins: ['node-agent'], nodes: [{ name: 'n1', runtime: 'docker' }] } }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err?.message).toBe('plugin/node-agent: nodes[0].runtime: no container runtime "docker" is registered (add the runtime-docker plugin to plugins)');
});

describe('in a cluster', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'skiff-node-agent-plugin-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const fakeRuntimePlugin = (runtime: FakeContainerRuntime) =>
    definePlugin({
      name: 'runtime-fake',
      apply(kernel) {
        kernel.container.resolve(tokens.ContainerRuntimes).register('fake', async () => runtime);
      },
    }) as Plugin<never>;

  async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await check().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test('boots an agent per node, serves its pods and streams; shutdown leaves the containers and a new cluster adopts them', async () => {
    const runtime = new FakeContainerRuntime(new FakeClock(Date.now()));
    const config = { plugins: [{ name: 'node-agent', options: { relistSeconds: 0.05 } }], nodes: [{ name: 'n1', runtime: 'fake', labels: { zone: 'a' } }] };
    const cluster = await startCluster({ dataDir, config, plugins: [{ plugin: fakeRuntimePlugin(runtime) }] });
    try {
      const node = await cluster.kernel.client.get<Node & KubeObject>(NODES, 'n1');
      expect(node.metadata!.labels).toMatchObject({ zone: 'a', 'kubernetes.io/hostname': 'n1' });
      expect(cluster.kernel.nodeStreams.get('n1')).toBeDefined();
      await cluster.kernel.client.create(PODS, { metadata: { name: 'web', namespace: 'default' }, spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox' }] } } as KubeObject, { namespace: 'default' });
      const running = await until('the pod to run', async () => {
        const pod = await cluster.kernel.client.get<Pod & KubeObject>(PODS, 'web', { namespace: 'default' });
        return pod.status?.containerStatuses?.[0]?.state?.running ? pod : undefined;
      });
      expect(running.status).toMatchObject({ phase: 'Running', qosClass: 'BestEffort', hostIP: expect.any(String) });
      expect(running.spec!.containers[0].imagePullPolicy).toBe('Always');
    } finally {
      await cluster.stop();
    }
    expect(cluster.kernel.nodeStreams.get('n1')).toBeUndefined();
    expect(runtime.newest('web', 'app')!.state).toBe('running');

    runtime.calls.length = 0;
    const again = await startCluster({ dataDir, config, plugins: [{ plugin: fakeRuntimePlugin(runtime) }] });
    try {
      await until('a sync of the adopted pod', async () => ((await again.kernel.client.get<Pod & KubeObject>(PODS, 'web', { namespace: 'default' })).status?.phase === 'Running' ? true : undefined));
      // Give the new agent a few relists to change something if it were going to.
      await new Promise((r) => setTimeout(r, 300));
      expect(runtime.calls.filter((c) => /^(create|start|stop|remove|run)/.test(c))).toEqual([]);
    } finally {
      await again.stop();
    }
  });
});
