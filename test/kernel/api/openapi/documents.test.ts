import crypto from 'node:crypto';
import { OpenApiDocuments } from '../../../../kernel/api/openapi/documents';
import { builtinSchemaRegistry } from '../../../../kernel/api/openapi/builtin';
import { references } from '../../../../kernel/api/openapi/closure';
import { decodeOpenApiV2, encodeOpenApiV2 } from '../../../../kernel/api/openapi/v2-protobuf';
import type { OpenApiSchema } from '../../../../kernel/api/openapi/types';
import { RESOURCES } from './resources';

const docs = new OpenApiDocuments(RESOURCES, builtinSchemaRegistry(), { version: 'v1.33.0' });
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
type Op = Record<string, any>;

function operations(doc: { paths: Record<string, Record<string, unknown>> }): Array<[string, string, Op]> {
  return Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => [path, m, item[m] as Op] as [string, string, Op]));
}

/** Every `$ref` anywhere in a JSON value. */
function allRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => allRefs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else allRefs(v, out);
    }
  }
  return out;
}

describe('OpenAPI v3 documents', () => {
  it('index lists every served group version with the hash of its document', () => {
    const index = docs.v3Index();
    expect(Object.keys(index.paths)).toEqual([
      'api/v1',
      'apis/apps/v1',
      'apis/authentication.k8s.io/v1',
      'apis/authorization.k8s.io/v1',
      'apis/batch/v1',
      'apis/coordination.k8s.io/v1',
      'apis/discovery.k8s.io/v1',
      'apis/events.k8s.io/v1',
      'apis/example.com/v1alpha1',
      'apis/rbac.authorization.k8s.io/v1',
      'apis/scheduling.k8s.io/v1',
    ]);
    for (const [gv, { serverRelativeURL }] of Object.entries(index.paths)) {
      const doc = docs.v3Document(gv)!;
      const hash = crypto.createHash('sha512').update(doc.body).digest('hex').toUpperCase();
      expect(serverRelativeURL).toBe(`/openapi/v3/${gv}?hash=${hash}`);
      expect(doc.etag).toBe(hash);
    }
  });

  it('hashes are stable across instances and change with the resources', () => {
    const again = new OpenApiDocuments(RESOURCES, builtinSchemaRegistry(), { version: 'v1.33.0' });
    expect(again.v3Index()).toEqual(docs.v3Index());
    const fewer = new OpenApiDocuments(RESOURCES.filter((r) => r.kind !== 'Secret'), builtinSchemaRegistry(), { version: 'v1.33.0' });
    expect(fewer.v3Index().paths['api/v1']).not.toEqual(docs.v3Index().paths['api/v1']);
    expect(fewer.v3Index().paths['apis/apps/v1']).toEqual(docs.v3Index().paths['apis/apps/v1']);
  });

  it('is undefined for group versions that are not served', () => {
    expect(docs.v3Document('apis/apps/v2')).toBeUndefined();
    expect(docs.v3Document('apis/nope')).toBeUndefined();
  });

  it.each(docs.groupVersions())('%s: every $ref resolves within the document', (gv) => {
    const doc = docs.v3Document(gv)!.document;
    expect(doc.openapi).toBe('3.0.0');
    const schemas = doc.components.schemas;
    const dangling = allRefs(doc).filter((r) => !schemas[r.replace('#/components/schemas/', '')] || !r.startsWith('#/components/schemas/'));
    expect(dangling).toEqual([]);
    // Nothing unused either: the components are the closure of what operations use.
    const used = new Set(allRefs(doc.paths).map((r) => r.replace('#/components/schemas/', '')));
    const reachable = new Set<string>();
    const visit = (n: string): void => {
      if (reachable.has(n)) return;
      reachable.add(n);
      references(schemas[n] as OpenApiSchema).forEach(visit);
    };
    used.forEach(visit);
    expect(Object.keys(schemas).sort()).toEqual([...reachable].sort());
  });

  it.each(docs.groupVersions())('%s: every operation says its action and kind, and the kind has a schema', (gv) => {
    const doc = docs.v3Document(gv)!.document;
    const schemaKinds = Object.values(doc.components.schemas).flatMap((s) => s['x-kubernetes-group-version-kind'] ?? []);
    for (const [path, method, op] of operations(doc)) {
      expect([path, method, typeof op['x-kubernetes-action']]).toEqual([path, method, 'string']);
      const gvk = op['x-kubernetes-group-version-kind'];
      expect(Object.keys(gvk).sort()).toEqual(['group', 'kind', 'version']);
      // Streams (exec, log) carry options kinds, not objects with a schema.
      if (op['x-kubernetes-action'] !== 'connect' && !path.endsWith('/log')) expect([path, method, schemaKinds]).toEqual([path, method, expect.arrayContaining([gvk])]);
    }
  });

  it('pods: the paths and operations Kubernetes serves', () => {
    const doc = docs.v3Document('api/v1')!.document;
    const actions = (path: string) => Object.fromEntries(METHODS.filter((m) => doc.paths[path]?.[m]).map((m) => [m, (doc.paths[path][m] as Op)['x-kubernetes-action']]));
    expect(actions('/api/v1/namespaces/{namespace}/pods')).toEqual({ get: 'list', post: 'post', delete: 'deletecollection' });
    expect(actions('/api/v1/namespaces/{namespace}/pods/{name}')).toEqual({ get: 'get', put: 'put', delete: 'delete', patch: 'patch' });
    expect(actions('/api/v1/namespaces/{namespace}/pods/{name}/status')).toEqual({ get: 'get', put: 'put', patch: 'patch' });
    expect(actions('/api/v1/namespaces/{namespace}/pods/{name}/binding')).toEqual({ post: 'post' });
    expect(actions('/api/v1/namespaces/{namespace}/pods/{name}/exec')).toEqual({ get: 'connect', post: 'connect' });
    expect(actions('/api/v1/namespaces/{namespace}/pods/{name}/log')).toEqual({ get: 'get' });
    expect(actions('/api/v1/pods')).toEqual({ get: 'list' });
    expect(actions('/api/v1/watch/namespaces/{namespace}/pods')).toEqual({ get: 'watchlist' });
    expect(actions('/api/v1/watch/namespaces/{namespace}/pods/{name}')).toEqual({ get: 'watch' });
    expect(actions('/api/v1/watch/pods')).toEqual({ get: 'watchlist' });
    expect(actions('/api/v1/namespaces')).toEqual({ get: 'list', post: 'post', delete: 'deletecollection' });
    expect(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].parameters).toEqual([
      expect.objectContaining({ name: 'name', in: 'path', required: true }),
      expect.objectContaining({ name: 'namespace', in: 'path', required: true }),
      expect.objectContaining({ name: 'pretty', in: 'query' }),
    ]);
    const eviction = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post as Op;
    expect(eviction['x-kubernetes-group-version-kind']).toEqual({ group: 'policy', kind: 'Eviction', version: 'v1' });
    expect(doc.components.schemas['io.k8s.api.policy.v1.Eviction']).toBeDefined();
  });

  it('PATCH operations accept all patch types, strategic merge included, and declare fieldValidation', () => {
    for (const gv of docs.groupVersions()) {
      for (const [path, method, op] of operations(docs.v3Document(gv)!.document)) {
        if (method !== 'patch' || op['x-kubernetes-action'] === 'connect') continue;
        expect([path, Object.keys(op.requestBody.content)]).toEqual([
          path,
          ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'],
        ]);
        expect([path, op.parameters.map((p: { name: string }) => p.name)]).toEqual([path, ['dryRun', 'fieldManager', 'fieldValidation', 'force']]);
      }
    }
  });

  it('create and replace declare dryRun, fieldManager and fieldValidation; list has the watch and paging parameters', () => {
    const doc = docs.v3Document('apis/apps/v1')!.document;
    const names = (path: string, method: string) => ((doc.paths[path][method] as Op).parameters ?? []).map((p: { name: string }) => p.name);
    expect(names('/apis/apps/v1/namespaces/{namespace}/deployments', 'post')).toEqual(['dryRun', 'fieldManager', 'fieldValidation']);
    expect(names('/apis/apps/v1/namespaces/{namespace}/deployments/{name}', 'put')).toEqual(['dryRun', 'fieldManager', 'fieldValidation']);
    expect(names('/apis/apps/v1/namespaces/{namespace}/deployments', 'get')).toEqual(
      expect.arrayContaining(['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch']),
    );
    expect(names('/apis/apps/v1/namespaces/{namespace}/deployments/{name}', 'delete')).toEqual(expect.arrayContaining(['dryRun', 'gracePeriodSeconds', 'propagationPolicy']));
    const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].put as Op;
    expect(scale['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', kind: 'Scale', version: 'v1' });
    expect(scale.requestBody.content['*/*'].schema).toEqual({ $ref: '#/components/schemas/io.k8s.api.autoscaling.v1.Scale' });
    const list = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].get as Op;
    expect(Object.keys(list.responses['200'].content)).toEqual(['application/json', 'application/json;stream=watch', 'application/yaml']);
  });

  it('a kind without a registered schema gets a permissive one, and its list one', () => {
    const doc = docs.v3Document('apis/example.com/v1alpha1')!.document;
    expect(doc.components.schemas['com.example.v1alpha1.Widget']).toMatchObject({
      'x-kubernetes-preserve-unknown-fields': true,
      'x-kubernetes-group-version-kind': [{ group: 'example.com', kind: 'Widget', version: 'v1alpha1' }],
    });
    expect(doc.components.schemas['com.example.v1alpha1.WidgetList'].properties?.items).toEqual({ type: 'array', items: { $ref: '#/components/schemas/com.example.v1alpha1.Widget' } });
  });
});

