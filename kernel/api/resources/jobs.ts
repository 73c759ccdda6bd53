/**
 * batch/v1 Job: defaults (parallelism/completions 1, backoffLimit 6,
 * NonIndexed, not suspended, TerminatingOrFailed replacement), the selector
 * and pod labels Kubernetes generates from the Job's uid unless
 * `manualSelector` is true, ValidateJob with its famous restartPolicy message,
 * the fields that never change, and the STATUS/COMPLETIONS/DURATION table.
 */
import type { Job } from 'kubernetes-types/batch/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, goStringMap, invalidGo, isDNS1123Label, jsonEqual, validateImmutableField, validateLabelSelector, validateNonnegativeField } from '../validation';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from './podspec';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, age, column, containerCells, formatLabelSelector, humanDuration, selectorMatches } from './printing';
import { child, defaultPointer, eachObj, isObj, keepStatus, readSpec, resetStatus, spec, statusSubresource, view, type Obj } from './shared';
import { selectorConverts } from './workloads';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
/** Indexed Jobs with more parallelism than this are refused. */
const MAX_PARALLELISM_FOR_INDEXED_JOB = 100000;

function nonEmpty(labels: unknown): labels is Record<string, string> {
  return isObj(labels) && Object.keys(labels).length > 0;
}

/** SetDefaults_Job for a JobSpec (CronJob templates get only the pod template defaults). */
function defaults(object: Obj): void {
  const s = spec(object);
  if ((s.completions === undefined || s.completions === null) && (s.parallelism === undefined || s.parallelism === null)) {
    s.completions = 1;
    s.parallelism = 1;
  }
  defaultPointer(s, 'parallelism', 1);
  defaultPointer(s, 'backoffLimit', typeof s.backoffLimitPerIndex === 'number' ? 2147483647 : 6);
  const template = child(s, 'template');
  const meta = child(object, 'metadata');
  // A Job without labels takes its pods' labels.
  if (isObj(template.metadata?.labels) && !nonEmpty(meta.labels)) meta.labels = { ...template.metadata.labels };
  defaultPointer(s, 'completionMode', 'NonIndexed');
  defaultPointer(s, 'suspend', false);
  if (isObj(s.podFailurePolicy)) {
    eachObj(s.podFailurePolicy.rules, (rule) => eachObj(rule.onPodConditions, (c) => defaultPointer(c, 'status', 'True')));
  }
  defaultPointer(s, 'podReplacementPolicy', isObj(s.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  defaultPodTemplateSpec(template);
}

/**
 * Kubernetes' generateSelector: pods get `batch.kubernetes.io/job-name`,
 * `job-name`, `batch.kubernetes.io/controller-uid` and `controller-uid`
 * (values the user set are left for validation to judge), and the selector
 * matches the controller uid.
 */
function generateSelector(object: Obj): void {
  const s = spec(object);
  const name = object.metadata?.name ?? '';
  const uid = object.metadata?.uid ?? '';
  const labels = child(child(child(s, 'template'), 'metadata'), 'labels');
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(key in labels)) labels[key] = name;
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(key in labels)) labels[key] = uid;
  const matchLabels = child(child(s, 'selector'), 'matchLabels');
  if (!(CONTROLLER_UID_LABEL in matchLabels)) matchLabels[CONTROLLER_UID_LABEL] = uid;
}

function prepareForCreate(object: Obj): void {
  const s = spec(object);
  const meta = child(object, 'metadata');
  const templateLabelsBefore = isObj(s.template?.metadata?.labels) ? { ...s.template.metadata.labels } : undefined;
  // Job labels copied from the template (by defaulting) follow the template's generated labels, as in Kubernetes.
  const labelsFromTemplate = !nonEmpty(meta.labels) || (templateLabelsBefore !== undefined && jsonEqual(meta.labels, templateLabelsBefore));
  if (s.manualSelector !== true) generateSelector(object);
  if (labelsFromTemplate && nonEmpty(s.template?.metadata?.labels)) meta.labels = { ...s.template.metadata.labels };
  resetStatus(object);
}

function hasLabel(labels: Obj | undefined, path: FieldPath, key: string, expected: string): FieldError[] {
  const p = path.child('labels').key(key).toString();
  if (!labels || !(key in labels)) return [FieldError.required(p, expected)];
  if (labels[key] !== expected) return [invalidGo(p, labels, goStringMap(labels as Record<string, string>), `must be '${expected}'`)];
  return [];
}

