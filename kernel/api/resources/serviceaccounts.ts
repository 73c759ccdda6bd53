/**
 * core/v1 ServiceAccount: nothing to default or check beyond metadata; the
 * table counts referenced secrets, and `/token` issues TokenRequests.
 */
import type { ServiceAccount } from 'kubernetes-types/core/v1';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { AGE_COLUMN, age, column } from './printing';
import { view } from './shared';

export const serviceAccountStrategy: ResourceStrategy = {
  table: {
    columns: [column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE_COLUMN],
    cells: (object, now) => {
      const sa = view<ServiceAccount>(object);
      return [(sa.secrets ?? []).length, age(sa.metadata?.creationTimestamp, now)];
    },
  },
};

export const serviceAccounts: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  subresources: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  strategy: serviceAccountStrategy,
};
