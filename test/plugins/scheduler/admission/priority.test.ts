/**
 * The Priority admission plugin on a real skiff API server: a plugin taps it
 * as the scheduler does, and pods and PriorityClasses are created over
 * HTTPS, so the refusals are checked as a client receives them (403 Status
 * bodies with kube-apiserver's wording).
 */
import type { Pod } from 'kubernetes-types/core/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import type { KubeObject } from '../../../../kernel/api/types';
import { definePlugin, type Plugin } from '../../../../kernel/plugin';
import { tapPriorityAdmission, type PriorityAdmission } from '../../../../plugins/scheduler/admission/priority';
import { startCluster, type TestCluster } from '../../../support/cluster';
import { ApiHttp, eventually, type HttpResponse } from '../../../support/http';

type PodObject = Pod & KubeObject;
const PODS = { group: '', version: 'v1', resource: 'pods' };
const CLASSES = { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses' };
const PODS_PATH = '/api/v1/namespaces/default/pods';
const CLASSES_PATH = '/apis/scheduling.k8s.io/v1/priorityclasses';

let cluster: TestCluster;
let api: ApiHttp;
let admission: PriorityAdmission | undefined;

beforeAll(async () => {
  const plugin = definePlugin({
    name: 'priority-under-test',
    apply(kernel) {
      admission = tapPriorityAdmission(kernel.hooks, kernel.client, { tapName: kernel.name });
    },
  });
  cluster = await startCluster({ plugins: [{ plugin: plugin as Plugin<never> }] });
  api = new ApiHttp(cluster);
  await admission!.waitForSync();
});

afterAll(async () => {
  api?.close();
  await cluster?.destroy();
});

let seq = 0;
function pod(spec: Partial<NonNullable<Pod['spec']>> = {}, name = `pod-${++seq}`): PodObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox:1.36' }], ...spec } };
}

function priorityClass(name: string, value: number, extra: Partial<PriorityClass> = {}): KubeObject {
  return { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra };
}

function created<T = KubeObject>(res: HttpResponse): T {
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}: ${res.text}`);
  return res.json();
}

function forbidden(res: HttpResponse, message: string, details: Record<string, unknown>): void {
  if (res.status !== 403) throw new Error(`expected 403, got ${res.status}: ${res.text}`);
  expect(res.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403, message, details });
}

describe('pods get the priority of their class', () => {
  test('no class and no globalDefault class: priority 0, PreemptLowerPriority, no class name', async () => {
    const p = created<Pod>(await api.post(PODS_PATH, pod()));
    expect(p.spec?.priority).toBe(0);
    expect(p.spec?.preemptionPolicy).toBe('PreemptLowerPriority');
    expect(p.spec?.priorityClassName).toBeUndefined();
  });

  test("a class created just before the pod resolves, with the class's preemption policy", async () => {
    created(await api.post(CLASSES_PATH, priorityClass('high', 1000)));
    const p = created<Pod>(await api.post(PODS_PATH, pod({ priorityClassName: 'high' })));
    expect(p.spec).toMatchObject({ priorityClassName: 'high', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });

    created(await api.post(CLASSES_PATH, priorityClass('batch', 10, { preemptionPolicy: 'Never' })));
    const b = created<Pod>(await api.post(PODS_PATH, pod({ priorityClassName: 'batch' })));
    expect(b.spec).toMatchObject({ priorityClassName: 'batch', priority: 10, preemptionPolicy: 'Never' });
  });

  test('a pod may state the priority and policy its class gives', async () => {
    const p = created<Pod>(await api.post(PODS_PATH, pod({ priorityClassName: 'high', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' })));
    expect(p.spec?.priority).toBe(1000);
  });

  test('the system classes resolve to their fixed values although skiff has not created them', async () => {
    // kube-apiserver creates these two at boot; skiff's API server does not (yet).
    expect((await api.get(`${CLASSES_PATH}/system-node-critical`)).status).toBe(404);
    expect((await api.get(`${CLASSES_PATH}/system-cluster-critical`)).status).toBe(404);
    const node = created<Pod>(await api.post(PODS_PATH, pod({ priorityClassName: 'system-node-critical' })));
    expect(node.spec).toMatchObject({ priority: 2000001000, preemptionPolicy: 'PreemptLowerPriority' });
    const cluster = created<Pod>(await api.post(PODS_PATH, pod({ priorityClassName: 'system-cluster-critical' })));
    expect(cluster.spec).toMatchObject({ priority: 2000000000, preemptionPolicy: 'PreemptLowerPriority' });
  });

  test('an update that omits priority and preemption policy keeps them', async () => {
    const p = created<PodObject>(await api.post(PODS_PATH, pod({ priorityClassName: 'batch' }, 'kept')));
    const { priority: _priority, preemptionPolicy: _policy, ...spec } = p.spec!;
    void _priority;
    void _policy;
    const res = await api.put(`${PODS_PATH}/kept`, { ...p, metadata: { ...p.metadata, labels: { touched: 'yes' } }, spec });
    if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${res.text}`);
    expect(res.json().spec).toMatchObject({ priority: 10, preemptionPolicy: 'Never' });
    expect(res.json().metadata.labels).toEqual({ touched: 'yes' });
  });

  test('dry-run creates are resolved too', async () => {
    const p = await cluster.kernel.client.create<PodObject>(PODS, pod({ priorityClassName: 'high' }), { namespace: 'default', dryRun: true });
    expect(p.spec?.priority).toBe(1000);
  });
});

