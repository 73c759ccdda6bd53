/**
 * API watches as client-go expects them: synthetic ADDED events for the
 * current state when resourceVersion is "" or "0" (or with sendInitialEvents),
 * every later change once and in order, objects entering or leaving a
 * selector reported as ADDED / DELETED, BOOKMARKs when asked for, and 410
 * Expired as an ERROR event when the requested resourceVersion is too old.
 *
 * Fan-out, as Kubernetes' watch cache does it: the watchers of one resource
 * share one store watch (a `ResourceWatchers`), each store event is decoded
 * once, and it is offered only to the watchers that could care. Watchers
 * whose field selector pins a field to a value (`spec.nodeName=node-7`,
 * `metadata.name=x`) are indexed by that value, so a pod event reaches the
 * watcher of its node (and of its previous node, to report the pod leaving),
 * not a thousand node agents' watchers that would each decide it is not
 * theirs. Watchers without such a selector are indexed by namespace, or see
 * every event of the resource. A watcher that starts in the past (a
 * resourceVersion older than the shared watch's position) is replayed the
 * events it missed from the shared watch's recent history, which is the
 * store's own history (shared event objects) and is trimmed with it.
 */
import type { Store, WatchEvent as StoreWatchEvent, Watcher } from '../store/types';
import { isStoreError } from '../store/types';
import { ApiError } from './errors';
import { ResourceRegistry, ServedResource } from './registry';
import { invalidResourceVersion, type RestStorage } from './rest';
import { decodeFromStore, parseResourceVersion } from './codec';
import type { StoredObject, WatchEventType } from './types';
import type { FieldMatcher, LabelMatcher } from './selectors';
import { parseLabelSelector } from './selectors';

/** One event for a watcher; `object` is shared between watchers and must not be mutated. */
export interface ApiWatchEvent {
  type: WatchEventType;
  object: StoredObject | Record<string, unknown>;
}

export interface WatchSink {
  /** Deliver events in order. */
  send(events: ApiWatchEvent[]): void;
  /** The watch ended (timeout, store closed); the transport closes the stream. */
  end(): void;
}

export interface WatchRequest {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

export interface WatchHandle {
  stop(): void;
}

export interface WatchManagerOptions {
  /** How often to send BOOKMARK events to watchers that allow them (Kubernetes: about a minute). */
  bookmarkIntervalMs?: number;
}

/** What watches need of the REST layer (selectors and the initial list). */
export type WatchRest = Pick<RestStorage, 'list' | 'fieldMatcher' | 'selectableFields'>;

/** A store event decoded: the object now (for a delete, its last state at the delete's revision) and before. */
interface Decoded {
  readonly object: StoredObject;
  readonly prev?: StoredObject;
}

function decodeEvent(event: StoreWatchEvent): Decoded {
  if (event.type === 'put') return { object: decodeFromStore(event.kv), prev: event.prevKv ? decodeFromStore(event.prevKv) : undefined };
  // A delete: the last state, at the revision of the delete (as Kubernetes reports it).
  const prev = decodeFromStore(event.prevKv ?? event.kv);
  prev.metadata.resourceVersion = String(event.revision);
  return { object: prev, prev };
}

/** One API watch, as the shared store watch of its resource sees it. */
interface ApiWatcher {
  /** Its store key prefix (the resource, or the resource in one namespace). */
  readonly prefix: string;
  readonly labels: LabelMatcher;
  readonly fields: FieldMatcher;
  /** Where it is indexed: a field pinned to a value, a namespace, or nothing (every event). */
  readonly index: { readonly field: string; readonly value: string } | { readonly namespace: string } | undefined;
  /** Events at or before this revision are not for it (it has them already). */
  readonly after: number;
  stopped: boolean;
  send(events: ApiWatchEvent[]): void;
  /** The shared watch ended with `err`. */
  fail(err: Error): void;
}

/**
 * The watchers of one resource and the store watch they share. `recent`
 * holds the store events of the resource with revision in (floor, position]
 * (the store's history, so no older than its compacted revision); every
 * event after `position` is still to come through `onEvents`. So a watcher
 * that starts after any revision >= floor misses nothing and gets nothing
 * twice: the recent events after its revision, then everything dispatched.
 */
class ResourceWatchers {
  private readonly everything = new Set<ApiWatcher>();
  private readonly byNamespace = new Map<string, Set<ApiWatcher>>();
  /** field → value → watchers whose selector pins the field to the value. */
  private readonly byField = new Map<string, Map<string, Set<ApiWatcher>>>();
  private recent: StoreWatchEvent[] = [];
  private recentHead = 0;
  private floor: number;
  private position: number;
  private readonly storeWatcher: Watcher;
  private size = 0;
  private closed = false;
  /** No watcher wants events at or before this (a lower bound: history replayed at the start is skipped undecoded). */
  private minAfter = Infinity;

