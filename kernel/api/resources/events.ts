/**
 * core/v1 Event, and the printing and checks it shares with
 * events.k8s.io/v1 Event (the same object in Kubernetes, with renamed
 * fields). Core events keep Kubernetes' lenient legacy validation: old
 * clients post events with few fields set and arbitrary names.
 */
import type { Event as CoreEvent } from 'kubernetes-types/core/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy, TableColumn } from '../resource';
import type { StoredObject } from '../types';
import { isDNS1123Subdomain, nameIsPathSegment, validateQualifiedName } from '../validation';
import { NAME_DESCRIPTION, age, column } from './printing';
import { isObj, view, type Obj } from './shared';

/** An Event in Kubernetes' internal shape, whichever API version it came through. */
export interface EventFields {
  name: string;
  namespace: string;
  involvedObject: Obj;
  reason: string;
  message: string;
  type: string;
  action: string;
  source: Obj;
  reportingController: string;
  reportingInstance: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count: number;
  series?: Obj;
}

export function coreEventFields(object: Obj): EventFields {
  return {
    name: object.metadata?.name ?? '',
    namespace: object.metadata?.namespace ?? '',
    involvedObject: isObj(object.involvedObject) ? object.involvedObject : {},
    reason: object.reason ?? '',
    message: object.message ?? '',
    type: object.type ?? '',
    action: object.action ?? '',
    source: isObj(object.source) ? object.source : {},
    reportingController: object.reportingComponent ?? '',
    reportingInstance: object.reportingInstance ?? '',
    firstTimestamp: object.firstTimestamp ?? undefined,
    lastTimestamp: object.lastTimestamp ?? undefined,
    eventTime: object.eventTime ?? undefined,
    count: typeof object.count === 'number' ? object.count : 0,
    series: isObj(object.series) ? object.series : undefined,
  };
}

const REASON_LIMIT = 128;
const ACTION_LIMIT = 128;
const REPORTING_INSTANCE_LIMIT = 128;
const NOTE_LIMIT = 1024;

/**
 * Kubernetes' legacyValidateEvent, run for every event whatever its version.
 * `reportingField` is the name the request's version gives the reporting
 * controller (`reportingComponent` in core/v1, `reportingController` otherwise).
 */
export function legacyValidateEvent(e: EventFields, reportingField: string): FieldError[] {
  const errs: FieldError[] = [];
  const involvedNamespace = e.involvedObject.namespace ?? '';
  if (!e.eventTime) {
    if (!involvedNamespace) {
      if (e.namespace !== '' && e.namespace !== 'default') errs.push(FieldError.invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'));
    } else if (e.namespace !== involvedNamespace) {
      errs.push(FieldError.invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'));
    }
  } else {
    if (!involvedNamespace && e.namespace !== 'default' && e.namespace !== 'kube-system') {
      errs.push(FieldError.invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'));
    }
    if (!e.reportingController) errs.push(FieldError.required(reportingField));
    errs.push(...validateQualifiedName(e.reportingController, reportingField));
    if (!e.reportingInstance) errs.push(FieldError.required('reportingInstance'));
    if (e.reportingInstance.length > REPORTING_INSTANCE_LIMIT) errs.push(FieldError.invalid('reportingInstance', '', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    if (!e.action) errs.push(FieldError.required('action'));
    if (e.action.length > ACTION_LIMIT) errs.push(FieldError.invalid('action', '', `can have at most ${ACTION_LIMIT} characters`));
    if (!e.reason) errs.push(FieldError.required('reason'));
    if (e.reason.length > REASON_LIMIT) errs.push(FieldError.invalid('reason', '', `can have at most ${REASON_LIMIT} characters`));
    if (e.message.length > NOTE_LIMIT) errs.push(FieldError.invalid('message', '', `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const m of isDNS1123Subdomain(e.namespace)) errs.push(FieldError.invalid('namespace', e.namespace, m));
  return errs;
}

// ---------------------------------------------------------------- printing

/** Kubernetes' Event table: no leading NAME; NAME is the last wide column. */
export const EVENT_COLUMNS: TableColumn[] = [
  column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
  column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
  column('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
  column('Object', 'string', 'The object that this event is about.'),
  column('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', true),
  column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', true),
  column('Message', 'string', 'A human-readable description of the status of this operation.'),
  column('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', true),
  column('Count', 'string', 'The number of times this event has occurred.', true),
  { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 1 },
];

/** Kubernetes' printEvent over an event in internal shape. */
export function eventRow(e: EventFields, now: Date): unknown[] {
  const first = e.firstTimestamp ? age(e.firstTimestamp, now) : age(e.eventTime, now);
  let last = e.lastTimestamp ? age(e.lastTimestamp, now) : first;
  let count = e.count;
  if (e.series) {
    last = age(e.series.lastObservedTime, now);
    count = typeof e.series.count === 'number' ? e.series.count : 0;
  } else if (count === 0) {
    // Singleton events from the new API carry no count.
    count = 1;
  }
  const kind = String(e.involvedObject.kind ?? '').toLowerCase();
  const target = e.involvedObject.name ? `${kind}/${e.involvedObject.name}` : kind;
  const component = e.source.component || e.reportingController;
  const host = e.source.host || e.reportingInstance;
  const source = host ? `${component}, ${host}` : component;
  return [last, e.type, e.reason, target, e.involvedObject.fieldPath ?? '', source, e.message.trim(), first, count, e.name];
}

function selectableFields(object: StoredObject): Record<string, string> {
  const e = coreEventFields(object);
  const io = e.involvedObject;
  return {
    'involvedObject.kind': io.kind ?? '',
    'involvedObject.namespace': io.namespace ?? '',
    'involvedObject.name': io.name ?? '',
    'involvedObject.uid': io.uid ?? '',
    'involvedObject.apiVersion': io.apiVersion ?? '',
    'involvedObject.resourceVersion': io.resourceVersion ?? '',
    'involvedObject.fieldPath': io.fieldPath ?? '',
    reason: e.reason,
    reportingComponent: e.reportingController,
    source: e.source.component || e.reportingController,
    type: e.type,
  };
}

export const coreEventStrategy: ResourceStrategy = {
  validate: (object) => legacyValidateEvent(coreEventFields(object), 'reportingComponent'),
  // core/v1 events are validated leniently on update too: only the legacy checks.
  validateUpdate: () => [],
  // Kubernetes does not check core/v1 event names beyond what a URL needs.
  validateName: (name) => nameIsPathSegment(name),
  selectableFields,
  table: {
    columns: EVENT_COLUMNS,
    ownsNameColumn: true,
    cells: (object, now) => eventRow(coreEventFields(view<CoreEvent>(object) as unknown as Obj), now),
  },
};

export const coreEvents: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  strategy: coreEventStrategy,
};
