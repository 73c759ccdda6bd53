/**
 * Kubernetes' generic validators: names, labels, annotations, ObjectMeta,
 * selectors, ports, IPs, CIDRs, quantities — with the exact messages
 * Kubernetes returns.
 */
import {
  FieldPath,
  canonicalQuantity,
  compareQuantities,
  formatIP,
  formatQuantity,
  goLabelSelector,
  goStringMap,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  isValidQuantity,
  parseCIDR,
  parseIP,
  parseQuantity,
  quantityProblem,
  validateAnnotations,
  validateCIDR,
  validateIP,
  validateLabelSelector,
  validateLabels,
  validateNonSpecialIP,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../kernel/api/validation';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('names', () => {
  test.each([
    ['example.com', []],
    ['a', []],
    ['Example.com', [SUBDOMAIN_MSG]],
    ['-a', [SUBDOMAIN_MSG]],
    ['a..b', [SUBDOMAIN_MSG]],
    ['a'.repeat(254), ['must be no more than 253 characters']],
  ])('DNS-1123 subdomain %j', (value, expected) => {
    expect(isDNS1123Subdomain(value)).toEqual(expected);
  });

  test.each([
    ['my-name', []],
    ['123-abc', []],
    ['My-Name', [LABEL_MSG]],
    ['a.b', ['must not contain dots']],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['', [LABEL_MSG]],
  ])('DNS-1123 label %j', (value, expected) => {
    expect(isDNS1123Label(value)).toEqual(expected);
  });

  test.each([
    ['web', []],
    ['1web', [DNS1035_MSG]],
    ['web-', [DNS1035_MSG]],
  ])('DNS-1035 label %j', (value, expected) => {
    expect(isDNS1035Label(value)).toEqual(expected);
  });

  test.each([
    ['app', []],
    ['example.com/app', []],
    ['app.kubernetes.io/name', []],
    ['/app', ['prefix part must be non-empty']],
    ['example.com/', ['name part must be non-empty', NAME_PART_MSG]],
    ['Example_.com/app', [`prefix part ${SUBDOMAIN_MSG}`]],
    ['-app', [NAME_PART_MSG]],
    ['a'.repeat(64), ['name part must be no more than 63 characters']],
    [
      'a/b/c',
      [
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    ],
  ])('qualified name %j', (value, expected) => {
    expect(isQualifiedName(value)).toEqual(expected);
  });

  test.each([
    ['', []],
    ['v1.2_rc-3', []],
    ['-bad', [LABEL_VALUE_MSG]],
    ['a'.repeat(64), ['must be no more than 63 characters']],
  ])('label value %j', (value, expected) => {
    expect(isValidLabelValue(value)).toEqual(expected);
  });

  test.each([
    ['key.name', []],
    ['KEY_NAME', []],
    ['a b', ["a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]],
    ['.', ["must not be '.'"]],
    ['..', ["must not be '..'"]],
    ['..data', ["must not start with '..'"]],
  ])('config key %j', (value, expected) => {
    expect(isConfigMapKey(value)).toEqual(expected);
  });
});

describe('labels, annotations, selectors', () => {
  test('labels are reported at the map path', () => {
    expect(validateLabels({ '-x': 'ok', app: '-bad-' }, 'metadata.labels').map(String)).toEqual([
      `metadata.labels: Invalid value: "-x": ${NAME_PART_MSG}`,
      `metadata.labels: Invalid value: "-bad-": ${LABEL_VALUE_MSG}`,
    ]);
  });

  test('annotation keys ignore case; the total size is limited to 256 KiB', () => {
    expect(validateAnnotations({ 'Example.COM/Thing': 'x' }, 'metadata.annotations')).toEqual([]);
    expect(validateAnnotations({ big: 'x'.repeat(256 * 1024) }, 'metadata.annotations').map(String)).toEqual(['metadata.annotations: Too long: may not be more than 262144 bytes']);
    expect(validateAnnotations({ big: 'x'.repeat(256 * 1024 - 3) }, 'metadata.annotations')).toEqual([]);
  });

  test('label selector requirements', () => {
    const errs = validateLabelSelector(
      {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: [] },
          { key: 'env', operator: 'Exists', values: ['x'] },
          { key: 'zone', operator: 'Near' },
        ],
      },
      FieldPath.of('spec', 'selector'),
    ).map(String);
    expect(errs).toEqual([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
    ]);
  });

  test('Go-style rendering of maps and selectors', () => {
    expect(goStringMap({ b: '2', a: '1' })).toBe('map[string]string{"a":"1", "b":"2"}');
    expect(goStringMap(undefined)).toBe('map[string]string(nil)');
    expect(goLabelSelector({ matchLabels: { app: 'web' } })).toBe('v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}');
  });
});

