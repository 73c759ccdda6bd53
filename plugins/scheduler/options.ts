/**
 * The scheduler's options in cluster.yaml, shaped like kube-scheduler's
 * KubeSchedulerConfiguration (v1): profiles by schedulerName, plugins enabled
 * and disabled per extension point (or at every point with multiPoint), score
 * weights, per-plugin args, percentageOfNodesToScore and the queue's backoff.
 *
 * Checked in two steps: `validateOptions` (at load, also for `skiff config
 * validate`) checks the shape and the args of the built-in plugins;
 * `resolveProfiles` (at boot, once every plugin of the cluster has tapped the
 * scheduling hooks) checks the plugin names, which points they implement and
 * third-party plugins' args, and builds each profile's pipeline.
 */
import type { OptionsProblem } from '../../kernel/plugin';
import { validateWithSchema } from '../../kernel/plugin';
import type { AnySchedulingPlugin } from '../../kernel/scheduling/types';

/** Extension points a profile configures (KubeSchedulerConfiguration's `plugins` keys), in pipeline order. */
export const CONFIG_POINTS = ['queueSort', 'preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'permit', 'preBind', 'bind', 'postBind'] as const;
export type ConfigPoint = (typeof CONFIG_POINTS)[number];

/** The plugin method that makes a plugin implement a point. */
export const POINT_METHOD: Record<ConfigPoint, keyof AnySchedulingPlugin> = {
  queueSort: 'less',
  preFilter: 'preFilter',
  filter: 'filter',
  postFilter: 'postFilter',
  preScore: 'preScore',
  score: 'score',
  reserve: 'reserve',
  permit: 'permit',
  preBind: 'preBind',
  bind: 'bind',
  postBind: 'postBind',
};

export interface PluginRef {
  name: string;
  weight?: number;
}

export interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}

export interface ProfileOptions {
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  plugins?: Partial<Record<ConfigPoint | 'multiPoint', PluginSet>>;
  pluginConfig?: Array<{ name: string; args?: Record<string, unknown> }>;
}

export interface SchedulerOptions {
  /** 0 (default): Kubernetes' adaptive percentage (50% minus 1% per 125 nodes, at least 5%). */
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds?: number;
  podMaxBackoffSeconds?: number;
  /** How long a pod stays in the unschedulable queue without a relevant cluster event (Kubernetes: 5 minutes). */
  podMaxInUnschedulablePodsDurationSeconds?: number;
  /** Binding cycles in flight at once (kube-scheduler has no cap; this bounds memory under bursts). */
  parallelBindings?: number;
  profiles?: ProfileOptions[];
}

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const MAX_SCORE_WEIGHT = 100;

/** kube-scheduler's default plugins (multiPoint), in order, with their score weights; volume plugins are not in skiff yet. */
export const DEFAULT_PLUGINS: readonly PluginRef[] = [
  { name: 'PrioritySort' },
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts' },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption' },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'ImageLocality', weight: 1 },
  { name: 'DefaultBinder' },
];

const pluginRef = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1 }, weight: { type: 'integer' } },
};
const pluginSet = {
  type: 'object',
  additionalProperties: false,
  properties: { enabled: { type: 'array', items: pluginRef }, disabled: { type: 'array', items: pluginRef } },
};
const percentage = { type: 'integer', minimum: 0, maximum: 100 };

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    percentageOfNodesToScore: percentage,
    podInitialBackoffSeconds: { type: 'integer', minimum: 1 },
    podMaxBackoffSeconds: { type: 'integer', minimum: 1 },
    podMaxInUnschedulablePodsDurationSeconds: { type: 'integer', minimum: 1 },
    parallelBindings: { type: 'integer', minimum: 1 },
    profiles: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          schedulerName: { type: 'string', minLength: 1 },
          percentageOfNodesToScore: percentage,
          plugins: {
            type: 'object',
            additionalProperties: false,
            properties: Object.fromEntries([...CONFIG_POINTS, 'multiPoint'].map((p) => [p, pluginSet])),
          },
          pluginConfig: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: { name: { type: 'string', minLength: 1 }, args: { type: 'object' } },
            },
          },
        },
      },
    },
  },
};

type Path = Array<string | number>;

