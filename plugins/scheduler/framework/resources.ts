/**
 * Resource amounts in the scheduler's canonical integer units (cpu in
 * millicores, everything else in whole units), and a pod's effective
 * requests as kube-scheduler computes them (resource.PodRequests).
 */
import type { Pod, Container } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../../../kernel/api/validation';
import type { ResourceList } from '../../../kernel/scheduling/types';

/** kube-scheduler's defaults for containers that request no cpu or memory, used when scoring (DefaultMilliCPURequest, DefaultMemoryRequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const NANO = 1_000_000_000n;

/** A quantity in canonical units, rounded up as Kubernetes' MilliValue/Value do. Unparseable quantities count as 0 (the API server validated them). */
export function canonicalAmount(resource: string, quantity: string | number | undefined): number {
  if (quantity === undefined || quantity === null) return 0;
  let nanos: bigint;
  try {
    nanos = parseQuantity(quantity).nanos;
  } catch {
    // Deliberately absorbed: the API server validated the quantity; a stored one it could not parse counts as nothing.
    return 0;
  }
  const per = resource === 'cpu' ? 1_000_000n : NANO;
  let value = nanos / per;
  if (nanos % per !== 0n && nanos > 0n) value += 1n;
  return Number(value);
}

/** A ResourceList from a Kubernetes `{ cpu: '500m', memory: '1Gi' }`. */
export function toResourceList(quantities: Readonly<Record<string, string | number>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!quantities) return out;
  for (const [name, q] of Object.entries(quantities)) out[name] = canonicalAmount(name, q);
  return out;
}

function addInto(into: Record<string, number>, add: ResourceList): void {
  for (const k in add) into[k] = (into[k] ?? 0) + add[k];
}

function maxInto(into: Record<string, number>, other: ResourceList): void {
  for (const k in other) if ((into[k] ?? 0) < other[k]) into[k] = other[k];
}

function containerRequests(c: Container, nonZero: boolean): Record<string, number> {
  const r = toResourceList(c.resources?.requests as Record<string, string> | undefined);
  if (nonZero) {
    // Only an absent request takes the default; an explicit 0 stays 0 (GetNonzeroRequestForResource).
    if (!('cpu' in r)) r.cpu = DEFAULT_MILLI_CPU_REQUEST;
    if (!('memory' in r)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * A pod's effective requests: the sum over app containers (and restartable
 * init containers, which keep running), or the largest single init container
 * plus the sidecars started before it, whichever is larger, plus the pod's
 * overhead. `nonZero` applies the scoring defaults to containers without
 * cpu or memory requests. `pods` is not included.
 */
export function podRequests(pod: Pod, nonZero = false): Record<string, number> {
  const spec = pod.spec;
  const sum: Record<string, number> = {};
  if (!spec) return sum;
  for (const c of spec.containers ?? []) addInto(sum, containerRequests(c, nonZero));
  const sidecars: Record<string, number> = {};
  const initMax: Record<string, number> = {};
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addInto(sum, r);
      addInto(sidecars, r);
      maxInto(initMax, sidecars);
    } else {
      const whileRunning = { ...sidecars };
      addInto(whileRunning, r);
      maxInto(initMax, whileRunning);
    }
  }
  maxInto(sum, initMax);
  if (spec.overhead) addInto(sum, toResourceList(spec.overhead as Record<string, string>));
  return sum;
}
