/**
 * The `controllers` plugin: skiff's kube-controller-manager. Each controller
 * is a module in its own folder, level-triggered on shared informers and a
 * rate-limited work queue (ARCHITECTURE §5); which ones run is chosen like
 * kube-controller-manager's `--controllers` flag:
 *
 *   plugins:
 *     - name: controllers
 *       options:
 *         controllers: ['*', '-nodelifecycle']     # default ['*']
 *         settings:
 *           nodelifecycle: { nodeMonitorGracePeriodSeconds: 40 }
 */
import { setMaxListeners } from 'node:events';
import { PluginError, definePlugin, validateWithSchema, type OptionsProblem } from '../../kernel/plugin';
import { SharedInformerFactory } from '../../kernel/client/informer';
import { EventRecorder } from '../../kernel/client/events';
import * as tokens from '../../kernel/tokens';
import { CONTROLLERS } from './registry';
import type { ControllerContext, ControllerModule, RunningController } from './types';

export const PLUGIN_NAME = 'controllers';

export interface ControllersOptions {
  /** `*` (every controller enabled by default), `name` (enable), `-name` (disable). Default `['*']`. */
  controllers?: string[];
  /** Per-controller settings, by controller name. */
  settings?: Record<string, Record<string, unknown>>;
}

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    controllers: { type: 'array', items: { type: 'string', minLength: 1 } },
    settings: { type: 'object', additionalProperties: { type: 'object' } },
  },
};

function load(name: string): ControllerModule<Record<string, unknown>> {
  return CONTROLLERS[name]() as unknown as ControllerModule<Record<string, unknown>>;
}

/** The controllers `--controllers`-style selection enables, in registry order. */
export function enabledControllers(selection: readonly string[] = ['*']): string[] {
  const names = Object.keys(CONTROLLERS);
  const star = selection.includes('*');
  return names.filter((name) => {
    if (selection.includes(`-${name}`)) return false;
    if (selection.includes(name)) return true;
    return star && load(name).enabledByDefault;
  });
}

export function validateOptions(options: ControllersOptions): OptionsProblem[] {
  const problems: OptionsProblem[] = [];
  const known = Object.keys(CONTROLLERS);
  (options.controllers ?? []).forEach((entry, i) => {
    const name = entry.startsWith('-') ? entry.slice(1) : entry;
    if (entry !== '*' && !known.includes(name)) problems.push({ path: ['controllers', i], message: `unknown controller ${JSON.stringify(name)} (known: ${known.join(', ')})` });
  });
  for (const [name, settings] of Object.entries(options.settings ?? {})) {
    if (!known.includes(name)) {
      problems.push({ path: ['settings', name], message: `unknown controller ${JSON.stringify(name)} (known: ${known.join(', ')})` });
      continue;
    }
    const module = load(name);
    const found = [...(module.optionsSchema ? validateWithSchema(module.optionsSchema, settings) : []), ...(module.validateOptions?.(settings) ?? [])];
    for (const p of found) problems.push({ path: ['settings', name, ...p.path], message: p.message });
  }
  return problems;
}

export default definePlugin<ControllersOptions>({
  name: PLUGIN_NAME,
  optionsSchema,
  validateOptions,
  apply(kernel, options) {
    const names = enabledControllers(options.controllers);
    const abort = new AbortController();
    // Every controller (and its informers' cache waits) listens on this one signal: a dozen is expected, not a leak.
    setMaxListeners(100, abort.signal);
    let running: Array<{ name: string; controller: RunningController }> = [];
    let factory: SharedInformerFactory | undefined;

    kernel.hooks.lifecycle.boot.tapPromise(PLUGIN_NAME, async () => {
      const clock = kernel.container.resolve(tokens.Clock);
      factory = new SharedInformerFactory(kernel.client, { clock, logger: kernel.logger });
      const context: ControllerContext = {
        client: kernel.client,
        informers: factory,
        clock,
        logger: kernel.logger,
        events: (component) => new EventRecorder(kernel.client, { clock, logger: kernel.logger, component }),
        hooks: kernel.hooks,
        signal: abort.signal,
      };
      for (const name of names) {
        try {
          const controller = await load(name).start(context, options.settings?.[name] ?? {});
          running.push({ name, controller });
        } catch (err) {
          throw new PluginError(PLUGIN_NAME, `controller ${name}: ${(err as Error).message}`, { cause: err });
        }
      }
      factory.start();
      kernel.logger.info(`started controllers: ${names.join(', ') || 'none'}`);
    });

    kernel.hooks.lifecycle.shutdown.tapPromise(PLUGIN_NAME, async () => {
      abort.abort();
      await Promise.all(running.map((r) => r.controller.stopped));
      running = [];
      await factory?.stop();
    });
  },
});
