/**
 * The EndpointSlices a Service should have, and the writes that get there
 * from the slices it has: the pure computation of kube-controller-manager's
 * endpointslice reconciler, kept apart from the controller so tests can call
 * it with plain objects.
 *
 * Endpoints are grouped by the ports they resolve to (a pod lacking a named
 * target port lands in a slice without that port), each group filling slices
 * of at most `maxEndpointsPerSlice`. Existing slices are updated in place
 * rather than replaced: kept endpoints stay where they are, changed ones are
 * rewritten, new ones fill the slices being written anyway (fullest first),
 * then an unchanged slice they fit in, and only then a new slice. A create
 * that coincides with a delete becomes an update of the slice to delete.
 */
import type { Node, ObjectReference } from 'kubernetes-types/core/v1';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { StoredObject } from '../../../kernel/api/types';
import {
  HEADLESS_LABEL,
  canonicalJSON,
  isHeadless,
  isPodReady,
  podIPsOfFamily,
  resolvePort,
  serviceIPFamilies,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  type IPFamily,
  type PodObject,
  type ServiceObject,
} from '../endpoints/podendpoints';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type SliceEndpoint = Mutable<Endpoint>;
/** A slice as this controller writes it: a stored one (name, resourceVersion), or a new one (generateName). */
export type SliceObject = Omit<EndpointSlice, 'metadata' | 'endpoints' | 'ports'> & {
  apiVersion: string;
  kind: string;
  metadata: StoredObject['metadata'] | (Partial<StoredObject['metadata']> & { generateName: string; namespace: string });
  endpoints: SliceEndpoint[];
  ports?: EndpointPort[] | null;
};
export type NodeObject = StoredObject & Omit<Node, 'metadata'>;

export interface SlicePlan {
  create: SliceObject[];
  update: SliceObject[];
  delete: SliceObject[];
  /** Pods left out because their node is unknown (the sync is retried, as in Kubernetes). */
  podsWithoutNode: string[];
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The service ports as they resolve in this pod, in service order; ports the pod lacks are left out. */
export function endpointPorts(service: ServiceObject, pod: PodObject): EndpointPort[] {
  const ports: EndpointPort[] = [];
  for (const sp of service.spec?.ports ?? []) {
    const port = resolvePort(pod, sp);
    if (port === undefined) continue;
    const ep: Mutable<EndpointPort> = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    ports.push(ep);
  }
  return ports;
}

/** Identifies a port set whatever its order (Kubernetes' PortMapKey). */
export function portSetKey(ports: readonly EndpointPort[] | null | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => JSON.stringify([p.name ?? '', p.port ?? null, p.protocol ?? 'TCP', p.appProtocol ?? ''])).sort());
}

/** Identifies an endpoint across syncs: its addresses, hostname and pod (Kubernetes' endpoint hash). */
function endpointKey(ep: Endpoint): string {
  return JSON.stringify([ep.addresses, ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/** The pod as an endpoint (podToEndpoint): ready only when serving and not terminating, unless the service publishes not-ready addresses. */
export function podToEndpoint(pod: PodObject, node: NodeObject | undefined, service: ServiceObject, addressType: IPFamily): SliceEndpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = service.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const targetRef: ObjectReference = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
  const ep: SliceEndpoint = { addresses: podIPsOfFamily(pod, addressType), conditions: { ready, serving, terminating }, targetRef };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata.labels?.[ZONE_LABEL];
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, service)) ep.hostname = pod.spec!.hostname;
  return ep;
}

/** The slice's labels: the service's (reserved keys aside), the headless marker, and the two that tie it to the service and this controller. */
export function sliceLabels(service: ServiceObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata.labels ?? {})) {
    if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
  }
  if (isHeadless(service)) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = service.metadata.name;
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  return labels;
}

