import { ApiError } from '../../../../kernel/api/errors';
import type { KubeObject, ManagedFieldsEntry } from '../../../../kernel/api/types';
import {
  decodeManagedFields,
  fieldManagerFor,
  managerFromUserAgent,
  updateManagedFields,
  UpdateManagedFieldsRequest,
  validatePatchOptions,
} from '../../../../kernel/api/patch/managed-fields';
import { fieldPath } from '../../../../kernel/api/patch/field-set';
import { deployment, deploymentSchema } from './fixtures';
import { apiErrorOf as catchError } from '../../../support/errors';

type Obj = Record<string, any>;

const T0 = new Date('2024-05-01T10:00:00.123Z');
const T1 = new Date('2024-05-01T10:05:00Z');
const T2 = new Date('2024-05-01T10:10:00Z');

function write(old: KubeObject | undefined, next: KubeObject, manager: string, extra: Partial<UpdateManagedFieldsRequest> = {}): KubeObject {
  return updateManagedFields({ old, new: next, manager, now: T0, ...deploymentSchema, ...extra });
}

function entries(object: KubeObject): ManagedFieldsEntry[] {
  return object.metadata?.managedFields ?? [];
}

function owns(object: KubeObject, manager: string, path: string[]): boolean {
  const entry = entries(object).find((e) => e.manager === manager);
  return !!entry && decodeManagedFields([entry]).values().next().value!.set.has(fieldPath(...path));
}

function fieldsOf(object: KubeObject, manager: string): string {
  const entry = entries(object).find((e) => e.manager === manager);
  return entry ? JSON.stringify(entry.fieldsV1) : '(none)';
}

/** What kubectl (client-side apply) creates: defaults already applied by the server. */
function created(): KubeObject {
  return deployment([{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }] }], {
    metadata: { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' } },
    spec: { replicas: 1 },
  }) as KubeObject;
}

