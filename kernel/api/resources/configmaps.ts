/**
 * core/v1 ConfigMap: keys must be valid config keys and unique across data
 * and binaryData, the whole payload stays under 1 MiB, and an immutable
 * ConfigMap keeps its data forever.
 */
import type { ConfigMap } from 'kubernetes-types/core/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, isConfigMapKey, jsonEqual } from '../validation';
import { AGE_COLUMN, age, column } from './printing';
import { isObj, view, type Obj } from './shared';

/** Kubernetes' limit for ConfigMap and Secret payloads. */
export const MAX_CONFIG_SIZE = 1024 * 1024;

export const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

/** Bytes of a base64 value once decoded (binaryData, Secret data). */
export function decodedLength(value: string): number {
  const clean = value.replace(/[\r\n]/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.floor((clean.length * 3) / 4) - padding;
}

function validate(object: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const data: Obj = isObj(object.data) ? object.data : {};
  const binary: Obj = isObj(object.binaryData) ? object.binaryData : {};
  let size = 0;
  for (const [key, value] of Object.entries(data)) {
    const p = FieldPath.of('data').key(key).toString();
    for (const m of isConfigMapKey(key)) errs.push(FieldError.invalid(p, key, m));
    if (key in binary) errs.push(FieldError.invalid(p, key, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(String(value));
  }
  for (const [key, value] of Object.entries(binary)) {
    for (const m of isConfigMapKey(key)) errs.push(FieldError.invalid(FieldPath.of('binaryData').key(key).toString(), key, m));
    size += decodedLength(String(value));
  }
  // Kubernetes reports this at the root path, which it prints as `[]`.
  if (size > MAX_CONFIG_SIZE) errs.push(FieldError.tooLong('[]', MAX_CONFIG_SIZE));
  return errs;
}

function validateUpdate(object: Obj, old: Obj): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (object.immutable !== true) errs.push(FieldError.forbidden('immutable', IMMUTABLE_WHEN_SET));
  if (!jsonEqual(object.data, old.data)) errs.push(FieldError.forbidden('data', IMMUTABLE_WHEN_SET));
  if (!jsonEqual(object.binaryData, old.binaryData)) errs.push(FieldError.forbidden('binaryData', IMMUTABLE_WHEN_SET));
  return errs;
}

export const configMapStrategy: ResourceStrategy = {
  validate,
  validateUpdate,
  table: {
    columns: [column('Data', 'string', 'Data contains the configuration data.'), AGE_COLUMN],
    cells: (object, now) => {
      const cm = view<ConfigMap>(object);
      return [Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm.metadata?.creationTimestamp, now)];
    },
  },
};

export const configMaps: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  strategy: configMapStrategy,
};
