/**
 * Server-side printing (meta.k8s.io/v1 Table): what `kubectl get` shows. Each
 * resource's strategy supplies its columns; types without a printer get
 * Kubernetes' default table (NAME, CREATED AT).
 */
import type { ServedResource } from './registry';
import type { TableColumn } from './resource';
import type { StoredObject } from './types';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const NAME_COLUMN: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

const DEFAULT_COLUMNS: TableColumn[] = [
  {
    name: 'Created At',
    type: 'date',
    description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
    priority: 0,
  },
];

export function tableColumns(resource: ServedResource): TableColumn[] {
  const table = resource.strategy?.table;
  if (table?.ownsNameColumn) return [...table.columns];
  return [NAME_COLUMN, ...(table?.columns ?? DEFAULT_COLUMNS)];
}

function partialObjectMetadata(object: StoredObject): object {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

export function tableRow(resource: ServedResource, object: StoredObject, include: IncludeObject, now: Date): object {
  const table = resource.strategy?.table;
  const cells = table ? table.cells(object, now) : [object.metadata.creationTimestamp];
  const row: Record<string, unknown> = { cells: table?.ownsNameColumn ? cells : [object.metadata.name, ...cells] };
  if (include === 'Object') row.object = object;
  else if (include === 'Metadata') row.object = partialObjectMetadata(object);
  return row;
}

export function toTable(
  resource: ServedResource,
  objects: StoredObject[],
  listMeta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
  include: IncludeObject,
  now: Date,
  withColumns = true,
): object {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withColumns ? tableColumns(resource) : [],
    rows: objects.map((o) => tableRow(resource, o, include, now)),
  };
}

export function toPartialObjectMetadataList(objects: StoredObject[], listMeta: object): object {
  return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: objects.map(partialObjectMetadata) };
}

export { partialObjectMetadata };
