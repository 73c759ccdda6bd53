/** Routes serving OpenAPI documents (and legacy discovery) from a FakeApiServer, as kube-apiserver does. */
import crypto from 'node:crypto';
import type { OpenApiDocuments } from '../../../../kernel/api/openapi/documents';
import { OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_ACCEPT, encodeOpenApiV2 } from '../../../../kernel/api/openapi/v2-protobuf';
import type { ResourceDefinition } from '../../../../kernel/api/resource';
import { Route, discoveryRoute } from '../protobuf/fake-apiserver';

/** Edits a test applies to the documents before serving them (the v2 one before protobuf encoding). */
export type DocumentEdit = (document: Record<string, any>) => void;

/** Drop the fieldValidation parameter everywhere, as servers older than Kubernetes 1.25 had it. */
export const withoutFieldValidation: DocumentEdit = (doc) => {
  for (const item of Object.values(doc.paths as Record<string, Record<string, any>>)) {
    for (const op of Object.values(item)) {
      if (op && Array.isArray(op.parameters)) op.parameters = op.parameters.filter((p: { name?: string }) => p.name !== 'fieldValidation');
    }
  }
};

export function openApiRoutes(docs: OpenApiDocuments, resources: ResourceDefinition[], edit?: DocumentEdit): Route {
  const discovery = discoveryRoute(resources.map((r) => ({ groupVersion: r.group ? `${r.group}/${r.version}` : r.version, name: r.plural, kind: r.kind, namespaced: r.namespaced, verbs: [...(r.verbs ?? [])] })));
  const v3 = new Map<string, string>();
  for (const gv of docs.groupVersions()) {
    const doc = JSON.parse(docs.v3Document(gv)!.body);
    edit?.(doc);
    v3.set(gv, JSON.stringify(doc));
  }
  const v2Doc = JSON.parse(docs.v2().json());
  edit?.(v2Doc);
  const v2Json = JSON.stringify(v2Doc);
  const v2Protobuf = edit ? encodeOpenApiV2(v2Doc) : docs.v2().protobuf();
  const hash = (s: string) => crypto.createHash('sha512').update(s).digest('hex').toUpperCase();
  return (req) => {
    if (req.method === 'GET' && req.path === '/openapi/v3') {
      return { body: { paths: Object.fromEntries([...v3].map(([gv, body]) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash(body)}` }])) } };
    }
    if (req.method === 'GET' && req.path.startsWith('/openapi/v3/')) {
      const body = v3.get(req.path.slice('/openapi/v3/'.length));
      return body ? { body } : undefined;
    }
    if (req.method === 'GET' && req.path === '/openapi/v2') {
      return OPENAPI_V2_PROTOBUF_ACCEPT.test(String(req.headers.accept)) ? { contentType: OPENAPI_V2_PROTOBUF, body: v2Protobuf } : { body: v2Json };
    }
    return discovery(req);
  };
}
