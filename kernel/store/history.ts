/**
 * The recent past: the last events, kept so that a watch can start at an
 * older revision and `range` can read a past state (current state with later
 * events undone).
 *
 * Every revision is exactly one event, so the retained events are always the
 * contiguous run `(compacted, current]` and event `r` sits at a computable
 * index. Retention is bounded by a count and, optionally, an age; dropping
 * the oldest event, like an explicit compaction, raises `compacted`.
 *
 * Events share their KeyValue objects with the live key space, so history
 * costs the old values it keeps alive, not copies.
 */

import type { WatchEvent } from './types';

export interface HistoryOptions {
  /** Keep at most this many events. */
  readonly limit: number;
  /** Also drop events older than this many milliseconds (absent: no age limit). */
  readonly windowMs?: number;
  readonly now: () => number;
}

export class History {
  private events: WatchEvent[] = [];
  /** Arrival times, parallel to `events`, only kept with a time window. */
  private times: number[] = [];
  private head = 0;
  private compactedRevision: number;

  constructor(
    private readonly options: HistoryOptions,
    /** Nothing at or before this revision is known (e.g. a snapshot's revision). */
    compacted: number,
  ) {
    this.compactedRevision = compacted;
  }

  /** Events at or before this revision are gone; reads and watches must start at or after it. */
  get compacted(): number {
    return this.compactedRevision;
  }

  get length(): number {
    return this.events.length - this.head;
  }

  /** Append the event of the next revision. */
  push(event: WatchEvent): void {
    this.events.push(event);
    if (this.options.windowMs !== undefined) this.times.push(this.options.now());
    if (this.length > this.options.limit) this.dropTo(this.head + (this.length - this.options.limit));
  }

  /** Drop events older than the time window. */
  expire(): void {
    if (this.options.windowMs === undefined) return;
    const cutoff = this.options.now() - this.options.windowMs;
    let i = this.head;
    while (i < this.events.length && this.times[i]! < cutoff) i++;
    if (i > this.head) this.dropTo(i);
  }

  /** Forget events at and before `revision`. */
  compact(revision: number): void {
    if (revision <= this.compactedRevision) return;
    let i = this.head;
    while (i < this.events.length && this.events[i]!.revision <= revision) i++;
    this.dropTo(i);
    this.compactedRevision = Math.max(this.compactedRevision, revision);
  }

  /**
   * Events with revision > `after`, oldest first (a fresh array). The caller
   * checks `after >= compacted` first; events before the retained run are
   * simply absent.
   */
  after(after: number): WatchEvent[] {
    const first = this.events[this.head];
    if (first === undefined) return [];
    const from = this.head + Math.max(0, after + 1 - first.revision);
    return from >= this.events.length ? [] : this.events.slice(from);
  }

  /** Drop events before index `i`. */
  private dropTo(i: number): void {
    if (i <= this.head) return;
    this.compactedRevision = Math.max(this.compactedRevision, this.events[i - 1]!.revision);
    // Release the dropped events (and the old values they hold) at once rather
    // than at the next reclaim.
    this.events.fill(undefined as unknown as WatchEvent, this.head, i);
    this.head = i;
    // Reclaim the dead front now and then, keeping drops amortised O(1).
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      if (this.options.windowMs !== undefined) this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
