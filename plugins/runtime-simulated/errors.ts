/**
 * The plugin's name and its faults. Every runtime method that cannot do what
 * it was asked (an unknown id, a container in the wrong state, a refused
 * connection) throws a SimulatedRuntimeError, prefixed `plugin/runtime-simulated:`
 * as the house rules want faults attributed.
 */
import { PluginError } from '../../kernel/plugin';

export const PLUGIN_NAME = 'runtime-simulated';

export class SimulatedRuntimeError extends PluginError {
  constructor(
    reason: string,
    /** A Node-style code where a real engine's failure would carry one (`ECONNREFUSED`, `ECONNRESET`). */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(PLUGIN_NAME, reason, options);
  }
}
