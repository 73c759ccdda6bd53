/**
 * The endpoints controller's computation, table-driven: which pods land in
 * addresses or notReadyAddresses, named target ports resolved per pod, and
 * subsets repacked as Kubernetes' RepackSubsets does.
 */
import type { EndpointSubset } from 'kubernetes-types/core/v1';
import { desiredSubsets, repackSubsets, truncateSubsets } from '../../../../plugins/controllers/endpoints/subsets';
import { TriggerTimeTracker, formatTriggerTime, managesEndpoints, resolvePort } from '../../../../plugins/controllers/endpoints/podendpoints';
import { HTTP, METRICS, pod, service } from './fixtures';

const addr = (name: string, ip: string, extra: Record<string, unknown> = {}) => ({
  ip,
  nodeName: 'node-a',
  targetRef: { kind: 'Pod', namespace: 'default', name, uid: `uid-${name}` },
  ...extra,
});
const httpPort = { name: 'http', port: 8080, protocol: 'TCP' };
const metricsPort = { name: 'metrics', port: 9100, protocol: 'TCP' };

const cases: Array<{ name: string; svc: ReturnType<typeof service>; pods: ReturnType<typeof pod>[]; want: EndpointSubset[] }> = [
  {
    name: 'ready pods in addresses, sorted by IP',
    svc: service('web', { ports: [HTTP] }),
    pods: [pod('b', { ip: '10.244.0.2' }), pod('a', { ip: '10.244.0.1' })],
    want: [{ addresses: [addr('a', '10.244.0.1'), addr('b', '10.244.0.2')], ports: [httpPort] }],
  },
  {
    name: 'not-ready pods in notReadyAddresses of the same subset',
    svc: service('web', { ports: [HTTP] }),
    pods: [pod('a', { ip: '10.244.0.1' }), pod('b', { ip: '10.244.0.2', ready: false })],
    want: [{ addresses: [addr('a', '10.244.0.1')], notReadyAddresses: [addr('b', '10.244.0.2')], ports: [httpPort] }],
  },
  {
    name: 'publishNotReadyAddresses: not-ready pods in addresses',
    svc: service('web', { ports: [HTTP], publishNotReadyAddresses: true }),
    pods: [pod('a', { ip: '10.244.0.1', ready: false })],
    want: [{ addresses: [addr('a', '10.244.0.1')], ports: [httpPort] }],
  },
  {
    name: 'terminating pods, pods without IP and finished pods left out',
    svc: service('web', { ports: [HTTP] }),
    pods: [
      pod('a', { ip: '10.244.0.1' }),
      pod('gone', { ip: '10.244.0.9', terminating: true }),
      pod('pending', { ip: '' }),
      pod('done', { ip: '10.244.0.8', phase: 'Succeeded', restartPolicy: 'Never' }),
    ],
    want: [{ addresses: [addr('a', '10.244.0.1')], ports: [httpPort] }],
  },
  {
    name: 'named ports resolved per pod; a pod lacking one is left out of that port only',
    svc: service('web', { ports: [HTTP, METRICS] }),
    pods: [
      pod('a', { ip: '10.244.0.1', ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }] }),
      pod('b', { ip: '10.244.0.2', ports: [{ name: 'http', containerPort: 8080 }] }),
    ],
    want: [
      { addresses: [addr('a', '10.244.0.1'), addr('b', '10.244.0.2')], ports: [httpPort] },
      { addresses: [addr('a', '10.244.0.1')], ports: [metricsPort] },
    ],
  },
  {
    name: 'repacked: pods offering the same ports share one subset, whatever the port numbers they resolve to',
    svc: service('web', { ports: [HTTP, METRICS] }),
    pods: [
      pod('a', { ip: '10.244.0.1', ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }] }),
      pod('b', { ip: '10.244.0.2', ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }] }),
      pod('c', { ip: '10.244.0.3', ports: [{ name: 'http', containerPort: 8081 }, { name: 'metrics', containerPort: 9100 }] }),
    ],
    want: [
      { addresses: [addr('a', '10.244.0.1'), addr('b', '10.244.0.2')], ports: [httpPort] },
      { addresses: [addr('c', '10.244.0.3')], ports: [{ name: 'http', port: 8081, protocol: 'TCP' }] },
      { addresses: [addr('a', '10.244.0.1'), addr('b', '10.244.0.2'), addr('c', '10.244.0.3')], ports: [metricsPort] },
    ],
  },
  {
    name: 'numeric targetPort used as is; unnamed single port',
    svc: service('web', { ports: [{ port: 80, targetPort: 3000, protocol: 'TCP' }] }),
    pods: [pod('a', { ip: '10.244.0.1' })],
    want: [{ addresses: [addr('a', '10.244.0.1')], ports: [{ port: 3000, protocol: 'TCP' }] }],
  },
  {
    name: 'headless without ports: portless subsets; hostname when the subdomain names the service',
    svc: service('db', { clusterIP: 'None' }),
    pods: [pod('db-0', { ip: '10.244.0.5', hostname: 'db-0', subdomain: 'db' }), pod('x', { ip: '10.244.0.6', hostname: 'x', subdomain: 'other' })],
    want: [{ addresses: [addr('db-0', '10.244.0.5', { hostname: 'db-0' }), addr('x', '10.244.0.6')] }],
  },
  {
    name: 'a service with a cluster IP and no ports gets no subsets',
    svc: service('web', {}),
    pods: [pod('a')],
    want: [],
  },
];

