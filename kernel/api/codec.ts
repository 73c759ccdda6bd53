/**
 * How objects are kept in the Store: JSON without `metadata.resourceVersion`,
 * which is the key's modRevision (as Kubernetes' etcd3 storage does), plus the
 * small helpers every write needs (uid, timestamps, generated names).
 */
import { randomUUID, randomInt } from 'node:crypto';
import type { KeyValue } from '../store/types';
import type { StoredObject } from './types';

/** Serialise for the store. The resourceVersion is never stored: it is the revision. */
export function encodeForStore(object: StoredObject): string {
  const meta = object.metadata as unknown as Record<string, unknown>;
  const rv = meta.resourceVersion;
  delete meta.resourceVersion;
  try {
    return JSON.stringify(object);
  } finally {
    if (rv !== undefined) meta.resourceVersion = rv;
  }
}

/** Parse a stored value, setting resourceVersion from the key's modRevision. */
export function decodeFromStore(kv: KeyValue): StoredObject {
  const object = JSON.parse(kv.value) as StoredObject;
  object.metadata.resourceVersion = String(kv.modRevision);
  return object;
}

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with microseconds, as metav1.MicroTime marshals. */
export function rfc3339Micro(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function newUid(): string {
  return randomUUID();
}

// Kubernetes' generateName suffix alphabet: no vowels (no words) and no confusable characters.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATED_NAME_LENGTH = 63 - 5;

/** `generateName` + 5 random characters, truncating the base as Kubernetes does. */
export function generateName(base: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return (base.length > MAX_GENERATED_NAME_LENGTH ? base.slice(0, MAX_GENERATED_NAME_LENGTH) : base) + suffix;
}

/** Parse a resourceVersion string into a revision (undefined for "", NaN-safe). */
export function parseResourceVersion(rv: string | undefined | null): number | undefined {
  if (rv === undefined || rv === null || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) return NaN;
  return Number(rv);
}
