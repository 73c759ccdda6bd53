/**
 * The API server's HTTP side: routing, authentication and authorization
 * through the kernel hooks, body decoding (JSON, YAML, Kubernetes protobuf),
 * content negotiation (objects, Tables, PartialObjectMetadata, aggregated
 * discovery), watch streaming, discovery, OpenAPI, health, and hand-off of
 * node streams (pods/log, pods/exec, ...). The request semantics live in
 * handlers.ts and rest.ts.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { KernelHooks } from '../hooks';
import type { Logger } from '../log';
import type { UserInfo } from '../auth/types';
import { ANONYMOUS_USER, UNAUTHENTICATED_GROUP } from '../auth/types';
import { ADMIN_USER, RequestAuth } from './auth';
import type { PatchType } from '../client/types';
import { ApiError, FieldError, isApiError } from './errors';
import { Writable } from 'node:stream';
import { parseRequestInfo, RequestInfo, isTrue } from './request-info';
import type { ResourceRegistry, ServedResource } from './registry';
import { ResourceHandlers, ResourceCall, STREAMING_SUBRESOURCES } from './handlers';
import type { DeleteRequest, FieldValidation, ListRequest, RequestContext } from './rest';
import type { WatchRequest } from './watch';
import { aggregatedContentType, negotiateDiscovery, negotiateRendering, parseContentType, Rendering } from './negotiation';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery';
import { toTable, toPartialObjectMetadataList, partialObjectMetadata, IncludeObject } from './table';
import type { StoredObject } from './types';
import { versionInfo } from './version';
import type { NodeStreamProvider, NodeStreams, PodLogOptions, PodStreamTarget, ConnectKind } from './node-streams';
import { kubeletEndpointOf, RemoteNodeStreams } from './node-proxy';
import type { Node } from 'kubernetes-types/core/v1';
import type { OpenApiService } from './openapi/service';
import { decodeKubernetesProtobuf } from './protobuf';
import { goJsonSyntaxError } from './json-syntax';
import { OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_ACCEPT } from './openapi/v2-protobuf';
import { validateFieldManager, validatePatchOptions } from './patch';

export interface ApiServerDeps {
  readonly hooks: KernelHooks;
  readonly resources: ResourceRegistry;
  readonly handlers: ResourceHandlers;
  readonly nodeStreams: NodeStreams;
  readonly openapi: OpenApiService;
  readonly logger: Logger;
  readonly maxRequestBytes: number;
  readonly auth: RequestAuth;
  /** The token the server presents to remote node agents (theirs to check with a TokenReview). */
  readonly kubeletToken?: string;
  readonly now: () => Date;
  /** Readiness: false until boot has finished. */
  readonly isReady: () => boolean;
}

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { cert: string; key: string; ca?: string };
}

const JSON_TYPE = 'application/json';
/** Patch content types, in the order Kubernetes lists them in its 415 message. */
const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

const ANONYMOUS: UserInfo = { name: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };

/** A response on its way out. */
interface Reply {
  code: number;
  body: unknown;
  contentType?: string;
}

export class ApiServer {
  private server?: http.Server | https.Server;
  private readonly sockets = new Set<Socket | Duplex>();
  private readonly openStreams = new Set<() => void>();
  private address?: AddressInfo;

  constructor(private readonly deps: ApiServerDeps) {}

