/**
 * batch/v1 CronJob: defaults (Allow, not suspended, history 3 successful and
 * 1 failed), schedules and time zones checked with the cron parser's own
 * errors, a job template whose selector is always generated, names short
 * enough for the Jobs they spawn, and the SCHEDULE/TIMEZONE/SUSPEND table.
 */
import type { CronJob } from 'kubernetes-types/batch/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, goLabelSelector, invalidGo, validateNonnegativeField } from '../validation';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { cronScheduleProblem, timeZoneProblem } from './cron';
import { validateJobSpecCommon } from './jobs';
import { defaultPodTemplateSpec } from './podspec';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, age, boolCell, column, containerCells, formatLabelSelector } from './printing';
import { child, defaultPointer, defaultString, isObj, keepStatus, readSpec, resetStatus, spec, statusSubresource, view, type Obj } from './shared';

/** Jobs are named `<cronjob>-<11-character timestamp>` and must stay within 63 characters. */
const MAX_NAME_LENGTH = 52;

function defaults(object: Obj): void {
  const s = spec(object);
  defaultString(s, 'concurrencyPolicy', 'Allow');
  defaultPointer(s, 'suspend', false);
  defaultPointer(s, 'successfulJobsHistoryLimit', 3);
  defaultPointer(s, 'failedJobsHistoryLimit', 1);
  // The job template gets pod defaults only: Job defaults apply to Jobs when they are created.
  defaultPodTemplateSpec(child(child(child(s, 'jobTemplate'), 'spec'), 'template'));
}

function validateSchedule(s: Obj, allowTZInSchedule: boolean, path: FieldPath): FieldError[] {
  const schedule = s.schedule ?? '';
  if (!schedule) return [FieldError.required(path.toString())];
  const errs: FieldError[] = [];
  const problem = cronScheduleProblem(schedule);
  if (problem) errs.push(FieldError.invalid(path.toString(), schedule, problem));
  const hasTZ = schedule.includes('TZ');
  if (allowTZInSchedule && hasTZ && s.timeZone !== undefined && s.timeZone !== null) {
    errs.push(FieldError.invalid(path.toString(), schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  } else if (!allowTZInSchedule && hasTZ) {
    errs.push(FieldError.invalid(path.toString(), schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  return errs;
}

/**
 * Kubernetes' validateCronJobSpec. `old` is the stored spec on updates, where
 * a schedule that already used TZ stays allowed and an unchanged time zone is
 * not re-checked.
 */
function validateSpec(s: Obj, old: Obj | undefined): FieldError[] {
  const path = FieldPath.of('spec');
  const errs = validateSchedule(s, old ? String(old.schedule ?? '').includes('TZ') : false, path.child('schedule'));
  if (typeof s.startingDeadlineSeconds === 'number') errs.push(...validateNonnegativeField(s.startingDeadlineSeconds, path.child('startingDeadlineSeconds')));
  if (s.timeZone !== undefined && s.timeZone !== null && (!old || old.timeZone !== s.timeZone)) {
    const problem = timeZoneProblem(String(s.timeZone));
    if (problem) errs.push(FieldError.invalid(path.child('timeZone').toString(), s.timeZone, problem));
  }
  const policy = s.concurrencyPolicy ?? '';
  if (policy === '') errs.push(FieldError.required(path.child('concurrencyPolicy').toString()));
  else if (!['Allow', 'Forbid', 'Replace'].includes(policy)) errs.push(FieldError.notSupported(path.child('concurrencyPolicy').toString(), policy, ['Allow', 'Forbid', 'Replace']));
  const jobSpec: Obj = isObj(s.jobTemplate?.spec) ? s.jobTemplate.spec : {};
  const jsPath = path.child('jobTemplate', 'spec');
  errs.push(...validateJobSpecCommon(jobSpec, jsPath));
  if (isObj(jobSpec.selector)) errs.push(invalidGo(jsPath.child('selector'), jobSpec.selector, goLabelSelector(jobSpec.selector as LabelSelector), '`selector` will be auto-generated'));
  if (jobSpec.manualSelector === true) errs.push(FieldError.notSupported(jsPath.child('manualSelector').toString(), true, ['nil', 'false']));
  for (const f of ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
    if (typeof s[f] === 'number') errs.push(...validateNonnegativeField(s[f], path.child(f)));
  }
  return errs;
}

/** Whether the server is validating an update: only stored objects carry a resourceVersion at this point. */
function isUpdate(object: Obj): boolean {
  return !!object.metadata?.resourceVersion;
}

export const cronJobStrategy: ResourceStrategy = {
  defaults,
  prepareForCreate: (object) => resetStatus(object),
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate: (object) => {
    // Updates are checked against the stored spec in validateUpdate.
    if (isUpdate(object)) return [];
    const errs = validateSpec(readSpec(object), undefined);
    const name = object.metadata?.name ?? '';
    if (name.length > MAX_NAME_LENGTH) errs.push(FieldError.invalid('metadata.name', name, `must be no more than ${MAX_NAME_LENGTH} characters`));
    return errs;
  },
  // Longer names created before the limit stay updatable, as in Kubernetes.
  validateUpdate: (object, old) => validateSpec(readSpec(object), readSpec(old)),
  table: {
    columns: [
      column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      column('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
      column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.'),
      column('Active', 'integer', 'A list of pointers to currently running jobs.'),
      column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      column('Selector', 'string', 'A label query over pods that should match the pod count.', true),
    ],
    cells: (object, now) => {
      const cj = view<CronJob>(object);
      const jobSpec = cj.spec?.jobTemplate?.spec;
      const [names, images] = containerCells(jobSpec?.template?.spec?.containers);
      return [
        cj.spec?.schedule ?? '',
        cj.spec?.timeZone ?? '<none>',
        boolCell(cj.spec?.suspend),
        (cj.status?.active ?? []).length,
        cj.status?.lastScheduleTime ? age(cj.status.lastScheduleTime, now) : '<none>',
        age(cj.metadata?.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(jobSpec?.selector),
      ];
    },
  },
};

export const cronJobs: ResourceDefinition = {
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  singular: 'cronjob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  subresources: [statusSubresource('CronJob')],
  hasStatus: true,
  strategy: cronJobStrategy,
};
