/**
 * Scheduling plugins on the kernel's scheduling hooks.
 *
 * `tapSchedulingPlugin(kernel.hooks, plugin)` taps every extension point the
 * plugin object implements, under the plugin's name, and records the plugin's
 * args schema so that profiles can configure it. It is all a third-party npm
 * package needs:
 *
 *   import { definePlugin, tapSchedulingPlugin, type ScorePlugin } from 'skiff';
 *   const ZoneSpread = { name: 'ZoneSpread', score(state, pod, node) { ... } } satisfies ScorePlugin;
 *   export default definePlugin({ name: 'skiff-plugin-zone-spread', apply(kernel) { tapSchedulingPlugin(kernel.hooks, ZoneSpread); } });
 *
 * Tapping the hooks by hand (`kernel.hooks.scheduling.score.tap('ZoneSpread', fn)`)
 * works too; such a plugin just has no args. `schedulingPlugins(hooks)` is how
 * the scheduler reads them back: one view per name, whichever way it was tapped.
 */
import type { KernelHooks } from '../hooks';
import type { AnySchedulingPlugin } from './types';

/** The extension point methods, in pipeline order, each tapped on the hook of the same name. */
export const EXTENSION_POINTS = [
  'less',
  'preFilter',
  'filter',
  'postFilter',
  'preScore',
  'score',
  'normalizeScore',
  'reserve',
  'unreserve',
  'permit',
  'preBind',
  'bind',
  'postBind',
] as const;

export type ExtensionPointMethod = (typeof EXTENSION_POINTS)[number];

/** The kernel hook a method taps (`less` taps `queueSort`). */
export function hookOf(method: ExtensionPointMethod): keyof KernelHooks['scheduling'] {
  return method === 'less' ? 'queueSort' : method;
}

const described = new WeakMap<KernelHooks, Map<string, AnySchedulingPlugin>>();

function descriptions(hooks: KernelHooks): Map<string, AnySchedulingPlugin> {
  let map = described.get(hooks);
  if (!map) {
    map = new Map();
    described.set(hooks, map);
  }
  return map;
}

/** Tap each extension point `plugin` implements under its name. Two plugins of one name is an error. */
export function tapSchedulingPlugin(hooks: KernelHooks, plugin: AnySchedulingPlugin): void {
  if (!plugin || typeof plugin.name !== 'string' || plugin.name === '') throw new Error('a scheduling plugin needs a name');
  const seen = descriptions(hooks);
  if (seen.has(plugin.name) || schedulingPluginNames(hooks).has(plugin.name)) throw new Error(`scheduling plugin ${JSON.stringify(plugin.name)} is already registered`);
  let any = false;
  for (const method of EXTENSION_POINTS) {
    const fn = plugin[method] as ((...args: never[]) => unknown) | undefined;
    if (typeof fn !== 'function') continue;
    any = true;
    const hook = hooks.scheduling[hookOf(method)] as unknown as { tap(options: { name: string; schedulingPlugin: AnySchedulingPlugin }, fn: (...args: unknown[]) => unknown): void };
    // The tap remembers the object it came from (tapable keeps extra tap options), so the scheduler can call it directly.
    hook.tap({ name: plugin.name, schedulingPlugin: plugin }, (fn as (...args: unknown[]) => unknown).bind(plugin));
  }
  if (!any) throw new Error(`scheduling plugin ${JSON.stringify(plugin.name)} implements no extension point (${EXTENSION_POINTS.join(', ')})`);
  seen.set(plugin.name, {
    name: plugin.name,
    argsSchema: plugin.argsSchema,
    defaultArgs: plugin.defaultArgs,
    validateArgs: plugin.validateArgs?.bind(plugin),
    addPod: plugin.addPod?.bind(plugin),
    removePod: plugin.removePod?.bind(plugin),
  } as AnySchedulingPlugin);
}