describe('ObjectMeta', () => {
  const subdomain = { namespaced: true };
  test.each([
    ['valid', { name: 'web', namespace: 'default' }, subdomain, []],
    ['no name', { namespace: 'default' }, subdomain, ['metadata.name: Required value: name or generateName is required']],
    ['bad name', { name: 'Web', namespace: 'default' }, subdomain, [`metadata.name: Invalid value: "Web": ${SUBDOMAIN_MSG}`]],
    ['generateName with a trailing dash', { name: 'web-x7k2p', generateName: 'web-', namespace: 'default' }, subdomain, []],
    ['bad generateName', { name: 'web', generateName: 'Web-', namespace: 'default' }, subdomain, [`metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN_MSG}`]],
    ['namespace required', { name: 'web' }, subdomain, ['metadata.namespace: Required value']],
    ['namespace is a label', { name: 'web', namespace: 'a.b' }, subdomain, ['metadata.namespace: Invalid value: "a.b": must not contain dots']],
    ['namespace forbidden on cluster-scoped kinds', { name: 'n1', namespace: 'default' }, { namespaced: false }, ['metadata.namespace: Forbidden: not allowed on this type']],
    ['type name rule', { name: '1web', namespace: 'default' }, { namespaced: true, validateName: isDNS1035Label }, [`metadata.name: Invalid value: "1web": ${DNS1035_MSG}`]],
    [
      'finalizers',
      { name: 'web', namespace: 'default', finalizers: ['kubernetes', 'example.com/cleanup', 'cleanup'] },
      subdomain,
      ['metadata.finalizers[2]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified'],
    ],
    [
      'malformed finalizer (reported twice, as Kubernetes does)',
      { name: 'web', namespace: 'default', finalizers: ['-x'] },
      subdomain,
      [`metadata.finalizers: Invalid value: "-x": ${NAME_PART_MSG}`, `metadata.finalizers[0]: Invalid value: "-x": ${NAME_PART_MSG}`],
    ],
    [
      'owner references',
      {
        name: 'web',
        namespace: 'default',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
          { apiVersion: '', kind: 'Deployment', name: 'b', uid: '', controller: true },
        ],
      },
      subdomain,
      [
        'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
        expect.stringMatching(/^metadata\.ownerReferences: Invalid value: .*: Only one reference can have Controller set to true\. Found "true" in references for ReplicaSet\/a and Deployment\/b$/),
      ],
    ],
  ])('%s', (_name, meta, options, expected) => {
    expect(validateObjectMeta(meta, options).map(String)).toEqual(expected);
  });

  test('immutable metadata on update', () => {
    const old = { name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z', generation: 3 };
    expect(validateObjectMetaUpdate({ ...old, labels: { a: 'b' } }, old)).toEqual([]);
    expect(validateObjectMetaUpdate({ ...old, name: 'web2', namespace: 'other', uid: 'u2', creationTimestamp: '2024-02-01T00:00:00Z', generation: 2 }, old).map(String)).toEqual([
      'metadata.generation: Invalid value: 2: must not be decremented',
      'metadata.name: Invalid value: "web2": field is immutable',
      'metadata.namespace: Invalid value: "other": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
      'metadata.creationTimestamp: Invalid value: "2024-02-01T00:00:00Z": field is immutable',
    ]);
  });

  test('no new finalizers once deletion started', () => {
    const old = { name: 'web', deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['a.io/x'] };
    expect(validateObjectMetaUpdate({ ...old, finalizers: ['a.io/x', 'b.io/y'] }, old).map(String)).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
    ]);
  });
});

