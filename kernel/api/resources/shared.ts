/**
 * Small helpers the built-in resource modules share: walking untrusted JSON,
 * Go-zero-value defaulting, subresource descriptors, status handling and a
 * readable diff for Kubernetes' "may not change" messages.
 */
import type { SubresourceDefinition, Verb } from '../resource';
import type { KubeObject } from '../types';
import { canonicalQuantity } from '../validation';

/**
 * An object as it arrives: JSON of unknown shape. Strategies read it through
 * `kubernetes-types` views but write through this loose type, checking shapes
 * as they go, because a request body may hold anything.
 */
export type Obj = Record<string, any>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object at `o[key]`, created when missing (a Go struct field that is never nil). */
export function child(o: Obj, key: string): Obj {
  if (!isObj(o[key])) o[key] = {};
  return o[key] as Obj;
}

/** The array at `o[key]` if it is one, else an empty list (not stored). */
export function list(o: Obj | undefined, key: string): Obj[] {
  const v = o?.[key];
  return Array.isArray(v) ? (v.filter(isObj) as Obj[]) : [];
}

/** Objects of an array, for in-place defaulting. */
export function eachObj(v: unknown, fn: (o: Obj, i: number) => void): void {
  if (Array.isArray(v)) v.forEach((o, i) => isObj(o) && fn(o, i));
}

/** Default a string field: Go's zero value "" counts as unset. */
export function defaultString(o: Obj, key: string, value: string): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}

/** Default a pointer field: only nil (absent or null) counts as unset. */
export function defaultPointer(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

/** Default a non-pointer number: Go's zero value 0 counts as unset. */
export function defaultInt(o: Obj, key: string, value: number): void {
  if (o[key] === undefined || o[key] === null || o[key] === 0) o[key] = value;
}

/** Canonicalise a ResourceList in place (values rounded up to milli, as Kubernetes' SetDefaults_ResourceList does). */
export function canonicalResourceList(o: Obj | undefined, key: string): void {
  const rl = o?.[key];
  if (!isObj(rl)) return;
  for (const k of Object.keys(rl)) rl[k] = canonicalQuantity(rl[k], { roundToMilli: true });
}

/** Canonicalise a single Quantity field in place (no rounding). */
export function canonicalQuantityField(o: Obj | undefined, key: string): void {
  if (o && o[key] !== undefined && o[key] !== null) o[key] = canonicalQuantity(o[key]);
}

const STATUS_VERBS: readonly Verb[] = ['get', 'patch', 'update'];

export function statusSubresource(kind: string): SubresourceDefinition {
  return { name: 'status', kind, verbs: STATUS_VERBS };
}

/** `/scale` of the apps workloads: an autoscaling/v1 Scale. */
export const SCALE_SUBRESOURCE: SubresourceDefinition = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS };

/** Drop whatever status a client sent (types with a status subresource). */
export function resetStatus(object: KubeObject, status: Obj = {}): void {
  object.status = status;
}

/** Keep the stored status on a main-resource update (the server also does this; strategies stay correct on their own). */
export function keepStatus(object: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete object.status;
  else object.status = JSON.parse(JSON.stringify(old.status));
}

export function spec(object: KubeObject): Obj {
  return child(object as Obj, 'spec');
}

export function readSpec(object: KubeObject | undefined): Obj {
  const s = (object as Obj | undefined)?.spec;
  return isObj(s) ? s : {};
}

/** Leaf paths and values of a JSON value (`containers[0].image`). */
function leaves(value: unknown, prefix: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, '[]');
    value.forEach((v, i) => leaves(v, `${prefix}[${i}]`, out));
  } else if (isObj(value)) {
    const keys = Object.keys(value).sort();
    if (keys.length === 0 && prefix) out.set(prefix, '{}');
    for (const k of keys) leaves(value[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) {
    out.set(prefix, JSON.stringify(value));
  }
}

/**
 * A readable diff of two JSON values, in the spirit of the `cmp.Diff` Kubernetes
 * appends to "may not change" messages: one `-` line per removed or old leaf,
 * one `+` line per added or new leaf, under the Go type name.
 */
export function jsonDiff(typeName: string, before: unknown, after: unknown): string {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  leaves(before, '', a);
  leaves(after, '', b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const lines: string[] = [`  ${typeName}{`];
  for (const p of paths) {
    const x = a.get(p);
    const y = b.get(p);
    if (x === y) continue;
    if (x !== undefined) lines.push(`- \t${p}: ${x},`);
    if (y !== undefined) lines.push(`+ \t${p}: ${y},`);
  }
  lines.push('  }');
  return lines.join('\n');
}

/** A typed, read-only view of an object (`view<Pod>(object)`) for printers and selectors. */
export function view<T>(object: unknown): T {
  return object as T;
}
