/**
 * The node agent's options: the JSON schema cluster.yaml's `plugins[].options`
 * is validated against before anything starts, and the resolved settings
 * (every default filled in) that a `NodeAgent` runs with.
 *
 * Times are in seconds where Kubernetes' kubelet configuration uses seconds
 * (lease duration, status frequencies, back-offs), so an operator can carry
 * values over from a KubeletConfiguration.
 */
import type { OptionsProblem } from '../../kernel/plugin';

export interface NodeAgentPluginOptions {
  /** Lease duration (kubelet: nodeLeaseDurationSeconds, 40). */
  leaseDurationSeconds?: number;
  /** How often the lease is renewed (kubelet: a quarter of the duration, 10). */
  leaseRenewIntervalSeconds?: number;
  /** How often node status is computed and written if it changed (kubelet: nodeStatusUpdateFrequency, 10). */
  nodeStatusUpdateFrequencySeconds?: number;
  /** Node status is written at least this often even when unchanged (kubelet: nodeStatusReportFrequency, 300). */
  nodeStatusReportFrequencySeconds?: number;
  /** Every pod is synced at least this often (kubelet: syncFrequency, 60). */
  podResyncSeconds?: number;
  /** How often the runtime is relisted to notice containers that changed state (kubelet's PLEG: 1). */
  relistSeconds?: number;
  /** How often orphaned sandboxes and containers and extra dead instances are removed (kubelet housekeeping: 2). */
  housekeepingSeconds?: number;
  /** Image pull back-off: first delay and cap (kubelet: 10 and 300). */
  imagePullBackoff?: { initialSeconds?: number; maxSeconds?: number };
  /** Container restart back-off (CrashLoopBackOff): first delay and cap; reset after twice the cap of running (kubelet: 10 and 300). */
  crashLoopBackoff?: { initialSeconds?: number; maxSeconds?: number };
  /**
   * Multiplies every probe timing field (initialDelaySeconds, periodSeconds,
   * timeoutSeconds) and probe-level grace periods. 1 in production; tests set
   * e.g. 0.1 so that a liveness failure takes tenths of seconds, not seconds.
   */
  probeTimeScale?: number;
  /** After the registry could not be reached, images already present are used without asking it again for this long. */
  unreachableRegistryCacheSeconds?: number;
  /** Host paths pods may mount (prefixes). Default: any. */
  allowedHostPaths?: string[];
  /** The resolv.conf pods with dnsPolicy Default (and ClusterFirst, while no cluster DNS exists) start from. */
  resolvConf?: string;
  /** The cluster's DNS domain, for the search path of ClusterFirst pods. */
  clusterDomain?: string;
  /** Cluster DNS server IPs (none until a DNS plugin provides a Service). */
  clusterDNS?: string[];
  /** Maximum pods per node (kubelet: maxPods, 110). */
  maxPods?: number;
}

export interface AgentConfig {
  readonly leaseDurationSeconds: number;
  readonly leaseRenewIntervalMs: number;
  readonly nodeStatusUpdateFrequencyMs: number;
  readonly nodeStatusReportFrequencyMs: number;
  readonly podResyncMs: number;
  readonly relistMs: number;
  readonly housekeepingMs: number;
  readonly imagePullBackoff: { readonly initialMs: number; readonly maxMs: number };
  readonly crashLoopBackoff: { readonly initialMs: number; readonly maxMs: number };
  readonly probeTimeScale: number;
  readonly unreachableRegistryCacheMs: number;
  readonly allowedHostPaths?: readonly string[];
  readonly resolvConf?: string;
  readonly clusterDomain: string;
  readonly clusterDNS: readonly string[];
  readonly maxPods: number;
}

const seconds = (description: string, minimum = 0, exclusive = true) => ({
  type: 'number',
  ...(exclusive ? { exclusiveMinimum: minimum } : { minimum }),
  description,
});

const backoffSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    initialSeconds: seconds('the first delay in seconds'),
    maxSeconds: seconds('the longest delay in seconds'),
  },
};

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    leaseDurationSeconds: { type: 'integer', minimum: 1 },
    leaseRenewIntervalSeconds: seconds('seconds between lease renewals'),
    nodeStatusUpdateFrequencySeconds: seconds('seconds between node status checks'),
    nodeStatusReportFrequencySeconds: seconds('seconds between unconditional node status reports'),
    podResyncSeconds: seconds('seconds between periodic pod syncs'),
    relistSeconds: seconds('seconds between runtime relists'),
    housekeepingSeconds: seconds('seconds between housekeeping passes'),
    imagePullBackoff: backoffSchema,
    crashLoopBackoff: backoffSchema,
    probeTimeScale: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    unreachableRegistryCacheSeconds: seconds('seconds', 0, false),
    allowedHostPaths: { type: 'array', items: { type: 'string', pattern: '^/', description: 'an absolute path' } },
    resolvConf: { type: 'string', minLength: 1 },
    clusterDomain: { type: 'string', minLength: 1 },
    clusterDNS: { type: 'array', items: { type: 'string', pattern: '^[0-9.:a-fA-F]+$', description: 'an IP address' } },
    maxPods: { type: 'integer', minimum: 1 },
  },
} as const;

/** Checks the schema cannot express. */
export function validateOptions(options: NodeAgentPluginOptions): OptionsProblem[] {
  const problems: OptionsProblem[] = [];
  const duration = options.leaseDurationSeconds ?? 40;
  const renew = options.leaseRenewIntervalSeconds ?? 10;
  if (renew >= duration) {
    problems.push({ path: ['leaseRenewIntervalSeconds'], message: `must be shorter than leaseDurationSeconds (${duration}), or the lease expires between renewals` });
  }
  for (const key of ['imagePullBackoff', 'crashLoopBackoff'] as const) {
    const b = options[key];
    if (b?.initialSeconds !== undefined && b.maxSeconds !== undefined && b.initialSeconds > b.maxSeconds) {
      problems.push({ path: [key, 'initialSeconds'], message: `must not exceed maxSeconds (${b.maxSeconds})` });
    }
  }
  return problems;
}

/** Every default filled in (Kubernetes' kubelet defaults). */
export function resolveConfig(options: NodeAgentPluginOptions = {}): AgentConfig {
  const ms = (s: number) => Math.round(s * 1000);
  return {
    leaseDurationSeconds: options.leaseDurationSeconds ?? 40,
    leaseRenewIntervalMs: ms(options.leaseRenewIntervalSeconds ?? 10),
    nodeStatusUpdateFrequencyMs: ms(options.nodeStatusUpdateFrequencySeconds ?? 10),
    nodeStatusReportFrequencyMs: ms(options.nodeStatusReportFrequencySeconds ?? 300),
    podResyncMs: ms(options.podResyncSeconds ?? 60),
    relistMs: ms(options.relistSeconds ?? 1),
    housekeepingMs: ms(options.housekeepingSeconds ?? 2),
    imagePullBackoff: { initialMs: ms(options.imagePullBackoff?.initialSeconds ?? 10), maxMs: ms(options.imagePullBackoff?.maxSeconds ?? 300) },
    crashLoopBackoff: { initialMs: ms(options.crashLoopBackoff?.initialSeconds ?? 10), maxMs: ms(options.crashLoopBackoff?.maxSeconds ?? 300) },
    probeTimeScale: options.probeTimeScale ?? 1,
    unreachableRegistryCacheMs: ms(options.unreachableRegistryCacheSeconds ?? 60),
    allowedHostPaths: options.allowedHostPaths,
    resolvConf: options.resolvConf,
    clusterDomain: options.clusterDomain ?? 'cluster.local',
    clusterDNS: options.clusterDNS ?? [],
    maxPods: options.maxPods ?? 110,
  };
}
