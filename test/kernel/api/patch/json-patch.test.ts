import { ApiError } from '../../../../kernel/api/errors';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from '../../../../kernel/api/patch/json-patch';
import { apiErrorOf as catchError } from '../../../support/errors';

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'web' } },
  spec: { containers: [{ name: 'a', image: 'nginx' }] },
});

describe('applyJsonPatch', () => {
  it.each([
    ['add a label', [{ op: 'add', path: '/metadata/labels/tier', value: 'front' }], (o: any) => expect(o.metadata.labels).toEqual({ app: 'web', tier: 'front' })],
    ['replace an image', [{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' }], (o: any) => expect(o.spec.containers[0].image).toBe('nginx:2')],
    ['remove a label', [{ op: 'remove', path: '/metadata/labels/app' }], (o: any) => expect(o.metadata.labels).toEqual({})],
    ['append to a list', [{ op: 'add', path: '/spec/containers/-', value: { name: 'b' } }], (o: any) => expect(o.spec.containers.map((c: any) => c.name)).toEqual(['a', 'b'])],
    ['move a field', [{ op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/name' }], (o: any) => expect(o.metadata.labels).toEqual({ name: 'web' })],
    ['copy a field', [{ op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' }], (o: any) => expect(o.metadata.labels.name).toBe('p')],
    ['a passing test then a change', [{ op: 'test', path: '/metadata/name', value: 'p' }, { op: 'add', path: '/metadata/labels/x', value: 'y' }], (o: any) => expect(o.metadata.labels.x).toBe('y')],
    ['escaped path segments', [{ op: 'add', path: '/metadata/labels/example.com~1team', value: 'a' }], (o: any) => expect(o.metadata.labels['example.com/team']).toBe('a')],
  ])('applies: %s', (_name, patch, check) => {
    const original = pod();
    const result = applyJsonPatch(original, patch);
    check(result);
    expect(original).toEqual(pod());
  });

  it('treats a null body as no operations', () => {
    expect(applyJsonPatch(pod(), null)).toEqual(pod());
  });

  it.each([
    ['an object', { op: 'add' }, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
    ['a string', 'add', 'json: cannot unmarshal string into Go value of type jsonpatch.Patch'],
    ['a list of numbers', [1], 'json: cannot unmarshal number into Go value of type jsonpatch.Operation'],
  ])('rejects a body that is %s with 400 BadRequest', (_name, body, message) => {
    const err = catchError(() => applyJsonPatch(pod(), body));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe(message);
  });

  it.each([
    ['a failed test', [{ op: 'test', path: '/metadata/name', value: 'q' }]],
    ['a test of a missing path', [{ op: 'test', path: '/metadata/labels/missing', value: 'x' }]],
    ['removing a missing field', [{ op: 'remove', path: '/metadata/annotations' }]],
    ['replacing a missing field', [{ op: 'replace', path: '/spec/hostname', value: 'h' }]],
    ['adding under a missing parent', [{ op: 'add', path: '/status/phase/x', value: 'Running' }]],
    ['an index out of range', [{ op: 'add', path: '/spec/containers/5', value: {} }]],
    ['an unknown op', [{ op: 'frobnicate', path: '/metadata/name' }]],
    ["fast-json-patch's internal _get", [{ op: '_get', path: '/metadata/name' }]],
    ['a path without a leading slash', [{ op: 'add', path: 'metadata', value: {} }]],
    ['a null operation', [null]],
  ])('rejects %s with 422 Invalid as kube-apiserver words it', (_name, patch) => {
    const original = pod();
    const err = catchError(() => applyJsonPatch(original, patch));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe('the server rejected our request due to an error in our request');
    expect(err.cause).toBeInstanceOf(Error);
    expect(original).toEqual(pod());
  });

  it('applies nothing when a later operation fails', () => {
    const original = pod();
    catchError(() => applyJsonPatch(original, [{ op: 'add', path: '/metadata/labels/x', value: 'y' }, { op: 'test', path: '/metadata/name', value: 'no' }]));
    expect(original.metadata.labels).toEqual({ app: 'web' });
  });

  it('rejects more than the maximum number of operations with 413', () => {
    const patch = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/metadata/name', value: 'p' }));
    const err = catchError(() => applyJsonPatch(pod(), patch));
    expect(err.code).toBe(413);
    expect(err.message).toBe(`The allowed maximum operations in a JSON patch is 10000, got ${MAX_JSON_PATCH_OPERATIONS + 1}`);
  });

  it('does not share values between the patch and the result', () => {
    const value = { name: 'b' };
    const result = applyJsonPatch(pod(), [{ op: 'add', path: '/spec/containers/-', value }]);
    value.name = 'changed';
    expect(result.spec.containers[1]).toEqual({ name: 'b' });
  });
});