export function ownedBy(slice: SliceObject, service: ServiceObject): boolean {
  return (slice.metadata.ownerReferences ?? []).some((o) => o.uid === service.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

/**
 * The address types of the service's slices: its IP families. The API
 * server fills those in; for a service without them (written before it did),
 * its cluster IP's family, or both for a headless one, as Kubernetes does so
 * as not to drop endpoints meanwhile.
 */
export function sliceAddressTypes(service: ServiceObject): IPFamily[] {
  const noFamilies = (service.spec?.ipFamilies ?? []).length === 0;
  if (noFamilies && (!service.spec?.clusterIP || isHeadless(service))) return ['IPv4', 'IPv6'];
  return serviceIPFamilies(service);
}

function newSlice(service: ServiceObject, addressType: IPFamily, ports: EndpointPort[]): SliceObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${service.metadata.name}-`,
      namespace: service.metadata.namespace ?? '',
      labels: sliceLabels(service),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: service.metadata.name, uid: service.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints: [],
    ports: [...ports],
  };
}

function copySlice(slice: SliceObject): SliceObject {
  return JSON.parse(JSON.stringify(slice)) as SliceObject;
}

const sameLabels = (a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>) => canonicalJSON(a ?? {}) === canonicalJSON(b);

/** Kubernetes' getSliceToFill: the fullest slice the remaining endpoints still fit in. */
function sliceToFill(slices: SliceObject[], count: number, max: number): SliceObject | undefined {
  let best: SliceObject | undefined;
  let bestRoom = max;
  for (const slice of slices) {
    const room = max - (count + slice.endpoints.length);
    if (room >= 0 && room < bestRoom) {
      bestRoom = room;
      best = slice;
      if (room === 0) break;
    }
  }
  return best;
}

/** One port set of one address type: reconcileByPortMapping. */
function reconcilePortSet(service: ServiceObject, existing: SliceObject[], desired: Map<string, SliceEndpoint>, ports: EndpointPort[], addressType: IPFamily, max: number, plan: SlicePlan): void {
  const labels = sliceLabels(service);
  const toUpdate = new Map<string, SliceObject>();
  const unchanged = new Map<string, SliceObject>();
  // 1. Keep each existing slice's endpoints that are still desired (rewritten if changed); drop the rest.
  for (const slice of existing) {
    const kept: SliceEndpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = desired.get(key);
      if (!want) continue;
      kept.push(want);
      if (canonicalJSON(want) !== canonicalJSON(ep)) changed = true;
      desired.delete(key);
    }
    const name = slice.metadata.name!;
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) plan.delete.push(slice);
      else {
        const next = copySlice(slice);
        next.endpoints = kept;
        next.metadata.labels = labels;
        toUpdate.set(name, next);
      }
    } else if (!sameLabels(slice.metadata.labels, labels)) {
      const next = copySlice(slice);
      next.metadata.labels = labels;
      toUpdate.set(name, next);
    } else unchanged.set(name, slice);
  }
  const remaining = [...desired.values()];
  // 2. Fill the slices being written anyway, fullest first.
  if (remaining.length > 0) {
    const slices = [...toUpdate.values()].sort((a, b) => b.endpoints.length - a.endpoints.length);
    for (const slice of slices) while (remaining.length > 0 && slice.endpoints.length < max) slice.endpoints.push(remaining.shift()!);
  }
  // 3. Then one unchanged slice they all fit in, else new slices.
  while (remaining.length > 0) {
    let fill: SliceObject | undefined;
    if (remaining.length < max && unchanged.size > 0) {
      const found = sliceToFill([...unchanged.values()], remaining.length, max);
      if (found) {
        fill = copySlice(found);
        unchanged.delete(found.metadata.name!);
        toUpdate.set(found.metadata.name!, fill);
      }
    }
    if (!fill) {
      fill = newSlice(service, addressType, ports);
      plan.create.push(fill);
    }
    while (remaining.length > 0 && fill.endpoints.length < max) fill.endpoints.push(remaining.shift()!);
  }
  plan.update.push(...toUpdate.values());
}

/**
 * The writes that bring `existing` (the slices this controller manages for
 * the service, from the cache) to what the service and its pods call for.
 * `node` looks nodes up by name, for zones.
 */
export function planSlices(
  service: ServiceObject,
  pods: readonly PodObject[],
  node: (name: string) => NodeObject | undefined,
  existing: readonly SliceObject[],
  maxEndpointsPerSlice = DEFAULT_MAX_ENDPOINTS_PER_SLICE,
): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [], podsWithoutNode: [] };
  const addressTypes = sliceAddressTypes(service);
  const live = existing.filter((s) => !s.metadata.deletionTimestamp);
  // Slices of another address type, or of an earlier Service of the same name, go.
  const deleteFirst = live.filter((s) => !addressTypes.includes(s.addressType as IPFamily) || !ownedBy(s, service));
  plan.delete.push(...deleteFirst);

  for (const addressType of addressTypes) {
    const mine = live.filter((s) => s.addressType === addressType && ownedBy(s, service));
    const deletesBefore = plan.delete.length;
    const createsBefore = plan.create.length;
    const desired = new Map<string, { ports: EndpointPort[]; endpoints: Map<string, SliceEndpoint> }>();
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ports = endpointPorts(service, pod);
      const key = portSetKey(ports);
      let group = desired.get(key);
      if (!group) desired.set(key, (group = { ports, endpoints: new Map() }));
      const podNode = pod.spec?.nodeName ? node(pod.spec.nodeName) : undefined;
      // A pod on a node we do not know is left out (and the sync retried),
      // unless the service publishes not-ready addresses: then the user asked for it.
      if (!podNode && service.spec?.publishNotReadyAddresses !== true) {
        if (addressType === addressTypes[0]) plan.podsWithoutNode.push(pod.metadata.name);
        continue;
      }
      const ep = podToEndpoint(pod, podNode, service, addressType);
      if (ep.addresses.length > 0) group.endpoints.set(endpointKey(ep), ep);
    }
    const existingBySet = new Map<string, SliceObject[]>();
    for (const slice of mine) {
      const key = portSetKey(slice.ports);
      existingBySet.set(key, [...(existingBySet.get(key) ?? []), slice]);
    }
    for (const [key, slices] of existingBySet) if (!desired.has(key)) plan.delete.push(...slices);
    for (const [key, group] of desired) reconcilePortSet(service, existingBySet.get(key) ?? [], group.endpoints, group.ports, addressType, maxEndpointsPerSlice, plan);

    // A service with no endpoints still has one (empty) slice, so that "no endpoints" is distinguishable from "not reconciled yet".
    const deletedHere = plan.delete.length - deletesBefore;
    if (mine.length === deletedHere && plan.create.length === createsBefore) {
      const placeholder = newSlice(service, addressType, []);
      const doomed = plan.delete.slice(deletesBefore);
      if (doomed.length === 1 && (doomed[0].endpoints ?? []).length === 0 && portSetKey(doomed[0].ports) === portSetKey([]) && sameLabels(doomed[0].metadata.labels, sliceLabels(service))) {
        plan.delete.splice(deletesBefore, 1);
      } else plan.create.push(placeholder);
    }
  }

  // Creates that coincide with deletes become updates of the slices to delete (same address type, same owner).
  for (let i = 0; i < plan.delete.length && plan.create.length > 0; ) {
    const doomed = plan.delete[i];
    const created = plan.create[plan.create.length - 1];
    if (doomed.addressType === created.addressType && ownedBy(doomed, service)) {
      const reused = copySlice(created);
      reused.metadata = { ...copySlice(doomed).metadata, labels: created.metadata.labels, ownerReferences: created.metadata.ownerReferences };
      plan.create.pop();
      plan.update.push(reused);
      plan.delete.splice(i, 1);
    } else i++;
  }
  return plan;
}
