import { WorkQueue } from '../../../kernel/client/workqueue';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from '../../../kernel/client/ratelimiter';
import { FakeClock, settle } from './fake-clock';

/** Resolve `p` or report that it is still pending after the event loop settles. */
async function peek<T>(p: Promise<T>): Promise<T | 'pending'> {
  let value: T | 'pending' = 'pending';
  void p.then((v) => (value = v));
  await settle();
  return value;
}

describe('WorkQueue', () => {
  it('hands out items in FIFO order and dedupes an item that is already queued', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(await peek(q.get())).toBe('pending');
  });

  it('does not hand an item to a second worker while the first holds it, and requeues it after done()', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    const item = await q.get();
    expect(item).toBe('a');

    q.add('a'); // changed while being processed
    q.add('a'); // and again: still one requeue
    expect(q.len()).toBe(0);
    const second = q.get();
    expect(await peek(second)).toBe('pending');

    q.done('a');
    expect(await second).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('does not requeue an item on done() when it was not re-added', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    await q.get();
    q.done('a');
    expect(q.len()).toBe(0);
    expect(await peek(q.get())).toBe('pending');
  });

  it('wakes a waiting get() when an item arrives', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    const waiting = q.get();
    expect(await peek(waiting)).toBe('pending');
    q.add('x');
    expect(await waiting).toBe('x');
  });

  it('addAfter delays an item on the clock and keeps the earliest time for duplicates', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50); // earlier wins
    q.addAfter('a', 500); // later is ignored
    const got = q.get();
    await clock.advance(49);
    expect(await peek(got)).toBe('pending');
    await clock.advance(1);
    expect(await got).toBe('a');
    q.done('a');
    await clock.advance(1000);
    expect(q.len()).toBe(0);
  });

  it('addAfter with no delay adds at once', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.addAfter('a', 0);
    expect(q.len()).toBe(1);
  });

  it('addRateLimited backs off exponentially per item; forget() resets it', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000_000) });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = clock.now();
      q.addRateLimited('a');
      expect(clock.nextTimerIn()).toBe(5 * 2 ** i);
      await clock.advance(clock.nextTimerIn()!);
      expect(await q.get()).toBe('a');
      q.done('a');
      delays.push(clock.now() - start);
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(q.numRequeues('a')).toBe(4);
    expect(q.numRequeues('b')).toBe(0);

    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    q.addRateLimited('a');
    expect(clock.nextTimerIn()).toBe(5);
  });

  it('shutDown() ignores new items, hands out what is queued, then resolves undefined for every getter', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    q.add('a');
    q.addAfter('later', 10);
    q.shutDown();
    q.add('b');
    q.addRateLimited('c');
    expect(q.shuttingDown()).toBe(true);
    expect(clock.pendingTimers).toBe(0); // the delayed item was dropped
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBeUndefined();
    expect(await q.get()).toBeUndefined();
  });

  it('shutDown() releases getters that were already waiting', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    const waiting = [q.get(), q.get()];
    q.shutDown();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
  });

  it('shutDownWithDrain() resolves only after items in hand are done', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    await q.get();
    await q.get();
    const drained = q.shutDownWithDrain();
    q.done('a');
    expect(await peek(drained)).toBe('pending');
    q.done('b');
    await expect(drained).resolves.toBeUndefined();
  });

  it('shutDownWithDrain() resolves at once when nothing is in hand', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    await expect(q.shutDownWithDrain()).resolves.toBeUndefined();
  });
});

describe('rate limiters', () => {
  it('exponential per-item backoff doubles from the base and stops at the cap', () => {
    const rl = new ItemExponentialFailureRateLimiter<string>(5, 1000);
    const delays = Array.from({ length: 10 }, () => rl.when('a'));
    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    expect(rl.when('b')).toBe(5); // per item
    for (let i = 0; i < 2000; i++) rl.when('a');
    expect(rl.when('a')).toBe(1000); // no overflow to NaN/Infinity
  });

  it('token bucket lets a burst through, then one per 1/qps, refilling over time', async () => {
    const clock = new FakeClock();
    const rl = new BucketRateLimiter<string>(10, 3, clock);
    expect([rl.when('a'), rl.when('b'), rl.when('c')]).toEqual([0, 0, 0]);
    expect(rl.when('d')).toBeCloseTo(100);
    expect(rl.when('e')).toBeCloseTo(200); // in debt: the line grows
    await clock.advance(1000); // refills 10 tokens, capped at burst 3, minus the 2 owed
    expect(rl.when('f')).toBe(0);
  });

  it('default controller limiter takes the max of per-item backoff and the overall bucket', () => {
    const clock = new FakeClock();
    const rl = defaultControllerRateLimiter<string>(clock);
    // Within the burst of 100, the per-item backoff decides.
    expect(rl.when('a')).toBe(5);
    expect(rl.when('a')).toBe(10);
    for (let i = 0; i < 98; i++) rl.when(`x${i}`);
    // Burst spent: the bucket's 100 ms beats a fresh item's 5 ms.
    expect(rl.when('b')).toBeCloseTo(100);
    expect(rl.numRequeues('a')).toBe(2);
    rl.forget('a');
    expect(rl.numRequeues('a')).toBe(0);
  });

  it('MaxOf consults every limiter on every call', () => {
    const a = new ItemExponentialFailureRateLimiter<string>(1, 100);
    const b = new ItemExponentialFailureRateLimiter<string>(10, 100);
    const rl = new MaxOfRateLimiter(a, b);
    expect(rl.when('k')).toBe(10);
    expect(a.numRequeues('k')).toBe(1);
    expect(b.numRequeues('k')).toBe(1);
  });
});
