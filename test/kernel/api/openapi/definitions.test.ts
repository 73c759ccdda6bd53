/**
 * The generated Kubernetes definitions, checked by hand against Kubernetes'
 * own API types (struct tags and markers in k8s.io/api): strategic merge patch
 * metadata, list, map and struct types, defaults, integer formats,
 * IntOrString, group/version/kinds; and the generator's checks of its overlay.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtinDefinitions, builtinSchemaRegistry } from '../../../../kernel/api/openapi/builtin';
import { references } from '../../../../kernel/api/openapi/closure';
import type { OpenApiSchema } from '../../../../kernel/api/openapi/types';

const defs = builtinDefinitions();
const prop = (def: string, field: string): OpenApiSchema => {
  const schema = defs[def]?.properties?.[field];
  if (!schema) throw new Error(`${def}.${field} missing`);
  return schema;
};
const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

describe('strategic merge patch and list metadata', () => {
  const cases: Array<[string, string, string | undefined, string | undefined, string | undefined, string[] | undefined]> = [
    // definition, field, patch strategy, merge key, list type, list map keys
    [`${CORE}.PodSpec`, 'containers', 'merge', 'name', 'map', ['name']],
    [`${CORE}.PodSpec`, 'initContainers', 'merge', 'name', 'map', ['name']],
    [`${CORE}.PodSpec`, 'volumes', 'merge,retainKeys', 'name', 'map', ['name']],
    [`${CORE}.PodSpec`, 'imagePullSecrets', 'merge', 'name', 'map', ['name']],
    [`${CORE}.PodSpec`, 'tolerations', undefined, undefined, 'atomic', undefined],
    [`${CORE}.Container`, 'ports', 'merge', 'containerPort', 'map', ['containerPort', 'protocol']],
    [`${CORE}.EphemeralContainer`, 'ports', 'merge', 'containerPort', 'map', ['containerPort', 'protocol']],
    [`${CORE}.Container`, 'env', 'merge', 'name', 'map', ['name']],
    [`${CORE}.Container`, 'volumeMounts', 'merge', 'mountPath', 'map', ['mountPath']],
    [`${CORE}.Container`, 'args', undefined, undefined, 'atomic', undefined],
    [`${META}.ObjectMeta`, 'finalizers', 'merge', undefined, 'set', undefined],
    [`${META}.ObjectMeta`, 'ownerReferences', 'merge', 'uid', 'map', ['uid']],
    [`${CORE}.PodStatus`, 'conditions', 'merge', 'type', 'map', ['type']],
    [`${CORE}.PodStatus`, 'podIPs', 'merge', 'ip', 'map', ['ip']],
    [`${CORE}.NodeStatus`, 'addresses', 'merge', 'type', 'map', ['type']],
    [`${CORE}.NodeSpec`, 'podCIDRs', 'merge', undefined, 'set', undefined],
    [`${CORE}.ServiceSpec`, 'ports', 'merge', 'port', 'map', ['port', 'protocol']],
    ['io.k8s.api.apps.v1.DeploymentStatus', 'conditions', 'merge', 'type', 'map', ['type']],
    // Two keys: topologyKey alone is not unique.
    [`${CORE}.PodSpec`, 'topologySpreadConstraints', 'merge', 'topologyKey', 'map', ['topologyKey', 'whenUnsatisfiable']],
    [`${CORE}.PodSpec`, 'hostAliases', 'merge', 'ip', 'map', ['ip']],
    [`${CORE}.PodSpec`, 'resourceClaims', 'merge,retainKeys', 'name', 'map', ['name']],
    [`${CORE}.PodSpec`, 'schedulingGates', 'merge', 'name', 'map', ['name']],
    [`${CORE}.PodSpec`, 'readinessGates', undefined, undefined, 'atomic', undefined],
    [`${CORE}.Container`, 'resizePolicy', undefined, undefined, 'atomic', undefined],
    [`${CORE}.Container`, 'volumeDevices', 'merge', 'devicePath', 'map', ['devicePath']],
    // Markers without patch tags, or overriding them.
    [`${CORE}.ResourceRequirements`, 'claims', undefined, undefined, 'map', ['name']],
    [`${CORE}.PodStatus`, 'hostIPs', 'merge', 'ip', 'atomic', undefined],
    [`${CORE}.EndpointSubset`, 'ports', undefined, undefined, 'atomic', undefined],
    ['io.k8s.api.batch.v1.JobStatus', 'conditions', 'merge', 'type', 'atomic', undefined],
    ['io.k8s.api.batch.v1.UncountedTerminatedPods', 'succeeded', undefined, undefined, 'set', undefined],
    ['io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement', 'values', undefined, undefined, 'set', undefined],
    ['io.k8s.api.discovery.v1.Endpoint', 'addresses', undefined, undefined, 'set', undefined],
    ['io.k8s.api.discovery.v1.EndpointSlice', 'ports', undefined, undefined, 'atomic', undefined],
  ];

  it.each(cases)('%s.%s', (def, field, strategy, key, listType, mapKeys) => {
    const s = prop(def, field);
    expect(s['x-kubernetes-patch-strategy']).toBe(strategy);
    expect(s['x-kubernetes-patch-merge-key']).toBe(key);
    expect(s['x-kubernetes-list-type']).toBe(listType);
    expect(s['x-kubernetes-list-map-keys']).toEqual(mapKeys);
  });

  it('DeploymentSpec.strategy keeps keys, not a list', () => {
    const s = prop('io.k8s.api.apps.v1.DeploymentSpec', 'strategy');
    expect(s['x-kubernetes-patch-strategy']).toBe('retainKeys');
    expect(s['x-kubernetes-list-type']).toBeUndefined();
    expect(s.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }]);
  });

  it('the registry resolves through allOf to the referenced schema', () => {
    const registry = builtinSchemaRegistry();
    const spec = registry.property(registry.forKind('apps', 'v1', 'Deployment'), 'spec');
    const template = registry.property(spec, 'template');
    const podSpec = registry.property(template, 'spec');
    const containers = registry.property(podSpec, 'containers');
    expect(containers?.['x-kubernetes-patch-merge-key']).toBe('name');
    expect(registry.resolve(registry.items(containers))?.properties?.image).toBeDefined();
  });
});

describe('map and struct types (server-side apply)', () => {
  // Kubernetes marks these +structType=atomic: apply replaces them as a whole.
  it.each([
    `${META}.LabelSelector`,
    `${META}.OwnerReference`,
    `${CORE}.ObjectReference`,
    `${CORE}.LocalObjectReference`,
    `${CORE}.TypedLocalObjectReference`,
    `${CORE}.SecretReference`,
    `${CORE}.NodeSelector`,
    `${CORE}.NodeSelectorTerm`,
    `${CORE}.TopologySelectorTerm`,
    `${CORE}.ConfigMapKeySelector`,
    `${CORE}.SecretKeySelector`,
    `${CORE}.ObjectFieldSelector`,
    `${CORE}.ResourceFieldSelector`,
    `${CORE}.EndpointAddress`,
    `${CORE}.EndpointPort`,
  ])('%s is atomic', (def) => {
    expect(defs[def]['x-kubernetes-map-type']).toBe('atomic');
  });

  // ...and these not (granular, the default).
  it.each([`${META}.LabelSelectorRequirement`, `${META}.ObjectMeta`, `${CORE}.PodAffinityTerm`, `${CORE}.TypedObjectReference`, `${CORE}.NodeSelectorRequirement`, `${CORE}.Container`])(
    '%s is granular',
    (def) => {
      expect(defs[def]['x-kubernetes-map-type']).toBeUndefined();
    },
  );

  it('selector maps are atomic, label maps granular, claimRef overrides atomic ObjectReference', () => {
    expect(prop(`${CORE}.PodSpec`, 'nodeSelector')['x-kubernetes-map-type']).toBe('atomic');
    expect(prop(`${CORE}.ServiceSpec`, 'selector')['x-kubernetes-map-type']).toBe('atomic');
    expect(prop(`${CORE}.ReplicationControllerSpec`, 'selector')['x-kubernetes-map-type']).toBe('atomic');
    expect(prop(`${META}.ObjectMeta`, 'labels')['x-kubernetes-map-type']).toBeUndefined();
    expect(prop(`${META}.LabelSelector`, 'matchLabels')['x-kubernetes-map-type']).toBeUndefined();
    expect(prop(`${CORE}.PersistentVolumeSpec`, 'claimRef')).toMatchObject({ 'x-kubernetes-map-type': 'granular', allOf: [{ $ref: `#/components/schemas/${CORE}.ObjectReference` }] });
  });
});

describe('defaults', () => {
  it('list-map keys Kubernetes defaults carry the default', () => {
    expect(prop(`${CORE}.ContainerPort`, 'protocol').default).toBe('TCP');
    expect(prop(`${CORE}.ServicePort`, 'protocol').default).toBe('TCP');
    expect(prop(`${CORE}.ContainerPort`, 'containerPort').default).toBeUndefined();
  });

  // Go non-pointer struct fields: (gogoproto.nullable) = false in the descriptors.
  it.each([
    [`${CORE}.Pod`, 'metadata'],
    [`${CORE}.Pod`, 'spec'],
    [`${CORE}.Pod`, 'status'],
    [`${CORE}.PodList`, 'metadata'],
    ['io.k8s.api.apps.v1.DeploymentSpec', 'template'],
    ['io.k8s.api.apps.v1.DeploymentSpec', 'strategy'],
    ['io.k8s.api.batch.v1.JobSpec', 'template'],
    ['io.k8s.api.batch.v1.CronJobSpec', 'jobTemplate'],
    [`${CORE}.PodTemplateSpec`, 'metadata'],
    [`${CORE}.PodTemplateSpec`, 'spec'],
    [`${CORE}.Container`, 'resources'],
    [`${CORE}.ContainerStatus`, 'state'],
    [`${CORE}.Event`, 'involvedObject'],
    [`${META}.PartialObjectMetadata`, 'metadata'],
    [`${META}.Table`, 'metadata'],
  ])('%s.%s is default {}', (def, field) => {
    expect(prop(def, field).default).toEqual({});
  });

  // Pointers, slices, and the custom-JSON types (JSON strings or arbitrary JSON) have none.
  it.each([
    ['io.k8s.api.apps.v1.DeploymentSpec', 'selector'],
    [`${CORE}.PodSpec`, 'securityContext'],
    [`${CORE}.PodSpec`, 'containers'],
    [`${CORE}.ReplicationControllerSpec`, 'template'],
    [`${CORE}.ContainerStatus`, 'resources'],
    [`${CORE}.Event`, 'related'],
    [`${META}.ObjectMeta`, 'creationTimestamp'],
    [`${CORE}.ServicePort`, 'targetPort'],
    ['io.k8s.api.apps.v1.ControllerRevision', 'data'],
  ])('%s.%s has no default', (def, field) => {
    expect(prop(def, field).default).toBeUndefined();
  });

  it('every kind with metadata has default {} on it', () => {
    const kinds = Object.entries(defs).filter(([, d]) => d['x-kubernetes-group-version-kind'] && d.properties?.metadata);
    expect(kinds.length).toBeGreaterThan(50);
    expect(kinds.filter(([, d]) => JSON.stringify(d.properties!.metadata.default) !== '{}').map(([n]) => n)).toEqual([]);
  });
});

describe('types and formats', () => {
  it.each([
    [`${CORE}.ContainerPort`, 'containerPort', 'int32'],
    [`${CORE}.PodSpec`, 'terminationGracePeriodSeconds', 'int64'],
    [`${CORE}.PodSpec`, 'activeDeadlineSeconds', 'int64'],
    [`${META}.ObjectMeta`, 'generation', 'int64'],
    ['io.k8s.api.apps.v1.DeploymentSpec', 'replicas', 'int32'],
    ['io.k8s.api.batch.v1.JobSpec', 'backoffLimit', 'int32'],
    ['io.k8s.api.coordination.v1.LeaseSpec', 'leaseDurationSeconds', 'int32'],
  ])('%s.%s is an %s', (def, field, format) => {
    expect(prop(def, field)).toMatchObject({ type: 'integer', format });
  });

  it('byte strings, times and quantities', () => {
    expect(prop(`${CORE}.Secret`, 'data').additionalProperties).toEqual({ type: 'string', format: 'byte' });
    expect(prop(`${CORE}.ConfigMap`, 'data').additionalProperties).toEqual({ type: 'string' });
    expect(defs[`${META}.Time`]).toMatchObject({ type: 'string', format: 'date-time' });
    expect(defs[`${META}.MicroTime`]).toMatchObject({ type: 'string', format: 'date-time' });
    expect(prop(`${CORE}.ResourceRequirements`, 'limits').additionalProperties).toEqual({ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
  });

  it('IntOrString is a referenced definition marked x-kubernetes-int-or-string', () => {
    expect(prop(`${CORE}.HTTPGetAction`, 'port').allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }]);
    expect(prop(`${CORE}.ServicePort`, 'targetPort').allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }]);
    expect(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({ 'x-kubernetes-int-or-string': true, format: 'int-or-string' });
    expect(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type).toBeUndefined();
  });

  it('required fields are the non-optional ones', () => {
    expect(defs[`${CORE}.Container`].required).toEqual(['name']);
    expect(defs[`${CORE}.PodSpec`].required).toEqual(['containers']);
    expect(defs[`${CORE}.ContainerPort`].required).toEqual(['containerPort']);
  });

  it('fields kubernetes-types lacks are added from the binary (ResourceRule.verbs)', () => {
    expect(prop('io.k8s.api.authorization.v1.ResourceRule', 'verbs')).toMatchObject({ type: 'array', items: { type: 'string' } });
  });
});

describe('kinds', () => {
  const kinds: Array<[string, string, string, string]> = [
    ['', 'v1', 'Namespace', `${CORE}.Namespace`],
    ['', 'v1', 'Node', `${CORE}.Node`],
    ['', 'v1', 'Pod', `${CORE}.Pod`],
    ['', 'v1', 'PodList', `${CORE}.PodList`],
    ['', 'v1', 'Service', `${CORE}.Service`],
    ['', 'v1', 'Endpoints', `${CORE}.Endpoints`],
    ['', 'v1', 'ConfigMap', `${CORE}.ConfigMap`],
    ['', 'v1', 'Secret', `${CORE}.Secret`],
    ['', 'v1', 'Event', `${CORE}.Event`],
    ['', 'v1', 'ServiceAccount', `${CORE}.ServiceAccount`],
    ['', 'v1', 'PersistentVolume', `${CORE}.PersistentVolume`],
    ['', 'v1', 'PersistentVolumeClaim', `${CORE}.PersistentVolumeClaim`],
    ['', 'v1', 'Binding', `${CORE}.Binding`],
    ['apps', 'v1', 'Deployment', 'io.k8s.api.apps.v1.Deployment'],
    ['apps', 'v1', 'ReplicaSet', 'io.k8s.api.apps.v1.ReplicaSet'],
    ['apps', 'v1', 'StatefulSet', 'io.k8s.api.apps.v1.StatefulSet'],
    ['apps', 'v1', 'DaemonSetList', 'io.k8s.api.apps.v1.DaemonSetList'],
    ['batch', 'v1', 'Job', 'io.k8s.api.batch.v1.Job'],
    ['batch', 'v1', 'CronJob', 'io.k8s.api.batch.v1.CronJob'],
    ['coordination.k8s.io', 'v1', 'Lease', 'io.k8s.api.coordination.v1.Lease'],
    ['discovery.k8s.io', 'v1', 'EndpointSlice', 'io.k8s.api.discovery.v1.EndpointSlice'],
    ['autoscaling', 'v1', 'Scale', 'io.k8s.api.autoscaling.v1.Scale'],
    ['authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'io.k8s.api.authorization.v1.SelfSubjectAccessReview'],
    ['authorization.k8s.io', 'v1', 'SubjectAccessReview', 'io.k8s.api.authorization.v1.SubjectAccessReview'],
    ['authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'io.k8s.api.authorization.v1.SelfSubjectRulesReview'],
    ['authentication.k8s.io', 'v1', 'TokenReview', 'io.k8s.api.authentication.v1.TokenReview'],
    ['events.k8s.io', 'v1', 'Event', 'io.k8s.api.events.v1.Event'],
    ['scheduling.k8s.io', 'v1', 'PriorityClass', 'io.k8s.api.scheduling.v1.PriorityClass'],
    ['', 'v1', 'Status', `${META}.Status`],
    ['', 'v1', 'DeleteOptions', `${META}.DeleteOptions`],
    ['apps', 'v1', 'DeleteOptions', `${META}.DeleteOptions`],
    ['apps', 'v1', 'WatchEvent', `${META}.WatchEvent`],
    ['', 'v1', 'APIResourceList', `${META}.APIResourceList`],
    ['meta.k8s.io', 'v1', 'Table', `${META}.Table`],
    ['meta.k8s.io', 'v1', 'PartialObjectMetadata', `${META}.PartialObjectMetadata`],
    ['meta.k8s.io', 'v1', 'PartialObjectMetadataList', `${META}.PartialObjectMetadataList`],
  ];
  const registry = builtinSchemaRegistry();

  it.each(kinds)('%s/%s %s is %s', (group, version, kind, name) => {
    expect(registry.nameFor(group, version, kind)).toBe(name);
  });

  it('every $ref resolves', () => {
    const dangling = Object.entries(defs).flatMap(([name, s]) => references(s).filter((r) => !defs[r]).map((r) => `${name} -> ${r}`));
    expect(dangling).toEqual([]);
  });
});

describe('generated data', () => {
  const root = path.resolve(__dirname, '../../../..');
  const generator = path.join(root, 'scripts/gen-api-schemas.mjs');

  it('is what scripts/gen-api-schemas.mjs produces from this machine', () => {
    // Throws (non-zero exit) when a committed file differs from a fresh generation.
    const out = execFileSync(process.execPath, [generator, '--check'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).not.toContain('STALE');
    expect(out).toContain('spot checks');
    expect(out).toMatch(/embedded OpenAPI document .*: Kubernetes v1\.21\.2/);
  });

  it('fails loudly on overlay entries the descriptors and the embedded document do not bear out', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-overlay-'));
    const overlay = path.join(dir, 'overlay.mjs');
    fs.writeFileSync(
      overlay,
      `const CORE = 'io.k8s.api.core.v1';
export const LIST_TYPES = [
  { definition: CORE + '.PodSpec', field: 'noSuchField', listType: 'atomic' },
  { definition: CORE + '.PodSpec', field: 'tolerations', listType: 'map', keys: ['noSuchKey'] },
  { definition: CORE + '.Container', field: 'ports', listType: 'map', keys: ['containerPort', 'protocol'] },
  { definition: CORE + '.ServiceSpec', field: 'ports', listType: 'map', keys: ['port'] },
  { definition: CORE + '.Container', field: 'env', listType: 'map', keys: ['name'] },
  { definition: CORE + '.PodSpec', field: 'volumes', listType: 'set' },
  { definition: CORE + '.PodSpec', field: 'nodeName', listType: 'atomic' },
];
export const STRUCT_TYPES = [{ definition: CORE + '.NoSuchType', structType: 'atomic' }];
export const FIELD_MAP_TYPES = [{ definition: CORE + '.PodSpec', field: 'hostname', mapType: 'atomic' }];
export const KEY_DEFAULTS = [
  { definition: CORE + '.ContainerPort', field: 'hostIP', default: '0.0.0.0', evidence: 'host IP' },
  { definition: CORE + '.ContainerPort', field: 'protocol', default: 'UDP', evidence: 'Defaults to UDP' },
];
`,
    );
    try {
      const run = spawnSync(process.execPath, [generator, '--check', '--overlay', overlay], { cwd: root, encoding: 'utf8' });
      expect(run.status).not.toBe(0);
      const problems = run.stderr.split('\n').filter((l) => l.startsWith('  overlay '));
      expect(problems).toEqual([
        '  overlay LIST_TYPES io.k8s.api.core.v1.PodSpec.noSuchField: io.k8s.api.core.v1.PodSpec has no property noSuchField in the generated schema',
        '  overlay LIST_TYPES io.k8s.api.core.v1.PodSpec.tolerations: key noSuchKey is not a field of k8s.io.api.core.v1.Toleration',
        '  overlay LIST_TYPES io.k8s.api.core.v1.Container.ports: redundant, the embedded OpenAPI document (v1.21.2) already says map ["containerPort","protocol"]; remove the entry',
        '  overlay LIST_TYPES io.k8s.api.core.v1.ServiceSpec.ports: contradicts the embedded OpenAPI document (v1.21.2: map ["port","protocol"])',
        '  overlay LIST_TYPES io.k8s.api.core.v1.Container.env: redundant, the derived semantics are already map ["name"]; remove the entry',
        '  overlay LIST_TYPES io.k8s.api.core.v1.PodSpec.volumes: a set must hold scalars; volumes holds k8s.io.api.core.v1.Volume',
        '  overlay LIST_TYPES io.k8s.api.core.v1.PodSpec.nodeName: protobuf field k8s.io.api.core.v1.PodSpec.nodeName is not a list',
        '  overlay STRUCT_TYPES io.k8s.api.core.v1.NoSuchType: io.k8s.api.core.v1.NoSuchType is not a generated definition',
        '  overlay FIELD_MAP_TYPES io.k8s.api.core.v1.PodSpec.hostname: protobuf field k8s.io.api.core.v1.PodSpec.hostname is neither a map nor a message',
        '  overlay KEY_DEFAULTS io.k8s.api.core.v1.ContainerPort.hostIP: not a key of any generated map list',
        '  overlay KEY_DEFAULTS io.k8s.api.core.v1.ContainerPort.protocol: the description does not say "Defaults to UDP"',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
