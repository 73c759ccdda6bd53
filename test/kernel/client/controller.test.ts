import type { KubeObject } from '../../../kernel/api/types';
import { Controller } from '../../../kernel/client/controller';
import type { ControllerOptions } from '../../../kernel/client/controller';
import { SharedInformerFactory } from '../../../kernel/client/informer';
import type { SharedInformer } from '../../../kernel/client/informer';
import type { ResourceType } from '../../../kernel/client/types';
import { WorkQueue } from '../../../kernel/client/workqueue';
import type { Logger } from '../../../kernel/log';
import { silentLogger } from '../../../kernel/log';
import { FakeApiClient } from './fake-api';
import { FakeClock, settle } from './fake-clock';

const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };
const REPLICASETS: ResourceType = { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true };

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger: Logger & { lines: string[] } = {
    lines,
    debug: () => undefined,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    child: () => logger,
  };
  return logger;
}

async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (cond()) return;
    await settle();
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A controller whose sync is scripted by the test: `behaviour(key, attempt)` may throw or return a promise. */
class ScriptedController extends Controller {
  readonly syncs: Array<{ key: string; at: number; ok: boolean }> = [];
  behaviour: (key: string, attempt: number) => void | Promise<void> = () => undefined;

  constructor(
    private readonly clock: FakeClock,
    informers: { rs: SharedInformer; pods?: SharedInformer },
    options: Partial<ControllerOptions> = {},
  ) {
    super({ name: 'scripted', clock, logger: silentLogger, ...options });
    this.enqueueFrom(informers.rs);
    // Pods map to the ReplicaSet named in their ownerReferences.
    if (informers.pods) {
      this.enqueueFrom(informers.pods, (p: KubeObject) =>
        (p.metadata?.ownerReferences ?? []).filter((o) => o.kind === 'ReplicaSet').map((o) => `${p.metadata?.namespace}/${o.name}`),
      );
    }
  }

  protected async sync(key: string): Promise<void> {
    const attempt = this.syncs.filter((s) => s.key === key).length + 1;
    try {
      await this.behaviour(key, attempt);
      this.syncs.push({ key, at: this.clock.now(), ok: true });
    } catch (err) {
      this.syncs.push({ key, at: this.clock.now(), ok: false });
      throw err;
    }
  }

  requeues(key: string): number {
    return this.queue.numRequeues(key);
  }
}

