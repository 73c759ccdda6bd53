import { FieldSet, fieldPath, pathToString, pe } from '../../../../kernel/api/patch/field-set';
import { SchemaCursor } from '../../../../kernel/api/patch/schema-cursor';
import { compareTyped, ensureNamedFieldsAreMembers, mergeTyped, removeFields, toFieldSet, validateApplied, withStructDefaults, zeroObject } from '../../../../kernel/api/patch/typed-value';
import { deploymentSchema, widgetSchema } from './fixtures';

type Obj = Record<string, any>;

const root = SchemaCursor.of(deploymentSchema);
const podSpecCursor = root.field('spec').field('template').field('spec');
const names = (list: Obj[]) => list.map((c) => c.name);
const containers = (...n: string[]) => ({ containers: n.map((name) => ({ name })) });
const paths = (s: FieldSet) => s.paths().map(pathToString);

describe('mergeTyped', () => {
  // structured-merge-diff's order: shared items follow the applied order, live-only items keep their place.
  it.each([
    [['a', 'b'], ['b', 'c'], ['a', 'b', 'c']],
    [['a', 'b', 'c'], ['c', 'a'], ['b', 'c', 'a']],
    [['a', 'b', 'c'], ['b', 'a'], ['b', 'c', 'a']],
    [[], ['x', 'y'], ['x', 'y']],
    [['x', 'y'], [], ['x', 'y']],
  ])('merges containers %j with %j into %j', (live, applied, expected) => {
    const merged = mergeTyped(podSpecCursor, containers(...live), containers(...applied)) as Obj;
    expect(names(merged.containers)).toEqual(expected);
  });

  it('merges items by key and lets applied leaves win', () => {
    const live = { containers: [{ name: 'a', image: 'x', imagePullPolicy: 'Always' }] };
    const merged = mergeTyped(podSpecCursor, live, { containers: [{ name: 'a', image: 'y' }] });
    expect(merged).toEqual({ containers: [{ name: 'a', image: 'y', imagePullPolicy: 'Always' }] });
  });

  it('replaces atomic lists and maps whole', () => {
    const live = { containers: [{ name: 'a', command: ['a', 'b'] }], nodeSelector: { a: '1', b: '2' } };
    const merged = mergeTyped(podSpecCursor, live, { containers: [{ name: 'a', command: ['c'] }], nodeSelector: { c: '3' } });
    expect(merged).toEqual({ containers: [{ name: 'a', command: ['c'] }], nodeSelector: { c: '3' } });
  });

  it('merges sets by value', () => {
    const meta = root.field('metadata');
    expect(mergeTyped(meta, { finalizers: ['a', 'b'] }, { finalizers: ['c', 'a'] })).toEqual({ finalizers: ['c', 'a', 'b'] });
  });
});

describe('compareTyped', () => {
  it('reports added, removed and modified leaves, and added or removed containers', () => {
    const before = { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80 }] }, { name: 'b' }], hostname: 'h' };
    const after = { containers: [{ name: 'a', image: 'y' }, { name: 'c' }], restartPolicy: 'Always' };
    const c = compareTyped(podSpecCursor, before, after);
    expect(paths(c.added)).toEqual(['.restartPolicy', '.containers[name="c"]', '.containers[name="c"].name']);
    expect(paths(c.removed)).toEqual(['.hostname', '.containers[name="b"]', '.containers[name="a"].ports', '.containers[name="a"].ports[containerPort=80,protocol="TCP"]', '.containers[name="a"].ports[containerPort=80,protocol="TCP"].containerPort', '.containers[name="b"].name']);
    expect(paths(c.modified)).toEqual(['.containers[name="a"].image']);
  });

  it('sees no change between equal objects', () => {
    const obj = { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] };
    const c = compareTyped(podSpecCursor, obj, structuredClone(obj));
    expect([c.added, c.removed, c.modified].every((s) => s.isEmpty())).toBe(true);
  });

  it('treats empty and absent containers as leaves, as structured-merge-diff does', () => {
    const c = compareTyped(podSpecCursor, { containers: [{ name: 'a' }] }, { containers: [{ name: 'a', resources: {} }] });
    expect(paths(c.added)).toEqual(['.containers[name="a"].resources']);
  });
});