  async listen(options: ListenOptions): Promise<AddressInfo> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((err) => {
        // handle() answers every error itself; reaching here means the socket broke mid-response.
        this.deps.logger.debug('response failed', { error: (err as Error).message });
      });
    };
    const server = options.tls
      ? https.createServer({ cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, requestCert: false }, handler)
      : http.createServer(handler);
    server.keepAliveTimeout = 75_000;
    server.headersTimeout = 80_000;
    server.requestTimeout = 0;
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.handleUpgrade(req, socket, head).catch((err) => this.rejectUpgrade(socket, err));
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('secureConnection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.address = server.address() as AddressInfo;
    return this.address;
  }

  /** Stop accepting, end watches and streams, close idle and open connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const end of [...this.openStreams]) end();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections?.();
    // Give in-flight requests a moment, then cut what remains (long-lived streams, keep-alive).
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, 2000);
    timer.unref();
    for (const s of this.sockets) if ((s as Socket & { _httpMessage?: unknown })._httpMessage === null) s.destroy();
    await closed;
    clearTimeout(timer);
  }

  listeningAddress(): AddressInfo | undefined {
    return this.address;
  }

  // ---------------------------------------------------------------- request handling

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const query = url.searchParams;
    const warnings: string[] = [];
    try {
      const user = await this.authenticate(req);
      const info = parseRequestInfo(req.method ?? 'GET', path, query);
      await this.authorize(user, info);
      if (!info.isResourceRequest) {
        await this.handleNonResource(req, res, info, path, query);
        return;
      }
      await this.handleResource(req, res, info, query, user, warnings);
    } catch (err) {
      this.sendError(res, err, warnings);
    }
  }

  private async authenticate(req: http.IncomingMessage): Promise<UserInfo> {
    const user = await this.deps.auth.authenticate({ headers: req.headers, remoteAddress: req.socket.remoteAddress });
    if (user) return user;
    // Credentials that nobody recognised are rejected; no credentials at all is anonymous.
    if (req.headers.authorization) throw ApiError.unauthorized();
    return ANONYMOUS;
  }

  private async authorize(user: UserInfo, info: RequestInfo): Promise<void> {
    const decision = await this.deps.auth.authorize({
      user,
      verb: info.verb,
      resourceRequest: info.isResourceRequest,
      apiGroup: info.group,
      apiVersion: info.version,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
      path: info.path,
    });
    if (decision.allowed) return;
    const reason = decision.reason ? `: ${decision.reason}` : '';
    if (!info.isResourceRequest) {
      throw new ApiError(403, 'Forbidden', `forbidden: User "${user.name}" cannot ${info.verb} path "${info.path}"${reason}`, {});
    }
    const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    const scope = info.namespace ? ` in the namespace "${info.namespace}"` : ' at the cluster scope';
    const what = info.name ? `${info.resource}${info.group ? `.${info.group}` : ''} "${info.name}"` : `${info.resource}${info.group ? `.${info.group}` : ''}`;
    throw new ApiError(403, 'Forbidden', `${what} is forbidden: User "${user.name}" cannot ${info.verb} resource "${resource}" in API group "${info.group}"${scope}${reason}`, {
      name: info.name,
      group: info.group || undefined,
      kind: info.resource,
    });
  }

  private async handleNonResource(req: http.IncomingMessage, res: http.ServerResponse, info: RequestInfo, path: string, query: URLSearchParams): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw notFound();
    const accept = req.headers.accept;
    switch (true) {
      case path === '/version':
        return this.send(res, { code: 200, body: versionInfo() });
      case path === '/healthz' || path === '/livez' || path === '/readyz' || /^\/(healthz|livez|readyz)\/[a-z-]+$/.test(path):
        return this.health(res, path, query);
      case path === '/api': {
        const d = negotiateDiscovery(accept);
        if (d.kind === 'aggregated') return this.send(res, { code: 200, body: aggregatedDiscovery(this.deps.resources, 'api', d.version), contentType: aggregatedContentType(d.version) });
        return this.send(res, { code: 200, body: apiVersions(hostOf(req)) });
      }
      case path === '/apis': {
        const d = negotiateDiscovery(accept);
        if (d.kind === 'aggregated') return this.send(res, { code: 200, body: aggregatedDiscovery(this.deps.resources, 'apis', d.version), contentType: aggregatedContentType(d.version) });
        return this.send(res, { code: 200, body: apiGroupList(this.deps.resources) });
      }
      case info.apiPrefix === 'apis' && !info.version && !!info.group: {
        const g = apiGroup(this.deps.resources, info.group);
        if (!g) throw notFound();
        return this.send(res, { code: 200, body: g });
      }
      case !!info.apiPrefix && !!info.version: {
        if (info.apiPrefix === 'api' && info.group) throw notFound();
        const list = apiResourceList(this.deps.resources, info.group, info.version);
        if (!list) throw notFound();
        return this.send(res, { code: 200, body: list });
      }
      case path === '/openapi/v2' || path === '/swagger.json':
        return this.openApiV2(req, res);
      case path === '/openapi/v3':
        return this.send(res, { code: 200, body: this.deps.openapi.v3Index() });
      case path.startsWith('/openapi/v3/'): {
        const doc = this.deps.openapi.v3Document(path.slice('/openapi/v3/'.length));
        if (!doc) throw notFound();
        res.setHeader('ETag', `"${doc.etag}"`);
        // kubectl fetches documents by hash; a matching hash may be cached for a long time, as Kubernetes allows.
        if (query.get('hash') === doc.etag) res.setHeader('Cache-Control', 'public, immutable');
        else res.setHeader('Cache-Control', 'no-cache, private');
        if (req.headers['if-none-match'] === `"${doc.etag}"`) {
          res.writeHead(304).end();
          return;
        }
        return this.sendRaw(res, 200, JSON_TYPE, doc.body);
      }
      case path === '/':
        return this.send(res, { code: 200, body: { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/openapi/v2', '/openapi/v3', '/readyz', '/version'] } });
      default:
        throw notFound();
    }
  }

  private health(res: http.ServerResponse, path: string, query: URLSearchParams): void {
    const ready = this.deps.isReady();
    const kind = path.split('/')[1];
    const checks: Array<[string, boolean]> = [
      ['ping', true],
      ['log', true],
      ['etcd', true],
    ];
    if (kind === 'readyz') checks.push(['informer-sync', ready], ['shutdown', !!this.server]);
    const ok = checks.every(([, v]) => v);
    const sub = path.split('/')[2];
    if (sub) {
      const check = checks.find(([n]) => n === sub);
      if (!check) throw notFound();
      this.sendRaw(res, check[1] ? 200 : 500, 'text/plain; charset=utf-8', check[1] ? 'ok' : `[-]${sub} failed: reason withheld`);
      return;
    }
    if (query.has('verbose')) {
      const lines = checks.map(([n, v]) => (v ? `[+]${n} ok` : `[-]${n} failed: reason withheld`));
      lines.push(ok ? `${kind} check passed` : `${kind} check failed`);
      this.sendRaw(res, ok ? 200 : 500, 'text/plain; charset=utf-8', lines.join('\n') + '\n');
      return;
    }
    this.sendRaw(res, ok ? 200 : 500, 'text/plain; charset=utf-8', ok ? 'ok' : `${kind} check failed`);
  }

  private openApiV2(req: http.IncomingMessage, res: http.ServerResponse): void {
    const accept = req.headers.accept ?? '';
    const doc = this.deps.openapi.v2();
    res.setHeader('ETag', `"${doc.etag}"`);
    res.setHeader('Vary', 'Accept');
    if (req.headers['if-none-match'] === `"${doc.etag}"`) {
      res.writeHead(304).end();
      return;
    }
    if (OPENAPI_V2_PROTOBUF_ACCEPT.test(accept)) {
      // Go's media type parser rejects the '@' of the Accept form: answer with the '.' form, as Kubernetes does.
      this.sendRaw(res, 200, OPENAPI_V2_PROTOBUF, doc.protobuf());
      return;
    }
    this.sendRaw(res, 200, JSON_TYPE, doc.json());
  }

  private resourceFor(info: RequestInfo): ServedResource {
    const resource = this.deps.resources.get(info.group, info.version, info.resource);
    if (!resource) throw notFound();
    return resource;
  }

  private async handleResource(req: http.IncomingMessage, res: http.ServerResponse, info: RequestInfo, query: URLSearchParams, user: UserInfo, warnings: string[]): Promise<void> {
    const resource = this.resourceFor(info);
    if (info.subresource && STREAMING_SUBRESOURCES.has(info.subresource)) {
      if (info.subresource === 'log' && info.verb === 'get') return this.podLogs(req, res, resource, info, query);
      throw ApiError.badRequest(`Upgrade request required`);
    }
    const rendering = negotiateRendering(req.headers.accept);
    const ctx: RequestContext = {
      user,
      dryRun: parseDryRun(query),
      fieldManager: query.get('fieldManager') ?? undefined,
      fieldValidation: parseFieldValidation(query),
      userAgent: req.headers['user-agent'],
      warnings,
    };
    const namespace = info.namespace;
    const listRequest: ListRequest = {
      labelSelector: query.get('labelSelector') ?? undefined,
      fieldSelector: query.get('fieldSelector') ?? undefined,
      limit: query.has('limit') ? parseIntParam(query, 'limit') : undefined,
      continue: query.get('continue') ?? undefined,
      resourceVersion: query.get('resourceVersion') ?? undefined,
      resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
    };
    // A single-object GET with watch=true, or /watch/namespaces/x/pods/name: a watch filtered to that name.
    if (info.verb === 'watch') {
      if (info.name) {
        listRequest.fieldSelector = [listRequest.fieldSelector, `metadata.name=${info.name}`].filter(Boolean).join(',');
      }
      return this.watch(req, res, resource, namespace, listRequest, query, rendering, ctx);
    }

    let body: unknown;
    let patchType: PatchType | undefined;
    if (info.verb === 'create' || info.verb === 'update' || info.verb === 'patch' || info.verb === 'delete' || info.verb === 'deletecollection') {
      const raw = await this.readBody(req);
      const contentType = parseContentType(req.headers['content-type']);
      if (info.verb === 'patch') {
        patchType = PATCH_TYPES[contentType.type];
        if (!patchType) throw ApiError.unsupportedMediaType(Object.keys(PATCH_TYPES));
        body = decodePatchBody(raw, patchType);
      } else if (info.verb === 'create' || info.verb === 'update') {
        body = decodeObjectBody(raw, contentType.type, expectedKind(resource, info.subresource));
      } else if (raw.length > 0) {
        body = decodeBody(raw, contentType.type);
      }
    }

    let deleteRequest: DeleteRequest | undefined;
    if (info.verb === 'delete' || info.verb === 'deletecollection') {
      deleteRequest = deleteOptions(body, query);
      if (deleteRequest.dryRun) (ctx as { dryRun?: boolean }).dryRun = true;
      body = undefined;
    }

    const call: ResourceCall = {
      verb: info.verb,
      resource,
      namespace,
      name: info.name,
      subresource: info.subresource,
      ctx,
      body,
      patchType,
      list: listRequest,
      delete: deleteRequest,
      force: isTrue(query.get('force')),
    };
    if (patchType) validatePatchOptions({ patchType, fieldManager: ctx.fieldManager, force: query.has('force') ? call.force : undefined });
    else if (ctx.fieldManager !== undefined) {
      const errs = validateFieldManager(ctx.fieldManager);
      if (errs.length > 0) throw ApiError.invalid('CreateOptions', 'meta.k8s.io', '', errs);
    }
    const result = await this.deps.handlers.execute(call);
    this.render(res, result.code, result.body, resource, rendering, query, warnings, info.verb === 'list');
  }

  /** Write an object or list as the client asked (object, Table, metadata). */
  private render(res: http.ServerResponse, code: number, body: unknown, resource: ServedResource, rendering: Rendering, query: URLSearchParams, warnings: string[], isList: boolean): void {
    this.setWarnings(res, warnings);
    const obj = body as StoredObject & { items?: StoredObject[]; kind?: string };
    const isStatus = obj && obj.kind === 'Status';
    if (rendering.kind === 'table' && !isStatus && (isList || obj?.metadata)) {
      const include = (query.get('includeObject') as IncludeObject | null) ?? 'Metadata';
      const objects = isList ? obj.items ?? [] : [obj];
      const meta = isList ? (obj as { metadata: object }).metadata : { resourceVersion: obj.metadata.resourceVersion };
      const table = toTable(resource, objects, meta, include, this.deps.now());
      (table as { apiVersion: string }).apiVersion = `meta.k8s.io/${rendering.version}`;
      return this.send(res, { code, body: table, contentType: `${JSON_TYPE};as=Table;v=${rendering.version};g=meta.k8s.io` });
    }
    if (rendering.kind === 'metadata' && !isStatus) {
      if (isList) {
        const out = toPartialObjectMetadataList(obj.items ?? [], (obj as { metadata: object }).metadata);
        (out as { apiVersion: string }).apiVersion = `meta.k8s.io/${rendering.version}`;
        return this.send(res, { code, body: out, contentType: `${JSON_TYPE};as=PartialObjectMetadataList;v=${rendering.version};g=meta.k8s.io` });
      }
      const out = partialObjectMetadata(obj);
      (out as { apiVersion: string }).apiVersion = `meta.k8s.io/${rendering.version}`;
      return this.send(res, { code, body: out, contentType: `${JSON_TYPE};as=PartialObjectMetadata;v=${rendering.version};g=meta.k8s.io` });
    }
    if (rendering.kind === 'object' && rendering.format === 'yaml') {
      return this.sendRaw(res, code, 'application/yaml', stringifyYaml(body));
    }
    this.send(res, { code, body });
  }

  private async watch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    resource: ServedResource,
    namespace: string | undefined,
    list: ListRequest,
    query: URLSearchParams,
    rendering: Rendering,
    ctx: RequestContext,
  ): Promise<void> {
    const watchRequest: WatchRequest = {
      labelSelector: list.labelSelector,
      fieldSelector: list.fieldSelector,
      resourceVersion: list.resourceVersion,
      resourceVersionMatch: list.resourceVersionMatch,
      allowWatchBookmarks: isTrue(query.get('allowWatchBookmarks')),
      sendInitialEvents: query.has('sendInitialEvents') ? isTrue(query.get('sendInitialEvents')) : undefined,
      timeoutSeconds: query.has('timeoutSeconds') ? parseIntParam(query, 'timeoutSeconds') : undefined,
    };
    if (watchRequest.sendInitialEvents !== undefined && watchRequest.resourceVersionMatch !== 'NotOlderThan') {
      throw ApiError.invalid('ListOptions', 'meta.k8s.io', '', [
        new FieldError('Forbidden', 'resourceVersionMatch', undefined, 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'),
      ]);
    }
    const include = (query.get('includeObject') as IncludeObject | null) ?? 'Metadata';
    const contentType =
      rendering.kind === 'table' ? `${JSON_TYPE};as=Table;v=${rendering.version};g=meta.k8s.io` : rendering.kind === 'metadata' ? `${JSON_TYPE};as=PartialObjectMetadata;v=${rendering.version};g=meta.k8s.io` : JSON_TYPE;
    let started = false;
    let closed = false;
    let first = true;
    const start = () => {
      if (started) return;
      started = true;
      this.setWarnings(res, ctx.warnings);
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
    };
    const encode = (event: { type: string; object: unknown }): string => {
      if (event.type === 'ERROR' || event.type === 'BOOKMARK' || rendering.kind === 'object') return encodeEventLine(event);
      const object = event.object as StoredObject;
      let rendered: unknown;
      if (rendering.kind === 'table') {
        rendered = toTable(resource, [object], { resourceVersion: object.metadata.resourceVersion }, include, this.deps.now(), first);
        (rendered as { apiVersion: string }).apiVersion = `meta.k8s.io/${rendering.version}`;
        first = false;
      } else {
        rendered = { ...partialObjectMetadata(object), apiVersion: `meta.k8s.io/${rendering.version}` };
      }
      return JSON.stringify({ type: event.type, object: rendered }) + '\n';
    };
    const finish = () => {
      if (closed) return;
      closed = true;
      this.openStreams.delete(finish);
      handle?.stop();
      if (!started) start();
      res.end();
    };
    let handle: { stop(): void } | undefined;
    this.openStreams.add(finish);
    req.on('close', finish);
    res.on('close', finish);
    try {
      handle = await this.deps.handlers.watch(
        { verb: 'watch', resource, namespace, ctx, watch: watchRequest },
        {
          send: (events) => {
            if (closed) return;
            start();
            let chunk = '';
            for (const e of events) chunk += encode(e);
            res.write(chunk);
          },
          end: finish,
        },
      );
    } catch (err) {
      this.openStreams.delete(finish);
      closed = true;
      throw err;
    }
    if (closed) handle.stop();
    else start();
  }

  // ---------------------------------------------------------------- node streams

  /** The pod and container a stream addresses; `nodeName` is empty only when `requireHost` is false. */
  private async podTarget(resource: ServedResource, info: RequestInfo, query: URLSearchParams, requireHost = true): Promise<PodStreamTarget> {
    if (resource.group !== '' || resource.plural !== 'pods') throw ApiError.methodNotAllowed();
    const pod = (await this.deps.handlers.execute({
      verb: 'get',
      resource,
      namespace: info.namespace,
      name: info.name,
      ctx: { user: ADMIN_USER, warnings: [] },
    })).body as StoredObject & { spec?: { containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }>; ephemeralContainers?: Array<{ name: string }>; nodeName?: string } };
    const spec = pod.spec ?? {};
    const containers = (spec.containers ?? []).map((c) => c.name);
    const inits = (spec.initContainers ?? []).map((c) => c.name);
    const ephemeral = (spec.ephemeralContainers ?? []).map((c) => c.name);
    let container = query.get('container') ?? '';
    if (!container) {
      // Like kube-apiserver: only a single container is implied (kubectl itself reads the default-container annotation).
      if (containers.length === 1) container = containers[0];
      else {
        const initPart = inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : '';
        throw ApiError.badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containers.join(' ')}]${initPart}`);
      }
    } else if (![...containers, ...inits, ...ephemeral].includes(container)) {
      throw ApiError.badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
    }
    if (!spec.nodeName && requireHost) throw ApiError.badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
    return { namespace: pod.metadata.namespace!, pod: pod.metadata.name, uid: pod.metadata.uid, nodeName: spec.nodeName ?? '', container, object: pod as never };
  }

  private async podLogs(req: http.IncomingMessage, res: http.ServerResponse, resource: ServedResource, info: RequestInfo, query: URLSearchParams): Promise<void> {
    const target = await this.podTarget(resource, info, query, false);
    const int = (name: string, min: number): number | undefined => {
      if (!query.has(name)) return undefined;
      const v = parseIntParam(query, name);
      if (v < min) throw ApiError.invalid('PodLogOptions', '', '', [new FieldError('Invalid', name, v, `must be greater than ${min === 0 ? 'or equal to 0' : min - 1}`)]);
      return v;
    };
    const options: PodLogOptions = {
      follow: isTrue(query.get('follow')),
      previous: isTrue(query.get('previous')),
      timestamps: isTrue(query.get('timestamps')),
      tailLines: int('tailLines', 0),
      sinceSeconds: int('sinceSeconds', 1),
      sinceTime: query.get('sinceTime') ?? undefined,
      limitBytes: int('limitBytes', 1),
    };
    if (options.sinceSeconds !== undefined && options.sinceTime !== undefined) throw ApiError.badRequest('at most one of `sinceTime` or `sinceSeconds` may be specified');
    if (!target.nodeName) {
      // Not scheduled yet: no log location, which kube-apiserver answers with 204 No Content.
      res.writeHead(204).end();
      return;
    }
    const provider = await this.nodeStreamsFor(target.nodeName);
    const abort = new AbortController();
    const end = () => abort.abort();
    this.openStreams.add(end);
    req.on('close', end);
    res.on('close', end);
    let started = false;
    const out = new Writable({
      write(chunk, _enc, cb) {
        if (!started) {
          started = true;
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
        }
        res.write(chunk, cb);
      },
    });
    try {
      await provider.logs(target, options, out, abort.signal);
      if (!started) res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end();
    } catch (err) {
      if (started) {
        res.end();
        return;
      }
      throw err;
    } finally {
      this.openStreams.delete(end);
    }
  }

  private async handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const info = parseRequestInfo('GET', url.pathname, url.searchParams);
    const user = await this.authenticate(req);
    const kind = info.subresource as ConnectKind;
    if (!info.isResourceRequest || !['exec', 'attach', 'portforward'].includes(kind)) throw notFound();
    // Kubernetes authorizes exec/attach/portforward as "create" on the subresource (kubectl 1.30+ also checks "get").
    await this.authorize(user, { ...info, verb: 'create' });
    const resource = this.resourceFor(info);
    const target = kind === 'portforward' ? await this.podTargetAny(resource, info) : await this.podTarget(resource, info, url.searchParams);
    const provider = await this.nodeStreamsFor(target.nodeName);
    provider.connect(kind, target, url.searchParams, req, socket, head);
  }

  /**
   * Who serves a node's streams: an agent in this process, else the node's
   * own endpoint from its status (an agent elsewhere, `skiff agent`).
   */
  private async nodeStreamsFor(nodeName: string): Promise<NodeStreamProvider> {
    const local = this.deps.nodeStreams.get(nodeName);
    if (local) return local;
    const nodes = this.deps.resources.get('', 'v1', 'nodes');
    const node = nodes
      ? ((await this.deps.handlers
          .execute({ verb: 'get', resource: nodes, name: nodeName, ctx: { user: ADMIN_USER, warnings: [] } })
          .then((r) => r.body)
          .catch(() => undefined)) as Node | undefined)
      : undefined;
    const endpoint = node ? kubeletEndpointOf(node) : undefined;
    if (!endpoint || !this.deps.kubeletToken) throw ApiError.serviceUnavailable(`no node agent is serving node "${nodeName}"`);
    return new RemoteNodeStreams(endpoint, this.deps.kubeletToken);
  }

  private async podTargetAny(resource: ServedResource, info: RequestInfo): Promise<PodStreamTarget> {
    const q = new URLSearchParams();
    const pod = (await this.deps.handlers.execute({ verb: 'get', resource, namespace: info.namespace, name: info.name, ctx: { user: ADMIN_USER, warnings: [] } })).body as StoredObject & {
      spec?: { containers?: Array<{ name: string }> };
    };
    q.set('container', pod.spec?.containers?.[0]?.name ?? '');
    return this.podTarget(resource, info, q);
  }

  private rejectUpgrade(socket: Duplex, err: unknown): void {
    const status = toStatus(err);
    const body = JSON.stringify(status);
    if (!socket.writable) return;
    socket.end(`HTTP/1.1 ${status.code} ${http.STATUS_CODES[status.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }

  // ---------------------------------------------------------------- bodies and responses

  private readBody(req: http.IncomingMessage): Promise<Buffer> {
    const limit = this.deps.maxRequestBytes;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return Promise.reject(ApiError.tooLarge(limit));
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on('data', (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > limit) {
          failed = true;
          reject(ApiError.tooLarge(limit));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => !failed && resolve(Buffer.concat(chunks)));
      req.on('error', (err) => !failed && reject(err));
    });
  }

  private setWarnings(res: http.ServerResponse, warnings: string[]): void {
    if (warnings.length === 0 || res.headersSent) return;
    res.setHeader(
      'Warning',
      [...new Set(warnings)].map((w) => `299 - ${JSON.stringify(w.replace(/[\r\n]+/g, ' '))}`),
    );
  }

  private send(res: http.ServerResponse, reply: Reply): void {
    this.sendRaw(res, reply.code, reply.contentType ?? JSON_TYPE, JSON.stringify(reply.body));
  }

  private sendRaw(res: http.ServerResponse, code: number, contentType: string, body: string | Buffer): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': res.getHeader('Cache-Control') ?? 'no-cache, private' });
    res.end(body);
  }

  private sendError(res: http.ServerResponse, err: unknown, warnings: string[]): void {
    const status = toStatus(err);
    if (status.code >= 500 && !(err instanceof ApiError)) this.deps.logger.error('request failed', { error: (err as Error)?.stack ?? String(err) });
    if (res.headersSent) {
      res.end();
      return;
    }
    this.setWarnings(res, warnings);
    if (status.code === 413) res.setHeader('Connection', 'close');
    if (status.code === 429 && status.details?.retryAfterSeconds) res.setHeader('Retry-After', String(status.details.retryAfterSeconds));
    this.send(res, { code: status.code, body: status });
  }
}

function notFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function hostOf(req: http.IncomingMessage): string {
  return req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`;
}

/** Any error as a Status: ApiErrors keep their code; plugin faults and bugs become 500. */
export function toStatus(err: unknown): ReturnType<ApiError['toStatus']> {
  if (isApiError(err)) return err.toStatus();
  const message = err instanceof Error ? err.message : String(err);
  return ApiError.internal(message, err).toStatus();
}

function encodeEventLine(event: { type: string; object: unknown }): string {
  return JSON.stringify(event) + '\n';
}

function parseIntParam(query: URLSearchParams, name: string): number {
  const raw = query.get(name) ?? '';
  if (!/^-?\d+$/.test(raw)) throw ApiError.badRequest(`${name}: Invalid value: ${JSON.stringify(raw)}: must be an integer`);
  return Number(raw);
}

function parseDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw ApiError.badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  return values.length > 0;
}

function parseFieldValidation(query: URLSearchParams): FieldValidation | undefined {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return undefined;
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw ApiError.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(v)}: supported values: "Ignore", "Strict", "Warn"`);
}

/** The kind a create/update body must be (the subresource's kind for status, scale, binding...). */
function expectedKind(resource: ServedResource, subresource: string | undefined): string {
  return (subresource && resource.subresources?.find((s) => s.name === subresource)?.kind) || resource.kind;
}

