/**
 * What a controller has asked the API for and not yet seen come back through
 * its informer (kube's ControllerExpectations with UID-tracked deletions).
 *
 * The informer cache lags the API: right after creating three pods, the
 * cache may still show none, and a sync acting on it would create three
 * more. So a sync that issues N creates (or deletes) first records that it
 * expects N; the pod event handlers count them off as the informer reports
 * them; and until every one has been observed (or the record is older than
 * the timeout, in case an event was lost) the controller does not create or
 * delete for that key again.
 */
import type { Clock } from '../../../kernel/client/clock';

/** kube's ExpectationsTimeout: a record this old no longer holds the controller back. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  /** Creations still to be observed (may go negative: a pod seen twice is harmless). */
  add: number;
  /** Deletions still to be observed. */
  del: number;
  /** Keys (`namespace/name`) of the pods whose deletion is expected, so an unrelated deletion does not count. */
  readonly deleting: Set<string>;
  /** When the record was set. */
  readonly since: number;
}

export class ControllerExpectations {
  private readonly records = new Map<string, Expectation>();

  constructor(
    private readonly clock: Clock,
    readonly timeoutMs = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  /**
   * True when the controller may act on `key`: nothing recorded (a new
   * controller, or the owner was deleted), everything observed, or the
   * record timed out.
   */
  satisfied(key: string): boolean {
    const e = this.records.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.since > this.timeoutMs;
  }

  /** Milliseconds until the pending record of `key` times out (undefined when nothing is pending). */
  expiresIn(key: string): number | undefined {
    if (this.satisfied(key)) return undefined;
    const e = this.records.get(key)!;
    return Math.max(0, e.since + this.timeoutMs - this.clock.now() + 1);
  }

  /** Expect `count` pod creations for `key` (replacing any earlier record). */
  expectCreations(key: string, count: number): void {
    this.records.set(key, { add: count, del: 0, deleting: new Set(), since: this.clock.now() });
  }

  /** Expect the deletion of exactly these pods (their `namespace/name` keys) for `key`. */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.records.set(key, { add: 0, del: podKeys.length, deleting: new Set(podKeys), since: this.clock.now() });
  }

  /** A creation was observed (or will never happen: a create that failed or was skipped). */
  creationObserved(key: string): void {
    const e = this.records.get(key);
    if (e) e.add--;
  }

  /** The pod `podKey` was observed deleted (or its deletion failed): counts only if it was expected. */
  deletionObserved(key: string, podKey: string): void {
    const e = this.records.get(key);
    if (e && e.deleting.delete(podKey)) e.del--;
  }

  /** Forget `key` (its owner is gone). */
  delete(key: string): void {
    this.records.delete(key);
  }
}
