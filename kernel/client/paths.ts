/**
 * Kubernetes REST paths and query strings, built exactly as client-go builds
 * them, so the client works against any Kubernetes API server and skiff's
 * server sees the requests kubectl would send.
 */
import type { DeleteOptions, ListOptions, PatchOptions, PatchType, ResourceType, WatchOptions, WriteOptions } from './types';

export interface PathParts {
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * `/api/v1/namespaces/{ns}/pods/{name}/status`, `/apis/apps/v1/deployments`.
 * A namespace given for a type hinted cluster-scoped is ignored.
 */
export function resourcePath(type: ResourceType, parts: PathParts = {}): string {
  let path = type.group ? `/apis/${seg(type.group)}/${seg(type.version)}` : `/api/${seg(type.version)}`;
  if (parts.namespace && type.namespaced !== false) path += `/namespaces/${seg(parts.namespace)}`;
  path += `/${seg(type.resource)}`;
  if (parts.name !== undefined) {
    if (parts.name === '') throw new Error(`client: a name is required for ${type.resource}${parts.subresource ? `/${parts.subresource}` : ''}`);
    path += `/${seg(parts.name)}`;
  }
  if (parts.subresource) {
    if (parts.name === undefined) throw new Error(`client: subresource "${parts.subresource}" of ${type.resource} needs an object name`);
    path += `/${seg(parts.subresource)}`;
  }
  return path;
}

function seg(s: string): string {
  return encodeURIComponent(s);
}

function set(q: URLSearchParams, key: string, value: string | number | boolean | undefined): void {
  if (value !== undefined && value !== '') q.set(key, String(value));
}

export function listQuery(o: ListOptions = {}): URLSearchParams {
  const q = new URLSearchParams();
  set(q, 'labelSelector', o.labelSelector);
  set(q, 'fieldSelector', o.fieldSelector);
  if (o.limit !== undefined && o.limit > 0) set(q, 'limit', o.limit);
  set(q, 'continue', o.continue);
  set(q, 'resourceVersion', o.resourceVersion);
  set(q, 'resourceVersionMatch', o.resourceVersionMatch);
  return q;
}

export function writeQuery(o: WriteOptions = {}): URLSearchParams {
  const q = new URLSearchParams();
  if (o.dryRun) q.set('dryRun', 'All');
  set(q, 'fieldManager', o.fieldManager);
  set(q, 'fieldValidation', o.fieldValidation);
  return q;
}

export function patchQuery(o: PatchOptions = {}): URLSearchParams {
  const q = writeQuery(o);
  if (o.force !== undefined) q.set('force', String(o.force));
  return q;
}

/** A single object's watch is a collection watch with `metadata.name=<name>`, as client-go does it. */
export function watchQuery(o: WatchOptions): URLSearchParams {
  const q = new URLSearchParams();
  q.set('watch', 'true');
  set(q, 'labelSelector', o.labelSelector);
  const byName = o.name ? `metadata.name=${o.name}` : undefined;
  set(q, 'fieldSelector', [o.fieldSelector, byName].filter(Boolean).join(','));
  set(q, 'resourceVersion', o.resourceVersion);
  if (o.allowWatchBookmarks) q.set('allowWatchBookmarks', 'true');
  set(q, 'timeoutSeconds', o.timeoutSeconds);
  return q;
}

export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** The meta.k8s.io/v1 DeleteOptions body: Kubernetes clients send these in the body, not the query. */
export function deleteOptionsBody(o: DeleteOptions = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (o.propagationPolicy) body.propagationPolicy = o.propagationPolicy;
  if (o.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = o.gracePeriodSeconds;
  if (o.preconditions) body.preconditions = o.preconditions;
  if (o.dryRun) body.dryRun = ['All'];
  return body;
}
