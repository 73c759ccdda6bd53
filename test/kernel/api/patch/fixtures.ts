/**
 * A small slice of Kubernetes' OpenAPI v3 definitions (`components.schemas`),
 * written the way kube-apiserver publishes them: properties that refer to a
 * definition are `allOf: [{$ref}]` wrappers carrying the patch and list
 * extensions, non-pointer struct fields carry `default: {}`, list-map keys
 * with defaults (`protocol: TCP`) carry the default.
 */
import { SchemaRegistry } from '../../../../kernel/api/openapi/schemas';
import type { OpenApiSchema, SchemaDefinitions } from '../../../../kernel/api/openapi/types';
import type { PatchSchema } from '../../../../kernel/api/patch/schema-cursor';

const ref = (name: string, extra: OpenApiSchema = {}): OpenApiSchema => ({ allOf: [{ $ref: `#/components/schemas/${name}` }], ...extra });
const struct = (name: string, extra: OpenApiSchema = {}): OpenApiSchema => ref(name, { default: {}, ...extra });
const string: OpenApiSchema = { type: 'string' };
const int: OpenApiSchema = { type: 'integer', format: 'int32' };
const stringMap: OpenApiSchema = { type: 'object', additionalProperties: { type: 'string', default: '' } };

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const SELECTOR = 'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

