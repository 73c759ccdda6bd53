/**
 * The FieldManager the REST storage uses: managedFields tracking and
 * server-side apply (kernel/api/patch), with each kind's schema.
 */
import type { FieldManager } from './field-manager';
import type { SchemaRegistry } from './openapi/schemas';
import { SCHEMA_REF_PREFIX, OpenApiSchema } from './openapi/types';
import { applyPatch, updateManagedFields } from './patch';
import type { ResourceRegistry } from './registry';
import { parseApiVersion } from './types';

export function createFieldManager(schemas: SchemaRegistry, resources: ResourceRegistry): FieldManager {
  const schemaOf = (apiVersion: string | undefined, kind: string | undefined): OpenApiSchema | undefined => {
    if (!apiVersion || !kind) return undefined;
    const { group, version } = parseApiVersion(apiVersion);
    const served = resources.byGroupVersionKind(group, version, kind);
    const name = served?.schemaName ?? schemas.nameFor(group, version, kind);
    return name && schemas.get(name) ? { $ref: `${SCHEMA_REF_PREFIX}${name}` } : undefined;
  };
  return {
    update(write) {
      return updateManagedFields({
        old: write.old,
        new: write.object,
        manager: write.manager,
        subresource: write.subresource,
        now: write.now,
        schemas,
        schema: schemaOf(write.object.apiVersion, write.object.kind),
      });
    },
    apply(request) {
      return applyPatch({
        live: request.live,
        applied: request.applied,
        manager: request.manager,
        force: request.force,
        group: request.group,
        version: request.version,
        kind: request.kind,
        subresource: request.subresource,
        now: request.now,
        schemas,
        schema: schemaOf(request.group ? `${request.group}/${request.version}` : request.version, request.kind),
      });
    },
  };
}
