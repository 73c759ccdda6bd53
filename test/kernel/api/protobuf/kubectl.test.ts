/**
 * What real kubectl sends: kubectl 1.32 and later send typed objects as
 * Kubernetes protobuf, 1.31 sends the same objects as JSON. The decoded
 * protobuf must equal both the expected object and 1.31's JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeKubernetesProtobuf } from '../../../../kernel/api/protobuf';
import { FakeApiServer, RecordedRequest, discoveryRoute } from './fake-apiserver';

const discovery = discoveryRoute([
  { groupVersion: 'v1', name: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { groupVersion: 'v1', name: 'namespaces', kind: 'Namespace', namespaced: false },
  { groupVersion: 'v1', name: 'pods', kind: 'Pod', namespaced: true },
  { groupVersion: 'v1', name: 'secrets', kind: 'Secret', namespaced: true },
  { groupVersion: 'apps/v1', name: 'deployments', kind: 'Deployment', namespaced: true },
  { groupVersion: 'authorization.k8s.io/v1', name: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] },
]);

let server: FakeApiServer;

beforeAll(async () => {
  server = await FakeApiServer.start((req) => {
    if (req.method === 'POST' && req.path.endsWith('/selfsubjectaccessreviews')) {
      return { status: 201, body: { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {}, spec: {}, status: { allowed: true } } };
    }
    // Echo creations back (kubectl only prints the kind and name).
    if (req.method === 'POST') return { status: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
    return discovery(req);
  });
  fs.writeFileSync(path.join(server.dir, 'blob'), BINARY);
});

afterAll(() => server.close());

/** Run one kubectl command and return the single POST it made. */
async function captured(version: string, args: string[]): Promise<RecordedRequest> {
  const before = server.requests.length;
  const result = await server.kubectl(version, args.map((a) => a.replace('<dir>', server.dir)));
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const posts = server.requests.slice(before).filter((r) => r.method === 'POST');
  expect(posts).toHaveLength(1);
  return posts[0];
}

/** Not valid UTF-8: Secret data must travel as bytes. */
const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x10, 0x80, 0x41]);

const cases: Array<{ name: string; args: string[]; path: string; expected: Record<string, unknown> }> = [
  {
    name: 'create configmap',
    args: ['create', 'configmap', 'x', '--from-literal=a=b'],
    path: '/api/v1/namespaces/default/configmaps',
    expected: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x', creationTimestamp: null }, data: { a: 'b' } },
  },
  {
    name: 'create namespace',
    args: ['create', 'namespace', 'team-a'],
    path: '/api/v1/namespaces',
    expected: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'team-a', creationTimestamp: null }, spec: {}, status: {} },
  },
  {
    name: 'create secret (bytes)',
    args: ['create', 'secret', 'generic', 's', '--from-file=blob=<dir>/blob', '--from-literal=k=v'],
    path: '/api/v1/namespaces/default/secrets',
    expected: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', creationTimestamp: null }, data: { blob: BINARY.toString('base64'), k: 'dg==' } },
  },
  {
    name: 'create deployment',
    args: ['create', 'deployment', 'web', '--image=nginx', '--port=80', '--replicas=2'],
    path: '/apis/apps/v1/namespaces/default/deployments',
    expected: {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    },
  },
  {
    name: 'auth can-i',
    args: ['auth', 'can-i', 'get', 'pods'],
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    expected: {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
      status: { allowed: false },
    },
  },
];

describe.each(cases)('kubectl $name', ({ args, path, expected }) => {
  let json: Record<string, unknown>;

  beforeAll(async () => {
    const req = await captured('1.31', args);
    expect(req.headers['content-type']).toBe('application/json');
    json = JSON.parse(req.body.toString('utf8'));
  });

  it('1.31 sends the expected JSON', () => {
    expect(json).toEqual(expected);
  });

  it.each(['1.32', '1.33'])('kubectl %s sends protobuf that decodes to the same object', async (version) => {
    const req = await captured(version, args);
    expect(req.path).toBe(path);
    expect(req.headers['content-type']).toBe('application/vnd.kubernetes.protobuf');
    const decoded = decodeKubernetesProtobuf(req.body);
    expect(decoded).toEqual(expected);
    expect(decoded).toEqual(json);
  });
});
