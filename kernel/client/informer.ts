/**
 * Shared informers, after client-go's: one list-and-watch per resource type
 * feeding a local cache and any number of event handlers, so N controllers
 * interested in pods cost the API server one watch, not N.
 *
 * The loop (client-go's Reflector):
 * 1. List, in pages of `pageSize` (limit/continue), and replace the cache
 *    with the result. The list's resourceVersion is where watching starts.
 * 2. Watch from the last resourceVersion seen, with bookmarks, so an idle
 *    watch still advances it and a resumed watch does not replay old events.
 * 3. The watch ends:
 *    - cleanly (server timeout, stop of a proxy): watch again from the last
 *      resourceVersion. No list, no duplicate events.
 *    - with 410 Expired/Gone (history compacted past our resourceVersion):
 *      list again and replace the cache, delivering only the differences as
 *      add/update/delete (objects deleted during the gap included). If the
 *      watch right after a relist expires at once, back off first.
 *    - with any other error: wait with exponential backoff, then watch again
 *      from the last resourceVersion (a 410 then triggers the relist).
 *
 * Objects in the cache and handed to handlers are deep-frozen (see cache.ts):
 * `deepCopy` before changing one. Handlers run synchronously, in order, and
 * should only do cheap work (a controller enqueues a key).
 */
import { deepCopy, type KubeList, type KubeObject, type WatchEvent } from '../api/types';
import { ApiError, isApiError } from '../api/errors';
import type { Status } from '../api/errors';
import type { ApiClient, ResourceType, WatchHandle } from './types';
import type { CacheReader, IndexFunc } from './cache';
import { ObjectCache, deepFreeze, keyOf } from './cache';
import type { Clock, TimerHandle } from './clock';
import { realClock, sleep } from './clock';
import type { Logger } from '../log';
import { ConsoleLogger } from '../log';

export interface DeleteInfo {
  /**
   * True when the deletion was inferred by a relist (the object vanished while
   * the watch was down): the object is the last state the cache saw, not the
   * state at deletion (client-go's `DeletedFinalStateUnknown`).
   */
  readonly finalStateUnknown: boolean;
}

export interface EventHandler<T extends KubeObject = KubeObject> {
  /** `isInInitialList`: delivered by the first list (or replayed to a handler added late). */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** Also called with `old === obj` on a periodic resync. */
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T, info: DeleteInfo): void;
}

export interface InformerOptions<T extends KubeObject = KubeObject> {
  /** Only this namespace (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Redeliver every cached object as an update this often (0 or absent: never). */
  resyncPeriodMs?: number;
  /** Objects per list page (default 500; 0 disables paging). */
  pageSize?: number;
  /** Indexes besides the built-in namespace index. */
  indexers?: Record<string, IndexFunc<T>>;
  /**
   * Applied to every object the informer receives (listed or watched)
   * before it is cached and handed to handlers, as client-go's
   * `SetTransform`. The informer owns the object: the function may change it
   * in place, and returns what to keep. Typically `stripManagedFields`, for
   * users that never read managedFields and would rather not hold them.
   */
  transform?: (obj: T) => T;
  /** Backoff after a failed list or watch: initial delay doubling up to max (default 800 ms .. 30 s), plus up to 50% jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** Server-side watch timeout (default: random between 5 and 10 minutes, like client-go, to spread reconnects). */
  watchTimeoutSeconds?: number;
  clock?: Clock;
  logger?: Logger;
}

/**
 * An informer transform that drops `metadata.managedFields` (client-go's
 * `TransformStripManagedFields`): server-side apply bookkeeping that most
 * informer users never read, and often the larger part of a cached object.
 */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}

/** A watch that ends this quickly without delivering anything counts as a failure (avoids a hot reconnect loop). */
const SHORT_WATCH_MS = 1000;

/** A 410 from the server: our resourceVersion is older than it keeps history for. */
export function isResourceExpired(err: unknown): boolean {
  return isApiError(err) && (err.reason === 'Expired' || err.reason === 'Gone' || err.code === 410);
}

export class SharedInformer<T extends KubeObject = KubeObject> {
  private readonly store: ObjectCache<T>;
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly what: string;
  private readonly abort = new AbortController();
  private started = false;
  private synced = false;
  private syncWaiters: Array<(synced: boolean) => void> = [];
  private currentWatch?: WatchHandle;
  private resyncTimer?: TimerHandle;
  private loop?: Promise<void>;
  private lastResourceVersion = '';