  constructor(
    private readonly store: Store,
    private readonly rest: WatchRest,
    private readonly resource: ServedResource,
    /** Called once no watcher is left, or the store watch ended. */
    private readonly dispose: () => void,
  ) {
    // From the oldest revision the store still has, so any watcher it could serve can join.
    this.floor = store.compactedRevision();
    this.position = this.floor;
    this.storeWatcher = store.watch({ prefix: ResourceRegistry.prefix(resource), afterRevision: this.floor }, { onEvents: (events) => this.onEvents(events), onError: (err) => this.onError(err) });
  }

  /** Everything up to this revision has been dispatched (for BOOKMARKs). */
  get revision(): number {
    return this.position;
  }

  /** Whether a watcher starting after `revision` can join (false: that part of history is gone). */
  covers(revision: number): boolean {
    this.trim();
    return !this.closed && revision >= this.floor;
  }

  /** Add a watcher (after `covers(watcher.after)`): the recent events it has not seen are sent to it now. */
  add(watcher: ApiWatcher): void {
    this.bucket(watcher, true);
    this.size++;
    if (watcher.after < this.minAfter) this.minAfter = watcher.after;
    if (watcher.after >= this.position) return;
    // Recent events are in revision order: find the first one after the watcher's revision.
    let lo = this.recentHead;
    let hi = this.recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.recent[mid]!.revision <= watcher.after) lo = mid + 1;
      else hi = mid;
    }
    const out: ApiWatchEvent[] = [];
    for (let i = lo; i < this.recent.length; i++) {
      const event = this.recent[i]!;
      if (!event.kv.key.startsWith(watcher.prefix)) continue;
      const d = decodeEvent(event);
      const converted = this.convert(watcher, event, d, this.fieldsOf(d.object), d.prev && this.fieldsOf(d.prev));
      if (converted) out.push(converted);
    }
    if (out.length > 0) this.deliver(watcher, out);
  }

  remove(watcher: ApiWatcher): void {
    if (!this.bucket(watcher, false)) return;
    if (--this.size === 0) this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.storeWatcher.cancel();
    this.recent = [];
    this.dispose();
  }

  /** Add to (or remove from) the watcher's index bucket; false if it was not there. */
  private bucket(watcher: ApiWatcher, add: boolean): boolean {
    let set: Set<ApiWatcher> | undefined;
    const index = watcher.index;
    if (!index) set = this.everything;
    else if ('namespace' in index) {
      set = this.byNamespace.get(index.namespace);
      if (!set && add) this.byNamespace.set(index.namespace, (set = new Set()));
    } else {
      let values = this.byField.get(index.field);
      if (!values && add) this.byField.set(index.field, (values = new Map()));
      set = values?.get(index.value);
      if (!set && add) values!.set(index.value, (set = new Set()));
    }
    if (!set) return false;
    if (add) {
      set.add(watcher);
      return true;
    }
    const had = set.delete(watcher);
    if (set.size === 0 && index) {
      if ('namespace' in index) this.byNamespace.delete(index.namespace);
      else {
        const values = this.byField.get(index.field)!;
        values.delete(index.value);
        if (values.size === 0) this.byField.delete(index.field);
      }
    }
    return had;
  }

  private onEvents(events: StoreWatchEvent[]): void {
    if (this.closed) return;
    for (const event of events) this.recent.push(event);
    this.position = events[events.length - 1]!.revision;
    this.trim();
    const out = new Map<ApiWatcher, ApiWatchEvent[]>();
    const candidates: ApiWatcher[] = [];
    const keyPrefix = this.resource.keyPrefix;
    for (const event of events) {
      if (event.revision <= this.minAfter) continue;
      candidates.length = 0;
      for (const w of this.everything) candidates.push(w);
      if (this.byNamespace.size > 0 && this.resource.namespaced) {
        // The namespace is in the key (`<prefix><namespace>/<name>`): no decoding needed to find its watchers.
        const key = event.kv.key;
        const set = this.byNamespace.get(key.slice(keyPrefix.length, key.indexOf('/', keyPrefix.length)));
        if (set) for (const w of set) candidates.push(w);
      }
      // Only the watchers that could care need the event decoded.
      let d: Decoded | undefined;
      let now: Record<string, string> | undefined;
      let before: Record<string, string> | undefined;
      if (this.byField.size > 0) {
        d ??= decodeEvent(event);
        now = this.fieldsOf(d.object);
        before = d.prev && this.fieldsOf(d.prev);
        for (const [field, values] of this.byField) {
          const a = now[field];
          const b = before?.[field];
          const setA = a === undefined ? undefined : values.get(a);
          if (setA) for (const w of setA) candidates.push(w);
          // An object moving between values leaves one watcher (DELETED) and enters another (ADDED).
          const setB = b === undefined || b === a ? undefined : values.get(b);
          if (setB) for (const w of setB) candidates.push(w);
        }
      }
      if (candidates.length === 0) continue;
      d ??= decodeEvent(event);
      for (const w of candidates) {
        if (w.stopped || event.revision <= w.after || !event.kv.key.startsWith(w.prefix)) continue;
        if (!w.fields.empty && now === undefined) {
          now = this.fieldsOf(d.object);
          before = d.prev && this.fieldsOf(d.prev);
        }
        const converted = this.convert(w, event, d, now, before);
        if (!converted) continue;
        const list = out.get(w);
        if (list) list.push(converted);
        else out.set(w, [converted]);
      }
    }
    // One send per watcher per store batch, as each had its own store watch before.
    for (const [w, list] of out) this.deliver(w, list);
  }

  private deliver(w: ApiWatcher, events: ApiWatchEvent[]): void {
    if (w.stopped) return;
    try {
      w.send(events);
    } catch (err) {
      // One consumer's fault ends its own watch, not the others'.
      w.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private onError(err: Error): void {
    if (this.closed) return;
    const all = [...this.everything, ...[...this.byNamespace.values()].flatMap((s) => [...s]), ...[...this.byField.values()].flatMap((m) => [...m.values()].flatMap((s) => [...s]))];
    this.close();
    for (const w of all) if (!w.stopped) w.fail(err);
  }

  /** Drop recent events the store no longer has (they could not be watched from any more). */
  private trim(): void {
    const compacted = this.store.compactedRevision();
    if (compacted <= this.floor) return;
    this.floor = compacted;
    if (this.position < compacted) this.position = compacted;
    while (this.recentHead < this.recent.length && this.recent[this.recentHead]!.revision <= compacted) this.recent[this.recentHead++] = undefined as unknown as StoreWatchEvent;
    if (this.recentHead > 1024 && this.recentHead * 2 > this.recent.length) {
      this.recent = this.recent.slice(this.recentHead);
      this.recentHead = 0;
    }
  }

  private fieldsOf(object: StoredObject): Record<string, string> {
    return this.rest.selectableFields(this.resource, object);
  }

  /** A store event as the watcher sees it, or undefined when it does not concern it. */
  private convert(w: ApiWatcher, event: StoreWatchEvent, d: Decoded, now: Record<string, string> | undefined, before: Record<string, string> | undefined): ApiWatchEvent | undefined {
    const { object, prev } = d;
    const { labels, fields } = w;
    const filtering = !labels.empty || !fields.empty;
    const matches = (o: StoredObject, f: Record<string, string> | undefined) => (labels.empty || labels.matches(o.metadata.labels)) && (fields.empty || fields.matches(f!));
    if (event.type === 'delete') {
      if (filtering && !matches(object, now)) return undefined;
      return { type: 'DELETED', object };
    }
    if (!filtering) return { type: prev ? 'MODIFIED' : 'ADDED', object };
    const isIn = matches(object, now);
    const wasIn = prev ? matches(prev, before) : false;
    if (isIn && wasIn) return { type: 'MODIFIED', object };
    if (isIn) return { type: 'ADDED', object };
    if (wasIn) {
      // Left the selection: report the last matching state at this revision.
      const left = { ...prev!, metadata: { ...prev!.metadata, resourceVersion: object.metadata.resourceVersion } };
      return { type: 'DELETED', object: left };
    }
    return undefined;
  }
}

/** The field a watcher is indexed by: one its selector pins to a value (metadata.name first, the most selective). */
function indexFor(resource: ServedResource, namespace: string | undefined, fields: FieldMatcher): ApiWatcher['index'] {
  const pinned = fields.requirements.filter((r) => r.operator === '=');
  const byName = pinned.find((r) => r.field === 'metadata.name');
  const chosen = byName ?? pinned.find((r) => r.field !== 'metadata.namespace') ?? pinned[0];
  if (chosen) return { field: chosen.field, value: chosen.value };
  if (resource.namespaced && namespace) return { namespace };
  return undefined;
}

export class WatchManager {
  private readonly bookmarkIntervalMs: number;
  private readonly shared = new Map<string, ResourceWatchers>();

  constructor(
    private readonly store: Store,
    private readonly rest: WatchRest,
    options: WatchManagerOptions = {},
  ) {
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
  }

  /** Start a watch; validation errors throw (400) before anything is sent. */
  async watch(resource: ServedResource, namespace: string | undefined, request: WatchRequest, sink: WatchSink): Promise<WatchHandle> {
    const labels = parseLabelSelector(request.labelSelector);
    const fields = this.rest.fieldMatcher(resource, request.fieldSelector);
    const rv = parseResourceVersion(request.resourceVersion);
    if (rv !== undefined && Number.isNaN(rv)) throw invalidResourceVersion(request.resourceVersion!);
    const prefix = ResourceRegistry.prefix(resource, namespace);

    let stopped = false;
    let detach: (() => void) | undefined;
    let bookmarkTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let lastRevision = 0;

    const stop = () => {
      if (stopped) return;
      stopped = true;
      if (watcher) watcher.stopped = true;
      detach?.();
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      if (timeoutTimer) clearTimeout(timeoutTimer);
    };
    const end = () => {
      if (stopped) return;
      stop();
      sink.end();
    };
    const bookmark = (initialEventsEnd = false): ApiWatchEvent => ({
      type: 'BOOKMARK',
      object: {
        kind: resource.kind,
        apiVersion: resource.apiVersion,
        metadata: initialEventsEnd ? { resourceVersion: String(lastRevision), annotations: { 'k8s.io/initial-events-end': 'true' } } : { resourceVersion: String(lastRevision) },
      },
    });

    // Initial state: "" and "0" (legacy semantics) or sendInitialEvents.
    const initial = request.sendInitialEvents ?? (rv === undefined || rv === 0);
    let startAfter: number;
    if (initial) {
      const list = await this.rest.list(resource, namespace, { labelSelector: request.labelSelector, fieldSelector: request.fieldSelector });
      startAfter = Number(list.metadata.resourceVersion);
      lastRevision = startAfter;
      const events: ApiWatchEvent[] = list.items.map((object) => ({ type: 'ADDED', object }));
      if (request.sendInitialEvents && request.allowWatchBookmarks) events.push(bookmark(true));
      if (events.length > 0) sink.send(events);
    } else {
      startAfter = rv!;
      lastRevision = startAfter;
    }

    const expired = () => {
      sink.send([{ type: 'ERROR', object: ApiError.expired(`too old resource version: ${startAfter} (${this.store.compactedRevision() + 1})`).toStatus() as unknown as Record<string, unknown> }]);
    };
    let watcher: ApiWatcher | undefined;
    const key = `${resource.apiVersion}\u0000${resource.keyPrefix}`;
    let group = this.shared.get(key);
    if (!group || !group.covers(startAfter)) {
      if (startAfter < this.store.compactedRevision()) {
        // As Kubernetes: the watch starts, then reports 410 in an ERROR event.
        setImmediate(() => {
          if (stopped) return;
          expired();
          end();
        });
        return { stop };
      }
      group = new ResourceWatchers(this.store, this.rest, resource, () => {
        if (this.shared.get(key) === group) this.shared.delete(key);
      });
      this.shared.set(key, group);
    }
    const shared = group;
    watcher = {
      prefix,
      labels,
      fields,
      index: indexFor(resource, namespace, fields),
      after: startAfter,
      stopped: false,
      send: (events) => sink.send(events),
      fail: (err) => {
        if (stopped) return;
        if (isStoreError(err, 'Compacted')) expired();
        end();
      },
    };
    detach = () => shared.remove(watcher!);
    shared.add(watcher);

    if (request.allowWatchBookmarks) {
      bookmarkTimer = setInterval(() => {
        // Everything the shared watch has dispatched up to its position has reached this watcher.
        lastRevision = Math.max(lastRevision, shared.revision);
        if (!stopped && lastRevision > 0) sink.send([bookmark()]);
      }, this.bookmarkIntervalMs);
      bookmarkTimer.unref();
    }
    // Without timeoutSeconds Kubernetes closes watches after 30-60 minutes, so clients re-list now and then.
    const timeoutMs = request.timeoutSeconds !== undefined ? request.timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000;
    timeoutTimer = setTimeout(end, timeoutMs);
    timeoutTimer.unref();
    return { stop };
  }
}
