/**
 * core/v1 ReplicationController through its strategy: Kubernetes'
 * SetDefaults_ReplicationController, ValidateReplicationController's
 * messages, the mutable map selector, and the `kubectl get rc` cells.
 */
import type { KubeObject } from '../../../../kernel/api/types';
import { NOW, create, edit, meta, resource, tryCreate, tryUpdate, update } from './harness';

const rcDef = () => resource('ReplicationController');

function rc(spec: Record<string, unknown>, extraMeta: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ReplicationController', metadata: meta('web', extraMeta), spec };
}

function template(labels: Record<string, string> | undefined, podSpec: Record<string, unknown> = {}): Record<string, unknown> {
  return { metadata: labels ? { labels } : {}, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }], ...podSpec } };
}

test('is served as core/v1 replicationcontrollers (rc) with status and scale subresources', () => {
  const def = rcDef();
  expect(def).toMatchObject({ group: '', version: 'v1', plural: 'replicationcontrollers', singular: 'replicationcontroller', namespaced: true, shortNames: ['rc'], hasStatus: true, generation: true });
  expect(def.subresources?.map((s) => [s.name, s.kind, s.group ?? '', s.version ?? ''])).toEqual([
    ['scale', 'Scale', 'autoscaling', 'v1'],
    ['status', 'ReplicationController', '', ''],
  ]);
});

describe('defaults', () => {
  test('replicas 1; an empty selector and empty object labels take the template labels', () => {
    const object = create(rcDef(), rc({ template: template({ app: 'web', tier: 'fe' }) }));
    expect(object.spec).toMatchObject({ replicas: 1, selector: { app: 'web', tier: 'fe' } });
    expect(object.metadata.labels).toEqual({ app: 'web', tier: 'fe' });
    expect(object.status).toEqual({ replicas: 0 });
    // The template is defaulted as a pod template.
    expect((object.spec as { template: { spec: Record<string, unknown> } }).template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
  });

  test('a given selector, object labels and replicas are kept', () => {
    const object = create(rcDef(), rc({ replicas: 0, selector: { app: 'web' }, template: template({ app: 'web', tier: 'fe' }) }, { labels: { owner: 'me' } }));
    expect(object.spec).toMatchObject({ replicas: 0, selector: { app: 'web' } });
    expect(object.metadata.labels).toEqual({ owner: 'me' });
  });
});

describe('validation', () => {
  test.each<[string, Record<string, unknown>, string[]]>([
    [
      'a selector that does not match the template labels',
      { selector: { app: 'web' }, template: template({ app: 'other' }) },
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`'],
    ],
    ['no selector and no template labels', { template: template(undefined) }, ['spec.selector: Required value']],
    ['no template', { selector: { app: 'web' } }, ['spec.template: Required value']],
    ['negative replicas', { replicas: -1, selector: { app: 'web' }, template: template({ app: 'web' }) }, ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    [
      'a template whose pods do not restart Always',
      { selector: { app: 'web' }, template: template({ app: 'web' }, { restartPolicy: 'Never' }) },
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      'an activeDeadlineSeconds',
      { selector: { app: 'web' }, template: template({ app: 'web' }, { activeDeadlineSeconds: 5 }) },
      ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported'],
    ],
  ])('%s', (_name, spec, errors) => {
    expect(tryCreate(rcDef(), rc(spec)).errors).toEqual(errors);
  });

  test('the pod template is validated as for ReplicaSets', () => {
    const { errors } = tryCreate(rcDef(), rc({ selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [] } } }));
    expect(errors).toEqual(['spec.template.spec.containers: Required value']);
  });

  test('the selector may change (unlike apps/v1), but must still match', () => {
    const old = create(rcDef(), rc({ selector: { app: 'web' }, template: template({ app: 'web', v: '1' }) }));
    const changed = update(rcDef(), old, edit(old, (o) => ((o.spec as { selector: Record<string, string> }).selector = { app: 'web', v: '1' })));
    expect((changed.spec as { selector: unknown }).selector).toEqual({ app: 'web', v: '1' });
    const bad = tryUpdate(rcDef(), old, edit(old, (o) => ((o.spec as { selector: Record<string, string> }).selector = { app: 'db' })));
    expect(bad.errors).toEqual(['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web", "v":"1"}: `selector` does not match template `labels`']);
  });
});

test('kubectl get rc columns and cells (wide: containers, images, selector)', () => {
  const table = rcDef().strategy!.table!;
  expect(table.columns.map((c) => [c.name, c.priority ?? 0])).toEqual([
    ['Desired', 0],
    ['Current', 0],
    ['Ready', 0],
    ['Age', 0],
    ['Containers', 1],
    ['Images', 1],
    ['Selector', 1],
  ]);
  const object = create(rcDef(), rc({ replicas: 3, selector: { tier: 'fe', app: 'web' }, template: template({ app: 'web', tier: 'fe' }) }));
  object.status = { replicas: 2, readyReplicas: 1 };
  expect(table.cells(object, NOW)).toEqual([3, 2, 1, '60m', 'nginx', 'nginx:1.25', 'app=web,tier=fe']);
});

test('status.replicas is a field selector', () => {
  const object = create(rcDef(), rc({ selector: { app: 'web' }, template: template({ app: 'web' }) }));
  expect(rcDef().strategy!.selectableFields!(object)).toEqual({ 'status.replicas': '0' });
});
