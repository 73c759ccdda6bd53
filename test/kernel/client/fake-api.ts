/**
 * FakeApiClient: an in-memory `ApiClient` test double for informer and
 * controller unit tests. It keeps the Kubernetes semantics controllers rely
 * on, and lets a test break things on purpose.
 *
 * Faithful:
 * - resourceVersions from one counter across all types (a list's is the
 *   counter; an object's is the write that last changed it); a no-op update
 *   does not bump it;
 * - 404 NotFound, 409 AlreadyExists / Conflict (stale resourceVersion on
 *   update or patch, delete preconditions), 400 for bad selectors;
 * - label and field selectors on list and watch; a watch with a selector sees
 *   an object leaving it as DELETED and entering it as ADDED, like the API
 *   server's watch cache;
 * - list paging with limit/continue (a continue token older than the
 *   compaction point is 410 Expired);
 * - watch from a resourceVersion replays history after it; "" or "0"
 *   first delivers the current state as ADDED; a compacted resourceVersion
 *   fails with 410 Expired; bookmarks on request (`bookmark()`);
 * - finalizers: delete sets deletionTimestamp, removing the last finalizer
 *   deletes; `generation` bumps when anything outside metadata and status
 *   changes;
 * - the `status` subresource: updates and patches of the main resource keep
 *   the stored status, those of `status` change only status (as for every
 *   type with a status subresource); `pods/binding` sets spec.nodeName.
 *
 * Simplified (say so in a test that depends on it):
 * - patch: merge (RFC 7386) and json (RFC 6902) exactly; `strategic` falls
 *   back to merge (lists are replaced, not merged by key); `apply` is a merge
 *   that creates the object if missing, without field ownership;
 * - list ignores `resourceVersion` (always the latest state), and paging is
 *   not a snapshot; watches ignore `timeoutSeconds` (close them with
 *   `closeWatches()`); deletion ignores propagationPolicy (no garbage
 *   collector) and grace periods.
 *
 * Watch events are delivered asynchronously (in microtasks, in order), as a
 * real transport would; `await fake.flush()` lets them all land.
 */
import { randomUUID } from 'node:crypto';
import * as jsonpatch from 'fast-json-patch';
import { ApiError, FieldError } from '../../../kernel/api/errors';
import type { Status } from '../../../kernel/api/errors';
import type { KubeList, KubeObject, ObjectMeta, StoredObject, WatchEvent, WatchEventType } from '../../../kernel/api/types';
import { apiVersionOf, deepCopy } from '../../../kernel/api/types';
import type {
  ApiClient,
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  RequestOptions,
  ResourceType,
  WatchHandle,
  WatchHandlers,
  WatchOptions,
  WriteOptions,
} from '../../../kernel/client/types';
import type { Matcher } from './fake-selectors';
import { fieldMatcher, labelMatcher } from './fake-selectors';

export type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'watch';

/** One request the fake received, for assertions. */
export interface FakeCall {
  verb: Verb;
  resource: string;
  namespace?: string;
  name?: string;
  options?: unknown;
}

interface HistoryEntry {
  rv: number;
  typeKey: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: StoredObject;
  /** The state before a MODIFIED or DELETED. */
  prev?: StoredObject;
}

interface FakeWatch {
  typeKey: string;
  namespace?: string;
  matches: Matcher;
  bookmarks: boolean;
  handlers: WatchHandlers<KubeObject>;
  closed: boolean;
}

interface Injected {
  verb: Verb;
  resource?: string;
  error: Error;
  times: number;
}

export interface FakeApiOptions {
  /** Timestamps for creationTimestamp/deletionTimestamp (default: real time). */
  now?: () => Date;
}

const typeKeyOf = (type: ResourceType): string => `${type.group}/${type.resource}`;
const qualified = (type: ResourceType) => ({ group: type.group, resource: type.resource });