describe('updateManagedFields', () => {
  it('records a create as the fields Kubernetes records for it', () => {
    const result = write(undefined, created(), 'kubectl-client-side-apply');
    expect(entries(result)).toEqual([
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: '2024-05-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: expect.anything(),
      },
    ]);
    // No "." for structs Go always has (spec, template, containers' parent), "." for maps and
    // items that appeared, f:resources for the container's always-present struct,
    // nothing for name, namespace, apiVersion and kind.
    expect(fieldsOf(result, 'kubectl-client-side-apply')).toBe(
      '{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},' +
        '"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},' +
        '"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},' +
        '"f:ports":{".":{},"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}},"f:resources":{}}}}}}}',
    );
    expect(result.metadata?.name).toBe('web');
  });

  it('does not track status on the main resource', () => {
    const next = { ...created(), status: { replicas: 3 } };
    expect(fieldsOf(write(undefined, next, 'm'), 'm')).not.toContain('f:status');
  });

  it('moves changed fields to the writer and leaves the rest with their owner', () => {
    const live = write(undefined, created(), 'kubectl-client-side-apply');
    const next = structuredClone(live) as Obj;
    next.spec.template.spec.containers[0].image = 'nginx:2';
    next.spec.replicas = 5;
    const result = write(live, next as KubeObject, 'kubectl-edit', { now: T1 });
    expect(fieldsOf(result, 'kubectl-edit')).toBe('{"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{"f:image":{}}}}}}}');
    const before = fieldsOf(live, 'kubectl-client-side-apply');
    const after = fieldsOf(result, 'kubectl-client-side-apply');
    expect(before).toContain('"f:replicas":{}');
    expect(after).not.toContain('"f:replicas":{}');
    expect(after).not.toContain('"f:image":{}');
    expect(after).toContain('"f:name":{}');
    expect(entries(result).map((e) => [e.manager, e.time])).toEqual([
      ['kubectl-client-side-apply', '2024-05-01T10:00:00Z'],
      ['kubectl-edit', '2024-05-01T10:05:00Z'],
    ]);
  });

  it('leaves managedFields alone when a write changes nothing', () => {
    const live = write(undefined, created(), 'a');
    const result = write(live, structuredClone(live), 'b', { now: T1 });
    expect(entries(result)).toEqual(entries(live));
  });

  it('drops a manager whose fields were all taken', () => {
    const live = write(undefined, created(), 'creator');
    const step = structuredClone(live) as Obj;
    step.spec.minReadySeconds = 3;
    const withScaler = write(live, step as KubeObject, 'scaler', { now: T1 });
    const next = structuredClone(withScaler) as Obj;
    next.spec.minReadySeconds = 4;
    const result = write(withScaler, next as KubeObject, 'other', { now: T2 });
    expect(entries(result).map((e) => e.manager)).toEqual(['creator', 'other']);
  });

  it('takes a removed field from its owner', () => {
    const live = write(undefined, created(), 'creator');
    const next = structuredClone(live) as Obj;
    delete next.metadata.labels;
    const result = write(live, next as KubeObject, 'editor', { now: T1 });
    expect(owns(live, 'creator', ['metadata', 'labels', 'app'])).toBe(true);
    expect(owns(result, 'creator', ['metadata', 'labels', 'app'])).toBe(false);
    expect(owns(result, 'creator', ['spec', 'template', 'metadata', 'labels', 'app'])).toBe(true);
    expect(entries(result).map((e) => e.manager)).toEqual(['creator']);
  });

  it('merges repeated writes of one manager into one entry and refreshes its time', () => {
    const live = write(undefined, created(), 'a');
    const first = structuredClone(live) as Obj;
    first.spec.replicas = 2;
    const afterFirst = write(live, first as KubeObject, 'b', { now: T1 });
    const second = structuredClone(afterFirst) as Obj;
    second.spec.minReadySeconds = 7;
    const result = write(afterFirst, second as KubeObject, 'b', { now: T2 });
    const b = entries(result).filter((e) => e.manager === 'b');
    expect(b).toHaveLength(1);
    expect(b[0].time).toBe('2024-05-01T10:10:00Z');
    expect(JSON.stringify(b[0].fieldsV1)).toBe('{"f:spec":{"f:minReadySeconds":{},"f:replicas":{}}}');
  });

  it('keeps separate entries per apiVersion and per subresource', () => {
    const live = write(undefined, created(), 'x');
    const next = structuredClone(live) as Obj;
    next.spec.replicas = 9;
    const viaOtherVersion = write(live, next as KubeObject, 'x', { apiVersion: 'apps/v1beta2', now: T1 });
    expect(entries(viaOtherVersion).map((e) => [e.manager, e.apiVersion])).toEqual([
      ['x', 'apps/v1'],
      ['x', 'apps/v1beta2'],
    ]);
    const status = structuredClone(viaOtherVersion) as Obj;
    status.status = { replicas: 9, readyReplicas: 9 };
    status.spec.replicas = 1; // ignored: the status subresource resets spec
    const result = write(viaOtherVersion, status as KubeObject, 'x', { subresource: 'status', now: T2 });
    const statusEntry = entries(result).find((e) => e.subresource === 'status');
    expect(statusEntry).toEqual({
      manager: 'x',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2024-05-01T10:10:00Z',
      fieldsType: 'FieldsV1',
      // status is a struct Go always has: no "." for it, as in Kubernetes.
      fieldsV1: { 'f:status': { 'f:readyReplicas': {}, 'f:replicas': {} } },
      subresource: 'status',
    });
  });

  describe('managedFields sent by the client', () => {
    const live = () => write(undefined, created(), 'creator');

    it.each([
      ['an empty list', []],
      ['a single empty entry', [{}]],
    ])('clears them when the client sends %s', (_name, sent) => {
      const next = structuredClone(live()) as Obj;
      next.metadata.managedFields = sent;
      const result = write(live(), next as KubeObject, 'cleaner', { now: T1 });
      expect(result.metadata).not.toHaveProperty('managedFields');
    });

    it('records the write itself after clearing', () => {
      const next = structuredClone(live()) as Obj;
      next.metadata.managedFields = [];
      next.spec.replicas = 4;
      const result = write(live(), next as KubeObject, 'cleaner', { now: T1 });
      expect(entries(result).map((e) => e.manager)).toEqual(['cleaner']);
    });

    it('uses a valid list the client sends instead of the stored one', () => {
      const sent: ManagedFieldsEntry[] = [{ manager: 'imported', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
      const next = structuredClone(live()) as Obj;
      next.metadata.managedFields = sent;
      expect(entries(write(live(), next as KubeObject, 'x', { now: T1 }))).toEqual(sent);
    });

    it.each([
      ['an unknown operation', [{ manager: 'm', operation: 'Patch', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: {} }]],
      ['a missing fieldsType', [{ manager: 'm', operation: 'Update', apiVersion: 'apps/v1', fieldsV1: {} }]],
      ['undecodable fields', [{ manager: 'm', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'q:x': {} } }]],
    ])('keeps the stored ones when the client sends %s', (_name, sent) => {
      const next = structuredClone(live()) as Obj;
      next.metadata.managedFields = sent;
      expect(entries(write(live(), next as KubeObject, 'x', { now: T1 }))).toEqual(entries(live()));
    });

    it('keeps the stored ones for writes through a subresource', () => {
      const next = structuredClone(live()) as Obj;
      next.metadata.managedFields = [];
      expect(entries(write(live(), next as KubeObject, 'x', { subresource: 'status', now: T1 }))).toEqual(entries(live()));
    });

    it('accepts managedFields on create', () => {
      const sent: ManagedFieldsEntry[] = [{ manager: 'restored', operation: 'Update', apiVersion: 'apps/v1', time: '2020-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:paused': {} } } }];
      const next = { ...created(), metadata: { ...created().metadata, managedFields: sent } } as KubeObject;
      const result = write(undefined, next, 'creator');
      expect(entries(result).map((e) => e.manager)).toEqual(['restored', 'creator']);
    });
  });

  it('merges the oldest of more than ten update managers into ancient-changes', () => {
    let live = write(undefined, created(), 'm0');
    for (let i = 1; i <= 11; i++) {
      const next = structuredClone(live) as Obj;
      next.metadata.labels[`l${i}`] = 'x';
      live = write(live, next as KubeObject, `m${i}`, { now: new Date(T0.getTime() + i * 60_000) });
    }
    const managers = entries(live).map((e) => e.manager);
    expect(managers).toHaveLength(10);
    expect(managers).toContain('ancient-changes');
    expect(managers).not.toContain('m0');
    expect(managers).not.toContain('m1');
    expect(managers).toContain('m11');
    const ancient = entries(live).find((e) => e.manager === 'ancient-changes')!;
    expect(JSON.stringify(ancient.fieldsV1)).toContain('"f:l1":{}');
    expect(JSON.stringify(ancient.fieldsV1)).toContain('"f:replicas":{}');
  });

  it('orders entries Apply first, then by time, then by manager', () => {
    const sent: ManagedFieldsEntry[] = [
      { manager: 'z', operation: 'Update', apiVersion: 'apps/v1', time: '2020-01-01T00:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:paused': {} } } },
      { manager: 'b', operation: 'Update', apiVersion: 'apps/v1', time: '2020-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:minReadySeconds': {} } } },
      { manager: 'a', operation: 'Update', apiVersion: 'apps/v1', time: '2020-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      { manager: 'y', operation: 'Apply', apiVersion: 'apps/v1', time: '2021-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:selector': {} } } },
    ];
    const next = { ...created(), metadata: { ...created().metadata, managedFields: sent } } as KubeObject;
    const old = { ...created() } as KubeObject;
    expect(entries(write(old, next, 'nobody')).map((e) => e.manager)).toEqual(['y', 'a', 'b', 'z']);
  });
});

