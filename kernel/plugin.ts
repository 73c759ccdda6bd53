/**
 * The plugin contract and loader.
 *
 * A plugin is `{ name, optionsSchema?, validateOptions?, apply(kernel, options) }`.
 * It validates its options first (the kernel does that for every plugin before
 * applying any), registers its services in its own child DI container, taps
 * hooks under its own name, and returns nothing else.
 *
 * The loader takes built-in names (`scheduler`) and npm package names
 * (`@acme/skiff-quota`, resolved through node_modules from the config file's
 * directory, then the current directory), in config order.
 */
import Ajv from 'ajv';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DependencyContainer } from 'tsyringe';
import { ClusterConfig, ConfigError, ConfigProblem, describeSchemaErrors, formatPath, locateInFile, PluginEntry } from './config';
import type { KernelHooks } from './hooks';
import type { Logger } from './log';
import type { ApiClient } from './client/types';
import type { StoreFactory } from './store/factory';
import { builtinPlugins } from '../plugins';

/** What a plugin's `apply` receives. */
export interface PluginContext {
  /** The plugin's name (use it for taps: `hooks.x.tap(kernel.name, ...)`). */
  readonly name: string;
  readonly hooks: KernelHooks;
  /** The plugin's own child container; kernel services (Store, ApiClient, Clock, Logger) resolve through it. */
  readonly container: DependencyContainer;
  readonly config: ClusterConfig;
  readonly logger: Logger;
  /** The in-process API client; usable from the `lifecycle.boot` hook on (the server is not up during `apply`). */
  readonly client: ApiClient;
  /** A directory of the plugin's own under the cluster's data directory (created on first use). */
  dataDir(): string;
  /** Offer a Store implementation selectable in cluster.yaml as `store.type: <type>`. */
  provideStore(type: string, factory: StoreFactory): void;
  /**
   * skiff's public API (`import ... from 'skiff'`) of the kernel running the
   * plugin, the way webpack hands plugins `compiler.webpack`: a plugin
   * published on npm uses `kernel.skiff.tapSchedulingPlugin(...)` without
   * depending on (and possibly duplicating) a copy of skiff.
   */
  readonly skiff: typeof import('./index');
}

/** A path under the plugin's options (`['network']`) and what is wrong there. */
export interface OptionsProblem {
  path: Array<string | number>;
  message: string;
}

export interface Plugin<O = Record<string, unknown>> {
  /** The plugin's name: taps and errors are labelled with it. */
  readonly name: string;
  /** JSON Schema of the options (validated with ajv; defaults are not applied, do that in `apply`). */
  readonly optionsSchema?: object;
  /** Checks the schema cannot express (CIDRs, cross-field rules). */
  validateOptions?(options: O): OptionsProblem[];
  /** Wire the plugin into the kernel. Throwing stops the boot with `plugin/<name>: <reason>`. */
  apply(kernel: PluginContext, options: O): void | Promise<void>;
}

/** Type helper for plugin authors: `export default definePlugin({ ... })`. */
export function definePlugin<O = Record<string, unknown>>(plugin: Plugin<O>): Plugin<O> {
  return plugin;
}

/** A failure attributed to a plugin: `plugin/<name>: <reason>`. */
export class PluginError extends Error {
  override readonly name = 'PluginError';
  constructor(
    readonly plugin: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`plugin/${plugin}: ${reason}`, options);
  }
}

export interface LoadedPlugin {
  readonly entry: PluginEntry;
  readonly index: number;
  readonly plugin: Plugin<Record<string, unknown>>;
  /** Where it came from: `builtin` or the resolved package directory. */
  readonly origin: string;
}

function isPlugin(value: unknown): value is Plugin<Record<string, unknown>> {
  return !!value && typeof value === 'object' && typeof (value as Plugin).name === 'string' && typeof (value as Plugin).apply === 'function';
}

