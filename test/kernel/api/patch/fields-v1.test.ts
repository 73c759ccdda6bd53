import { FieldSet, FieldPath, fieldPath, pathToString, pe, serializePathElement } from '../../../../kernel/api/patch/field-set';
import { fromFieldsV1, toFieldsV1 } from '../../../../kernel/api/patch/fields-v1';

// managedFields as kube-apiserver writes them (kubectl-client-side-apply creating a Deployment,
// a server-side applier, a status writer, a custom resource with a set).
const KUBERNETES_ENCODINGS = [
  '{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},"f:strategy":{"f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}}}',
  '{"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}',
  '{"f:status":{"f:conditions":{".":{},"k:{\\"type\\":\\"Available\\"}":{".":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},"f:observedGeneration":{},"f:replicas":{}}}',
  '{"f:metadata":{"f:finalizers":{".":{},"v:\\"example.com/a\\"":{},"v:\\"example.com/b\\"":{}}},"f:spec":{"f:list":{},"f:ports":{"i:0":{"f:x":{}}}}}',
];

describe('FieldsV1', () => {
  it.each(KUBERNETES_ENCODINGS.map((json, i) => [i, json]))('round-trips Kubernetes encoding #%s byte for byte', (_i, json) => {
    expect(JSON.stringify(toFieldsV1(fromFieldsV1(JSON.parse(json))))).toBe(json);
  });

  it('orders keys as Kubernetes does whatever the insertion order', () => {
    const set = FieldSet.of(
      fieldPath('spec', 'replicas'),
      fieldPath('metadata', 'labels', 'b'),
      fieldPath('kind'),
      fieldPath('metadata', 'labels', 'a'),
      fieldPath('apiVersion'),
      fieldPath('metadata', 'labels', 'Z'),
    );
    expect(JSON.stringify(toFieldsV1(set))).toBe('{"f:apiVersion":{},"f:kind":{},"f:metadata":{"f:labels":{"f:Z":{},"f:a":{},"f:b":{}}},"f:spec":{"f:replicas":{}}}');
  });

  it('orders field names, then keys, then values, then indexes, and puts "." first', () => {
    const list = fieldPath('spec', 'x');
    const set = FieldSet.of(
      [...list, pe.index(1)],
      [...list, pe.value('b')],
      [...list, pe.value(10)],
      [...list, pe.value(true)],
      [...list, pe.key([['name', 'b']])],
      [...list, pe.key([['name', 'a']]), pe.field('v')],
      [...list, pe.key([['name', 'a']])],
      [...list, pe.field('z')],
      list,
    );
    expect(JSON.stringify(toFieldsV1(set))).toBe(
      '{"f:spec":{"f:x":{".":{},"f:z":{},"k:{\\"name\\":\\"a\\"}":{".":{},"f:v":{}},"k:{\\"name\\":\\"b\\"}":{},"v:10":{},"v:\\"b\\"":{},"v:true":{},"i:1":{}}}}',
    );
  });

  it.each<[string, Parameters<typeof pe.key>[0] | undefined, unknown, string]>([
    ['sorts key fields by name', [['protocol', 'TCP'], ['containerPort', 80]], undefined, 'k:{"containerPort":80,"protocol":"TCP"}'],
    ['escapes key values as Go does', [['name', '<a&b>']], undefined, 'k:{"name":"\\u003ca\\u0026b\\u003e"}'],
    ['writes set values as JSON', undefined, 'example.com/x', 'v:"example.com/x"'],
    ['writes numeric set values', undefined, 1.5, 'v:1.5'],
  ])('%s', (_name, key, value, expected) => {
    expect(serializePathElement(key ? pe.key(key) : pe.value(value))).toBe(expected);
  });

  it('canonicalises keys whose fields were stored out of order', () => {
    const set = fromFieldsV1({ 'f:ports': { 'k:{"protocol":"TCP","containerPort":80}': {} } });
    expect(set.has([pe.field('ports'), pe.key([['containerPort', 80], ['protocol', 'TCP']])])).toBe(true);
    expect(Object.keys(toFieldsV1(set)['f:ports'])).toEqual(['k:{"containerPort":80,"protocol":"TCP"}']);
  });

  it.each([
    ['a non-object', []],
    ['an unknown prefix', { 'x:foo': {} }],
    ['a key that is not JSON', { 'k:{name': {} }],
    ['a key that is not an object', { 'k:[1]': {} }],
    ['an entry that is not an object', { 'f:a': 1 }],
    ['a bad index', { 'i:x': {} }],
  ])('refuses %s', (_name, fields) => {
    expect(() => fromFieldsV1(fields)).toThrow(Error);
  });
});

describe('field paths', () => {
  it.each<[FieldPath, string]>([
    [fieldPath('spec', 'replicas'), '.spec.replicas'],
    [[...fieldPath('spec', 'containers'), pe.key([['name', 'web']]), pe.field('image')], '.spec.containers[name="web"].image'],
    [[...fieldPath('ports'), pe.key([['protocol', 'TCP'], ['containerPort', 80]])], '.ports[containerPort=80,protocol="TCP"]'],
    [[...fieldPath('metadata', 'finalizers'), pe.value('a')], '.metadata.finalizers[="a"]'],
    [[pe.field('x'), pe.index(3)], '.x[3]'],
  ])('prints %j as %s', (path, expected) => {
    expect(pathToString(path)).toBe(expected);
  });
});

describe('FieldSet', () => {
  const a = fieldPath('a');
  const ab = fieldPath('a', 'b');
  const abc = fieldPath('a', 'b', 'c');
  const d = fieldPath('d');
  const paths = (s: FieldSet) => s.paths().map(pathToString);

  it.each<[string, (x: FieldSet, y: FieldSet) => FieldSet, FieldPath[], FieldPath[], string[]]>([
    ['union', (x, y) => x.union(y), [a, abc], [ab, d], ['.a', '.d', '.a.b', '.a.b.c']],
    ['intersection', (x, y) => x.intersection(y), [a, abc, d], [abc, d, ab], ['.d', '.a.b.c']],
    ['difference keeps children of a removed member', (x, y) => x.difference(y), [ab, abc, d], [ab], ['.d', '.a.b.c']],
    ['recursive difference removes them', (x, y) => x.recursiveDifference(y), [ab, abc, d], [ab], ['.d']],
    ['difference of everything is empty', (x, y) => x.difference(y), [abc], [abc, d], []],
  ])('%s', (_name, op, left, right, expected) => {
    expect(paths(op(FieldSet.of(...left), FieldSet.of(...right)))).toEqual(expected);
  });

  it('lists paths with members before children at every level', () => {
    expect(paths(FieldSet.of(abc, d, ab, fieldPath('a', 'a')))).toEqual(['.d', '.a.a', '.a.b', '.a.b.c']);
  });

  it('compares sets by content', () => {
    expect(FieldSet.of(a, abc).equals(FieldSet.of(abc, a))).toBe(true);
    expect(FieldSet.of(a, abc).equals(FieldSet.of(abc))).toBe(false);
    expect(FieldSet.of(abc).difference(FieldSet.of(abc)).isEmpty()).toBe(true);
    expect(FieldSet.of(abc).has(ab)).toBe(false);
    expect(FieldSet.of(abc).has(abc)).toBe(true);
  });
});
