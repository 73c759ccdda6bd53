/**
 * Logs: a small ring of each container's output ("started", what `echo`
 * writes); tail, since, limitBytes, timestamps in the engine's format; follow
 * until the container stops or the signal aborts.
 */
import type { ContainerRuntime } from '../../../kernel/runtime/types';
import { drain, openRuntime, readAll, settle, startContainer, type FakeClock } from './support';

let runtime: ContainerRuntime;
let clock: FakeClock;

beforeEach(async () => {
  ({ runtime, clock } = await openRuntime({ logLines: 5 }));
});

afterEach(() => runtime.close());

const logs = (id: string, options: Partial<Parameters<ContainerRuntime['logs']>[1]> = {}) => runtime.logs(id, { follow: false, timestamps: false, ...options });

test('the log holds the start line and what echo in the command writes, stdout and stderr interleaved', async () => {
  const { id } = await startContainer(runtime, clock, { name: 'web', command: ['sh', '-c', 'echo hello; echo oops >&2; sleep 1; echo -n partial; exit 0'] });
  await clock.advance(1000);
  expect(await readAll(await logs(id))).toBe('simulated container web started\nhello\noops\npartial\n');
});

test('timestamps are RFC 3339 with nanoseconds, as the Docker engine prints them', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sh', '-c', 'sleep 1.5; echo later; sleep infinity'] });
  const started = clock.now();
  await clock.advance(1500);
  const text = await readAll(await logs(id, { timestamps: true }));
  const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000000Z');
  expect(text).toBe(`${iso(started)} simulated container app started\n${iso(started + 1500)} later\n`);
  expect(text.split(' ')[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
});

test('the ring keeps only the last logLines lines', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sh', '-c', 'echo 1; echo 2; echo 3; echo 4; echo 5; echo 6; sleep infinity'] });
  expect(await readAll(await logs(id))).toBe('2\n3\n4\n5\n6\n');
});

test('tailLines, since and limitBytes select from the ring', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sh', '-c', 'echo a; sleep 10; echo b; sleep 10; echo c; sleep infinity'] });
  const started = clock.now();
  await clock.advance(20_000);
  expect(await readAll(await logs(id, { tailLines: 2 }))).toBe('b\nc\n');
  expect(await readAll(await logs(id, { tailLines: 0 }))).toBe('');
  expect(await readAll(await logs(id, { since: new Date(started + 10_000) }))).toBe('b\nc\n');
  expect(await readAll(await logs(id, { since: new Date(started + 10_001), tailLines: 5 }))).toBe('c\n');
  expect(await readAll(await logs(id, { limitBytes: 34 }))).toBe('simulated container app started\na\n');
  expect(await readAll(await logs(id, { limitBytes: 33 }))).toBe('simulated container app started\na');
});

test('follow emits new lines until the container exits, then ends', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sh', '-c', 'sleep 1; echo one; sleep 1; echo two; sleep 1; exit 0'] });
  const stream = await logs(id, { follow: true, tailLines: 0 });
  const seen = drain(stream);
  let ended = false;
  stream.on('end', () => (ended = true));
  await clock.advance(1000);
  expect(seen()).toBe('one\n');
  await clock.advance(1000);
  expect(seen()).toBe('one\ntwo\n');
  expect(ended).toBe(false);
  await clock.advance(1000);
  expect(ended).toBe(true);
});

test('follow ends when the signal aborts, and when the container is stopped', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sleep', 'infinity'] });
  const abort = new AbortController();
  const aborted = await logs(id, { follow: true, signal: abort.signal });
  const stopped = await logs(id, { follow: true });
  const first = readAll(aborted);
  const second = readAll(stopped);
  abort.abort();
  expect(await first).toBe('simulated container app started\n');
  await runtime.stopContainer(id, 30);
  expect(await second).toBe('simulated container app started\nsimulated container app received SIGTERM\n');
});

test('follow of an exited container returns what it kept and ends', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sh', '-c', 'echo bye'] });
  expect(await readAll(await logs(id, { follow: true }))).toBe('simulated container app started\nbye\n');
});

test('follow ends when the follower stops reading (destroy) without disturbing the container', async () => {
  const { id } = await startContainer(runtime, clock, { command: ['sh', '-c', 'sleep 1; echo x; sleep infinity'] });
  const stream = await logs(id, { follow: true });
  stream.destroy();
  await clock.advance(1000);
  await settle();
  expect((await runtime.containerStatus(id))!.state).toBe('running');
  expect(await readAll(await logs(id))).toBe('simulated container app started\nx\n');
});

test('logs of an unknown container are an error', async () => {
  await expect(logs('gone')).rejects.toThrow('no such container: gone');
});
