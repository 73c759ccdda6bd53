/**
 * The relister (PLEG): with a runtime that reports its changes it relists on
 * each burst of reports and otherwise only every EVENTED_RELIST_MS; with one
 * that does not, every configured period.
 */
import 'reflect-metadata';
import { silentLogger } from '../../../kernel/log';
import { RuntimeLabels, type ContainerRuntime } from '../../../kernel/runtime/types';
import { EVENTED_RELIST_MS, Relister } from '../../../plugins/node-agent/pleg';
import { containerConfig, openRuntime, sandboxConfig, type FakeClock } from '../runtime-simulated/support';

const node = 'sim-1';

function labelled(name: string) {
  const sandbox = sandboxConfig(name);
  const container = containerConfig({
    name: 'app',
    labels: { [RuntimeLabels.node]: node, [RuntimeLabels.podUid]: sandbox.podUid, [RuntimeLabels.containerName]: 'app', [RuntimeLabels.type]: 'container' },
  });
  return { sandbox, container };
}

async function setUp(runtime: ContainerRuntime, clock: FakeClock) {
  const pulled = runtime.pullImage('busybox:1.36');
  await clock.advance(1000);
  await pulled;
  const changes: string[][] = [];
  const relister = new Relister({ runtime, nodeName: node, clock, logger: silentLogger, periodMs: 1000, onChange: (uids) => changes.push([...uids].sort()) });
  await relister.relist();
  relister.start();
  return { relister, changes };
}

test('a reporting runtime is relisted when it reports, not every period', async () => {
  const { runtime, clock } = await openRuntime();
  expect(typeof runtime.watchEvents).toBe('function');
  const { relister, changes } = await setUp(runtime, clock);
  expect(relister.periodMs).toBe(EVENTED_RELIST_MS);

  const { sandbox, container } = labelled('web');
  const sandboxId = await runtime.runPodSandbox(sandbox);
  const id = await runtime.createContainer(sandboxId, container);
  // One burst of reports (sandbox, container): one relist, on the next turn, no period passing.
  await clock.advance(0);
  expect(changes).toEqual([['uid-web']]);

  // A container exiting by itself is reported too.
  const started = runtime.startContainer(id);
  await clock.advance(5000);
  await started;
  expect((await runtime.containerStatus(id))?.state).toBe('running');
  changes.length = 0;
  const stopped = runtime.stopContainer(id, 1);
  await clock.advance(1000);
  await stopped;
  expect(changes.flat()).toContain('uid-web');

  // Nothing changes: no relist for a whole minute (a periodic one would come every second).
  changes.length = 0;
  const calls = jest.spyOn(runtime, 'listContainers');
  await clock.advance(60_000);
  expect(calls).not.toHaveBeenCalled();
  expect(changes).toEqual([]);
  // The safety net still comes.
  await clock.advance(EVENTED_RELIST_MS);
  expect(calls).toHaveBeenCalled();

  await relister.stop();
  await runtime.close();
});

test('after stop, reports no longer relist', async () => {
  const { runtime, clock } = await openRuntime();
  const { relister, changes } = await setUp(runtime, clock);
  await relister.stop();
  const { sandbox } = labelled('late');
  await runtime.runPodSandbox(sandbox);
  await clock.advance(EVENTED_RELIST_MS * 2);
  expect(changes).toEqual([]);
  expect(clock.pendingTimers).toBe(0);
  await runtime.close();
});

test('a runtime without reports is relisted every period', async () => {
  const { runtime, clock } = await openRuntime();
  // The same runtime with its reports hidden, as Docker's is.
  const quiet = new Proxy(runtime, { get: (target, key) => (key === 'watchEvents' ? undefined : Reflect.get(target, key)) }) as ContainerRuntime;
  const { relister, changes } = await setUp(quiet, clock);
  expect(relister.periodMs).toBe(1000);
  const { sandbox } = labelled('web');
  await runtime.runPodSandbox(sandbox);
  await clock.advance(0);
  expect(changes).toEqual([]);
  await clock.advance(1000);
  expect(changes).toEqual([['uid-web']]);
  await relister.stop();
  await runtime.close();
});
