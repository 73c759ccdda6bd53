/**
 * scheduling.k8s.io/v1 PriorityClass: preemption by default, `system-` names
 * reserved for Kubernetes' two built-in classes, user values capped at one
 * billion, and value and preemption policy fixed once created.
 */
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { validateImmutableField } from '../validation';
import { AGE_COLUMN, age, column } from './printing';
import { defaultPointer, view, type Obj } from './shared';

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
const SYSTEM_PREFIX = 'system-';
/** The classes Kubernetes creates itself, with their fixed values. */
export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = { 'system-node-critical': 2_000_001_000, 'system-cluster-critical': 2_000_000_000 };
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

function systemClassProblem(name: string, value: unknown, globalDefault: boolean): string | undefined {
  if (!(name in SYSTEM_PRIORITY_CLASSES)) return `${name} is not a known system priority class`;
  if (value !== SYSTEM_PRIORITY_CLASSES[name]) return `value of ${name} PriorityClass must be ${SYSTEM_PRIORITY_CLASSES[name]}`;
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

function validate(object: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const name = object.metadata?.name ?? '';
  if (name.startsWith(SYSTEM_PREFIX)) {
    const problem = systemClassProblem(name, object.value, object.globalDefault === true);
    if (problem) errs.push(FieldError.forbidden('metadata.name', `priority class names with '${SYSTEM_PREFIX}' prefix are reserved for system use only. error: ${problem}`));
  } else if (typeof object.value === 'number' && object.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(FieldError.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (object.preemptionPolicy !== undefined && object.preemptionPolicy !== null && !PREEMPTION_POLICIES.includes(object.preemptionPolicy)) {
    errs.push(FieldError.notSupported('preemptionPolicy', object.preemptionPolicy, PREEMPTION_POLICIES));
  }
  return errs;
}

function validateUpdate(object: Obj, old: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (object.value !== old.value) errs.push(FieldError.forbidden('value', 'may not be changed in an update.'));
  errs.push(...validateImmutableField(object.preemptionPolicy ?? null, old.preemptionPolicy ?? null, 'preemptionPolicy'));
  return errs;
}

export const priorityClassStrategy: ResourceStrategy = {
  defaults: (object) => defaultPointer(object as Obj, 'preemptionPolicy', 'PreemptLowerPriority'),
  validate,
  validateUpdate,
  table: {
    columns: [
      column('Value', 'integer', 'value represents the integer value of this priority class.'),
      column('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.'),
      AGE_COLUMN,
      column('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.'),
    ],
    cells: (object, now) => {
      const pc = view<PriorityClass>(object);
      return [pc.value ?? 0, pc.globalDefault === true, age(pc.metadata?.creationTimestamp, now), pc.preemptionPolicy ?? ''];
    },
  },
};

export const priorityClasses: ResourceDefinition = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  singular: 'priorityclass',
  namespaced: false,
  shortNames: ['pc'],
  strategy: priorityClassStrategy,
};
