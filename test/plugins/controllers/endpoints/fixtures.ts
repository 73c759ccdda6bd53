/**
 * Plain Service and Pod objects for the endpoints and endpointslice
 * computations: what the informer caches would hold.
 */
import type { Container, ServicePort } from 'kubernetes-types/core/v1';
import type { PodObject, ServiceObject } from '../../../../plugins/controllers/endpoints/podendpoints';

const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'default',
  uid: `uid-${name}`,
  resourceVersion: '1',
  creationTimestamp: '2026-01-01T00:00:00Z',
  ...extra,
});

export function service(name: string, spec: { selector?: Record<string, string> | null; ports?: ServicePort[]; clusterIP?: string; publishNotReadyAddresses?: boolean; type?: string }, labels?: Record<string, string>): ServiceObject {
  const { selector = { app: 'web' }, ...rest } = spec;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, labels ? { labels } : {}),
    spec: { clusterIP: '10.96.0.10', ...(selector === null ? {} : { selector }), ...rest },
  } as ServiceObject;
}

export interface PodSpecLite {
  ip?: string;
  ready?: boolean;
  node?: string;
  labels?: Record<string, string>;
  ports?: Container['ports'];
  terminating?: boolean;
  phase?: string;
  restartPolicy?: string;
  hostname?: string;
  subdomain?: string;
}

export function pod(name: string, p: PodSpecLite = {}): PodObject {
  const { ip = '10.244.0.1', ready = true, node = 'node-a', labels = { app: 'web' }, ports = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] } = p;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(name, { labels, ...(p.terminating ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}) }),
    spec: {
      nodeName: node,
      containers: [{ name: 'app', image: 'app', ports }],
      ...(p.restartPolicy ? { restartPolicy: p.restartPolicy } : {}),
      ...(p.hostname ? { hostname: p.hostname } : {}),
      ...(p.subdomain ? { subdomain: p.subdomain } : {}),
    },
    status: {
      phase: p.phase ?? 'Running',
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2026-01-01T00:00:30Z' }],
    },
  } as PodObject;
}

export const HTTP: ServicePort = { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' };
export const METRICS: ServicePort = { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' };