/** Resolve one plugin entry to its module. */
export async function resolvePlugin(entry: PluginEntry, config: ClusterConfig): Promise<{ plugin: Plugin<Record<string, unknown>>; origin: string }> {
  const builtin = builtinPlugins[entry.name];
  if (builtin) return { plugin: (await builtin()) as Plugin<Record<string, unknown>>, origin: 'builtin' };

  const bases = [config.source ? path.dirname(path.resolve(config.source)) : undefined, process.cwd()].filter((b): b is string => !!b);
  let resolved: string | undefined;
  for (const base of bases) {
    try {
      resolved = createRequire(path.join(base, 'noop.js')).resolve(entry.name);
      break;
    } catch {
      // Not resolvable from this base; try the next one.
    }
  }
  if (!resolved) {
    const known = Object.keys(builtinPlugins).sort().join(', ');
    throw new PluginError(entry.name, `not a built-in plugin (${known || 'none'}) and not an installed npm package (searched node_modules from ${bases.join(', ')})`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = await loadModule(resolved);
  } catch (err) {
    throw new PluginError(entry.name, `cannot load ${resolved}: ${(err as Error).message}`, { cause: err });
  }
  // ESM default, CJS module.exports, or `export const plugin`.
  const candidates = [mod.default, (mod.default as Record<string, unknown> | undefined)?.default, mod.plugin, mod];
  const plugin = candidates.find(isPlugin);
  if (!plugin) throw new PluginError(entry.name, `${resolved} does not export a plugin (expected a default export with name and apply)`);
  return { plugin, origin: path.dirname(resolved) };
}

/**
 * Load a plugin module with Node's own loader: `require` handles CommonJS and
 * (Node 20.19+) ES modules; modules with top-level await need `import()`,
 * which is kept out of reach of transpilers that would turn it into require.
 */
const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

async function loadModule(file: string): Promise<Record<string, unknown>> {
  try {
    return createRequire(file)(file) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ASYNC_MODULE' || code === 'ERR_REQUIRE_ESM') return nativeImport(pathToFileURL(file).href);
    throw err;
  }
}

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });

/**
 * Resolve every plugin and validate every plugin's options before any is
 * applied, so that a bad config fails before anything starts.
 */
export async function loadPlugins(config: ClusterConfig): Promise<LoadedPlugin[]> {
  const file = config.source ?? 'cluster.yaml';
  const loaded: LoadedPlugin[] = [];
  const problems: ConfigProblem[] = [];
  const names = new Map<string, number>();
  for (const [index, entry] of config.plugins.entries()) {
    let resolved: { plugin: Plugin<Record<string, unknown>>; origin: string };
    try {
      resolved = await resolvePlugin(entry, config);
    } catch (err) {
      const at = ['plugins', index, 'name'];
      problems.push({ path: formatPath(at), message: (err as Error).message, ...locateInFile(config.source, at) });
      continue;
    }
    const { plugin } = resolved;
    const other = names.get(plugin.name);
    if (other !== undefined) {
      const at = ['plugins', index];
      problems.push({ path: formatPath(at), message: `plugin name ${JSON.stringify(plugin.name)} is already used by plugins[${other}]`, ...locateInFile(config.source, at) });
      continue;
    }
    names.set(plugin.name, index);
    for (const p of validatePluginOptions(plugin, entry.options)) {
      const at = ['plugins', index, 'options', ...p.path];
      problems.push({ path: formatPath(at), message: p.message, ...locateInFile(config.source, at) });
    }
    loaded.push({ entry, index, plugin, origin: resolved.origin });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return loaded;
}

const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();

/** Problems of `value` against a JSON Schema, with paths (plugins use it for nested settings, such as a scheduling plugin's args). */
export function validateWithSchema(schema: object, value: unknown): OptionsProblem[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return describeSchemaErrors(validate.errors).map((p) => ({ path: p.segments, message: p.message }));
}

/** A plugin's options problems (schema first, then its own checks). */
export function validatePluginOptions(plugin: Plugin<Record<string, unknown>>, options: Record<string, unknown>): OptionsProblem[] {
  if (plugin.optionsSchema) {
    const validate = ajv.compile(plugin.optionsSchema);
    if (!validate(options)) return describeSchemaErrors(validate.errors).map((p) => ({ path: p.segments, message: p.message }));
  }
  try {
    return plugin.validateOptions?.(options) ?? [];
  } catch (err) {
    return [{ path: [], message: `option validation failed: ${(err as Error).message}` }];
  }
}
