/**
 * A rate-limited work queue, after client-go's `workqueue`: the queue a
 * controller's event handlers put keys on and its workers take keys from.
 *
 * Guarantees (the same as client-go's):
 * - An item waiting in the queue is there once: adding it again is a no-op
 *   (`dirty`), so a burst of events for one object means one sync.
 * - An item is never processed by two workers at once: if it is added while a
 *   worker holds it (`processing`), it is queued again when that worker calls
 *   `done()`, so the change that arrived meanwhile is not lost.
 * - `addRateLimited` delays an item by its rate limiter (per-item exponential
 *   backoff combined with an overall token bucket); `forget` resets its backoff.
 * - `addAfter` delays an item; the earliest requested time wins when the same
 *   item is delayed twice.
 * - After `shutDown` new adds are ignored; `get()` hands out what is still
 *   queued, then resolves `undefined` for every caller.
 *
 * Time comes from an injected `Clock`, so tests step through backoffs.
 */
import type { Clock, TimerHandle } from './clock';
import { realClock } from './clock';
import type { RateLimiter } from './ratelimiter';
import { defaultControllerRateLimiter } from './ratelimiter';

export interface WorkQueueOptions<T> {
  /** For messages. */
  name?: string;
  clock?: Clock;
  /** Default: `defaultControllerRateLimiter` (5 ms..1000 s per item, 10 qps burst 100 overall). */
  rateLimiter?: RateLimiter<T>;
}

/** FIFO with O(1) push and shift (an array with a moving head). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.head++;
    // Compact once the consumed prefix dominates, keeping memory bounded.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

interface Waiting {
  readyAt: number;
  timer: TimerHandle;
}

/**
 * Items are compared with `Map`/`Set` identity, so use strings (keys like
 * `namespace/name`) or other primitives. `undefined` is reserved for "shut down".
 */
export class WorkQueue<T extends string | number | bigint | boolean | symbol | object = string> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter<T>;

  private readonly queue = new Fifo<T>();
  /** Items that need processing: queued, or added again while being processed. */
  private readonly dirty = new Set<T>();
  /** Items a worker holds between `get()` and `done()`. */
  private readonly processing = new Set<T>();
  /** Items delayed by `addAfter`/`addRateLimited`, with their timers. */
  private readonly waiting = new Map<T, Waiting>();
  /** `get()` callers waiting for an item, first come first served. */
  private readonly getters: Array<(item: T | undefined) => void> = [];
  /** `shutDownWithDrain()` callers waiting for `processing` to empty. */
  private drainers: Array<() => void> = [];
  private shutting = false;

  constructor(options: WorkQueueOptions<T> = {}) {
    this.name = options.name ?? 'workqueue';
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<T>(this.clock);
  }

  /** Queue `item` unless it is already queued; if a worker holds it, queue it again after `done()`. */
  add(item: T): void {
    if (this.shutting || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.queue.push(item);
    this.dispatch();
  }

  /**
   * The next item, waiting for one if the queue is empty; `undefined` once the
   * queue is shut down and empty. Call `done(item)` when finished with it.
   */
  get(): Promise<T | undefined> {
    return new Promise((resolve) => {
      this.getters.push(resolve);
      this.dispatch();
    });
  }

  /** Release `item`; if it was added while being processed, it is queued again now. */
  done(item: T): void {
    this.processing.delete(item);
    if (this.dirty.has(item)) {
      this.queue.push(item);
      this.dispatch();
    }
    if (this.processing.size === 0 && this.drainers.length > 0) {
      const drainers = this.drainers;
      this.drainers = [];
      for (const resolve of drainers) resolve();
    }
  }

  /** Queue `item` after `delayMs` (at once when <= 0). A shorter later request moves it earlier. */
  addAfter(item: T, delayMs: number): void {
    if (this.shutting) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const existing = this.waiting.get(item);
    if (existing) {
      if (existing.readyAt <= readyAt) return;
      this.clock.clearTimeout(existing.timer);
    }
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(item);
      this.add(item);
    }, delayMs);
    this.waiting.set(item, { readyAt, timer });
  }

  /** Queue `item` after the delay its rate limiter asks for (and count one requeue). */
  addRateLimited(item: T): void {
    if (this.shutting) return;
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** Reset `item`'s backoff: call after it was processed successfully. It does not remove it from the queue. */
  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  /** Times `item` went through `addRateLimited` since it was last forgotten. */
  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }

  /** Items queued and ready to be handed out (not counting delayed or in-process ones). */
  len(): number {
    return this.queue.length;
  }

  shuttingDown(): boolean {
    return this.shutting;
  }

  /**
   * Stop accepting items and drop delayed ones. Workers blocked in `get()` get
   * the items still queued, then `undefined`.
   */
  shutDown(): void {
    if (this.shutting) return;
    this.shutting = true;
    for (const { timer } of this.waiting.values()) this.clock.clearTimeout(timer);
    this.waiting.clear();
    this.dispatch();
  }

  /** `shutDown()`, then resolve once every item handed out so far has been `done()`. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainers.push(resolve));
  }

  /** Hand queued items to waiting getters; after shutdown, empty-handed getters get `undefined`. */
  private dispatch(): void {
    while (this.getters.length > 0 && this.queue.length > 0) {
      const item = this.queue.shift()!;
      this.dirty.delete(item);
      this.processing.add(item);
      this.getters.shift()!(item);
    }
    if (this.shutting && this.queue.length === 0) {
      for (const resolve of this.getters.splice(0)) resolve(undefined);
    }
  }
}
