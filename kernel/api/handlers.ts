/**
 * Resource requests, transport-independent: the HTTP server and the
 * in-process client both come here with an already-decoded body. Subresources
 * (status, scale, binding, eviction, finalize) are handled here too; streaming
 * ones (log, exec, attach, portforward, proxy) belong to the node and are
 * routed by the HTTP server.
 */
import type { PatchType } from '../client/types';
import { ApiError, FieldError } from './errors';
import type { ResourceRegistry, ServedResource } from './registry';
import type { DeleteRequest, ListRequest, RequestContext, RestStorage } from './rest';
import type { WatchHandle, WatchManager, WatchRequest, WatchSink } from './watch';
import type { KubeObject, StoredObject } from './types';
import { deepCopy } from './types';
import { formatLabelSelector } from './selectors';
import { applyPatchDocument } from './patching';
import type { SchemaRegistry } from './openapi/schemas';
import { rfc3339 } from './codec';
import type { RequestAuth } from './auth';

export interface ResourceCall {
  readonly verb: string;
  readonly resource: ServedResource;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
  readonly ctx: RequestContext;
  readonly body?: unknown;
  readonly patchType?: PatchType;
  readonly list?: ListRequest;
  readonly watch?: WatchRequest;
  readonly delete?: DeleteRequest;
  readonly force?: boolean;
}

export type ResourceResult = { readonly code: number; readonly body: unknown; readonly objects?: StoredObject[] };

/** Subresources served by the node that runs the pod (or another backend), not by the storage. */
export const STREAMING_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

const SCALE_PARENT_PATH = 'spec.replicas';

export class ResourceHandlers {
  constructor(
    private readonly rest: RestStorage,
    private readonly watches: WatchManager,
    private readonly resources: ResourceRegistry,
    private readonly schemas: SchemaRegistry,
    private readonly now: () => Date,
    private readonly auth: RequestAuth,
  ) {}

  /** Check that the verb is served for this resource / subresource (405 otherwise). */
  checkVerb(call: Pick<ResourceCall, 'verb' | 'resource' | 'subresource' | 'name'>): void {
    const { resource, subresource, verb } = call;
    if (subresource) {
      const sub = resource.subresources?.find((s) => s.name === subresource);
      // No such route in Kubernetes: the generic 404, not an object NotFound.
      if (!sub) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
      if (!sub.verbs.includes(verb as never)) throw ApiError.methodNotAllowed();
      return;
    }
    if (!resource.verbs.includes(verb as never)) throw ApiError.methodNotAllowed();
  }

