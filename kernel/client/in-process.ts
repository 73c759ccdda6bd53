/**
 * The ApiClient for components in the `skiff up` process: the same request
 * path as HTTP (decoding against schemas, defaults, validation, admission,
 * managedFields) without the sockets and JSON round trip. Objects are copied
 * in both directions, so callers can never touch the server's.
 *
 * In-process components are trusted: they authenticate as the identity they
 * are given and skip authorization (as kube-controller-manager's credentials
 * would be allowed).
 */
import { deepFreeze } from './cache';
import type { UserInfo } from '../auth/types';
import { ApiError } from '../api/errors';
import type { ResourceHandlers } from '../api/handlers';
import type { ResourceRegistry, ServedResource } from '../api/registry';
import type { RequestContext } from '../api/rest';
import type { Status } from '../api/errors';
import { deepCopy, KubeList, KubeObject, WatchEvent } from '../api/types';
import type {
  ApiClient,
  ApiResource,
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
} from './types';

/** What the client needs of a running API server. */
export interface InProcessApi {
  readonly handlers: ResourceHandlers;
  readonly resources: ResourceRegistry;
}

export class InProcessApiClient implements ApiClient {
  constructor(
    private readonly api: () => InProcessApi,
    private readonly user: UserInfo,
    private readonly userAgent = 'skiff',
  ) {}

  /** The same client acting as another component (its own manager name and identity). */
  as(user: UserInfo, userAgent: string): InProcessApiClient {
    return new InProcessApiClient(this.api, user, userAgent);
  }

  private resource(type: ResourceType): ServedResource {
    const r = this.api().resources.get(type.group, type.version, type.resource);
    if (!r) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    return r;
  }

  private ctx(options: (WriteOptions & { dryRun?: boolean }) | undefined): RequestContext {
    return {
      user: this.user,
      userAgent: this.userAgent,
      dryRun: options?.dryRun,
      fieldManager: options?.fieldManager,
      fieldValidation: options?.fieldValidation,
      warnings: [],
      signal: options?.signal,
    };
  }

  private async run<T>(call: Parameters<ResourceHandlers['execute']>[0], signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
    const result = await this.api().handlers.execute(call);
    // Not copied: every result is built for this call (decoded from the store, or a fresh Status), so the caller owns it.
    return result.body as T;
  }

  get<T extends KubeObject = KubeObject>(type: ResourceType, name: string, options: RequestOptions = {}): Promise<T> {
    return this.run({ verb: 'get', resource: this.resource(type), namespace: options.namespace, name, subresource: options.subresource, ctx: this.ctx(undefined) }, options.signal);
  }

