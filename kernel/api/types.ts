/**
 * The Kubernetes object model as skiff handles it internally: plain JSON
 * objects with TypeMeta and ObjectMeta. Typed views of the built-in kinds come
 * from `kubernetes-types` (generated from Kubernetes' own OpenAPI).
 */
import type { ObjectMeta as ReadonlyObjectMeta, ListMeta as ReadonlyListMeta, OwnerReference, ManagedFieldsEntry } from 'kubernetes-types/meta/v1';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** ObjectMeta as the server handles it (kubernetes-types marks every field readonly). */
export type ObjectMeta = Mutable<ReadonlyObjectMeta>;
export type ListMeta = Mutable<ReadonlyListMeta>;
export type { OwnerReference, ManagedFieldsEntry };

/** Any Kubernetes object: TypeMeta, ObjectMeta and whatever else its kind has. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** An object as it is stored and served: metadata is always there. */
export interface StoredObject extends KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string; uid: string; resourceVersion: string; creationTimestamp: string };
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** "apps/v1" or "v1" for the core group. */
export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Split an apiVersion ("apps/v1", "v1") into group and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Deep-copy a JSON value. Objects from a cache or the store are never mutated in place. */
export function deepCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
