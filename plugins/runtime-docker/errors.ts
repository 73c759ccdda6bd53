/**
 * Faults from the Docker engine, as the kernel sees them: `plugin/runtime-docker:
 * <what failed>: <the engine's own words>`, with the engine's error as `cause`.
 * Also the few engine answers the runtime treats as outcomes rather than
 * faults (404 on stop/remove/status, 304 on stop), recognised in one place.
 */
import { PluginError } from '../../kernel/plugin';

export const PLUGIN_NAME = 'runtime-docker';

/** A fault attributed to this plugin. */
export function runtimeError(reason: string, cause?: unknown): PluginError {
  const detail = cause === undefined ? '' : `: ${engineMessage(cause)}`;
  return new PluginError(PLUGIN_NAME, `${reason}${detail}`, cause === undefined ? undefined : { cause });
}

/** The HTTP status the engine answered with, if the error came from an answer. */
export function engineStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** "No such container/image/exec". */
export function isNotFound(err: unknown): boolean {
  return engineStatus(err) === 404;
}

/**
 * The engine's message without docker-modem's wrapping (`(HTTP code 404) no
 * such container - No such container: abc `): the daemon's JSON `message`
 * when there is one, else the error's message.
 */
export function engineMessage(err: unknown): string {
  const json = (err as { json?: unknown } | undefined)?.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message.trim();
  }
  if (typeof json === 'string' && json.trim()) return json.trim();
  if (err instanceof Error) return err.message.trim();
  return String(err);
}
