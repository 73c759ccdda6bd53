import { formatLabelSelector, labelSelectorFromObject, parseFieldSelector, parseLabelSelector } from '../../../kernel/api/selectors';
import { ApiError } from '../../../kernel/api/errors';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  test.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db)', true],
    ['missing notin (db)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=web,tier=front', true],
    ['app=web, tier=back', false],
    ['env in (prod, staging),app', true],
  ])('%j matches %j', (selector, expected) => {
    expect(parseLabelSelector(selector).matches(labels)).toBe(expected);
  });

  test.each([
    ['app in ()', "values set can't be empty"],
    ['app in (a', "expected: ')'"],
    ['a b', 'expected: in, notin'],
    ['-bad=x', 'key: Invalid value: "-bad"'],
    ['app=web,', 'expected: identifier'],
  ])('%j is rejected with a 400 naming the problem', (selector, fragment) => {
    try {
      parseLabelSelector(selector);
      throw new Error('expected an error');
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(400);
      expect((err as ApiError).message).toContain(fragment);
    }
  });

  test('`app=` selects the empty value', () => {
    expect(parseLabelSelector('app=').matches({ app: '' })).toBe(true);
    expect(parseLabelSelector('app=').matches({ app: 'x' })).toBe(false);
  });

  test('renders in Kubernetes form, requirements sorted by key', () => {
    expect(parseLabelSelector('tier in (b,a),app=web').toString()).toBe('app=web,tier in (a,b)');
    expect(formatLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] })).toBe('app=web,env notin (dev)');
  });

  test('LabelSelector objects: null matches nothing, {} everything', () => {
    expect(labelSelectorFromObject(null).matches({ a: 'b' })).toBe(false);
    expect(labelSelectorFromObject({}).matches({ a: 'b' })).toBe(true);
    expect(labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }).matches({ a: 'x' })).toBe(true);
  });
});

describe('field selectors', () => {
  test('equality, inequality and escapes', () => {
    const m = parseFieldSelector('metadata.name=a\\,b,status.phase!=Running');
    expect(m.matches({ 'metadata.name': 'a,b', 'status.phase': 'Pending' })).toBe(true);
    expect(m.matches({ 'metadata.name': 'a,b', 'status.phase': 'Running' })).toBe(false);
    expect(m.exact('metadata.name')).toBe('a,b');
  });
  test('garbage is a 400', () => {
    expect(() => parseFieldSelector('nonsense')).toThrow(/invalid field selector/);
  });
});
