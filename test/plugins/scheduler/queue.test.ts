/**
 * The scheduling queue: order by the QueueSort plugin, backoff 1 s doubling
 * to 10 s, unschedulable pods parked until a cluster event or 5 minutes, and
 * a failure that raced with an event going to backoff instead.
 */
import { SchedulingQueue } from '../../../plugins/scheduler/queue';
import { PrioritySort } from '../../../plugins/scheduler/plugins/priority-sort';
import { FakeClock } from '../../kernel/client/fake-clock';
import { makePod } from './support';

function setUp() {
  const clock = new FakeClock();
  const queue = new SchedulingQueue({ clock, less: (a, b) => PrioritySort.less(a, b), initialBackoffMs: 1000, maxBackoffMs: 10_000, maxInUnschedulableMs: 300_000 });
  queue.run();
  return { clock, queue };
}

test('pops by priority, then by arrival', async () => {
  const { clock, queue } = setUp();
  queue.add(makePod({ name: 'low', priority: 1 }));
  await clock.advance(10);
  queue.add(makePod({ name: 'high', priority: 100 }));
  await clock.advance(10);
  queue.add(makePod({ name: 'low-later', priority: 1 }));
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await queue.pop())!.pod.metadata!.name);
  expect(order).toEqual(['high', 'low', 'low-later']);
  queue.close();
});

test('pop waits for a pod, and ends with undefined on close', async () => {
  const { queue } = setUp();
  const waiting = queue.pop();
  queue.add(makePod({ name: 'late' }));
  expect((await waiting)!.pod.metadata!.name).toBe('late');
  const ended = queue.pop();
  queue.close();
  expect(await ended).toBeUndefined();
});

test('backoff doubles from 1 s to at most 10 s', async () => {
  const { queue } = setUp();
  queue.add(makePod({ name: 'p' }));
  const q = (await queue.pop())!;
  const durations = [];
  for (let attempts = 1; attempts <= 6; attempts++) {
    q.attempts = attempts;
    durations.push(queue.backoffDuration(q));
  }
  expect(durations).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  queue.close();
});

test('an error backs off, then comes back to active', async () => {
  const { clock, queue } = setUp();
  queue.add(makePod({ name: 'p' }));
  const q = (await queue.pop())!;
  queue.requeue(q, false);
  expect(queue.counts).toMatchObject({ backoff: 1, active: 0 });
  await clock.advance(500);
  expect(queue.counts.backoff).toBe(1);
  await clock.advance(1000);
  expect(queue.counts).toMatchObject({ backoff: 0, active: 1 });
  queue.close();
});

test('unschedulable pods wait for a cluster event', async () => {
  const { clock, queue } = setUp();
  queue.add(makePod({ name: 'p' }));
  const q = (await queue.pop())!;
  queue.requeue(q, true);
  expect(queue.counts.unschedulable).toBe(1);
  await clock.advance(60_000);
  expect(queue.counts.unschedulable).toBe(1);
  queue.moveAllToActiveOrBackoff('NodeAdd');
  expect(queue.counts).toMatchObject({ unschedulable: 0, active: 1 });
  queue.close();
});

test('an event during the attempt sends the failed pod to backoff, not unschedulable', async () => {
  const { queue } = setUp();
  queue.add(makePod({ name: 'p' }));
  const q = (await queue.pop())!;
  queue.moveAllToActiveOrBackoff('NodeAdd');
  queue.requeue(q, true);
  expect(queue.counts).toMatchObject({ unschedulable: 0, backoff: 1 });
  queue.close();
});

test('unschedulable pods are retried after 5 minutes without any event', async () => {
  const { clock, queue } = setUp();
  queue.add(makePod({ name: 'p' }));
  const q = (await queue.pop())!;
  queue.requeue(q, true);
  await clock.advance(290_000);
  expect(queue.counts.unschedulable).toBe(1);
  await clock.advance(40_000);
  expect(queue.counts).toMatchObject({ unschedulable: 0, active: 1 });
  queue.close();
});

test('a parked pod whose spec changes is tried again; deleted pods leave', async () => {
  const { clock, queue } = setUp();
  const base = makePod({ name: 'p' });
  const pod = { ...base, metadata: { ...base.metadata, generation: 1 } };
  queue.add(pod);
  const q = (await queue.pop())!;
  queue.requeue(q, true);
  await clock.advance(20_000);
  queue.update({ ...pod, metadata: { ...pod.metadata, generation: 2 } });
  expect(queue.counts).toMatchObject({ unschedulable: 0, active: 1 });
  queue.delete(pod.metadata!.uid!);
  expect(queue.counts).toMatchObject({ active: 0 });
  expect(queue.has(pod.metadata!.uid!)).toBe(false);
  queue.close();
});