/** Shape checks the schema cannot express, and the args of `known` plugins (the built-in ones). */
export function validateOptions(options: SchedulerOptions, known: ReadonlyMap<string, AnySchedulingPlugin> = new Map()): OptionsProblem[] {
  const problems: OptionsProblem[] = [];
  const add = (path: Path, message: string) => problems.push({ path, message });
  if ((options.podInitialBackoffSeconds ?? 1) > (options.podMaxBackoffSeconds ?? 10)) {
    add(['podMaxBackoffSeconds'], `must be greater than or equal to podInitialBackoffSeconds (${options.podInitialBackoffSeconds ?? 1})`);
  }
  const names = new Map<string, number>();
  (options.profiles ?? []).forEach((profile, i) => {
    const name = profile.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    const earlier = names.get(name);
    if (earlier !== undefined) add(['profiles', i, 'schedulerName'], `duplicate profile ${JSON.stringify(name)} (also profiles[${earlier}])`);
    else names.set(name, i);
    for (const [point, set] of Object.entries(profile.plugins ?? {})) {
      (set?.enabled ?? []).forEach((ref, j) => {
        if (ref.weight === undefined) return;
        if (point !== 'score' && point !== 'multiPoint') add(['profiles', i, 'plugins', point, 'enabled', j, 'weight'], `only score plugins have a weight (${point} does not score)`);
        else if (ref.weight < 1 || ref.weight > MAX_SCORE_WEIGHT) add(['profiles', i, 'plugins', point, 'enabled', j, 'weight'], `score plugin ${JSON.stringify(ref.name)} weight ${ref.weight} must be in the range [1, ${MAX_SCORE_WEIGHT}]`);
      });
      (set?.disabled ?? []).forEach((ref, j) => {
        if (ref.weight !== undefined) add(['profiles', i, 'plugins', point, 'disabled', j, 'weight'], 'a disabled plugin has no weight');
      });
    }
    const configured = new Map<string, number>();
    (profile.pluginConfig ?? []).forEach((entry, j) => {
      const before = configured.get(entry.name);
      if (before !== undefined) add(['profiles', i, 'pluginConfig', j, 'name'], `duplicate pluginConfig for ${JSON.stringify(entry.name)} (also pluginConfig[${before}])`);
      configured.set(entry.name, j);
      const plugin = known.get(entry.name);
      if (plugin) for (const p of argsProblems(plugin, entry.args ?? {})) add(['profiles', i, 'pluginConfig', j, 'args', ...p.path], p.message);
    });
  });
  const sorts = new Set<string>();
  for (const profile of options.profiles ?? []) {
    const set = profile.plugins?.queueSort;
    sorts.add(JSON.stringify(set ?? null));
  }
  if (sorts.size > 1) add(['profiles'], 'all profiles must use the same queueSort plugin (there is one scheduling queue)');
  return problems;
}

/** A plugin's args problems: its schema over the merged args, then its own checks. */
export function argsProblems(plugin: AnySchedulingPlugin, args: Record<string, unknown>): OptionsProblem[] {
  const merged = { ...(plugin.defaultArgs ?? {}), ...args };
  if (!plugin.argsSchema && Object.keys(args).length > 0 && !plugin.validateArgs) {
    return [{ path: [], message: `plugin ${JSON.stringify(plugin.name)} takes no args` }];
  }
  if (plugin.argsSchema) {
    const found = validateWithSchema(plugin.argsSchema, merged);
    if (found.length > 0) return found;
  }
  try {
    return plugin.validateArgs?.(merged) ?? [];
  } catch (err) {
    return [{ path: [], message: `args validation failed: ${(err as Error).message}` }];
  }
}

/** One enabled plugin at one point of a profile. */
export interface EnabledPlugin {
  readonly plugin: AnySchedulingPlugin;
  readonly weight: number;
}

/** A profile ready to run: per point, the plugins in order. */
export interface ResolvedProfile {
  readonly schedulerName: string;
  readonly percentageOfNodesToScore?: number;
  readonly points: Readonly<Record<ConfigPoint, readonly EnabledPlugin[]>>;
  /** Args by plugin name, defaults applied (every enabled plugin has an entry). */
  readonly args: ReadonlyMap<string, Record<string, unknown>>;
}