  list<T extends KubeObject = KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    return this.run(
      {
        verb: 'list',
        resource: this.resource(type),
        namespace: options.namespace,
        ctx: this.ctx(undefined),
        list: {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: options.limit,
          continue: options.continue,
          resourceVersion: options.resourceVersion,
          resourceVersionMatch: options.resourceVersionMatch,
        },
      },
      options.signal,
    );
  }

  create<T extends KubeObject = KubeObject>(type: ResourceType, object: KubeObject, options: WriteOptions & { name?: string } = {}): Promise<T> {
    const resource = this.resource(type);
    const body = deepCopy(object);
    if (!options.subresource && body.apiVersion === undefined && body.kind === undefined) {
      body.apiVersion = resource.apiVersion;
      body.kind = resource.kind;
    }
    return this.run(
      { verb: 'create', resource, namespace: options.namespace, name: options.subresource ? options.name ?? object.metadata?.name : undefined, subresource: options.subresource, ctx: this.ctx(options), body },
      options.signal,
    );
  }

  update<T extends KubeObject = KubeObject>(type: ResourceType, object: KubeObject, options: WriteOptions = {}): Promise<T> {
    const name = object.metadata?.name;
    if (!name) return Promise.reject(ApiError.badRequest('name is required for update'));
    return this.run(
      { verb: 'update', resource: this.resource(type), namespace: options.namespace ?? object.metadata?.namespace, name, subresource: options.subresource, ctx: this.ctx(options), body: deepCopy(object) },
      options.signal,
    );
  }

  patch<T extends KubeObject = KubeObject>(type: ResourceType, name: string, patchType: PatchType, patch: unknown, options: PatchOptions = {}): Promise<T> {
    return this.run(
      {
        verb: 'patch',
        resource: this.resource(type),
        namespace: options.namespace,
        name,
        subresource: options.subresource,
        ctx: this.ctx(options),
        body: deepCopy(patch),
        patchType,
        force: options.force,
      },
      options.signal,
    );
  }

  delete(type: ResourceType, name: string, options: DeleteOptions = {}): Promise<KubeObject | Status> {
    return this.run(
      {
        verb: 'delete',
        resource: this.resource(type),
        namespace: options.namespace,
        name,
        ctx: this.ctx({ dryRun: options.dryRun }),
        delete: { propagationPolicy: options.propagationPolicy, gracePeriodSeconds: options.gracePeriodSeconds, preconditions: options.preconditions },
      },
      options.signal,
    );
  }

  deleteCollection(type: ResourceType, options: ListOptions & DeleteOptions = {}): Promise<KubeList | Status> {
    return this.run(
      {
        verb: 'deletecollection',
        resource: this.resource(type),
        namespace: options.namespace,
        ctx: this.ctx({ dryRun: options.dryRun }),
        list: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector },
        delete: { propagationPolicy: options.propagationPolicy, gracePeriodSeconds: options.gracePeriodSeconds, preconditions: options.preconditions },
      },
      options.signal,
    );
  }

  serverResources(): Promise<ApiResource[]> {
    return Promise.resolve(
      this.api()
        .resources.list()
        .map((r) => ({ group: r.group, version: r.version, resource: r.plural, kind: r.kind, namespaced: r.namespaced, verbs: [...r.verbs] })),
    );
  }

  watch<T extends KubeObject = KubeObject>(type: ResourceType, options: WatchOptions, handlers: WatchHandlers<T>): WatchHandle {
    let stopped = false;
    let inner: { stop(): void } | undefined;
    const close = (err?: Error) => {
      if (stopped) return;
      stopped = true;
      inner?.stop();
      handlers.onClose(err);
    };
    const fieldSelector = options.name ? [options.fieldSelector, `metadata.name=${options.name}`].filter(Boolean).join(',') : options.fieldSelector;
    let resource: ServedResource;
    try {
      resource = this.resource(type);
    } catch (err) {
      queueMicrotask(() => close(err as Error));
      return { stop: () => close() };
    }
    this.api()
      .handlers.watch(
        {
          verb: 'watch',
          resource,
          namespace: options.namespace,
          ctx: this.ctx(undefined),
          watch: {
            labelSelector: options.labelSelector,
            fieldSelector,
            resourceVersion: options.resourceVersion,
            allowWatchBookmarks: options.allowWatchBookmarks,
            timeoutSeconds: options.timeoutSeconds,
          },
        },
        {
          send: (events) => {
            for (const e of events) {
              if (stopped) return;
              if (e.type === 'ERROR') {
                const status = e.object as unknown as Status;
                close(new ApiError(status.code, status.reason || 'InternalError', status.message ?? 'watch failed', status.details));
                return;
              }
              // One decoded object per event, frozen and shared by every in-process watcher (copying it per
              // watcher was a twentieth of a busy API server's time); copy it to change it.
              handlers.onEvent({ type: e.type, object: deepFreeze(e.object) as T } as WatchEvent<T>);
            }
          },
          end: () => close(),
        },
      )
      .then(
        (h) => {
          inner = h;
          if (stopped) h.stop();
        },
        (err: Error) => close(err),
      );
    if (options.signal) options.signal.addEventListener('abort', () => close(), { once: true });
    return { stop: () => close() };
  }
}
