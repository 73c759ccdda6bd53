/**
 * core/v1 PersistentVolume: reclaim policy Retain and volume mode Filesystem
 * by default, Pending with a phase-transition time on create, exactly one
 * volume source, a storage capacity, and a source that never changes.
 */
import type { PersistentVolume } from 'kubernetes-types/core/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, NOT_POSITIVE_ERROR, isDNS1123Subdomain, validateImmutableField } from '../validation';
import { validateResourceQuantity } from './podspec';
import { AGE_COLUMN, age, column } from './printing';
import { canonicalResourceList, child, defaultPointer, defaultString, isObj, jsonDiff, keepStatus, readSpec, spec, statusSubresource, view, type Obj } from './shared';
import { STORAGE_CLASS_ANNOTATION, VOLUME_MODES, accessModesString, validateAccessModes } from './volumes';

const PV_SOURCES = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc', 'flocker', 'flexVolume',
  'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local', 'storageos', 'csi',
];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

function defaults(object: Obj): void {
  const s = spec(object);
  defaultString(child(object, 'status'), 'phase', 'Pending');
  defaultString(s, 'persistentVolumeReclaimPolicy', 'Retain');
  defaultPointer(s, 'volumeMode', 'Filesystem');
  canonicalResourceList(s, 'capacity');
  if (isObj(s.hostPath)) defaultPointer(s.hostPath, 'type', '');
}

function validateSource(s: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const source of PV_SOURCES) {
    if (s[source] === undefined || s[source] === null) continue;
    if (count > 0) {
      errs.push(FieldError.forbidden(path.child(source).toString(), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const src: Obj = isObj(s[source]) ? s[source] : {};
    const sp = path.child(source);
    if (source === 'hostPath') {
      if (!src.path) errs.push(FieldError.required(sp.child('path').toString()));
      else if (String(src.path).split('/').includes('..')) errs.push(FieldError.invalid(sp.child('path').toString(), src.path, "must not contain '..'"));
      if (src.type !== undefined && src.type !== null && !HOST_PATH_TYPES.includes(src.type)) errs.push(FieldError.notSupported(sp.child('type').toString(), src.type, HOST_PATH_TYPES));
    } else if (source === 'nfs') {
      if (!src.server) errs.push(FieldError.required(sp.child('server').toString()));
      if (!src.path) errs.push(FieldError.required(sp.child('path').toString()));
    } else if (source === 'local') {
      if (!src.path) errs.push(FieldError.required(sp.child('path').toString()));
    } else if (source === 'csi') {
      if (!src.driver) errs.push(FieldError.required(sp.child('driver').toString()));
      if (!src.volumeHandle) errs.push(FieldError.required(sp.child('volumeHandle').toString()));
    }
  }
  if (count === 0) errs.push(FieldError.required(path.toString(), 'must specify a volume type'));
  return errs;
}

function validate(object: Obj): FieldError[] {
  const s = readSpec(object);
  const path = FieldPath.of('spec');
  const errs: FieldError[] = [];
  const modes: unknown[] = Array.isArray(s.accessModes) ? s.accessModes : [];
  if (modes.length === 0) errs.push(FieldError.required(path.child('accessModes').toString()));
  errs.push(...validateAccessModes(modes, path.child('accessModes')));
  const capacity: Obj = isObj(s.capacity) ? s.capacity : {};
  const capPath = path.child('capacity');
  if (Object.keys(capacity).length === 0) errs.push(FieldError.required(capPath.toString()));
  if (!('storage' in capacity) || Object.keys(capacity).length > 1) errs.push(FieldError.notSupported(capPath.toString(), capacity, ['storage']));
  for (const [name, value] of Object.entries(capacity)) {
    const { errors, quantity } = validateResourceQuantity(name, value, capPath.key(name));
    errs.push(...errors);
    if (quantity && quantity.nanos <= 0n) errs.push(FieldError.invalid(capPath.key(name).toString(), String(value), NOT_POSITIVE_ERROR));
  }
  if (s.storageClassName) for (const m of isDNS1123Subdomain(s.storageClassName)) errs.push(FieldError.invalid(path.child('storageClassName').toString(), s.storageClassName, m));
  if (s.volumeMode !== undefined && s.volumeMode !== null && !VOLUME_MODES.includes(s.volumeMode)) errs.push(FieldError.notSupported(path.child('volumeMode').toString(), s.volumeMode, VOLUME_MODES));
  if (s.persistentVolumeReclaimPolicy && !RECLAIM_POLICIES.includes(s.persistentVolumeReclaimPolicy)) {
    errs.push(FieldError.notSupported(path.child('persistentVolumeReclaimPolicy').toString(), s.persistentVolumeReclaimPolicy, RECLAIM_POLICIES));
  }
  errs.push(...validateSource(s, path));
  return errs;
}

function validateUpdate(object: Obj, old: Obj): FieldError[] {
  const next = readSpec(object);
  const prev = readSpec(old);
  const source = (s: Obj) => Object.fromEntries(PV_SOURCES.filter((k) => s[k] !== undefined && s[k] !== null).map((k) => [k, s[k]]));
  const errs: FieldError[] = [];
  const a = source(prev);
  const b = source(next);
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    errs.push(FieldError.forbidden('spec.persistentvolumesource', `spec.persistentvolumesource is immutable after creation\n${jsonDiff('core.PersistentVolumeSource', a, b)}`));
  }
  errs.push(...validateImmutableField(next.volumeMode ?? null, prev.volumeMode ?? null, 'volumeMode'));
  if (prev.nodeAffinity !== undefined && prev.nodeAffinity !== null) errs.push(...validateImmutableField(next.nodeAffinity ?? null, prev.nodeAffinity, 'nodeAffinity'));
  return errs;
}

export const persistentVolumeStrategy: ResourceStrategy = {
  defaults,
  prepareForCreate: (object, ctx) => {
    object.status = { phase: 'Pending', lastPhaseTransitionTime: ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z') };
  },
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate,
  validateUpdate,
  table: {
    columns: [
      column('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.'),
      column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
      column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
      column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
      column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
      column('StorageClass', 'string', 'StorageClass of the pv'),
      column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
      column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
      AGE_COLUMN,
      column('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', true),
    ],
    cells: (object, now) => {
      const pv = view<PersistentVolume>(object);
      const claim = pv.spec?.claimRef ? `${pv.spec.claimRef.namespace ?? ''}/${pv.spec.claimRef.name ?? ''}` : '';
      const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? '');
      const storageClass = pv.metadata?.annotations?.[STORAGE_CLASS_ANNOTATION] ?? pv.spec?.storageClassName ?? '';
      return [
        pv.spec?.capacity?.storage ?? '0',
        accessModesString(pv.spec?.accessModes),
        pv.spec?.persistentVolumeReclaimPolicy ?? '',
        phase,
        claim,
        storageClass,
        pv.spec?.volumeAttributesClassName ?? '<unset>',
        pv.status?.reason ?? '',
        age(pv.metadata?.creationTimestamp, now),
        pv.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
};

export const persistentVolumes: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  singular: 'persistentvolume',
  namespaced: false,
  shortNames: ['pv'],
  subresources: [statusSubresource('PersistentVolume')],
  hasStatus: true,
  strategy: persistentVolumeStrategy,
};
