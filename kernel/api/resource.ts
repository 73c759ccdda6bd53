/**
 * How the API server knows a resource type: its names, scope, verbs,
 * subresources, and the strategy that defaults, validates and prints its
 * objects. Built-in types live in `kernel/api/resources/`; plugins add their own
 * through the `registerResources` hook.
 */
import type { FieldError } from './errors';
import type { KubeObject, StoredObject } from './types';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export const ALL_VERBS: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A column of `kubectl get` output (meta.k8s.io/v1 TableColumnDefinition). */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0: always shown; 1 and more: shown with `-o wide`. */
  priority: number;
}

export interface TablePrinter {
  /** Columns after NAME (NAME is added by the server and is always first). */
  columns: TableColumn[];
  /** The cells for one object, matching `columns` (without NAME). */
  cells(object: StoredObject, now: Date): unknown[];
  /**
   * True when `columns` and `cells` already hold the NAME column where the
   * type wants it — Kubernetes' Event table starts with LAST SEEN and shows
   * NAME last, at priority 1 — so the server must not put one first.
   */
  ownsNameColumn?: boolean;
}

/** What a strategy can read and use while it handles one request. */
export interface StrategyContext {
  /** The request's namespace, if any. */
  readonly namespace?: string;
  /** The identity the request runs as. */
  readonly user?: { name: string; groups: string[] };
  /** The server clock. */
  now(): Date;
  /** Cluster-wide allocators (Service ClusterIPs, NodePorts). */
  readonly allocators: Allocators;
  /** Non-fatal warnings returned to the client (`Warning:` headers). */
  warn(message: string): void;
}

export interface Allocators {
  /** Service ClusterIPs from the configured range. */
  readonly serviceIPs: Allocator<string>;
  /** NodePorts from the configured range (30000-32767 by default). */
  readonly nodePorts: Allocator<number>;
}

export interface Allocator<T> {
  /** The configured range, as users write it (`10.96.0.0/12`, `30000-32767`). */
  readonly range: string;
  /** Take the next free value; throws an ApiError when the range is full. */
  allocateNext(): T;
  /** Take a specific value; throws an ApiError (Invalid) when taken or out of range. */
  allocate(value: T): void;
  /** Give back a value (idempotent). */
  release(value: T): void;
  /** Whether the value lies in the configured range. */
  contains(value: T): boolean;
  has(value: T): boolean;
}

/**
 * Per-type behaviour, in the order the server calls it. Every method receives
 * a fresh copy that it may mutate; none may keep references to its arguments.
 */
export interface ResourceStrategy {
  /** Kubernetes defaulting (SetDefaults_*): runs on create, update and the result of a patch. Idempotent. */
  defaults?(object: KubeObject, ctx: StrategyContext): void;
  /** Create only: reset what a client may not set (status for types with a status subresource, ...). */
  prepareForCreate?(object: KubeObject, ctx: StrategyContext): void;
  /** Update of the main resource: e.g. keep the old status when there is a status subresource. */
  prepareForUpdate?(object: KubeObject, old: StoredObject, ctx: StrategyContext): void;
  /** Field errors of a new object (metadata.name and namespace are checked by the server). */
  validate?(object: KubeObject, ctx: StrategyContext): FieldError[];
  /** Field errors of an update: immutable fields and transitions. */
  validateUpdate?(object: KubeObject, old: StoredObject, ctx: StrategyContext): FieldError[];
  /**
   * Allocation that must be undone if the write fails (Service ClusterIP,
   * NodePort): runs after validation, before the write; returns a rollback.
   */
  allocate?(object: KubeObject, old: StoredObject | undefined, ctx: StrategyContext): (() => void) | void;
  /** After the object is gone from the store: release what it held. */
  afterDelete?(object: StoredObject, ctx: StrategyContext): void;
  /**
   * Fields usable in field selectors besides metadata.name and metadata.namespace
   * (`spec.nodeName`, `status.phase`, `type` for Secrets, ...).
   */
  selectableFields?(object: StoredObject): Record<string, string>;
  /** Name validation other than DNS-1123 subdomain (the default). Returns messages. */
  validateName?(name: string): string[];
  /**
   * Graceful deletion (pods): the grace period in seconds for a delete request
   * asking for `requested` (undefined: the type's default). 0 deletes at once;
   * more sets deletionTimestamp in the future and leaves the final removal to
   * the node. Absent: every delete is immediate (or waits for finalizers).
   */
  deletionGracePeriod?(object: StoredObject, requested: number | undefined): number;
  /** Server-side printing for `kubectl get`. */
  table?: TablePrinter;
}

/** A subresource such as `status`, `scale`, `binding`, `log`, `exec`. */
export interface SubresourceDefinition {
  readonly name: string;
  /** The kind its requests and responses carry (`Scale` for scale, the parent kind for status). */
  readonly kind: string;
  readonly group?: string;
  readonly version?: string;
  readonly verbs: readonly Verb[];
}

export interface ResourceDefinition {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Lowercase plural (`deployments`). */
  readonly plural: string;
  /** Lowercase singular (`deployment`). */
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly verbs?: readonly Verb[];
  readonly subresources?: readonly SubresourceDefinition[];
  /** Whether the status subresource exists (main-resource writes keep the stored status). */
  readonly hasStatus?: boolean;
  /** Whether metadata.generation is set and bumped on spec changes (workloads, as in Kubernetes). */
  readonly generation?: boolean;
  /**
   * Whether a DELETE that removes the object answers with the object rather
   * than a Status (Kubernetes' ReturnDeletedObject: pods, namespaces, ...).
   */
  readonly returnDeletedObject?: boolean;
  /** Kinds whose list kind is not `<Kind>List`: never in Kubernetes, present for completeness. */
  readonly listKind?: string;
  /** The definition name of its schema (`io.k8s.api.core.v1.Pod`); defaults from the registry's GVK index. */
  readonly schemaName?: string;
  readonly strategy?: ResourceStrategy;
  /**
   * A resource without storage whose `create` computes an answer (the review
   * APIs: SelfSubjectAccessReview, TokenReview, ...). Such resources serve only
   * `create`.
   */
  readonly review?: ReviewHandler;
}

/** See ResourceDefinition.review. */
export interface ReviewHandler {
  /** Answer a review: `object` is the request body checked against the kind's schema; return it with its status. */
  create(object: KubeObject, ctx: import('./reviews').ReviewContext): Promise<KubeObject>;
}
