/**
 * attach (the main process's output and stdin) and portForward (an
 * in-memory echo, refused until something runs and has passed its ready
 * delay, reset when it goes away).
 */
import { once } from 'node:events';
import { PassThrough, type Duplex } from 'node:stream';
import type { ContainerRuntime } from '../../../kernel/runtime/types';
import { Collector, openRuntime, settle, startContainer, type FakeClock } from './support';

let runtime: ContainerRuntime;
let clock: FakeClock;

beforeEach(async () => {
  ({ runtime, clock } = await openRuntime({ readyDelayMs: 1000 }));
});

afterEach(async () => {
  await runtime.close();
  expect(clock.pendingTimers).toBe(0);
});

describe('attach', () => {
  test('streams the output written after attaching and resolves with the exit code', async () => {
    const { id } = await startContainer(runtime, clock, { command: ['sh', '-c', 'echo before; sleep 1; echo after; echo err >&2; exit 2'] });
    const stdout = new Collector();
    const stderr = new Collector();
    const session = await runtime.attach(id, { stdout, stderr, tty: false });
    await clock.advance(1000);
    expect(await session.done).toBe(2);
    expect(stdout.text).toBe('after\n');
    expect(stderr.text).toBe('err\n');
  });

  test('stdin feeds a `cat` main process; with stdinOnce, the client closing stdin ends it with 0', async () => {
    const { id } = await startContainer(runtime, clock, { command: ['cat'], stdin: true, stdinOnce: true });
    const stdin = new PassThrough();
    const stdout = new Collector();
    const session = await runtime.attach(id, { stdin, stdout, tty: true });
    stdin.write('typed\n');
    await settle();
    expect(stdout.text).toBe('typed\n');
    stdin.end();
    expect(await session.done).toBe(0);
    expect(await runtime.containerStatus(id)).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  test('`cat` without stdin open reads nothing and exits 0', async () => {
    const { id } = await startContainer(runtime, clock, { command: ['cat'] });
    expect(await runtime.containerStatus(id)).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  test('detaching resolves with 0 and leaves the container running', async () => {
    const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
    const abort = new AbortController();
    const session = await runtime.attach(id, { tty: false, signal: abort.signal });
    abort.abort();
    expect(await session.done).toBe(0);
    expect((await runtime.containerStatus(id))!.state).toBe('running');
  });

  test('a stdinOnce container\'s stdin closes when its client detaches', async () => {
    const { id } = await startContainer(runtime, clock, { command: ['cat'], stdin: true, stdinOnce: true });
    const abort = new AbortController();
    const session = await runtime.attach(id, { stdin: new PassThrough(), tty: false, signal: abort.signal });
    abort.abort();
    await session.done;
    await settle();
    expect(await runtime.containerStatus(id)).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  test('attach needs a running container', async () => {
    const { id } = await startContainer(runtime, clock, { command: ['true'] });
    await expect(runtime.attach(id, { tty: false })).rejects.toThrow('is not running: cannot attach to it');
  });
});

describe('portForward', () => {
  async function roundTrip(connection: Duplex, text: string): Promise<string> {
    connection.write(text);
    const [chunk] = (await once(connection, 'data')) as [Buffer];
    return chunk.toString();
  }

  test('refused until a container runs and has passed the ready delay; then an echo', async () => {
    const sandbox = await runtime.runPodSandbox((await import('./support')).sandboxConfig());
    await expect(runtime.portForward(sandbox, 8080)).rejects.toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('no container in the sandbox is running') });
    await startContainer(runtime, clock, { command: ['sleep', 'infinity'] }, sandbox);
    await expect(runtime.portForward(sandbox, 8080)).rejects.toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('warming up') });
    await clock.advance(1000);
    const connection = await runtime.portForward(sandbox, 8080);
    expect(await roundTrip(connection, 'ping')).toBe('ping');
    connection.end();
  });

  test('SIMULATED_READY_AFTER_MS overrides the ready delay per container', async () => {
    const { sandboxId } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'], envs: { SIMULATED_READY_AFTER_MS: '0' } });
    const connection = await runtime.portForward(sandboxId, 80);
    expect(await roundTrip(connection, 'x')).toBe('x');
    connection.destroy();
  });

  test('connections are reset when the last running container exits', async () => {
    const { sandboxId } = await startContainer(runtime, clock, { command: ['sleep', '5'], envs: { SIMULATED_READY_AFTER_MS: '0' } });
    const connection = await runtime.portForward(sandboxId, 80);
    const error = once(connection, 'error');
    await clock.advance(5000);
    const [err] = (await error) as [Error & { code?: string }];
    expect(err.code).toBe('ECONNRESET');
  });

  test('a stopped or unknown sandbox, and a bad port, are errors', async () => {
    const { sandboxId } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
    await expect(runtime.portForward(sandboxId, 0)).rejects.toThrow('port 0 is not a port number');
    await runtime.stopPodSandbox(sandboxId);
    await expect(runtime.portForward(sandboxId, 80)).rejects.toThrow('is not ready: cannot forward port 80');
    await expect(runtime.portForward('nope', 80)).rejects.toThrow('no such sandbox: nope');
  });
});