describe('pods that are refused, as kube-apiserver words it', () => {
  test('an unknown class', async () => {
    forbidden(await api.post(PODS_PATH, pod({ priorityClassName: 'foo' }, 'x')), 'pods "x" is forbidden: no PriorityClass with name foo was found', { name: 'x', kind: 'pods' });
  });

  test('a priority other than the class computes', async () => {
    forbidden(
      await api.post(PODS_PATH, pod({ priorityClassName: 'high', priority: 5 }, 'y')),
      'pods "y" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
      { name: 'y', kind: 'pods' },
    );
    forbidden(
      await api.post(PODS_PATH, pod({ priority: 7 }, 'no-class')),
      'pods "no-class" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name',
      { name: 'no-class', kind: 'pods' },
    );
  });

  test('a preemption policy other than the class gives (no class: PreemptLowerPriority)', async () => {
    forbidden(
      await api.post(PODS_PATH, pod({ priorityClassName: 'batch', preemptionPolicy: 'PreemptLowerPriority' }, 'z')),
      'pods "z" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name',
      { name: 'z', kind: 'pods' },
    );
    forbidden(
      await api.post(PODS_PATH, pod({ preemptionPolicy: 'Never' }, 'never')),
      'pods "never" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
      { name: 'never', kind: 'pods' },
    );
  });

  test('through the in-process client the refusal is the same ApiError', async () => {
    const err = await cluster.kernel.client.create(PODS, pod({ priorityClassName: 'foo' }, 'in-process'), { namespace: 'default' }).then(
      () => undefined,
      (e: unknown) => e as { code: number; reason: string; message: string },
    );
    expect(err).toMatchObject({ code: 403, reason: 'Forbidden', message: 'pods "in-process" is forbidden: no PriorityClass with name foo was found' });
  });
});

// Last: a globalDefault class changes what every later pod without a class gets.
describe('the globalDefault class', () => {
  test('pods without a class get it, name and all', async () => {
    created(await api.post(CLASSES_PATH, priorityClass('everyday', 5, { globalDefault: true, preemptionPolicy: 'Never' })));
    // The default is read from the informer, as Kubernetes reads it from a lister: it follows within a watch event.
    await eventually(async () => ((await cluster.kernel.client.create<PodObject>(PODS, pod(), { namespace: 'default', dryRun: true })).spec?.priority === 5 ? true : undefined), 5000, 'the default class');
    const p = created<Pod>(await api.post(PODS_PATH, pod()));
    expect(p.spec).toMatchObject({ priorityClassName: 'everyday', priority: 5, preemptionPolicy: 'Never' });
    // A named class still wins.
    expect(created<Pod>(await api.post(PODS_PATH, pod({ priorityClassName: 'high' }))).spec?.priority).toBe(1000);
  });

  test('at most one class is globalDefault', async () => {
    forbidden(
      await api.post(CLASSES_PATH, priorityClass('another', 7, { globalDefault: true })),
      'priorityclasses.scheduling.k8s.io "another" is forbidden: PriorityClass everyday is already marked as default. Only one default can exist',
      { name: 'another', group: 'scheduling.k8s.io', kind: 'priorityclasses' },
    );
    // Marking another existing class default is refused too; the default itself may be updated.
    const high = (await api.get(`${CLASSES_PATH}/high`)).json();
    forbidden(
      await api.put(`${CLASSES_PATH}/high`, { ...high, globalDefault: true }),
      'priorityclasses.scheduling.k8s.io "high" is forbidden: PriorityClass everyday is already marked as default. Only one default can exist',
      { name: 'high', group: 'scheduling.k8s.io', kind: 'priorityclasses' },
    );
    const everyday = (await api.get(`${CLASSES_PATH}/everyday`)).json();
    const res = await api.put(`${CLASSES_PATH}/everyday`, { ...everyday, description: 'what pods get by default' });
    expect(res.status).toBe(200);
  });

  test('once the default is gone, pods get 0 again', async () => {
    expect((await api.delete(`${CLASSES_PATH}/everyday`)).status).toBe(200);
    await eventually(async () => ((await cluster.kernel.client.create<PodObject>(PODS, pod(), { namespace: 'default', dryRun: true })).spec?.priority === 0 ? true : undefined), 5000, 'no default class');
    const classes = await cluster.kernel.client.list(CLASSES);
    expect(classes.items.map((c) => c.metadata?.name).sort()).toEqual(['batch', 'high']);
  });
});
