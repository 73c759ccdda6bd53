/**
 * core/v1 Events as Kubernetes components record them (what `kubectl describe`
 * shows): source component and host, reportingComponent/Instance, and
 * repeated events folded into one object whose `count` and `lastTimestamp`
 * grow, as client-go's EventCorrelator does:
 *
 * - the same event again (same object, field path, type, reason, message)
 *   patches the existing Event's count instead of creating another;
 * - more than 10 events that differ only in message within 10 minutes are
 *   combined into one: "(combined from similar events): <latest message>".
 *
 * Recording never blocks or fails the caller: writes go out in the
 * background, in order for each Event object, several at once across
 * objects; a failed write is logged and dropped, and when more than
 * MAX_PENDING writes wait (a burst larger than the API absorbs) new ones are
 * dropped, as client-go's broadcaster drops when its queue is full (events
 * are best effort in Kubernetes).
 */
import { createHash } from 'node:crypto';
import type { ApiClient } from './types';
import type { Clock } from './clock';
import type { Logger } from '../log';
import { isApiError } from '../api/errors';

export type EventType = 'Normal' | 'Warning';

export const EVENTS = { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true } as const;

/** The object an event is about. */
export interface InvolvedObject {
  readonly kind: string;
  readonly apiVersion: string;
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  /** `spec.containers{name}` for container events. */
  readonly fieldPath?: string;
}

/** Something that records events about pods and the node. */
export interface EventSink {
  record(object: InvolvedObject, type: EventType, reason: string, message: string): void;
}

/** An Event written before, for counting repeats into it. */
interface Recorded {
  /** The Event's name is `<object name>.<suffix>`. */
  readonly suffix: string;
  count: number;
  /** firstTimestamp, in seconds since the epoch (metav1.Time has second precision). */
  readonly firstSeconds: number;
}

interface Similar {
  /** The distinct messages seen in the window (one, most of the time, kept without a Set). */
  messages: string | Set<string>;
  lastSeen: number;
}

/** client-go's defaults: 10 similar events within 10 minutes are combined; the cache holds 4096 keys. */
const MAX_SIMILAR = 10;
const SIMILAR_WINDOW_MS = 10 * 60 * 1000;
const CACHE_SIZE = 4096;
/** Writes in flight at once (across Event objects). */
const MAX_IN_FLIGHT = 16;
/** Writes waiting before new events are dropped (client-go's broadcaster queue: 1000). */
const MAX_PENDING = 1000;

/**
 * A short fixed-size stand-in for a cache key (SHA-1, base64): the keys
 * name the object, reason, field path and message, and a node with 110 pods
 * (or a process with 1,000 simulated nodes) holds thousands of them.
 */
function digest(key: string): string {
  return createHash('sha1').update(key).digest('base64');
}

/** The object reference for a pod, with `fieldPath` for one of its containers. */
export function podRef(pod: { readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly uid?: string; readonly resourceVersion?: string } }, fieldPath?: string): InvolvedObject {
  const m = pod.metadata ?? {};
  return { kind: 'Pod', apiVersion: 'v1', name: m.name ?? '', namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, fieldPath };
}

/** `spec.containers{web}` / `spec.initContainers{setup}`: how Kubernetes names a container in an event. */
export function containerFieldPath(kind: 'init' | 'app', name: string): string {
  return kind === 'init' ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
}

/** The node's own reference (the kubelet uses the node name as uid). */
export function nodeRef(nodeName: string): InvolvedObject {
  return { kind: 'Node', apiVersion: 'v1', name: nodeName, uid: nodeName };
}

