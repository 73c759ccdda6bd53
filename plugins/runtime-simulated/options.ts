/**
 * The plugin's options, and the per-node settings (keys of the same names on
 * a cluster.yaml `nodes[i]` entry) that override them for one node. Both are
 * checked before anything runs: options by the kernel through the schema and
 * `validateOptions`, node settings by the plugin's `apply` for every node
 * that names the simulated runtime.
 */
import Ajv from 'ajv';
import { describeSchemaErrors, formatPath } from '../../kernel/config';
import type { OptionsProblem } from '../../kernel/plugin';
import type { BehaviourRule } from './behaviour';
import { nthSubnet, parseIpv4Cidr, type Ipv4Cidr } from './cidr';

export interface SimulatedRuntimeOptions {
  /** From startContainer to running (default 200 ms). */
  startDelayMs?: number;
  /** From running to accepting port-forward connections (default 0). */
  readyDelayMs?: number;
  /** How long every pull takes, successful or not (default 100 ms). */
  pullDelayMs?: number;
  /** Images present from the start, without a pull. */
  images?: string[];
  /** Images whose pull fails with "not found" (a reference without a tag names every tag; trailing `*` is a prefix). */
  unpullable?: string[];
  /** Behaviour rules by image or container name; the first match applies; `SIMULATED_*` env on a container wins. */
  behaviours?: BehaviourRule[];
  /** Log lines each container keeps (default 100). */
  logLines?: number;
  /** The range nodes' default podCIDRs come from (default 10.128.0.0/9, clear of the default Service range). */
  clusterCIDR?: string;
  /** The prefix length of each node's default podCIDR (default 24: 253 pod IPs per node). */
  nodeCIDRMaskSize?: number;
}

/** What a node entry may set: the options, and the node's own pod range. */
export interface SimulatedNodeSettings extends Omit<SimulatedRuntimeOptions, 'clusterCIDR' | 'nodeCIDRMaskSize'> {
  /** This node's pod IP range (default: the node's slice of clusterCIDR, by its position in `nodes`). */
  podCIDR?: string;
}

/** Everything a simulated node runs with. */
export interface ResolvedNodeSettings {
  readonly startDelayMs: number;
  readonly readyDelayMs: number;
  readonly pullDelayMs: number;
  readonly images: readonly string[];
  readonly unpullable: readonly string[];
  readonly behaviours: readonly BehaviourRule[];
  readonly logLines: number;
  readonly podCIDR: Ipv4Cidr;
}

export const DEFAULTS = {
  startDelayMs: 200,
  readyDelayMs: 0,
  pullDelayMs: 100,
  logLines: 100,
  clusterCIDR: '10.128.0.0/9',
  nodeCIDRMaskSize: 24,
} as const;

/** A day: longer delays are surely a typo (and beyond what a timer holds). */
const MAX_DELAY_MS = 86_400_000;

const delay = { type: 'integer', minimum: 0, maximum: MAX_DELAY_MS };
const imageList = { type: 'array', items: { type: 'string', minLength: 1 } };

const behaviourRuleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    image: { type: 'string', minLength: 1 },
    container: { type: 'string', minLength: 1 },
    exitAfterMs: delay,
    exitCode: { type: 'integer', minimum: 0, maximum: 255 },
    oom: { type: 'boolean' },
    ignoreSigterm: { type: 'boolean' },
    termDelayMs: delay,
    readyAfterMs: delay,
    startDelayMs: delay,
  },
};

const sharedProperties = {
  startDelayMs: delay,
  readyDelayMs: delay,
  pullDelayMs: delay,
  images: imageList,
  unpullable: imageList,
  behaviours: { type: 'array', items: behaviourRuleSchema },
  logLines: { type: 'integer', minimum: 0, maximum: 10_000 },
};

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...sharedProperties,
    clusterCIDR: { type: 'string', description: 'an IPv4 CIDR, e.g. 10.128.0.0/9' },
    nodeCIDRMaskSize: { type: 'integer', minimum: 8, maximum: 30 },
  },
};

