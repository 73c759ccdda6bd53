/**
 * Reserve/Unreserve, Permit (allow, reject, wait with timeout, allowed later
 * through waitingPods), PreBind, Bind and PostBind, through a real cluster
 * with a plugin that records what the scheduler called.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import type { Plugin } from '../../../kernel/plugin';
import { tapSchedulingPlugin, waitingPods } from '../../../kernel/scheduling/plugins';
import { SchedulingStatus, type PermitResult } from '../../../kernel/scheduling/types';
import type { KubeObject } from '../../../kernel/api/types';
import { eventually } from '../../support/http';
import { startCluster, type TestCluster } from '../../support/cluster';
import { makeNode, makePod } from './support';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };

const calls: string[] = [];
/** What Permit answers, by pod name. */
const permits: Record<string, PermitResult> = {};
let failPreBind = '';
let cluster: TestCluster;

const gate: Plugin<Record<string, unknown>> = {
  name: 'gate-plugin',
  apply(kernel) {
    tapSchedulingPlugin(kernel.hooks, {
      name: 'Gate',
      reserve: (_s, pod: Pod, node: string) => void calls.push(`reserve ${pod.metadata!.name} ${node}`),
      unreserve: (_s, pod: Pod) => void calls.push(`unreserve ${pod.metadata!.name}`),
      permit: (_s, pod: Pod) => {
        calls.push(`permit ${pod.metadata!.name}`);
        return permits[pod.metadata!.name!];
      },
      preBind: (_s, pod: Pod) => {
        calls.push(`preBind ${pod.metadata!.name}`);
        return pod.metadata!.name === failPreBind ? SchedulingStatus.unschedulable('volume not ready') : undefined;
      },
      postBind: (_s, pod: Pod, node: string) => void calls.push(`postBind ${pod.metadata!.name} ${node}`),
    });
  },
};

beforeAll(async () => {
  cluster = await startCluster({
    config: {
      plugins: [
        {
          name: 'scheduler',
          options: {
            podInitialBackoffSeconds: 1,
            podMaxBackoffSeconds: 1,
            profiles: [{ plugins: { reserve: { enabled: [{ name: 'Gate' }] }, permit: { enabled: [{ name: 'Gate' }] }, preBind: { enabled: [{ name: 'Gate' }] }, postBind: { enabled: [{ name: 'Gate' }] } } }],
          },
        },
      ],
    },
    plugins: [{ plugin: gate as Plugin<never> }],
  });
  const node = structuredClone(makeNode({ name: 'n1' })) as unknown as KubeObject;
  delete (node.metadata as { uid?: string }).uid;
  await cluster.kernel.client.create(NODES, node);
});

afterAll(() => cluster?.destroy());

async function create(name: string): Promise<void> {
  const pod = structuredClone(makePod({ name })) as unknown as KubeObject & { status?: unknown };
  delete (pod.metadata as { uid?: string }).uid;
  delete pod.status;
  await cluster.kernel.client.create(PODS, pod, { namespace: 'default' });
}

const nodeOf = async (name: string) => ((await cluster.kernel.client.get(PODS, name, { namespace: 'default' })) as unknown as Pod).spec?.nodeName;
const of = (name: string) => calls.filter((c) => c.split(' ')[1] === name);

test('reserve, permit, preBind, bind, postBind in order', async () => {
  await create('plain');
  await eventually(async () => (of('plain').some((c) => c.startsWith('postBind')) ? true : undefined));
  expect(of('plain')).toEqual(['reserve plain n1', 'permit plain', 'preBind plain', 'postBind plain n1']);
  expect(await nodeOf('plain')).toBe('n1');
});

test('a Permit rejection unreserves and reports it', async () => {
  permits.denied = { status: SchedulingStatus.unschedulable('not today') };
  await create('denied');
  const event = await eventually(async () => {
    const list = (await cluster.kernel.client.list(EVENTS, { namespace: 'default', fieldSelector: 'involvedObject.name=denied,reason=FailedScheduling' })) as unknown as { items: Array<{ message: string }> };
    return list.items[0];
  });
  expect(event.message).toBe('not today');
  expect(of('denied').slice(0, 3)).toEqual(['reserve denied n1', 'permit denied', 'unreserve denied']);
  expect(await nodeOf('denied')).toBeUndefined();
  delete permits.denied;
});

test('Wait holds the binding until the plugin allows the pod through waitingPods', async () => {
  permits.held = { status: SchedulingStatus.wait(), timeoutMs: 60_000 };
  await create('held');
  const waiting = await eventually(async () => [...waitingPods(cluster.kernel.hooks).values()].find((w) => w.pod.metadata?.name === 'held'));
  expect(waiting.pendingPlugins).toEqual(['Gate']);
  await new Promise((r) => setTimeout(r, 300));
  expect(await nodeOf('held')).toBeUndefined();
  expect(of('held')).not.toContain('preBind held');
  waiting.allow('Gate');
  await eventually(async () => ((await nodeOf('held')) === 'n1' ? true : undefined));
  expect(of('held')).toEqual(['reserve held n1', 'permit held', 'preBind held', 'postBind held n1']);
  expect(waitingPods(cluster.kernel.hooks).size).toBe(0);
  delete permits.held;
});

test('a Wait that times out rejects the pod; a PreBind failure unreserves and retries', async () => {
  permits.slow = { status: SchedulingStatus.wait(), timeoutMs: 200 };
  await create('slow');
  await eventually(async () => (of('slow').includes('unreserve slow') ? true : undefined));
  const events = (await cluster.kernel.client.list(EVENTS, { namespace: 'default', fieldSelector: 'involvedObject.name=slow,reason=FailedScheduling' })) as unknown as { items: Array<{ message: string }> };
  expect(events.items[0]?.message).toBe('rejected due to timeout after waiting 0.2s at plugin Gate');
  delete permits.slow;

  failPreBind = 'vol';
  await create('vol');
  await eventually(async () => (of('vol').includes('unreserve vol') ? true : undefined));
  expect(await nodeOf('vol')).toBeUndefined();
  failPreBind = '';
  // Retried after its backoff, and bound.
  await eventually(async () => ((await nodeOf('vol')) === 'n1' ? true : undefined), 10_000);
});