/** The generated labels and selector must carry this Job's uid and name. */
function validateGeneratedSelector(object: Obj): FieldError[] {
  const s = readSpec(object);
  if (s.manualSelector === true) return [];
  const labels: Obj | undefined = isObj(s.template?.metadata?.labels) ? s.template.metadata.labels : undefined;
  if (!labels) return [];
  const uid = object.metadata?.uid ?? '';
  const name = object.metadata?.name ?? '';
  const meta = FieldPath.of('spec', 'template', 'metadata');
  const errs = [
    ...hasLabel(labels, meta, CONTROLLER_UID_LABEL, uid),
    ...hasLabel(labels, meta, JOB_NAME_LABEL, name),
    ...hasLabel(labels, meta, LEGACY_CONTROLLER_UID_LABEL, uid),
    ...hasLabel(labels, meta, LEGACY_JOB_NAME_LABEL, name),
  ];
  if (isObj(s.selector)) errs.push(...hasLabel(isObj(s.selector.matchLabels) ? s.selector.matchLabels : {}, FieldPath.of('spec', 'selector'), CONTROLLER_UID_LABEL, uid));
  return errs;
}

/** Kubernetes' validateJobSpec: what Jobs and CronJob job templates share. */
export function validateJobSpecCommon(s: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    if (typeof s[f] === 'number') errs.push(...validateNonnegativeField(s[f], path.child(f)));
  }
  if (s.completionMode !== undefined && s.completionMode !== null) {
    if (s.completionMode !== 'NonIndexed' && s.completionMode !== 'Indexed') errs.push(FieldError.notSupported(path.child('completionMode').toString(), s.completionMode, ['NonIndexed', 'Indexed']));
    if (s.completionMode === 'Indexed') {
      if (typeof s.completions !== 'number') errs.push(FieldError.required(path.child('completions').toString(), 'when completion mode is Indexed'));
      if (typeof s.parallelism === 'number' && s.parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
        errs.push(FieldError.invalid(path.child('parallelism').toString(), s.parallelism, `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`));
      }
    }
  }
  const template: Obj = isObj(s.template) ? s.template : {};
  errs.push(...validatePodTemplateSpec(template, path.child('template')));
  const restart = isObj(template.spec) ? template.spec.restartPolicy : undefined;
  const restartPath = path.child('template', 'spec', 'restartPolicy').toString();
  // An unset restartPolicy has been defaulted to Always by now, hence Required for both.
  if (restart === 'Always' || !restart) errs.push(FieldError.required(restartPath, 'valid values: "OnFailure", "Never"'));
  else if (restart !== 'OnFailure' && restart !== 'Never') errs.push(FieldError.notSupported(restartPath, restart, ['OnFailure', 'Never']));
  if (s.podReplacementPolicy !== undefined && s.podReplacementPolicy !== null) {
    const p = path.child('podReplacementPolicy').toString();
    if (isObj(s.podFailurePolicy)) {
      if (s.podReplacementPolicy !== 'Failed') errs.push(FieldError.notSupported(p, s.podReplacementPolicy, ['Failed']));
    } else if (s.podReplacementPolicy !== 'Failed' && s.podReplacementPolicy !== 'TerminatingOrFailed') {
      errs.push(FieldError.notSupported(p, s.podReplacementPolicy, ['Failed', 'TerminatingOrFailed']));
    }
  }
  return errs;
}

function validate(object: Obj): FieldError[] {
  const s = readSpec(object);
  const path = FieldPath.of('spec');
  const errs = validateGeneratedSelector(object);
  errs.push(...validateJobSpecCommon(s, path));
  if (!isObj(s.selector)) errs.push(FieldError.required(path.child('selector').toString()));
  else errs.push(...validateLabelSelector(s.selector as LabelSelector, path.child('selector')));
  if (selectorConverts(s.selector)) {
    const labels = isObj(s.template?.metadata?.labels) ? (s.template.metadata.labels as Record<string, string>) : undefined;
    if (!selectorMatches(isObj(s.selector) ? (s.selector as LabelSelector) : null, labels)) {
      errs.push(invalidGo(path.child('template', 'metadata', 'labels'), labels ?? null, goStringMap(labels), '`selector` does not match template `labels`'));
    }
  }
  if (s.completionMode === 'Indexed' && typeof s.completions === 'number' && s.completions > 0) {
    // Pod hostnames are `<job>-<index>`: the largest must still be a DNS label.
    const hostname = `${object.metadata?.name ?? ''}-${s.completions - 1}`;
    if (isDNS1123Label(hostname).length > 0) {
      errs.push(FieldError.invalid('metadata.name', object.metadata?.name ?? '', `will not able to create pod with invalid DNS label: ${hostname}`));
    }
  }
  return errs;
}

/** Pod scheduling directives may change while a suspended Job has never started. */
function mutableSchedulingDirectives(old: Obj): boolean {
  return readSpec(old).suspend === true && !(isObj(old.status) && old.status.startTime);
}

