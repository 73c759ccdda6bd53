/**
 * The desired subsets of a Service's Endpoints: the pure computation of
 * kube-controller-manager's endpoints controller, kept apart from the
 * controller so tests can call it with plain objects.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset } from 'kubernetes-types/core/v1';
import { isHeadless, isPodReady, ipFamilyOf, podIPsOfFamily, resolvePort, serviceIPFamilies, shouldPodBeInEndpoints, shouldSetHostname, type PodObject, type ServiceObject } from './podendpoints';

type Address = EndpointAddress & { nodeName?: string };

/** The pod as an address of the service's (first) IP family, or undefined when it has no IP of that family. */
function podAddress(pod: PodObject, service: ServiceObject): Address | undefined {
  const family = service.spec?.ipFamilies?.length || (service.spec?.clusterIP && !isHeadless(service)) ? serviceIPFamilies(service)[0] : ipFamilyOf(pod.status?.podIP ?? '');
  const ip = podIPsOfFamily(pod, family)[0];
  if (!ip) return undefined;
  const address: Address = { ip, targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid } };
  if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, service)) address.hostname = pod.spec!.hostname;
  return address;
}

/**
 * One subset per (pod, service port) as the controller first builds them:
 * ready pods (or all, with publishNotReadyAddresses) in `addresses`, the
 * others in `notReadyAddresses`; terminating and finished pods left out; a
 * pod lacking a named target port left out of that port only. A service
 * without ports gets portless subsets only when headless.
 */
export function podSubsets(service: ServiceObject, pods: readonly PodObject[]): EndpointSubset[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const subsets: EndpointSubset[] = [];
  const add = (pod: PodObject, address: Address, port?: EndpointPort) => {
    const ports = port ? [port] : [];
    if (publishNotReady || isPodReady(pod)) subsets.push({ addresses: [address], ports });
    else subsets.push({ notReadyAddresses: [address], ports });
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const address = podAddress(pod, service);
    if (!address) continue;
    const servicePorts = service.spec?.ports ?? [];
    if (servicePorts.length === 0) {
      if (isHeadless(service)) add(pod, address);
      continue;
    }
    for (const sp of servicePorts) {
      const port = resolvePort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
      if (!sp.name) delete ep.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      add(pod, address, ep);
    }
  }
  return subsets;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const addressKey = (a: EndpointAddress) => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort) => JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);
const byAddress = (a: EndpointAddress, b: EndpointAddress) => compare(a.ip, b.ip) || compare(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');

/**
 * Kubernetes' RepackSubsets: expand subsets to (address, port, ready) facts,
 * then regroup so that addresses offering exactly the same ports (with the
 * same readiness on each) share one subset. An address is deduplicated by IP
 * and target uid; not-ready on a port beats ready on it. Addresses sort by IP
 * then uid. Kubernetes orders ports and subsets by a hash of their contents;
 * here they sort by content, an equally canonical order that a person can
 * predict.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const addresses = new Map<string, EndpointAddress>();
  // port key -> (address key -> ready); the sentinel '' stands for "no ports".
  const byPort = new Map<string, Map<string, boolean>>();
  const ports = new Map<string, EndpointPort>();
  const note = (address: EndpointAddress, port: string, ready: boolean) => {
    const key = addressKey(address);
    if (!addresses.has(key)) addresses.set(key, address);
    let set = byPort.get(port);
    if (!set) byPort.set(port, (set = new Map()));
    if (set.get(key) !== false) set.set(key, ready);
  };
  for (const ss of subsets) {
    const keys = (ss.ports ?? []).length === 0 ? [''] : (ss.ports ?? []).map((p) => {
      const key = portKey(p);
      ports.set(key, p);
      return key;
    });
    for (const key of keys) {
      for (const a of ss.addresses ?? []) note(a, key, true);
      for (const a of ss.notReadyAddresses ?? []) note(a, key, false);
    }
  }
  // Group ports by the exact set of (address, readiness) offering them.
  const groups = new Map<string, { set: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const [port, set] of byPort) {
    const key = JSON.stringify([...set].sort((a, b) => compare(a[0], b[0])));
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { set, ports: [] }));
    if (port !== '') group.ports.push(ports.get(port)!);
  }
  const result: EndpointSubset[] = [];
  for (const { set, ports: groupPorts } of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [key, isReady] of set) (isReady ? ready : notReady).push(addresses.get(key)!);
    const subset: EndpointSubset = {};
    if (ready.length > 0) subset.addresses = ready.sort(byAddress);
    if (notReady.length > 0) subset.notReadyAddresses = notReady.sort(byAddress);
    if (groupPorts.length > 0) subset.ports = groupPorts.sort((a, b) => compare(portKey(a), portKey(b)));
    result.push(subset);
  }
  const subsetKey = (ss: EndpointSubset) => JSON.stringify([ss.ports ?? [], (ss.addresses ?? []).map(addressKey), (ss.notReadyAddresses ?? []).map(addressKey)]);
  return result.sort((a, b) => compare(subsetKey(a), subsetKey(b)));
}

/** The subsets the service's Endpoints should have. */
export function desiredSubsets(service: ServiceObject, pods: readonly PodObject[]): EndpointSubset[] {
  return repackSubsets(podSubsets(service, pods));
}

/** Endpoints hold at most this many addresses (ready and not); the rest is only in EndpointSlices. */
export const MAX_ENDPOINTS_CAPACITY = 1000;

/**
 * Cut subsets over MAX_ENDPOINTS_CAPACITY down to it, as Kubernetes'
 * truncateEndpoints: not-ready addresses go first; when the ready ones alone
 * are too many, every not-ready one goes and each subset keeps its share
 * (rounded up) of the ready ones. Returns the subsets kept, or undefined when
 * nothing had to go.
 */
export function truncateSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] | undefined {
  const totalReady = subsets.reduce((n, ss) => n + (ss.addresses ?? []).length, 0);
  const totalNotReady = subsets.reduce((n, ss) => n + (ss.notReadyAddresses ?? []).length, 0);
  if (totalReady + totalNotReady <= MAX_ENDPOINTS_CAPACITY) return undefined;
  const truncateReady = totalReady > MAX_ENDPOINTS_CAPACITY;
  const max = truncateReady ? MAX_ENDPOINTS_CAPACITY : MAX_ENDPOINTS_CAPACITY - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let room = max;
  return subsets.map((ss) => {
    const inSubset = (truncateReady ? ss.addresses : ss.notReadyAddresses) ?? [];
    const share = Math.min(Math.ceil((inSubset.length / total) * max), room);
    const kept = inSubset.slice(0, share);
    room -= kept.length;
    const next: EndpointSubset = { ...ss };
    if (truncateReady) {
      next.addresses = kept;
      delete next.notReadyAddresses;
    } else if (kept.length > 0) next.notReadyAddresses = kept;
    else delete next.notReadyAddresses;
    return next;
  });
}