/**
 * A create/update body. As Kubernetes' decoder: a body whose apiVersion and
 * kind cannot even be read is "unrecognized", with Go's parse error and the
 * start of the body (`summarizeData`).
 */
function decodeObjectBody(raw: Buffer, type: string, kind: string): unknown {
  const unrecognized = (why: string) => ApiError.badRequest(`the object provided is unrecognized (must be of type ${kind}): ${why} (${summarizeData(raw, 30)})`);
  const findKind = (value: unknown): unknown => {
    if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
      throw unrecognized(
        `couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonKind(value)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
      );
    }
    return value;
  };
  switch (type) {
    case 'application/json':
    case '*/*':
    case '': {
      const syntax = goJsonSyntaxError(raw);
      if (syntax) throw unrecognized(`couldn't get version/kind; json parse error: ${syntax}`);
      return findKind(JSON.parse(raw.toString('utf8')));
    }
    case 'application/yaml':
    case 'application/x-yaml':
    case 'text/yaml': {
      let value: unknown;
      try {
        value = parseYamlBody(raw);
      } catch (err) {
        throw unrecognized((err as Error).message);
      }
      return findKind(value);
    }
    default:
      return decodeBody(raw, type);
  }
}

/** apimachinery's summarizeData: a JSON-looking body as text, anything else in hex, cut at `max` bytes. */
function summarizeData(data: Buffer, max: number): string {
  if (data.length === 0) return '<empty>';
  const head = data.subarray(0, max);
  const more = data.length > max ? ' ...' : '';
  return data[0] === 0x7b ? head.toString('utf8') + more : head.toString('hex') + more;
}

