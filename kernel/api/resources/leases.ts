/**
 * coordination.k8s.io/v1 Lease: node heartbeats and leader election. A
 * duration, when given, is positive; transitions never go negative. The table
 * shows the holder.
 */
import type { Lease } from 'kubernetes-types/coordination/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { AGE_COLUMN, age, column } from './printing';
import { readSpec, view } from './shared';

export const leaseStrategy: ResourceStrategy = {
  validate: (object) => {
    const s = readSpec(object);
    const errs: FieldError[] = [];
    if (typeof s.leaseDurationSeconds === 'number' && s.leaseDurationSeconds <= 0) errs.push(FieldError.invalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
    if (typeof s.leaseTransitions === 'number' && s.leaseTransitions < 0) errs.push(FieldError.invalid('spec.leaseTransitions', s.leaseTransitions, 'must be greater than or equal to 0'));
    return errs;
  },
  table: {
    columns: [column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), AGE_COLUMN],
    cells: (object, now) => {
      const lease = view<Lease>(object);
      return [lease.spec?.holderIdentity ?? '', age(lease.metadata?.creationTimestamp, now)];
    },
  },
};

export const leases: ResourceDefinition = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  strategy: leaseStrategy,
};