export class ProfileError extends Error {
  constructor(readonly problems: OptionsProblem[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}

function implementsPoint(plugin: AnySchedulingPlugin, point: ConfigPoint): boolean {
  return typeof plugin[POINT_METHOD[point]] === 'function';
}

/**
 * Build every profile's pipeline from `available` (every scheduling plugin
 * tapped on the kernel hooks, by name). Throws a ProfileError listing every
 * problem with its path under the scheduler's options.
 */
export function resolveProfiles(options: SchedulerOptions, available: ReadonlyMap<string, AnySchedulingPlugin>): ResolvedProfile[] {
  const problems: OptionsProblem[] = [];
  const add = (path: Path, message: string) => problems.push({ path, message });
  const known = [...available.keys()].sort().join(', ') || 'none';
  const profiles = options.profiles && options.profiles.length > 0 ? options.profiles : [{}];
  const resolved: ResolvedProfile[] = [];
  profiles.forEach((profile, i) => {
    const at = (...rest: Path): Path => (options.profiles && options.profiles.length > 0 ? ['profiles', i, ...rest] : rest);
    const lookup = (ref: PluginRef, path: Path): AnySchedulingPlugin | undefined => {
      const plugin = available.get(ref.name);
      if (!plugin) add(path, `unknown scheduling plugin ${JSON.stringify(ref.name)} (no plugin tapped the scheduling hooks with that name; known: ${known})`);
      return plugin;
    };

    // multiPoint: the defaults, then the profile's multiPoint changes.
    let multi: PluginRef[] = DEFAULT_PLUGINS.filter((ref) => available.has(ref.name)).map((r) => ({ ...r }));
    const mp = profile.plugins?.multiPoint;
    (mp?.disabled ?? []).forEach((ref) => {
      multi = ref.name === '*' ? [] : multi.filter((r) => r.name !== ref.name);
    });
    (mp?.enabled ?? []).forEach((ref, j) => {
      if (!lookup(ref, at('plugins', 'multiPoint', 'enabled', j, 'name'))) return;
      const k = multi.findIndex((r) => r.name === ref.name);
      if (k >= 0) multi[k] = { ...multi[k], ...ref };
      else multi.push({ ...ref });
    });

    const points = {} as Record<ConfigPoint, EnabledPlugin[]>;
    for (const point of CONFIG_POINTS) {
      let list: PluginRef[] = multi.filter((ref) => implementsPoint(available.get(ref.name)!, point));
      const set = profile.plugins?.[point];
      (set?.disabled ?? []).forEach((ref, j) => {
        if (ref.name === '*') list = [];
        else if (!list.some((r) => r.name === ref.name) && !available.has(ref.name)) lookup(ref, at('plugins', point, 'disabled', j, 'name'));
        else list = list.filter((r) => r.name !== ref.name);
      });
      (set?.enabled ?? []).forEach((ref, j) => {
        const plugin = lookup(ref, at('plugins', point, 'enabled', j, 'name'));
        if (!plugin) return;
        if (!implementsPoint(plugin, point)) {
          add(at('plugins', point, 'enabled', j, 'name'), `plugin ${JSON.stringify(ref.name)} does not extend ${point} (it implements no ${POINT_METHOD[point]} method)`);
          return;
        }
        const k = list.findIndex((r) => r.name === ref.name);
        if (k >= 0) list[k] = { ...list[k], ...ref };
        else list.push({ ...ref });
      });
      points[point] = list.map((ref) => ({ plugin: available.get(ref.name)!, weight: ref.weight ?? 1 }));
    }
    if (points.queueSort.length !== 1) add(at('plugins', 'queueSort'), `exactly one queueSort plugin must be enabled (found ${points.queueSort.length}: ${points.queueSort.map((e) => e.plugin.name).join(', ') || 'none'})`);
    if (points.bind.length === 0) add(at('plugins', 'bind'), 'at least one bind plugin must be enabled');

    const args = new Map<string, Record<string, unknown>>();
    const enabled = new Set(CONFIG_POINTS.flatMap((p) => points[p].map((e) => e.plugin.name)));
    (profile.pluginConfig ?? []).forEach((entry, j) => {
      const plugin = lookup({ name: entry.name }, at('pluginConfig', j, 'name'));
      if (!plugin) return;
      for (const p of argsProblems(plugin, entry.args ?? {})) add(at('pluginConfig', j, 'args', ...p.path), p.message);
      args.set(entry.name, { ...(plugin.defaultArgs ?? {}), ...(entry.args ?? {}) });
    });
    for (const name of enabled) if (!args.has(name)) args.set(name, { ...(available.get(name)!.defaultArgs ?? {}) });
    resolved.push({ schedulerName: profile.schedulerName ?? DEFAULT_SCHEDULER_NAME, percentageOfNodesToScore: profile.percentageOfNodesToScore, points, args });
  });
  if (problems.length > 0) throw new ProfileError(problems);
  return resolved;
}