test.each(cases)('$name', ({ svc, pods, want }) => {
  expect(desiredSubsets(svc, pods)).toEqual(want);
});

test('repack: not ready on a port wins over ready; the same address twice is one', () => {
  const a = { ip: '10.0.0.1', targetRef: { kind: 'Pod', name: 'a', uid: 'ua' } };
  const p = { name: 'http', port: 80, protocol: 'TCP' };
  expect(repackSubsets([{ addresses: [a], ports: [p] }, { notReadyAddresses: [a], ports: [p] }, { addresses: [a], ports: [p] }])).toEqual([{ notReadyAddresses: [a], ports: [p] }]);
});

test('resolvePort: by name and protocol, sidecar ports included', () => {
  const p = pod('a', { ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] });
  expect(resolvePort(p, { port: 53, targetPort: 'dns', protocol: 'UDP' })).toBe(53);
  expect(resolvePort(p, { port: 53, targetPort: 'dns', protocol: 'TCP' })).toBeUndefined();
  const withSidecar = { ...p, spec: { ...p.spec!, initContainers: [{ name: 'proxy', restartPolicy: 'Always', ports: [{ name: 'proxy', containerPort: 15001 }] }] } } as typeof p;
  expect(resolvePort(withSidecar, { port: 80, targetPort: 'proxy' })).toBe(15001);
});

test('trigger time: the creation time first, then the earliest change since the last sync, nothing when nothing changed', () => {
  const tracker = new TriggerTimeTracker();
  const svc = service('web', { ports: [HTTP] });
  const a = pod('a');
  expect(tracker.compute(svc, [a])).toBe(Date.parse('2026-01-01T00:00:00Z'));
  expect(tracker.compute(svc, [a])).toBeUndefined();
  const later = { ...a, status: { ...a.status, conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:05:00Z' }] } } as typeof a;
  expect(tracker.compute(svc, [later])).toBe(Date.parse('2026-01-01T00:05:00Z'));
  expect(formatTriggerTime(Date.parse('2026-01-01T00:05:00.120Z'))).toBe('2026-01-01T00:05:00.12Z');
  expect(formatTriggerTime(Date.parse('2026-01-01T00:05:00Z'))).toBe('2026-01-01T00:05:00Z');
});

test('over 1000 addresses: not-ready ones cut first, then each subset keeps its share of the ready ones', () => {
  const addrs = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ ip: `10.${prefix}.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
  const p = [{ port: 80, protocol: 'TCP' }];
  expect(truncateSubsets([{ addresses: addrs(600, '1'), notReadyAddresses: addrs(100, '2'), ports: p }])).toBeUndefined();
  const notReadyCut = truncateSubsets([{ addresses: addrs(900, '1'), notReadyAddresses: addrs(300, '2'), ports: p }])!;
  expect(notReadyCut.map((s) => [s.addresses?.length, s.notReadyAddresses?.length])).toEqual([[900, 100]]);
  const readyCut = truncateSubsets([
    { addresses: addrs(1500, '1'), notReadyAddresses: addrs(10, '2'), ports: p },
    { addresses: addrs(500, '3'), ports: [{ port: 81, protocol: 'TCP' }] },
  ])!;
  expect(readyCut.map((s) => [s.addresses?.length, s.notReadyAddresses?.length])).toEqual([
    [750, undefined],
    [250, undefined],
  ]);
});

test.each([
  { name: 'a selector', svc: service('web', {}), want: true },
  { name: 'no selector (the Endpoints are the user\'s)', svc: service('web', { selector: null }), want: false },
  { name: 'an empty selector, which Kubernetes serialises away', svc: service('web', { selector: {} }), want: false },
  { name: 'ExternalName', svc: service('web', { type: 'ExternalName' }), want: false },
])('managed: $name', ({ svc, want }) => {
  expect(managesEndpoints(svc)).toBe(want);
});
