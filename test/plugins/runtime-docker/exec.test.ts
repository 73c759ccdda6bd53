/**
 * Exec and attach against the real engine: stdout, stderr and the exit code
 * apart; stdin to EOF; a tty that follows resizes; abort kills the process;
 * attach to a main process with stdin open.
 */
import { PassThrough, Readable } from 'node:stream';
import { Collector, execText, exited, runContainer, TestNode } from './support';

const node = new TestNode();
beforeAll(() => node.start());
afterEach(() => node.removeAll());
afterAll(async () => {
  await node.stop();
  expect(await node.leftovers()).toEqual([]);
});

const idle = { name: 'main', command: ['sleep', '3600'] };

test('exec keeps stdout and stderr apart and reports the exit code', async () => {
  const { containerId } = await runContainer(node, idle);
  const result = await execText(node.runtime, containerId, ['sh', '-c', 'echo out; echo err >&2; echo more; exit 3']);
  expect(result).toEqual({ stdout: 'out\nmore\n', stderr: 'err\n', exitCode: 3 });
  expect(await execText(node.runtime, containerId, ['true'])).toEqual({ stdout: '', stderr: '', exitCode: 0 });

  // No streams at all: still an exit code.
  const session = await node.runtime.exec(containerId, { command: ['sh', '-c', 'exit 7'], tty: false });
  expect(await session.done).toBe(7);
});

test('exec passes stdin through to EOF', async () => {
  const { containerId } = await runContainer(node, idle);
  const stdout = new Collector();
  const input = Buffer.alloc(256 * 1024, 'abcdefgh');
  const session = await node.runtime.exec(containerId, { command: ['sh', '-c', 'wc -c; echo done'], stdin: Readable.from([input]), stdout, tty: false });
  expect(await session.done).toBe(0);
  expect(stdout.text()).toMatch(/^\s*262144\ndone\n$/);

  const typed = new PassThrough();
  const out = new Collector();
  const reader = await node.runtime.exec(containerId, { command: ['sh', '-c', 'read a; echo "got $a"; read b; echo "then $b"'], stdin: typed, stdout: out, tty: false });
  typed.write('first\n');
  await out.waitFor('got first\n');
  typed.end('second\n');
  expect(await reader.done).toBe(0);
  expect(out.text()).toBe('got first\nthen second\n');
});

test('a tty exec follows resizes', async () => {
  const { containerId } = await runContainer(node, idle);
  const stdout = new Collector();
  const stdin = new PassThrough();
  // The process waits until it sees the size the client set.
  const session = await node.runtime.exec(containerId, {
    command: ['sh', '-c', 'until [ "$(stty size)" = "45 123" ]; do usleep 20000; done; echo "size $(stty size)"; tty'],
    stdin,
    stdout,
    tty: true,
  });
  session.resize(123, 45);
  expect(await session.done).toBe(0);
  // A tty: one stream, with the terminal's line endings.
  expect(stdout.text()).toContain('size 45 123\r\n');
  expect(stdout.text()).toMatch(/\/dev\/pts\/\d+\r\n/);
});

test('abort kills the exec process and ends the session', async () => {
  const { containerId } = await runContainer(node, idle);
  const controller = new AbortController();
  const stdout = new Collector();
  const session = await node.runtime.exec(containerId, { command: ['sh', '-c', 'echo started; exec sleep 301'], stdout, tty: false, signal: controller.signal });
  await stdout.waitFor('started\n');
  controller.abort();
  expect(await session.done).toBe(137);
  const ps = await execText(node.runtime, containerId, ['ps', '-o', 'args']);
  expect(ps.stdout).not.toContain('sleep 301');
});

test('exec in a container that is not running fails with the engine reason', async () => {
  const { containerId } = await runContainer(node, { name: 'main', command: ['true'] });
  await exited(node.runtime, containerId);
  await expect(node.runtime.exec(containerId, { command: ['true'], tty: false })).rejects.toThrow(/^plugin\/runtime-docker: cannot exec in container .*is not running/);
});

test('attach reaches the main process: stdin in, output out, its exit code', async () => {
  const { containerId } = await runContainer(node, {
    name: 'main',
    command: ['sh', '-c', 'echo ready; read line; echo "got $line"; echo oops >&2; exit 4'],
    stdin: true,
    stdinOnce: true,
  });
  const stdin = new PassThrough();
  const stdout = new Collector();
  const stderr = new Collector();
  const session = await node.runtime.attach(containerId, { stdin, stdout, stderr, tty: false });
  stdin.end('hello\n');
  expect(await session.done).toBe(4);
  // Attach sees output from when it attached on; the log has all of it.
  expect(stdout.text()).toMatch(/(ready\n)?got hello\n$/);
  expect(stderr.text()).toBe('oops\n');
  expect(await exited(node.runtime, containerId)).toMatchObject({ exitCode: 4, reason: 'Error' });
});

test('aborting an attach detaches without stopping the container', async () => {
  const { containerId } = await runContainer(node, { name: 'main', command: ['sh', '-c', 'while :; do echo tick; usleep 100000; done'] });
  const controller = new AbortController();
  const stdout = new Collector();
  const session = await node.runtime.attach(containerId, { stdout, tty: false, signal: controller.signal });
  await stdout.waitFor('tick\n');
  controller.abort();
  expect(await session.done).toBe(0);
  expect((await node.runtime.containerStatus(containerId))?.state).toBe('running');
});
