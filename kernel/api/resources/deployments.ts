/**
 * apps/v1 Deployment: defaults (replicas 1, RollingUpdate 25%/25%, history 10,
 * progress deadline 600s), ValidateDeploymentSpec, an immutable selector, and
 * the `kubectl get deployments` table.
 */
import type { Deployment } from 'kubernetes-types/apps/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, goIntOrString, invalidGo, validateNonnegativeField } from '../validation';
import { defaultPodTemplateSpec } from './podspec';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, age, column, containerCells, selectorString } from './printing';
import { SCALE_SUBRESOURCE, child, defaultPointer, defaultString, isObj, keepStatus, readSpec, resetStatus, spec, statusSubresource, type Obj } from './shared';
import {
  intOrPercentValue,
  selectorConverts,
  validateNotMoreThan100Percent,
  validatePositiveIntOrPercent,
  validateReplicatedTemplate,
  validateSelectorImmutable,
  validateWorkloadSelector,
} from './workloads';

function defaults(object: Obj): void {
  const s = spec(object);
  defaultPointer(s, 'replicas', 1);
  const strategy = child(s, 'strategy');
  defaultString(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    defaultPointer(ru, 'maxUnavailable', '25%');
    defaultPointer(ru, 'maxSurge', '25%');
  }
  defaultPointer(s, 'revisionHistoryLimit', 10);
  defaultPointer(s, 'progressDeadlineSeconds', 600);
  defaultPodTemplateSpec(child(s, 'template'));
}

function validateStrategy(strategy: Obj, path: FieldPath): FieldError[] {
  switch (strategy.type) {
    case 'Recreate':
      return isObj(strategy.rollingUpdate) ? [FieldError.forbidden(path.child('rollingUpdate').toString(), "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      const ru = strategy.rollingUpdate;
      if (!isObj(ru)) return [FieldError.required(path.child('rollingUpdate').toString(), 'this should be defaulted and never be nil')];
      const rp = path.child('rollingUpdate');
      const errs = [...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')), ...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge'))];
      if (intOrPercentValue(ru.maxUnavailable).value === 0 && intOrPercentValue(ru.maxSurge).value === 0) {
        errs.push(invalidGo(rp.child('maxUnavailable'), ru.maxUnavailable, goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...validateNotMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
      return errs;
    }
    default:
      return [FieldError.notSupported(path.toString(), strategy.type ?? '', ['Recreate', 'RollingUpdate'])];
  }
}

function validate(object: Obj): FieldError[] {
  const s = readSpec(object);
  const path = FieldPath.of('spec');
  const errs: FieldError[] = [];
  errs.push(...validateNonnegativeField(s.replicas ?? 0, path.child('replicas')));
  errs.push(...validateWorkloadSelector(s.selector, path.child('selector'), 'deployment'));
  if (!selectorConverts(s.selector)) errs.push(FieldError.invalid(path.child('selector').toString(), s.selector, 'invalid label selector'));
  else errs.push(...validateReplicatedTemplate(s, path.child('template'), 'ReplicaSet'));
  errs.push(...validateStrategy(isObj(s.strategy) ? s.strategy : {}, path.child('strategy')));
  errs.push(...validateNonnegativeField(s.minReadySeconds ?? 0, path.child('minReadySeconds')));
  if (typeof s.revisionHistoryLimit === 'number') errs.push(...validateNonnegativeField(s.revisionHistoryLimit, path.child('revisionHistoryLimit')));
  if (typeof s.progressDeadlineSeconds === 'number') {
    errs.push(...validateNonnegativeField(s.progressDeadlineSeconds, path.child('progressDeadlineSeconds')));
    if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) errs.push(FieldError.invalid(path.child('progressDeadlineSeconds').toString(), s.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export const deploymentStrategy: ResourceStrategy = {
  defaults,
  prepareForCreate: (object) => resetStatus(object),
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate,
  validateUpdate: (object, old) => validateSelectorImmutable(readSpec(object), readSpec(old)),
  table: {
    columns: [
      column('Ready', 'string', 'Number of the pod with ready state'),
      column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      column('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', true),
    ],
    cells: (object, now) => {
      const d = object as Deployment;
      const [names, images] = containerCells(d.spec?.template?.spec?.containers);
      return [
        `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        d.status?.updatedReplicas ?? 0,
        d.status?.availableReplicas ?? 0,
        age(d.metadata?.creationTimestamp, now),
        names,
        images,
        selectorString(d.spec?.selector),
      ];
    },
  },
};

export const deployments: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  subresources: [SCALE_SUBRESOURCE, statusSubresource('Deployment')],
  hasStatus: true,
  strategy: deploymentStrategy,
};
