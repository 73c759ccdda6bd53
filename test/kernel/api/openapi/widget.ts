/** A kind kubectl has no Go type for, with a list that strategic merge patch merges by name. */
import type { SchemaDefinitions } from '../../../../kernel/api/openapi/types';

export const WIDGET_SCHEMAS: SchemaDefinitions = {
  'com.example.v1alpha1.Widget': {
    type: 'object',
    description: 'A widget made of parts.',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      spec: {
        type: 'object',
        properties: {
          parts: {
            type: 'array',
            items: { type: 'object', properties: { name: { type: 'string' }, size: { type: 'integer', format: 'int32' } }, required: ['name'] },
            'x-kubernetes-patch-merge-key': 'name',
            'x-kubernetes-patch-strategy': 'merge',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
          },
        },
      },
    },
    'x-kubernetes-group-version-kind': [{ group: 'example.com', kind: 'Widget', version: 'v1alpha1' }],
  },
};
