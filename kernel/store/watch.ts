/**
 * Watch fan-out. The store publishes each durable batch of events once; every
 * watcher keeps its own queue of the matching ones and gets them on a later
 * turn of the event loop (setImmediate), all queued events in one
 * `onEvents` call. Writers therefore never wait for a watcher.
 *
 * The bound: a watcher with more than `backlogLimit` live events queued and
 * not yet delivered is ended with `Compacted`, the same error as a watch that starts too
 * far back, so a client recovers the same way (re-list, then watch again; the
 * API server turns it into 410 Gone). Queued events are shared with the
 * store's history, so a queue costs a pointer per event, not a copy.
 */

import { StoreError, type WatchEvent, type WatchHandlers, type Watcher } from './types';

export interface WatchFilter {
  /** Keys starting with this ('' for all). */
  readonly prefix: string;
  /** Only this key (as well as the prefix). */
  readonly key?: string;
  /** Only events with a revision above this. */
  readonly after: number;
}

export class WatchHub {
  private readonly streams = new Set<WatchStream>();

  constructor(private readonly backlogLimit: number) {}

  get size(): number {
    return this.streams.size;
  }

  /** Start a watch with `history` (events already past) queued first. */
  open(filter: WatchFilter, handlers: WatchHandlers, history: readonly WatchEvent[]): Watcher {
    const stream = new WatchStream(filter, handlers, this.backlogLimit, () => this.streams.delete(stream));
    this.streams.add(stream);
    stream.offer(history, false);
    return stream;
  }

  /** A watch that failed before it started: `err` is reported on a later turn, unless cancelled first. */
  refuse(handlers: WatchHandlers, err: StoreError): Watcher {
    let cancelled = false;
    setImmediate(() => {
      if (!cancelled) reportError(handlers, err);
    });
    return { cancel: () => void (cancelled = true) };
  }

  /** Queue a durable batch of events (in revision order) for every matching watcher. */
  publish(events: readonly WatchEvent[]): void {
    for (const stream of this.streams) stream.offer(events, true);
  }

  /** Deliver what is queued, then end every watch with `err`. */
  closeAll(err: StoreError): void {
    for (const stream of [...this.streams]) {
      stream.deliver();
      stream.end(err);
    }
  }
}

class WatchStream implements Watcher {
  private queue: WatchEvent[] = [];
  /** How much of `queue` is the history the watch started with (bounded by the history limit, not by `backlogLimit`). */
  private historyQueued = 0;
  private scheduled = false;
  private ended = false;

  constructor(
    private readonly filter: WatchFilter,
    private readonly handlers: WatchHandlers,
    private readonly backlogLimit: number,
    private readonly detach: () => void,
  ) {}

  offer(events: readonly WatchEvent[], live: boolean): void {
    if (this.ended) return;
    const { prefix, key, after } = this.filter;
    for (const event of events) {
      if (event.revision <= after) continue;
      const k = event.kv.key;
      if ((key === undefined || k === key) && k.startsWith(prefix)) this.queue.push(event);
    }
    if (!live) this.historyQueued = this.queue.length;
    if (live && this.queue.length - this.historyQueued > this.backlogLimit) {
      this.queue = [];
      this.end(
        new StoreError(
          'Compacted',
          `watch fell more than ${this.backlogLimit} events behind (at revision ${events[events.length - 1]?.revision}); re-list and watch again`,
        ),
      );
      return;
    }
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.deliver();
      });
    }
  }

  deliver(): void {
    if (this.ended || this.queue.length === 0) return;
    const events = this.queue;
    this.queue = [];
    this.historyQueued = 0;
    try {
      this.handlers.onEvents(events);
    } catch (err) {
      // One consumer's bug ends its own watch, not the store or other watches.
      this.end(new StoreError('Unavailable', `watch handler failed: ${(err as Error)?.message ?? String(err)}`, { cause: err }));
    }
  }

  end(err: StoreError): void {
    if (this.ended) return;
    this.ended = true;
    this.queue = [];
    this.detach();
    reportError(this.handlers, err);
  }

  cancel(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue = [];
    this.detach();
  }
}

function reportError(handlers: WatchHandlers, err: StoreError): void {
  try {
    handlers.onError?.(err);
  } catch {
    // Deliberately absorbed: the watch is already over and there is no one
    // left to tell; rethrowing here would take the whole process down.
  }
}
