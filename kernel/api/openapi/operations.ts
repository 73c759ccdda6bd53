/**
 * The REST operations of served resources, as Kubernetes' API server installs
 * them, in a form both OpenAPI renderings (v3 and v2) share: paths, methods,
 * `x-kubernetes-action`, the group/version/kind, parameters, bodies and
 * responses by definition name.
 */
import { ALL_VERBS, ResourceDefinition, SubresourceDefinition, Verb } from '../resource';
import { NAMESPACE_PARAMETER, NAME_PARAMETER, PARAMETERS, PROXY_PATH_PARAMETER, ParameterSpec, QUERY_PARAMETERS } from './parameters';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';
export type Action = 'get' | 'list' | 'watch' | 'watchlist' | 'put' | 'post' | 'patch' | 'delete' | 'deletecollection' | 'connect';

export interface Gvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** What a request or response body holds: a definition, or plain text (logs, connect streams). */
export type BodySchema = { readonly definition: string } | { readonly text: true };

export interface ResponseSpec {
  readonly code: string;
  readonly description: string;
  readonly schema?: BodySchema;
}

export interface OperationSpec {
  readonly method: HttpMethod;
  readonly action: Action;
  readonly operationId: string;
  readonly description: string;
  readonly tag: string;
  readonly gvk: Gvk;
  readonly parameters: readonly ParameterSpec[];
  readonly body?: { readonly schema: BodySchema; readonly required: boolean; readonly patch?: boolean };
  readonly responses: readonly ResponseSpec[];
  /** list and watch responses may also be streams of watch events. */
  readonly streams?: boolean;
}

export interface PathSpec {
  readonly path: string;
  /** Path-level parameters: path parameters and `pretty`. */
  readonly parameters: readonly ParameterSpec[];
  readonly operations: OperationSpec[];
}

/** Patch content types Kubernetes accepts; client-side apply needs strategic merge listed. */
export const PATCH_CONTENT_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const STATUS = `${META}.Status`;
export const DELETE_OPTIONS = `${META}.DeleteOptions`;
export const WATCH_EVENT = `${META}.WatchEvent`;
export const PATCH = `${META}.Patch`;
export const API_RESOURCE_LIST = `${META}.APIResourceList`;

/** Subresources that stream rather than carry objects. */
const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** Resolves a kind to the name of its definition (real or synthetic). */
export type DefinitionNamer = (gvk: Gvk) => string;

const OK = 'OK';

