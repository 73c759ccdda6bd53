/**
 * One timer per simulated node instead of one per container: every pending
 * event of the node (a container due to start, to exit, to be killed at the
 * end of its grace period, a pull finishing) sits in a min-heap by due time,
 * and the queue holds a single clock timer for the earliest one. A node where
 * nothing is due holds no timer at all, which is what lets one process carry
 * thousands of idle simulated containers.
 *
 * Times are absolute (clock milliseconds), so a suspended queue keeps its
 * events: when it resumes, what fell due in between fires at once, in due
 * order, and each callback learns the time it was due at.
 */
import type { Clock, TimerHandle } from '../../kernel/client/clock';
import { abortReason } from '../../kernel/client/clock';

/** A scheduled event; pass it to `cancel`. */
export interface TimerEntry {
  readonly at: number;
}

interface Entry extends TimerEntry {
  readonly at: number;
  readonly seq: number;
  /** Position in the heap; -1 once fired or cancelled. */
  index: number;
  readonly callback: (dueAt: number) => void;
}

/** Node's timers hold at most this many milliseconds (longer delays fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class TimerQueue {
  private readonly heap: Entry[] = [];
  private seq = 0;
  private armed?: { readonly handle: TimerHandle; readonly at: number };
  private suspended = false;
  private firing = false;

  constructor(readonly clock: Clock) {}

  /** Events not yet fired or cancelled. */
  get size(): number {
    return this.heap.length;
  }

  /** Whether time stands still for this queue (no runtime open on its node). */
  get isSuspended(): boolean {
    return this.suspended;
  }

  /** Whether the queue holds a clock timer now. */
  get hasTimer(): boolean {
    return this.armed !== undefined;
  }

  /** Run `callback` `delayMs` from now (negative delays count as 0). */
  schedule(delayMs: number, callback: (dueAt: number) => void): TimerEntry {
    return this.scheduleAt(this.clock.now() + Math.max(0, delayMs), callback);
  }

  /** Run `callback` at clock time `at` (at once, on the next turn of the queue, if that has passed). */
  scheduleAt(at: number, callback: (dueAt: number) => void): TimerEntry {
    const entry: Entry = { at, seq: ++this.seq, index: this.heap.length, callback };
    this.heap.push(entry);
    this.up(entry.index);
    this.arm();
    return entry;
  }

  /** Forget an event. Idempotent; events already fired are ignored. */
  cancel(event: TimerEntry | undefined): void {
    const entry = event as Entry | undefined;
    if (!entry || entry.index < 0) return;
    this.removeAt(entry.index);
    this.arm();
  }

  /**
   * Resolve with the due time `ms` from now, or reject with the signal's
   * reason when it aborts first (the event is then cancelled).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<number> {
    return this.sleepUntil(this.clock.now() + Math.max(0, ms), signal);
  }

  /** Like `sleep`, to an absolute clock time (at once, on the queue's next turn, if that has passed). */
  sleepUntil(at: number, signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => {
        this.cancel(entry);
        reject(abortReason(signal!));
      };
      const entry = this.scheduleAt(at, (dueAt) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(dueAt);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Give up the clock timer; events stay queued and keep their due times. */
  suspend(): void {
    this.suspended = true;
    this.arm();
  }

  /** Take the clock timer again; whatever fell due while suspended fires at once. */
  resume(): void {
    this.suspended = false;
    this.arm();
  }

  /** Hold one clock timer for the earliest event, or none. */
  private arm(): void {
    if (this.firing) return; // fire() arms once it has run everything due.
    const next = this.suspended ? undefined : this.heap[0];
    if (this.armed && (!next || this.armed.at !== next.at)) {
      this.clock.clearTimeout(this.armed.handle);
      this.armed = undefined;
    }
    if (next && !this.armed) {
      const delay = Math.min(MAX_TIMER_MS, Math.max(0, next.at - this.clock.now()));
      this.armed = { handle: this.clock.setTimeout(() => this.fire(), delay), at: next.at };
    }
  }

  private fire(): void {
    this.armed = undefined;
    this.firing = true;
    try {
      for (;;) {
        const next = this.heap[0];
        if (!next || this.suspended || next.at > this.clock.now()) break;
        this.removeAt(0);
        next.callback(next.at);
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  }

  private removeAt(index: number): void {
    const entry = this.heap[index]!;
    const last = this.heap.pop()!;
    entry.index = -1;
    if (last !== entry) {
      this.heap[index] = last;
      last.index = index;
      this.down(index);
      this.up(last.index);
    }
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private up(index: number): void {
    const heap = this.heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    const heap = this.heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(i: number, j: number): void {
    const heap = this.heap;
    const a = heap[i]!;
    const b = heap[j]!;
    heap[i] = b;
    heap[j] = a;
    a.index = j;
    b.index = i;
  }
}
