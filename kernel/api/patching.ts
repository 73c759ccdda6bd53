/**
 * Apply a JSON, merge or strategic merge patch to an object of a served kind
 * (server-side apply goes through the field manager instead).
 */
import type { PatchType } from '../client/types';
import { ApiError } from './errors';
import type { SchemaRegistry } from './openapi/schemas';
import { SCHEMA_REF_PREFIX } from './openapi/types';
import { applyJsonPatch, applyMergePatch, strategicMergePatch } from './patch';
import type { ServedResource } from './registry';

export function applyPatchDocument(type: PatchType, object: object, patch: unknown, schemas: SchemaRegistry, definition: string | undefined, resource?: ServedResource): object {
  switch (type) {
    case 'json':
      return applyJsonPatch(object, patch) as object;
    case 'merge':
      return applyMergePatch(object, patch);
    case 'strategic':
      // Strategic merge needs Kubernetes' merge keys: kinds without a schema (as custom resources) refuse it.
      if (!definition || !schemas.get(definition)) {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${resource ? ` (${resource.kind} has no schema for strategic merge patch)` : ''}`,
        );
      }
      return strategicMergePatch(object, patch, { schemas, schema: { $ref: `${SCHEMA_REF_PREFIX}${definition}` } });
    case 'apply':
      throw new Error('apply patches go through the field manager');
  }
}