/** `apps` -> `Apps`, `rbac.authorization.k8s.io` -> `RbacAuthorization`, `` -> `Core`: operation id prefixes as Kubernetes forms them. */
export function groupIdentifier(group: string): string {
  if (!group) return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split(/[.-]/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}

/** The tag Kubernetes groups operations under: `core_v1`, `apps_v1`, `rbacAuthorization_v1`. */
export function groupVersionTag(group: string, version: string): string {
  const id = groupIdentifier(group);
  return `${id[0].toLowerCase()}${id.slice(1)}_${version}`;
}

/** The URL prefix of a group version: `/api/v1`, `/apis/apps/v1`. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/**
 * All paths of the given resources of one group version, plus the group
 * version's discovery path. Paths come out in a stable order.
 */
export function groupVersionPaths(group: string, version: string, resources: readonly ResourceDefinition[], definitionOf: DefinitionNamer): PathSpec[] {
  const paths = new Map<string, PathSpec>();
  const prefix = groupVersionPath(group, version);
  const gvId = `${groupIdentifier(group)}${version[0].toUpperCase()}${version.slice(1)}`;
  const tag = groupVersionTag(group, version);
  const at = (path: string, parameters: readonly ParameterSpec[]): PathSpec => {
    let spec = paths.get(path);
    if (!spec) {
      spec = { path, parameters: [...parameters, PARAMETERS.pretty], operations: [] };
      paths.set(path, spec);
    }
    return spec;
  };

  at(`${prefix}/`, []).operations.push({
    method: 'get',
    action: 'get',
    operationId: `get${gvId}APIResources`,
    description: 'The resources this group version serves (discovery).',
    tag,
    gvk: { group: '', version: 'v1', kind: 'APIResourceList' },
    parameters: [],
    responses: [{ code: '200', description: OK, schema: { definition: API_RESOURCE_LIST } }],
  });

  for (const r of resources) {
    if (r.group !== group || r.version !== version) continue;
    const verbs = new Set<Verb>(r.verbs ?? ALL_VERBS);
    const gvk: Gvk = { group: r.group, version: r.version, kind: r.kind };
    const kindDef = { definition: definitionOf(gvk) };
    const listDef = { definition: definitionOf({ ...gvk, kind: r.listKind ?? `${r.kind}List` }) };
    const ns = r.namespaced ? 'Namespaced' : '';
    const base = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
    const baseParams = r.namespaced ? [NAMESPACE_PARAMETER] : [];
    const itemParams = [NAME_PARAMETER, ...baseParams];
    const op = (o: Omit<OperationSpec, 'tag' | 'gvk'> & { gvk?: Gvk }): OperationSpec => ({ tag, gvk, ...o });
    const kind = r.kind;

    if (verbs.has('list')) {
      at(base, baseParams).operations.push(op({
        method: 'get', action: 'list', operationId: `list${gvId}${ns}${kind}`, description: `List ${kind} objects, or watch them with watch=true.`,
        parameters: QUERY_PARAMETERS.list, responses: [{ code: '200', description: OK, schema: listDef }], streams: true,
      }));
    }
    if (verbs.has('create')) {
      at(base, baseParams).operations.push(op({
        method: 'post', action: 'post', operationId: `create${gvId}${ns}${kind}`, description: `Create ${article(kind)} ${kind}.`,
        parameters: QUERY_PARAMETERS.post, body: { schema: kindDef, required: true },
        responses: [{ code: '200', description: OK, schema: kindDef }, { code: '201', description: 'Created', schema: kindDef }, { code: '202', description: 'Accepted', schema: kindDef }],
      }));
    }
    if (verbs.has('deletecollection')) {
      at(base, baseParams).operations.push(op({
        method: 'delete', action: 'deletecollection', operationId: `delete${gvId}Collection${ns}${kind}`, description: `Delete the ${kind} objects the selectors match.`,
        parameters: QUERY_PARAMETERS.deletecollection, body: { schema: { definition: DELETE_OPTIONS }, required: false },
        responses: [{ code: '200', description: OK, schema: { definition: STATUS } }],
      }));
    }
    if (verbs.has('get')) {
      at(`${base}/{name}`, itemParams).operations.push(op({
        method: 'get', action: 'get', operationId: `read${gvId}${ns}${kind}`, description: `Read one ${kind}.`,
        parameters: QUERY_PARAMETERS.get, responses: [{ code: '200', description: OK, schema: kindDef }],
      }));
    }
    if (verbs.has('update')) {
      at(`${base}/{name}`, itemParams).operations.push(op({
        method: 'put', action: 'put', operationId: `replace${gvId}${ns}${kind}`, description: `Replace one ${kind}.`,
        parameters: QUERY_PARAMETERS.put, body: { schema: kindDef, required: true },
        responses: [{ code: '200', description: OK, schema: kindDef }, { code: '201', description: 'Created', schema: kindDef }],
      }));
    }
    if (verbs.has('delete')) {
      at(`${base}/{name}`, itemParams).operations.push(op({
        method: 'delete', action: 'delete', operationId: `delete${gvId}${ns}${kind}`, description: `Delete one ${kind}.`,
        parameters: QUERY_PARAMETERS.delete, body: { schema: { definition: DELETE_OPTIONS }, required: false },
        responses: [{ code: '200', description: OK, schema: kindDef }, { code: '202', description: 'Accepted', schema: kindDef }],
      }));
    }
    if (verbs.has('patch')) {
      at(`${base}/{name}`, itemParams).operations.push(op({
        method: 'patch', action: 'patch', operationId: `patch${gvId}${ns}${kind}`, description: `Patch one ${kind}: JSON patch, merge patch, strategic merge patch or apply.`,
        parameters: QUERY_PARAMETERS.patch, body: { schema: { definition: PATCH }, required: true, patch: true },
        responses: [{ code: '200', description: OK, schema: kindDef }, { code: '201', description: 'Created', schema: kindDef }],
      }));
    }
    if (verbs.has('watch')) {
      const watchBase = r.namespaced ? `${prefix}/watch/namespaces/{namespace}/${r.plural}` : `${prefix}/watch/${r.plural}`;
      const watchResponse = [{ code: '200', description: OK, schema: { definition: WATCH_EVENT } }];
      at(watchBase, baseParams).operations.push(op({
        method: 'get', action: 'watchlist', operationId: `watch${gvId}${ns}${kind}List`, description: `Watch ${kind} objects. Deprecated: list with watch=true.`,
        parameters: QUERY_PARAMETERS.list, responses: watchResponse, streams: true,
      }));
      at(`${watchBase}/{name}`, [NAME_PARAMETER, ...baseParams]).operations.push(op({
        method: 'get', action: 'watch', operationId: `watch${gvId}${ns}${kind}`, description: `Watch one ${kind}. Deprecated: list with watch=true and a metadata.name field selector.`,
        parameters: QUERY_PARAMETERS.list, responses: watchResponse, streams: true,
      }));
    }
    if (r.namespaced && verbs.has('list')) {
      at(`${prefix}/${r.plural}`, []).operations.push(op({
        method: 'get', action: 'list', operationId: `list${gvId}${kind}ForAllNamespaces`, description: `List ${kind} objects, or watch them with watch=true.`,
        parameters: QUERY_PARAMETERS.list, responses: [{ code: '200', description: OK, schema: listDef }], streams: true,
      }));
    }
    if (r.namespaced && verbs.has('watch')) {
      at(`${prefix}/watch/${r.plural}`, []).operations.push(op({
        method: 'get', action: 'watchlist', operationId: `watch${gvId}${kind}ListForAllNamespaces`, description: `Watch ${kind} objects. Deprecated: list with watch=true.`,
        parameters: QUERY_PARAMETERS.list, responses: [{ code: '200', description: OK, schema: { definition: WATCH_EVENT } }], streams: true,
      }));
    }
    for (const sub of r.subresources ?? []) subresourceOperations(r, sub, { base, itemParams, gvId, ns, tag, at, definitionOf });
  }
  return [...paths.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface SubresourceContext {
  base: string;
  itemParams: ParameterSpec[];
  gvId: string;
  ns: string;
  tag: string;
  at: (path: string, parameters: readonly ParameterSpec[]) => PathSpec;
  definitionOf: DefinitionNamer;
}

function subresourceOperations(r: ResourceDefinition, sub: SubresourceDefinition, c: SubresourceContext): void {
  const subId = sub.name[0].toUpperCase() + sub.name.slice(1);
  const gvk: Gvk = { group: sub.group ?? r.group, version: sub.version ?? r.version, kind: sub.kind };
  const path = `${c.base}/{name}/${sub.name}`;
  const verbs = new Set(sub.verbs);
  const push = (p: string, params: ParameterSpec[], o: Omit<OperationSpec, 'tag' | 'gvk'>) => c.at(p, params).operations.push({ tag: c.tag, gvk, ...o });

  if (CONNECT_SUBRESOURCES.has(sub.name)) {
    const methods: HttpMethod[] = sub.name === 'proxy' ? ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] : [...verbs].map(verbMethod).filter((m): m is HttpMethod => !!m);
    const text: BodySchema = { text: true };
    for (const method of methods) {
      const M = method[0].toUpperCase() + method.slice(1);
      const connect = { method, action: 'connect' as const, description: `${method.toUpperCase()} the ${sub.name} stream of one ${r.kind}.`, parameters: [], responses: [{ code: '200', description: OK, schema: text }] };
      push(path, c.itemParams, { ...connect, operationId: `connect${c.gvId}${M}${c.ns}${r.kind}${subId}` });
      if (sub.name === 'proxy') push(`${path}/{path}`, [...c.itemParams, PROXY_PATH_PARAMETER], { ...connect, operationId: `connect${c.gvId}${M}${c.ns}${r.kind}${subId}WithPath` });
    }
    return;
  }
  if (sub.name === 'log') {
    if (verbs.has('get')) push(path, c.itemParams, { method: 'get', action: 'get', operationId: `read${c.gvId}${c.ns}${r.kind}${subId}`, description: `Read the ${sub.name} of one ${r.kind}.`, parameters: [], responses: [{ code: '200', description: OK, schema: { text: true } }] });
    return;
  }
  const def = { definition: c.definitionOf(gvk) };
  if (verbs.has('get')) push(path, c.itemParams, { method: 'get', action: 'get', operationId: `read${c.gvId}${c.ns}${r.kind}${subId}`, description: `Read the ${sub.name} of one ${r.kind}.`, parameters: QUERY_PARAMETERS.get, responses: [{ code: '200', description: OK, schema: def }] });
  if (verbs.has('create')) {
    push(path, c.itemParams, {
      method: 'post', action: 'post', operationId: `create${c.gvId}${c.ns}${r.kind}${subId}`, description: `Create the ${sub.name} of one ${r.kind}.`,
      parameters: QUERY_PARAMETERS.post, body: { schema: def, required: true },
      responses: [{ code: '200', description: OK, schema: def }, { code: '201', description: 'Created', schema: def }, { code: '202', description: 'Accepted', schema: def }],
    });
  }
  if (verbs.has('update')) {
    push(path, c.itemParams, {
      method: 'put', action: 'put', operationId: `replace${c.gvId}${c.ns}${r.kind}${subId}`, description: `Replace the ${sub.name} of one ${r.kind}.`,
      parameters: QUERY_PARAMETERS.put, body: { schema: def, required: true },
      responses: [{ code: '200', description: OK, schema: def }, { code: '201', description: 'Created', schema: def }],
    });
  }
  if (verbs.has('patch')) {
    push(path, c.itemParams, {
      method: 'patch', action: 'patch', operationId: `patch${c.gvId}${c.ns}${r.kind}${subId}`, description: `Patch the ${sub.name} of one ${r.kind}.`,
      parameters: QUERY_PARAMETERS.patch, body: { schema: { definition: PATCH }, required: true, patch: true },
      responses: [{ code: '200', description: OK, schema: def }, { code: '201', description: 'Created', schema: def }],
    });
  }
}

function verbMethod(verb: Verb): HttpMethod | undefined {
  return ({ get: 'get', create: 'post', update: 'put', patch: 'patch', delete: 'delete' } as Partial<Record<Verb, HttpMethod>>)[verb];
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}
