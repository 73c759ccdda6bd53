/**
 * The kernel: boots a cluster from its config and shuts it down.
 *
 * Boot, in order: resolve every plugin and validate every plugin's options
 * (nothing starts if one is wrong) → apply the plugins in config order → collect
 * resource types and schemas → open the store → make sure the default
 * namespaces exist → start the API server → `lifecycle.boot` → `lifecycle.ready`.
 * Shutdown runs the `lifecycle.shutdown` taps in reverse, then closes the
 * server and the store.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { networkInterfaces } from 'node:os';
import { container as rootContainer, DependencyContainer } from 'tsyringe';
import { stringify as stringifyYaml } from 'yaml';
import { allHooks, createKernelHooks, KernelHooks, LifecycleContext, ResourceRegistrar } from './hooks';
import { ClusterConfig, resolveDataDir, splitHostPort } from './config';
import { loadPlugins, LoadedPlugin, Plugin, PluginContext, PluginError } from './plugin';
import { ConsoleLogger, Logger } from './log';
import { realClock, Clock as ClockInterface } from './client/clock';
import * as tokens from './tokens';
import type { Store } from './store/types';
import type { StoreFactory } from './store/factory';
import { openEmbeddedStore } from './store/embedded';
import { ResourceRegistry } from './api/registry';
import { SchemaRegistry } from './api/openapi/schemas';
import type { SchemaDefinitions } from './api/openapi/types';
import type { ResourceDefinition, Allocators } from './api/resource';
import { RestStorage } from './api/rest';
import { RequestAuth } from './api/auth';
import { reviewResources } from './api/reviews';
import { WatchManager } from './api/watch';
import { ResourceHandlers } from './api/handlers';
import { ApiServer } from './api/server';
import { NodeStreams } from './api/node-streams';
import { ContainerRuntimeRegistry } from './runtime/types';
import { ensureClusterPki, ClusterPki } from './api/pki';
import { InProcessApiClient } from './client/in-process';
import { ApiError, isApiError } from './api/errors';
import { DEFAULT_NAMESPACES } from './api/rest';
import { builtinResources } from './api/resources';
import { builtinSchemas } from './api/openapi/builtin';
import { createFieldManager } from './api/managed-fields';
import { createOpenApiService } from './api/openapi/publish';
import { IPRangeAllocator, PortRangeAllocator } from './api/resources/allocators';
import { SYSTEM_MASTERS_GROUP, AUTHENTICATED_GROUP } from './auth/types';
import type { ApiClient } from './client/types';

export interface KernelOptions {
  readonly config: ClusterConfig;
  readonly logger?: Logger;
  readonly clock?: ClockInterface;
  /** Plugins given as objects rather than names (tests, embedders), applied after the configured ones. */
  readonly plugins?: ReadonlyArray<{ plugin: Plugin<never>; options?: Record<string, unknown> }>;
  /** BOOKMARK interval for watches (tests shorten it). */
  readonly bookmarkIntervalMs?: number;
  /** Listen address override (`127.0.0.1:0` for an ephemeral port). */
  readonly listen?: string;
}

const CORE_SERVICE_NAME = 'kubernetes';

export class Kernel {
  readonly hooks: KernelHooks = createKernelHooks();
  readonly container: DependencyContainer = rootContainer.createChildContainer();
  readonly resources = new ResourceRegistry();
  readonly schemas = new SchemaRegistry();
  readonly nodeStreams = new NodeStreams();
  /** Container runtimes provided by plugins (runtime-docker, runtime-simulated). */
  readonly runtimes = new ContainerRuntimeRegistry();
  readonly logger: Logger;
  readonly clock: ClockInterface;
  /** The cluster admin's client (system:admin, in-process). */
  readonly client: InProcessApiClient;

  private store?: Store;
  private server?: ApiServer;
  private handlers?: ResourceHandlers;
  private pki?: ClusterPki;
  private adminToken = '';
  private url = '';
  private ready = false;
  private stopping?: Promise<void>;
  private readonly abort = new AbortController();
  private readonly stores = new Map<string, StoreFactory>();
  private readonly applied: LoadedPlugin[] = [];

  private constructor(
    readonly config: ClusterConfig,
    private readonly options: KernelOptions,
  ) {
    this.logger = options.logger ?? new ConsoleLogger('skiff');
    this.clock = options.clock ?? realClock;
    this.client = new InProcessApiClient(() => this.api(), { name: 'system:admin', groups: [SYSTEM_MASTERS_GROUP, AUTHENTICATED_GROUP] }, 'skiff');
    this.stores.set('embedded', async (ctx) =>
      openEmbeddedStore({ dir: path.join(ctx.dataDir, 'store'), ...(ctx.settings as object) }),
    );
    this.container.register(tokens.KernelHooks, { useValue: this.hooks });
    this.container.register(tokens.ClusterConfig, { useValue: config });
    this.container.register(tokens.Logger, { useValue: this.logger });
    this.container.register(tokens.Clock, { useValue: this.clock });
    this.container.register(tokens.SchemaRegistry, { useValue: this.schemas });
    this.container.register(tokens.ApiClient, { useValue: this.client });
    this.container.register(tokens.ContainerRuntimes, { useValue: this.runtimes });
    this.container.register(tokens.NodeStreams, { useValue: this.nodeStreams });
    this.attributeHookErrors();
  }

