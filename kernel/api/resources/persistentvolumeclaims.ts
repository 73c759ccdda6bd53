/**
 * core/v1 PersistentVolumeClaim: volume mode Filesystem and phase Pending by
 * default, a storage request and access modes required, and a spec fixed
 * after creation except for growing a bound claim's storage request (and
 * setting volumeName once, which the binder does).
 */
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, NOT_POSITIVE_ERROR, compareQuantities, isDNS1123Subdomain, parseQuantity, semanticEqual, validateImmutableField, validateLabelSelector } from '../validation';
import { defaultPersistentVolumeClaimSpec, validateResourceQuantity } from './podspec';
import { AGE_COLUMN, age, column } from './printing';
import { child, defaultString, isObj, jsonDiff, keepStatus, readSpec, resetStatus, spec, statusSubresource, view, type Obj } from './shared';
import { STORAGE_CLASS_ANNOTATION, VOLUME_MODES, accessModesString, validateAccessModes } from './volumes';

/** Kubernetes' ValidatePersistentVolumeClaimSpec (also what StatefulSet claim templates would need). */
export function validateClaimSpec(s: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const modes: unknown[] = Array.isArray(s.accessModes) ? s.accessModes : [];
  if (modes.length === 0) errs.push(FieldError.required(path.child('accessModes').toString(), 'at least 1 access mode is required'));
  if (isObj(s.selector)) errs.push(...validateLabelSelector(s.selector as LabelSelector, path.child('selector')));
  errs.push(...validateAccessModes(modes, path.child('accessModes')));
  const requests: Obj = isObj(s.resources) && isObj(s.resources.requests) ? s.resources.requests : {};
  const storagePath = path.child('resources').key('storage');
  if (!('storage' in requests)) {
    errs.push(FieldError.required(storagePath.toString()));
  } else {
    const { errors, quantity } = validateResourceQuantity('storage', requests.storage, storagePath);
    if (quantity && quantity.nanos <= 0n) errs.push(FieldError.invalid(storagePath.toString(), String(requests.storage), NOT_POSITIVE_ERROR));
    else errs.push(...errors);
  }
  if (typeof s.storageClassName === 'string' && s.storageClassName) {
    for (const m of isDNS1123Subdomain(s.storageClassName)) errs.push(FieldError.invalid(path.child('storageClassName').toString(), s.storageClassName, m));
  }
  if (s.volumeMode !== undefined && s.volumeMode !== null && !VOLUME_MODES.includes(s.volumeMode)) errs.push(FieldError.notSupported(path.child('volumeMode').toString(), s.volumeMode, VOLUME_MODES));
  return errs;
}

function storageOf(s: Obj): string | undefined {
  return isObj(s.resources) && isObj(s.resources.requests) ? s.resources.requests.storage : undefined;
}

function validateUpdate(object: Obj, old: Obj): FieldError[] {
  const next: Obj = JSON.parse(JSON.stringify(readSpec(object)));
  const prev: Obj = JSON.parse(JSON.stringify(readSpec(old)));
  const errs: FieldError[] = [];
  // The binder may set volumeName once.
  if (!prev.volumeName) prev.volumeName = next.volumeName;
  const bound = isObj(object.status) && object.status.phase === 'Bound';
  const oldSize = storageOf(prev);
  const newSize = storageOf(next);
  // A bound claim may grow: compare everything but the storage request.
  if (bound && isObj(next.resources) && isObj(next.resources.requests)) {
    if (oldSize === undefined) delete next.resources.requests.storage;
    else next.resources.requests.storage = oldSize;
  }
  // Both are volatile here; the attributes class may change on bound claims.
  if (bound) {
    next.volumeAttributesClassName = prev.volumeAttributesClassName;
  }
  if (!semanticEqual(next, prev)) {
    errs.push(FieldError.forbidden('spec', `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${jsonDiff('core.PersistentVolumeClaimSpec', prev, next)}`));
  }
  try {
    if (oldSize !== undefined && newSize !== undefined && compareQuantities(parseQuantity(newSize), parseQuantity(oldSize)) < 0) {
      errs.push(FieldError.forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
    }
  } catch {
    // Unparseable sizes are reported by validate.
  }
  errs.push(...validateImmutableField(readSpec(object).volumeMode ?? null, readSpec(old).volumeMode ?? null, 'volumeMode'));
  const annotation = (o: Obj) => o.metadata?.annotations?.[STORAGE_CLASS_ANNOTATION];
  if (annotation(old) !== undefined && annotation(object) !== annotation(old)) {
    errs.push(FieldError.invalid(FieldPath.of('metadata', 'annotations').key(STORAGE_CLASS_ANNOTATION).toString(), annotation(object) ?? '', 'field is immutable'));
  }
  return errs;
}

export const persistentVolumeClaimStrategy: ResourceStrategy = {
  defaults: (object) => {
    defaultPersistentVolumeClaimSpec(spec(object));
    defaultString(child(object, 'status'), 'phase', 'Pending');
  },
  prepareForCreate: (object) => resetStatus(object, { phase: 'Pending' }),
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate: (object) => validateClaimSpec(readSpec(object), FieldPath.of('spec')),
  validateUpdate,
  table: {
    columns: [
      column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
      column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
      column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
      column('StorageClass', 'string', 'StorageClass of the pvc'),
      column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
      AGE_COLUMN,
      column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', true),
    ],
    cells: (object, now) => {
      const pvc = view<PersistentVolumeClaim>(object);
      const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? '');
      const bound = !!pvc.spec?.volumeName;
      return [
        phase,
        pvc.spec?.volumeName ?? '',
        bound ? (pvc.status?.capacity?.storage ?? '0') : '',
        bound ? accessModesString(pvc.status?.accessModes) : '',
        pvc.metadata?.annotations?.[STORAGE_CLASS_ANNOTATION] ?? pvc.spec?.storageClassName ?? '',
        pvc.spec?.volumeAttributesClassName ?? '<unset>',
        age(pvc.metadata?.creationTimestamp, now),
        pvc.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
};

export const persistentVolumeClaims: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  namespaced: true,
  shortNames: ['pvc'],
  subresources: [statusSubresource('PersistentVolumeClaim')],
  hasStatus: true,
  strategy: persistentVolumeClaimStrategy,
};
