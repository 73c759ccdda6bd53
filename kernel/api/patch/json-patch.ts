/**
 * RFC 6902 JSON patch (`application/json-patch+json`), applied with
 * fast-json-patch and reported the way kube-apiserver reports it:
 *
 * - a body that is not a list of operations fails decoding → 400 BadRequest
 *   with Go's decoder message (`json: cannot unmarshal object into Go value of type jsonpatch.Patch`);
 * - more than 10000 operations → 413;
 * - an operation that cannot be applied (failed `test`, missing path, bad op)
 *   → 422 Invalid, "the server rejected our request due to an error in our request";
 * - a `null` body decodes to no operations and leaves the object unchanged.
 */
import { applyPatch, JsonPatchError, Operation } from 'fast-json-patch';
import { ApiError } from '../errors';
import { clone, goKind, isObject } from './json';
import { patchBadRequest, patchRejected } from './patch-errors';

/** kube-apiserver's maxJSONPatchOperations. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const RFC6902_OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/**
 * Apply a JSON patch to a document (usually an object as stored). Neither
 * argument is modified. Throws ApiError on a malformed or inapplicable patch.
 */
export function applyJsonPatch<T>(document: T, patch: unknown): T {
  const operations = decodeJsonPatch(patch);
  if (operations.length === 0) return clone(document);
  for (const op of operations) {
    // fast-json-patch also accepts its internal `_get`; RFC 6902 does not.
    if (!RFC6902_OPS.has(op.op as string)) {
      throw patchRejected(new Error(`Unexpected kind: ${typeof op.op === 'string' ? op.op : 'unknown'}`));
    }
  }
  try {
    return applyPatch(clone(document), clone(operations), true, true).newDocument;
  } catch (err) {
    if (err instanceof JsonPatchError) throw patchRejected(err);
    throw err;
  }
}

/** Decode a request body into operations, as evanphx/json-patch's DecodePatch does. */
function decodeJsonPatch(patch: unknown): Operation[] {
  if (patch === null || patch === undefined) return [];
  if (!Array.isArray(patch)) {
    throw patchBadRequest(`json: cannot unmarshal ${goKind(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (op !== null && !isObject(op)) {
      throw patchBadRequest(`json: cannot unmarshal ${goKind(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new ApiError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  // A `null` element decodes to an empty operation, which then fails to apply.
  return patch.map((op) => (op === null ? ({} as Operation) : (op as Operation)));
}
