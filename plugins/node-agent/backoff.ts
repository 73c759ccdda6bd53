/**
 * Per-key exponential back-off, after client-go's `flowcontrol.Backoff`, which
 * the kubelet uses for both container restarts (CrashLoopBackOff) and image
 * pulls (ImagePullBackOff): the first failure waits `initial`, each further
 * one twice as long up to `max`, and a key that has not failed for twice
 * `max` (10 minutes with the kubelet's 5) starts over from `initial`.
 *
 * Times come from the agent's Clock so tests step through back-offs.
 */
import type { Clock } from '../../kernel/client/clock';

interface Entry {
  /** The current delay. */
  backoffMs: number;
  /** When the last failure happened (the event time given to `next`). */
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    readonly initialMs: number,
    readonly maxMs: number,
  ) {}

  /** The current delay for `key` (0 when it has none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /**
   * Record a failure at `eventTime` (ms since the epoch): the delay doubles,
   * or starts at `initial` when the key is new or its entry has expired.
   */
  next(key: string, eventTime: number = this.clock.now()): void {
    const entry = this.entries.get(key);
    if (!entry || this.hasExpired(eventTime, entry.lastUpdate)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: eventTime });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.maxMs);
    entry.lastUpdate = eventTime;
  }

  /** True while `key` waits out the delay that started at `eventTime` (flowcontrol's IsInBackOffSince). */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    if (this.hasExpired(eventTime, entry.lastUpdate)) return false;
    return this.clock.now() - eventTime < entry.backoffMs;
  }

  /** True while `key` waits out the delay that started at its last failure (IsInBackOffSinceUpdate). */
  isInBackOffSinceUpdate(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    if (this.hasExpired(this.clock.now(), entry.lastUpdate)) return false;
    return this.clock.now() - entry.lastUpdate < entry.backoffMs;
  }

  /** Milliseconds until the delay that started at `eventTime` is over (0 if it is). */
  remaining(key: string, eventTime: number): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    return Math.max(0, eventTime + entry.backoffMs - this.clock.now());
  }

  /** Milliseconds until the delay since the last failure is over. */
  remainingSinceUpdate(key: string): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    return Math.max(0, entry.lastUpdate + entry.backoffMs - this.clock.now());
  }

  /** Forget `key` (its next failure starts from `initial`). */
  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forget every key with this prefix (a pod's containers when the pod goes). */
  resetPrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  /** Drop expired entries (so the map does not grow with every pod the node ever ran). */
  gc(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) if (this.hasExpired(now, entry.lastUpdate)) this.entries.delete(key);
  }

  private hasExpired(eventTime: number, lastUpdate: number): boolean {
    return eventTime - lastUpdate > this.maxMs * 2;
  }
}
