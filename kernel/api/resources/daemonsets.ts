/**
 * apps/v1 DaemonSet: RollingUpdate (maxUnavailable 1, maxSurge 0) by default,
 * ValidateDaemonSetSpec (a missing selector shows up as template labels that
 * do not match, exactly as in Kubernetes), an immutable selector, and the
 * DESIRED/CURRENT/READY/UP-TO-DATE/AVAILABLE/NODE SELECTOR table.
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, goLabelSelector, invalidGo, validateLabelSelector, validateNonnegativeField } from '../validation';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from './podspec';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, age, column, containerCells, formatLabelSelector, formatLabels } from './printing';
import { child, defaultPointer, defaultString, isObj, keepStatus, readSpec, resetStatus, spec, statusSubresource, type Obj } from './shared';
import {
  intOrPercentValue,
  selectorConverts,
  validateNotMoreThan100Percent,
  validatePositiveIntOrPercent,
  validateSelectorImmutable,
  validateTemplateLabels,
} from './workloads';

function defaults(object: Obj): void {
  const s = spec(object);
  const us = child(s, 'updateStrategy');
  defaultString(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = child(us, 'rollingUpdate');
    defaultPointer(ru, 'maxUnavailable', 1);
    defaultPointer(ru, 'maxSurge', 0);
  }
  defaultPointer(s, 'revisionHistoryLimit', 10);
  defaultPodTemplateSpec(child(s, 'template'));
}

function validateUpdateStrategy(us: Obj, path: FieldPath): FieldError[] {
  switch (us.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      const ru = us.rollingUpdate;
      const rp = path.child('rollingUpdate');
      if (!isObj(ru)) return [FieldError.required(rp.toString())];
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')),
        ...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')),
        ...validateNotMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')),
        ...validateNotMoreThan100Percent(ru.maxSurge, rp.child('maxSurge')),
      ];
      const unavailable = intOrPercentValue(ru.maxUnavailable).value !== 0;
      const surge = intOrPercentValue(ru.maxSurge).value !== 0;
      if (unavailable && surge) errs.push(FieldError.invalid(rp.child('maxSurge').toString(), ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
      else if (!unavailable && !surge) errs.push(FieldError.required(rp.child('maxUnavailable').toString(), 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default:
      return [FieldError.notSupported(path.toString(), us.type ?? '', ['RollingUpdate', 'OnDelete'])];
  }
}

function validate(object: Obj): FieldError[] {
  const s = readSpec(object);
  const path = FieldPath.of('spec');
  const errs = validateLabelSelector(isObj(s.selector) ? (s.selector as LabelSelector) : null, path.child('selector'));
  const template: Obj = isObj(s.template) ? s.template : {};
  if (selectorConverts(s.selector)) errs.push(...validateTemplateLabels(s.selector, template, path.child('template')));
  if (isObj(s.selector) && Object.keys(s.selector.matchLabels ?? {}).length + (s.selector.matchExpressions?.length ?? 0) === 0) {
    errs.push(invalidGo(path.child('selector'), s.selector, goLabelSelector(s.selector as LabelSelector), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(template, path.child('template')));
  const podSpec: Obj = isObj(template.spec) ? template.spec : {};
  if (podSpec.restartPolicy !== 'Always') errs.push(FieldError.notSupported(path.child('template', 'spec', 'restartPolicy').toString(), podSpec.restartPolicy ?? '', ['Always']));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(FieldError.invalid(path.child('template', 'spec', 'activeDeadlineSeconds').toString(), podSpec.activeDeadlineSeconds, 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...validateNonnegativeField(s.minReadySeconds ?? 0, path.child('minReadySeconds')));
  errs.push(...validateUpdateStrategy(isObj(s.updateStrategy) ? s.updateStrategy : {}, path.child('updateStrategy')));
  if (typeof s.revisionHistoryLimit === 'number') errs.push(...validateNonnegativeField(s.revisionHistoryLimit, path.child('revisionHistoryLimit')));
  return errs;
}

export const daemonSetStrategy: ResourceStrategy = {
  defaults,
  // These four DaemonSetStatus counters are not omitempty: a new DaemonSet shows them as 0.
  prepareForCreate: (object) => resetStatus(object, { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 }),
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate,
  validateUpdate: (object, old) => validateSelectorImmutable(readSpec(object), readSpec(old)),
  table: {
    columns: [
      column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).'),
      column('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
      column('Ready', 'integer', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
      column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
      column('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
      column('Node Selector', 'string', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node."),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      column('Selector', 'string', "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels.", true),
    ],
    cells: (object, now) => {
      const ds = object as DaemonSet;
      const [names, images] = containerCells(ds.spec?.template?.spec?.containers);
      return [
        ds.status?.desiredNumberScheduled ?? 0,
        ds.status?.currentNumberScheduled ?? 0,
        ds.status?.numberReady ?? 0,
        ds.status?.updatedNumberScheduled ?? 0,
        ds.status?.numberAvailable ?? 0,
        formatLabels(ds.spec?.template?.spec?.nodeSelector),
        age(ds.metadata?.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(ds.spec?.selector),
      ];
    },
  },
};

export const daemonSets: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  singular: 'daemonset',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  subresources: [statusSubresource('DaemonSet')],
  hasStatus: true,
  strategy: daemonSetStrategy,
};
