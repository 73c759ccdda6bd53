/**
 * The API client every component uses to talk to the cluster. The same
 * interface is served in-process (a plugin in the `skiff up` process) and over
 * HTTP (`skiff agent` on another machine), so a plugin never knows which.
 *
 * Failures are thrown as `ApiError` (kernel/api/errors.ts) carrying the
 * Kubernetes Status reason, whichever transport produced them.
 */
import type { KubeList, KubeObject, WatchEvent } from '../api/types';
import type { Status } from '../api/errors';

/** A resource type: `{ group: 'apps', version: 'v1', resource: 'deployments' }`. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  /** Plural resource name as in the URL. */
  readonly resource: string;
  /** Optional: the kind, filled in on created objects that lack apiVersion/kind. */
  readonly kind?: string;
  /** Optional hint; the server decides. */
  readonly namespaced?: boolean;
}

/** A resource as discovery (`/api/v1`, `/apis/<group>/<version>`) lists it; subresources are not included. */
export interface ApiResource extends ResourceType {
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
}

export interface RequestOptions {
  /** Namespace for namespaced resources. */
  namespace?: string;
  /** A subresource: `status`, `scale`, `binding`, ... */
  subresource?: string;
  /** An abort signal; aborting rejects the call. */
  signal?: AbortSignal;
}

export interface ListOptions extends RequestOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WriteOptions extends RequestOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions extends RequestOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WatchOptions extends RequestOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this resourceVersion; "" or "0" first delivers the current state as ADDED events. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  /** Watch a single object by name. */
  name?: string;
}

export interface WatchHandlers<T extends KubeObject = KubeObject> {
  onEvent(event: WatchEvent<T>): void;
  /** The watch ended: `err` is set when it failed (an ApiError with reason Expired means relist). */
  onClose(err?: Error): void;
}

export interface WatchHandle {
  /** Stop watching; onClose is called without an error. Idempotent. */
  stop(): void;
}

export interface ApiClient {
  get<T extends KubeObject = KubeObject>(type: ResourceType, name: string, options?: RequestOptions): Promise<T>;
  list<T extends KubeObject = KubeObject>(type: ResourceType, options?: ListOptions): Promise<KubeList<T>>;
  create<T extends KubeObject = KubeObject>(type: ResourceType, object: KubeObject, options?: WriteOptions & { name?: string }): Promise<T>;
  /** Replace the object named by `object.metadata.name` (its resourceVersion is a precondition when set). */
  update<T extends KubeObject = KubeObject>(type: ResourceType, object: KubeObject, options?: WriteOptions): Promise<T>;
  patch<T extends KubeObject = KubeObject>(type: ResourceType, name: string, patchType: PatchType, patch: unknown, options?: PatchOptions): Promise<T>;
  /** Resolves to the object as it now is (graceful deletion, finalizers) or a Success Status. */
  delete(type: ResourceType, name: string, options?: DeleteOptions): Promise<KubeObject | Status>;
  deleteCollection(type: ResourceType, options?: ListOptions & DeleteOptions): Promise<KubeList | Status>;
  watch<T extends KubeObject = KubeObject>(type: ResourceType, options: WatchOptions, handlers: WatchHandlers<T>): WatchHandle;
  /**
   * Discovery: every resource the server serves, in every version it serves
   * (what `/api` and `/apis` lead to). Optional so that test fakes need not
   * serve it; controllers that need it (garbage collector, namespace) refuse
   * to start without it.
   */
  serverResources?(): Promise<ApiResource[]>;
}
