/**
 * What a request URL addresses, parsed the way Kubernetes' RequestInfoFactory
 * does: API prefix, group, version, namespace, resource, name, subresource,
 * and the verb implied by the method and query.
 */

export interface RequestInfo {
  readonly isResourceRequest: boolean;
  readonly path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection (resource requests); the lower-case HTTP method otherwise. */
  readonly verb: string;
  readonly apiPrefix?: 'api' | 'apis';
  readonly group: string;
  readonly version: string;
  readonly namespace?: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly name?: string;
  /** Remaining path segments after the subresource (proxy paths). */
  readonly rest: readonly string[];
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const lower = method.toLowerCase();
  const nonResource: RequestInfo = { isResourceRequest: false, path, verb: lower, group: '', version: '', resource: '', rest: [] };
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length < 2 || (parts[0] !== 'api' && parts[0] !== 'apis')) return nonResource;
  const apiPrefix = parts[0] as 'api' | 'apis';
  let rest = parts.slice(1);
  let group = '';
  if (apiPrefix === 'apis') {
    if (rest.length < 2) return { ...nonResource, apiPrefix, group: rest[0] ?? '' };
    group = rest[0];
    rest = rest.slice(1);
  }
  const version = rest[0];
  rest = rest.slice(1);
  if (rest.length === 0) return { ...nonResource, apiPrefix, group, version };

  let verb = '';
  // Deprecated /watch/ path prefix.
  if (rest[0] === 'watch') {
    verb = 'watch';
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  const resource = rest[0];
  const name = rest[1];
  const subresource = rest[2];
  const tail = rest.slice(3);

  if (!verb) {
    switch (lower) {
      case 'get':
      case 'head':
        verb = name ? 'get' : 'list';
        if (isTrue(query.get('watch'))) verb = 'watch';
        break;
      case 'post':
        verb = 'create';
        break;
      case 'put':
        verb = 'update';
        break;
      case 'patch':
        verb = 'patch';
        break;
      case 'delete':
        verb = name ? 'delete' : 'deletecollection';
        break;
      default:
        verb = lower;
    }
  }
  // A watch of a single object by name is a watch on the collection with a name filter.
  return { isResourceRequest: true, path, verb, apiPrefix, group, version, namespace, resource, name, subresource, rest: tail };
}

export function isTrue(value: string | null | undefined): boolean {
  return value === 'true' || value === '1';
}
