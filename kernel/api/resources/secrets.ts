/**
 * core/v1 Secret: type Opaque by default, stringData folded into data (the v1
 * conversion), keys and size checked like ConfigMaps, each built-in type's
 * required keys, and type and immutable data fixed once set. `type` is a
 * field selector.
 */
import type { Secret } from 'kubernetes-types/core/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, isConfigMapKey, jsonEqual, validateImmutableField } from '../validation';
import { IMMUTABLE_WHEN_SET, MAX_CONFIG_SIZE, decodedLength } from './configmaps';
import { AGE_COLUMN, age, column } from './printing';
import { child, defaultString, isObj, view, type Obj } from './shared';

function defaults(object: Obj): void {
  defaultString(object, 'type', 'Opaque');
  // stringData is write-only: it is merged into data (overriding) and never stored.
  if (isObj(object.stringData)) {
    const data = child(object, 'data');
    for (const [k, v] of Object.entries(object.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  }
  delete object.stringData;
}

/** Go's base64 decoder error for a malformed value, or undefined. */
export function base64Problem(value: string): string | undefined {
  const clean = value.replace(/[\r\n]/g, '');
  const bad = clean.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) return `illegal base64 data at input byte ${bad}`;
  const firstPad = clean.indexOf('=');
  if (firstPad >= 0 && (clean.slice(firstPad).replace(/=/g, '') !== '' || clean.length - firstPad > 2)) return `illegal base64 data at input byte ${firstPad}`;
  if (clean.length % 4 !== 0) return `illegal base64 data at input byte ${clean.length - (clean.length % 4)}`;
  return undefined;
}

const dataKey = (key: string) => FieldPath.of('data').key(key).toString();

function requireJSON(data: Obj, key: string): FieldError[] {
  if (!(key in data)) return [FieldError.required(dataKey(key))];
  try {
    JSON.parse(Buffer.from(String(data[key]), 'base64').toString('utf8'));
    return [];
  } catch (err) {
    return [FieldError.invalid(dataKey(key), '<secret contents redacted>', (err as Error).message)];
  }
}

function validate(object: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const data: Obj = isObj(object.data) ? object.data : {};
  let size = 0;
  for (const [key, value] of Object.entries(data)) {
    for (const m of isConfigMapKey(key)) errs.push(FieldError.invalid(dataKey(key), key, m));
    const problem = base64Problem(String(value));
    if (problem) errs.push(FieldError.invalid(dataKey(key), '<secret contents redacted>', problem));
    else size += decodedLength(String(value));
  }
  if (size > MAX_CONFIG_SIZE) errs.push(FieldError.tooLong('data', MAX_CONFIG_SIZE));
  switch (object.type) {
    case 'kubernetes.io/service-account-token':
      if (!object.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(FieldError.required(FieldPath.of('metadata', 'annotations').key('kubernetes.io/service-account.name').toString()));
      }
      break;
    case 'kubernetes.io/dockercfg':
      errs.push(...requireJSON(data, '.dockercfg'));
      break;
    case 'kubernetes.io/dockerconfigjson':
      errs.push(...requireJSON(data, '.dockerconfigjson'));
      break;
    case 'kubernetes.io/basic-auth':
      if (!('username' in data) && !('password' in data)) errs.push(FieldError.required(dataKey('username')), FieldError.required(dataKey('password')));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']) errs.push(FieldError.required(dataKey('ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!('tls.crt' in data)) errs.push(FieldError.required(dataKey('tls.crt')));
      if (!('tls.key' in data)) errs.push(FieldError.required(dataKey('tls.key')));
      break;
    default:
      break;
  }
  return errs;
}

function validateUpdate(object: Obj, old: Obj): FieldError[] {
  const errs = validateImmutableField(object.type ?? '', old.type ?? '', 'type');
  if (old.immutable === true) {
    if (object.immutable !== true) errs.push(FieldError.forbidden('immutable', IMMUTABLE_WHEN_SET));
    if (!jsonEqual(object.data, old.data)) errs.push(FieldError.forbidden('data', IMMUTABLE_WHEN_SET));
  }
  return errs;
}

export const secretStrategy: ResourceStrategy = {
  defaults,
  validate,
  validateUpdate,
  selectableFields: (object) => ({ type: typeof object.type === 'string' ? object.type : '' }),
  table: {
    columns: [
      column('Type', 'string', 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'),
      column('Data', 'string', 'Data contains the secret data.'),
      AGE_COLUMN,
    ],
    cells: (object, now) => {
      const s = view<Secret>(object);
      return [s.type ?? '', Object.keys(s.data ?? {}).length, age(s.metadata?.creationTimestamp, now)];
    },
  },
};

export const secrets: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  namespaced: true,
  strategy: secretStrategy,
};