/** Decode a body (DeleteOptions, or an object already known to be decodable) by its content type. */
function decodeBody(raw: Buffer, type: string): unknown {
  switch (type) {
    case 'application/json':
    case '*/*':
    case '':
      return parseJson(raw);
    case 'application/yaml':
    case 'application/x-yaml':
    case 'text/yaml':
      return parseYamlBody(raw);
    case 'application/vnd.kubernetes.protobuf':
      return decodeKubernetesProtobuf(raw);
    default:
      throw ApiError.unsupportedMediaType();
  }
}

function decodePatchBody(raw: Buffer, type: PatchType): unknown {
  if (raw.length === 0) throw ApiError.badRequest('the body of the request was empty');
  const body = type === 'apply' ? parseYamlBody(raw) : parseJson(raw);
  if (type === 'json') {
    if (!Array.isArray(body)) throw ApiError.badRequest(`json: cannot unmarshal ${jsonKind(body)} into Go value of type jsonpatch.Patch`);
  } else if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw ApiError.badRequest(`json: cannot unmarshal ${jsonKind(body)} into Go value of type map[string]interface {}`);
  }
  return body;
}

/** A JSON value's kind as Go's UnmarshalTypeError names it. */
function jsonKind(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'boolean' ? 'bool' : typeof v === 'object' ? 'object' : typeof v;
}

