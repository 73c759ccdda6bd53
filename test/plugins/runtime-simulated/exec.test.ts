/**
 * exec: the simulated commands probes and tests use, against each
 * container's own simulated files; unsupported commands exit 127 with a clear
 * message; sessions end with 137 when killed.
 */
import { getEventListeners } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ContainerRuntime } from '../../../kernel/runtime/types';
import { Collector, openRuntime, startContainer, type FakeClock } from './support';

let runtime: ContainerRuntime;
let clock: FakeClock;

beforeEach(async () => {
  ({ runtime, clock } = await openRuntime());
});

afterEach(async () => {
  await runtime.close();
  expect(clock.pendingTimers).toBe(0);
});

async function run(id: string, command: string[], stdin?: PassThrough): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Collector();
  const stderr = new Collector();
  const session = await runtime.exec(id, { command, stdout, stderr, stdin, tty: false });
  const code = await session.done;
  return { code, stdout: stdout.text, stderr: stderr.text };
}

test('readiness and liveness probe scenario: files made by the command, touch and rm', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sh', '-c', 'touch /tmp/ready && sleep 3600'] });
  expect((await run(id, ['test', '-e', '/tmp/ready'])).code).toBe(0);
  expect((await run(id, ['test', '-e', '/tmp/healthy'])).code).toBe(1);
  expect((await run(id, ['touch', '/tmp/healthy'])).code).toBe(0);
  expect((await run(id, ['cat', '/tmp/healthy'])).code).toBe(0);
  expect((await run(id, ['sh', '-c', '[ -f /tmp/healthy ]'])).code).toBe(0);
  expect((await run(id, ['rm', '/tmp/healthy'])).code).toBe(0);
  expect((await run(id, ['test', '-e', '/tmp/healthy'])).code).toBe(1);
  expect(await run(id, ['rm', '/tmp/healthy'])).toEqual({ code: 1, stdout: '', stderr: "rm: can't remove '/tmp/healthy': No such file or directory\n" });
  expect((await run(id, ['rm', '-f', '/tmp/healthy'])).code).toBe(0);
});

test('files belong to one container: another container in the same pod does not see them', async () => {
  const a = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
  const b = await startContainer(runtime, clock, { name: 'b', command: ['sleep', 'infinity'] }, a.sandboxId);
  await run(a.id, ['touch', '/tmp/mine']);
  expect((await run(b.id, ['test', '-e', '/tmp/mine'])).code).toBe(1);
});

describe('simulated commands', () => {
  const cases: Array<{ command: string[]; code: number; stdout?: string; stderr?: string | RegExp }> = [
    { command: ['true'], code: 0 },
    { command: ['/bin/false'], code: 1 },
    { command: ['echo', 'hello', 'world'], code: 0, stdout: 'hello world\n' },
    { command: ['echo', '-n', 'no newline'], code: 0, stdout: 'no newline' },
    { command: ['sh', '-c', 'exit 42'], code: 42 },
    { command: ['sh', '-c', 'echo one; echo two >&2; exit 1'], code: 1, stdout: 'one\n', stderr: 'two\n' },
    { command: ['sh', '-c', 'echo "$GREETING, ${WHO}!"'], code: 0, stdout: 'hello, simulated!\n' },
    { command: ['sh', '-c', "echo 'single $GREETING'"], code: 0, stdout: 'single $GREETING\n' },
    { command: ['sh', '-c', 'echo saved > /data/x && echo more >> /data/x && cat /data/x'], code: 0, stdout: 'saved\nmore\n' },
    { command: ['sh', '-c', 'cat /missing 2>/dev/null || echo fallback'], code: 0, stdout: 'fallback\n' },
    { command: ['sh', '-c', 'cat /missing 2>&1'], code: 1, stdout: "cat: can't open '/missing': No such file or directory\n" },
    { command: ['cat', '/missing'], code: 1, stderr: "cat: can't open '/missing': No such file or directory\n" },
    { command: ['test', '-d', '/tmp'], code: 0 },
    { command: ['test', '-n', ''], code: 1 },
    { command: ['[', 'a', '=', 'a', ']'], code: 0 },
    { command: ['[', '-e', '/tmp'], code: 2, stderr: '[: missing ]\n' },
    { command: ['printenv', 'GREETING'], code: 0, stdout: 'hello\n' },
    { command: ['hostname'], code: 0, stdout: expect.stringMatching(/^pod-\w+\n$/) as unknown as string },
    { command: ['sleep', '0'], code: 0 },
    { command: ['ls', '/'], code: 127, stderr: 'simulated runtime: command not supported: ls /\n' },
    { command: ['curl', '-f', 'http://localhost:8080/healthz'], code: 127, stderr: 'simulated runtime: command not supported: curl -f http://localhost:8080/healthz\n' },
    { command: ['sh', '-c', 'ps aux | grep app'], code: 127, stderr: /command not supported: sh -c 'ps aux \| grep app' \(a pipe\)/ },
    { command: ['sh', '-c', 'if true; then echo y; fi'], code: 127, stderr: /\(shell keyword "if"\)/ },
    { command: ['test', '-x', '/bin/sh'], code: 2, stderr: /test: expression not supported: -x \/bin\/sh/ },
  ];

  test.each(cases)('$command', async ({ command, code, stdout, stderr }) => {
    const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'], envs: { GREETING: 'hello', WHO: 'simulated' } });
    const result = await run(id, command);
    expect(result.code).toBe(code);
    if (stdout !== undefined) expect(result.stdout).toEqual(stdout);
    else expect(result.stdout).toBe('');
    if (stderr instanceof RegExp) expect(result.stderr).toMatch(stderr);
    else expect(result.stderr).toBe(stderr ?? '');
  });
});