  /** Boot a cluster; on any failure everything started so far is stopped again and the error rethrown. */
  static async start(options: KernelOptions): Promise<Kernel> {
    const kernel = new Kernel(options.config, options);
    try {
      await kernel.boot();
    } catch (err) {
      await kernel.shutdown().catch(() => undefined);
      throw err;
    }
    return kernel;
  }

  /** The API server's URL (`https://127.0.0.1:6443`). */
  get serverUrl(): string {
    return this.url;
  }

  get dataDir(): string {
    return resolveDataDir(this.config);
  }

  /** The cluster CA (PEM), when serving TLS. */
  get caCertificate(): string | undefined {
    return this.pki?.ca.cert;
  }

  /** The admin bearer token (kubeconfig). */
  get adminBearerToken(): string {
    return this.adminToken;
  }

  /** The store (for tools and tests; components use the API). */
  get storeForTools(): Store | undefined {
    return this.store;
  }

  private api() {
    if (!this.handlers) throw ApiError.serviceUnavailable('the API server is not started yet');
    return { handlers: this.handlers, resources: this.resources };
  }

  private async boot(): Promise<void> {
    const dataDir = this.dataDir;
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });

    // 1. Every plugin resolved and its options validated before anything is applied.
    const loaded = await loadPlugins(this.config);
    const extra: LoadedPlugin[] = (this.options.plugins ?? []).map((p, i) => ({
      entry: { name: p.plugin.name, options: p.options ?? {} },
      index: this.config.plugins.length + i,
      plugin: p.plugin as Plugin<Record<string, unknown>>,
      origin: 'inline',
    }));
    for (const p of [...loaded, ...extra]) await this.applyPlugin(p);

    // 2. Resource types: built-in, then the plugins'.
    this.schemas.add(builtinSchemas());
    for (const def of [...builtinResources(), ...reviewResources()]) this.resources.add(def);
    const registrar: ResourceRegistrar = {
      add: (def: ResourceDefinition) => this.resources.add(def),
      addSchemas: (defs: SchemaDefinitions) => this.schemas.add(defs),
    };
    this.hooks.api.registerResources.call(registrar);

    // 3. Store.
    const factory = this.stores.get(this.config.store.type);
    if (!factory) {
      throw new Error(`${this.config.source ?? 'cluster.yaml'}: store.type: unknown store ${JSON.stringify(this.config.store.type)} (available: ${[...this.stores.keys()].join(', ')})`);
    }
    const { type: _type, ...settings } = this.config.store;
    void _type;
    this.store = await factory({ dataDir, settings, logger: this.logger.child('store') });

    // 4. API machinery.
    const allocators: Allocators = {
      serviceIPs: new IPRangeAllocator(this.config.api.serviceClusterIPRange),
      nodePorts: new PortRangeAllocator(this.config.api.serviceNodePortRange),
    };
    const now = () => new Date(this.clock.now());
    const rest = new RestStorage({
      store: this.store,
      resources: this.resources,
      schemas: this.schemas,
      hooks: this.hooks,
      allocators,
      fieldManager: createFieldManager(this.schemas, this.resources),
      now,
    });
    const watches = new WatchManager(this.store, rest, { bookmarkIntervalMs: this.options.bookmarkIntervalMs });
    this.adminToken = loadOrCreateToken(path.join(dataDir, 'admin-token'));
    const auth = new RequestAuth(this.hooks, this.adminToken);
    this.handlers = new ResourceHandlers(rest, watches, this.resources, this.schemas, now, auth);
    await this.restoreAllocations(allocators);
    await this.ensureDefaultObjects();

    // 5. Serve.
    const listen = this.options.listen ?? this.config.api.listen;
    const [host, port] = splitHostPort(listen);
    if (this.config.api.tls) this.pki = await ensureClusterPki(dataDir, [host], allocators.serviceIPs.range ? firstServiceIP(this.config.api.serviceClusterIPRange) : undefined);
    this.server = new ApiServer({
      hooks: this.hooks,
      resources: this.resources,
      handlers: this.handlers,
      nodeStreams: this.nodeStreams,
      openapi: createOpenApiService(this.resources, this.schemas),
      logger: this.logger.child('apiserver'),
      maxRequestBytes: this.config.api.maxRequestBytes,
      auth,
      kubeletToken: this.adminToken,
      now,
      isReady: () => this.ready,
    });
    const address = await this.server.listen({ host, port, tls: this.pki ? { cert: this.pki.server.cert, key: this.pki.server.key, ca: this.pki.ca.cert } : undefined });
    const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
    this.url = `${this.pki ? 'https' : 'http'}://${urlHost}:${address.port}`;
    await this.ensureKubernetesService(advertiseAddress(address.address), address.port);

    // 6. Plugins start their work.
    const ctx: LifecycleContext = { signal: this.abort.signal };
    await this.hooks.lifecycle.boot.promise(ctx);
    await this.hooks.lifecycle.ready.promise(ctx);
    this.ready = true;
    this.logger.info('cluster is ready', { server: this.url, plugins: this.applied.map((p) => p.plugin.name).join(',') || 'none' });
  }

  private async applyPlugin(loaded: LoadedPlugin): Promise<void> {
    const { plugin, entry } = loaded;
    const child = this.container.createChildContainer();
    const logger = this.logger.child(`plugin/${plugin.name}`);
    child.register(tokens.Logger, { useValue: logger });
    const kernel = this;
    const context: PluginContext = {
      name: plugin.name,
      hooks: this.hooks,
      container: child,
      config: this.config,
      logger,
      client: this.client.as({ name: `system:skiff:${plugin.name}`, groups: [SYSTEM_MASTERS_GROUP, AUTHENTICATED_GROUP] }, plugin.name),
      dataDir() {
        const dir = path.join(kernel.dataDir, 'plugins', plugin.name.replace(/[^a-zA-Z0-9._-]/g, '_'));
        mkdirSync(dir, { recursive: true });
        return dir;
      },
      provideStore(type, factory) {
        if (kernel.stores.has(type)) throw new Error(`store type ${JSON.stringify(type)} is already provided`);
        kernel.stores.set(type, factory);
      },
      get skiff() {
        // Loaded on first use: the public API module imports this one.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require('./index') as typeof import('./index');
      },
    };
    try {
      await plugin.apply(context, entry.options);
    } catch (err) {
      throw err instanceof PluginError ? err : new PluginError(plugin.name, (err as Error)?.message ?? String(err), { cause: err });
    }
    this.applied.push(loaded);
    this.logger.debug('plugin applied', { plugin: plugin.name, origin: loaded.origin });
  }

  /** Every tap's failure carries `plugin/<tap name>:` (ApiErrors pass unchanged: they are answers). */
  private attributeHookErrors(): void {
    const wrap = (name: string, err: unknown): unknown => {
      if (isApiError(err) || err instanceof PluginError) return err;
      return new PluginError(name, (err as Error)?.message ?? String(err), { cause: err });
    };
    for (const { hook } of allHooks(this.hooks)) {
      // Hooks declare their arguments; a fixed-arity wrapper spares every call an arguments array (the
      // scheduler calls filter taps millions of times).
      const arity = ((hook as unknown as { _args?: string[] })._args ?? []).length;
      hook.intercept({
        register: (tap: { name: string; type: string; fn: (...args: unknown[]) => unknown }) => {
          const fn = tap.fn;
          if (tap.type === 'sync' && arity <= 3) {
            tap.fn = (a?: unknown, b?: unknown, c?: unknown) => {
              try {
                return arity === 3 ? fn(a, b, c) : arity === 2 ? fn(a, b) : arity === 1 ? fn(a) : fn();
              } catch (err) {
                throw wrap(tap.name, err);
              }
            };
          } else if (tap.type === 'sync') {
            tap.fn = (...args: unknown[]) => {
              try {
                return fn(...args);
              } catch (err) {
                throw wrap(tap.name, err);
              }
            };
          } else if (tap.type === 'promise') {
            tap.fn = (...args: unknown[]) => {
              try {
                return Promise.resolve(fn(...args)).catch((err: unknown) => Promise.reject(wrap(tap.name, err)));
              } catch (err) {
                return Promise.reject(wrap(tap.name, err));
              }
            };
          } else if (tap.type === 'async') {
            tap.fn = (...args: unknown[]) => {
              const callback = args[args.length - 1] as (err?: unknown, result?: unknown) => void;
              return fn(...args.slice(0, -1), (err?: unknown, result?: unknown) => callback(err ? wrap(tap.name, err) : err, result));
            };
          }
          return tap;
        },
      });
    }
  }

  private async restoreAllocations(allocators: Allocators): Promise<void> {
    const services = this.resources.get('', 'v1', 'services');
    if (!services || !this.handlers) return;
    const list = await this.client.list<{ spec?: { clusterIPs?: string[]; clusterIP?: string; ports?: Array<{ nodePort?: number }> } } & import('./api/types').KubeObject>({ group: '', version: 'v1', resource: 'services' });
    for (const svc of list.items) {
      const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
      for (const ip of ips) if (ip && ip !== 'None' && allocators.serviceIPs.contains(ip) && !allocators.serviceIPs.has(ip)) allocators.serviceIPs.allocate(ip);
      for (const p of svc.spec?.ports ?? []) if (p.nodePort && allocators.nodePorts.contains(p.nodePort) && !allocators.nodePorts.has(p.nodePort)) allocators.nodePorts.allocate(p.nodePort);
    }
  }

  /** The namespaces every Kubernetes cluster has. */
  private async ensureDefaultObjects(): Promise<void> {
    const ns = { group: '', version: 'v1', resource: 'namespaces' };
    for (const name of DEFAULT_NAMESPACES) {
      try {
        await this.client.create(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      } catch (err) {
        if (!isApiError(err, 'AlreadyExists')) throw err;
      }
    }
  }

  /**
   * The `kubernetes` Service and its Endpoints in `default`, pointing at this
   * API server. Endpoints may not hold loopback addresses (Kubernetes' rule), so
   * a server on 127.0.0.1 advertises the host's first external IPv4 address,
   * or no endpoints on a host without one.
   */
  private async ensureKubernetesService(ip: string | undefined, port: number): Promise<void> {
    const svc = { group: '', version: 'v1', resource: 'services' };
    const ep = { group: '', version: 'v1', resource: 'endpoints' };
    // Look first: creating it again would fail on its already allocated ClusterIP before AlreadyExists.
    const existing = await this.client.get(svc, CORE_SERVICE_NAME, { namespace: 'default' }).catch((err: unknown) => {
      if (isApiError(err, 'NotFound')) return undefined;
      throw err;
    });
    if (!existing) {
      await this.client.create(
        svc,
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: CORE_SERVICE_NAME, namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
          spec: {
            clusterIP: firstServiceIP(this.config.api.serviceClusterIPRange),
            type: 'ClusterIP',
            sessionAffinity: 'None',
            ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
          },
        },
        { namespace: 'default' },
      );
    }
    if (!ip) return;
    const endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: CORE_SERVICE_NAME, namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
    };
    // PUT creates Endpoints that do not exist yet, and refreshes the port after a restart on another one.
    await this.client.update(ep, endpoints, { namespace: 'default' });
  }

  /** A kubeconfig for the cluster admin. */
  kubeconfig(contextName = this.config.metadata.name): string {
    const cluster: Record<string, unknown> = { server: this.url };
    if (this.pki) cluster['certificate-authority-data'] = Buffer.from(this.pki.ca.cert).toString('base64');
    return stringifyYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: contextName, cluster }],
      users: [{ name: `${contextName}-admin`, user: { token: this.adminToken } }],
      contexts: [{ name: contextName, context: { cluster: contextName, user: `${contextName}-admin`, namespace: 'default' } }],
      'current-context': contextName,
      preferences: {},
    });
  }

  /**
   * Stop: `lifecycle.shutdown` taps in reverse order (each runs even if an
   * earlier one failed), then the API server, then the store. Idempotent.
   */
  shutdown(): Promise<void> {
    this.stopping ??= this.doShutdown();
    return this.stopping;
  }

  private async doShutdown(): Promise<void> {
    this.ready = false;
    this.abort.abort();
    const ctx: LifecycleContext = { signal: this.abort.signal };
    const taps = [...(this.hooks.lifecycle.shutdown.taps as Array<{ name: string; type: string; fn: (...a: unknown[]) => unknown }>)].reverse();
    const failures: string[] = [];
    for (const tap of taps) {
      try {
        if (tap.type === 'async') await new Promise<void>((resolve, reject) => tap.fn(ctx, (err?: unknown) => (err ? reject(err) : resolve())));
        else await tap.fn(ctx);
      } catch (err) {
        failures.push((err as Error).message);
        this.logger.error('shutdown step failed', { plugin: tap.name, error: (err as Error).message });
      }
    }
    await this.server?.close();
    await this.store?.close();
    this.logger.info('cluster stopped');
    if (failures.length > 0) throw new Error(failures.join('; '));
  }
}

function advertiseAddress(listening: string): string | undefined {
  if (listening !== '0.0.0.0' && listening !== '::' && !listening.startsWith('127.') && listening !== '::1') return listening;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

function firstServiceIP(cidr: string): string {
  const [addr, bits] = cidr.split('/');
  const n = addr.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  const first = ((n & mask) + 1) >>> 0;
  return [24, 16, 8, 0].map((s) => (first >>> s) & 255).join('.');
}

function loadOrCreateToken(file: string): string {
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  }
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}

export type { ApiClient };