describe('OpenAPI v2 document', () => {
  const v2 = docs.v2();
  const doc = v2.document;

  it('has every path of every group version and only #/definitions refs, all resolving', () => {
    expect(doc.swagger).toBe('2.0');
    const v3Paths = docs.groupVersions().flatMap((gv) => Object.keys(docs.v3Document(gv)!.document.paths));
    expect(Object.keys(doc.paths).sort()).toEqual(v3Paths.sort());
    const refs = allRefs(doc);
    expect(refs.filter((r) => !r.startsWith('#/definitions/') || !doc.definitions[r.slice('#/definitions/'.length)])).toEqual([]);
  });

  it('renders allOf-wrapped refs as $ref with siblings, and IntOrString as Kubernetes does in v2', () => {
    const pod = doc.definitions['io.k8s.api.core.v1.Pod'];
    expect(pod.properties?.metadata).toMatchObject({ $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', description: expect.any(String) });
    expect(JSON.stringify(doc.definitions)).not.toContain('"allOf"');
    expect(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({ type: 'string', format: 'int-or-string' });
    const strategy = doc.definitions['io.k8s.api.apps.v1.DeploymentSpec'].properties?.strategy;
    expect(strategy).toMatchObject({ $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy', 'x-kubernetes-patch-strategy': 'retainKeys' });
  });

  it('operations carry bodies as body parameters and patch consumes the patch types', () => {
    const patch = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch as Op;
    expect(patch.consumes).toContain('application/strategic-merge-patch+json');
    expect(patch.parameters[0]).toEqual({ in: 'body', name: 'body', required: true, schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } });
    expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', kind: 'Pod', version: 'v1' });
  });

  it('round-trips through gnostic protobuf', () => {
    const bytes = v2.protobuf();
    expect(decodeOpenApiV2(bytes)).toEqual(JSON.parse(v2.json()));
  });

  it('encodes vendor extensions as YAML, the way kubectl reads GVKs', () => {
    const bytes = encodeOpenApiV2({ swagger: '2.0', info: { title: 't', version: 'v' }, paths: {}, definitions: { X: { type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-group-version-kind': [{ group: '', kind: 'X', version: 'v1' }] } } });
    const text = Buffer.from(bytes).toString('latin1');
    expect(text).toContain('x-kubernetes-group-version-kind');
    expect(text).toContain('- group: ""\n  kind: X\n  version: v1\n');
  });

  it('refuses Swagger constructs it cannot encode', () => {
    expect(() => encodeOpenApiV2({ swagger: '2.0', paths: {}, definitions: { X: { oneOf: [{ type: 'string' }] } } })).toThrow(/definitions.X: schema keyword oneOf is not supported/);
  });
});
