import { ApiError } from '../../../../kernel/api/errors';
import { applyMergePatch, mergePatch } from '../../../../kernel/api/patch/merge-patch';

describe('mergePatch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A, plus Kubernetes' null handling inside added values.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    // Kubernetes (evanphx/json-patch) also drops nulls inside objects nested in added arrays.
    [{}, { a: [{ b: null, c: 1 }, null] }, { a: [{ c: 1 }, null] }],
  ])('merge(%j, %j) = %j', (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });

  it('replaces lists instead of merging them', () => {
    const target = { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] } };
    expect(mergePatch(target, { spec: { containers: [{ name: 'a', image: 'y' }] } })).toEqual({ spec: { containers: [{ name: 'a', image: 'y' }] } });
  });

  it('modifies neither argument and shares nothing with the result', () => {
    const target = { a: { b: 1 }, keep: { deep: [1] } };
    const patch = { a: { c: { d: 2 } } };
    const result = mergePatch(target, patch) as any;
    result.keep.deep.push(2);
    result.a.c.d = 3;
    expect(target).toEqual({ a: { b: 1 }, keep: { deep: [1] } });
    expect(patch).toEqual({ a: { c: { d: 2 } } });
  });
});

describe('applyMergePatch', () => {
  it('patches an object', () => {
    const cm = { metadata: { name: 'c', labels: { a: '1', b: '2' } }, data: { k: 'v' } };
    expect(applyMergePatch(cm, { metadata: { labels: { a: null, c: '3' } }, data: { k2: 'v2' } })).toEqual({
      metadata: { name: 'c', labels: { b: '2', c: '3' } },
      data: { k: 'v', k2: 'v2' },
    });
  });

  it.each([['a list', [{ a: 1 }]], ['a string', 'x'], ['a number', 3], ['null', null]])('rejects %s body with 400 "Invalid JSON Patch"', (_name, body) => {
    let err: unknown;
    try {
      applyMergePatch({ a: 1 }, body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
    expect((err as ApiError).reason).toBe('BadRequest');
    expect((err as ApiError).message).toBe('Invalid JSON Patch');
  });
});
