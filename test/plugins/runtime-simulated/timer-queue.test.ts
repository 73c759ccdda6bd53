/**
 * The per-node timer queue: events fire in due order through one clock
 * timer; cancel, suspend and resume; delays beyond what a Node timer holds.
 */
import { TimerQueue } from '../../../plugins/runtime-simulated/timer-queue';
import { FakeClock } from '../../kernel/client/fake-clock';

test('many events, one clock timer; they fire in due order (ties in scheduling order) with their due times', async () => {
  const clock = new FakeClock();
  const queue = new TimerQueue(clock);
  const fired: Array<[string, number]> = [];
  const t0 = clock.now();
  for (const [name, delay] of [['c', 300], ['a', 100], ['b', 200], ['a2', 100], ['d', 400]] as const) queue.schedule(delay, (at) => fired.push([name, at - t0]));
  expect(clock.pendingTimers).toBe(1);
  await clock.advance(250);
  expect(fired).toEqual([['a', 100], ['a2', 100], ['b', 200]]);
  expect(clock.pendingTimers).toBe(1);
  await clock.advance(1000);
  expect(fired.map(([n]) => n)).toEqual(['a', 'a2', 'b', 'c', 'd']);
  expect(clock.pendingTimers).toBe(0);
  expect(queue.size).toBe(0);
});

test('cancel removes an event anywhere in the heap, idempotently; cancelling the earliest re-arms for the next', async () => {
  const clock = new FakeClock();
  const queue = new TimerQueue(clock);
  const fired: number[] = [];
  const entries = Array.from({ length: 50 }, (_, i) => queue.schedule(((i * 37) % 50) * 10, () => fired.push(i)));
  for (const i of [0, 7, 13, 49, 25]) queue.cancel(entries[i]);
  queue.cancel(entries[7]);
  await clock.advance(1000);
  const expected = Array.from({ length: 50 }, (_, i) => i)
    .filter((i) => ![0, 7, 13, 49, 25].includes(i))
    .sort((a, b) => ((a * 37) % 50) - ((b * 37) % 50));
  expect(fired).toEqual(expected);
  expect(clock.pendingTimers).toBe(0);
});

test('events scheduled while firing that are already due fire in the same turn', async () => {
  const clock = new FakeClock();
  const queue = new TimerQueue(clock);
  const fired: string[] = [];
  queue.schedule(10, () => {
    fired.push('first');
    queue.schedule(0, () => fired.push('now'));
    queue.schedule(5, () => fired.push('later'));
  });
  await clock.advance(10);
  expect(fired).toEqual(['first', 'now']);
  await clock.advance(5);
  expect(fired).toEqual(['first', 'now', 'later']);
});

test('suspended, the queue holds no timer and keeps its events; resumed, what fell due fires at once', async () => {
  const clock = new FakeClock();
  const queue = new TimerQueue(clock);
  const fired: number[] = [];
  const t0 = clock.now();
  queue.schedule(100, (at) => fired.push(at - t0));
  queue.schedule(5000, (at) => fired.push(at - t0));
  queue.suspend();
  expect(clock.pendingTimers).toBe(0);
  await clock.advance(1000);
  expect(fired).toEqual([]);
  queue.resume();
  await clock.advance(0);
  expect(fired).toEqual([100]);
  await clock.advance(4000);
  expect(fired).toEqual([100, 5000]);
});

test('a sleep rejects with the abort reason and leaves nothing queued', async () => {
  const clock = new FakeClock();
  const queue = new TimerQueue(clock);
  const abort = new AbortController();
  const sleep = queue.sleep(1000, abort.signal);
  abort.abort(new Error('stop'));
  await expect(sleep).rejects.toThrow('stop');
  expect(queue.size).toBe(0);
  expect(clock.pendingTimers).toBe(0);
});

test('a delay longer than a Node timer holds is waited out in steps', async () => {
  const clock = new FakeClock();
  const queue = new TimerQueue(clock);
  let fired = false;
  queue.schedule(40 * 86_400_000, () => (fired = true));
  expect(clock.nextTimerIn()).toBe(2 ** 31 - 1);
  await clock.advance(2 ** 31 - 1);
  expect(fired).toBe(false);
  expect(clock.pendingTimers).toBe(1);
  await clock.advance(40 * 86_400_000 - (2 ** 31 - 1));
  expect(fired).toBe(true);
});
