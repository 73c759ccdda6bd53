/**
 * skiff's public API for plugin authors and embedders: `import { definePlugin, Stage } from 'skiff'`.
 */
export { definePlugin, PluginError } from './plugin';
export type { Plugin, PluginContext, OptionsProblem } from './plugin';
export { Stage, getSubsystemHooks } from './hooks';
export type { KernelHooks, LifecycleContext, ResourceRegistrar, FilterStatusMap } from './hooks';
export { Kernel } from './kernel';
export type { KernelOptions } from './kernel';
export { loadClusterConfig, parseClusterConfig, ConfigError } from './config';
export type { ClusterConfig, PluginEntry, NodeEntry } from './config';
export * as tokens from './tokens';
export type { Logger } from './log';

export { ApiError, FieldError } from './api/errors';
export type { Status, StatusReason } from './api/errors';
export type { KubeObject, KubeList, WatchEvent, StoredObject } from './api/types';
export type { ResourceDefinition, ResourceStrategy, TablePrinter, TableColumn } from './api/resource';
export type { AdmissionRequest, AdmissionDenial } from './api/admission';
export type { NodeStreamProvider, PodStreamTarget, PodLogOptions } from './api/node-streams';
export { parseLabelSelector, labelSelectorFromObject, parseFieldSelector } from './api/selectors';

export type { ApiClient, ResourceType, ListOptions, WatchOptions, PatchType } from './client/types';
export { HttpApiClient, fromKubeconfig } from './client/http';
export { SharedInformer, SharedInformerFactory } from './client/informer';
export type { EventHandler } from './client/informer';
export { WorkQueue } from './client/workqueue';
export { Controller } from './client/controller';
export type { Clock } from './client/clock';

export type { UserInfo, AuthenticationRequest, AuthorizationAttributes, AuthorizationDecision } from './auth/types';
export { SchedulingStatus, MAX_NODE_SCORE, tolerates } from './scheduling/types';
export type {
  AnySchedulingPlugin,
  BindPlugin,
  ClusterSnapshot,
  CycleState,
  FilterPlugin,
  NodeInfo,
  NodeScore,
  PermitPlugin,
  PodInfo,
  PostBindPlugin,
  PostFilterPlugin,
  PreBindPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  QueuedPodInfo,
  QueueSortPlugin,
  ReservePlugin,
  ResourceList,
  SchedulingPlugin,
  SchedulingProfile,
  ScorePlugin,
} from './scheduling/types';
export { tapSchedulingPlugin, waitingPods } from './scheduling/plugins';
export type { WaitingPod } from './scheduling/plugins';
export type { PodNetworkRequest, PodNetworkResult, ServiceChange } from './network/types';
export type { DnsQuery, DnsAnswer, DnsRecord } from './dns/types';
export type { Store, KeyValue } from './store/types';
