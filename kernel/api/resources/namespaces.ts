/**
 * core/v1 Namespace: the `kubernetes.io/metadata.name` label Kubernetes
 * always sets, the `kubernetes` finalizer added on create (not as a default:
 * it may be removed later through /finalize), an Active status, and spec
 * finalizers that main-resource updates cannot touch.
 */
import type { Namespace } from 'kubernetes-types/core/v1';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, nameIsDNSLabel, validateFinalizers } from '../validation';
import { AGE_COLUMN, age, column } from './printing';
import { child, defaultString, isObj, keepStatus, readSpec, spec, statusSubresource, view, type Obj } from './shared';

function defaults(object: Obj): void {
  const name = object.metadata?.name;
  // Nameless (generateName) namespaces get the label once they have a name.
  if (name) child(child(object, 'metadata'), 'labels')['kubernetes.io/metadata.name'] = name;
  defaultString(child(object, 'status'), 'phase', 'Active');
}

export const namespaceStrategy: ResourceStrategy = {
  defaults,
  prepareForCreate: (object) => {
    object.status = { phase: 'Active' };
    const s = spec(object);
    const finalizers: unknown[] = Array.isArray(s.finalizers) ? s.finalizers : [];
    if (!finalizers.includes('kubernetes')) s.finalizers = [...finalizers, 'kubernetes'];
    defaults(object);
  },
  prepareForUpdate: (object, old) => {
    // Spec finalizers change only through /finalize; status only through /status.
    const s = spec(object);
    const oldFinalizers = readSpec(old).finalizers;
    if (oldFinalizers === undefined) delete s.finalizers;
    else s.finalizers = [...oldFinalizers];
    keepStatus(object, old);
  },
  validate: (object) => {
    // Spec finalizers follow the same naming rule as metadata finalizers.
    const finalizers = readSpec(object).finalizers;
    return Array.isArray(finalizers) ? validateFinalizers(finalizers, FieldPath.of('spec', 'finalizers')) : [];
  },
  validateName: (name) => nameIsDNSLabel(name),
  // `name` is a field selector Kubernetes keeps for backward compatibility.
  selectableFields: (object) => ({ 'status.phase': (isObj(object.status) ? object.status.phase : '') ?? '', name: object.metadata?.name ?? '' }),
  table: {
    columns: [column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
    cells: (object, now) => {
      const ns = view<Namespace>(object);
      return [ns.status?.phase ?? '', age(ns.metadata?.creationTimestamp, now)];
    },
  },
};

export const namespaces: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  // Namespaces cannot be deleted as a collection.
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: [{ name: 'finalize', kind: 'Namespace', verbs: ['update'] }, statusSubresource('Namespace')],
  hasStatus: true,
  strategy: namespaceStrategy,
};
