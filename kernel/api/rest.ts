/**
 * The generic REST storage behind every resource (Kubernetes' genericregistry
 * Store): create, get, list, update, patch, delete and deletecollection on the
 * Store, with Kubernetes' object semantics — uid, resourceVersion, generation,
 * optimistic concurrency, finalizers and graceful deletion, namespace
 * lifecycle, defaults and validation through the type's strategy, admission,
 * and managedFields.
 */
import type { KeyValue, Store } from '../store/types';
import { isStoreError } from '../store/types';
import type { KernelHooks } from '../hooks';
import type { UserInfo } from '../auth/types';
import type { AdmissionOperation, AdmissionRequest } from './admission';
import { ApiError, FieldError } from './errors';
import { ResourceRegistry, ServedResource } from './registry';
import type { Allocators, StrategyContext } from './resource';
import type { SchemaRegistry } from './openapi/schemas';
import { decodeAgainstSchema } from './structural';
import { decodeFromStore, encodeForStore, generateName, newUid, parseResourceVersion, rfc3339 } from './codec';
import { deepCopy, KubeList, KubeObject, StoredObject } from './types';
import { parseFieldSelector, parseLabelSelector, FieldMatcher, LabelMatcher } from './selectors';
import type { FieldManager } from './field-manager';
import { fieldManagerFor, validatePatchOptions } from './patch';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation';
import type { PatchType } from '../client/types';
import { applyPatchDocument } from './patching';
import { goJsonSyntaxError } from './json-syntax';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Who asks and how: carried through one request. */
export interface RequestContext {
  readonly user: UserInfo;
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
  readonly fieldValidation?: FieldValidation;
  readonly userAgent?: string;
  /** Warnings for the client (`Warning: 299 - "..."` headers). */
  readonly warnings: string[];
  readonly signal?: AbortSignal;
}

export interface ListRequest {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface DeleteRequest {
  dryRun?: boolean;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Legacy `orphanDependents` (maps onto propagationPolicy). */
  orphanDependents?: boolean;
}

export type DeleteResult = { readonly deleted: true; readonly object: StoredObject } | { readonly deleted: false; readonly object: StoredObject };

/** Namespaces Kubernetes creates and never lets anyone delete. */
export const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
export const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const CONTINUE_VERSION = 'meta.k8s.io/v1';
const MAX_CONFLICT_RETRIES = 8;
const SYSTEM_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'status']);

export interface RestStorageDeps {
  readonly store: Store;
  readonly resources: ResourceRegistry;
  readonly schemas: SchemaRegistry;
  readonly hooks: KernelHooks;
  readonly allocators: Allocators;
  readonly fieldManager: FieldManager;
  readonly now: () => Date;
}

function strategyContext(deps: RestStorageDeps, namespace: string | undefined, ctx: RequestContext): StrategyContext {
  return {
    namespace,
    user: ctx.user,
    now: deps.now,
    allocators: deps.allocators,
    warn: (m) => ctx.warnings.push(m),
  };
}

function qualified(r: ServedResource) {
  return { group: r.group, resource: r.plural };
}

/** Everything except metadata and status: a change here bumps generation. */
function specOf(object: KubeObject): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) if (!SYSTEM_FIELDS.has(k)) out[k] = v;
  return JSON.stringify(out);
}