/** JSON, with Go's wording for syntax errors. */
function parseJson(raw: Buffer): unknown {
  const syntax = goJsonSyntaxError(raw);
  if (syntax) throw ApiError.badRequest(syntax);
  return JSON.parse(raw.toString('utf8'));
}

function parseYamlBody(raw: Buffer): unknown {
  try {
    return parseYaml(raw.toString('utf8'), { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    const e = err as Error & { linePos?: Array<{ line: number }> };
    const line = e.linePos?.[0]?.line;
    throw ApiError.badRequest(`error converting YAML to JSON: yaml: ${line ? `line ${line}: ` : ''}${e.message.split('\n')[0]}`);
  }
}

/** DeleteOptions from the body (kubectl sends one) and/or the query. */
function deleteOptions(body: unknown, query: URLSearchParams): DeleteRequest & { dryRun?: boolean } {
  const o = (body && typeof body === 'object' ? body : {}) as {
    propagationPolicy?: string;
    gracePeriodSeconds?: number;
    preconditions?: { uid?: string; resourceVersion?: string };
    orphanDependents?: boolean;
    dryRun?: string[];
    kind?: string;
  };
  if (o.kind !== undefined && o.kind !== 'DeleteOptions') throw ApiError.badRequest(`the kind in the data (${o.kind}) does not match the expected kind (DeleteOptions)`);
  const policy = o.propagationPolicy ?? query.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw ApiError.invalid('DeleteOptions', 'meta.k8s.io', '', [
      new FieldError('NotSupported', 'propagationPolicy', policy, 'supported values: "Foreground", "Background", "Orphan", "nil"'),
    ]);
  }
  const grace = o.gracePeriodSeconds ?? (query.has('gracePeriodSeconds') ? parseIntParam(query, 'gracePeriodSeconds') : undefined);
  const orphan = o.orphanDependents ?? (query.has('orphanDependents') ? isTrue(query.get('orphanDependents')) : undefined);
  if (orphan !== undefined && policy !== undefined) {
    throw ApiError.invalid('DeleteOptions', 'meta.k8s.io', '', [
      new FieldError('Invalid', 'propagationPolicy', policy, 'orphanDependents and deletionPropagation cannot be both set'),
    ]);
  }
  const dryRun = (o.dryRun ?? []).includes('All') || query.getAll('dryRun').includes('All');
  return {
    propagationPolicy: policy as DeleteRequest['propagationPolicy'],
    gracePeriodSeconds: grace !== undefined && grace < 0 ? 0 : grace,
    preconditions: o.preconditions,
    orphanDependents: orphan,
    dryRun,
  };
}
