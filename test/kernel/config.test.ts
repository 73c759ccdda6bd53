import { parseClusterConfig, ConfigError, formatPath } from '../../kernel/config';

function problems(text: string): string[] {
  try {
    parseClusterConfig(text, 'cluster.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split('\n');
  }
  throw new Error('expected the config to be rejected');
}

describe('cluster.yaml', () => {
  test('defaults', () => {
    const c = parseClusterConfig('apiVersion: skiff.dev/v1alpha1\nkind: Cluster\n');
    expect(c.api.listen).toBe('127.0.0.1:6443');
    expect(c.dataDir).toBe('./.skiff');
    expect(c.store.type).toBe('embedded');
    expect(c.plugins).toEqual([]);
    expect(c.api.maxRequestBytes).toBe(3 * 1024 * 1024);
  });

  test('plugins as names or with options, in order', () => {
    const c = parseClusterConfig(`apiVersion: skiff.dev/v1alpha1
kind: Cluster
plugins:
  - scheduler
  - name: "@acme/skiff-quota"
    options: { limit: 3 }
`);
    expect(c.plugins).toEqual([
      { name: 'scheduler', options: {} },
      { name: '@acme/skiff-quota', options: { limit: 3 } },
    ]);
  });

  test.each([
    ['kind: Cluster\n', ['cluster.yaml:1:1: apiVersion: required field is missing']],
    ['apiVersion: skiff.dev/v1alpha1\nkind: Cluster\napi:\n  listen: nowhere\n', ['cluster.yaml:4:3: api.listen: must be host:port, e.g. 127.0.0.1:6443']],
    ['apiVersion: skiff.dev/v1alpha1\nkind: Cluster\nbogus: 1\n', ['cluster.yaml:3:1: bogus: unknown field']],
    [
      'apiVersion: skiff.dev/v1alpha1\nkind: Cluster\nplugins:\n  - scheduler\n  - name: dns\n  - name: scheduler\n',
      ['cluster.yaml:6:5: plugins[2]: duplicate plugin "scheduler" (also plugins[0])'],
    ],
    ['apiVersion: skiff.dev/v1alpha1\nkind: Cluster\nplugins:\n  - name: x\n    options: 3\n', ['cluster.yaml:5:5: plugins[0].options: must be a mapping']],
    ['apiVersion: skiff.dev/v1alpha1\nkind: Cluster\napi: { serviceClusterIPRange: 10.0.0.0/40 }\n', ['cluster.yaml:3:8: api.serviceClusterIPRange: "10.0.0.0/40" is not a usable IPv4 CIDR (prefix length 8-30)']],
    ['apiVersion: skiff.dev/v1alpha1\nkind: Cluster\nnodes:\n  - name: Node_1\n', ['cluster.yaml:4:5: nodes[0].name: must be a DNS subdomain (lower-case letters, digits, "-" and ".")']],
    ['a: [1\n', ['cluster.yaml:2:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ])('rejects %j naming file, line, path and reason', (text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  test('formatPath', () => {
    expect(formatPath(['plugins', 2, 'options', 'network'])).toBe('plugins[2].options.network');
  });
});
