/**
 * Drives a ResourceDefinition's strategy the way the API server does
 * (system metadata, prepareForCreate/Update, defaults, ObjectMeta and type
 * validation, allocation), so tests see what a client of a real server sees.
 */
import { ApiError, FieldError } from '../../../../kernel/api/errors';
import type { Allocators, ResourceDefinition, StrategyContext } from '../../../../kernel/api/resource';
import { IPRangeAllocator, PortRangeAllocator } from '../../../../kernel/api/resources/allocators';
import { builtinResources } from '../../../../kernel/api/resources';
import { deepCopy, type KubeObject, type StoredObject } from '../../../../kernel/api/types';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../../../kernel/api/validation';
export { apiErrorOf } from '../../../support/errors';

export const NOW = new Date('2024-05-01T12:00:00Z');
export const CREATED = '2024-05-01T11:00:00Z';

export interface TestContext extends StrategyContext {
  readonly warnings: string[];
  readonly allocators: Allocators & { serviceIPs: IPRangeAllocator; nodePorts: PortRangeAllocator };
}

export function context(options: { serviceRange?: string; nodePortRange?: string } = {}): TestContext {
  const warnings: string[] = [];
  return {
    namespace: 'default',
    now: () => NOW,
    allocators: {
      serviceIPs: new IPRangeAllocator(options.serviceRange ?? '10.96.0.0/12', { order: 'sequential' }),
      nodePorts: new PortRangeAllocator(options.nodePortRange ?? '30000-32767', { order: 'sequential' }),
    },
    warn: (m) => warnings.push(m),
    warnings,
  };
}

export function resource(kind: string, group = ''): ResourceDefinition {
  const def = builtinResources().find((d) => d.kind === kind && d.group === group);
  if (!def) throw new Error(`no built-in ${kind} in group ${JSON.stringify(group)}`);
  return def;
}

function metaErrors(def: ResourceDefinition, object: KubeObject): FieldError[] {
  return validateObjectMeta(object.metadata ?? {}, { namespaced: def.namespaced, validateName: def.strategy?.validateName });
}

/** What a create sees: errors if invalid, else the stored object (allocations done). */
export function tryCreate(def: ResourceDefinition, input: KubeObject, ctx: TestContext = context()): { object: StoredObject; errors: string[]; rollback?: () => void } {
  const object = deepCopy(input);
  const meta = (object.metadata ??= {});
  meta.uid = meta.uid ?? 'uid-1';
  meta.creationTimestamp = CREATED;
  delete meta.resourceVersion;
  const s = def.strategy ?? {};
  s.prepareForCreate?.(object, ctx);
  s.defaults?.(object, ctx);
  const errors = [...metaErrors(def, object), ...(s.validate?.(object, ctx) ?? [])].map(String);
  if (errors.length > 0) return { object: object as StoredObject, errors };
  const rollback = s.allocate?.(object, undefined, ctx) ?? undefined;
  (object.metadata as { resourceVersion?: string }).resourceVersion = '1';
  return { object: object as StoredObject, errors: [], rollback };
}

/** Create and insist it works. */
export function create(def: ResourceDefinition, input: KubeObject, ctx: TestContext = context()): StoredObject {
  const { object, errors } = tryCreate(def, input, ctx);
  if (errors.length > 0) throw new Error(`unexpected errors:\n${errors.join('\n')}`);
  return object;
}

/** What a main-resource update sees (status kept by the server as well). */
export function tryUpdate(def: ResourceDefinition, old: StoredObject, input: KubeObject, ctx: TestContext = context()): { object: StoredObject; errors: string[] } {
  const object = deepCopy(input);
  const meta = (object.metadata ??= {});
  meta.uid = old.metadata.uid;
  meta.creationTimestamp = old.metadata.creationTimestamp;
  meta.namespace = old.metadata.namespace;
  meta.resourceVersion = old.metadata.resourceVersion;
  if (def.hasStatus) {
    if (old.status === undefined) delete object.status;
    else object.status = deepCopy(old.status);
  }
  const s = def.strategy ?? {};
  s.prepareForUpdate?.(object, old, ctx);
  s.defaults?.(object, ctx);
  const errors = [
    ...metaErrors(def, object),
    ...validateObjectMetaUpdate(object.metadata ?? {}, old.metadata),
    ...(s.validate?.(object, ctx) ?? []),
    ...(s.validateUpdate?.(object, old, ctx) ?? []),
  ].map(String);
  if (errors.length > 0) return { object: object as StoredObject, errors };
  s.allocate?.(object, old, ctx);
  return { object: object as StoredObject, errors: [] };
}

export function update(def: ResourceDefinition, old: StoredObject, input: KubeObject, ctx: TestContext = context()): StoredObject {
  const { object, errors } = tryUpdate(def, old, input, ctx);
  if (errors.length > 0) throw new Error(`unexpected errors:\n${errors.join('\n')}`);
  return object;
}


/** An object with a spec change applied (deep copy). */
export function edit<T extends KubeObject>(object: T, change: (copy: T) => void): T {
  const copy = deepCopy(object);
  change(copy);
  return copy;
}

/** Metadata every namespaced test object uses. */
export function meta(name: string, extra: Record<string, unknown> = {}): { name: string; namespace: string } & Record<string, unknown> {
  return { name, namespace: 'default', ...extra };
}
