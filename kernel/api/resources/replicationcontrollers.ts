/**
 * core/v1 ReplicationController: the ReplicaSet's predecessor, with a plain
 * map as its selector. Defaulting follows SetDefaults_ReplicationController
 * (an empty selector and empty object labels take the template's labels;
 * replicas default to 1), validation ValidateReplicationController (a
 * non-empty selector that matches the template labels, the template checked
 * as a ReplicaSet's). Unlike apps/v1, the selector may change.
 */
import type { ReplicationController } from 'kubernetes-types/core/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, validateNonnegativeField } from '../validation';
import { defaultPodTemplateSpec } from './podspec';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, age, column, containerCells, formatLabels } from './printing';
import { SCALE_SUBRESOURCE, child, defaultPointer, isObj, keepStatus, readSpec, resetStatus, spec, statusSubresource, type Obj } from './shared';
import { validateReplicatedTemplate } from './workloads';

/** The selector map, or an empty one when it is not a map (an absent selector selects nothing). */
export function replicationControllerSelector(selector: unknown): Record<string, string> {
  return isObj(selector) ? (selector as Record<string, string>) : {};
}

function nonEmptyMap(v: unknown): v is Record<string, string> {
  return isObj(v) && Object.keys(v).length > 0;
}

function validate(object: Obj): FieldError[] {
  const s = readSpec(object);
  const path = FieldPath.of('spec');
  const errs = [...validateNonnegativeField(s.minReadySeconds ?? 0, path.child('minReadySeconds'))];
  // ValidateNonEmptySelector: `spec.selector: Required value`.
  if (!nonEmptyMap(s.selector)) errs.push(FieldError.required(path.child('selector').toString()));
  errs.push(...validateNonnegativeField(s.replicas ?? 0, path.child('replicas')));
  // ValidatePodTemplateSpecForRC: the ReplicaSet checks, on a selector that is a plain map
  // (an empty one skips the label check: its emptiness is reported above).
  errs.push(...validateReplicatedTemplate({ ...s, selector: { matchLabels: replicationControllerSelector(s.selector) } }, path.child('template'), 'ReplicationController'));
  return errs;
}

export const replicationControllerStrategy: ResourceStrategy = {
  defaults: (object) => {
    const s = spec(object);
    const template = isObj(s.template) ? s.template : undefined;
    const labels = isObj(template?.metadata?.labels) ? (template!.metadata.labels as Record<string, string>) : undefined;
    if (labels) {
      if (!nonEmptyMap(s.selector)) s.selector = { ...labels };
      const meta = child(object as Obj, 'metadata');
      if (!nonEmptyMap(meta.labels)) meta.labels = { ...labels };
    }
    defaultPointer(s, 'replicas', 1);
    // The template is a pointer here: an absent one stays absent (and is reported as required).
    if (template) defaultPodTemplateSpec(template);
  },
  // ReplicationControllerStatus.replicas is not omitempty.
  prepareForCreate: (object) => resetStatus(object, { replicas: 0 }),
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate,
  selectableFields: (object) => ({ 'status.replicas': String((object as ReplicationController).status?.replicas ?? 0) }),
  table: {
    columns: [
      column('Desired', 'integer', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller'),
      column('Current', 'integer', 'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller'),
      column('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      column(
        'Selector',
        'string',
        'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
        true,
      ),
    ],
    cells: (object, now) => {
      const rc = object as ReplicationController;
      const [names, images] = containerCells(rc.spec?.template?.spec?.containers);
      return [
        rc.spec?.replicas ?? 0,
        rc.status?.replicas ?? 0,
        rc.status?.readyReplicas ?? 0,
        age(rc.metadata?.creationTimestamp, now),
        names,
        images,
        // labels.FormatLabels(rc.Spec.Selector)
        formatLabels(rc.spec?.selector),
      ];
    },
  },
};

export const replicationControllers: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
  singular: 'replicationcontroller',
  namespaced: true,
  shortNames: ['rc'],
  categories: ['all'],
  subresources: [SCALE_SUBRESOURCE, statusSubresource('ReplicationController')],
  hasStatus: true,
  // Kubernetes' strategy bumps metadata.generation on spec changes (status.observedGeneration).
  generation: true,
  strategy: replicationControllerStrategy,
};
