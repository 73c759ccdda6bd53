/**
 * The built-in resource types skiff serves, in the order Kubernetes lists
 * them in discovery within each group (core first, then the named groups).
 */
import type { ResourceDefinition } from '../resource';
import { configMaps } from './configmaps';
import { controllerRevisions } from './controllerrevisions';
import { cronJobs } from './cronjobs';
import { daemonSets } from './daemonsets';
import { deployments } from './deployments';
import { endpoints } from './endpoints';
import { endpointSlices } from './endpointslices';
import { coreEvents } from './events';
import { eventsV1 } from './eventsv1';
import { jobs } from './jobs';
import { leases } from './leases';
import { namespaces } from './namespaces';
import { nodes } from './nodes';
import { persistentVolumeClaims } from './persistentvolumeclaims';
import { persistentVolumes } from './persistentvolumes';
import { pods } from './pods';
import { priorityClasses } from './priorityclasses';
import { replicaSets } from './replicasets';
import { replicationControllers } from './replicationcontrollers';
import { secrets } from './secrets';
import { serviceAccounts } from './serviceaccounts';
import { services } from './services';
import { statefulSets } from './statefulsets';

/** Every built-in ResourceDefinition; a fresh array on each call, so callers may sort or filter it. */
export function builtinResources(): ResourceDefinition[] {
  return [
    configMaps,
    endpoints,
    coreEvents,
    namespaces,
    nodes,
    persistentVolumeClaims,
    persistentVolumes,
    pods,
    replicationControllers,
    secrets,
    serviceAccounts,
    services,
    controllerRevisions,
    daemonSets,
    deployments,
    replicaSets,
    statefulSets,
    cronJobs,
    jobs,
    leases,
    endpointSlices,
    eventsV1,
    priorityClasses,
  ];
}

export { IPRangeAllocator, PortRangeAllocator, AllocationError } from './allocators';
export { humanDuration, defaultTablePrinter } from './printing';