  async execute(call: ResourceCall): Promise<ResourceResult> {
    const { resource, namespace, name, subresource, ctx } = call;
    // PUT and PATCH address one object: on a collection there is no such route (405, as Kubernetes).
    if (!name && (call.verb === 'update' || call.verb === 'patch')) throw ApiError.methodNotAllowed();
    if (resource.namespaced && !namespace && ['create', 'update', 'patch', 'delete', 'get'].includes(call.verb)) {
      throw ApiError.notFound({ group: resource.group, resource: resource.plural }, name ?? '');
    }
    this.checkVerb(call);
    if (resource.review) {
      const object = this.rest.decodeBody(resource, call.body, ctx, 'create');
      const answer = await resource.review.create(object, { user: ctx.user, namespace, auth: this.auth });
      return { code: 201, body: answer };
    }
    if (subresource === 'scale') return this.scale(call);
    if (subresource === 'binding') return this.bind(call);
    if (subresource === 'eviction') return this.evict(call);
    if (subresource === 'finalize') return this.finalize(call);
    if (subresource === 'ephemeralcontainers') return this.ephemeralContainers(call);

    switch (call.verb) {
      case 'get':
        return { code: 200, body: await this.rest.get(resource, namespace, name!) };
      case 'list': {
        const list = await this.rest.list(resource, namespace, call.list ?? {});
        return { code: 200, body: list, objects: list.items };
      }
      case 'create': {
        if (name && !subresource) throw ApiError.methodNotAllowed();
        const created = await this.rest.create(resource, namespace, call.body, ctx);
        return { code: 201, body: created };
      }
      case 'update': {
        const r = await this.rest.update(resource, namespace, name!, call.body, ctx, subresource);
        return { code: r.created ? 201 : 200, body: r.object };
      }
      case 'patch': {
        const r = await this.rest.patch(resource, namespace, name!, call.patchType!, call.body, ctx, { subresource, force: call.force });
        return { code: r.created ? 201 : 200, body: r.object };
      }
      case 'delete': {
        const r = await this.rest.delete(resource, namespace, name!, call.delete ?? {}, ctx);
        // Kubernetes answers 200 while finalizers or a grace period hold the object, and 202 only when
        // orphanDependents=false was asked for (kept for old clients).
        if (!r.deleted) return { code: call.delete?.orphanDependents === false ? 202 : 200, body: r.object };
        if (resource.returnDeletedObject) return { code: 200, body: r.object };
        return {
          code: 200,
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name: r.object.metadata.name, group: resource.group || undefined, kind: resource.plural, uid: r.object.metadata.uid },
          },
        };
      }
      case 'deletecollection': {
        const list = await this.rest.deleteCollection(resource, namespace, call.list ?? {}, call.delete ?? {}, ctx);
        return { code: 200, body: list };
      }
      default:
        throw ApiError.methodNotAllowed();
    }
  }

  watch(call: ResourceCall, sink: WatchSink): Promise<WatchHandle> {
    this.checkVerb({ ...call, verb: 'watch' });
    return this.watches.watch(call.resource, call.namespace, call.watch ?? {}, sink);
  }

  // ---------------------------------------------------------------- scale (autoscaling/v1 Scale)

  private toScale(parent: StoredObject): KubeObject {
    const spec = (parent as { spec?: { replicas?: number; selector?: object } }).spec ?? {};
    // A core/v1 ReplicationController's selector is a plain label map (labels.SelectorFromSet).
    const selector = parent.kind === 'ReplicationController' && parent.apiVersion === 'v1' ? { matchLabels: spec.selector } : spec.selector;
    const status = (parent as { status?: { replicas?: number } }).status ?? {};
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: parent.metadata.name,
        namespace: parent.metadata.namespace,
        uid: parent.metadata.uid,
        resourceVersion: parent.metadata.resourceVersion,
        creationTimestamp: parent.metadata.creationTimestamp,
      },
      spec: { replicas: spec.replicas ?? 0 },
      status: { replicas: status.replicas ?? 0, selector: formatLabelSelector(selector as never).replace(/^<none>$/, '') },
    };
  }

  private async scale(call: ResourceCall): Promise<ResourceResult> {
    const { resource, namespace, name, ctx } = call;
    for (let attempt = 0; ; attempt++) {
      const parent = await this.rest.get(resource, namespace, name!);
      if (call.verb === 'get') return { code: 200, body: this.toScale(parent) };
      let scale: KubeObject;
      if (call.verb === 'update') {
        scale = deepCopy(call.body as KubeObject);
        if (!scale || typeof scale !== 'object') throw ApiError.badRequest('the body of the request was in an unknown format - expected a Scale');
        if (scale.kind !== undefined && scale.kind !== 'Scale') throw ApiError.badRequest(`the kind in the data (${scale.kind}) does not match the expected kind (Scale)`);
      } else {
        scale = applyPatchDocument(call.patchType!, this.toScale(parent), call.body, this.schemas, 'io.k8s.api.autoscaling.v1.Scale') as KubeObject;
      }
      const replicas = (scale as { spec?: { replicas?: unknown } }).spec?.replicas ?? 0;
      const rv = scale.metadata?.resourceVersion;
      if (rv && rv !== parent.metadata.resourceVersion) throw ApiError.conflict({ group: resource.group, resource: resource.plural }, name!);
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw ApiError.invalid('Scale', 'autoscaling', name!, [FieldError.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
      }
      const next = deepCopy(parent) as KubeObject & { spec?: { replicas?: number } };
      next.spec = { ...(next.spec ?? {}), replicas };
      try {
        const r = await this.rest.update(resource, namespace, name!, next, { ...ctx, warnings: ctx.warnings }, undefined);
        return { code: 200, body: this.toScale(r.object) };
      } catch (err) {
        // Another writer got in between our read and write: a Scale without a precondition retries.
        if (!rv && err instanceof ApiError && err.reason === 'Conflict' && attempt < 5) {
          await this.rest.settled(resource, namespace, name!);
          continue;
        }
        throw err;
      }
    }
  }

  // ---------------------------------------------------------------- pods/binding, pods/eviction

  private async bind(call: ResourceCall): Promise<ResourceResult> {
    const { resource, namespace, name, ctx } = call;
    const binding = call.body as { metadata?: { name?: string; annotations?: Record<string, string> }; target?: { kind?: string; name?: string } } | undefined;
    if (!binding || typeof binding !== 'object') throw ApiError.badRequest('the body of the request was in an unknown format - expected a Binding');
    if (binding.metadata?.name && binding.metadata.name !== name) {
      throw ApiError.badRequest(`the name of the object (${binding.metadata.name}) does not match the name on the URL (${name})`);
    }
    const target = binding.target?.name;
    if (!target) throw ApiError.invalid('Binding', '', name ?? '', [FieldError.required('target.name')]);
    if (binding.target?.kind && binding.target.kind !== 'Node') {
      throw ApiError.invalid('Binding', '', name ?? '', [FieldError.notSupported('target.kind', binding.target.kind, ['Node', '<empty>'])]);
    }
    for (let attempt = 0; ; attempt++) {
      const pod = await this.rest.get(resource, namespace, name!);
      const spec = (pod as { spec?: { nodeName?: string } }).spec ?? {};
      if (pod.metadata.deletionTimestamp) {
        throw ApiError.conflict({ group: '', resource: 'pods/binding' }, name!, `pod ${name} is being deleted, cannot be assigned to a host`);
      }
      if (spec.nodeName) {
        throw ApiError.conflict({ group: '', resource: 'pods/binding' }, name!, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      }
      const next = deepCopy(pod) as StoredObject & { spec: { nodeName?: string }; status?: { conditions?: Array<Record<string, unknown>> } };
      next.spec.nodeName = target;
      if (binding.metadata?.annotations) next.metadata.annotations = { ...(next.metadata.annotations ?? {}), ...binding.metadata.annotations };
      const status = (next.status ??= {});
      const conditions = (status.conditions ??= []);
      // The condition is replaced whole (podutil.UpdatePodCondition): the scheduler's Unschedulable reason and message go.
      const at = conditions.findIndex((c) => c.type === 'PodScheduled');
      const condition = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(this.now()) };
      if (at >= 0) conditions[at] = condition;
      else conditions.push(condition);
      try {
        await this.rest.writeSystem(resource, next, ctx, 'binding', false);
        return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'Conflict' && attempt < 5) {
          await this.rest.settled(resource, namespace, name!);
          continue;
        }
        throw err;
      }
    }
  }

  private async evict(call: ResourceCall): Promise<ResourceResult> {
    const { resource, namespace, name, ctx } = call;
    const eviction = (call.body ?? {}) as { metadata?: { name?: string }; deleteOptions?: DeleteRequest };
    if (eviction.metadata?.name && eviction.metadata.name !== name) {
      throw ApiError.badRequest(`name in URL does not match name in Eviction object`);
    }
    await this.rest.delete(resource, namespace, name!, eviction.deleteOptions ?? {}, ctx);
    return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
  }

  // ---------------------------------------------------------------- namespaces/finalize

  private async finalize(call: ResourceCall): Promise<ResourceResult> {
    const { resource, name, ctx } = call;
    const body = call.body as { spec?: { finalizers?: string[] } } | undefined;
    const ns = await this.rest.get(resource, undefined, name!);
    const next = deepCopy(ns) as StoredObject & { spec?: { finalizers?: string[] } };
    next.spec = { ...(next.spec ?? {}), finalizers: [...(body?.spec?.finalizers ?? [])] };
    if (next.spec.finalizers!.length === 0) delete next.spec.finalizers;
    const bodyRv = (call.body as KubeObject | undefined)?.metadata?.resourceVersion;
    if (bodyRv && bodyRv !== ns.metadata.resourceVersion) throw ApiError.conflict({ group: '', resource: 'namespaces' }, name!);
    const written = await this.rest.writeSystem(resource, next, ctx, 'finalize');
    return { code: 200, body: written };
  }

  // ---------------------------------------------------------------- pods/ephemeralcontainers

  private async ephemeralContainers(call: ResourceCall): Promise<ResourceResult> {
    const { resource, namespace, name, ctx } = call;
    const pod = await this.rest.get(resource, namespace, name!);
    if (call.verb === 'get') return { code: 200, body: pod };
    const incoming =
      call.verb === 'update'
        ? (call.body as KubeObject)
        : (applyPatchDocument(call.patchType!, pod, call.body, this.schemas, 'io.k8s.api.core.v1.Pod', resource) as KubeObject);
    const next = deepCopy(pod) as StoredObject & { spec: Record<string, unknown> };
    const wanted = (incoming as { spec?: { ephemeralContainers?: unknown[] } }).spec?.ephemeralContainers;
    if (wanted === undefined) delete next.spec.ephemeralContainers;
    else next.spec.ephemeralContainers = wanted;
    const written = await this.rest.writeSystem(resource, next, ctx, 'ephemeralcontainers');
    return { code: 200, body: written };
  }

  /** The store path the scale subresource writes to (for OpenAPI docs and tests). */
  static readonly scaleParentPath = SCALE_PARENT_PATH;
}
