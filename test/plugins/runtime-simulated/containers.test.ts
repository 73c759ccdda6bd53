/**
 * Container lifecycle: created → running after the start delay → exited as
 * the command or the SIMULATED_* environment says; stop with a grace period
 * (143 from SIGTERM, 137 from SIGKILL at the deadline); OOM; removal.
 */
import type { ContainerRuntime } from '../../../kernel/runtime/types';
import { createContainer, openRuntime, startContainer, type FakeClock } from './support';

let runtime: ContainerRuntime;
let clock: FakeClock;

beforeEach(async () => {
  ({ runtime, clock } = await openRuntime({ startDelayMs: 200 }));
});

afterEach(async () => {
  await runtime.close();
  expect(clock.pendingTimers).toBe(0);
});

test('a container is created, runs after the start delay, and startContainer resolves then', async () => {
  const { id, sandboxId } = await createContainer(runtime, clock, { command: ['sleep', '3600'] });
  const created = await runtime.containerStatus(id);
  expect(created).toMatchObject({ id, sandboxId, name: 'app', state: 'created', image: 'busybox:1.36' });
  expect(created!.imageRef).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(created!.startedAt).toBeUndefined();

  let started = false;
  const start = runtime.startContainer(id).then(() => (started = true));
  await clock.advance(199);
  expect(started).toBe(false);
  expect((await runtime.containerStatus(id))!.state).toBe('created');
  await clock.advance(1);
  await start;
  const running = await runtime.containerStatus(id);
  expect(running).toMatchObject({ state: 'running', startedAt: new Date(clock.now()) });
  expect(running!.finishedAt).toBeUndefined();
});

describe('how a container ends, by its command and environment', () => {
  const cases: Array<{ title: string; command?: string[]; args?: string[]; envs?: Record<string, string>; after: number; exit?: { code: number; reason: string } }> = [
    { title: '["true"] exits 0 at once', command: ['true'], after: 0, exit: { code: 0, reason: 'Completed' } },
    { title: '["false"] exits 1', command: ['false'], after: 0, exit: { code: 1, reason: 'Error' } },
    { title: 'sh -c "exit 3" exits 3 at once', command: ['sh', '-c', 'exit 3'], after: 0, exit: { code: 3, reason: 'Error' } },
    { title: '/bin/sh -c with args after the script', command: ['/bin/sh', '-c'], args: ['exit 7', 'argv0'], after: 0, exit: { code: 7, reason: 'Error' } },
    { title: 'sleep 3600 runs an hour, then exits 0', command: ['sleep', '3600'], after: 3_600_000, exit: { code: 0, reason: 'Completed' } },
    { title: 'a script sleeps then exits', command: ['sh', '-c', 'echo hi; sleep 2 && exit 4'], after: 2000, exit: { code: 4, reason: 'Error' } },
    { title: '&& skips after a failure, || runs', command: ['sh', '-c', 'false && exit 5 || exit 6'], after: 0, exit: { code: 6, reason: 'Error' } },
    { title: 'an unknown program runs until stopped', command: ['nginx', '-g', 'daemon off;'], after: 86_400_000 },
    { title: 'no command (the image default) runs until stopped', after: 86_400_000 },
    { title: 'sleep infinity runs until stopped', command: ['sleep', 'infinity'], after: 86_400_000 },
    { title: 'an unreadable script runs until stopped', command: ['sh', '-c', 'while true; do sleep 1; done'], after: 86_400_000 },
    { title: 'SIMULATED_EXIT_AFTER_MS with SIMULATED_EXIT_CODE', command: ['sleep', 'infinity'], envs: { SIMULATED_EXIT_AFTER_MS: '5000', SIMULATED_EXIT_CODE: '2' }, after: 5000, exit: { code: 2, reason: 'Error' } },
    { title: 'SIMULATED_EXIT_AFTER_MS alone exits 0', envs: { SIMULATED_EXIT_AFTER_MS: '1500' }, after: 1500, exit: { code: 0, reason: 'Completed' } },
    { title: 'SIMULATED_EXIT_CODE alone exits at once', command: ['sleep', '3600'], envs: { SIMULATED_EXIT_CODE: '9' }, after: 0, exit: { code: 9, reason: 'Error' } },
    { title: 'the environment wins over a command that ends sooner', command: ['true'], envs: { SIMULATED_EXIT_AFTER_MS: '1000', SIMULATED_EXIT_CODE: '1' }, after: 1000, exit: { code: 1, reason: 'Error' } },
    { title: 'SIMULATED_OOM=1 is OOMKilled with 137', envs: { SIMULATED_OOM: '1' }, after: 0, exit: { code: 137, reason: 'OOMKilled' } },
    { title: 'SIMULATED_OOM after a delay', envs: { SIMULATED_OOM: 'true', SIMULATED_EXIT_AFTER_MS: '750' }, after: 750, exit: { code: 137, reason: 'OOMKilled' } },
    { title: 'exit codes wrap at 256 as in sh', command: ['sh', '-c', 'exit 257'], after: 0, exit: { code: 1, reason: 'Error' } },
  ];

  test.each(cases)('$title', async ({ command, args, envs, after, exit }) => {
    const { id } = await startContainer(runtime, clock, { command, args, envs });
    const startedAt = clock.now();
    if (after > 0) {
      await clock.advance(after - 1);
      expect((await runtime.containerStatus(id))!.state).toBe('running');
      await clock.advance(1);
    }
    const status = (await runtime.containerStatus(id))!;
    if (!exit) {
      expect(status.state).toBe('running');
      expect(clock.pendingTimers).toBe(0);
      return;
    }
    expect(status).toMatchObject({ state: 'exited', exitCode: exit.code, reason: exit.reason, finishedAt: new Date(startedAt + after) });
  });
});

