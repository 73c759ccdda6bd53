import * as protobuf from 'protobufjs';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, isKubernetesProtobuf } from '../../../../kernel/api/protobuf';
import { kubernetesProtoSchema } from '../../../../kernel/api/protobuf/schema';
import { ApiError } from '../../../../kernel/api/errors';
import type { KubeObject } from '../../../../kernel/api/types';

/**
 * Objects in the form Go marshals them (value fields present, creationTimestamp
 * null, ...), so that decode(encode(x)) must give back exactly x.
 */
const roundTrips: Array<[string, KubeObject]> = [
  ['Namespace', { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'team-a', creationTimestamp: null as unknown as string, labels: { team: 'a' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }],
  ['ConfigMap', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cfg', namespace: 'default', creationTimestamp: null as unknown as string }, data: { 'a.txt': 'hello\n', empty: '' }, binaryData: { bin: Buffer.from([0, 1, 2, 255]).toString('base64') } }],
  ['Secret with binary data', { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', creationTimestamp: null as unknown as string }, data: { key: Buffer.from([0x00, 0xff, 0x80, 0x7f, 0x0a]).toString('base64'), text: Buffer.from('pässword').toString('base64') }, type: 'Opaque' }],
  [
    'Deployment with a pod template',
    {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', creationTimestamp: null as unknown as string, labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '3' }, generation: 7 },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }] },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx:1.27',
                command: ['nginx', '-g', 'daemon off;'],
                ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }, { containerPort: 9113, hostPort: 19113 }],
                env: [{ name: 'A', value: '1' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', 'nvidia.com/gpu': '1' } },
                readinessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 3, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: 80 }, failureThreshold: 3 },
                startupProbe: { exec: { command: ['true'] } },
                imagePullPolicy: 'IfNotPresent',
              },
            ],
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 30,
            dnsPolicy: 'ClusterFirst',
            securityContext: { runAsNonRoot: true, runAsUser: 1000 },
            volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Gi' } }, { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } }],
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
      },
      status: { observedGeneration: 7, replicas: 2, readyReplicas: 2, conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2024-01-02T03:04:05Z', lastTransitionTime: '2024-01-02T03:04:05Z', reason: 'MinimumReplicasAvailable', message: 'ok' }] },
    },
  ],
  [
    'SelfSubjectAccessReview',
    {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null as unknown as string },
      spec: { resourceAttributes: { namespace: 'default', verb: 'get', group: 'apps', resource: 'deployments', subresource: 'scale', name: 'web' } },
      status: { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "admin"' },
    },
  ],
  [
    'Pod with times',
    {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name: 'p',
        namespace: 'default',
        uid: '0d6e4a94-7c56-4d8b-9a9e-5f1c2b3a4d5e',
        resourceVersion: '42',
        creationTimestamp: '2024-01-02T03:04:05Z',
        deletionTimestamp: '2024-01-02T03:05:00Z',
        deletionGracePeriodSeconds: 30,
        finalizers: ['example.com/hold'],
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: '1234', controller: true, blockOwnerDeletion: true }],
        managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2024-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }],
      },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: {} }], nodeName: 'node-1' },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-01-02T03:04:10Z' }],
        podIP: '10.0.0.5',
        startTime: '2024-01-02T03:04:06Z',
        containerStatuses: [{ name: 'c', state: { running: { startedAt: '2024-01-02T03:04:07Z' } }, lastState: {}, ready: true, restartCount: 0, image: 'busybox', imageID: '' }],
      },
    },
  ],
  [
    'Lease with MicroTime',
    { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { name: 'node-1', namespace: 'kube-node-lease', creationTimestamp: null as unknown as string }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2024-01-02T03:04:05.123456Z', acquireTime: '2024-01-02T03:04:05.000000Z' } },
  ],
  [
    'ControllerRevision with a RawExtension',
    { kind: 'ControllerRevision', apiVersion: 'apps/v1', metadata: { name: 'r', creationTimestamp: null as unknown as string }, data: { spec: { template: { spec: { containers: [{ name: 'x' }] } } } }, revision: 2 },
  ],
  [
    'Service with IntOrString targetPort',
    { kind: 'Service', apiVersion: 'v1', metadata: { name: 'svc', creationTimestamp: null as unknown as string }, spec: { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }, { name: 'm', port: 9000, targetPort: 9001 }], selector: { app: 'web' }, type: 'ClusterIP' }, status: { loadBalancer: {} } },
  ],
  [
    'a list',
    {
      kind: 'ConfigMapList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '77', continue: 'abc', remainingItemCount: 0 },
      items: [
        { metadata: { name: 'a', namespace: 'default', creationTimestamp: '2024-01-02T03:04:05Z' }, data: { k: 'v' } },
        { metadata: { name: 'b', namespace: 'default', creationTimestamp: '2024-01-02T03:04:06Z' } },
      ],
    } as unknown as KubeObject,
  ],
];

