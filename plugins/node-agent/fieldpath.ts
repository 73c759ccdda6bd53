/**
 * The downward API's values, shared by env (`valueFrom.fieldRef`,
 * `valueFrom.resourceFieldRef`) and downwardAPI volume files: the pod fields
 * Kubernetes exposes and container resources scaled by a divisor, with node
 * allocatable standing in for limits a container does not set.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../../kernel/api/validation';

/** What the downward API needs besides the pod. */
export interface DownwardContext {
  readonly podIPs: readonly string[];
  readonly hostIPs: readonly string[];
  /** The node's allocatable cpu, memory and ephemeral-storage (limits default to these). */
  readonly nodeAllocatable: Readonly<Record<string, string>>;
}

/** A downward API fault: an unsupported or malformed field path (validation keeps most out). */
export class FieldPathError extends Error {
  override readonly name = 'FieldPathError';
}

/** Kubernetes' FormatMap: `key="value"` lines in key order, Go-quoted. */
export function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k])}`)
    .join('\n');
}

/** Go's %q for a string (JSON escaping is the same for the characters labels and annotations hold, except < > & which Go leaves alone). */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u003c/g, '<').replace(/\\u003e/g, '>').replace(/\\u0026/g, '&');
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** The value of a pod field path (`metadata.labels['app']`, `status.podIP`, ...). */
export function podFieldValue(pod: Pod, fieldPath: string, ctx: DownwardContext): string {
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[sub[2]] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata?.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata?.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return ctx.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return ctx.hostIPs.join(',');
    case 'status.podIP':
      return ctx.podIPs[0] ?? '';
    case 'status.podIPs':
      return ctx.podIPs.join(',');
    default:
      throw new FieldPathError(`unsupported fieldPath: ${fieldPath}`);
  }
}

function nanosOf(value: string | number | undefined): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  return parseQuantity(value).nanos;
}

/** ceil(a / b) for positive bigints. */
function ceilDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n) return a;
  return (a + b - 1n) / b;
}

/**
 * A container resource (`limits.cpu`, `requests.memory`, ...) divided by
 * `divisor` and rounded up, as the kubelet's ExtractContainerResourceValue:
 * cpu in whole cores by default (divisor `1m` for millicores), memory and
 * ephemeral storage in bytes. Unset limits are the node's allocatable.
 */
export function containerResourceValue(container: Container, resource: string, divisor: string | number | undefined, ctx: DownwardContext): string {
  const [kind, name] = resource.split('.', 2) as ['limits' | 'requests', string];
  if ((kind !== 'limits' && kind !== 'requests') || !name) throw new FieldPathError(`unsupported container resource: ${resource}`);
  const set = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  let value = nanosOf(set?.[name] as string | undefined);
  if (value === undefined && kind === 'limits') value = nanosOf(ctx.nodeAllocatable[name]);
  value ??= 0n;
  let div = nanosOf(divisor);
  if (!div || div === 0n) div = 1_000_000_000n; // "0" (the serialised default) means 1
  if (name === 'cpu') {
    // Millicores first, as Kubernetes does (MilliValue rounds up), then the division rounds up.
    const milli = ceilDiv(value, 1_000_000n);
    const divMilli = ceilDiv(div, 1_000_000n);
    return String(ceilDiv(milli, divMilli));
  }
  if (name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-')) {
    const bytes = ceilDiv(value, 1_000_000_000n);
    const divBytes = ceilDiv(div, 1_000_000_000n);
    return String(ceilDiv(bytes, divBytes));
  }
  throw new FieldPathError(`unsupported container resource: ${resource}`);
}