export class FakeApiClient implements ApiClient {
  readonly calls: FakeCall[] = [];
  private readonly objects = new Map<string, StoredObject>();
  private readonly history: HistoryEntry[] = [];
  private readonly watches = new Set<FakeWatch>();
  private readonly injected: Injected[] = [];
  private revision = 0;
  /** History at or before this revision is gone. */
  private compactedRevision = 0;
  private readonly now: () => Date;

  constructor(options: FakeApiOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  // ---- test controls ------------------------------------------------------

  /** The current revision (the resourceVersion a list would report now). */
  get resourceVersion(): string {
    return String(this.revision);
  }

  /** Watches currently open. */
  get activeWatches(): number {
    return this.watches.size;
  }

  /** Calls of one verb (optionally one resource). */
  callsOf(verb: Verb, resource?: string): FakeCall[] {
    return this.calls.filter((c) => c.verb === verb && (resource === undefined || c.resource === resource));
  }

  /** Make the next `times` calls of `verb` (on `resource`, if given) fail with `error`. */
  failNext(verb: Verb, error: Error, options: { resource?: string; times?: number } = {}): void {
    this.injected.push({ verb, resource: options.resource, error, times: options.times ?? 1 });
  }

  /** Forget history up to `revision` (default: now): watches from before it get 410 Expired. */
  compact(revision = this.revision): void {
    this.compactedRevision = Math.max(this.compactedRevision, revision);
    while (this.history.length > 0 && this.history[0]!.rv <= this.compactedRevision) this.history.shift();
  }

  /** End every open watch, after the events already sent: cleanly, or with `error` passed to onClose. */
  closeWatches(error?: Error): void {
    for (const w of [...this.watches]) this.endWatch(w, error);
  }

  /** End every open watch the way the API server does when history is gone: an ERROR event with a 410 Status. */
  expireWatches(message = 'too old resource version'): void {
    this.closeWatches(ApiError.expired(message));
  }

  /** Send a BOOKMARK with the current resourceVersion to watches that allow bookmarks. */
  bookmark(): void {
    const object = { kind: 'Status', apiVersion: 'v1', metadata: { resourceVersion: String(this.revision) } } as KubeObject;
    for (const w of this.watches) if (w.bookmarks) this.send(w, { type: 'BOOKMARK', object });
  }

  /** Let pending watch deliveries land. */
  flush(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  // ---- ApiClient --------------------------------------------------------------

  async get<T extends KubeObject = KubeObject>(type: ResourceType, name: string, options: RequestOptions = {}): Promise<T> {
    this.record('get', type, options.namespace, name, options);
    const stored = this.objects.get(this.key(type, options.namespace, name));
    if (!stored) throw ApiError.notFound(qualified(type), name);
    return deepCopy(stored) as unknown as T;
  }

  async list<T extends KubeObject = KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    this.record('list', type, options.namespace, undefined, options);
    const labels = labelMatcher(options.labelSelector);
    const fields = fieldMatcher(options.fieldSelector);
    let after = '';
    let listRevision = this.revision;
    if (options.continue) {
      const token = decodeContinue(options.continue);
      if (token.rv <= this.compactedRevision) {
        throw ApiError.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      after = token.after;
      listRevision = token.rv;
    }
    const matching = this.select(type, options.namespace, (o) => labels(o) && fields(o)).filter(([key]) => key > after);
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const page = matching.slice(0, limit);
    const metadata: KubeList['metadata'] = { resourceVersion: String(listRevision) };
    if (matching.length > page.length) {
      metadata.continue = encodeContinue(page[page.length - 1]![0], listRevision);
      metadata.remainingItemCount = matching.length - page.length;
    }
    return {
      apiVersion: apiVersionOf(type.group, type.version),
      kind: `${type.kind ?? page[0]?.[1].kind ?? ''}List`,
      metadata,
      items: page.map(([, o]) => deepCopy(o) as unknown as T),
    };
  }

  async create<T extends KubeObject = KubeObject>(type: ResourceType, object: KubeObject, options: WriteOptions & { name?: string } = {}): Promise<T> {
    this.record('create', type, options.namespace ?? object.metadata?.namespace, options.name ?? object.metadata?.name, options);
    const namespace = this.namespaceFor(type, object, options.namespace);
    if (options.subresource) return this.createSubresource(type, object, namespace, options) as Promise<T>;

    const obj = deepCopy(object);
    obj.metadata = { ...(obj.metadata ?? {}) };
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + randomUUID().slice(0, 5);
    const name = obj.metadata.name;
    const kind = obj.kind ?? type.kind ?? type.resource;
    if (!name) throw ApiError.invalid(kind, type.group, '', [FieldError.required('metadata.name', 'name or generateName is required')]);
    const key = this.key(type, namespace, name);
    if (this.objects.has(key)) throw ApiError.alreadyExists(qualified(type), name);

    obj.apiVersion ??= apiVersionOf(type.group, type.version);
    obj.kind = kind;
    if (namespace) obj.metadata.namespace = namespace;
    mut(obj.metadata).uid = randomUUID();
    mut(obj.metadata).creationTimestamp = this.now().toISOString();
    mut(obj.metadata).generation = 1;
    delete mut(obj.metadata).deletionTimestamp;
    if (options.dryRun) return { ...obj, metadata: { ...obj.metadata, resourceVersion: '' } } as T;
    mut(obj.metadata).resourceVersion = String(++this.revision);
    const stored = obj as StoredObject;
    this.objects.set(key, stored);
    this.emit({ rv: this.revision, typeKey: typeKeyOf(type), type: 'ADDED', object: stored });
    return deepCopy(stored) as unknown as T;
  }

  async update<T extends KubeObject = KubeObject>(type: ResourceType, object: KubeObject, options: WriteOptions = {}): Promise<T> {
    const name = object.metadata?.name;
    this.record('update', type, options.namespace ?? object.metadata?.namespace, name, options);
    const namespace = this.namespaceFor(type, object, options.namespace);
    if (!name) throw ApiError.invalid(object.kind ?? type.resource, type.group, '', [FieldError.required('metadata.name', '')]);
    const existing = this.mustGet(type, namespace, name);
    const rv = object.metadata?.resourceVersion;
    if (rv && rv !== existing.metadata.resourceVersion) throw ApiError.conflict(qualified(type), name);
    return this.write(type, existing, deepCopy(object), options) as Promise<T>;
  }

  async patch<T extends KubeObject = KubeObject>(type: ResourceType, name: string, patchType: PatchType, patch: unknown, options: PatchOptions = {}): Promise<T> {
    this.record('patch', type, options.namespace, name, { patchType, patch, ...options });
    const body: unknown = typeof patch === 'string' ? parseJson(patch) : deepCopy(patch);
    if (patchType === 'apply' && !options.fieldManager) {
      throw ApiError.badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    }
    const key = this.key(type, options.namespace, name);
    const existing = this.objects.get(key);
    if (!existing) {
      if (patchType !== 'apply') throw ApiError.notFound(qualified(type), name);
      // Server-side apply creates what does not exist.
      const created = { ...(body as KubeObject), metadata: { ...((body as KubeObject).metadata ?? {}), name } };
      return this.create<T>(type, created, { ...options, namespace: options.namespace });
    }

    let patched: KubeObject;
    switch (patchType) {
      case 'json': {
        if (!Array.isArray(body)) throw ApiError.badRequest('json patch must be an array of operations');
        try {
          patched = jsonpatch.applyPatch(deepCopy(existing) as KubeObject, body as jsonpatch.Operation[], true, true).newDocument;
        } catch (err) {
          throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${(err as Error).message}`, undefined, { cause: err });
        }
        break;
      }
      case 'merge':
      case 'strategic': // Simplification: strategic merge falls back to JSON merge (lists replaced, not merged by key).
      case 'apply': // Simplification: apply is a merge without field ownership.
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw ApiError.badRequest(`${patchType} patch must be a JSON object`);
        patched = mergePatch(deepCopy(existing), body) as KubeObject;
        break;
      default:
        throw ApiError.unsupportedMediaType(String(patchType));
    }
    const rv = patched.metadata?.resourceVersion;
    if (rv && rv !== existing.metadata.resourceVersion) throw ApiError.conflict(qualified(type), name);
    return this.write(type, existing, patched, options) as Promise<T>;
  }

  async delete(type: ResourceType, name: string, options: DeleteOptions = {}): Promise<KubeObject | Status> {
    this.record('delete', type, options.namespace, name, options);
    const existing = this.mustGet(type, options.namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw ApiError.conflict(qualified(type), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw ApiError.conflict(qualified(type), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`);
    }
    if (options.dryRun) return deepCopy(existing);
    if (existing.metadata.finalizers?.length) {
      if (existing.metadata.deletionTimestamp) return deepCopy(existing);
      const next = deepCopy(existing);
      mut(next.metadata).deletionTimestamp = this.now().toISOString();
      return this.store(type, existing, next);
    }
    return this.remove(type, existing);
  }

  async deleteCollection(type: ResourceType, options: ListOptions & DeleteOptions = {}): Promise<KubeList | Status> {
    this.record('deletecollection', type, options.namespace, undefined, options);
    const labels = labelMatcher(options.labelSelector);
    const fields = fieldMatcher(options.fieldSelector);
    const items: KubeObject[] = [];
    for (const [, obj] of this.select(type, options.namespace, (o) => labels(o) && fields(o))) {
      items.push(await this.delete(type, obj.metadata.name, { ...options, namespace: obj.metadata.namespace }) as KubeObject);
    }
    return { apiVersion: apiVersionOf(type.group, type.version), kind: `${type.kind ?? ''}List`, metadata: { resourceVersion: this.resourceVersion }, items };
  }

  watch<T extends KubeObject = KubeObject>(type: ResourceType, options: WatchOptions, handlers: WatchHandlers<T>): WatchHandle {
    this.record('watch', type, options.namespace, options.name, options);
    const w: FakeWatch = {
      typeKey: typeKeyOf(type),
      namespace: options.namespace,
      matches: () => true,
      bookmarks: Boolean(options.allowWatchBookmarks),
      handlers: handlers as unknown as WatchHandlers<KubeObject>,
      closed: false,
    };
    const handle: WatchHandle = {
      stop: () => {
        if (w.closed) return;
        w.closed = true;
        this.watches.delete(w);
        handlers.onClose();
      },
    };
    const fail = (err: Error): WatchHandle => {
      this.watches.add(w);
      this.endWatch(w, err);
      return handle;
    };

    const injected = this.takeInjected('watch', type);
    if (injected) return fail(injected);
    let labels: Matcher;
    let fields: Matcher;
    try {
      labels = labelMatcher(options.labelSelector);
      fields = fieldMatcher([options.fieldSelector, options.name ? `metadata.name=${options.name}` : ''].filter(Boolean).join(','));
    } catch (err) {
      return fail(err as Error);
    }
    w.matches = (o) => labels(o) && fields(o);

    const rvText = options.resourceVersion ?? '';
    this.watches.add(w);
    if (rvText === '' || rvText === '0') {
      for (const [, obj] of this.select(type, options.namespace, w.matches)) this.send(w, { type: 'ADDED', object: obj });
      return handle;
    }
    const from = Number(rvText);
    if (!Number.isInteger(from) || from < 0) return fail(ApiError.badRequest(`invalid resource version: ${JSON.stringify(rvText)}`));
    if (from < this.compactedRevision) {
      return fail(ApiError.expired(`too old resource version: ${from} (${this.compactedRevision + 1})`));
    }
    for (const entry of this.history) if (entry.rv > from) this.deliver(w, entry);
    return handle;
  }

  // ---- internals --------------------------------------------------------------

  private record(verb: Verb, type: ResourceType, namespace: string | undefined, name: string | undefined, options: unknown): void {
    this.calls.push({ verb, resource: type.resource, namespace, name, options });
    if (verb === 'watch') return; // watch failures are delivered through onClose
    const err = this.takeInjected(verb, type);
    if (err) throw err;
  }

  private takeInjected(verb: Verb, type: ResourceType): Error | undefined {
    const i = this.injected.findIndex((f) => f.verb === verb && (f.resource === undefined || f.resource === type.resource));
    if (i < 0) return undefined;
    const f = this.injected[i]!;
    if (--f.times <= 0) this.injected.splice(i, 1);
    return f.error;
  }

  private namespaced(type: ResourceType, namespace: string | undefined): boolean {
    return type.namespaced ?? Boolean(namespace);
  }

  private key(type: ResourceType, namespace: string | undefined, name: string): string {
    return `${typeKeyOf(type)}|${this.namespaced(type, namespace) ? (namespace ?? '') : ''}|${name}`;
  }

  private namespaceFor(type: ResourceType, object: KubeObject, requested: string | undefined): string | undefined {
    const own = object.metadata?.namespace;
    if (requested && own && requested !== own) {
      throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const ns = requested ?? own;
    if (type.namespaced === true && !ns) throw ApiError.badRequest(`a namespace is required for ${type.resource}`);
    return type.namespaced === false ? undefined : ns;
  }

  private mustGet(type: ResourceType, namespace: string | undefined, name: string): StoredObject {
    const stored = this.objects.get(this.key(type, namespace, name));
    if (!stored) throw ApiError.notFound(qualified(type), name);
    return stored;
  }

  /** Stored objects of `type` (in `namespace`, if given) matching, sorted by namespace/name. */
  private select(type: ResourceType, namespace: string | undefined, matches: Matcher): Array<[string, StoredObject]> {
    const prefix = `${typeKeyOf(type)}|`;
    const out: Array<[string, StoredObject]> = [];
    for (const [key, obj] of this.objects) {
      if (!key.startsWith(prefix)) continue;
      if (namespace && obj.metadata.namespace !== namespace) continue;
      if (!matches(obj)) continue;
      out.push([`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, obj]);
    }
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Apply an update or patch result: subresource rules, immutable metadata, then store. */
  private async write(type: ResourceType, existing: StoredObject, incoming: KubeObject, options: WriteOptions): Promise<KubeObject> {
    let next: StoredObject;
    if (options.subresource === 'status') {
      next = deepCopy(existing);
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
    } else if (options.subresource) {
      throw ApiError.notFound(qualified(type), `${existing.metadata.name}/${options.subresource}`);
    } else {
      next = { ...incoming, metadata: { ...(incoming.metadata ?? {}) } } as StoredObject;
      if (existing.status === undefined) delete next.status;
      else next.status = deepCopy(existing.status);
      // Set by the server only.
      next.apiVersion = existing.apiVersion;
      next.kind = existing.kind;
      next.metadata.name = existing.metadata.name;
      if (existing.metadata.namespace) next.metadata.namespace = existing.metadata.namespace;
      mut(next.metadata).uid = existing.metadata.uid;
      mut(next.metadata).creationTimestamp = existing.metadata.creationTimestamp;
      mut(next.metadata).generation = existing.metadata.generation;
      if (existing.metadata.deletionTimestamp) mut(next.metadata).deletionTimestamp = existing.metadata.deletionTimestamp;
      else delete mut(next.metadata).deletionTimestamp;
    }
    mut(next.metadata).resourceVersion = existing.metadata.resourceVersion;
    if (options.dryRun) return deepCopy(next);
    if (specOf(next) !== specOf(existing)) mut(next.metadata).generation = (existing.metadata.generation ?? 0) + 1;
    // A write that changes nothing is not a write: no new resourceVersion, no event.
    if (canonical(next) === canonical(existing)) return deepCopy(existing);
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) return this.remove(type, next);
    return this.store(type, existing, next);
  }

  private store(type: ResourceType, prev: StoredObject, next: StoredObject): KubeObject {
    mut(next.metadata).resourceVersion = String(++this.revision);
    this.objects.set(this.key(type, next.metadata.namespace, next.metadata.name), next);
    this.emit({ rv: this.revision, typeKey: typeKeyOf(type), type: 'MODIFIED', object: next, prev });
    return deepCopy(next);
  }

  private remove(type: ResourceType, obj: StoredObject): KubeObject {
    const prev = this.objects.get(this.key(type, obj.metadata.namespace, obj.metadata.name))!;
    this.objects.delete(this.key(type, obj.metadata.namespace, obj.metadata.name));
    const gone = deepCopy(obj);
    mut(gone.metadata).resourceVersion = String(++this.revision);
    this.emit({ rv: this.revision, typeKey: typeKeyOf(type), type: 'DELETED', object: gone, prev });
    return deepCopy(gone);
  }

  private async createSubresource(type: ResourceType, body: KubeObject, namespace: string | undefined, options: WriteOptions & { name?: string }): Promise<KubeObject> {
    const name = options.name ?? '';
    if (type.resource === 'pods' && options.subresource === 'binding') {
      const pod = this.mustGet(type, namespace, name);
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      if (spec.nodeName) throw ApiError.conflict(qualified(type), name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      const target = (body as { target?: { name?: string } }).target?.name;
      if (!target) throw ApiError.invalid('Binding', '', name, [FieldError.required('target.name')]);
      const next = deepCopy(pod);
      next.spec = { ...spec, nodeName: target };
      this.store(type, pod, next);
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } as unknown as KubeObject;
    }
    throw ApiError.notFound(qualified(type), `${name}/${options.subresource}`);
  }

  private emit(entry: HistoryEntry): void {
    this.history.push(entry);
    for (const w of this.watches) this.deliver(w, entry);
  }

  /** Send `entry` to `w` as the API server's watch would, given w's selectors. */
  private deliver(w: FakeWatch, entry: HistoryEntry): void {
    if (entry.typeKey !== w.typeKey) return;
    const inScope = (o: StoredObject | undefined): boolean => !!o && (!w.namespace || o.metadata.namespace === w.namespace) && w.matches(o);
    const now = inScope(entry.object);
    const before = entry.type === 'ADDED' ? false : inScope(entry.prev ?? entry.object);
    let type: WatchEventType;
    if (entry.type === 'DELETED') {
      if (!before) return;
      type = 'DELETED';
    } else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED'; // left the selector: watchers see it go
    else return;
    this.send(w, { type, object: entry.object });
  }

  private send(w: FakeWatch, event: WatchEvent): void {
    const copy = { type: event.type, object: deepCopy(event.object) };
    queueMicrotask(() => {
      if (!w.closed) w.handlers.onEvent(copy);
    });
  }

  private endWatch(w: FakeWatch, error?: Error): void {
    queueMicrotask(() => {
      if (w.closed) return;
      w.closed = true;
      this.watches.delete(w);
      w.handlers.onClose(error);
    });
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** kubernetes-types marks server-set metadata readonly; the fake is the server. */
function mut(meta: ObjectMeta | undefined): Mutable<ObjectMeta> {
  return meta as Mutable<ObjectMeta>;
}

function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return canonical(rest);
}

/** JSON with object keys sorted, so key order never makes equal objects look different. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the patch is not valid JSON: ${(err as Error).message}`, undefined, { cause: err });
  }
}

function encodeContinue(after: string, rv: number): string {
  return Buffer.from(JSON.stringify({ after, rv })).toString('base64url');
}

function decodeContinue(token: string): { after: string; rv: number } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after: string; rv: number };
    if (typeof parsed.after !== 'string' || typeof parsed.rv !== 'number') throw new Error('bad shape');
    return parsed;
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `invalid continue token: ${token}`, undefined, { cause: err });
  }
}
