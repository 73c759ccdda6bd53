/**
 * What a pod contributes to a Service's endpoints, shared by the endpoints and
 * endpointslice controllers (Kubernetes keeps these in
 * k8s.io/endpointslice/util and pkg/api/v1/pod): which pods count, which of
 * their IPs, which port a service port lands on in each pod, and the
 * last-change trigger time both controllers annotate their objects with.
 */
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1';
import type { StoredObject } from '../../../kernel/api/types';
import { labelSelectorFromObject } from '../../../kernel/api/selectors';
import type { CacheReader } from '../../../kernel/client/cache';
import type { EventHandler } from '../../../kernel/client/informer';

export type PodObject = StoredObject & Omit<Pod, 'metadata'>;
export type ServiceObject = StoredObject & Omit<Service, 'metadata'>;
export type IPFamily = 'IPv4' | 'IPv6';

export const PODS = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true } as const;
export const SERVICES = { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true } as const;

/** The annotation both controllers set: when the pod or service change that led to this write happened. */
export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
/** Set (empty value) on the endpoints of headless services. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

export const isHeadless = (service: ServiceObject): boolean => service.spec?.clusterIP === 'None';

/**
 * Whether this controller manages the service's endpoints at all: not for
 * ExternalName services, and not for services without a selector (their
 * endpoints are written by the user). An empty selector counts as none, as
 * in Kubernetes, where `selector: {}` does not survive serialisation.
 */
export function managesEndpoints(service: ServiceObject): boolean {
  return service.spec?.type !== 'ExternalName' && Object.keys(service.spec?.selector ?? {}).length > 0;
}

/** Pods in the service's namespace its selector matches. */
export function selectedPods(service: ServiceObject, pods: CacheReader<PodObject>): PodObject[] {
  const selector = labelSelectorFromObject({ matchLabels: service.spec?.selector ?? {} });
  return pods
    .listNamespace(service.metadata.namespace ?? '')
    .filter((pod) => selector.matches(pod.metadata.labels))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}

/** Keys (`namespace/name`) of the services in the pod's namespace whose selector matches `labels`. */
export function servicesSelecting(namespace: string, labels: Readonly<Record<string, string>> | undefined, services: CacheReader<ServiceObject>): string[] {
  const keys: string[] = [];
  for (const service of services.listNamespace(namespace)) {
    const selector = service.spec?.selector;
    // A selector-less service selects nothing (an empty map would select everything).
    if (!selector || Object.keys(selector).length === 0) continue;
    if (labelSelectorFromObject({ matchLabels: selector }).matches(labels)) keys.push(`${namespace}/${service.metadata.name}`);
  }
  return keys;
}

/** The pod's Ready condition is True (podutil.IsPodReady). */
export function isPodReady(pod: PodObject): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Whether the pod belongs in endpoints at all (ShouldPodBeInEndpoints): it has
 * an IP, is not terminating unless `includeTerminating`, and has not finished
 * for good (a Failed or Succeeded pod that will not restart).
 */
export function shouldPodBeInEndpoints(pod: PodObject, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP && (pod.status?.podIPs ?? []).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  const phase = pod.status?.phase;
  switch (pod.spec?.restartPolicy) {
    case 'Never':
      return phase !== 'Failed' && phase !== 'Succeeded';
    case 'OnFailure':
      return phase !== 'Succeeded';
    default:
      return true;
  }
}

/** A pod is the service's named host when its hostname is set and its subdomain names the service (ShouldSetHostname). */
export function shouldSetHostname(pod: PodObject, service: ServiceObject): boolean {
  return !!pod.spec?.hostname && pod.spec?.subdomain === service.metadata.name && pod.metadata.namespace === service.metadata.namespace;
}

export function ipFamilyOf(ip: string): IPFamily {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** The IP families the service's endpoints carry: spec.ipFamilies, else its cluster IP's, else IPv4. */
export function serviceIPFamilies(service: ServiceObject): IPFamily[] {
  const families = (service.spec?.ipFamilies ?? []).filter((f): f is IPFamily => f === 'IPv4' || f === 'IPv6');
  if (families.length > 0) return families;
  const clusterIP = service.spec?.clusterIP;
  if (clusterIP && clusterIP !== 'None') return [ipFamilyOf(clusterIP)];
  return ['IPv4'];
}

/** The pod's IPs of one family, primary first. */
export function podIPsOfFamily(pod: PodObject, family: IPFamily): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.filter((ip) => ipFamilyOf(ip) === family);
}

