/**
 * How a simulated container behaves beyond what its command says, scripted
 * without code: by `SIMULATED_*` environment variables on the container, or
 * by `behaviours` rules in the plugin options (matched by image or container
 * name), so that a benchmark can make every `nginx` exit after a minute
 * without touching its manifests. A variable on the container wins over a
 * rule.
 */
import { imageMatches } from './images';

export interface Behaviour {
  /** Exit (or be OOM-killed) this long after starting, whatever the command does. */
  readonly exitAfterMs?: number;
  /** The exit code at `exitAfterMs` (or at once, when only this is given). */
  readonly exitCode?: number;
  /** End OOMKilled (exit 137) at `exitAfterMs` (or at once). */
  readonly oom?: boolean;
  /** Ignore SIGTERM: only the SIGKILL at the end of the grace period stops it. */
  readonly ignoreSigterm?: boolean;
  /** Take this long to exit after SIGTERM (graceful shutdown). */
  readonly termDelayMs?: number;
  /** Refuse port-forward connections until this long after starting (an app warming up). */
  readonly readyAfterMs?: number;
  /** Take this long from startContainer to running. */
  readonly startDelayMs?: number;
}

/** A `behaviours` rule: a behaviour for the containers it matches. */
export interface BehaviourRule extends Behaviour {
  /** An image reference (without a tag: every tag; a trailing `*`: any suffix). */
  readonly image?: string;
  /** A container name (`spec.containers[].name`). */
  readonly container?: string;
}

/** The environment variables and what they set. */
export const BEHAVIOUR_ENV = {
  exitAfterMs: 'SIMULATED_EXIT_AFTER_MS',
  exitCode: 'SIMULATED_EXIT_CODE',
  oom: 'SIMULATED_OOM',
  ignoreSigterm: 'SIMULATED_IGNORE_SIGTERM',
  termDelayMs: 'SIMULATED_TERM_DELAY_MS',
  readyAfterMs: 'SIMULATED_READY_AFTER_MS',
  startDelayMs: 'SIMULATED_START_DELAY_MS',
} as const satisfies Record<keyof Behaviour, string>;

const FLAGS = new Set<keyof Behaviour>(['oom', 'ignoreSigterm']);

/** An env value that does not parse: the container cannot be created (as a bad spec would fail in a real runtime). */
export class BehaviourError extends Error {
  override readonly name = 'BehaviourError';
}

/**
 * The behaviour of a container: the first matching rule, overridden key by
 * key by the container's `SIMULATED_*` variables. Throws BehaviourError for a
 * variable with a value that does not parse.
 */
export function behaviourOf(
  container: { readonly name: string; readonly normalizedImage: string; readonly env: ReadonlyArray<{ readonly name: string; readonly value: string }> },
  rules: readonly BehaviourRule[],
): Behaviour {
  const rule = rules.find(
    (r) => (r.image === undefined || imageMatches(r.image, container.normalizedImage)) && (r.container === undefined || r.container === container.name),
  );
  const result: { -readonly [K in keyof Behaviour]: Behaviour[K] } = {};
  if (rule) {
    for (const key of Object.keys(BEHAVIOUR_ENV) as Array<keyof Behaviour>) if (rule[key] !== undefined) (result as Record<string, unknown>)[key] = rule[key];
  }
  for (const { name, value } of container.env) {
    if (!name.startsWith('SIMULATED_')) continue;
    const key = (Object.keys(BEHAVIOUR_ENV) as Array<keyof Behaviour>).find((k) => BEHAVIOUR_ENV[k] === name);
    if (!key) continue; // Other SIMULATED_ names are the user's own variables.
    (result as Record<string, unknown>)[key] = FLAGS.has(key) ? parseFlag(name, value) : parseNumber(name, value, key === 'exitCode' ? 255 : Number.MAX_SAFE_INTEGER);
  }
  return result;
}

function parseFlag(name: string, value: string): boolean {
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no|)$/i.test(value)) return false;
  throw new BehaviourError(`${name}: ${JSON.stringify(value)} is not a flag (1/true/yes or 0/false/no)`);
}

function parseNumber(name: string, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) > max) throw new BehaviourError(`${name}: ${JSON.stringify(value)} is not an integer from 0 to ${max}`);
  return Number(value);
}

/** When and how the behaviour ends the container on its own, if it does: env and rules win over the command. */
export function scriptedEnd(behaviour: Behaviour): { readonly afterMs: number; readonly exitCode: number; readonly oom: boolean } | undefined {
  if (behaviour.exitAfterMs === undefined && behaviour.exitCode === undefined && !behaviour.oom) return undefined;
  return { afterMs: behaviour.exitAfterMs ?? 0, exitCode: behaviour.oom ? 137 : (behaviour.exitCode ?? 0), oom: behaviour.oom === true };
}