describe('Kubernetes protobuf round trip', () => {
  it.each(roundTrips)('%s', (_name, object) => {
    const wire = encodeKubernetesProtobuf(object);
    expect(isKubernetesProtobuf(wire)).toBe(true);
    expect(decodeKubernetesProtobuf(wire)).toEqual(object);
  });
});

describe('decoding follows Go JSON marshalling', () => {
  const T = (name: string) => kubernetesProtoSchema().lookupType(name);

  /** A body built by hand with protobufjs, independent of the encoder under test. */
  function body(apiVersion: string, kind: string, type: string, message: Record<string, unknown>): Buffer {
    const raw = T(type).encode(T(type).fromObject(message)).finish();
    const unknown = T('k8s.io.apimachinery.pkg.runtime.Unknown').encode({ typeMeta: { apiVersion, kind }, raw }).finish();
    return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
  }

  it('keeps zero-valued pointer fields and drops absent ones', () => {
    const decoded = decodeKubernetesProtobuf(body('apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment', { spec: { replicas: 0 } }));
    expect((decoded.spec as Record<string, unknown>).replicas).toBe(0);
    expect(decoded.spec).not.toHaveProperty('paused');
    expect(decoded.spec).not.toHaveProperty('minReadySeconds'); // a value field with omitempty, zero
  });

  it('writes value fields without omitempty even when absent: zero scalars, null slices, null times', () => {
    const decoded = decodeKubernetesProtobuf(body('v1', 'Pod', 'k8s.io.api.core.v1.Pod', { spec: { containers: [{}] } }));
    expect(decoded.metadata).toEqual({ creationTimestamp: null });
    expect((decoded.spec as { containers: unknown[] }).containers[0]).toEqual({ name: '', resources: {} });
    const svc = decodeKubernetesProtobuf(body('v1', 'Service', 'k8s.io.api.core.v1.Service', { spec: { ports: [{ port: 80 }] } }));
    // ServicePort.targetPort is an IntOrString value: its zero is 0 even under omitempty, as in Go.
    expect((svc.spec as { ports: unknown[] }).ports[0]).toEqual({ port: 80, targetPort: 0 });
    const sar = decodeKubernetesProtobuf(body('authorization.k8s.io/v1', 'SubjectAccessReview', 'k8s.io.api.authorization.v1.SubjectAccessReview', {}));
    expect(sar.status).toEqual({ allowed: false });
  });

  it('formats Time with whole seconds and MicroTime with six fractional digits', () => {
    const event = decodeKubernetesProtobuf(
      body('v1', 'Event', 'k8s.io.api.core.v1.Event', {
        firstTimestamp: { seconds: 1704164645, nanos: 987654321 },
        eventTime: { seconds: 1704164645, nanos: 987654321 },
        series: { lastObservedTime: { seconds: 0, nanos: 5000 } },
      }),
    );
    expect(event.firstTimestamp).toBe('2024-01-02T03:04:05Z');
    expect(event.eventTime).toBe('2024-01-02T03:04:05.987654Z');
    expect((event.series as Record<string, unknown>).lastObservedTime).toBe('1970-01-01T00:00:00.000005Z');
    // lastTimestamp is a Go value of type Time: the zero time is null.
    expect(event.lastTimestamp).toBeNull();
  });

  it('decodes IntOrString, Quantity, bytes and RawExtension into their JSON forms', () => {
    const rev = decodeKubernetesProtobuf(body('apps/v1', 'ControllerRevision', 'k8s.io.api.apps.v1.ControllerRevision', { data: { raw: Buffer.from('{"a":[1,"x"]}') }, revision: 3 }));
    expect(rev.data).toEqual({ a: [1, 'x'] });
    const cm = decodeKubernetesProtobuf(body('v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap', { binaryData: { b: Buffer.from([1, 2, 3]) } }));
    expect(cm.binaryData).toEqual({ b: 'AQID' });
    const pod = decodeKubernetesProtobuf(
      body('v1', 'Pod', 'k8s.io.api.core.v1.Pod', {
        spec: {
          containers: [
            {
              name: 'c',
              resources: { limits: { cpu: { string: '250m' } } },
              livenessProbe: { handler: { httpGet: { port: { type: 0, intVal: 8080 } } } },
              readinessProbe: { handler: { tcpSocket: { port: { type: 1, strVal: 'http' } } } },
            },
          ],
        },
      }),
    );
    const c = (pod.spec as { containers: Array<Record<string, any>> }).containers[0];
    expect(c.resources.limits.cpu).toBe('250m');
    expect(c.livenessProbe.httpGet.port).toBe(8080);
    expect(c.readinessProbe.tcpSocket.port).toBe('http');
  });

  it('decodes slice types (APIResource verbs, UserInfo extra) as arrays', () => {
    const tr = decodeKubernetesProtobuf(
      body('authentication.k8s.io/v1', 'TokenReview', 'k8s.io.api.authentication.v1.TokenReview', {
        status: { authenticated: true, user: { username: 'u', extra: { scopes: { items: ['a', 'b'] } } } },
      }),
    );
    expect((tr.status as { user: { extra: unknown } }).user.extra).toEqual({ scopes: ['a', 'b'] });
  });
});