test('env lists the container environment with the defaults Docker adds', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'], envs: { A: '1' } });
  const { stdout } = await run(id, ['env']);
  expect(stdout.split('\n')).toEqual(expect.arrayContaining(['A=1', expect.stringMatching(/^PATH=\/usr\/local\/sbin:/), expect.stringMatching(/^HOSTNAME=pod-/)]));
});

test('sleep in exec waits on simulated time', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
  const session = await runtime.exec(id, { command: ['sh', '-c', 'sleep 5; exit 3'], tty: false });
  let code: number | undefined;
  void session.done.then((c) => (code = c));
  await clock.advance(4999);
  expect(code).toBeUndefined();
  await clock.advance(1);
  expect(code).toBe(3);
});

test('cat without files copies stdin to stdout', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
  const stdin = new PassThrough();
  const done = run(id, ['cat'], stdin);
  stdin.end('typed\nlines\n');
  expect(await done).toEqual({ code: 0, stdout: 'typed\nlines\n', stderr: '' });
});

test('with a tty and no stderr stream, errors go to stdout', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
  const stdout = new Collector();
  const session = await runtime.exec(id, { command: ['nope'], stdout, tty: true });
  session.resize(80, 24);
  expect(await session.done).toBe(127);
  expect(stdout.text).toBe('simulated runtime: command not supported: nope\n');
});

test('an aborted session is killed: done resolves with 137', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
  const abort = new AbortController();
  const session = await runtime.exec(id, { command: ['sleep', '600'], tty: false, signal: abort.signal });
  await clock.advance(1000);
  abort.abort();
  expect(await session.done).toBe(137);
  expect(clock.pendingTimers).toBe(0);
});

test('a session reading stdin is killed by abort too', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
  const abort = new AbortController();
  const stdout = new Collector();
  const stdin = new PassThrough();
  const session = await runtime.exec(id, { command: ['cat'], stdin, stdout, tty: false, signal: abort.signal });
  stdin.write('before\n');
  await new Promise((r) => setImmediate(r));
  abort.abort();
  expect(await session.done).toBe(137);
  stdin.write('after\n');
  await new Promise((r) => setImmediate(r));
  expect(stdout.text).toBe('before\n');
});

test('the container exiting kills its exec sessions', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', '10'] });
  const session = await runtime.exec(id, { command: ['sleep', 'infinity'], tty: false });
  await clock.advance(10_000);
  expect(await session.done).toBe(137);
});

test('exec needs a running container', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['true'] });
  await expect(runtime.exec(id, { command: ['true'], tty: false })).rejects.toThrow(/container .* \(app\) is not running/);
  await expect(runtime.exec('gone', { command: ['true'], tty: false })).rejects.toThrow('no such container: gone');
});

test('a client stdin that fails ends the input of cat, which exits 0 with what it had', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
  const stdin = new PassThrough();
  const done = run(id, ['cat'], stdin);
  stdin.write('partial\n');
  await new Promise((r) => setImmediate(r));
  stdin.destroy(new Error('client went away'));
  expect(await done).toEqual({ code: 0, stdout: 'partial\n', stderr: '' });
});

test('a finished session lets go of the caller\'s signal (probes run thousands of times against one container)', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
  const abort = new AbortController();
  for (let i = 0; i < 100; i++) {
    const session = await runtime.exec(id, { command: ['test', '-e', '/tmp/x'], tty: false, signal: abort.signal });
    expect(await session.done).toBe(1);
  }
  expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  const logs = await runtime.logs(id, { follow: true, timestamps: false, signal: abort.signal });
  logs.destroy();
  expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
});
