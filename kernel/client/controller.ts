/**
 * The controller base class, in the shape of Kubernetes' sample-controller
 * (ARCHITECTURE §5): level-triggered reconciliation of keys.
 *
 * Event handlers only enqueue keys (`namespace/name`), never objects: by the
 * time a worker gets to a key the object may have changed again, and the
 * worker must act on how things are now, not on the event. The queue dedupes
 * keys, so a burst of events is one sync. `sync(key)` reads the current state
 * from informer caches, computes the desired state, writes the difference,
 * and throws to be retried with rate-limited backoff.
 *
 * Usage:
 *
 *   class ReplicaSetController extends Controller {
 *     constructor(private readonly client: ApiClient, factory: SharedInformerFactory) {
 *       super({ name: 'replicaset' });
 *       this.rs = factory.informerFor<ReplicaSet>(REPLICASETS);
 *       this.enqueueFrom(this.rs);
 *       // Pods map to their owning ReplicaSet's key.
 *       this.enqueueFrom(factory.informerFor<Pod>(PODS), (pod) => ownerKeys(pod, 'ReplicaSet'));
 *     }
 *     protected async sync(key: string): Promise<void> {
 *       const rs = this.rs.cache.get(key);
 *       if (!rs) return;                 // deleted: nothing to do (owner GC cleans up)
 *       // ...count pods from the pod cache, create or delete the difference.
 *     }
 *   }
 *   factory.start();
 *   await controller.run(2, signal);     // resolves after `signal` aborts and the workers drain
 */
import type { KubeObject } from '../api/types';
import { keyOf } from './cache';
import type { Clock } from './clock';
import type { SharedInformer } from './informer';
import type { Logger } from '../log';
import { ConsoleLogger } from '../log';
import type { RateLimiter } from './ratelimiter';
import { WorkQueue } from './workqueue';

export interface ControllerOptions {
  /** Names the logger (`controller/<name>`) and the queue. */
  name: string;
  clock?: Clock;
  /** Default: client-go's DefaultControllerRateLimiter (see ratelimiter.ts). */
  rateLimiter?: RateLimiter<string>;
  /** A child named `controller/<name>` is used (default: a console logger). */
  logger?: Logger;
}

export abstract class Controller {
  readonly name: string;
  protected readonly queue: WorkQueue<string>;
  protected readonly logger: Logger;
  private readonly informers: Array<SharedInformer<never>> = [];
  private running = false;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.logger = options.logger?.child(`controller/${options.name}`) ?? new ConsoleLogger(`controller/${options.name}`);
    this.queue = new WorkQueue<string>({ name: options.name, clock: options.clock, rateLimiter: options.rateLimiter });
  }

  /**
   * Bring the object named by `key` to its desired state. Called by one
   * worker at a time per key; must be idempotent (it may run again for the
   * same state). Throw to have the key retried with backoff. Never mutate
   * objects read from a cache: `deepCopy` them first.
   */
  protected abstract sync(key: string): Promise<void>;

  /**
   * Enqueue keys for every add, update and delete `informer` reports, and
   * wait for its cache before `run` starts workers. `toKeys` maps an object to
   * the keys to reconcile (default: its own key; e.g. a pod to its owner's).
   */
  protected enqueueFrom<T extends KubeObject>(informer: SharedInformer<T>, toKeys: (obj: T) => string[] = (obj) => [keyOf(obj)]): void {
    this.informers.push(informer as unknown as SharedInformer<never>);
    const enqueue = (obj: T): void => {
      for (const key of toKeys(obj)) this.queue.add(key);
    };
    informer.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_old, obj) => enqueue(obj),
      onDelete: enqueue,
    });
  }

  /** Queue `key` for a sync (deduped with any pending one). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Queue `key` after `delayMs` (for "check again later", e.g. a timeout that is not an error). */
  enqueueAfter(key: string, delayMs: number): void {
    this.queue.addAfter(key, delayMs);
  }

  /**
   * Wait for the caches given to `enqueueFrom`, then run `workers` workers
   * until `signal` aborts; then stop taking new keys, let the workers finish
   * what is in hand and queued, and resolve. Resolves at once if `signal`
   * aborts before the caches sync. A controller runs once.
   */
  async run(workers: number, signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`controller/${this.name}: run() called twice`);
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`controller/${this.name}: workers must be a positive integer, got ${workers}`);
    this.running = true;

    const synced = await Promise.all(this.informers.map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) {
      this.queue.shutDown();
      return;
    }
    this.logger.info(`caches synced, starting ${workers} worker(s)`);
    const loops = Array.from({ length: workers }, () => this.worker());
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await this.queue.shutDownWithDrain();
    await Promise.all(loops);
    this.logger.info('stopped');
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    try {
      await this.sync(key);
      this.queue.forget(key);
    } catch (err) {
      // Not absorbed: the key goes back on the queue with backoff, and the log
      // line is the only place a persistent failure is visible.
      this.queue.addRateLimited(key);
      this.logger.error(`sync "${key}" failed, requeued (attempt ${this.queue.numRequeues(key)}): ${(err as Error)?.message ?? String(err)}`, {
        key,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    } finally {
      this.queue.done(key);
    }
  }
}