export const definitions: SchemaDefinitions = {
  [QUANTITY]: { type: 'string' },
  [INT_OR_STRING]: { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry': {
    type: 'object',
    properties: { manager: string, operation: string, apiVersion: string, time: ref('io.k8s.apimachinery.pkg.apis.meta.v1.Time'), fieldsType: string, fieldsV1: { type: 'object' }, subresource: string },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference': {
    type: 'object',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: { apiVersion: string, kind: string, name: string, uid: string, controller: { type: 'boolean' } },
    'x-kubernetes-map-type': 'atomic',
  },
  [META]: {
    type: 'object',
    properties: {
      name: string,
      namespace: string,
      uid: string,
      resourceVersion: string,
      generation: { type: 'integer', format: 'int64' },
      creationTimestamp: ref('io.k8s.apimachinery.pkg.apis.meta.v1.Time'),
      labels: stringMap,
      annotations: stringMap,
      finalizers: { type: 'array', items: { type: 'string', default: '' }, 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
      ownerReferences: {
        type: 'array',
        items: ref('io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference', { default: {} }),
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['uid'],
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
      },
      managedFields: { type: 'array', items: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry', { default: {} }), 'x-kubernetes-list-type': 'atomic' },
    },
  },
  [SELECTOR]: {
    type: 'object',
    properties: { matchLabels: stringMap, matchExpressions: { type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'atomic' } },
    'x-kubernetes-map-type': 'atomic',
  },
  'io.k8s.api.apps.v1.Deployment': {
    type: 'object',
    properties: {
      apiVersion: string,
      kind: string,
      metadata: struct(META),
      spec: struct('io.k8s.api.apps.v1.DeploymentSpec'),
      status: struct('io.k8s.api.apps.v1.DeploymentStatus'),
    },
    'x-kubernetes-group-version-kind': [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
  },
  'io.k8s.api.apps.v1.DeploymentSpec': {
    type: 'object',
    required: ['selector', 'template'],
    properties: {
      replicas: int,
      minReadySeconds: int,
      progressDeadlineSeconds: int,
      paused: { type: 'boolean' },
      selector: ref(SELECTOR),
      template: struct('io.k8s.api.core.v1.PodTemplateSpec'),
      strategy: struct('io.k8s.api.apps.v1.DeploymentStrategy', { 'x-kubernetes-patch-strategy': 'retainKeys' }),
    },
  },
  'io.k8s.api.apps.v1.DeploymentStrategy': {
    type: 'object',
    properties: { type: string, rollingUpdate: ref('io.k8s.api.apps.v1.RollingUpdateDeployment') },
  },
  'io.k8s.api.apps.v1.RollingUpdateDeployment': {
    type: 'object',
    properties: { maxSurge: ref(INT_OR_STRING), maxUnavailable: ref(INT_OR_STRING) },
  },
  'io.k8s.api.apps.v1.DeploymentStatus': {
    type: 'object',
    properties: { replicas: int, readyReplicas: int, observedGeneration: { type: 'integer', format: 'int64' } },
  },
  'io.k8s.api.core.v1.PodTemplateSpec': {
    type: 'object',
    properties: { metadata: struct(META), spec: struct('io.k8s.api.core.v1.PodSpec') },
  },
  'io.k8s.api.core.v1.PodSpec': {
    type: 'object',
    required: ['containers'],
    properties: {
      containers: {
        type: 'array',
        items: struct('io.k8s.api.core.v1.Container'),
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      },
      initContainers: {
        type: 'array',
        items: struct('io.k8s.api.core.v1.Container'),
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      },
      volumes: {
        type: 'array',
        items: struct('io.k8s.api.core.v1.Volume'),
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge,retainKeys',
      },
      nodeSelector: { ...stringMap, 'x-kubernetes-map-type': 'atomic' },
      tolerations: { type: 'array', items: struct('io.k8s.api.core.v1.Toleration'), 'x-kubernetes-list-type': 'atomic' },
      hostname: string,
      restartPolicy: string,
      dnsPolicy: string,
    },
  },
  'io.k8s.api.core.v1.Toleration': { type: 'object', properties: { key: string, operator: string, effect: string } },
  'io.k8s.api.core.v1.Container': {
    type: 'object',
    required: ['name'],
    properties: {
      name: string,
      image: string,
      imagePullPolicy: string,
      command: { type: 'array', items: { type: 'string', default: '' }, 'x-kubernetes-list-type': 'atomic' },
      args: { type: 'array', items: { type: 'string', default: '' }, 'x-kubernetes-list-type': 'atomic' },
      ports: {
        type: 'array',
        items: struct('io.k8s.api.core.v1.ContainerPort'),
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
        'x-kubernetes-patch-merge-key': 'containerPort',
        'x-kubernetes-patch-strategy': 'merge',
      },
      env: {
        type: 'array',
        items: struct('io.k8s.api.core.v1.EnvVar'),
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      },
      resources: struct('io.k8s.api.core.v1.ResourceRequirements'),
    },
  },
  'io.k8s.api.core.v1.ContainerPort': {
    type: 'object',
    required: ['containerPort'],
    properties: { name: string, containerPort: int, hostPort: int, protocol: { type: 'string', default: 'TCP' } },
  },
  'io.k8s.api.core.v1.EnvVar': { type: 'object', required: ['name'], properties: { name: string, value: string } },
  'io.k8s.api.core.v1.ResourceRequirements': {
    type: 'object',
    properties: {
      limits: { type: 'object', additionalProperties: ref(QUANTITY) },
      requests: { type: 'object', additionalProperties: ref(QUANTITY) },
    },
  },
  'io.k8s.api.core.v1.Volume': {
    type: 'object',
    required: ['name'],
    properties: {
      name: string,
      configMap: ref('io.k8s.api.core.v1.ConfigMapVolumeSource'),
      emptyDir: ref('io.k8s.api.core.v1.EmptyDirVolumeSource'),
      hostPath: ref('io.k8s.api.core.v1.HostPathVolumeSource'),
    },
  },
  'io.k8s.api.core.v1.ConfigMapVolumeSource': { type: 'object', properties: { name: string, defaultMode: int } },
  'io.k8s.api.core.v1.EmptyDirVolumeSource': { type: 'object', properties: { medium: string, sizeLimit: ref(QUANTITY) } },
  'io.k8s.api.core.v1.HostPathVolumeSource': { type: 'object', required: ['path'], properties: { path: string, type: string } },
  'io.k8s.api.core.v1.ConfigMap': {
    type: 'object',
    properties: { apiVersion: string, kind: string, metadata: struct(META), data: stringMap, immutable: { type: 'boolean' } },
    'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'ConfigMap' }],
  },
  // A custom resource with a structural schema that keeps unknown fields under spec.extra.
  'dev.skiff.example.v1.Widget': {
    type: 'object',
    properties: {
      apiVersion: string,
      kind: string,
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        properties: {
          size: int,
          tags: { type: 'array', items: string, 'x-kubernetes-list-type': 'set' },
          extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
    'x-kubernetes-group-version-kind': [{ group: 'example.skiff.dev', version: 'v1', kind: 'Widget' }],
  },
};

export const registry = new SchemaRegistry(definitions);

export const deploymentSchema: PatchSchema = { schemas: registry, schema: registry.forKind('apps', 'v1', 'Deployment') };
export const configMapSchema: PatchSchema = { schemas: registry, schema: registry.forKind('', 'v1', 'ConfigMap') };
export const widgetSchema: PatchSchema = { schemas: registry, schema: registry.forKind('example.skiff.dev', 'v1', 'Widget') };

/** A Deployment with the given pod template containers (and anything else merged in). */
export function deployment(containers: object[], extra: { spec?: object; metadata?: object } = {}): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...(extra.metadata ?? {}) },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      ...(extra.spec ?? {}),
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
    },
  };
}