/**
 * The container port a service port reaches in this pod (podutil.FindPort):
 * a numeric targetPort as is (the API server defaults it to `port`); a named
 * one looked up in the pod's containers, then its sidecars (init containers
 * that keep running), by name and protocol. Undefined when this pod has no
 * such port: the pod is left out of that port's endpoints, not the others'.
 */
export function resolvePort(pod: PodObject, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = servicePort.protocol ?? 'TCP';
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const container of [...(pod.spec?.containers ?? []), ...sidecars]) {
    for (const port of container.ports ?? []) {
      if (port.name === target && (port.protocol ?? 'TCP') === protocol) return port.containerPort;
    }
  }
  return undefined;
}

/** A pod's last Ready transition: the pod change a write of endpoints answers. */
function podTriggerTime(pod: PodObject): number | undefined {
  const ready = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const t = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

interface ServiceTriggerState {
  podTimes: Map<string, number>;
  serviceTime: number;
}

/**
 * Kubernetes' TriggerTimeTracker: for each service, the trigger times seen at
 * the last sync, so that a sync can say when the earliest change it now
 * publishes happened (`endpoints.kubernetes.io/last-change-trigger-time`,
 * which kube-proxy's latency metrics read). A service seen for the first time
 * answers its creation time. Not safe for concurrent calls on one service,
 * which the work queue never makes.
 */
export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceTriggerState>();

  /** The time to annotate with, or undefined for none (nothing changed since the last sync). */
  compute(service: ServiceObject, pods: readonly PodObject[]): number | undefined {
    const key = `${service.metadata.namespace}/${service.metadata.name}`;
    const previous = this.states.get(key);
    const serviceTime = Date.parse(service.metadata.creationTimestamp);
    const podTimes = new Map<string, number>();
    let earliest: number | undefined;
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (t === undefined) continue;
      podTimes.set(pod.metadata.name, t);
      if (previous && t > (previous.podTimes.get(pod.metadata.name) ?? -Infinity)) earliest = Math.min(earliest ?? t, t);
    }
    if (previous && serviceTime > previous.serviceTime) earliest = Math.min(earliest ?? serviceTime, serviceTime);
    this.states.set(key, { podTimes, serviceTime });
    return previous ? earliest : serviceTime;
  }

  deleteService(namespace: string, name: string): void {
    this.states.delete(`${namespace}/${name}`);
  }
}

/** metav1.Time with nanoseconds as RFC3339Nano prints it (trailing zeros of the fraction dropped). */
export function formatTriggerTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** Whether two pods differ in anything that changes their endpoints (labels aside, which callers check). */
export function podEndpointsChanged(old: PodObject, pod: PodObject): boolean {
  if (!!old.metadata.deletionTimestamp !== !!pod.metadata.deletionTimestamp) return true;
  if (isPodReady(old) !== isPodReady(pod)) return true;
  if (old.spec?.nodeName !== pod.spec?.nodeName || old.spec?.hostname !== pod.spec?.hostname || old.spec?.subdomain !== pod.spec?.subdomain) return true;
  return JSON.stringify([old.status?.podIP, old.status?.podIPs, old.status?.phase, old.spec?.containers?.map((c) => c.ports)]) !==
    JSON.stringify([pod.status?.podIP, pod.status?.podIPs, pod.status?.phase, pod.spec?.containers?.map((c) => c.ports)]);
}

/** JSON with object keys sorted: equality of API objects however the server ordered their fields. */
export function canonicalJSON(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export function sameLabels(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b ?? {}).length && ak.every((k) => b?.[k] === a?.[k]);
}

/**
 * Pod events for a controller keyed by Service: a pod's add or delete
 * enqueues the services selecting it; an update that changes its labels or
 * what its endpoints show enqueues those selecting it before and after.
 */
export function podEventsToServices(services: CacheReader<ServiceObject>, enqueue: (key: string) => void): EventHandler<PodObject> {
  const servicesOf = (pod: PodObject) => servicesSelecting(pod.metadata.namespace ?? '', pod.metadata.labels, services);
  return {
    onAdd: (pod) => servicesOf(pod).forEach(enqueue),
    onDelete: (pod) => servicesOf(pod).forEach(enqueue),
    onUpdate: (old, pod) => {
      const labelsChanged = !sameLabels(old.metadata.labels, pod.metadata.labels);
      if (!labelsChanged && !podEndpointsChanged(old, pod)) return;
      const keys = new Set(servicesOf(pod));
      if (labelsChanged) for (const key of servicesOf(old)) keys.add(key);
      keys.forEach(enqueue);
    },
  };
}