/** RFC 3339 at second precision, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class EventRecorder implements EventSink {
  private readonly recorded = new Map<string, Recorded>();
  private readonly similar = new Map<string, Similar>();
  /** The last write queued per Event object (name): the next one for it waits for it. */
  private readonly chains = new Map<string, Promise<void>>();
  private pending = 0;
  private inFlight = 0;
  private readonly slots: Array<() => void> = [];
  /** Events dropped because too many writes were waiting. */
  dropped = 0;
  private lastNanos = 0n;

  constructor(
    private readonly client: ApiClient,
    private readonly options: {
      /** The node it runs on (source.host; the kubelet's). Omitted for control-plane components. */
      readonly host?: string;
      readonly clock: Clock;
      readonly logger: Logger;
      /** source.component and reportingComponent (default `kubelet`). */
      readonly component?: string;
      /** reportingInstance (default: the host). */
      readonly instance?: string;
    },
  ) {}

  record(object: InvolvedObject, type: EventType, reason: string, message: string): void {
    const now = this.options.clock.now();
    // client-go's key also names the source (component and host), which is the same for every event of this recorder.
    const objectKey = [object.kind, object.namespace ?? '', object.name, object.uid ?? '', object.apiVersion, type, reason].join('\u0000');
    const similarKey = digest(objectKey);

    // The aggregator: many events that differ only in message become one.
    let effectiveMessage = message;
    const similar = this.similar.get(similarKey);
    const entry = similar ?? { messages: message, lastSeen: now };
    if (similar) {
      if (now - similar.lastSeen > SIMILAR_WINDOW_MS) similar.messages = message;
      else if (typeof similar.messages === 'string') {
        if (similar.messages !== message) similar.messages = new Set([similar.messages, message]);
      } else similar.messages.add(message);
    }
    entry.lastSeen = now;
    this.remember(this.similar, similarKey, entry);
    const combined = typeof entry.messages !== 'string' && entry.messages.size > MAX_SIMILAR;
    if (combined) effectiveMessage = `(combined from similar events): ${message}`;
    const key = digest(combined ? `${objectKey}\u0000combined` : `${objectKey}\u0000${object.fieldPath ?? ''}\u0000${message}`);

    const timestamp = rfc3339(now);
    const previous = this.recorded.get(key);
    const namespace = object.namespace || 'default';
    if (previous) {
      previous.count++;
      const count = previous.count;
      const name = `${object.name}.${previous.suffix}`;
      const first = rfc3339(previous.firstSeconds * 1000);
      this.enqueue(name, async () => {
        try {
          await this.client.patch(EVENTS, name, 'merge', { count, lastTimestamp: timestamp, message: effectiveMessage }, { namespace });
        } catch (err) {
          if (!isApiError(err, 'NotFound')) throw err;
          // The event expired (or was deleted): record it anew with what we know.
          await this.create(name, namespace, object, type, reason, effectiveMessage, first, timestamp, count);
        }
      });
      return;
    }
    const suffix = this.uniqueNanos(now).toString(16);
    this.remember(this.recorded, key, { suffix, count: 1, firstSeconds: Math.floor(now / 1000) });
    const name = `${object.name}.${suffix}`;
    this.enqueue(name, () => this.create(name, namespace, object, type, reason, effectiveMessage, timestamp, timestamp, 1));
  }

  /** Resolves once every event recorded so far has been written (or failed). */
  async flush(): Promise<void> {
    while (this.pending > 0) await Promise.all([...this.chains.values()]);
  }

  private async create(name: string, namespace: string, object: InvolvedObject, type: EventType, reason: string, message: string, first: string, last: string, count: number): Promise<void> {
    const component = this.options.component ?? 'kubelet';
    const involvedObject: Record<string, unknown> = { kind: object.kind, apiVersion: object.apiVersion, name: object.name };
    if (object.namespace) involvedObject.namespace = object.namespace;
    if (object.uid) involvedObject.uid = object.uid;
    if (object.resourceVersion) involvedObject.resourceVersion = object.resourceVersion;
    if (object.fieldPath) involvedObject.fieldPath = object.fieldPath;
    try {
      await this.client.create(
        EVENTS,
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject,
          reason,
          message,
          type,
          source: this.options.host ? { component, host: this.options.host } : { component },
          firstTimestamp: first,
          lastTimestamp: last,
          count,
          reportingComponent: component,
          reportingInstance: this.options.instance ?? this.options.host ?? '',
        },
        { namespace },
      );
    } catch (err) {
      // A second agent (or a restart) may have created it already: count it in instead.
      if (!isApiError(err, 'AlreadyExists')) throw err;
      await this.client.patch(EVENTS, name, 'merge', { count, lastTimestamp: last, message }, { namespace });
    }
  }

  private enqueue(name: string, write: () => Promise<void>): void {
    if (this.pending >= MAX_PENDING) {
      // Deliberately dropped: the API is not keeping up; the caller must not wait or grow without bound.
      if (this.dropped++ % 1000 === 0) this.options.logger.warn(`dropping events: ${MAX_PENDING} writes are waiting (${this.dropped} dropped so far)`);
      return;
    }
    this.pending++;
    const previous = this.chains.get(name) ?? Promise.resolve();
    const run = previous
      .then(() => this.slot())
      .then(async (release) => {
        try {
          await write();
        } finally {
          release();
        }
      })
      .catch((err: unknown) => {
        // Deliberately absorbed: events are best effort; a lost event must not fail a pod.
        this.options.logger.warn(`could not write event: ${(err as Error)?.message ?? String(err)}`);
      })
      .finally(() => {
        this.pending--;
        if (this.chains.get(name) === run) this.chains.delete(name);
      });
    this.chains.set(name, run);
  }

  /** Wait for one of the MAX_IN_FLIGHT write slots; resolves to its release. */
  private slot(): Promise<() => void> {
    const release = () => {
      const next = this.slots.shift();
      if (next) next();
      else this.inFlight--;
    };
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight++;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => this.slots.push(() => resolve(release)));
  }

  /** Event names are `<object>.<nanoseconds in hex>` (client-go's), unique even within one millisecond. */
  private uniqueNanos(nowMs: number): bigint {
    let nanos = BigInt(nowMs) * 1_000_000n;
    if (nanos <= this.lastNanos) nanos = this.lastNanos + 1n;
    this.lastNanos = nanos;
    return nanos;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > CACHE_SIZE) map.delete(map.keys().next().value as string);
  }
}