describe('Controller', () => {
  let api: FakeApiClient;
  let clock: FakeClock;
  let factory: SharedInformerFactory;
  let logger: ReturnType<typeof capturingLogger>;
  let stop: AbortController;

  beforeEach(() => {
    api = new FakeApiClient();
    clock = new FakeClock();
    logger = capturingLogger();
    factory = new SharedInformerFactory(api, { clock, logger });
    stop = new AbortController();
  });
  afterEach(async () => {
    stop.abort();
    await factory.stop();
  });

  it('retries a failing sync with per-item exponential backoff, then forgets the key on success', async () => {
    await api.create(REPLICASETS, { metadata: { name: 'web', namespace: 'default' } });
    const controller = new ScriptedController(clock, { rs: factory.informerFor(REPLICASETS) }, { logger });
    controller.behaviour = (_key, attempt) => {
      if (attempt <= 3) throw new Error(`not yet (${attempt})`);
    };
    factory.start();
    const t0 = clock.now();
    const running = controller.run(1, stop.signal);

    await until(() => controller.syncs.length === 1, 'first sync');
    expect(controller.syncs[0]).toEqual({ key: 'default/web', at: t0, ok: false });
    expect(logger.lines).toContain('error sync "default/web" failed, requeued (attempt 1): not yet (1)');

    await clock.advance(4);
    expect(controller.syncs).toHaveLength(1); // 5 ms backoff not over
    await clock.advance(1);
    await until(() => controller.syncs.length === 2, 'second sync');
    await clock.advance(10);
    await until(() => controller.syncs.length === 3, 'third sync');
    await clock.advance(20);
    await until(() => controller.syncs.length === 4, 'fourth sync');

    expect(controller.syncs.map((s) => [s.at - t0, s.ok])).toEqual([
      [0, false],
      [5, false],
      [15, false],
      [35, true],
    ]);
    expect(controller.requeues('default/web')).toBe(0); // forgotten after success
    expect(clock.pendingTimers).toBe(0); // nothing further scheduled

    stop.abort();
    await running;
  });

  it('event handlers only enqueue keys; a burst of events for one object is one sync', async () => {
    const rs = await api.create(REPLICASETS, { metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1 } });
    await api.create(PODS, { metadata: { name: 'web-1', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid! }] } });
    await api.create(PODS, { metadata: { name: 'orphan', namespace: 'default' } });

    const add = jest.spyOn(WorkQueue.prototype, 'add'); // calls through to the real add
    const controller = new ScriptedController(clock, { rs: factory.informerFor(REPLICASETS), pods: factory.informerFor(PODS) });
    factory.start();
    expect(await factory.waitForCacheSync()).toBe(true);
    await until(() => api.activeWatches === 2);

    // Three more changes before any worker runs.
    for (const replicas of [2, 3, 4]) {
      const current = await api.get(REPLICASETS, 'web', { namespace: 'default' });
      await api.update(REPLICASETS, { ...current, spec: { replicas } });
    }
    await api.flush();
    const added = add.mock.calls.map(([item]) => item);
    add.mockRestore();

    expect(added.length).toBeGreaterThanOrEqual(5);
    expect(added.every((k) => typeof k === 'string')).toBe(true);
    expect(new Set(added)).toEqual(new Set(['default/web']));

    const running = controller.run(2, stop.signal);
    await until(() => controller.syncs.length >= 1);
    await settle();
    expect(controller.syncs.map((s) => s.key)).toEqual(['default/web']);
    stop.abort();
    await running;
  });

  it('waits for the caches to sync before starting workers', async () => {
    await api.create(REPLICASETS, { metadata: { name: 'web', namespace: 'default' } });
    api.failNext('list', new Error('apiserver not ready'));
    const controller = new ScriptedController(clock, { rs: factory.informerFor(REPLICASETS) }, { logger });
    factory.start();
    controller.enqueue('default/early'); // queued before sync, must wait
    const running = controller.run(1, stop.signal);
    await settle();
    await settle();
    expect(controller.syncs).toEqual([]);
    await clock.advance(2000); // informer backoff
    await until(() => controller.syncs.length === 2, 'syncs after cache sync');
    expect(controller.syncs.map((s) => s.key).sort()).toEqual(['default/early', 'default/web']);
    stop.abort();
    await running;
  });

  it('run() resolves without syncing when stopped before the caches sync', async () => {
    api.failNext('list', new Error('down'));
    const controller = new ScriptedController(clock, { rs: factory.informerFor(REPLICASETS) });
    factory.start();
    controller.enqueue('default/x');
    const running = controller.run(1, stop.signal);
    stop.abort();
    await running;
    expect(controller.syncs).toEqual([]);
  });

  it('stopping drains: run() resolves only after the sync in hand finishes, and no retry follows', async () => {
    await api.create(REPLICASETS, { metadata: { name: 'web', namespace: 'default' } });
    const controller = new ScriptedController(clock, { rs: factory.informerFor(REPLICASETS) }, { logger });
    let release!: () => void;
    controller.behaviour = () =>
      new Promise<void>((resolve, reject) => {
        release = () => reject(new Error('interrupted'));
        void resolve;
      });
    factory.start();
    const running = controller.run(1, stop.signal);
    await until(() => release !== undefined, 'sync in progress');

    let done = false;
    void running.then(() => (done = true));
    stop.abort();
    await settle();
    expect(done).toBe(false);
    release();
    await running;
    expect(controller.syncs).toEqual([expect.objectContaining({ key: 'default/web', ok: false })]);
    expect(clock.pendingTimers).toBe(0); // the failed key was not scheduled for a retry after shutdown
  });

  it('rejects a second run() and a bad worker count', async () => {
    const controller = new ScriptedController(clock, { rs: factory.informerFor(REPLICASETS) });
    await expect(controller.run(0, stop.signal)).rejects.toThrow('workers must be a positive integer');
    stop.abort();
    await controller.run(1, stop.signal);
    await expect(controller.run(1, stop.signal)).rejects.toThrow('run() called twice');
  });
});
