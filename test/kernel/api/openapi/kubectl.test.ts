/**
 * Real kubectl against the documents, served with legacy discovery from a
 * minimal HTTP fixture: explain (v3 and v2), client-side validation against
 * the v2 protobuf document, server-side field validation found in the v3
 * documents, and client-side apply computing a strategic merge patch from a
 * schema's merge keys.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OpenApiDocuments } from '../../../../kernel/api/openapi/documents';
import { builtinSchemaRegistry } from '../../../../kernel/api/openapi/builtin';
import { FakeApiServer, RecordedRequest, Route } from '../protobuf/fake-apiserver';
import { RESOURCES } from './resources';
import { WIDGET_SCHEMAS } from './widget';
import { openApiRoutes, withoutFieldValidation } from './serve-documents';

const registry = builtinSchemaRegistry();
registry.add(WIDGET_SCHEMAS);
const docs = new OpenApiDocuments(RESOURCES, registry, { version: 'v1.33.0' });

async function withServer(route: Route, run: (server: FakeApiServer) => Promise<void>): Promise<void> {
  const server = await FakeApiServer.start(route);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

const POD_WITH_UNKNOWN_FIELD = `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: default
spec:
  containers:
  - name: c
    image: busybox
  nodeSelectr:
    disk: ssd
`;

const WIDGET_APPLIED = {
  apiVersion: 'example.com/v1alpha1',
  kind: 'Widget',
  metadata: { name: 'w', namespace: 'default' },
  spec: { parts: [{ name: 'a', size: 1 }, { name: 'b', size: 2 }] },
};

const WIDGET_LIVE = {
  ...WIDGET_APPLIED,
  metadata: {
    ...WIDGET_APPLIED.metadata,
    uid: 'u1',
    resourceVersion: '5',
    creationTimestamp: '2024-01-02T03:04:05Z',
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(WIDGET_APPLIED) },
  },
};

const writes = (server: FakeApiServer): RecordedRequest[] => server.requests.filter((r) => r.method !== 'GET');

describe.each(['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'])('kubectl %s', (version) => {
  it('explains pod.spec.containers from the v3 document', async () => {
    await withServer(openApiRoutes(docs, RESOURCES), async (server) => {
      const out = await server.kubectl(version, ['explain', 'pod.spec.containers']);
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/);
      expect(out.stdout).toContain('FIELD: containers <[]Container>');
      expect(out.stdout).toContain('List of containers belonging to the pod.');
      expect(out.stdout).toMatch(/\n {2}name\t<string> -required-\n/);
      expect(out.stdout).toMatch(/\n {2}ports\t<\[\]ContainerPort>\n/);
      expect(server.requests.some((r) => r.path === '/openapi/v3/api/v1' && r.query.has('hash'))).toBe(true);
    });
  });

  it('explains a kind of a named group with its GROUP line', async () => {
    await withServer(openApiRoutes(docs, RESOURCES), async (server) => {
      const out = await server.kubectl(version, ['explain', 'deployments.spec.strategy.rollingUpdate.maxSurge']);
      expect(out.stderr).toBe('');
      expect(out.stdout).toMatch(/^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
      expect(out.stdout).toContain('FIELD: maxSurge <IntOrString>');
    });
  });

  it('explains pods from the v2 protobuf document', async () => {
    await withServer(openApiRoutes(docs, RESOURCES), async (server) => {
      const out = await server.kubectl(version, ['explain', 'pods.spec', '--output=plaintext-openapiv2']);
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/);
      expect(out.stdout).toContain('RESOURCE: spec <Object>');
      expect(out.stdout).toMatch(/containers\t<\[\]Object> -required-/);
      const v2 = server.requests.filter((r) => r.path === '/openapi/v2');
      expect(v2.map((r) => r.headers.accept)).toEqual(['application/com.github.proto-openapi.spec.v2@v1.0+protobuf']);
    });
  });

  it('validates on the client against the v2 protobuf document when the server lacks fieldValidation', async () => {
    await withServer(openApiRoutes(docs, RESOURCES, withoutFieldValidation), async (server) => {
      fs.writeFileSync(path.join(server.dir, 'pod.yaml'), POD_WITH_UNKNOWN_FIELD);
      const out = await server.kubectl(version, ['create', '--validate=true', '-f', path.join(server.dir, 'pod.yaml')]);
      expect(out.code).toBe(1);
      // kube-openapi's validator walking the Pod model decoded from our protobuf.
      expect(out.stderr).toContain('ValidationError(Pod.spec): unknown field "nodeSelectr" in io.k8s.api.core.v1.PodSpec');
      expect(server.requests.some((r) => r.path === '/openapi/v2')).toBe(true);
      expect(writes(server)).toEqual([]);
    });
  });

  it('leaves validation to the server when the PATCH operation declares fieldValidation', async () => {
    const routes = openApiRoutes(docs, RESOURCES);
    await withServer(
      (req) => (req.method === 'POST' ? { status: 201, body: JSON.parse(req.body.toString()) } : routes(req)),
      async (server) => {
        fs.writeFileSync(path.join(server.dir, 'pod.yaml'), POD_WITH_UNKNOWN_FIELD);
        const out = await server.kubectl(version, ['create', '--validate=true', '-f', path.join(server.dir, 'pod.yaml')]);
        expect(out.stderr).toBe('');
        expect(out.stdout.trim()).toBe('pod/p created');
        const [post] = writes(server);
        expect(post.path).toBe('/api/v1/namespaces/default/pods');
        expect(post.query.get('fieldValidation')).toBe('Strict');
        expect(JSON.parse(post.body.toString()).spec.nodeSelectr).toEqual({ disk: 'ssd' });
      },
    );
  });

  it('computes a strategic merge patch from the merge keys of a kind kubectl does not know', async () => {
    const routes = openApiRoutes(docs, RESOURCES);
    await withServer(
      (req) => {
        if (req.path === '/apis/example.com/v1alpha1/namespaces/default/widgets/w' && (req.method === 'GET' || req.method === 'PATCH')) return { body: WIDGET_LIVE };
        return routes(req);
      },
      async (server) => {
        const next = { ...WIDGET_APPLIED, spec: { parts: [{ name: 'a', size: 10 }, { name: 'b', size: 2 }] } };
        fs.writeFileSync(path.join(server.dir, 'widget.json'), JSON.stringify(next));
        // --validate=false: only the patch computation reads the documents here.
        const out = await server.kubectl(version, ['apply', '--validate=false', '-f', path.join(server.dir, 'widget.json')]);
        expect(out.stderr).toBe('');
        expect(out.stdout.trim()).toBe('widget.example.com/w configured');
        const [patch] = writes(server);
        // Without a schema kubectl would send a JSON merge patch replacing the whole list.
        expect(patch.headers['content-type']).toBe('application/strategic-merge-patch+json');
        const body = JSON.parse(patch.body.toString());
        expect(body.spec['$setElementOrder/parts']).toEqual([{ name: 'a' }, { name: 'b' }]);
        expect(body.spec.parts).toEqual([{ name: 'a', size: 10 }]);
      },
    );
  });
});
