/**
 * Container logs against the real engine: stdout and stderr merged in the
 * order written, tail, since, timestamps as `kubectl logs --timestamps`
 * prints them, limitBytes, follow (later lines arrive; the stream ends with
 * the container; abort ends it), tty containers.
 */
import { Collector, execText, exited, readAll, runContainer, TestNode } from './support';

const node = new TestNode();
beforeAll(() => node.start());
afterEach(() => node.removeAll());
afterAll(async () => {
  await node.stop();
  expect(await node.leftovers()).toEqual([]);
});

// Pauses between writes keep the engine's two pipe readers from reordering stdout and stderr.
const fourLines = ['sh', '-c', 'echo one; usleep 50000; echo two >&2; usleep 50000; echo three; usleep 50000; echo four >&2'];
const STAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z) (.*)$/;

test('the log merges stdout and stderr in order; tail and limitBytes cut it', async () => {
  const { containerId } = await runContainer(node, { name: 'main', command: fourLines });
  await exited(node.runtime, containerId);
  const logs = (options: Partial<Parameters<typeof node.runtime.logs>[1]> = {}) =>
    node.runtime.logs(containerId, { follow: false, timestamps: false, ...options }).then(readAll);

  expect(await logs()).toBe('one\ntwo\nthree\nfour\n');
  expect(await logs({ tailLines: 2 })).toBe('three\nfour\n');
  expect(await logs({ tailLines: 0 })).toBe('');
  expect(await logs({ limitBytes: 6 })).toBe('one\ntw');
});

test('timestamps are RFC 3339 with nanoseconds, as kubectl logs --timestamps shows; since starts at a line', async () => {
  const { containerId } = await runContainer(node, { name: 'main', command: fourLines });
  await exited(node.runtime, containerId);
  const text = await readAll(await node.runtime.logs(containerId, { follow: false, timestamps: true }));
  const lines = text.split('\n').filter(Boolean);
  expect(lines.map((l) => STAMP.exec(l)?.[2])).toEqual(['one', 'two', 'three', 'four']);
  const times = lines.map((l) => new Date(STAMP.exec(l)![1]!).getTime());
  expect([...times].sort((a, b) => a - b)).toEqual(times);

  // From the third line's time (milliseconds, so at or just before it).
  const since = new Date(times[2]!);
  const rest = await readAll(await node.runtime.logs(containerId, { follow: false, timestamps: false, since }));
  expect(rest).toBe('three\nfour\n');
});

test('follow delivers later lines and ends with the container', async () => {
  const { containerId } = await runContainer(node, {
    name: 'main',
    command: ['sh', '-c', 'echo first; until [ -e /tmp/go ]; do usleep 20000; done; echo second'],
  });
  const stream = await node.runtime.logs(containerId, { follow: true, timestamps: false });
  const out = new Collector();
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  stream.pipe(out);
  await out.waitFor('first\n');
  expect(out.text()).toBe('first\n');
  await execText(node.runtime, containerId, ['touch', '/tmp/go']);
  await ended;
  expect(out.text()).toBe('first\nsecond\n');
});

test('abort ends a followed log; a tty container logs raw', async () => {
  const { containerId } = await runContainer(node, { name: 'main', tty: true, command: ['sh', '-c', 'echo hello; exec sleep 3600'] });
  const controller = new AbortController();
  const stream = await node.runtime.logs(containerId, { follow: true, timestamps: false, signal: controller.signal });
  const out = new Collector();
  const ended = new Promise<void>((resolve) => stream.on('end', resolve));
  stream.pipe(out);
  // The terminal's line ending, unframed.
  await out.waitFor('hello\r\n');
  controller.abort();
  await ended;
  expect(out.text()).toBe('hello\r\n');
});

test('the log of a missing container is a runtime error', async () => {
  await expect(node.runtime.logs('0'.repeat(64), { follow: false, timestamps: false })).rejects.toThrow(/^plugin\/runtime-docker: cannot read the log of container 0+: no such container/);
});
