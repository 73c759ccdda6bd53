/**
 * FakeClock: a `Clock` test double whose time moves only when the test says
 * so, for backoffs and resync periods without real sleeps.
 */
import type { Clock, TimerHandle } from '../../../kernel/client/clock';

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

/** Let promise continuations and immediate callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(start = Date.UTC(2024, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), seq: id, callback });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as unknown as number);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Milliseconds until the next timer fires, if any. */
  nextTimerIn(): number | undefined {
    const next = this.next(Infinity);
    return next ? next.at - this.time : undefined;
  }

  /**
   * Move time forward by `ms`, firing due timers in time order (including
   * timers their callbacks set within the window), and letting async code
   * run after each one, as the real event loop would.
   */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      const timer = this.next(target);
      if (!timer) break;
      this.timers.delete(timer.seq);
      this.time = timer.at;
      timer.callback();
      await settle();
    }
    this.time = target;
    await settle();
  }

  private next(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers.values()) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