test('a SIMULATED_* variable that does not parse fails createContainer with the reason', async () => {
  await expect(createContainer(runtime, clock, { envs: { SIMULATED_EXIT_CODE: 'three' } })).rejects.toThrow(
    'plugin/runtime-simulated: container app: SIMULATED_EXIT_CODE: "three" is not an integer from 0 to 255',
  );
  await expect(createContainer(runtime, clock, { envs: { SIMULATED_OOM: 'maybe' } })).rejects.toThrow('SIMULATED_OOM: "maybe" is not a flag');
});

describe('stopContainer honours the grace period', () => {
  test('a container that obeys SIGTERM exits 143 at once', async () => {
    const { id } = await startContainer(runtime, clock, { command: ['sleep', '3600'] });
    const at = clock.now();
    await runtime.stopContainer(id, 30);
    expect(await runtime.containerStatus(id)).toMatchObject({ state: 'exited', exitCode: 143, reason: 'Error', finishedAt: new Date(at) });
  });

  test('SIMULATED_IGNORE_SIGTERM=1: killed at the deadline with 137, and stop resolves then', async () => {
    const { id } = await startContainer(runtime, clock, { command: ['sleep', '3600'], envs: { SIMULATED_IGNORE_SIGTERM: '1' } });
    const at = clock.now();
    let stopped = false;
    const stop = runtime.stopContainer(id, 10).then(() => (stopped = true));
    await clock.advance(9_999);
    expect(stopped).toBe(false);
    expect((await runtime.containerStatus(id))!.state).toBe('running');
    await clock.advance(1);
    await stop;
    expect(await runtime.containerStatus(id)).toMatchObject({ state: 'exited', exitCode: 137, finishedAt: new Date(at + 10_000) });
  });

  test('SIMULATED_TERM_DELAY_MS within the grace period: a graceful 143 after the delay', async () => {
    const { id } = await startContainer(runtime, clock, { envs: { SIMULATED_TERM_DELAY_MS: '3000' } });
    const at = clock.now();
    const stop = runtime.stopContainer(id, 5);
    await clock.advance(3000);
    await stop;
    expect(await runtime.containerStatus(id)).toMatchObject({ exitCode: 143, finishedAt: new Date(at + 3000) });
  });

  test('SIMULATED_TERM_DELAY_MS beyond the grace period: SIGKILL at the deadline', async () => {
    const { id } = await startContainer(runtime, clock, { envs: { SIMULATED_TERM_DELAY_MS: '8000' } });
    const at = clock.now();
    const stop = runtime.stopContainer(id, 2);
    await clock.advance(2000);
    await stop;
    expect(await runtime.containerStatus(id)).toMatchObject({ exitCode: 137, finishedAt: new Date(at + 2000) });
  });

  test('a second stop with a shorter grace period brings the SIGKILL forward; a longer one does not delay it', async () => {
    const { id } = await startContainer(runtime, clock, { envs: { SIMULATED_IGNORE_SIGTERM: 'yes' } });
    const at = clock.now();
    const first = runtime.stopContainer(id, 30);
    await clock.advance(1000);
    const second = runtime.stopContainer(id, 2);
    const third = runtime.stopContainer(id, 60);
    await clock.advance(2000);
    await Promise.all([first, second, third]);
    expect(await runtime.containerStatus(id)).toMatchObject({ exitCode: 137, finishedAt: new Date(at + 3000) });
  });

  test('a zero grace period kills a container that ignores SIGTERM at once', async () => {
    const { id } = await startContainer(runtime, clock, { envs: { SIMULATED_IGNORE_SIGTERM: '1' } });
    await runtime.stopContainer(id, 0);
    expect((await runtime.containerStatus(id))!.exitCode).toBe(137);
  });

  test('stop is idempotent: exited containers and unknown ids resolve at once and change nothing', async () => {
    const { id } = await startContainer(runtime, clock, { command: ['sh', '-c', 'exit 4'] });
    await runtime.stopContainer(id, 10);
    expect((await runtime.containerStatus(id))!.exitCode).toBe(4);
    await expect(runtime.stopContainer('no-such-id', 10)).resolves.toBeUndefined();
  });

  test('a stop during the start delay cancels the start: the container stays created and startContainer rejects', async () => {
    const { id } = await createContainer(runtime, clock, { command: ['sleep', '3600'] });
    const start = runtime.startContainer(id);
    const rejected = expect(start).rejects.toThrow('was stopped before it started');
    await clock.advance(100);
    await runtime.stopContainer(id, 10);
    await rejected;
    await clock.advance(1000);
    expect((await runtime.containerStatus(id))!.state).toBe('created');
  });
});