/** Compare two objects ignoring key order. */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export class RestStorage {
  private readonly namespacePhases = new Map<string, { revision: number; terminating: boolean }>();

  constructor(private readonly deps: RestStorageDeps) {}

  // ---------------------------------------------------------------- reads

  async get(resource: ServedResource, namespace: string | undefined, name: string): Promise<StoredObject> {
    const kv = await this.deps.store.get(ResourceRegistry.key(resource, namespace, name));
    if (!kv) throw ApiError.notFound(qualified(resource), name);
    return decodeFromStore(kv);
  }

  async list(resource: ServedResource, namespace: string | undefined, request: ListRequest): Promise<KubeList<StoredObject>> {
    const labels = parseLabelSelector(request.labelSelector);
    const fields = this.fieldMatcher(resource, request.fieldSelector);
    const limit = request.limit && request.limit > 0 ? request.limit : 0;
    const prefix = ResourceRegistry.prefix(resource, namespace);

    let startAfter: string | undefined;
    let revision: number | undefined;
    if (request.continue) {
      if (request.resourceVersion && request.resourceVersion !== '0') throw ApiError.badRequest('specifying resource version is not allowed when using continue');
      const token = decodeContinue(request.continue, prefix);
      startAfter = token.start;
      // rv -1: the token of an expired list, which goes on at the latest revision.
      revision = token.rv > 0 ? token.rv : undefined;
    } else {
      const rv = parseResourceVersion(request.resourceVersion);
      if (rv !== undefined && Number.isNaN(rv)) throw invalidResourceVersion(request.resourceVersion!);
      // Exact reads a past state; NotOlderThan and "0" are served from the latest, which is never older.
      if (rv !== undefined && rv > 0 && request.resourceVersionMatch === 'Exact') revision = rv;
      else if (rv !== undefined && rv > this.deps.store.currentRevision()) {
        throw ApiError.timeout(`Too large resource version: ${rv}, current: ${this.deps.store.currentRevision()}`);
      }
    }

    const items: StoredObject[] = [];
    const filtering = !labels.empty || !fields.empty;
    let more = false;
    let remaining = 0;
    let servedAt = revision;
    let lastKey: string | undefined;
    // Page through the store until `limit` matching objects are found (selectors may skip many).
    for (;;) {
      const batch = limit ? Math.max(limit - items.length, filtering ? 256 : 0) : 0;
      let page;
      try {
        page = await this.deps.store.range({ prefix, startAfter, limit: batch, revision: servedAt });
      } catch (err) {
        if (isStoreError(err, 'Compacted')) {
          if (request.continue) {
            // As Kubernetes: the Status carries a token that resumes after the same key at the latest revision.
            throw ApiError.expired(
              'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
              { continue: encodeContinue(-1, startAfter!, prefix) },
            );
          }
          throw ApiError.expired(`The resourceVersion for the provided list is too old.`);
        }
        if (isStoreError(err, 'FutureRevision')) throw ApiError.timeout(`Too large resource version: ${servedAt}, current: ${this.deps.store.currentRevision()}`);
        throw err;
      }
      servedAt = page.revision;
      let consumed = 0;
      for (const kv of page.items) {
        consumed++;
        lastKey = kv.key;
        const object = decodeFromStore(kv);
        if (filtering && !this.matches(resource, object, labels, fields)) continue;
        items.push(object);
        if (limit && items.length >= limit) break;
      }
      const pageMore = page.more || consumed < page.items.length;
      if (limit && items.length >= limit) {
        more = pageMore;
        remaining = pageMore && !filtering ? page.remaining + (page.items.length - consumed) : 0;
        break;
      }
      if (!pageMore) break;
      startAfter = lastKey;
    }

    const list: KubeList<StoredObject> = {
      apiVersion: resource.apiVersion,
      kind: resource.listKind,
      metadata: { resourceVersion: String(servedAt ?? this.deps.store.currentRevision()) },
      items,
    };
    if (more && lastKey !== undefined) {
      list.metadata.continue = encodeContinue(servedAt!, lastKey, prefix);
      if (!filtering) list.metadata.remainingItemCount = remaining;
    }
    return list;
  }

  fieldMatcher(resource: ServedResource, selector: string | undefined): FieldMatcher {
    const matcher = parseFieldSelector(selector);
    if (matcher.empty) return matcher;
    // Cluster-scoped kinds have no metadata.namespace to select on (Kubernetes' ObjectMetaFieldsSet).
    const base = resource.namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'];
    const allowed = new Set(base);
    // Probe the strategy's selectable fields with an empty object to learn their names.
    const probe = resource.strategy?.selectableFields?.({ apiVersion: '', kind: '', metadata: { name: '', uid: '', resourceVersion: '', creationTimestamp: '' } } as StoredObject) ?? {};
    for (const f of Object.keys(probe)) allowed.add(f);
    for (const r of matcher.requirements) {
      if (allowed.has(r.field)) continue;
      // Kubernetes' wording differs: types with their own field label conversion (pods, secrets, ...) and the generic one.
      if (resource.strategy?.selectableFields) throw ApiError.badRequest(`field label not supported: ${r.field}`);
      throw ApiError.badRequest(`${JSON.stringify(r.field)} is not a known field selector: only ${base.map((f) => JSON.stringify(f)).join(', ')}`);
    }
    return matcher;
  }

  /** The field-selector view of an object. */
  selectableFields(resource: ServedResource, object: StoredObject): Record<string, string> {
    const fields: Record<string, string> = resource.namespaced ? { 'metadata.name': object.metadata.name, 'metadata.namespace': object.metadata.namespace ?? '' } : { 'metadata.name': object.metadata.name };
    const extra = resource.strategy?.selectableFields?.(object);
    if (extra) Object.assign(fields, extra);
    return fields;
  }

  matches(resource: ServedResource, object: StoredObject, labels: LabelMatcher, fields: FieldMatcher): boolean {
    if (!labels.empty && !labels.matches(object.metadata.labels)) return false;
    if (!fields.empty && !fields.matches(this.selectableFields(resource, object))) return false;
    return true;
  }

  // ---------------------------------------------------------------- create

  async create(resource: ServedResource, namespace: string | undefined, body: unknown, ctx: RequestContext): Promise<StoredObject> {
    const object = this.decodeBody(resource, body, ctx, 'create');
    this.checkNamespace(resource, namespace, object);
    const meta = object.metadata!;
    // Admission (NamespaceLifecycle) sees the name the client sent, before one is generated.
    await this.checkNamespaceLifecycle(resource, namespace, meta.name ?? '');
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);

    const sctx = await this.admitNew(resource, namespace, object, ctx);
    const manager = this.managerFor(ctx);
    const toStore = this.deps.fieldManager.update({ old: undefined, object, manager, now: this.deps.now() }) as StoredObject;
    return this.storeCreate(resource, namespace, toStore, sctx, ctx);
  }

  /**
   * Everything a new object goes through before it is written (create and
   * create-by-apply): system metadata, the type's preparation and defaults,
   * mutating admission, validation, validating admission.
   */
  private async admitNew(resource: ServedResource, namespace: string | undefined, object: KubeObject, ctx: RequestContext): Promise<StrategyContext> {
    const sctx = strategyContext(this.deps, namespace, ctx);
    this.resetSystemMetadata(resource, object);
    resource.strategy?.prepareForCreate?.(object, sctx);
    resource.strategy?.defaults?.(object, sctx);
    await this.admit('CREATE', resource, namespace, object, undefined, ctx);
    this.validateCreate(resource, object, sctx);
    await this.admitValidate('CREATE', resource, namespace, object, undefined, ctx);
    return sctx;
  }

  /** The final write of a create (shared by create, create-on-update and apply). */
  private async storeCreate(resource: ServedResource, namespace: string | undefined, object: StoredObject, sctx: StrategyContext, ctx: RequestContext): Promise<StoredObject> {
    const rollback = resource.strategy?.allocate?.(object, undefined, sctx);
    if (ctx.dryRun) {
      rollback?.();
      delete (object.metadata as { resourceVersion?: string }).resourceVersion;
      return object;
    }
    const key = ResourceRegistry.key(resource, namespace, object.metadata.name);
    try {
      const kv = await this.deps.store.create(key, encodeForStore(object));
      return withRevision(object, kv.modRevision);
    } catch (err) {
      rollback?.();
      if (isStoreError(err, 'KeyExists')) throw ApiError.alreadyExists(qualified(resource), object.metadata.name);
      throw err;
    }
  }

  private resetSystemMetadata(resource: ServedResource, object: KubeObject): void {
    const meta = object.metadata!;
    meta.uid = newUid();
    meta.creationTimestamp = rfc3339(this.deps.now());
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete (meta as Record<string, unknown>).selfLink;
    if (resource.generation) meta.generation = 1;
    else delete meta.generation;
  }

  private validateCreate(resource: ServedResource, object: KubeObject, sctx: StrategyContext): void {
    const errors: FieldError[] = [
      ...validateObjectMeta(object.metadata ?? {}, { namespaced: resource.namespaced, validateName: resource.strategy?.validateName }),
      ...(resource.strategy?.validate?.(object, sctx) ?? []),
    ];
    if (errors.length > 0) throw ApiError.invalid(resource.kind, resource.group, object.metadata?.name ?? object.metadata?.generateName ?? '', errors);
  }

  // ---------------------------------------------------------------- update

  /**
   * Replace an object (PUT), or its status (`subresource: 'status'`). Without
   * a resourceVersion in the body the update is unconditional.
   */
  async update(resource: ServedResource, namespace: string | undefined, name: string, body: unknown, ctx: RequestContext, subresource?: string): Promise<{ object: StoredObject; created: boolean }> {
    const incoming = this.decodeBody(resource, body, ctx, 'update');
    this.checkNamespace(resource, namespace, incoming);
    if (incoming.metadata?.name && incoming.metadata.name !== name) {
      throw ApiError.badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    }
    incoming.metadata!.name = name;
    const precondition = incoming.metadata?.resourceVersion;
    for (let attempt = 0; ; attempt++) {
      const kv = await this.deps.store.get(ResourceRegistry.key(resource, namespace, name));
      if (!kv) {
        if (subresource || !resource.strategy || !allowCreateOnUpdate(resource)) throw ApiError.notFound(qualified(resource), name);
        if (precondition) throw ApiError.notFound(qualified(resource), name);
        return { object: await this.create(resource, namespace, incoming, ctx), created: true };
      }
      const old = decodeFromStore(kv);
      if (precondition && precondition !== old.metadata.resourceVersion) throw ApiError.conflict(qualified(resource), name);
      try {
        const object = await this.writeUpdate(resource, namespace, old, deepCopy(incoming), ctx, subresource, kv.modRevision);
        return { object, created: false };
      } catch (err) {
        // An unconditional update lost a race with another writer: read again (once that write is durable) and retry.
        if (!precondition && err instanceof ApiError && err.reason === 'Conflict' && (err as ConflictRetry).retryable && attempt < MAX_CONFLICT_RETRIES) {
          await this.settled(resource, namespace, name);
          continue;
        }
        throw err;
      }
    }
  }

  /** Validate and write `object` over `old` (which is at store revision `modRevision`). */
  private async writeUpdate(
    resource: ServedResource,
    namespace: string | undefined,
    old: StoredObject,
    object: KubeObject,
    ctx: RequestContext,
    subresource: string | undefined,
    modRevision: number,
    managed?: (object: KubeObject) => KubeObject,
  ): Promise<StoredObject> {
    const sctx = strategyContext(this.deps, namespace, ctx);
    const meta = object.metadata!;
    // System metadata is the server's: keep the stored values whatever the client sent.
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.namespace = old.metadata.namespace;
    if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (old.metadata.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    meta.resourceVersion = old.metadata.resourceVersion;
    if (old.metadata.generation !== undefined) meta.generation = old.metadata.generation;
    else delete meta.generation;
    object.apiVersion = old.apiVersion;
    object.kind = old.kind;

    if (subresource === 'status') {
      // Status writes change only status (and ownership of it).
      const next = deepCopy(old) as KubeObject;
      if (object.status === undefined) delete next.status;
      else next.status = object.status;
      next.metadata!.managedFields = meta.managedFields;
      object = next;
    } else {
      if (resource.hasStatus) {
        if (old.status === undefined) delete object.status;
        else object.status = deepCopy(old.status);
      }
      resource.strategy?.prepareForUpdate?.(object, old, sctx);
    }
    resource.strategy?.defaults?.(object, sctx);

    if (old.metadata.deletionTimestamp) {
      const before = new Set(old.metadata.finalizers ?? []);
      const added = (object.metadata!.finalizers ?? []).filter((f) => !before.has(f));
      if (added.length > 0) {
        throw ApiError.invalid(resource.kind, resource.group, old.metadata.name, [
          FieldError.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice([...new Set(added)].sort())}`),
        ]);
      }
    }

    await this.admit('UPDATE', resource, namespace, object, old, ctx, subresource);
    const errors: FieldError[] = [
      ...validateObjectMeta(object.metadata ?? {}, { namespaced: resource.namespaced, validateName: resource.strategy?.validateName }),
      ...validateObjectMetaUpdate(object.metadata ?? {}, old.metadata),
      ...(resource.strategy?.validate?.(object, sctx) ?? []),
      ...(resource.strategy?.validateUpdate?.(object, old, sctx) ?? []),
    ];
    if (errors.length > 0) throw ApiError.invalid(resource.kind, resource.group, old.metadata.name, errors);
    await this.admitValidate('UPDATE', resource, namespace, object, old, ctx, subresource);

    if (resource.generation && subresource !== 'status' && specOf(object) !== specOf(old)) {
      object.metadata!.generation = (old.metadata.generation ?? 0) + 1;
    }

    const manager = this.managerFor(ctx);
    const toStore = (managed ? managed(object) : this.deps.fieldManager.update({ old, object, manager, subresource, now: this.deps.now() })) as StoredObject;

    // Nothing changed: Kubernetes does not write (the resourceVersion stays).
    if (sameJson(withoutManagedTimes(toStore), withoutManagedTimes(old))) return old;

    const rollback = resource.strategy?.allocate?.(toStore, old, sctx);
    // A Terminating namespace also waits for its spec.finalizers (Kubernetes' namespace storage ShouldDeleteDuringUpdate):
    // a status update by the namespace controller must not remove it.
    const specFinalizers = resource.group === '' && resource.plural === 'namespaces' ? ((toStore as { spec?: { finalizers?: string[] } }).spec?.finalizers ?? []) : [];
    const finalize =
      !!toStore.metadata.deletionTimestamp &&
      (toStore.metadata.finalizers ?? []).length === 0 &&
      specFinalizers.length === 0 &&
      !(old.metadata.deletionGracePeriodSeconds && old.metadata.deletionGracePeriodSeconds > 0);
    if (ctx.dryRun) {
      rollback?.();
      return toStore;
    }
    const key = ResourceRegistry.key(resource, namespace, old.metadata.name);
    try {
      if (finalize) {
        // The last finalizer is gone from an object being deleted: remove it.
        await this.deps.store.update(key, encodeForStore(toStore), modRevision);
        const kv = await this.deps.store.delete(key);
        const gone = decodeFromStore(kv);
        resource.strategy?.afterDelete?.(gone, sctx);
        return gone;
      }
      const kv = await this.deps.store.update(key, encodeForStore(toStore), modRevision);
      return withRevision(toStore, kv.modRevision);
    } catch (err) {
      rollback?.();
      if (isStoreError(err, 'RevisionMismatch')) throw retryableConflict(resource, old.metadata.name);
      if (isStoreError(err, 'KeyNotFound')) throw ApiError.notFound(qualified(resource), old.metadata.name);
      throw err;
    }
  }

  // ---------------------------------------------------------------- patch

  async patch(
    resource: ServedResource,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    ctx: RequestContext,
    options: { subresource?: string; force?: boolean } = {},
  ): Promise<{ object: StoredObject; created: boolean }> {
    if (patchType === 'apply') return this.apply(resource, namespace, name, patch, ctx, options);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.deps.store.get(ResourceRegistry.key(resource, namespace, name));
      if (!kv) throw ApiError.notFound(qualified(resource), name);
      const old = decodeFromStore(kv);
      const patched = applyPatchDocument(patchType, old, patch, this.deps.schemas, this.schemaNameOf(resource), resource) as KubeObject;
      // A precondition only when the patch itself names a resourceVersion (the patched object always carries one).
      const precondition = patchedResourceVersion(patchType, patch);
      if (precondition && precondition !== old.metadata.resourceVersion) throw ApiError.conflict(qualified(resource), name);
      const object = this.decodeBody(resource, patched, ctx, 'patch');
      if (object.metadata?.name && object.metadata.name !== name) throw ApiError.badRequest(`metadata.name: Invalid value: ${JSON.stringify(object.metadata.name)}: field is immutable`);
      object.metadata!.name = name;
      try {
        return { object: await this.writeUpdate(resource, namespace, old, object, ctx, options.subresource, kv.modRevision), created: false };
      } catch (err) {
        if (err instanceof ApiError && (err as ConflictRetry).retryable && !precondition && attempt < MAX_CONFLICT_RETRIES) {
          await this.settled(resource, namespace, name);
          continue;
        }
        throw err;
      }
    }
  }

  /** Server-side apply (`application/apply-patch+yaml`). */
  private async apply(
    resource: ServedResource,
    namespace: string | undefined,
    name: string,
    body: unknown,
    ctx: RequestContext,
    options: { subresource?: string; force?: boolean },
  ): Promise<{ object: StoredObject; created: boolean }> {
    validatePatchOptions({ patchType: 'apply', fieldManager: ctx.fieldManager, force: options.force });
    const applied = this.decodeBody(resource, body, ctx, 'apply');
    this.checkNamespace(resource, namespace, applied);
    if (applied.metadata?.name && applied.metadata.name !== name) {
      throw ApiError.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    }
    for (let attempt = 0; ; attempt++) {
      const kv = await this.deps.store.get(ResourceRegistry.key(resource, namespace, name));
      const old = kv ? decodeFromStore(kv) : undefined;
      const request = {
        live: old,
        applied: deepCopy(applied),
        manager: ctx.fieldManager!,
        force: !!options.force,
        subresource: options.subresource,
        now: this.deps.now(),
        group: resource.group,
        version: resource.version,
        kind: resource.kind,
      };
      if (!old) {
        if (options.subresource) throw ApiError.notFound(qualified(resource), name);
        await this.checkNamespaceLifecycle(resource, namespace, name);
        const object = this.deps.fieldManager.apply(request) as KubeObject;
        object.metadata = { ...(object.metadata ?? {}), name, ...(resource.namespaced ? { namespace } : {}) };
        const sctx = await this.admitNew(resource, namespace, object, ctx);
        try {
          return { object: await this.storeCreate(resource, namespace, object as StoredObject, sctx, ctx), created: true };
        } catch (err) {
          if (err instanceof ApiError && err.reason === 'AlreadyExists' && attempt < MAX_CONFLICT_RETRIES) continue;
          throw err;
        }
      }
      const merged = this.deps.fieldManager.apply(request) as KubeObject;
      const precondition = applied.metadata?.resourceVersion;
      if (precondition && precondition !== old.metadata.resourceVersion) throw ApiError.conflict(qualified(resource), name);
      try {
        const object = await this.writeUpdate(resource, namespace, old, merged, ctx, options.subresource, kv!.modRevision, (o) => o);
        return { object, created: false };
      } catch (err) {
        if (err instanceof ApiError && (err as ConflictRetry).retryable && attempt < MAX_CONFLICT_RETRIES) {
          await this.settled(resource, namespace, name);
          continue;
        }
        throw err;
      }
    }
  }

  // ---------------------------------------------------------------- delete

  async delete(resource: ServedResource, namespace: string | undefined, name: string, request: DeleteRequest, ctx: RequestContext): Promise<DeleteResult> {
    for (let attempt = 0; ; attempt++) {
      const key = ResourceRegistry.key(resource, namespace, name);
      const kv = await this.deps.store.get(key);
      if (!kv) throw ApiError.notFound(qualified(resource), name);
      const old = decodeFromStore(kv);
      const pre = request.preconditions;
      if (pre?.uid && pre.uid !== old.metadata.uid) {
        throw ApiError.conflict(qualified(resource), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
        throw ApiError.conflict(
          qualified(resource),
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
        );
      }
      if (resource.group === '' && resource.plural === 'namespaces' && IMMORTAL_NAMESPACES.has(name)) {
        throw ApiError.forbidden(qualified(resource), name, 'this namespace may not be deleted');
      }
      await this.admit('DELETE', resource, namespace, undefined, old, ctx);
      await this.admitValidate('DELETE', resource, namespace, undefined, old, ctx);

      const sctx = strategyContext(this.deps, namespace, ctx);
      const next = deepCopy(old);
      const meta = next.metadata;
      const finalizers = new Set(meta.finalizers ?? []);
      const policy = request.propagationPolicy ?? (request.orphanDependents === true ? 'Orphan' : request.orphanDependents === false ? 'Background' : undefined);
      if (policy === 'Orphan') {
        finalizers.delete('foregroundDeletion');
        finalizers.add('orphan');
      } else if (policy === 'Foreground') {
        finalizers.delete('orphan');
        finalizers.add('foregroundDeletion');
      } else if (policy === 'Background') {
        finalizers.delete('orphan');
        finalizers.delete('foregroundDeletion');
      }
      // Namespaces wait for their spec.finalizers (the namespace controller empties them).
      const namespaceFinalizers = resource.group === '' && resource.plural === 'namespaces' ? ((next as { spec?: { finalizers?: string[] } }).spec?.finalizers ?? []) : [];

      const grace = old.metadata.deletionTimestamp
        ? Math.min(old.metadata.deletionGracePeriodSeconds ?? 0, request.gracePeriodSeconds ?? Number.POSITIVE_INFINITY)
        : (resource.strategy?.deletionGracePeriod?.(old, request.gracePeriodSeconds) ?? 0);
      const pending = finalizers.size > 0 || namespaceFinalizers.length > 0 || grace > 0;

      if (!pending) {
        if (ctx.dryRun) return { deleted: true, object: old };
        try {
          const gone = decodeFromStore(await this.deps.store.delete(key, kv.modRevision));
          resource.strategy?.afterDelete?.(gone, sctx);
          return { deleted: true, object: gone };
        } catch (err) {
          if (isStoreError(err, 'RevisionMismatch') && attempt < MAX_CONFLICT_RETRIES) {
            await this.deps.store.settled?.(key);
            continue;
          }
          if (isStoreError(err, 'KeyNotFound')) throw ApiError.notFound(qualified(resource), name);
          // Still racing writers after every retry: a 409 the client retries, never a raw store error.
          if (isStoreError(err, 'RevisionMismatch')) throw retryableConflict(resource, name);
          throw err;
        }
      }

      // Graceful deletion or finalizers: mark the object and keep it.
      const now = this.deps.now();
      const graceChanged = old.metadata.deletionTimestamp !== undefined && grace < (old.metadata.deletionGracePeriodSeconds ?? 0);
      if (!old.metadata.deletionTimestamp || graceChanged) {
        // A shorter grace period moves the deadline relative to the first request, as Kubernetes' BeforeDelete does.
        const from = graceChanged ? Date.parse(old.metadata.deletionTimestamp!) - (old.metadata.deletionGracePeriodSeconds ?? 0) * 1000 : now.getTime();
        meta.deletionTimestamp = rfc3339(new Date(from + grace * 1000));
        meta.deletionGracePeriodSeconds = grace;
        // Marking for deletion changes the object's desired state; shortening the grace period does not.
        if (!graceChanged && (old.metadata.generation ?? 0) > 0) meta.generation = old.metadata.generation! + 1;
      }
      if (finalizers.size > 0) meta.finalizers = [...finalizers];
      else delete meta.finalizers;
      if (resource.group === '' && resource.plural === 'namespaces') {
        (next as { status?: { phase?: string } }).status = { ...((next as { status?: object }).status ?? {}), phase: 'Terminating' };
      }
      if (sameJson(next, old)) return { deleted: false, object: old };
      if (ctx.dryRun) return { deleted: false, object: next };
      try {
        const kvNext = await this.deps.store.update(key, encodeForStore(next), kv.modRevision);
        return { deleted: false, object: decodeFromStore(kvNext) };
      } catch (err) {
        if (isStoreError(err, 'RevisionMismatch') && attempt < MAX_CONFLICT_RETRIES) {
          await this.deps.store.settled?.(key);
          continue;
        }
        if (isStoreError(err, 'KeyNotFound')) throw ApiError.notFound(qualified(resource), name);
        if (isStoreError(err, 'RevisionMismatch')) throw retryableConflict(resource, name);
        throw err;
      }
    }
  }

  async deleteCollection(resource: ServedResource, namespace: string | undefined, list: ListRequest, request: DeleteRequest, ctx: RequestContext): Promise<KubeList<StoredObject>> {
    const current = await this.list(resource, namespace, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector });
    const items: StoredObject[] = [];
    for (const item of current.items) {
      try {
        const result = await this.delete(resource, item.metadata.namespace, item.metadata.name, request, ctx);
        items.push(result.object);
      } catch (err) {
        // Gone meanwhile: deletecollection is about the end state.
        if (err instanceof ApiError && err.reason === 'NotFound') continue;
        throw err;
      }
    }
    return { apiVersion: resource.apiVersion, kind: resource.listKind, metadata: { resourceVersion: String(this.deps.store.currentRevision()) }, items };
  }

  /**
   * A write of a subresource whose rules are its own (pods/binding,
   * namespaces/finalize, pods/ephemeralcontainers): the caller built `next`
   * from the stored object; it is written if the object is still at
   * `next.metadata.resourceVersion` (409 Conflict otherwise). A namespace
   * being deleted whose finalizers are all gone is removed.
   */
  /**
   * Write `next` for a subresource whose handler builds the object itself.
   * `trackFields: false` leaves managedFields as they are, as Kubernetes'
   * pods/binding does (it writes through the storage, not the field manager).
   */
  async writeSystem(resource: ServedResource, next: StoredObject, ctx: RequestContext, subresource: string, trackFields = true): Promise<StoredObject> {
    const namespace = resource.namespaced ? next.metadata.namespace : undefined;
    const key = ResourceRegistry.key(resource, namespace, next.metadata.name);
    const kv = await this.deps.store.get(key);
    if (!kv) throw ApiError.notFound(qualified(resource), next.metadata.name);
    const old = decodeFromStore(kv);
    if (old.metadata.resourceVersion !== next.metadata.resourceVersion) throw retryableConflict(resource, next.metadata.name);
    const object = trackFields ? (this.deps.fieldManager.update({ old, object: next, manager: this.managerFor(ctx), subresource, now: this.deps.now() }) as StoredObject) : next;
    if (ctx.dryRun) return object;
    const sctx = strategyContext(this.deps, namespace, ctx);
    const nsDone =
      resource.group === '' &&
      resource.plural === 'namespaces' &&
      !!object.metadata.deletionTimestamp &&
      ((object as { spec?: { finalizers?: string[] } }).spec?.finalizers ?? []).length === 0 &&
      (object.metadata.finalizers ?? []).length === 0;
    try {
      const written = decodeFromStore(await this.deps.store.update(key, encodeForStore(object), kv.modRevision));
      if (!nsDone) return written;
      const gone = decodeFromStore(await this.deps.store.delete(key));
      resource.strategy?.afterDelete?.(gone, sctx);
      return gone;
    } catch (err) {
      if (isStoreError(err, 'RevisionMismatch')) throw retryableConflict(resource, next.metadata.name);
      if (isStoreError(err, 'KeyNotFound')) throw ApiError.notFound(qualified(resource), next.metadata.name);
      throw err;
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Wait until the store has made durable the write that beat ours to this
   * object: reads show durable writes only, so reading again before then
   * would lose the same race again.
   */
  async settled(resource: ServedResource, namespace: string | undefined, name: string): Promise<void> {
    await this.deps.store.settled?.(ResourceRegistry.key(resource, resource.namespaced ? namespace : undefined, name));
  }

  /** The managedFields manager for a write: fieldManager, else from the User-Agent. */
  private managerFor(ctx: RequestContext): string {
    return fieldManagerFor(ctx.fieldManager, ctx.userAgent);
  }

  schemaNameOf(resource: ServedResource): string | undefined {
    return resource.schemaName ?? this.deps.schemas.nameFor(resource.group, resource.version, resource.kind);
  }

  /**
   * Check a request body: an object of this resource's kind, types as the
   * schema says, unknown fields per fieldValidation. Returns a private copy.
   */
  decodeBody(resource: ServedResource, body: unknown, ctx: RequestContext, verb: 'create' | 'update' | 'patch' | 'apply'): KubeObject {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw ApiError.badRequest(`the body of the request was in an unknown format - expected a JSON object (got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body})`);
    }
    // Bodies are the caller's to give away: HTTP bodies are freshly parsed, the in-process client copies.
    const object = body as KubeObject;
    const expected = resource.apiVersion;
    if (object.apiVersion === undefined && object.kind === undefined && verb !== 'apply') {
      object.apiVersion = expected;
      object.kind = resource.kind;
    } else {
      if (verb === 'apply' && (object.apiVersion === undefined || object.kind === undefined)) {
        throw ApiError.badRequest(`invalid object type: ${object.apiVersion === undefined ? 'apiVersion' : 'kind'} not set`);
      }
      this.checkTypeMeta(resource, object);
      object.apiVersion = expected;
      object.kind = resource.kind;
    }
    if (object.metadata === undefined || object.metadata === null) object.metadata = {};
    if (typeof object.metadata !== 'object' || Array.isArray(object.metadata)) {
      throw ApiError.badRequest(`${resource.kind} in version "${resource.version}" cannot be handled as a ${resource.kind}: json: cannot unmarshal ${Array.isArray(object.metadata) ? 'array' : typeof object.metadata} into Go struct field ${resource.kind}.metadata of type v1.ObjectMeta`);
    }

    const definition = this.schemaNameOf(resource);
    if (definition && this.deps.schemas.get(definition)) {
      const validation = ctx.fieldValidation ?? 'Warn';
      const report = decodeAgainstSchema(object as Record<string, unknown>, definition, this.deps.schemas, { pruneUnknown: true });
      if (report.typeErrors.length > 0) {
        // Go's decoder reports the first type error only.
        throw ApiError.badRequest(`${resource.kind} in version "${resource.version}" cannot be handled as a ${resource.kind}: ${report.typeErrors[0]}`);
      }
      if (report.unknown.length > 0) {
        if (validation === 'Strict') {
          throw ApiError.badRequest(
            `${resource.kind} in version "${resource.version}" cannot be handled as a ${resource.kind}: strict decoding error: ${report.unknown.map((p) => `unknown field ${JSON.stringify(p)}`).join(', ')}`,
          );
        }
        if (validation === 'Warn') for (const p of report.unknown) ctx.warnings.push(`unknown field ${JSON.stringify(p)}`);
      }
    }
    return object;
  }

  /**
   * A body of another kind or version than the URL's, refused in the words
   * of Kubernetes' decoder: a kind the server does not know at that version,
   * a kind that does not convert to the URL's, or another version of it.
   */
  private checkTypeMeta(resource: ServedResource, object: KubeObject): void {
    // Kubernetes defaults an empty kind, and an empty apiVersion, from the URL.
    const kind = object.kind || resource.kind;
    const apiVersion = object.apiVersion || resource.apiVersion;
    if (kind === resource.kind && apiVersion === resource.apiVersion) return;
    const slash = apiVersion.indexOf('/');
    const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
    const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
    const cannot = `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${resource.kind}`;
    if (!this.deps.resources.byGroupVersionKind(group, version, kind)) {
      throw ApiError.badRequest(`${cannot}: no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"`);
    }
    if (kind !== resource.kind || internalPackage(group) !== internalPackage(resource.group)) {
      throw ApiError.badRequest(`${cannot}: converting (${version}.${kind}) to (${internalPackage(resource.group)}.${resource.kind}): unknown conversion`);
    }
    throw ApiError.badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${resource.apiVersion})`);
  }

  private checkNamespace(resource: ServedResource, namespace: string | undefined, object: KubeObject): void {
    const meta = object.metadata!;
    if (resource.namespaced) {
      if (!namespace) throw ApiError.badRequest('the server could not find the requested resource: a namespace is required');
      if (meta.namespace && meta.namespace !== namespace) {
        throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
  }

  /** NamespaceLifecycle: no new content in a namespace that is missing or terminating. */
  private async checkNamespaceLifecycle(resource: ServedResource, namespace: string | undefined, name: string): Promise<void> {
    if (!resource.namespaced || !namespace) return;
    const nsResource = this.deps.resources.get('', 'v1', 'namespaces');
    if (!nsResource) return;
    const kv = await this.deps.store.get(ResourceRegistry.key(nsResource, undefined, namespace));
    if (!kv) {
      this.namespacePhases.delete(ResourceRegistry.key(nsResource, undefined, namespace));
      throw ApiError.notFound({ group: '', resource: 'namespaces' }, namespace);
    }
    if (this.namespaceTerminating(kv)) {
      throw ApiError.forbidden(qualified(resource), name, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  /** Whether a stored namespace is terminating; parsed once per namespace revision (every create asks). */
  private namespaceTerminating(kv: KeyValue): boolean {
    const cached = this.namespacePhases.get(kv.key);
    if (cached && cached.revision === kv.modRevision) return cached.terminating;
    const ns = decodeFromStore(kv);
    const terminating = !!ns.metadata.deletionTimestamp || (ns as { status?: { phase?: string } }).status?.phase === 'Terminating';
    this.namespacePhases.set(kv.key, { revision: kv.modRevision, terminating });
    return terminating;
  }

  private async admit(op: AdmissionOperation, resource: ServedResource, namespace: string | undefined, object: KubeObject | undefined, old: StoredObject | undefined, ctx: RequestContext, subresource?: string): Promise<void> {
    const hook = this.deps.hooks.api.admission.mutate;
    if (hook.taps.length === 0) return;
    const request = admissionRequest(op, resource, namespace, object, old, ctx, subresource);
    const denial = await hook.promise(request);
    if (denial) throw admissionError(resource, request, denial);
  }

  private async admitValidate(op: AdmissionOperation, resource: ServedResource, namespace: string | undefined, object: KubeObject | undefined, old: StoredObject | undefined, ctx: RequestContext, subresource?: string): Promise<void> {
    const hook = this.deps.hooks.api.admission.validate;
    if (hook.taps.length === 0) return;
    const request = admissionRequest(op, resource, namespace, object, old, ctx, subresource);
    // Validators read; they must not change what is about to be stored. The copies are made when a tap
    // first reads them: most taps look at the resource first and never touch the object of other kinds.
    lazyFrozenCopy(request, 'object', object);
    const denial = await hook.promise(request);
    if (denial) throw admissionError(resource, request, denial);
  }
}

/** The object just written, as a read would return it (no JSON round trip). */
function withRevision(object: StoredObject, revision: number): StoredObject {
  object.metadata.resourceVersion = String(revision);
  return object;
}

function allowCreateOnUpdate(resource: ServedResource): boolean {
  // As in Kubernetes: PUT creates Endpoints, Leases and Events that do not exist; other types answer 404.
  return resource.group === '' ? resource.plural === 'endpoints' || resource.plural === 'events' : resource.group === 'coordination.k8s.io';
}

function admissionRequest(op: AdmissionOperation, resource: ServedResource, namespace: string | undefined, object: KubeObject | undefined, old: StoredObject | undefined, ctx: RequestContext, subresource?: string): AdmissionRequest {
  const request: AdmissionRequest = {
    operation: op,
    group: resource.group,
    version: resource.version,
    kind: resource.kind,
    resource: resource.plural,
    subresource,
    namespace,
    name: object?.metadata?.name ?? old?.metadata.name,
    user: ctx.user,
    dryRun: !!ctx.dryRun,
    object,
  };
  return lazyFrozenCopy(request, 'oldObject', old);
}

/** Make `target[key]` a copy of `source`, frozen at the top, made on first read. Returns `target`. */
function lazyFrozenCopy<T extends object>(target: T, key: string, source: KubeObject | undefined): T {
  let copy: KubeObject | undefined;
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get: () => (source === undefined ? undefined : (copy ??= Object.freeze(deepCopy(source)) as KubeObject)),
  });
  return target;
}

function admissionError(resource: ServedResource, request: AdmissionRequest, denial: { message: string; code?: number }): ApiError {
  const code = denial.code ?? 403;
  if (code === 422) return new ApiError(422, 'Invalid', `${resource.kind} "${request.name ?? ''}" is invalid: ${denial.message}`);
  return ApiError.forbidden({ group: resource.group, resource: resource.plural }, request.name ?? '', denial.message);
}

/** The resourceVersion a patch document sets, if any (merge and strategic: metadata.resourceVersion; JSON: an add or replace of it). */
function patchedResourceVersion(patchType: PatchType, patch: unknown): string | undefined {
  if (patchType === 'json') {
    if (!Array.isArray(patch)) return undefined;
    for (const op of patch as Array<{ op?: string; path?: string; value?: unknown }>) {
      if ((op.op === 'add' || op.op === 'replace') && op.path === '/metadata/resourceVersion' && typeof op.value === 'string') return op.value;
    }
    return undefined;
  }
  const rv = (patch as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

interface ConflictRetry {
  retryable?: boolean;
}

function retryableConflict(resource: ServedResource, name: string): ApiError {
  const err = ApiError.conflict(qualified(resource), name);
  (err as ConflictRetry).retryable = true;
  return err;
}

function withoutManagedTimes(object: KubeObject): KubeObject {
  const copy = { ...object, metadata: { ...(object.metadata ?? {}) } };
  const managed = copy.metadata.managedFields;
  if (managed) copy.metadata.managedFields = managed.map((m) => ({ ...m, time: undefined }));
  delete (copy.metadata as { resourceVersion?: string }).resourceVersion;
  return copy;
}

/** 400 for a resourceVersion that is not a number, worded as Kubernetes' storage layer (strconv.ParseUint). */
export function invalidResourceVersion(rv: string): ApiError {
  return ApiError.badRequest(`invalid resource version: resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`);
}

/** The Go package of a group's internal types (`core.ConfigMap`, `apps.Deployment`), as conversion errors name them. */
function internalPackage(group: string): string {
  if (group === '' || group === 'events.k8s.io') return 'core';
  return group.split('.')[0];
}

/** A []string as Go's %#v prints it: `[]string{"a", "b"}`. */
function goStringSlice(values: readonly string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

// Continue tokens, as Kubernetes encodes them: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"<key after the prefix>\u0000"}.
export function encodeContinue(rv: number, lastKey: string, prefix: string): string {
  const start = lastKey.slice(prefix.length) + '\u0000';
  return Buffer.from(JSON.stringify({ v: CONTINUE_VERSION, rv, start })).toString('base64url');
}

/**
 * A continue token's resourceVersion (-1: go on at the latest revision) and
 * start key; 400 `invalid continue token: continue key is not valid: ...` as
 * Kubernetes words it otherwise.
 */
export function decodeContinue(token: string, prefix: string): { rv: number; start: string } {
  const invalid = (why: string) => ApiError.badRequest(`invalid continue token: continue key is not valid: ${why}`);
  // Go's base64.RawURLEncoding: no padding, URL alphabet only.
  const bad = /[^A-Za-z0-9_-]/.exec(token);
  if (bad) throw invalid(`illegal base64 data at input byte ${bad.index}`);
  if (token.length % 4 === 1) throw invalid(`illegal base64 data at input byte ${token.length - 1}`);
  const raw = Buffer.from(token, 'base64url');
  const syntax = goJsonSyntaxError(raw);
  if (syntax) throw invalid(syntax);
  const parsed = JSON.parse(raw.toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown } | null;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('not a JSON object');
  if (parsed.v !== CONTINUE_VERSION) throw invalid(`server does not recognize this encoded version ${String(parsed.v ?? '')}`);
  if (typeof parsed.rv !== 'number' || !Number.isInteger(parsed.rv) || parsed.rv === 0) {
    throw invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof parsed.start !== 'string' || parsed.start === '') throw invalid('encoded start key empty (version meta.k8s.io/v1)');
  if (parsed.start.includes('..') || parsed.start.startsWith('/')) throw invalid(parsed.start);
  // `start` is the key after the last one returned with a NUL appended: resume strictly after it.
  const start = prefix + parsed.start.replace(/\u0000$/, '');
  return { rv: parsed.rv, start };
}
