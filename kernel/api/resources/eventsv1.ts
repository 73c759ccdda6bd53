/**
 * events.k8s.io/v1 Event: the same Event as core/v1 under new field names
 * (regarding, note, deprecated*), with Kubernetes' strict validation for
 * events created through this API — reported, as Kubernetes reports them,
 * under the internal (core) field names — and the same table.
 */
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import type { StoredObject } from '../types';
import { validateImmutableField } from '../validation';
import { EVENT_COLUMNS, eventRow, legacyValidateEvent, type EventFields } from './events';
import { isObj, type Obj } from './shared';

export function eventsV1Fields(object: Obj): EventFields {
  return {
    name: object.metadata?.name ?? '',
    namespace: object.metadata?.namespace ?? '',
    involvedObject: isObj(object.regarding) ? object.regarding : {},
    reason: object.reason ?? '',
    message: object.note ?? '',
    type: object.type ?? '',
    action: object.action ?? '',
    source: isObj(object.deprecatedSource) ? object.deprecatedSource : {},
    reportingController: object.reportingController ?? '',
    reportingInstance: object.reportingInstance ?? '',
    firstTimestamp: object.deprecatedFirstTimestamp ?? undefined,
    lastTimestamp: object.deprecatedLastTimestamp ?? undefined,
    eventTime: object.eventTime ?? undefined,
    count: typeof object.deprecatedCount === 'number' ? object.deprecatedCount : 0,
    series: isObj(object.series) ? object.series : undefined,
  };
}

function validateSeries(e: EventFields): FieldError[] {
  if (!e.series) return [];
  const errs: FieldError[] = [];
  if (typeof e.series.count !== 'number' || e.series.count < 2) errs.push(FieldError.invalid('series.count', '', 'should be at least 2'));
  if (!e.series.lastObservedTime) errs.push(FieldError.required('series.lastObservedTime'));
  return errs;
}

function validate(object: Obj): FieldError[] {
  const e = eventsV1Fields(object);
  const errs = legacyValidateEvent(e, 'reportingController');
  errs.push(...validateSeries(e));
  if (!e.eventTime) errs.push(FieldError.required('eventTime'));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(FieldError.invalid('type', '', `has invalid value: ${e.type}`));
  if (e.firstTimestamp) errs.push(FieldError.invalid('firstTimestamp', '', 'needs to be unset'));
  if (e.lastTimestamp) errs.push(FieldError.invalid('lastTimestamp', '', 'needs to be unset'));
  if (e.count !== 0) errs.push(FieldError.invalid('count', '', 'needs to be unset'));
  if (e.source.component || e.source.host) errs.push(FieldError.invalid('source', '', 'needs to be unset'));
  return errs;
}

/** Once recorded, only an event's series (and metadata) may change. */
function validateUpdate(object: Obj, old: Obj): FieldError[] {
  const n = eventsV1Fields(object);
  const o = eventsV1Fields(old);
  return [
    ...validateImmutableField(n.involvedObject, o.involvedObject, 'involvedObject'),
    ...validateImmutableField(n.reason, o.reason, 'reason'),
    ...validateImmutableField(n.message, o.message, 'message'),
    ...validateImmutableField(n.source, o.source, 'source'),
    ...validateImmutableField(n.firstTimestamp ?? null, o.firstTimestamp ?? null, 'firstTimestamp'),
    ...validateImmutableField(n.lastTimestamp ?? null, o.lastTimestamp ?? null, 'lastTimestamp'),
    ...validateImmutableField(n.count, o.count, 'count'),
    ...validateImmutableField(n.type, o.type, 'type'),
    ...validateImmutableField(n.eventTime ?? null, o.eventTime ?? null, 'eventTime'),
    ...validateImmutableField(n.action, o.action, 'action'),
    ...validateImmutableField(object.related ?? null, old.related ?? null, 'related'),
    ...validateImmutableField(n.reportingController, o.reportingController, 'reportingController'),
    ...validateImmutableField(n.reportingInstance, o.reportingInstance, 'reportingInstance'),
  ];
}

function selectableFields(object: StoredObject): Record<string, string> {
  const e = eventsV1Fields(object);
  const r = e.involvedObject;
  return {
    'regarding.kind': r.kind ?? '',
    'regarding.namespace': r.namespace ?? '',
    'regarding.name': r.name ?? '',
    'regarding.uid': r.uid ?? '',
    'regarding.apiVersion': r.apiVersion ?? '',
    'regarding.resourceVersion': r.resourceVersion ?? '',
    'regarding.fieldPath': r.fieldPath ?? '',
    reason: e.reason,
    reportingController: e.reportingController,
    type: e.type,
  };
}

export const eventsV1Strategy: ResourceStrategy = {
  validate,
  validateUpdate,
  selectableFields,
  table: { columns: EVENT_COLUMNS, ownsNameColumn: true, cells: (object, now) => eventRow(eventsV1Fields(object), now) },
};

export const eventsV1: ResourceDefinition = {
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  strategy: eventsV1Strategy,
};
