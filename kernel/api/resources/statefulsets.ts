/**
 * apps/v1 StatefulSet: defaults (OrderedReady, RollingUpdate with partition 0,
 * history 10, PVC retention Retain/Retain, claim templates defaulted as PVCs),
 * ValidateStatefulSetSpec — which, like Kubernetes, checks the template's
 * labels but not its pod spec — and Kubernetes' one message for every
 * forbidden spec change.
 */
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, jsonEqual, nameIsDNSLabel, validateAnnotations, validateLabels, validateNonnegativeField } from '../validation';
import { defaultPersistentVolumeClaimSpec, defaultPodTemplateSpec } from './podspec';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, age, column, containerCells } from './printing';
import { SCALE_SUBRESOURCE, child, defaultPointer, defaultString, eachObj, isObj, keepStatus, readSpec, resetStatus, spec, statusSubresource, type Obj } from './shared';
import { selectorConverts, validateTemplateLabels, validateWorkloadSelector } from './workloads';

function defaults(object: Obj): void {
  const s = spec(object);
  defaultString(s, 'podManagementPolicy', 'OrderedReady');
  const us = child(s, 'updateStrategy');
  if (!us.type) {
    us.type = 'RollingUpdate';
    defaultPointer(us, 'rollingUpdate', {});
  }
  if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate)) defaultPointer(us.rollingUpdate, 'partition', 0);
  const retention = child(s, 'persistentVolumeClaimRetentionPolicy');
  defaultString(retention, 'whenDeleted', 'Retain');
  defaultString(retention, 'whenScaled', 'Retain');
  defaultPointer(s, 'replicas', 1);
  defaultPointer(s, 'revisionHistoryLimit', 10);
  defaultPodTemplateSpec(child(s, 'template'));
  // Claim templates are PersistentVolumeClaims: the v1 conversion stamps their type and they get
  // a PVC's defaults, status phase included.
  eachObj(s.volumeClaimTemplates, (pvc) => {
    pvc.apiVersion = 'v1';
    pvc.kind = 'PersistentVolumeClaim';
    defaultPersistentVolumeClaimSpec(child(pvc, 'spec'));
    defaultString(child(pvc, 'status'), 'phase', 'Pending');
  });
}

function validate(object: Obj): FieldError[] {
  const s = readSpec(object);
  const path = FieldPath.of('spec');
  const errs: FieldError[] = [];
  const pmp = s.podManagementPolicy ?? '';
  if (pmp === '') errs.push(FieldError.required(path.child('podManagementPolicy').toString()));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(FieldError.invalid(path.child('podManagementPolicy').toString(), pmp, "must be 'OrderedReady' or 'Parallel'"));

  const us: Obj = isObj(s.updateStrategy) ? s.updateStrategy : {};
  const usPath = path.child('updateStrategy');
  switch (us.type ?? '') {
    case '':
      errs.push(FieldError.required(usPath.toString()));
      break;
    case 'OnDelete':
      if (isObj(us.rollingUpdate)) errs.push(FieldError.invalid(usPath.child('rollingUpdate').toString(), us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate':
      if (isObj(us.rollingUpdate) && typeof us.rollingUpdate.partition === 'number') {
        errs.push(...validateNonnegativeField(us.rollingUpdate.partition, usPath.child('rollingUpdate', 'partition')));
      }
      break;
    default:
      errs.push(FieldError.invalid(usPath.toString(), us, "must be 'RollingUpdate' or 'OnDelete'"));
  }

  const retention = s.persistentVolumeClaimRetentionPolicy;
  if (isObj(retention)) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      if (retention[f] !== 'Retain' && retention[f] !== 'Delete') {
        errs.push(FieldError.notSupported(path.child('persistentVolumeClaimRetentionPolicy', f).toString(), retention[f] ?? '', ['Retain', 'Delete']));
      }
    }
  }
  errs.push(...validateNonnegativeField(s.replicas ?? 0, path.child('replicas')));
  errs.push(...validateNonnegativeField(s.minReadySeconds ?? 0, path.child('minReadySeconds')));
  if (isObj(s.ordinals)) errs.push(...validateNonnegativeField(s.ordinals.start ?? 0, path.child('ordinals.start')));
  errs.push(...validateWorkloadSelector(s.selector, path.child('selector'), 'statefulset'));

  const template: Obj = isObj(s.template) ? s.template : {};
  const tPath = path.child('template');
  if (!selectorConverts(s.selector)) {
    errs.push(FieldError.invalid(path.child('selector').toString(), s.selector, ''));
  } else {
    // Kubernetes checks only the template's labels and annotations here, not its pod spec.
    errs.push(...validateTemplateLabels(s.selector, template, tPath));
    const meta: Obj = isObj(template.metadata) ? template.metadata : {};
    errs.push(...validateLabels(meta.labels, tPath.child('labels')), ...validateAnnotations(meta.annotations, tPath.child('annotations')));
  }
  const podSpec: Obj = isObj(template.spec) ? template.spec : {};
  if (podSpec.restartPolicy !== 'Always') errs.push(FieldError.notSupported(tPath.child('spec', 'restartPolicy').toString(), podSpec.restartPolicy ?? '', ['Always']));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(FieldError.forbidden(tPath.child('spec', 'activeDeadlineSeconds').toString(), 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return errs;
}

/** Fields of a StatefulSet spec that may change after creation. */
const MUTABLE_SPEC_FIELDS = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy'];

function validateUpdate(object: Obj, old: Obj): FieldError[] {
  const next = { ...readSpec(object) };
  const prev = { ...readSpec(old) };
  for (const f of MUTABLE_SPEC_FIELDS) {
    delete next[f];
    delete prev[f];
  }
  if (jsonEqual(next, prev)) return [];
  return [
    FieldError.forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

export const statefulSetStrategy: ResourceStrategy = {
  defaults,
  // StatefulSetStatus.replicas and .availableReplicas are not omitempty.
  prepareForCreate: (object) => resetStatus(object, { replicas: 0, availableReplicas: 0 }),
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate,
  validateUpdate,
  validateName: (name) => nameIsDNSLabel(name),
  table: {
    columns: [column('Ready', 'string', 'Number of the pod with ready state'), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
    cells: (object, now) => {
      const sts = object as StatefulSet;
      const [names, images] = containerCells(sts.spec?.template?.spec?.containers);
      return [`${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 0}`, age(sts.metadata?.creationTimestamp, now), names, images];
    },
  },
};

export const statefulSets: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  singular: 'statefulset',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  subresources: [SCALE_SUBRESOURCE, statusSubresource('StatefulSet')],
  hasStatus: true,
  strategy: statefulSetStrategy,
};
