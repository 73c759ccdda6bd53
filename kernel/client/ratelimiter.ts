/**
 * Rate limiters for the work queue, after client-go's `workqueue` package: a
 * rate limiter says how long an item must wait before it is processed again.
 * A controller whose sync keeps failing backs off per item (one bad object
 * does not slow the others), and the whole controller is capped by a token
 * bucket (a burst of failures cannot hammer the API server).
 */
import type { Clock } from './clock';
import { realClock } from './clock';

export interface RateLimiter<T> {
  /** How long (ms) `item` should wait now; records one more requeue of it. */
  when(item: T): number;
  /** Stop tracking `item`: its next failure starts from the base delay. */
  forget(item: T): void;
  /** How many times `item` has been requeued since it was last forgotten. */
  numRequeues(item: T): number;
}

/** Per-item exponential backoff: `base * 2^failures`, capped at `max`. */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  private readonly failures = new Map<T, number>();

  constructor(
    private readonly baseDelayMs: number,
    private readonly maxDelayMs: number,
  ) {}

  when(item: T): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    // 2^exp overflows to Infinity long after it passes any sane max; min() handles both.
    return Math.min(this.baseDelayMs * 2 ** exp, this.maxDelayMs);
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * An overall token bucket (golang.org/x/time/rate's `Reserve().Delay()`):
 * `burst` requeues pass at once, then one per `1/qps` seconds. Each call
 * reserves a token, so the bucket can go into debt and the delay grows with
 * every caller in line. It tracks no items.
 */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: T): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** The longest delay of several limiters; every limiter sees every call. */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  private readonly limiters: readonly RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.limiters = limiters;
  }

  when(item: T): number {
    // Every limiter must record the call, so no short-circuit here.
    return this.limiters.map((l) => l.when(item)).reduce((a, b) => Math.max(a, b), 0);
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    return this.limiters.map((l) => l.numRequeues(item)).reduce((a, b) => Math.max(a, b), 0);
  }
}

/**
 * client-go's `DefaultControllerRateLimiter`: per-item backoff from 5 ms
 * doubling to 1000 s, and overall 10 qps with a burst of 100; the longer wins.
 */
export function defaultControllerRateLimiter<T>(clock: Clock = realClock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(new ItemExponentialFailureRateLimiter<T>(5, 1000_000), new BucketRateLimiter<T>(10, 100, clock));
}
