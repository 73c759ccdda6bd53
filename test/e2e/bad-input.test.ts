/**
 * Bad input over real HTTPS: every malformed, oversized, mistyped or
 * misaddressed request gets a 4xx Status with the reason (and, where
 * kube-apiserver's wording is fixed, the message) Kubernetes answers with;
 * a rejected write leaves the object exactly as it was (same
 * resourceVersion); and after each case the server still serves a normal GET.
 */
import { startCluster, TestCluster } from '../support/cluster';
import { ApiHttp, HttpResponse } from '../support/http';
import { StoreError } from '../../kernel/store/types';

let cluster: TestCluster;
let api: ApiHttp;
const ns = 'bad';
const cm = (name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
const deployments = (name = '') => `/apis/apps/v1/namespaces/${ns}/deployments${name ? `/${name}` : ''}`;
let cmVersion: string;
let deployVersion: string;

const RFC1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

function deployment(name: string, replicas: unknown = 1): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } },
    },
  };
}

beforeAll(async () => {
  cluster = await startCluster();
  api = new ApiHttp(cluster);
  expect((await api.post('/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
  const c = await api.post(cm(), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target' }, data: { k: 'v' } });
  expect(c.status).toBe(201);
  cmVersion = c.json().metadata.resourceVersion;
  const d = await api.post(deployments(), deployment('target'));
  expect(d.status).toBe(201);
  deployVersion = d.json().metadata.resourceVersion;
});

afterAll(async () => {
  api?.close();
  await cluster?.destroy();
});

// After every case: the server still answers, and nothing was half-applied to the targets.
afterEach(async () => {
  const c = await api.get(cm('target'));
  expect(c.status).toBe(200);
  expect(c.json()).toMatchObject({ metadata: { resourceVersion: cmVersion }, data: { k: 'v' } });
  const d = await api.get(deployments('target'));
  expect(d.status).toBe(200);
  expect(d.json()).toMatchObject({ metadata: { resourceVersion: deployVersion, generation: 1 }, spec: { replicas: 1 } });
});

function rejected(res: HttpResponse, code: number, reason: string, message?: string | RegExp): Record<string, any> {
  if (res.status !== code) throw new Error(`expected ${code} ${reason}, got ${res.status}: ${res.text}`);
  expect(res.headers['content-type']).toBe('application/json');
  const status = res.json();
  expect(status).toMatchObject({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, code });
  if (typeof message === 'string') expect(status.message).toBe(message);
  else if (message) expect(status.message).toMatch(message);
  return status;
}

describe('undecodable bodies', () => {
  test('malformed JSON: Go’s parse error and the start of the body', async () => {
    rejected(
      await api.post(cm(), '{"metadata": {"name": "x"'),
      400,
      'BadRequest',
      'the object provided is unrecognized (must be of type ConfigMap): couldn\'t get version/kind; json parse error: unexpected end of JSON input ({"metadata": {"name": "x")',
    );
    rejected(
      await api.put(cm('target'), '{"data": {"a" "b"}}'),
      400,
      'BadRequest',
      'the object provided is unrecognized (must be of type ConfigMap): couldn\'t get version/kind; json parse error: invalid character \'"\' after object key ({"data": {"a" "b"}})',
    );
    rejected(
      await api.put(deployments('target'), `{"metadata": {"name": "target"}, "spec": {"replicas": 2,}}`),
      400,
      'BadRequest',
      'the object provided is unrecognized (must be of type Deployment): couldn\'t get version/kind; json parse error: invalid character \'}\' looking for beginning of object key string ({"metadata": {"name": "target" ...)',
    );
    rejected(
      await api.post(cm(), '[1, 2]'),
      400,
      'BadRequest',
      'the object provided is unrecognized (must be of type ConfigMap): couldn\'t get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (5b312c20325d)',
    );
    rejected(await api.request('POST', cm(), { body: '', contentType: 'application/json' }), 400, 'BadRequest', /unexpected end of JSON input \(<empty>\)$/);
  });

  test('malformed YAML (Content-Type application/yaml)', async () => {
    const yaml = 'metadata:\n  name: x\n bad: [\n';
    const status = rejected(await api.request('POST', cm(), { body: yaml, contentType: 'application/yaml' }), 400, 'BadRequest');
    expect(status.message).toMatch(/^the object provided is unrecognized \(must be of type ConfigMap\): error converting YAML to JSON: yaml: line \d+: .+ \(6d657461646174613a0a20206e616d653a20780a206261643a205b0a\)$/);
    expect((await api.get(cm('x'))).status).toBe(404);
  });

  test('wrong types are reported as Go’s json decoder does', async () => {
    rejected(
      await api.post(deployments(), deployment('typed', 'three')),
      400,
      'BadRequest',
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    rejected(
      await api.put(deployments('target'), { ...deployment('target', 'three'), metadata: { name: 'target', resourceVersion: deployVersion } }),
      400,
      'BadRequest',
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    rejected(
      await api.put(cm('target'), { metadata: { name: 'target' }, data: { k: 5 } }),
      400,
      'BadRequest',
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
    // Go names struct fields only (no list indices, no map keys), in the innermost struct, and the first error only.
    const bad = deployment('typed');
    bad.metadata.labels = { ok: true };
    bad.spec.template.spec.containers[0].image = 5;
    rejected(
      await api.post(deployments(), bad),
      400,
      'BadRequest',
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string',
    );
    delete bad.metadata.labels;
    rejected(
      await api.post(deployments(), bad),
      400,
      'BadRequest',
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string',
    );
    rejected(
      await api.post(deployments(), deployment('typed', 1.5)),
      400,
      'BadRequest',
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    expect((await api.get(deployments('typed'))).status).toBe(404);
  });

  test('unknown fields under fieldValidation=Strict', async () => {
    const body = deployment('strict');
    body.spec.foo = 1;
    body.spec.template.spec.containers[0].bogus = true;
    rejected(
      await api.post(`${deployments()}?fieldValidation=Strict`, body),
      400,
      'BadRequest',
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].bogus", unknown field "spec.foo"',
    );
    rejected(
      await api.patch(`${cm('target')}?fieldValidation=Strict`, { data: { k: 'changed' }, extra: 1 }, 'application/merge-patch+json'),
      400,
      'BadRequest',
      /strict decoding error: unknown field "extra"/,
    );
    expect((await api.get(deployments('strict'))).status).toBe(404);
  });

  test('a truncated protobuf body', async () => {
    rejected(await api.request('POST', cm(), { body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x40]), contentType: 'application/vnd.kubernetes.protobuf' }), 400, 'BadRequest');
  });
});

describe('invalid objects', () => {
  test('names: uppercase, too long, a bad generateName, a Service name that is not a DNS-1035 label', async () => {
    const upper = rejected(await api.post(cm(), { metadata: { name: 'Bad' } }), 422, 'Invalid', `ConfigMap "Bad" is invalid: metadata.name: Invalid value: "Bad": ${RFC1123_SUBDOMAIN}`);
    expect(upper.details).toEqual({ name: 'Bad', kind: 'ConfigMap', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: "Bad": ${RFC1123_SUBDOMAIN}`, field: 'metadata.name' }] });

    const long = 'a'.repeat(254);
    rejected(await api.post(cm(), { metadata: { name: long } }), 422, 'Invalid', `ConfigMap "${long}" is invalid: metadata.name: Invalid value: "${long}": must be no more than 253 characters`);

    const generated = rejected(await api.post(cm(), { metadata: { generateName: 'Bad-' } }), 422, 'Invalid');
    expect(generated.message).toMatch(/^ConfigMap "Bad-[a-z0-9]{5}" is invalid: \[metadata\.generateName: Invalid value: "Bad-": a lowercase RFC 1123 subdomain .*, metadata\.name: Invalid value: "Bad-[a-z0-9]{5}": a lowercase RFC 1123 subdomain .*\]$/);
    expect(generated.details.causes.map((c: { field: string }) => c.field)).toEqual(['metadata.generateName', 'metadata.name']);

    rejected(
      await api.post(`/api/v1/namespaces/${ns}/services`, { metadata: { name: '1abc' }, spec: { ports: [{ port: 80 }] } }),
      422,
      'Invalid',
      `Service "1abc" is invalid: metadata.name: Invalid value: "1abc": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    );
    const names: string[] = (await api.get(cm())).json().items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(names.filter((n) => n !== 'kube-root-ca.crt')).toEqual(['target']);
  });

  test('an invalid update is 422 and changes nothing', async () => {
    rejected(
      await api.patch(deployments('target'), { spec: { replicas: -1 } }, 'application/merge-patch+json'),
      422,
      'Invalid',
      'Deployment.apps "target" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    rejected(
      await api.patch(cm('target'), { metadata: { labels: { 'bad key': 'x' } } }, 'application/merge-patch+json'),
      422,
      'Invalid',
      /^ConfigMap "target" is invalid: metadata\.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/,
    );
  });
});

describe('oversized bodies', () => {
  const big = () => JSON.stringify({ metadata: { name: 'big' }, data: { blob: 'x'.repeat(3 * 1024 * 1024 + 10) } });

  test('with Content-Length: 413 RequestEntityTooLarge', async () => {
    rejected(await api.post(cm(), big()), 413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    expect((await api.get(cm('big'))).status).toBe(404);
  });

  test('chunked, without Content-Length: 413 RequestEntityTooLarge', async () => {
    rejected(await api.request('POST', cm(), { body: big(), chunkSize: 64 * 1024 }), 413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    expect((await api.get(cm('big'))).status).toBe(404);
  });

  test('a body just under the limit is read (and judged on its merits)', async () => {
    const data = { blob: 'x'.repeat(1024 * 1024 + 1) };
    rejected(await api.post(cm(), { metadata: { name: 'large' }, data }), 422, 'Invalid', /^ConfigMap "large" is invalid: \[\]: Too long: may not be more than 1048576 bytes$/);
  });
});

describe('bodies that do not match the URL', () => {
  test('another kind or apiVersion than the endpoint’s', async () => {
    rejected(
      await api.post(cm(), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }),
      400,
      'BadRequest',
      'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion',
    );
    rejected(
      await api.post(cm(), { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } }),
      400,
      'BadRequest',
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for version "apps/v1" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"',
    );
    rejected(
      await api.put(deployments('target'), { ...deployment('target', 3), kind: 'StatefulSet' }),
      400,
      'BadRequest',
      'StatefulSet in version "v1" cannot be handled as a Deployment: converting (v1.StatefulSet) to (apps.Deployment): unknown conversion',
    );
    rejected(
      await api.put(cm('target'), { apiVersion: 'v1', kind: 'configmap', metadata: { name: 'target' } }),
      400,
      'BadRequest',
      'configmap in version "v1" cannot be handled as a ConfigMap: no kind "configmap" is registered for version "v1" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"',
    );
    expect((await api.get(cm('x'))).status).toBe(404);
  });

  test('a namespace in the body other than the URL’s', async () => {
    rejected(await api.post(cm(), { metadata: { name: 'x', namespace: 'default' } }), 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    rejected(await api.put(cm('target'), { metadata: { name: 'target', namespace: 'default' }, data: { k: 'w' } }), 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
  });

  test('a name in the body other than the URL’s', async () => {
    rejected(await api.put(cm('target'), { metadata: { name: 'other' }, data: { k: 'w' } }), 400, 'BadRequest', 'the name of the object (other) does not match the name on the URL (target)');
  });
});

describe('bad patches', () => {
  test('a JSON patch whose path does not exist is 422 Invalid', async () => {
    rejected(
      await api.patch(cm('target'), [{ op: 'replace', path: '/data/nope', value: 'x' }], 'application/json-patch+json'),
      422,
      'Invalid',
      'the server rejected our request due to an error in our request',
    );
    rejected(await api.patch(cm('target'), [{ op: 'test', path: '/data/k', value: 'not-v' }], 'application/json-patch+json'), 422, 'Invalid', 'the server rejected our request due to an error in our request');
  });

  test('a JSON patch that is not a list, a merge patch that is', async () => {
    rejected(await api.patch(cm('target'), { op: 'add', path: '/data/x', value: 'y' }, 'application/json-patch+json'), 400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    rejected(await api.patch(cm('target'), [{ data: { k: 'w' } }], 'application/merge-patch+json'), 400, 'BadRequest');
    rejected(await api.patch(deployments('target'), [{ spec: { replicas: 4 } }], 'application/strategic-merge-patch+json'), 400, 'BadRequest');
  });

  test('a patch body that is not JSON', async () => {
    rejected(await api.patch(cm('target'), '{"data": ', 'application/merge-patch+json'), 400, 'BadRequest', 'unexpected end of JSON input');
    rejected(await api.patch(cm('target'), 'not json', 'application/json-patch+json'), 400, 'BadRequest', "invalid character 'o' in literal null (expecting 'u')");
  });

  test('an unsupported patch content type is 415', async () => {
    rejected(
      await api.patch(cm('target'), { data: { k: 'w' } }, 'text/plain'),
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
    );
    rejected(
      await api.request('POST', cm(), { body: 'name=x', contentType: 'application/x-www-form-urlencoded' }),
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    );
  });
});

describe('requests the server does not serve', () => {
  test('unknown resources, groups and subresources are 404', async () => {
    for (const path of [`/api/v1/namespaces/${ns}/widgets`, '/apis/example.com/v1/widgets', `/api/v1/namespaces/${ns}/configmaps/target/bogus`, '/api/v2/pods', '/nonsense']) {
      rejected(await api.get(path), 404, 'NotFound', 'the server could not find the requested resource');
    }
    rejected(await api.get(cm('missing')), 404, 'NotFound', 'configmaps "missing" not found');
    rejected(await api.get(deployments('missing')), 404, 'NotFound', 'deployments.apps "missing" not found');
  });

  test('methods a path does not serve are 405', async () => {
    rejected(await api.put(cm(), { metadata: { name: 'x' } }), 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    rejected(await api.post(cm('target'), { metadata: { name: 'target' } }), 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    rejected(await api.patch(cm(), { data: {} }, 'application/merge-patch+json'), 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    rejected(await api.request('DELETE', `/api/v1/namespaces/${ns}/pods/x/binding`), 405, 'MethodNotAllowed');
  });
});

describe('bad query parameters', () => {
  test('a bad label selector is 400', async () => {
    rejected(await api.get(`${cm()}?labelSelector=${encodeURIComponent('app in (web')}`), 400, 'BadRequest', /^unable to parse requirement: /);
    rejected(await api.get(`${cm()}?labelSelector=${encodeURIComponent('app=we b')}`), 400, 'BadRequest');
    rejected(await api.get(`${cm()}?watch=true&labelSelector=${encodeURIComponent('!')}`), 400, 'BadRequest');
  });

  test('a bad field selector is 400', async () => {
    rejected(await api.get(`${cm()}?fieldSelector=${encodeURIComponent('metadata.name')}`), 400, 'BadRequest', /^invalid field selector: /);
  });

  test('a bad resourceVersion is 400', async () => {
    const message = 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax';
    rejected(await api.get(`${cm()}?resourceVersion=abc`), 400, 'BadRequest', message);
    rejected(await api.get(`${cm()}?resourceVersion=abc&limit=5`), 400, 'BadRequest', message);
    rejected(await api.get(`${cm()}?watch=true&resourceVersion=abc`), 400, 'BadRequest', message);
  });

  test('other malformed options are 400', async () => {
    rejected(await api.get(`${cm()}?limit=ten`), 400, 'BadRequest');
    rejected(await api.post(`${cm()}?dryRun=Some`, { metadata: { name: 'x' } }), 400, 'BadRequest');
    rejected(await api.post(`${cm()}?fieldValidation=Loose`, { metadata: { name: 'x' } }), 400, 'BadRequest');
    rejected(await api.delete(cm('target'), { propagationPolicy: 'Sideways' }), 422, 'Invalid');
    rejected(await api.get(`${cm()}?watch=true&timeoutSeconds=soon`), 400, 'BadRequest');
    expect((await api.get(cm('x'))).status).toBe(404);
  });
});

describe('writers racing a delete', () => {
  test('a delete that loses every retry to other writers is 409 Conflict, not a store error', async () => {
    expect((await api.post(cm(), { metadata: { name: 'contested' }, data: { k: 'v' } })).status).toBe(201);
    const store = cluster.kernel.storeForTools!;
    const original = store.delete.bind(store);
    // Another writer always gets there first.
    store.delete = () => Promise.reject(new StoreError('RevisionMismatch', 'the key was modified meanwhile'));
    try {
      rejected(await api.delete(cm('contested')), 409, 'Conflict', /^Operation cannot be fulfilled on configmaps "contested": /);
    } finally {
      store.delete = original;
    }
    expect((await api.delete(cm('contested'))).status).toBe(200);
  });

  test('a patch that loses to a write not yet durable waits for it and applies on top', async () => {
    expect((await api.post(cm(), { metadata: { name: 'racy' }, data: { a: '1' } })).status).toBe(201);
    const store = cluster.kernel.storeForTools!;
    const key = `/registry/core/configmaps/${ns}/racy`;
    const kv = (await store.get(key))!;
    // Another writer's update, pending in the store's commit batch while the patch reads and writes.
    const stored = JSON.parse(kv.value) as { data: Record<string, string> };
    const other = store.update(key, JSON.stringify({ ...stored, data: { ...stored.data, b: '2' } }), kv.modRevision);
    const res = await api.patch(cm('racy'), { data: { c: '3' } }, 'application/merge-patch+json');
    await other;
    expect(res.status).toBe(200);
    expect(res.json().data).toEqual({ a: '1', b: '2', c: '3' });
  });
});