  constructor(
    private readonly client: ApiClient,
    readonly type: ResourceType,
    private readonly options: InformerOptions<T> = {},
  ) {
    this.store = new ObjectCache<T>(options.indexers);
    this.clock = options.clock ?? realClock;
    const resource = type.group ? `${type.resource}.${type.group}` : type.resource;
    const name = `client/informer/${resource}`;
    this.logger = options.logger?.child(name) ?? new ConsoleLogger(name);
    this.what = options.namespace ? `${resource} in ${options.namespace}` : resource;
  }

  /** The local cache: read-only, objects frozen. */
  get cache(): CacheReader<T> {
    return this.store;
  }

  /** The resourceVersion the informer has seen up to (from the list, events or bookmarks). */
  get lastSyncResourceVersion(): string {
    return this.lastResourceVersion;
  }

  /**
   * Register handlers. Added after the initial sync, the handler first gets
   * `onAdd` for every cached object. Returns a function that removes it.
   */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.synced) for (const obj of this.store.list()) this.call(handler, 'onAdd', () => handler.onAdd?.(obj, true));
    return () => this.handlers.delete(handler);
  }

  /** Add an index to the cache (objects already cached are indexed at once). */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.store.addIndexer(name, fn);
  }

  /** Start listing and watching in the background. Idempotent; a stopped informer does not restart. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.loop = this.run();
  }

  /** Stop watching; resolves when the loop has ended. The cache keeps its contents. */
  async stop(): Promise<void> {
    this.started = true; // a stopped informer must not start later
    if (!this.abort.signal.aborted) {
      this.abort.abort();
      this.currentWatch?.stop();
      if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
      for (const resolve of this.syncWaiters.splice(0)) resolve(false);
    }
    await this.loop;
  }

  /** True once the first list has been delivered to the cache and handlers. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced; false if the informer stops or `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.abort.signal.aborted || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
        resolve(false);
      };
      const waiter = (synced: boolean): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      this.syncWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!this.stopped) {
      let justListed = false;
      try {
        if (needList) {
          await this.listAndReplace();
          needList = false;
          justListed = true;
          failures = 0;
        }
        const { err, events, elapsedMs } = await this.watchOnce();
        if (this.stopped) return;
        if (!err) {
          if (events === 0 && elapsedMs < SHORT_WATCH_MS) throw new Error(`watch closed after ${elapsedMs} ms without delivering any event`);
          failures = 0;
          continue;
        }
        if (isResourceExpired(err)) {
          needList = true;
          // Expired straight after a fresh list: back off instead of spinning.
          if (justListed && events === 0 && elapsedMs < SHORT_WATCH_MS) throw err;
          this.logger.info(`watch of ${this.what} from resourceVersion ${this.lastResourceVersion} expired, relisting`, { reason: err.message });
          continue;
        }
        throw err;
      } catch (err) {
        if (this.stopped) return;
        const delay = this.backoffDelay(failures++);
        this.logger.error(`${needList ? 'list' : 'watch'} of ${this.what} failed, retrying in ${Math.round(delay)} ms: ${(err as Error).message}`);
        try {
          await sleep(this.clock, delay, this.abort.signal);
        } catch {
          return; // aborted: stop() was called
        }
      }
    }
  }

  private backoffDelay(failures: number): number {
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 800, maxMs: 30_000 };
    return Math.min(initialMs * 2 ** failures, maxMs) * (1 + Math.random() * 0.5);
  }

  /** List every page, then make the cache equal to the result. */
  private async listAndReplace(): Promise<void> {
    let result: { items: T[]; resourceVersion: string };
    try {
      result = await this.listAll(this.options.pageSize ?? 500);
    } catch (err) {
      // A continue token can expire between pages (410); like client-go's
      // pager, fall back to one unpaged list, which is consistent by itself.
      if (!isResourceExpired(err)) throw err;
      result = await this.listAll(0);
    }
    // Stopped mid-list: the pages we have are not the whole story.
    if (this.stopped) return;
    this.replace(result.items, result.resourceVersion);
  }

  private async listAll(pageSize: number): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let resourceVersion = '';
    let cont: string | undefined;
    do {
      const page: KubeList<T> = await this.client.list<T>(this.type, {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        limit: pageSize > 0 ? pageSize : undefined,
        continue: cont,
        signal: this.abort.signal,
      });
      // Items of a built-in list carry no apiVersion/kind; give them the
      // list's, so cached objects look the same whether listed or watched.
      const kind = (page.kind?.endsWith('List') ? page.kind.slice(0, -'List'.length) : '') || this.type.kind;
      const transform = this.options.transform;
      for (const item of page.items) {
        const typed = item.kind && item.apiVersion ? item : ({ apiVersion: page.apiVersion, kind, ...item } as T);
        items.push(transform ? transform(Object.isFrozen(typed) ? deepCopy(typed) : typed) : typed);
      }
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      cont = page.metadata?.continue || undefined;
    } while (cont && !this.stopped);
    return { items, resourceVersion };
  }

  /**
   * Make the cache equal to `items` and deliver the differences. The whole
   * cache is updated first, then handlers run (deletions first), so every
   * handler sees the post-list state however it reads the cache. Objects
   * whose resourceVersion did not change produce no event.
   */
  private replace(items: T[], resourceVersion: string): void {
    const initial = !this.synced;
    const deleted: T[] = [];
    const added: T[] = [];
    const updated: Array<[T, T]> = [];
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const old = this.store.get(key);
      if (old && old.metadata?.resourceVersion === item.metadata?.resourceVersion && old.metadata?.uid === item.metadata?.uid) continue;
      this.store.set(item);
      if (!old) added.push(item);
      else if (old.metadata?.uid !== item.metadata?.uid) {
        // Deleted and recreated under the same name while we were not watching.
        deleted.push(old);
        added.push(item);
      } else updated.push([old, item]);
    }
    for (const key of this.store.listKeys()) {
      if (!seen.has(key)) deleted.push(this.store.delete(key)!);
    }
    this.lastResourceVersion = resourceVersion;

    for (const obj of deleted) this.emit('onDelete', (h) => h.onDelete?.(obj, { finalStateUnknown: true }));
    for (const obj of added) this.emit('onAdd', (h) => h.onAdd?.(obj, initial));
    for (const [old, obj] of updated) this.emit('onUpdate', (h) => h.onUpdate?.(old, obj));

    if (initial) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve(true);
      this.scheduleResync();
    }
  }

  /** One watch, from the last resourceVersion; resolves when it closes. */
  private watchOnce(): Promise<{ err?: Error; events: number; elapsedMs: number }> {
    const startedAt = this.clock.now();
    let events = 0;
    return new Promise((resolve) => {
      let finished = false;
      let handle: WatchHandle | undefined;
      const finish = (err?: Error): void => {
        if (finished) return;
        finished = true;
        this.currentWatch = undefined;
        handle?.stop();
        resolve({ err, events, elapsedMs: this.clock.now() - startedAt });
      };
      try {
        handle = this.client.watch<T>(
          this.type,
          {
            namespace: this.options.namespace,
            labelSelector: this.options.labelSelector,
            fieldSelector: this.options.fieldSelector,
            resourceVersion: this.lastResourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: this.options.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random())),
          },
          {
            onEvent: (event) => {
              if (finished || this.stopped) return;
              events++;
              try {
                this.handleEvent(event);
              } catch (err) {
                finish(err as Error);
              }
            },
            onClose: (err) => finish(err),
          },
        );
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (finished) handle.stop();
      else this.currentWatch = handle;
    });
  }

  private handleEvent(event: WatchEvent<T>): void {
    const transform = this.options.transform;
    // The transform owns what it is given: a shared (frozen) object from the in-process client is copied first.
    const obj =
      transform && (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')
        ? transform(Object.isFrozen(event.object) ? deepCopy(event.object) : event.object)
        : event.object;
    switch (event.type) {
      case 'BOOKMARK':
        // Nothing changed; only our position in history moved forward.
        this.advance(obj);
        return;
      case 'ERROR': {
        // Transports turn ERROR events into onClose(err); be safe if one does not.
        const status = obj as unknown as Status;
        throw new ApiError(status.code ?? 500, (status.reason || 'InternalError') as ApiError['reason'], status.message ?? 'watch error', status.details);
      }
      case 'ADDED':
      case 'MODIFIED': {
        const old = this.store.set(obj);
        this.advance(obj);
        if (!old) this.emit('onAdd', (h) => h.onAdd?.(obj, false));
        else if (old.metadata?.uid !== obj.metadata?.uid) {
          this.emit('onDelete', (h) => h.onDelete?.(old, { finalStateUnknown: true }));
          this.emit('onAdd', (h) => h.onAdd?.(obj, false));
        } else this.emit('onUpdate', (h) => h.onUpdate?.(old, obj));
        return;
      }
      case 'DELETED': {
        const old = this.store.delete(keyOf(obj));
        this.advance(obj);
        // A deletion of something we never had (e.g. created and deleted
        // between list and watch) has no one to tell; skip it.
        if (old) {
          deepFreeze(obj);
          this.emit('onDelete', (h) => h.onDelete?.(obj, { finalStateUnknown: false }));
        }
        return;
      }
      default:
        throw new Error(`unknown watch event type ${JSON.stringify((event as { type: unknown }).type)}`);
    }
  }

  private advance(obj: KubeObject): void {
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.lastResourceVersion = rv;
  }

  private emit(what: keyof EventHandler<T>, call: (h: EventHandler<T>) => void): void {
    // A snapshot: a handler added by another handler starts with the next event.
    for (const handler of [...this.handlers]) this.call(handler, what, () => call(handler));
  }

  private call(_handler: EventHandler<T>, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // Deliberately absorbed: one broken handler must not stop the informer
      // or starve the other handlers of events.
      this.logger.error(`${what} handler for ${this.what} threw: ${(err as Error).message}`, { error: String((err as Error).stack ?? err) });
    }
  }

  private scheduleResync(): void {
    const period = this.options.resyncPeriodMs ?? 0;
    if (period <= 0 || this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      for (const obj of this.store.list()) this.emit('onUpdate', (h) => h.onUpdate?.(obj, obj));
      this.scheduleResync();
    }, period);
  }
}

