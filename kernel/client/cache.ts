/**
 * The informer's local copy of a resource: objects keyed `namespace/name`
 * (`name` for cluster-scoped ones), with secondary indexes, like client-go's
 * `cache.Indexer`.
 *
 * Objects are deep-frozen when they enter the cache. Every controller reading
 * the cache shares the same object, so one that edits it in place would
 * corrupt everyone's view and its own diff against the server (ARCHITECTURE
 * §5). Freezing makes such a bug throw a TypeError at the offending line
 * (modules run in strict mode) instead of surfacing somewhere else later.
 * To change an object, `deepCopy` it first (kernel/api/types.ts).
 */
import type { KubeObject } from '../api/types';

/** Index values for an object (e.g. its namespace, its node name, its owners). */
export type IndexFunc<T> = (obj: T) => string[];

/** The built-in index: objects by `metadata.namespace` ("" for cluster-scoped). */
export const NAMESPACE_INDEX = 'namespace';

export const namespaceIndexFunc: IndexFunc<KubeObject> = (obj) => [obj.metadata?.namespace ?? ''];

/** client-go's `MetaNamespaceKeyFunc`: `namespace/name`, or `name` when cluster-scoped. */
export function keyOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`client/cache: object has no metadata.name (kind ${obj.kind ?? 'unknown'})`);
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

/** The inverse of `keyOf`. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { name: key };
  if (key.indexOf('/', slash + 1) >= 0) throw new Error(`client/cache: unexpected key format: "${key}"`);
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Freeze `value` and everything reachable from it. Returns `value`. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

/** What informer users may do with a cache: read. */
export interface CacheReader<T extends KubeObject> {
  /** The object with this key (`namespace/name`), if cached. */
  get(key: string): T | undefined;
  /** Every cached object, in no particular order. */
  list(): T[];
  listKeys(): string[];
  /** Objects whose index `indexName` includes `value`. Throws if there is no such index. */
  byIndex(indexName: string, value: string): T[];
  /** Objects in `namespace`, through the built-in namespace index. */
  listNamespace(namespace: string): T[];
  readonly size: number;
}

export class ObjectCache<T extends KubeObject = KubeObject> implements CacheReader<T> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** indexName -> index value -> keys. */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexer(NAMESPACE_INDEX, namespaceIndexFunc);
    for (const [name, fn] of Object.entries(indexers)) this.addIndexer(name, fn);
  }

  /** Add an index; objects already cached are indexed at once. Names are unique. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`client/cache: indexer "${name}" already exists`);
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) addToIndex(index, fn(obj), key);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`client/cache: no indexer named "${indexName}"`);
    const keys = index.get(value);
    return keys ? [...keys].map((k) => this.items.get(k)!) : [];
  }

  listNamespace(namespace: string): T[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  /** Insert or replace `obj` (frozen on the way in). Returns the object it replaced. */
  set(obj: T): T | undefined {
    const key = keyOf(obj);
    deepFreeze(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) addToIndex(this.indices.get(name)!, fn(obj), key);
    return old;
  }

  /** Remove the object with `key`. Returns it, if it was there. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(value);
      }
    }
  }
}

function addToIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const value of values) {
    let keys = index.get(value);
    if (!keys) index.set(value, (keys = new Set()));
    keys.add(key);
  }
}