function validateUpdate(object: Obj, old: Obj): FieldError[] {
  const next = readSpec(object);
  const prev = readSpec(old);
  const path = FieldPath.of('spec');
  const errs: FieldError[] = [];
  const elastic = next.completionMode === 'Indexed' && prev.completionMode === 'Indexed';
  if (elastic) {
    if (typeof next.completions === 'number' && typeof next.parallelism === 'number' && next.completions !== next.parallelism && next.completions !== prev.completions) {
      errs.push(FieldError.invalid(path.child('completions').toString(), next.completions, 'can only be modified in tandem with spec.parallelism'));
    }
  } else {
    errs.push(...validateImmutableField(next.completions ?? null, prev.completions ?? null, path.child('completions')));
  }
  errs.push(...validateImmutableField(next.podFailurePolicy ?? null, prev.podFailurePolicy ?? null, path.child('podFailurePolicy')));
  errs.push(...validateImmutableField(next.backoffLimitPerIndex ?? null, prev.backoffLimitPerIndex ?? null, path.child('backoffLimitPerIndex')));
  errs.push(...validateImmutableField(next.managedBy ?? null, prev.managedBy ?? null, path.child('managedBy')));
  errs.push(...validateImmutableField(next.successPolicy ?? null, prev.successPolicy ?? null, path.child('successPolicy')));
  errs.push(...validateImmutableField(next.selector ?? null, prev.selector ?? null, path.child('selector')));
  let oldTemplate: Obj = isObj(prev.template) ? JSON.parse(JSON.stringify(prev.template)) : {};
  if (mutableSchedulingDirectives(old)) {
    const nt: Obj = isObj(next.template) ? next.template : {};
    oldTemplate = { ...oldTemplate, metadata: { ...(oldTemplate.metadata ?? {}), labels: nt.metadata?.labels, annotations: nt.metadata?.annotations } };
    const spec: Obj = { ...(oldTemplate.spec ?? {}) };
    for (const f of ['nodeSelector', 'tolerations', 'schedulingGates']) spec[f] = nt.spec?.[f];
    if (isObj(nt.spec?.affinity) || isObj(spec.affinity)) spec.affinity = { ...(spec.affinity ?? {}), nodeAffinity: nt.spec?.affinity?.nodeAffinity };
    oldTemplate.spec = spec;
  }
  errs.push(...validateImmutableField(next.template ?? null, oldTemplate, path.child('template')));
  errs.push(...validateImmutableField(next.completionMode ?? null, prev.completionMode ?? null, path.child('completionMode')));
  errs.push(...validateImmutableField(next.podReplacementPolicy ?? null, prev.podReplacementPolicy ?? null, path.child('podReplacementPolicy')));
  return errs;
}

function hasCondition(job: Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Kubernetes' printJob cells (STATUS, COMPLETIONS, DURATION, AGE, then the wide ones). */
export function jobRow(job: Job, now: Date): unknown[] {
  const succeeded = job.status?.succeeded ?? 0;
  let completions: string;
  if (typeof job.spec?.completions === 'number') completions = `${succeeded}/${job.spec.completions}`;
  else completions = (job.spec?.parallelism ?? 0) > 1 ? `${succeeded}/1 of ${job.spec!.parallelism}` : `${succeeded}/1`;
  let duration = '';
  const start = job.status?.startTime;
  if (start) duration = humanDuration((job.status?.completionTime ? Date.parse(job.status.completionTime) : now.getTime()) - Date.parse(start));
  let status = 'Running';
  if (hasCondition(job, 'Complete')) status = 'Complete';
  else if (hasCondition(job, 'Failed')) status = 'Failed';
  else if (job.metadata?.deletionTimestamp) status = 'Terminating';
  else if (hasCondition(job, 'Suspended')) status = 'Suspended';
  else if (hasCondition(job, 'FailureTarget')) status = 'FailureTarget';
  else if (hasCondition(job, 'SuccessCriteriaMet')) status = 'SuccessCriteriaMet';
  const [names, images] = containerCells(job.spec?.template?.spec?.containers);
  return [status, completions, duration, age(job.metadata?.creationTimestamp, now), names, images, formatLabelSelector(job.spec?.selector)];
}

export const jobStrategy: ResourceStrategy = {
  defaults,
  prepareForCreate,
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate,
  validateUpdate,
  selectableFields: (object) => ({ 'status.successful': String(view<Job>(object).status?.succeeded ?? 0) }),
  table: {
    columns: [
      column('Status', 'string', 'Status of the job.'),
      column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
      column('Duration', 'string', 'Time required to complete the job.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      column('Selector', 'string', 'A label query over pods that should match the pod count.', true),
    ],
    cells: (object, now) => jobRow(view<Job>(object), now),
  },
};

export const jobs: ResourceDefinition = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  singular: 'job',
  namespaced: true,
  categories: ['all'],
  subresources: [statusSubresource('Job')],
  hasStatus: true,
  strategy: jobStrategy,
};
