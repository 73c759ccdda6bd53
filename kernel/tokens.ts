/**
 * DI tokens (tsyringe). Each token is a symbol paired with the interface of
 * the same name; swapping an implementation (the embedded store for etcd, the
 * Docker runtime for the simulated one) is a registration, not a code change.
 *
 *   const store = container.resolve<Store>(Store);
 */
import type { InjectionToken } from 'tsyringe';
import type { Store as StoreInterface } from './store/types';
import type { ApiClient as ApiClientInterface } from './client/types';
import type { Clock as ClockInterface } from './client/clock';
import type { Logger as LoggerInterface } from './log';
import type { KernelHooks as KernelHooksInterface } from './hooks';
import type { ClusterConfig as ClusterConfigInterface } from './config';
import type { SchemaRegistry as SchemaRegistryClass } from './api/openapi/schemas';
import type { ContainerRuntimeRegistry as ContainerRuntimeRegistryClass } from './runtime/types';
import type { NodeStreams as NodeStreamsClass } from './api/node-streams';

export type Store = StoreInterface;
export const Store: InjectionToken<Store> = Symbol('Store');

export type ApiClient = ApiClientInterface;
export const ApiClient: InjectionToken<ApiClient> = Symbol('ApiClient');

export type Clock = ClockInterface;
export const Clock: InjectionToken<Clock> = Symbol('Clock');

export type Logger = LoggerInterface;
export const Logger: InjectionToken<Logger> = Symbol('Logger');

export type KernelHooks = KernelHooksInterface;
export const KernelHooks: InjectionToken<KernelHooks> = Symbol('KernelHooks');

export type ClusterConfig = ClusterConfigInterface;
export const ClusterConfig: InjectionToken<ClusterConfig> = Symbol('ClusterConfig');

export type SchemaRegistry = SchemaRegistryClass;
export const SchemaRegistry: InjectionToken<SchemaRegistry> = Symbol('SchemaRegistry');

/** The container runtimes plugins provide, by name (`docker`, `simulated`); nodes pick one in cluster.yaml. */
export type ContainerRuntimes = ContainerRuntimeRegistryClass;
export const ContainerRuntimes: InjectionToken<ContainerRuntimes> = Symbol('ContainerRuntimes');

/** Where node agents in this process register to serve pods/log, exec and attach. */
export type NodeStreams = NodeStreamsClass;
export const NodeStreams: InjectionToken<NodeStreams> = Symbol('NodeStreams');
