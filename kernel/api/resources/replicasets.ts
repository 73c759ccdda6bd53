/**
 * apps/v1 ReplicaSet: replicas default to 1, the template is checked like a
 * Deployment's (Kubernetes shares the code, messages included), the selector
 * is immutable, and `status.replicas` is a field selector.
 */
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, validateNonnegativeField } from '../validation';
import { defaultPodTemplateSpec } from './podspec';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, age, column, containerCells, formatLabelSelector } from './printing';
import { SCALE_SUBRESOURCE, child, defaultPointer, keepStatus, readSpec, resetStatus, spec, statusSubresource, type Obj } from './shared';
import { selectorConverts, validateReplicatedTemplate, validateSelectorImmutable, validateWorkloadSelector } from './workloads';

function validate(object: Obj): FieldError[] {
  const s = readSpec(object);
  const path = FieldPath.of('spec');
  const errs = [...validateNonnegativeField(s.replicas ?? 0, path.child('replicas')), ...validateNonnegativeField(s.minReadySeconds ?? 0, path.child('minReadySeconds'))];
  // Kubernetes reuses the Deployment wording here.
  errs.push(...validateWorkloadSelector(s.selector, path.child('selector'), 'deployment'));
  if (!selectorConverts(s.selector)) errs.push(FieldError.invalid(path.child('selector').toString(), s.selector, 'invalid label selector'));
  else errs.push(...validateReplicatedTemplate(s, path.child('template'), 'ReplicaSet'));
  return errs;
}

export const replicaSetStrategy: ResourceStrategy = {
  defaults: (object) => {
    const s = spec(object);
    defaultPointer(s, 'replicas', 1);
    defaultPodTemplateSpec(child(s, 'template'));
  },
  // ReplicaSetStatus.replicas is not omitempty: a new ReplicaSet reads `status: {replicas: 0}`.
  prepareForCreate: (object) => resetStatus(object, { replicas: 0 }),
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate,
  validateUpdate: (object, old) => validateSelectorImmutable(readSpec(object), readSpec(old)),
  selectableFields: (object) => ({ 'status.replicas': String((object as ReplicaSet).status?.replicas ?? 0) }),
  table: {
    columns: [
      column('Desired', 'integer', 'Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.'),
      column('Current', 'integer', 'Replicas is the most recently observed number of non-terminated pods.'),
      column('Ready', 'integer', 'The number of non-terminated pods targeted by this ReplicaSet with a Ready Condition.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      column('Selector', 'string', 'Selector is a label query over pods that should match the replica count.', true),
    ],
    cells: (object, now) => {
      const rs = object as ReplicaSet;
      const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
      return [
        rs.spec?.replicas ?? 0,
        rs.status?.replicas ?? 0,
        rs.status?.readyReplicas ?? 0,
        age(rs.metadata?.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(rs.spec?.selector),
      ];
    },
  },
};

export const replicaSets: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  subresources: [SCALE_SUBRESOURCE, statusSubresource('ReplicaSet')],
  hasStatus: true,
  strategy: replicaSetStrategy,
};
