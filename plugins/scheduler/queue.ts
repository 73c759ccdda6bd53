/**
 * The scheduling queue (kube-scheduler's PriorityQueue): three sub-queues.
 * - active: pods ready to be tried, ordered by the profile's QueueSort plugin;
 * - backoff: pods that failed, waiting out a backoff of podInitialBackoff
 *   doubling per attempt up to podMaxBackoff, then moved to active;
 * - unschedulable: pods no node fits, parked until a cluster event that could
 *   make them fit (a node added or changed, a pod deleted, ...) moves them,
 *   and at the latest after podMaxInUnschedulablePodsDuration.
 * A failure that raced with such an event (the event came while the pod was
 * being tried) goes to backoff instead of unschedulable, so it is not lost.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import type { Clock, TimerHandle } from '../../kernel/client/clock';
import type { PodInfo, QueuedPodInfo } from '../../kernel/scheduling/types';
import { computePodInfo } from './framework/pod-info';

/** A pod in the queue, with the scheduler's bookkeeping. */
export class QueuedPod implements QueuedPodInfo {
  podInfo: PodInfo;
  timestamp: number;
  attempts = 0;
  /** When it was first added (for the pod_scheduling_duration and kube's initialAttemptTimestamp). */
  readonly initialAttemptTimestamp: number;
  /** Plugins that rejected it on the last attempt. */
  unschedulablePlugins = new Set<string>();
  /** Set while popped: the queue's move-request counter at pop time. */
  cycle = 0;
  /** Heap positions (-1 when not in that heap). */
  activeIndex = -1;
  backoffIndex = -1;

  constructor(pod: Pod, now: number) {
    this.podInfo = computePodInfo(pod);
    this.timestamp = now;
    this.initialAttemptTimestamp = now;
  }

  get pod(): Pod {
    return this.podInfo.pod;
  }

  get priority(): number {
    return this.podInfo.pod.spec?.priority ?? 0;
  }

  get uid(): string {
    return this.podInfo.pod.metadata?.uid ?? '';
  }
}

/** A binary heap with positions kept on the items, so that update and delete are O(log n). */
class Heap {
  private readonly items: QueuedPod[] = [];

  constructor(
    private readonly less: (a: QueuedPod, b: QueuedPod) => boolean,
    private readonly index: 'activeIndex' | 'backoffIndex',
  ) {}

  get size(): number {
    return this.items.length;
  }

  peek(): QueuedPod | undefined {
    return this.items[0];
  }

  push(item: QueuedPod): void {
    item[this.index] = this.items.length;
    this.items.push(item);
    this.up(item[this.index]);
  }

  pop(): QueuedPod | undefined {
    if (this.items.length === 0) return undefined;
    return this.removeAt(0);
  }

  remove(item: QueuedPod): boolean {
    const i = item[this.index];
    if (i < 0 || this.items[i] !== item) return false;
    this.removeAt(i);
    return true;
  }

  /** Re-sort an item whose key changed. */
  fix(item: QueuedPod): void {
    const i = item[this.index];
    if (i < 0) return;
    this.up(i);
    this.down(item[this.index]);
  }

  has(item: QueuedPod): boolean {
    const i = item[this.index];
    return i >= 0 && this.items[i] === item;
  }

  values(): readonly QueuedPod[] {
    return this.items;
  }

  private removeAt(i: number): QueuedPod {
    const item = this.items[i];
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[i] = last;
      last[this.index] = i;
      this.up(i);
      this.down(last[this.index]);
    }
    item[this.index] = -1;
    return item;
  }

  private swap(i: number, j: number): void {
    const a = this.items[i];
    const b = this.items[j];
    this.items[i] = b;
    this.items[j] = a;
    b[this.index] = i;
    a[this.index] = j;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i], this.items[parent])) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.less(this.items[l], this.items[best])) best = l;
      if (r < n && this.less(this.items[r], this.items[best])) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
  }
}

export interface QueueOptions {
  readonly clock: Clock;
  /** The QueueSort plugin's order. */
  readonly less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Unschedulable pods are retried at least this often (kube: 5 minutes). */
  readonly maxInUnschedulableMs: number;
}

/** How often backoff and unschedulable pods are checked (kube-scheduler: 1 s and 30 s). */
const BACKOFF_FLUSH_MS = 1000;
const UNSCHEDULABLE_FLUSH_MS = 30_000;

export class SchedulingQueue {
  private readonly active: Heap;
  private readonly backoff: Heap;
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** Every pod the queue knows, in any sub-queue or in flight, by uid. */
  private readonly pods = new Map<string, QueuedPod>();
  /** Popped and not yet done (scheduling or binding). */
  private readonly inFlight = new Map<string, QueuedPod>();
  /** Bumped on every cluster event that moved pods; compared with a pod's pop-time value. */
  private moveRequestCycle = 0;
  private schedulingCycle = 0;
  private waiters: Array<(pod: QueuedPod | undefined) => void> = [];
  private timers: TimerHandle[] = [];
  private closed = false;

  constructor(private readonly o: QueueOptions) {
    this.active = new Heap((a, b) => o.less(a, b), 'activeIndex');
    this.backoff = new Heap((a, b) => this.backoffExpiry(a) < this.backoffExpiry(b), 'backoffIndex');
  }

