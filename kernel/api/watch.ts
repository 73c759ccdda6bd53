/**
 * API watches as client-go expects them: synthetic ADDED events for the
 * current state when resourceVersion is "" or "0" (or with sendInitialEvents),
 * every later change once and in order, objects entering or leaving a
 * selector reported as ADDED / DELETED, BOOKMARKs when asked for, and 410
 * Expired as an ERROR event when the requested resourceVersion is too old.
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

/** Store events decoded once, however many watchers receive them. */
const decoded = new WeakMap<StoreWatchEvent, { object: StoredObject; prev?: StoredObject }>();

function decodeEvent(event: StoreWatchEvent): { object: StoredObject; prev?: StoredObject } {
  let d = decoded.get(event);
  if (!d) {
    if (event.type === 'put') {
      d = { object: decodeFromStore(event.kv), prev: event.prevKv ? decodeFromStore(event.prevKv) : undefined };
    } else {
      // A delete: the last state, at the revision of the delete (as Kubernetes reports it).
      const prev = decodeFromStore(event.prevKv ?? event.kv);
      prev.metadata.resourceVersion = String(event.revision);
      d = { object: prev, prev };
    }
    decoded.set(event, d);
  }
  return d;
}

export class WatchManager {
  private readonly bookmarkIntervalMs: number;

  constructor(
    private readonly store: Store,
    private readonly rest: RestStorage,
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
    const exactName = fields.exact('metadata.name');
    const key = exactName !== undefined ? ResourceRegistry.key(resource, namespace, exactName) : undefined;
    // For cluster-wide lists of a namespaced resource the name alone does not make a key.
    const watchKey = key && (!resource.namespaced || namespace) ? key : undefined;

    let stopped = false;
    let storeWatcher: Watcher | undefined;
    let bookmarkTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let lastRevision = 0;

    const stop = () => {
      if (stopped) return;
      stopped = true;
      storeWatcher?.cancel();
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

    const onEvents = (events: StoreWatchEvent[]) => {
      if (stopped) return;
      const out: ApiWatchEvent[] = [];
      for (const e of events) {
        lastRevision = e.revision;
        const converted = this.convert(resource, e, labels, fields);
        if (converted) out.push(converted);
      }
      if (out.length > 0) sink.send(out);
    };
    const onError = (err: Error) => {
      if (stopped) return;
      if (isStoreError(err, 'Compacted')) {
        sink.send([{ type: 'ERROR', object: ApiError.expired(`too old resource version: ${startAfter} (${this.store.compactedRevision() + 1})`).toStatus() as unknown as Record<string, unknown> }]);
      }
      end();
    };

    try {
      storeWatcher = this.store.watch(watchKey ? { key: watchKey, afterRevision: startAfter } : { prefix, afterRevision: startAfter }, { onEvents, onError });
    } catch (err) {
      if (isStoreError(err, 'Compacted')) {
        // As Kubernetes: the watch starts, then reports 410 in an ERROR event.
        setImmediate(() => onError(err as Error));
        return { stop };
      }
      throw err;
    }

    if (request.allowWatchBookmarks) {
      bookmarkTimer = setInterval(() => {
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

  /** A store event as this watcher sees it, or undefined when it does not concern the watcher. */
  private convert(resource: ServedResource, event: StoreWatchEvent, labels: LabelMatcher, fields: FieldMatcher): ApiWatchEvent | undefined {
    const { object, prev } = decodeEvent(event);
    const filtering = !labels.empty || !fields.empty;
    if (event.type === 'delete') {
      if (filtering && !this.rest.matches(resource, object, labels, fields)) return undefined;
      return { type: 'DELETED', object };
    }
    if (!filtering) return { type: prev ? 'MODIFIED' : 'ADDED', object };
    const now = this.rest.matches(resource, object, labels, fields);
    const before = prev ? this.rest.matches(resource, prev, labels, fields) : false;
    if (now && before) return { type: 'MODIFIED', object };
    if (now) return { type: 'ADDED', object };
    if (before) {
      // Left the selection: report the last matching state at this revision.
      const left = { ...prev!, metadata: { ...prev!.metadata, resourceVersion: object.metadata.resourceVersion } };
      return { type: 'DELETED', object: left };
    }
    return undefined;
  }
}
