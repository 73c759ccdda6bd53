/** Resource definitions like the ones the API server serves, for document tests. */
import type { ResourceDefinition, Verb } from '../../../../kernel/api/resource';

const READ: Verb[] = ['get', 'list', 'watch'];
const CRUD: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const status = (kind: string) => ({ name: 'status', kind, verbs: ['get', 'patch', 'update'] as Verb[] });
const scale = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] as Verb[] };

function r(group: string, version: string, kind: string, plural: string, namespaced: boolean, extra: Partial<ResourceDefinition> = {}): ResourceDefinition {
  return { group, version, kind, plural, singular: kind.toLowerCase(), namespaced, verbs: CRUD, ...extra };
}

export const RESOURCES: ResourceDefinition[] = [
  r('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: [status('Namespace')] }),
  r('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: [status('Node'), { name: 'proxy', kind: 'NodeProxyOptions', verbs: ['get', 'create'] }] }),
  r('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    subresources: [
      status('Pod'),
      { name: 'binding', kind: 'Binding', verbs: ['create'] },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['get', 'create'] },
    ],
  }),
  r('', 'v1', 'Binding', 'bindings', true, { verbs: ['create'] }),
  r('', 'v1', 'Service', 'services', true, { shortNames: ['svc'], subresources: [status('Service')] }),
  r('', 'v1', 'Endpoints', 'endpoints', true, { shortNames: ['ep'] }),
  r('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  r('', 'v1', 'Secret', 'secrets', true),
  r('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  r('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'], subresources: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }] }),
  r('', 'v1', 'PersistentVolume', 'persistentvolumes', false, { shortNames: ['pv'], subresources: [status('PersistentVolume')] }),
  r('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, { shortNames: ['pvc'], subresources: [status('PersistentVolumeClaim')] }),
  r('apps', 'v1', 'Deployment', 'deployments', true, { shortNames: ['deploy'], subresources: [status('Deployment'), scale] }),
  r('apps', 'v1', 'ReplicaSet', 'replicasets', true, { shortNames: ['rs'], subresources: [status('ReplicaSet'), scale] }),
  r('apps', 'v1', 'StatefulSet', 'statefulsets', true, { shortNames: ['sts'], subresources: [status('StatefulSet'), scale] }),
  r('apps', 'v1', 'DaemonSet', 'daemonsets', true, { shortNames: ['ds'], subresources: [status('DaemonSet')] }),
  r('batch', 'v1', 'Job', 'jobs', true, { subresources: [status('Job')] }),
  r('batch', 'v1', 'CronJob', 'cronjobs', true, { shortNames: ['cj'], subresources: [status('CronJob')] }),
  r('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  r('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  r('events.k8s.io', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  r('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, { shortNames: ['pc'] }),
  r('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, { verbs: ['create'] }),
  r('authorization.k8s.io', 'v1', 'SubjectAccessReview', 'subjectaccessreviews', false, { verbs: ['create'] }),
  r('authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false, { verbs: ['create'] }),
  r('authentication.k8s.io', 'v1', 'TokenReview', 'tokenreviews', false, { verbs: ['create'] }),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, { verbs: READ.concat(['create', 'delete', 'patch', 'update']) }),
  r('example.com', 'v1alpha1', 'Widget', 'widgets', true, { subresources: [status('Widget')] }),
];
