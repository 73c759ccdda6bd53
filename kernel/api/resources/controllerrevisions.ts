/**
 * apps/v1 ControllerRevision: the snapshots StatefulSet and DaemonSet
 * controllers keep. Data is required and never changes; the table names the
 * owning controller as `kind.group/name`.
 */
import type { ControllerRevision } from 'kubernetes-types/apps/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { validateImmutableField, validateNonnegativeField } from '../validation';
import { AGE_COLUMN, age, column } from './printing';
import { view, type Obj } from './shared';

/** `statefulset.apps/web`: Kubernetes' formatResourceName for a controller reference. */
function controllerName(object: ControllerRevision): string {
  const ref = (object.metadata?.ownerReferences ?? []).find((r) => r.controller);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const kind = group ? `${ref.kind}.${group}` : ref.kind;
  return `${kind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionStrategy: ResourceStrategy = {
  validate: (object: Obj) => {
    const errs: FieldError[] = [];
    if (object.data === undefined || object.data === null) errs.push(FieldError.required('data', 'data is mandatory'));
    errs.push(...validateNonnegativeField(typeof object.revision === 'number' ? object.revision : 0, 'revision'));
    return errs;
  },
  validateUpdate: (object: Obj, old: Obj) => validateImmutableField(object.data, old.data, 'data'),
  table: {
    columns: [column('Controller', 'string', 'Controller of the object'), column('Revision', 'integer', 'Revision indicates the revision of the state represented by Data.'), AGE_COLUMN],
    cells: (object, now) => {
      const cr = view<ControllerRevision>(object);
      return [controllerName(cr), cr.revision ?? 0, age(cr.metadata?.creationTimestamp, now)];
    },
  },
};

export const controllerRevisions: ResourceDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  strategy: controllerRevisionStrategy,
};