  /** Start the periodic flushes. */
  run(): void {
    const every = (ms: number, fn: () => void) => {
      const tick = () => {
        if (this.closed) return;
        fn();
        this.timers.push(this.o.clock.setTimeout(tick, ms));
      };
      this.timers.push(this.o.clock.setTimeout(tick, ms));
    };
    every(BACKOFF_FLUSH_MS, () => this.flushBackoffCompleted());
    every(UNSCHEDULABLE_FLUSH_MS, () => this.flushUnschedulableLeftover());
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) this.o.clock.clearTimeout(t);
    this.timers = [];
    for (const w of this.waiters) w(undefined);
    this.waiters = [];
  }

  get counts(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const known = this.pods.get(uid);
    if (known) {
      this.update(pod);
      return;
    }
    const queued = new QueuedPod(pod, this.o.clock.now());
    this.pods.set(uid, queued);
    this.pushActive(queued);
  }

  /**
   * A pending pod changed. In flight: kept for when it comes back. Parked as
   * unschedulable: moved to active (or backoff), since its spec may now fit.
   */
  update(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const queued = this.pods.get(uid);
    if (!queued) {
      this.add(pod);
      return;
    }
    const specChanged = queued.pod.metadata?.generation !== pod.metadata?.generation || JSON.stringify(queued.pod.metadata?.labels) !== JSON.stringify(pod.metadata?.labels);
    queued.podInfo = computePodInfo(pod);
    if (this.active.has(queued)) this.active.fix(queued);
    else if (this.backoff.has(queued)) this.backoff.fix(queued);
    else if (this.unschedulable.has(uid) && specChanged) {
      this.unschedulable.delete(uid);
      if (this.isBackingOff(queued)) this.backoff.push(queued);
      else this.pushActive(queued);
    }
  }

  /** The pod is gone (deleted, or bound by someone else). */
  delete(uid: string): void {
    const queued = this.pods.get(uid);
    if (!queued) return;
    this.pods.delete(uid);
    this.active.remove(queued);
    this.backoff.remove(queued);
    this.unschedulable.delete(uid);
  }

  has(uid: string): boolean {
    return this.pods.has(uid);
  }

  /** The next pod to schedule: waits for one; undefined once closed. */
  pop(): Promise<QueuedPod | undefined> {
    const next = this.active.pop();
    if (next) return Promise.resolve(this.popped(next));
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private popped(queued: QueuedPod): QueuedPod {
    queued.attempts++;
    queued.cycle = this.moveRequestCycle;
    this.schedulingCycle++;
    this.inFlight.set(queued.uid, queued);
    return queued;
  }

  private pushActive(queued: QueuedPod): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.popped(queued));
    else this.active.push(queued);
  }

  /**
   * The attempt failed. `unschedulable`: no node fits (parked until a cluster
   * event, unless one came while it was tried); otherwise (errors, binding
   * failures) it backs off.
   */
  requeue(queued: QueuedPod, unschedulable: boolean): void {
    this.inFlight.delete(queued.uid);
    if (this.closed || !this.pods.has(queued.uid)) return;
    queued.timestamp = this.o.clock.now();
    if (unschedulable && this.moveRequestCycle <= queued.cycle) {
      this.unschedulable.set(queued.uid, queued);
    } else if (this.isBackingOff(queued)) {
      this.backoff.push(queued);
    } else {
      this.pushActive(queued);
    }
  }

  /** The pod was bound (or assumed and is binding): the queue forgets it. */
  done(uid: string): void {
    this.inFlight.delete(uid);
    this.pods.delete(uid);
  }

  /**
   * A cluster event that may make unschedulable pods fit (`event` names it,
   * for logs): every unschedulable pod goes to backoff or active.
   */
  moveAllToActiveOrBackoff(_event: string): void {
    this.moveRequestCycle = this.schedulingCycle;
    if (this.unschedulable.size === 0) return;
    const pods = [...this.unschedulable.values()];
    this.unschedulable.clear();
    for (const queued of pods) {
      if (this.isBackingOff(queued)) this.backoff.push(queued);
      else this.pushActive(queued);
    }
  }

  /** kube-scheduler: initial backoff doubled per attempt after the first, capped. */
  backoffDuration(queued: QueuedPod): number {
    let d = this.o.initialBackoffMs;
    for (let i = 1; i < queued.attempts; i++) {
      d *= 2;
      if (d >= this.o.maxBackoffMs) return this.o.maxBackoffMs;
    }
    return Math.min(d, this.o.maxBackoffMs);
  }

  private backoffExpiry(queued: QueuedPod): number {
    return queued.timestamp + this.backoffDuration(queued);
  }

  private isBackingOff(queued: QueuedPod): boolean {
    return queued.attempts > 0 && this.backoffExpiry(queued) > this.o.clock.now();
  }

  /** Move pods whose backoff ended to active. */
  flushBackoffCompleted(): void {
    const now = this.o.clock.now();
    for (;;) {
      const head = this.backoff.peek();
      if (!head || this.backoffExpiry(head) > now) break;
      this.backoff.pop();
      this.pushActive(head);
    }
  }

  /** Retry pods parked as unschedulable for longer than the maximum. */
  flushUnschedulableLeftover(): void {
    const now = this.o.clock.now();
    for (const [uid, queued] of this.unschedulable) {
      if (now - queued.timestamp < this.o.maxInUnschedulableMs) continue;
      this.unschedulable.delete(uid);
      if (this.isBackingOff(queued)) this.backoff.push(queued);
      else this.pushActive(queued);
    }
  }

  /** Pending pods (for the nominator and tests). */
  pendingPods(): QueuedPod[] {
    return [...this.pods.values()];
  }
}
