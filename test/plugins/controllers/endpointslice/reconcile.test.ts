/**
 * The endpointslice reconciler's computation, table-driven: endpoints with
 * their conditions, zone and ports, slices split at maxEndpointsPerSlice and
 * by port set, and existing slices updated in place rather than replaced.
 */
import { planSlices, podToEndpoint, sliceAddressTypes, type NodeObject, type SliceObject } from '../../../../plugins/controllers/endpointslice/reconcile';
import { HTTP, METRICS, pod, service } from '../endpoints/fixtures';

const nodes: Record<string, NodeObject> = {
  'node-a': { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'n1', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z', labels: { 'topology.kubernetes.io/zone': 'zone-1' } } },
};
const node = (name: string) => nodes[name];
const ip = (i: number) => `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const many = (n: number, extra: Parameters<typeof pod>[1] = {}) => Array.from({ length: n }, (_, i) => pod(`p${String(i).padStart(3, '0')}`, { ip: ip(i), ...extra }));

/** The plan's slices as they would be stored, with names for the created ones. */
function store(plan: ReturnType<typeof planSlices>, existing: SliceObject[] = []): SliceObject[] {
  const deleted = new Set(plan.delete.map((s) => s.metadata.name));
  const updated = new Map(plan.update.map((s) => [s.metadata.name, s]));
  const kept = existing.filter((s) => !deleted.has(s.metadata.name)).map((s) => updated.get(s.metadata.name) ?? s);
  const made = plan.create.map((s, i) => ({ ...s, metadata: { ...s.metadata, name: `${s.metadata.generateName}new${i}`, uid: `slice-uid-new${i}-${Math.random()}`, resourceVersion: '1' } }) as SliceObject);
  return [...kept, ...made];
}

describe('endpoints', () => {
  test.each([
    { name: 'ready pod', p: pod('a'), svc: service('web', { ports: [HTTP] }), want: { ready: true, serving: true, terminating: false } },
    { name: 'not-ready pod', p: pod('a', { ready: false }), svc: service('web', { ports: [HTTP] }), want: { ready: false, serving: false, terminating: false } },
    { name: 'terminating ready pod: serving, not ready', p: pod('a', { terminating: true }), svc: service('web', { ports: [HTTP] }), want: { ready: false, serving: true, terminating: true } },
    { name: 'publishNotReadyAddresses: always ready', p: pod('a', { ready: false }), svc: service('web', { ports: [HTTP], publishNotReadyAddresses: true }), want: { ready: true, serving: false, terminating: false } },
  ])('$name', ({ p, svc, want }) => {
    expect(podToEndpoint(p, node('node-a'), svc, 'IPv4')).toEqual({
      addresses: ['10.244.0.1'],
      conditions: want,
      nodeName: 'node-a',
      zone: 'zone-1',
      targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' },
    });
  });
});

describe('slices', () => {
  test('one slice: labels, owner, generateName, ports resolved per pod, terminating pods kept', () => {
    const svc = service('web', { ports: [HTTP] }, { team: 'a' });
    const plan = planSlices(svc, [pod('a'), pod('b', { ip: '10.244.0.2', terminating: true })], node, []);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.create).toHaveLength(1);
    const [slice] = plan.create;
    expect(slice.metadata).toEqual({
      generateName: 'web-',
      namespace: 'default',
      labels: { team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'uid-web', controller: true, blockOwnerDeletion: true }],
    });
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice.endpoints.map((e) => [e.addresses[0], e.conditions?.ready, e.conditions?.terminating])).toEqual([
      ['10.244.0.1', true, false],
      ['10.244.0.2', false, true],
    ]);
  });

  test.each([
    { pods: 100, max: 100, sizes: [100] },
    { pods: 101, max: 100, sizes: [100, 1] },
    { pods: 250, max: 100, sizes: [100, 100, 50] },
    { pods: 7, max: 3, sizes: [3, 3, 1] },
  ])('$pods endpoints at most $max per slice: $sizes', ({ pods, max, sizes }) => {
    const plan = planSlices(service('web', { ports: [HTTP] }), many(pods), node, [], max);
    expect(plan.create.map((s) => s.endpoints.length)).toEqual(sizes);
    expect(new Set(plan.create.flatMap((s) => s.endpoints.map((e) => e.addresses[0]))).size).toBe(pods);
  });

  test('a slice per distinct port set: pods lacking a named port go to a slice without it', () => {
    const svc = service('web', { ports: [HTTP, METRICS] });
    const both = [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }];
    const plan = planSlices(svc, [pod('a', { ports: both }), pod('b', { ip: '10.244.0.2', ports: [{ name: 'http', containerPort: 8080 }] }), pod('c', { ip: '10.244.0.3', ports: both })], node, []);
    expect(plan.create.map((s) => [s.ports!.map((p) => `${p.name}:${p.port}`), s.endpoints.map((e) => e.targetRef!.name)])).toEqual([
      [['http:8080', 'metrics:9100'], ['a', 'c']],
      [['http:8080'], ['b']],
    ]);
  });

  test('no pods: one empty placeholder slice, kept as it is on the next sync', () => {
    const svc = service('web', { ports: [HTTP] });
    const plan = planSlices(svc, [], node, []);
    expect(plan.create).toHaveLength(1);
    expect(plan.create[0].endpoints).toEqual([]);
    expect(plan.create[0].ports).toEqual([]);
    const again = planSlices(svc, [], node, store(plan));
    expect(again).toEqual({ create: [], update: [], delete: [], podsWithoutNode: [] });
  });

  test('the placeholder is updated into the first real slice, not deleted and replaced', () => {
    const svc = service('web', { ports: [HTTP] });
    const placeholder = store(planSlices(svc, [], node, []));
    const plan = planSlices(svc, [pod('a')], node, placeholder);
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0].metadata.name).toBe(placeholder[0].metadata.name);
    expect(plan.update[0].endpoints.map((e) => e.targetRef!.name)).toEqual(['a']);
  });

  test('reconciled in place: unchanged is no write, a changed pod rewrites its slice only, new pods fill an existing slice', () => {
    const svc = service('web', { ports: [HTTP] });
    const pods = many(150);
    const slices = store(planSlices(svc, pods, node, [], 100));
    expect(slices.map((s) => s.endpoints.length)).toEqual([100, 50]);
    expect(planSlices(svc, pods, node, slices, 100)).toEqual({ create: [], update: [], delete: [], podsWithoutNode: [] });

    // p120 becomes not ready: only the second slice is written.
    const changed = pods.map((p) => (p.metadata.name === 'p120' ? pod('p120', { ip: ip(120), ready: false }) : p));
    const plan = planSlices(svc, changed, node, slices, 100);
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update.map((s) => s.metadata.name)).toEqual([slices[1].metadata.name]);
    expect(plan.update[0].endpoints.find((e) => e.targetRef!.name === 'p120')!.conditions!.ready).toBe(false);

    // 30 more pods fit in the half-full slice: updated, nothing created.
    const grown = [...pods, ...Array.from({ length: 30 }, (_, i) => pod(`q${i}`, { ip: ip(200 + i) }))];
    const plan2 = planSlices(svc, grown, node, slices, 100);
    expect(plan2.create).toEqual([]);
    expect(plan2.update.map((s) => [s.metadata.name, s.endpoints.length])).toEqual([[slices[1].metadata.name, 80]]);

    // Every pod of the first slice gone: that slice is deleted, the other untouched.
    const shrunk = pods.slice(100);
    const plan3 = planSlices(svc, shrunk, node, slices, 100);
    expect(plan3).toEqual({ create: [], update: [], delete: [slices[0]], podsWithoutNode: [] });
  });

  test('service labels changed: slices relabelled in place', () => {
    const slices = store(planSlices(service('web', { ports: [HTTP] }), [pod('a')], node, []));
    const plan = planSlices(service('web', { ports: [HTTP] }, { tier: 'front' }), [pod('a')], node, slices);
    expect(plan.update.map((s) => s.metadata.labels)).toEqual([{ tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' }]);
  });

  test('pods on unknown nodes are left out and reported; headless services marked', () => {
    const plan = planSlices(service('db', { clusterIP: 'None' }), [pod('a'), pod('b', { ip: '10.244.0.2', node: 'nowhere' })], node, []);
    expect(plan.podsWithoutNode).toEqual(['b']);
    expect(plan.create[0].endpoints.map((e) => e.targetRef!.name)).toEqual(['a']);
    expect(plan.create[0].metadata.labels!['service.kubernetes.io/headless']).toBe('');
    expect(plan.create[0].ports).toEqual([]);
  });

  test('slices of an earlier Service of the same name are deleted (or reused)', () => {
    const old = store(planSlices({ ...service('web', { ports: [HTTP] }), metadata: { ...service('web', {}).metadata, uid: 'old' } }, [pod('a')], node, []));
    const plan = planSlices(service('web', { ports: [HTTP] }), [pod('a')], node, old);
    expect(plan.delete.map((s) => s.metadata.name)).toEqual([old[0].metadata.name]);
    expect(plan.create).toHaveLength(1);
  });
});

test.each([
  { name: 'ipFamilies', svc: { ...service('web', {}), spec: { ...service('web', {}).spec, ipFamilies: ['IPv6'] } }, want: ['IPv6'] },
  { name: 'no ipFamilies: the cluster IP\'s family', svc: service('web', { clusterIP: 'fd00::10' }), want: ['IPv6'] },
  { name: 'no ipFamilies, headless: both', svc: service('web', { clusterIP: 'None' }), want: ['IPv4', 'IPv6'] },
])('address types: $name', ({ svc, want }) => {
  expect(sliceAddressTypes(svc as ReturnType<typeof service>)).toEqual(want);
});

test('a dual-stack pod: the addresses of the slice\'s type', () => {
  const p = pod('a');
  const dual = { ...p, status: { ...p.status, podIPs: [{ ip: '10.244.0.1' }, { ip: 'fd00::1' }] } } as typeof p;
  expect(podToEndpoint(dual, undefined, service('web', {}), 'IPv6').addresses).toEqual(['fd00::1']);
});
