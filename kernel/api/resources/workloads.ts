/**
 * Checks the apps/v1 workloads (Deployment, ReplicaSet, StatefulSet,
 * DaemonSet) share: a selector that exists and selects the template's pods,
 * templates whose pods restart Always, rolling-update numbers given as an
 * integer or a percentage, and selectors that never change after creation.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { FieldError } from '../errors';
import {
  FIELD_IMMUTABLE,
  FieldPath,
  goIntOrString,
  goLabelSelector,
  goStringMap,
  invalidGo,
  isValidPercent,
  jsonEqual,
  validateLabelSelector,
  validateNonnegativeField,
} from '../validation';
import { validatePodTemplateSpec } from './podspec';
import { selectorMatches } from './printing';
import { isObj, type Obj } from './shared';

const SELECTOR_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Whether Kubernetes could turn the selector into a labels.Selector (LabelSelectorAsSelector succeeds). */
export function selectorConverts(selector: unknown): boolean {
  if (!isObj(selector)) return true;
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    if (!isObj(e) || !SELECTOR_OPERATORS.has(e.operator)) return false;
    if ((e.operator === 'In' || e.operator === 'NotIn') && (!Array.isArray(e.values) || e.values.length === 0)) return false;
  }
  return true;
}

function selectorIsEmpty(selector: Obj): boolean {
  return Object.keys(isObj(selector.matchLabels) ? selector.matchLabels : {}).length + (Array.isArray(selector.matchExpressions) ? selector.matchExpressions.length : 0) === 0;
}

/**
 * `spec.selector`: required, well formed, not empty. `kindWord` is the word in
 * Kubernetes' message (`empty selector is invalid for deployment` — which
 * ReplicaSets share, as in Kubernetes).
 */
export function validateWorkloadSelector(selector: unknown, path: FieldPath, kindWord: string): FieldError[] {
  if (!isObj(selector)) return [FieldError.required(path.toString())];
  const errs = validateLabelSelector(selector as LabelSelector, path);
  if (selectorIsEmpty(selector)) errs.push(invalidGo(path, selector, goLabelSelector(selector as LabelSelector), `empty selector is invalid for ${kindWord}`));
  return errs;
}

/**
 * Template labels must satisfy the selector. A missing selector selects
 * nothing, so it fails here too (Kubernetes reports both problems); an empty
 * one selects everything and is reported by `validateWorkloadSelector`.
 */
export function validateTemplateLabels(selector: unknown, template: Obj | undefined, templatePath: FieldPath): FieldError[] {
  if (isObj(selector) && selectorIsEmpty(selector)) return [];
  const labels = isObj(template?.metadata?.labels) ? (template!.metadata.labels as Record<string, string>) : undefined;
  if (selectorMatches(isObj(selector) ? (selector as LabelSelector) : null, labels)) return [];
  return [invalidGo(templatePath.child('metadata', 'labels'), labels ?? null, goStringMap(labels), '`selector` does not match template `labels`')];
}

/** ValidatePodTemplateSpecForReplicaSet and its siblings: the template's pods restart Always and have no deadline. */
export function validateReplicatedTemplate(spec: Obj, templatePath: FieldPath, kindName: string, deadline: 'forbidden' | 'invalid' = 'forbidden'): FieldError[] {
  const template: Obj | undefined = isObj(spec.template) ? spec.template : undefined;
  const errs: FieldError[] = [];
  if (!template) return [FieldError.required(templatePath.toString())];
  errs.push(...validateTemplateLabels(spec.selector, template, templatePath));
  errs.push(...validatePodTemplateSpec(template, templatePath));
  const podSpec: Obj = isObj(template.spec) ? template.spec : {};
  if (podSpec.restartPolicy !== 'Always') errs.push(FieldError.notSupported(templatePath.child('spec', 'restartPolicy').toString(), podSpec.restartPolicy ?? '', ['Always']));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    const p = templatePath.child('spec', 'activeDeadlineSeconds').toString();
    const message = `activeDeadlineSeconds in ${kindName} is not Supported`;
    errs.push(deadline === 'forbidden' ? FieldError.forbidden(p, message) : FieldError.invalid(p, podSpec.activeDeadlineSeconds, message));
  }
  return errs;
}

/** The number an IntOrString stands for (a percentage's number; 0 for anything unparseable). */
export function intOrPercentValue(v: unknown): { value: number; percent: boolean } {
  if (typeof v === 'number') return { value: v, percent: false };
  if (typeof v === 'string' && isValidPercent(v).length === 0) return { value: Number(v.slice(0, -1)), percent: true };
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : 0;
  return { value: n, percent: false };
}

/** Kubernetes' ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(v: unknown, path: FieldPath): FieldError[] {
  if (typeof v === 'number') return validateNonnegativeField(v, path);
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalidGo(path, v, goIntOrString(v), m));
  return [FieldError.invalid(path.toString(), v ?? null, "must be an integer or percentage (e.g '5%')")];
}

/** Kubernetes' IsNotMoreThan100Percent. */
export function validateNotMoreThan100Percent(v: unknown, path: FieldPath): FieldError[] {
  const { value, percent } = intOrPercentValue(v);
  return percent && value > 100 ? [invalidGo(path, v, goIntOrString(v), 'must not be greater than 100%')] : [];
}

/** apps/v1 selectors never change: `spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable`. */
export function validateSelectorImmutable(next: Obj, old: Obj): FieldError[] {
  if (jsonEqual(next.selector, old.selector)) return [];
  return [invalidGo(FieldPath.of('spec', 'selector'), next.selector ?? null, goLabelSelector(isObj(next.selector) ? (next.selector as LabelSelector) : null), FIELD_IMMUTABLE)];
}
