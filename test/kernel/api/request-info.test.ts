import { parseRequestInfo } from '../../../kernel/api/request-info';

const q = (s = '') => new URLSearchParams(s);

describe('request info', () => {
  test.each([
    ['GET', '/api/v1/namespaces/default/pods', '', { verb: 'list', group: '', version: 'v1', namespace: 'default', resource: 'pods', name: undefined }],
    ['GET', '/api/v1/namespaces/default/pods/web', '', { verb: 'get', resource: 'pods', name: 'web' }],
    ['GET', '/api/v1/namespaces/default/pods', 'watch=true', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/watch/namespaces/default/pods', '', { verb: 'watch', resource: 'pods', namespace: 'default' }],
    ['GET', '/api/v1/namespaces/default/pods/web/log', '', { verb: 'get', resource: 'pods', name: 'web', subresource: 'log' }],
    ['GET', '/api/v1/namespaces/kube-system', '', { verb: 'get', resource: 'namespaces', name: 'kube-system', namespace: 'kube-system' }],
    ['PUT', '/api/v1/namespaces/x/finalize', '', { verb: 'update', resource: 'namespaces', name: 'x', subresource: 'finalize' }],
    ['GET', '/api/v1/namespaces', '', { verb: 'list', resource: 'namespaces', namespace: undefined }],
    ['PATCH', '/apis/apps/v1/namespaces/d/deployments/web/scale', '', { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale' }],
    ['DELETE', '/apis/apps/v1/namespaces/d/deployments', '', { verb: 'deletecollection', group: 'apps' }],
    ['DELETE', '/apis/apps/v1/namespaces/d/deployments/web', '', { verb: 'delete', name: 'web' }],
    ['POST', '/api/v1/nodes', '', { verb: 'create', resource: 'nodes', namespace: undefined }],
  ])('%s %s?%s', (method, path, query, expected) => {
    const info = parseRequestInfo(method, path, q(query));
    expect(info.isResourceRequest).toBe(true);
    expect(info).toMatchObject(expected);
  });

  test.each(['/version', '/apis', '/api', '/apis/apps', '/api/v1', '/apis/apps/v1', '/healthz', '/openapi/v2'])('%s is not a resource request', (path) => {
    expect(parseRequestInfo('GET', path, q()).isResourceRequest).toBe(false);
  });
});