/** Names of everything tapped on any scheduling hook. */
export function schedulingPluginNames(hooks: KernelHooks): Set<string> {
  const names = new Set<string>();
  for (const method of EXTENSION_POINTS) for (const tap of hookTaps(hooks, method)) names.add(tap.name);
  return names;
}

interface Tap {
  readonly name: string;
  readonly type: 'sync' | 'async' | 'promise';
  readonly fn: (...args: unknown[]) => unknown;
  /** Set by tapSchedulingPlugin: the plugin object the tap calls. */
  readonly schedulingPlugin?: AnySchedulingPlugin;
}

function hookTaps(hooks: KernelHooks, method: ExtensionPointMethod): readonly Tap[] {
  return (hooks.scheduling[hookOf(method)] as unknown as { taps: Tap[] }).taps;
}

/**
 * Every scheduling plugin on `hooks`, by name: the plugin object itself when
 * all the taps of that name are `tapSchedulingPlugin`'s for it (the
 * scheduler then calls its methods directly, millions of times for filters);
 * otherwise the taps of that name gathered into one plugin object (a
 * callback-style `tapAsync` tap is adapted to a promise), with the args
 * schema `tapSchedulingPlugin` recorded.
 */
export function schedulingPlugins(hooks: KernelHooks): Map<string, AnySchedulingPlugin> {
  const out = new Map<string, Record<string, unknown>>();
  const meta = descriptions(hooks);
  const sources = new Map<string, Set<AnySchedulingPlugin | undefined>>();
  for (const method of EXTENSION_POINTS) {
    for (const tap of hookTaps(hooks, method)) {
      let set = sources.get(tap.name);
      if (!set) sources.set(tap.name, (set = new Set()));
      set.add(tap.schedulingPlugin);
      let plugin = out.get(tap.name);
      if (!plugin) {
        const m = meta.get(tap.name);
        // PreFilterExtensions and args are not hooks: they come from the object tapSchedulingPlugin was given.
        plugin = { name: tap.name, argsSchema: m?.argsSchema, defaultArgs: m?.defaultArgs, validateArgs: m?.validateArgs, addPod: m?.addPod, removePod: m?.removePod };
        out.set(tap.name, plugin);
      }
      if (plugin[method]) throw new Error(`scheduling plugin ${JSON.stringify(tap.name)} tapped ${hookOf(method)} twice`);
      plugin[method] =
        tap.type === 'async'
          ? (...args: unknown[]) =>
              new Promise((resolve, reject) => tap.fn(...args, (err: unknown, result: unknown) => (err ? reject(err) : resolve(result))))
          : tap.fn;
    }
  }
  for (const [name, set] of sources) {
    const [only] = set;
    if (set.size === 1 && only) out.set(name, only as unknown as Record<string, unknown>);
  }
  return out as unknown as Map<string, AnySchedulingPlugin>;
}

/** A pod held at Permit (a plugin returned Wait), as plugins see it (framework.WaitingPod). */
export interface WaitingPod {
  readonly pod: import('kubernetes-types/core/v1').Pod;
  /** Plugins that have not allowed it yet. */
  readonly pendingPlugins: readonly string[];
  /** `plugin` allows it; once every waiting plugin has, it binds. */
  allow(plugin: string): void;
  /** `plugin` rejects it: it is unreserved and requeued, with `message` as the reason. */
  reject(plugin: string, message: string): void;
}

const waiting = new WeakMap<KernelHooks, Map<string, WaitingPod>>();

/**
 * The pods held at Permit on this kernel, by uid (framework.Handle's
 * GetWaitingPod/IterateOverWaitingPods): a Permit plugin that returned Wait
 * allows or rejects its pod through this later, from any event it watches.
 */
export function waitingPods(hooks: KernelHooks): Map<string, WaitingPod> {
  let map = waiting.get(hooks);
  if (!map) {
    map = new Map();
    waiting.set(hooks, map);
  }
  return map;
}
