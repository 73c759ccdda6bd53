/**
 * What discovery shows for each built-in type (names, short names,
 * categories, scope, verbs, subresources) and the field selectors each type
 * supports.
 */
import { builtinResources } from '../../../../kernel/api/resources';
import type { ResourceDefinition } from '../../../../kernel/api/resource';
import type { StoredObject } from '../../../../kernel/api/types';
import { resource } from './harness';

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function describeDef(d: ResourceDefinition) {
  return {
    name: d.group ? `${d.plural}.${d.group}` : d.plural,
    version: d.version,
    kind: d.kind,
    singular: d.singular,
    namespaced: d.namespaced,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    verbs: d.verbs ?? ALL,
    subresources: (d.subresources ?? []).map((s) => `${s.name}:${s.group ? `${s.group}/${s.version}/` : ''}${s.kind}:${s.verbs.join(',')}`),
    hasStatus: d.hasStatus ?? false,
  };
}

const expected = [
  { name: 'configmaps', version: 'v1', kind: 'ConfigMap', singular: 'configmap', namespaced: true, shortNames: ['cm'], categories: [], verbs: ALL, subresources: [], hasStatus: false },
  { name: 'endpoints', version: 'v1', kind: 'Endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'], categories: [], verbs: ALL, subresources: [], hasStatus: false },
  { name: 'events', version: 'v1', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'], categories: [], verbs: ALL, subresources: [], hasStatus: false },
  {
    name: 'namespaces',
    version: 'v1',
    kind: 'Namespace',
    singular: 'namespace',
    namespaced: false,
    shortNames: ['ns'],
    categories: [],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['finalize:Namespace:update', 'status:Namespace:get,patch,update'],
    hasStatus: true,
  },
  {
    name: 'nodes',
    version: 'v1',
    kind: 'Node',
    singular: 'node',
    namespaced: false,
    shortNames: ['no'],
    categories: [],
    verbs: ALL,
    subresources: ['proxy:NodeProxyOptions:create,delete,get,patch,update', 'status:Node:get,patch,update'],
    hasStatus: true,
  },
  {
    name: 'persistentvolumeclaims',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    singular: 'persistentvolumeclaim',
    namespaced: true,
    shortNames: ['pvc'],
    categories: [],
    verbs: ALL,
    subresources: ['status:PersistentVolumeClaim:get,patch,update'],
    hasStatus: true,
  },
  {
    name: 'persistentvolumes',
    version: 'v1',
    kind: 'PersistentVolume',
    singular: 'persistentvolume',
    namespaced: false,
    shortNames: ['pv'],
    categories: [],
    verbs: ALL,
    subresources: ['status:PersistentVolume:get,patch,update'],
    hasStatus: true,
  },
  {
    name: 'pods',
    version: 'v1',
    kind: 'Pod',
    singular: 'pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    verbs: ALL,
    subresources: [
      'attach:PodAttachOptions:create,get',
      'binding:Binding:create',
      'ephemeralcontainers:Pod:get,patch,update',
      'eviction:policy/v1/Eviction:create',
      'exec:PodExecOptions:create,get',
      'log:Pod:get',
      'portforward:PodPortForwardOptions:create,get',
      'proxy:PodProxyOptions:create,delete,get,patch,update',
      'resize:Pod:get,patch,update',
      'status:Pod:get,patch,update',
    ],
    hasStatus: true,
  },
  {
    name: 'replicationcontrollers',
    version: 'v1',
    kind: 'ReplicationController',
    singular: 'replicationcontroller',
    namespaced: true,
    shortNames: ['rc'],
    categories: ['all'],
    verbs: ALL,
    subresources: ['scale:autoscaling/v1/Scale:get,patch,update', 'status:ReplicationController:get,patch,update'],
    hasStatus: true,
  },
  { name: 'secrets', version: 'v1', kind: 'Secret', singular: 'secret', namespaced: true, shortNames: [], categories: [], verbs: ALL, subresources: [], hasStatus: false },
  {
    name: 'serviceaccounts',
    version: 'v1',
    kind: 'ServiceAccount',
    singular: 'serviceaccount',
    namespaced: true,
    shortNames: ['sa'],
    categories: [],
    verbs: ALL,
    subresources: ['token:authentication.k8s.io/v1/TokenRequest:create'],
    hasStatus: false,
  },
  {
    name: 'services',
    version: 'v1',
    kind: 'Service',
    singular: 'service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    verbs: ALL,
    subresources: ['proxy:ServiceProxyOptions:create,delete,get,patch,update', 'status:Service:get,patch,update'],
    hasStatus: true,
  },
  { name: 'controllerrevisions.apps', version: 'v1', kind: 'ControllerRevision', singular: 'controllerrevision', namespaced: true, shortNames: [], categories: [], verbs: ALL, subresources: [], hasStatus: false },
  { name: 'daemonsets.apps', version: 'v1', kind: 'DaemonSet', singular: 'daemonset', namespaced: true, shortNames: ['ds'], categories: ['all'], verbs: ALL, subresources: ['status:DaemonSet:get,patch,update'], hasStatus: true },
  {
    name: 'deployments.apps',
    version: 'v1',
    kind: 'Deployment',
    singular: 'deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    verbs: ALL,
    subresources: ['scale:autoscaling/v1/Scale:get,patch,update', 'status:Deployment:get,patch,update'],
    hasStatus: true,
  },
  {
    name: 'replicasets.apps',
    version: 'v1',
    kind: 'ReplicaSet',
    singular: 'replicaset',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    verbs: ALL,
    subresources: ['scale:autoscaling/v1/Scale:get,patch,update', 'status:ReplicaSet:get,patch,update'],
    hasStatus: true,
  },
  {
    name: 'statefulsets.apps',
    version: 'v1',
    kind: 'StatefulSet',
    singular: 'statefulset',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    verbs: ALL,
    subresources: ['scale:autoscaling/v1/Scale:get,patch,update', 'status:StatefulSet:get,patch,update'],
    hasStatus: true,
  },
  { name: 'cronjobs.batch', version: 'v1', kind: 'CronJob', singular: 'cronjob', namespaced: true, shortNames: ['cj'], categories: ['all'], verbs: ALL, subresources: ['status:CronJob:get,patch,update'], hasStatus: true },
  { name: 'jobs.batch', version: 'v1', kind: 'Job', singular: 'job', namespaced: true, shortNames: [], categories: ['all'], verbs: ALL, subresources: ['status:Job:get,patch,update'], hasStatus: true },
  { name: 'leases.coordination.k8s.io', version: 'v1', kind: 'Lease', singular: 'lease', namespaced: true, shortNames: [], categories: [], verbs: ALL, subresources: [], hasStatus: false },
  { name: 'endpointslices.discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', singular: 'endpointslice', namespaced: true, shortNames: [], categories: [], verbs: ALL, subresources: [], hasStatus: false },
  { name: 'events.events.k8s.io', version: 'v1', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'], categories: [], verbs: ALL, subresources: [], hasStatus: false },
  { name: 'priorityclasses.scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', singular: 'priorityclass', namespaced: false, shortNames: ['pc'], categories: [], verbs: ALL, subresources: [], hasStatus: false },
];

describe('built-in resource definitions', () => {
  test('the set of types and what discovery says about each', () => {
    expect(builtinResources().map(describeDef)).toEqual(expected);
  });

  test('each call returns a fresh list', () => {
    const a = builtinResources();
    a.pop();
    expect(builtinResources()).toHaveLength(expected.length);
  });
});

function probe(def: ResourceDefinition, object: Record<string, unknown>): Record<string, string> {
  return def.strategy!.selectableFields!({ apiVersion: '', kind: '', ...object, metadata: { name: 'x', uid: 'u', resourceVersion: '1', creationTimestamp: '', ...(object.metadata as object) } } as StoredObject);
}

describe('field selectors', () => {
  test.each<[string, string, Record<string, unknown>, Record<string, string>]>([
    [
      'Pod',
      '',
      { spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default', hostNetwork: true }, status: { phase: 'Running', podIPs: [{ ip: '10.244.0.5' }], nominatedNodeName: 'n2' } },
      {
        'spec.nodeName': 'n1',
        'spec.restartPolicy': 'Always',
        'spec.schedulerName': 'default-scheduler',
        'spec.serviceAccountName': 'default',
        'spec.hostNetwork': 'true',
        'status.phase': 'Running',
        'status.podIP': '10.244.0.5',
        'status.nominatedNodeName': 'n2',
      },
    ],
    ['Node', '', { spec: { unschedulable: true } }, { 'spec.unschedulable': 'true' }],
    ['Secret', '', { type: 'kubernetes.io/tls' }, { type: 'kubernetes.io/tls' }],
    ['Namespace', '', { status: { phase: 'Active' } }, { 'status.phase': 'Active', name: 'x' }],
    ['ReplicaSet', 'apps', { status: { replicas: 3 } }, { 'status.replicas': '3' }],
    ['ReplicationController', '', { status: { replicas: 3 } }, { 'status.replicas': '3' }],
    ['Job', 'batch', { status: { succeeded: 2 } }, { 'status.successful': '2' }],
    ['Service', '', { spec: { type: 'NodePort', clusterIP: '10.96.0.9' } }, { 'spec.clusterIP': '10.96.0.9', 'spec.type': 'NodePort' }],
    [
      'Event',
      '',
      { involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1', apiVersion: 'v1', resourceVersion: '42', fieldPath: 'spec.containers{web}' }, reason: 'BackOff', reportingComponent: 'kubelet', type: 'Warning' },
      {
        'involvedObject.kind': 'Pod',
        'involvedObject.namespace': 'default',
        'involvedObject.name': 'web',
        'involvedObject.uid': 'u1',
        'involvedObject.apiVersion': 'v1',
        'involvedObject.resourceVersion': '42',
        'involvedObject.fieldPath': 'spec.containers{web}',
        reason: 'BackOff',
        reportingComponent: 'kubelet',
        source: 'kubelet',
        type: 'Warning',
      },
    ],
  ])('%s', (kind, group, object, fields) => {
    expect(probe(resource(kind, group), object)).toEqual(fields);
  });

  test('source prefers source.component over the reporting controller', () => {
    expect(probe(resource('Event'), { source: { component: 'scheduler' }, reportingComponent: 'x' }).source).toBe('scheduler');
  });

  test('an empty object yields every field name (the server learns the names that way)', () => {
    for (const def of builtinResources()) {
      const select = def.strategy?.selectableFields;
      if (!select) continue;
      const empty = probe(def, {});
      const full = probe(def, { spec: { nodeName: 'n' }, status: { phase: 'p' } });
      expect(Object.keys(empty).sort()).toEqual(Object.keys(full).sort());
      for (const v of Object.values(empty)) expect(typeof v).toBe('string');
    }
  });

  test('types without extra field selectors', () => {
    const without = builtinResources().filter((d) => !d.strategy?.selectableFields).map((d) => `${d.plural}${d.group ? `.${d.group}` : ''}`);
    expect(without).toEqual([
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumes',
      'serviceaccounts',
      'controllerrevisions.apps',
      'daemonsets.apps',
      'deployments.apps',
      'statefulsets.apps',
      'cronjobs.batch',
      'leases.coordination.k8s.io',
      'endpointslices.discovery.k8s.io',
      'priorityclasses.scheduling.k8s.io',
    ]);
  });
});