describe('ports', () => {
  test.each([
    [1, []],
    [65535, []],
    [0, ['must be between 1 and 65535, inclusive']],
    [65536, ['must be between 1 and 65535, inclusive']],
  ])('port number %d', (port, expected) => expect(isValidPortNum(port)).toEqual(expected));

  test.each([
    ['http', []],
    ['http-alt', []],
    ['HTTP', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']],
    ['8080', ['must contain at least one letter (a-z)']],
    ['a--b', ['must not contain consecutive hyphens']],
    ['-a', ['must not begin or end with a hyphen']],
    ['a-very-long-port-name', ['must be no more than 15 characters']],
  ])('port name %j', (name, expected) => expect(isValidPortName(name)).toEqual(expected));
});

describe('IP addresses and CIDRs', () => {
  test.each([
    ['10.96.0.1', 'IPv4', '10.96.0.1'],
    ['010.096.000.001', 'IPv4', '10.96.0.1'],
    ['2001:db8::1', 'IPv6', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 'IPv6', '2001:db8::1'],
    ['::', 'IPv6', '::'],
    ['::ffff:10.1.2.3', 'IPv4', '10.1.2.3'],
    ['1:2:3:4:5:6:7:8', 'IPv6', '1:2:3:4:5:6:7:8'],
  ])('%s parses as %s', (text, family, formatted) => {
    const ip = parseIP(text);
    expect(ip?.family).toBe(family);
    expect(formatIP(ip!)).toBe(formatted);
  });

  test.each(['256.1.1.1', '1.2.3', 'fe80::1%eth0', '1::2::3', ':::1', 'hello', ''])('%j is not an IP', (text) => {
    expect(validateIP('spec.clusterIP', text).map(String)).toEqual([`spec.clusterIP: Invalid value: ${JSON.stringify(text)}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`]);
  });

  test('CIDRs', () => {
    expect(parseCIDR('10.96.0.1/12')).toEqual({ family: 'IPv4', network: 0x0a600000n, prefixLength: 12, bits: 32 });
    expect(validateCIDR('spec.podCIDRs[0]', '10.0.0.0/33').map(String)).toEqual(['spec.podCIDRs[0]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
    expect(validateCIDR('x', 'fd00::/64')).toEqual([]);
  });

  test.each([
    ['0.0.0.0', 'may not be unspecified (0.0.0.0)'],
    ['127.0.0.1', 'may not be in the loopback range (127.0.0.0/8, ::1/128)'],
    ['169.254.1.1', 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'],
    ['224.0.0.5', 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'],
    ['fe80::1', 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'],
  ])('special address %s', (ip, message) => {
    expect(validateNonSpecialIP(ip, 'subsets[0].addresses[0].ip').map(String)).toEqual([`subsets[0].addresses[0].ip: Invalid value: "${ip}": ${message}`]);
  });
});

describe('quantities', () => {
  test.each([
    ['0.5', '500m'],
    ['1000', '1k'],
    ['1500m', '1500m'],
    ['1.5Gi', '1536Mi'],
    ['2048Ki', '2Mi'],
    ['0.5Ki', '512'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['1E3', '1e3'],
    ['100n', '100n'],
    ['1Gi', '1Gi'],
    ['-1Ki', '-1Ki'],
    ['0.1', '100m'],
    ['12345678', '12345678'],
    ['1.2', '1200m'],
    ['0', '0'],
    ['+5', '5'],
    [2, '2'],
    [0.25, '250m'],
  ])('%j is written %j', (input, canonical) => {
    expect(formatQuantity(parseQuantity(input))).toBe(canonical);
  });

  test('ResourceList values are rounded up to milli', () => {
    expect(canonicalQuantity('100n', { roundToMilli: true })).toBe('1m');
    expect(canonicalQuantity('1.0001m', { roundToMilli: true })).toBe('2m');
    expect(canonicalQuantity('1Gi', { roundToMilli: true })).toBe('1Gi');
  });

  test('values finer than nano round up', () => {
    expect(formatQuantity(parseQuantity('0.0000000001'))).toBe('1n');
    expect(formatQuantity(parseQuantity('1e-10'))).toBe('1e-9');
  });

  test.each([
    ['1KB', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['1Mb', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['1e', "unable to parse quantity's suffix"],
    ['1K', "unable to parse quantity's suffix"],
    ['abc', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['1.2.3', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
  ])('%j is not a quantity', (input, message) => {
    expect(isValidQuantity(input)).toBe(false);
    expect(quantityProblem(input)).toBe(message);
  });

  test('comparison by value', () => {
    expect(compareQuantities(parseQuantity('1'), parseQuantity('1000m'))).toBe(0);
    expect(compareQuantities(parseQuantity('1Gi'), parseQuantity('1G'))).toBe(1);
    expect(compareQuantities(parseQuantity('999Mi'), parseQuantity('1Gi'))).toBe(-1);
  });
});

describe('field paths', () => {
  test('children, indexes and keys print as Kubernetes prints them', () => {
    expect(FieldPath.of('spec').child('containers').index(0).child('ports').index(1).child('containerPort').toString()).toBe('spec.containers[0].ports[1].containerPort');
    expect(FieldPath.of('data').key('my.key').toString()).toBe('data[my.key]');
    expect(FieldPath.of('spec', 'template', 'metadata').child('labels').toString()).toBe('spec.template.metadata.labels');
  });
});
