/**
 * One serial worker per pod (keyed by uid), like the kubelet's podWorkers:
 * syncs of one pod never overlap, syncs of different pods run in parallel
 * (an image pull or a graceful stop of one pod holds up no other), and a
 * burst of triggers while a sync runs becomes one more sync after it.
 *
 * Level-triggered: a trigger carries no data; the sync reads the pod and the
 * runtime as they are. A sync that throws is retried with back-off (1 s
 * doubling to 60 s); a later trigger still runs at once.
 */
import type { Clock, TimerHandle } from '../../kernel/client/clock';
import type { Logger } from '../../kernel/log';

interface Worker {
  running?: Promise<void>;
  /** Triggered while running: sync again when done. */
  dirty: boolean;
  timer?: TimerHandle;
  timerAt?: number;
  failures: number;
}

const RETRY_INITIAL_MS = 1000;
const RETRY_MAX_MS = 60_000;

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly sync: (uid: string) => Promise<void>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Sync the pod now (or right after the sync in progress). */
  enqueue(uid: string): void {
    if (this.stopped) return;
    const w = this.worker(uid);
    if (w.running) {
      w.dirty = true;
      return;
    }
    if (w.timer) {
      this.clock.clearTimeout(w.timer);
      w.timer = undefined;
      w.timerAt = undefined;
    }
    this.run(uid, w);
  }

  /** Sync the pod after `ms` (the earliest requested time wins). */
  enqueueAfter(uid: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.enqueue(uid);
      return;
    }
    const w = this.worker(uid);
    const at = this.clock.now() + ms;
    if (w.timerAt !== undefined && w.timerAt <= at) return;
    if (w.timer) this.clock.clearTimeout(w.timer);
    w.timerAt = at;
    w.timer = this.clock.setTimeout(() => {
      w.timer = undefined;
      w.timerAt = undefined;
      this.enqueue(uid);
    }, ms);
  }

  /** Drop the pod's worker once its current sync (if any) ends. */
  forget(uid: string): void {
    const w = this.workers.get(uid);
    if (!w) return;
    if (w.timer) this.clock.clearTimeout(w.timer);
    w.timer = undefined;
    w.timerAt = undefined;
    if (!w.running) this.workers.delete(uid);
  }

  /** Pods with a worker (running, waiting or scheduled). */
  get size(): number {
    return this.workers.size;
  }

  /** A sync is running. */
  get busy(): boolean {
    return [...this.workers.values()].some((w) => w.running);
  }

  /** Resolves when no sync is running or due now (timers for later do not count). */
  idle(): Promise<void> {
    if (![...this.workers.values()].some((w) => w.running)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop taking triggers; resolves when the syncs in progress end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.workers.values()) if (w.timer) this.clock.clearTimeout(w.timer);
    await Promise.all([...this.workers.values()].map((w) => w.running));
  }

  private worker(uid: string): Worker {
    let w = this.workers.get(uid);
    if (!w) this.workers.set(uid, (w = { dirty: false, failures: 0 }));
    return w;
  }

  private run(uid: string, w: Worker): void {
    w.dirty = false;
    w.running = (async () => {
      try {
        await this.sync(uid);
        w.failures = 0;
      } catch (err) {
        const delay = Math.min(RETRY_INITIAL_MS * 2 ** w.failures++, RETRY_MAX_MS);
        this.logger.error(`syncing pod ${uid} failed, retrying in ${delay} ms: ${(err as Error)?.message ?? String(err)}`, {
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        });
        this.enqueueAfter(uid, delay);
      }
    })().finally(() => {
      w.running = undefined;
      if (w.dirty && !this.stopped) this.run(uid, w);
      if (![...this.workers.values()].some((x) => x.running)) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
  }
}