describe('decoding errors are 400 BadRequest with a clear message', () => {
  const valid = encodeKubernetesProtobuf({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x' }, data: { a: 'b'.repeat(100) } });

  const cases: Array<[string, Buffer, RegExp]> = [
    ['no magic', Buffer.from('{"kind":"ConfigMap"}'), /does not start with the "k8s\\x00" prefix/],
    ['too short', Buffer.from('k8', 'latin1'), /does not start/],
    ['truncated object', valid.subarray(0, valid.length - 20), /malformed/],
    [
      'unknown kind',
      encodeEnvelope('v1', 'Gizmo', Buffer.alloc(0)),
      /no kind "Gizmo" is registered for version "v1"/,
    ],
    ['missing kind', encodeEnvelope('v1', '', Buffer.alloc(0)), /'Kind' is missing/],
    ['content encoding', encodeEnvelope('v1', 'ConfigMap', Buffer.alloc(0), 'gzip'), /content encoding "gzip"/],
  ];

  it.each(cases)('%s', (_name, input, message) => {
    let error: unknown;
    try {
      decodeKubernetesProtobuf(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(400);
    expect((error as ApiError).reason).toBe('BadRequest');
    expect((error as ApiError).message).toMatch(message);
  });

  function encodeEnvelope(apiVersion: string, kind: string, raw: Buffer, contentEncoding = ''): Buffer {
    const T = kubernetesProtoSchema().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
    return Buffer.concat([Buffer.from('k8s\0', 'latin1'), T.encode({ typeMeta: { apiVersion, kind }, raw, contentEncoding }).finish()]);
  }
});

describe('encoding', () => {
  it('writes what gogo writes: value fields always, pointers only when set', () => {
    const wire = encodeKubernetesProtobuf({ kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'a' }, spec: {} });
    const schema = kubernetesProtoSchema();
    const unknown = schema.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown').decode(wire.subarray(4)) as unknown as { raw: Uint8Array };
    const message = schema.lookupType('k8s.io.api.apps.v1.Deployment').decode(unknown.raw) as unknown as { spec: Record<string, unknown>; metadata: Record<string, unknown> };
    expect(Object.prototype.hasOwnProperty.call(message.spec, 'minReadySeconds')).toBe(true); // int32, a Go value
    expect(Object.prototype.hasOwnProperty.call(message.spec, 'replicas')).toBe(false); // *int32
    expect(Object.prototype.hasOwnProperty.call(message.metadata, 'namespace')).toBe(true);
    expect(protobuf.util.isset(message.metadata, 'deletionTimestamp')).toBe(false);
  });

  it('rejects fields the kind does not have', () => {
    expect(() => encodeKubernetesProtobuf({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x' }, dta: {} })).toThrow(/ConfigMap has no field "dta"/);
  });

  it('rejects kinds without a schema', () => {
    expect(() => encodeKubernetesProtobuf({ kind: 'Widget', apiVersion: 'example.com/v1' })).toThrow(/no protobuf schema for example.com\/v1, Kind=Widget/);
  });
});
