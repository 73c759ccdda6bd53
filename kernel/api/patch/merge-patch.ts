/**
 * RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge
 * recursively, `null` deletes a member, everything else (arrays included)
 * replaces. Like Kubernetes' implementation (evanphx/json-patch), null members
 * inside values that are added rather than merged are dropped as well, so a
 * stored object never carries `null` placeholders a typed decoder would have
 * discarded.
 */
import { clone, isObject, JsonObject } from './json';
import { patchBadRequest } from './patch-errors';

/** The RFC 7386 MergePatch(target, patch) function over plain JSON values; neither argument is modified. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  return mergeInto(clone(target), patch);
}

/** MergePatch over a target this module owns (it is modified and returned). */
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return pruneNulls(clone(patch));
  const result: JsonObject = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergeInto(result[key], value);
  }
  return result;
}

/**
 * Apply a merge patch request body to an object. The body must be a JSON
 * object: anything else is 400 "Invalid JSON Patch", as kube-apiserver
 * answers (an object cannot become a scalar or a list).
 */
export function applyMergePatch<T extends object>(object: T, patch: unknown): T {
  if (!isObject(patch)) throw patchBadRequest('Invalid JSON Patch');
  return mergePatch(object, patch) as T;
}

/** Drop null members of objects, also inside arrays (list elements that are null stay). */
function pruneNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pruneNulls);
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = pruneNulls(v);
    return out;
  }
  return value;
}
