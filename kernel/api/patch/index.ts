/**
 * Patches and server-side apply, as pure functions over JSON objects. The
 * API server calls, per request:
 *
 * - JSON patch:            applyJsonPatch(old, body)
 * - merge patch:           applyMergePatch(old, body)
 * - strategic merge patch: strategicMergePatch(old, body, { schemas, schema })
 *   then, for all three and for create/update, after defaulting:
 *                          updateManagedFields({ old, new, manager, subresource, now, schemas, schema })
 * - apply:                 validatePatchOptions({ patchType: 'apply', fieldManager, force }) then
 *                          applyPatch({ live, applied, manager, force, group, version, kind, subresource, now, schemas, schema })
 *
 * `manager` is `fieldManagerFor(fieldManager, userAgent)` for ordinary writes.
 */
export { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch';
export { applyMergePatch, mergePatch } from './merge-patch';
export { strategicMergePatch } from './strategic-merge';
export { applyPatch } from './apply';
export type { ApplyRequest, ApplyConflict } from './apply';
export {
  updateManagedFields,
  decodeManagedFields,
  encodeManagedFields,
  managerFromUserAgent,
  fieldManagerFor,
  validatePatchOptions,
  validateFieldManager,
  managerIdentityKey,
  describeManager,
  resetFieldsFor,
  LAST_APPLIED_ANNOTATION,
  FIELD_MANAGER_MAX_LENGTH,
  MAX_UPDATE_MANAGERS,
} from './managed-fields';
export type { UpdateManagedFieldsRequest, ManagerIdentity, ManagedFieldSets, ManagedFieldsOperation } from './managed-fields';
export { FieldSet, fieldPath, pathToString, pe } from './field-set';
export type { FieldPath, PathElement } from './field-set';
export { toFieldsV1, fromFieldsV1 } from './fields-v1';
export type { FieldsV1 } from './fields-v1';
export type { PatchSchema } from './schema-cursor';