describe('toFieldSet', () => {
  it.each<[string, Obj, string[]]>([
    ['scalars and list items', { containers: [{ name: 'a', image: 'x' }] }, ['.containers[name="a"]', '.containers[name="a"].image', '.containers[name="a"].name']],
    ['an empty struct field as a member', { containers: [{ name: 'a', resources: {} }] }, ['.containers[name="a"]', '.containers[name="a"].name', '.containers[name="a"].resources']],
    ['a null field as a member', { hostname: null }, ['.hostname']],
    ['nothing for an empty granular list', { containers: [] }, []],
    ['an atomic map as one member', { nodeSelector: { a: '1' } }, ['.nodeSelector']],
    ['map entries as members', { containers: [{ name: 'a', resources: { limits: { cpu: '1' } } }] }, ['.containers[name="a"]', '.containers[name="a"].name', '.containers[name="a"].resources.limits.cpu']],
  ])('records %s', (_name, value, expected) => {
    expect(paths(toFieldSet(podSpecCursor, value))).toEqual(expected);
  });

  it('defaults missing list-map keys from the schema', () => {
    const set = toFieldSet(podSpecCursor, { containers: [{ name: 'a', ports: [{ containerPort: 80 }] }] });
    expect(set.has([pe.field('containers'), pe.key([['name', 'a']]), pe.field('ports'), pe.key([['containerPort', 80], ['protocol', 'TCP']])])).toBe(true);
  });

  it('deduces maps granular and lists atomic where the schema preserves unknown fields', () => {
    const set = toFieldSet(SchemaCursor.of(widgetSchema), { spec: { extra: { m: { k: 1 }, l: [1] } } });
    expect(paths(set)).toEqual(['.spec.extra.l', '.spec.extra.m', '.spec.extra.m.k']);
  });
});

describe('removeFields', () => {
  const value = { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }], hostname: 'h' };
  const b = [pe.field('containers'), pe.key([['name', 'b']])];

  it('removes members and items', () => {
    expect(removeFields(podSpecCursor, value, FieldSet.of(fieldPath('hostname'), b), 'drop')).toEqual({ containers: [{ name: 'a', image: 'x' }] });
  });

  it.each<['null' | 'drop', Obj]>([
    // While pruning, structured-merge-diff leaves an emptied map as null ...
    ['null', { extra: null, size: 2 }],
    // ... which disappears once Kubernetes decodes the result.
    ['drop', { size: 2 }],
  ])('in %s mode leaves an emptied map as %j', (mode, expected) => {
    const spec = SchemaCursor.of(widgetSchema).field('spec');
    expect(removeFields(spec, { extra: { k: 1 }, size: 2 }, FieldSet.of(fieldPath('extra', 'k')), mode)).toEqual(expected);
  });

  it('leaves atomic values alone when asked to remove inside them', () => {
    const withSelector = { nodeSelector: { a: '1' } };
    expect(removeFields(podSpecCursor, withSelector, FieldSet.of(fieldPath('nodeSelector', 'a')), 'drop')).toEqual(withSelector);
  });
});

describe('ensureNamedFieldsAreMembers', () => {
  it('adds struct fields with owned children, not map entries', () => {
    const set = FieldSet.of(fieldPath('spec', 'template', 'metadata', 'labels', 'app'));
    expect(paths(ensureNamedFieldsAreMembers(root, set))).toEqual(['.spec', '.spec.template', '.spec.template.metadata', '.spec.template.metadata.labels', '.spec.template.metadata.labels.app']);
  });
});

describe('validateApplied', () => {
  it.each<[string, Obj, string[]]>([
    ['duplicate keys', { containers: [{ name: 'a' }, { name: 'a' }] }, ['.containers: duplicate entries for key [name="a"]']],
    ['a missing key', { containers: [{ image: 'x' }] }, ['.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)']],
    ['a non-map item', { containers: ['a'] }, ['.containers: element 0: associative list with keys may not have non-map elements']],
    ['nested duplicates', { containers: [{ name: 'a', ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'TCP' }] }] }, ['.containers[name="a"].ports: duplicate entries for key [containerPort=80,protocol="TCP"]']],
    ['nothing wrong', { containers: [{ name: 'a' }, { name: 'b' }] }, []],
  ])('reports %s', (_name, value, expected) => {
    expect(validateApplied(podSpecCursor, value)).toEqual(expected);
  });

  it('reports a map in a set', () => {
    expect(validateApplied(root.field('metadata'), { finalizers: [{ a: 1 }] })).toEqual([".finalizers: element 0: associative list without keys has an element that's a map type"]);
  });
});

describe('Go zero values', () => {
  it('builds the zero Deployment Go would encode', () => {
    expect(zeroObject(root)).toEqual({
      metadata: {},
      spec: { selector: null, template: { metadata: {}, spec: { containers: null } }, strategy: {} },
      status: {},
    });
  });

  it('fills always-present structs in an object', () => {
    expect(withStructDefaults(podSpecCursor, { containers: [{ name: 'a' }] })).toEqual({ containers: [{ name: 'a', resources: {} }] });
  });
});