describe('decodeManagedFields', () => {
  it.each([
    [{ manager: 'm', operation: 'Patch', apiVersion: 'v1', fieldsType: 'FieldsV1' }, 'operation must be `Apply` or `Update`'],
    [{ manager: 'm', operation: 'Update', fieldsType: 'FieldsV1' }, 'apiVersion must not be empty'],
    [{ manager: 'm', operation: 'Update', apiVersion: 'v1' }, 'missing fieldsType in managed fields entry 0'],
    [{ manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV2' }, 'invalid fieldsType "FieldsV2" in managed fields entry 0'],
  ])('rejects %j', (entry, message) => {
    expect(() => decodeManagedFields([entry])).toThrow(message);
  });

  it('identifies appliers without their apiVersion and updaters with it', () => {
    const sets = decodeManagedFields([
      { manager: 'm', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: {} },
      { manager: 'm', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: {}, subresource: 'status' },
    ]);
    expect([...sets.keys()]).toEqual(['{"manager":"m","operation":"Apply"}', '{"manager":"m","operation":"Update","apiVersion":"apps/v1","subresource":"status"}']);
  });
});

describe('manager names', () => {
  it.each([
    ['kubectl/v1.32.0 (linux/amd64) kubernetes/abc1234', 'kubectl'],
    ['kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/39683505/system:serviceaccount:kube-system:deployment-controller', 'kube-controller-manager'],
    ['node-fetch', 'node-fetch'],
    ['my agent\u0007/1.0', 'my agent'],
    ['', ''],
    ['x'.repeat(200) + '/1', 'x'.repeat(128)],
  ])('derives the manager of User-Agent %j', (agent, manager) => {
    expect(managerFromUserAgent(agent)).toBe(manager);
  });

  it('prefers fieldManager to the User-Agent', () => {
    expect(fieldManagerFor('kubectl-edit', 'kubectl/v1.31.0')).toBe('kubectl-edit');
    expect(fieldManagerFor(undefined, 'kubectl/v1.31.0')).toBe('kubectl');
  });
});

describe('validatePatchOptions', () => {
  it('requires a field manager for apply, as a 422 on PatchOptions', () => {
    const err = catchError(() => validatePatchOptions({ patchType: 'apply' }));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    expect(err.toStatus().details).toEqual({
      group: 'meta.k8s.io',
      kind: 'PatchOptions',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
    });
  });

  it('forbids force on other patches', () => {
    expect(catchError(() => validatePatchOptions({ patchType: 'merge', force: false })).message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
  });

  it('rejects a field manager that is too long or unprintable', () => {
    const err = catchError(() => validatePatchOptions({ patchType: 'apply', fieldManager: 'a'.repeat(129) }));
    expect(err.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes');
    expect(catchError(() => validatePatchOptions({ patchType: 'json', fieldManager: 'a\nb' })).message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\nb": invalid character U+000A (at position 1)',
    );
  });

  it('accepts valid options', () => {
    expect(() => validatePatchOptions({ patchType: 'apply', fieldManager: 'kubectl', force: true })).not.toThrow();
    expect(() => validatePatchOptions({ patchType: 'strategic' })).not.toThrow();
  });
});