test('only a created container can be started', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['true'] });
  await expect(runtime.startContainer(id)).rejects.toThrow(/is exited: only a created container can be started/);
  await expect(runtime.startContainer('nope')).rejects.toThrow('plugin/runtime-simulated: no such container: nope');
});

test('removeContainer kills a running container and forgets it; it is idempotent', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', '3600'] });
  await runtime.removeContainer(id);
  expect(await runtime.containerStatus(id)).toBeUndefined();
  expect(await runtime.listContainers()).toEqual([]);
  await expect(runtime.removeContainer(id)).resolves.toBeUndefined();
  expect(clock.pendingTimers).toBe(0);
});

test('a container is created only from a present image, in a ready sandbox', async () => {
  const sandbox = await runtime.runPodSandbox((await import('./support')).sandboxConfig());
  await expect(runtime.createContainer(sandbox, (await import('./support')).containerConfig({ image: 'never-pulled:1' }))).rejects.toThrow('no such image: never-pulled:1');
  await runtime.stopPodSandbox(sandbox);
  await expect(createContainer(runtime, clock, {}, sandbox)).rejects.toThrow(/sandbox .* is not ready/);
  await expect(createContainer(runtime, clock, {}, 'no-such-sandbox')).rejects.toThrow('no such sandbox: no-such-sandbox');
});

test('behaviours in the options script containers by image or name; env on the container wins', async () => {
  await runtime.close();
  ({ runtime, clock } = await openRuntime({
    behaviours: [
      { image: 'batch', exitAfterMs: 1000, exitCode: 0 },
      { container: 'flaky', oom: true, exitAfterMs: 500 },
      { image: 'registry.example.com/stubborn*', ignoreSigterm: true },
    ],
  }));
  const batch = await startContainer(runtime, clock, { image: 'batch:2024', command: ['sleep', 'infinity'] });
  const flaky = await startContainer(runtime, clock, { name: 'flaky', command: ['sleep', 'infinity'] });
  const overridden = await startContainer(runtime, clock, { image: 'batch:2024', envs: { SIMULATED_EXIT_CODE: '5', SIMULATED_EXIT_AFTER_MS: '200' } });
  const stubborn = await startContainer(runtime, clock, { image: 'registry.example.com/stubborn-app:1' });
  await clock.advance(1000);
  expect(await runtime.containerStatus(batch.id)).toMatchObject({ state: 'exited', exitCode: 0 });
  expect(await runtime.containerStatus(flaky.id)).toMatchObject({ state: 'exited', exitCode: 137, reason: 'OOMKilled' });
  expect(await runtime.containerStatus(overridden.id)).toMatchObject({ state: 'exited', exitCode: 5 });
  const stop = runtime.stopContainer(stubborn.id, 1);
  await clock.advance(1000);
  await stop;
  expect((await runtime.containerStatus(stubborn.id))!.exitCode).toBe(137);
});

test('SIMULATED_START_DELAY_MS overrides the start delay for one container', async () => {
  const { id } = await createContainer(runtime, clock, { envs: { SIMULATED_START_DELAY_MS: '5000' } });
  const start = runtime.startContainer(id);
  await clock.advance(4999);
  expect((await runtime.containerStatus(id))!.state).toBe('created');
  await clock.advance(1);
  await start;
  expect((await runtime.containerStatus(id))!.state).toBe('running');
});

test('containers hold no clock timer once running with nothing due (one node timer at most while something is)', async () => {
  for (let i = 0; i < 20; i++) await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
  expect(clock.pendingTimers).toBe(0);
  for (let i = 0; i < 20; i++) await startContainer(runtime, clock, { command: ['sleep', String(60 + i)] });
  expect(clock.pendingTimers).toBe(1);
});

test('a container removed during its start delay never runs, and startContainer says it was removed', async () => {
  const { id } = await createContainer(runtime, clock, { command: ['sleep', '3600'] });
  const start = runtime.startContainer(id);
  const rejected = expect(start).rejects.toThrow('was removed before it started');
  await runtime.removeContainer(id);
  await rejected;
  expect(clock.pendingTimers).toBe(0);
});