/** Node entries carry other keys too (name, runtime, labels, other plugins' settings): only ours are checked. */
const nodeSettingsSchema = {
  type: 'object',
  properties: { ...sharedProperties, podCIDR: { type: 'string', description: 'an IPv4 CIDR, e.g. 10.128.3.0/24' } },
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validateNodeSchema = ajv.compile(nodeSettingsSchema);

/** Checks the schema cannot express: CIDRs and how they fit together. */
export function validateOptions(options: SimulatedRuntimeOptions): OptionsProblem[] {
  const problems: OptionsProblem[] = [];
  const cluster = options.clusterCIDR ?? DEFAULTS.clusterCIDR;
  const range = parseIpv4Cidr(cluster);
  if (!range) problems.push({ path: ['clusterCIDR'], message: `${JSON.stringify(cluster)} is not an IPv4 CIDR` });
  const mask = options.nodeCIDRMaskSize ?? DEFAULTS.nodeCIDRMaskSize;
  if (range && mask < range.prefix) {
    problems.push({ path: ['nodeCIDRMaskSize'], message: `${mask} is shorter than clusterCIDR's prefix /${range.prefix}: a node's range would not fit in it` });
  }
  return problems;
}

/** Problems with one node entry's settings (paths relative to the entry). */
export function validateNodeSettings(settings: Readonly<Record<string, unknown>>): OptionsProblem[] {
  if (!validateNodeSchema(settings)) return describeSchemaErrors(validateNodeSchema.errors).map((p) => ({ path: p.segments, message: p.message }));
  const podCIDR = settings.podCIDR as string | undefined;
  if (podCIDR !== undefined) {
    const cidr = parseIpv4Cidr(podCIDR);
    if (!cidr) return [{ path: ['podCIDR'], message: `${JSON.stringify(podCIDR)} is not an IPv4 CIDR` }];
    if (cidr.prefix > 30) return [{ path: ['podCIDR'], message: `${JSON.stringify(podCIDR)} holds no pod IPs (the prefix must be /30 or shorter)` }];
  }
  return [];
}

/**
 * The settings of one node: its entry's keys over the options over the
 * defaults. `nodeIndex` picks the node's default podCIDR from clusterCIDR.
 * Throws when the settings are invalid or the cluster range has no room for
 * this node (callers validate first; this is the last guard).
 */
export function resolveNodeSettings(options: SimulatedRuntimeOptions, settings: Readonly<Record<string, unknown>>, nodeIndex: number): ResolvedNodeSettings {
  const problems = validateNodeSettings(settings);
  if (problems.length > 0) throw new Error(problems.map((p) => `${formatPath(p.path) || '(settings)'}: ${p.message}`).join('; '));
  const node = settings as SimulatedNodeSettings;
  const pick = <K extends keyof SimulatedNodeSettings & keyof SimulatedRuntimeOptions>(key: K): SimulatedRuntimeOptions[K] => (node[key] !== undefined ? node[key] : options[key]);
  let podCIDR: Ipv4Cidr | undefined;
  if (node.podCIDR !== undefined) podCIDR = parseIpv4Cidr(node.podCIDR);
  else {
    const cluster = options.clusterCIDR ?? DEFAULTS.clusterCIDR;
    const range = parseIpv4Cidr(cluster);
    const mask = options.nodeCIDRMaskSize ?? DEFAULTS.nodeCIDRMaskSize;
    podCIDR = range && nthSubnet(range, mask, nodeIndex);
    if (!podCIDR) {
      const room = range && mask >= range.prefix ? 2 ** (mask - range.prefix) : 0;
      throw new Error(`clusterCIDR ${cluster} holds ${room} node ranges of /${mask}; node #${nodeIndex} needs its own podCIDR (or a larger clusterCIDR)`);
    }
  }
  return {
    startDelayMs: pick('startDelayMs') ?? DEFAULTS.startDelayMs,
    readyDelayMs: pick('readyDelayMs') ?? DEFAULTS.readyDelayMs,
    pullDelayMs: pick('pullDelayMs') ?? DEFAULTS.pullDelayMs,
    images: pick('images') ?? [],
    unpullable: pick('unpullable') ?? [],
    behaviours: pick('behaviours') ?? [],
    logLines: pick('logLines') ?? DEFAULTS.logLines,
    podCIDR: podCIDR!,
  };
}
