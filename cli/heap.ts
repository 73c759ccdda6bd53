/**
 * How far the JavaScript heap may grow between full garbage collections, for
 * the long-running commands (`skiff up`, `skiff agent`).
 *
 * Left to itself V8 lets the old generation grow to up to four times what
 * survived the last full collection when collecting is cheap, which it is for
 * a server that keeps most of its state as strings: 1,000 simulated nodes
 * holding 10,000 pods keep about 260 MB alive and sat at 1 GB of RSS. Go's
 * runtime, which the Kubernetes components run on, grows the heap by GOGC
 * percent (100 by default: to twice the live heap), and skiff does the same:
 * SKIFF_HEAP_GROWTH_PERCENT (default 100) is the percentage, `0` leaves V8's
 * own heuristics.
 */
import * as v8 from 'node:v8';

export const HEAP_GROWTH_ENV = 'SKIFF_HEAP_GROWTH_PERCENT';
export const DEFAULT_HEAP_GROWTH_PERCENT = 100;

/** The percentage `value` asks for (undefined: V8's own heuristics), or an error naming the variable. */
export function parseHeapGrowth(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return DEFAULT_HEAP_GROWTH_PERCENT;
  if (!/^\d+$/.test(value.trim())) throw new Error(`${HEAP_GROWTH_ENV}=${JSON.stringify(value)}: must be a whole number of percent (100 grows the heap to twice what is live; 0 leaves V8's own heuristics)`);
  const percent = Number(value.trim());
  if (percent === 0) return undefined;
  if (percent < 10 || percent > 1000) throw new Error(`${HEAP_GROWTH_ENV}=${value}: must be 0 or between 10 and 1000`);
  return percent;
}

/** Apply SKIFF_HEAP_GROWTH_PERCENT from `env` to this process's heap; returns the percentage applied. */
export function applyHeapGrowth(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const percent = parseHeapGrowth(env[HEAP_GROWTH_ENV]);
  if (percent !== undefined) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