export interface InformerFactoryOptions {
  /** Default namespace for informers that name none (default: all namespaces). */
  namespace?: string;
  resyncPeriodMs?: number;
  pageSize?: number;
  clock?: Clock;
  logger?: Logger;
  backoff?: { initialMs: number; maxMs: number };
}

export interface InformerSelector {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * One informer per resource type + namespace + selectors, shared by whoever
 * asks, started and stopped together (client-go's SharedInformerFactory).
 * The first caller's options (resync, indexers) configure a shared informer.
 */
export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private started = false;

  constructor(
    private readonly client: ApiClient,
    private readonly options: InformerFactoryOptions = {},
  ) {}

  informerFor<T extends KubeObject = KubeObject>(type: ResourceType, selector: InformerSelector & { indexers?: Record<string, IndexFunc<T>> } = {}): SharedInformer<T> {
    const namespace = selector.namespace ?? this.options.namespace ?? '';
    const key = JSON.stringify([type.group, type.version, type.resource, namespace, selector.labelSelector ?? '', selector.fieldSelector ?? '']);
    let informer = this.informers.get(key) as SharedInformer<T> | undefined;
    if (!informer) {
      informer = new SharedInformer<T>(this.client, type, {
        namespace: namespace || undefined,
        labelSelector: selector.labelSelector,
        fieldSelector: selector.fieldSelector,
        indexers: selector.indexers,
        resyncPeriodMs: this.options.resyncPeriodMs,
        pageSize: this.options.pageSize,
        clock: this.options.clock,
        logger: this.options.logger,
        backoff: this.options.backoff,
      });
      this.informers.set(key, informer as unknown as SharedInformer<KubeObject>);
      // Like client-go, an informer created after start() waits for the next start().
    } else if (selector.indexers) {
      for (const [name, fn] of Object.entries(selector.indexers)) {
        try {
          informer.addIndexer(name, fn);
        } catch {
          // Deliberately absorbed: a second caller asking for the same index name gets the existing one.
        }
      }
    }
    return informer;
  }

  /** Start every informer created so far (those already running are left alone). */
  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves true when every started informer has synced; false if `signal` aborts or one stops first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  /** Stop every informer; resolves when all their loops have ended. */
  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  get isStarted(): boolean {
    return this.started;
  }
}
