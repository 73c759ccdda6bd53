/**
 * Every kernel hook, declared once (ARCHITECTURE §3). Plugins tap these with
 * their own name; the kernel and the core plugins call them.
 *
 * Conventions:
 * - A *bail* hook stops at the first tap that returns something other than
 *   `undefined`; `undefined` means "no opinion, ask the next tap".
 * - Tap order is registration order (config order of the plugins) unless a tap
 *   passes `stage` from `Stage` below; never bare numbers.
 * - A tap that throws fails that one call (one request, one pod), not the
 *   process; the kernel prefixes its error with `plugin/<name>:`.
 * - Subsystems with finer hooks own them (see `getSubsystemHooks`).
 */
import { AsyncSeriesBailHook, AsyncSeriesHook, SyncBailHook, SyncHook } from 'tapable';
import type { AdmissionDenial, AdmissionRequest } from './api/admission';
import type { ResourceDefinition } from './api/resource';
import type { SchemaDefinitions } from './api/openapi/types';
import type { AuthenticationRequest, AuthorizationAttributes, AuthorizationDecision, UserInfo } from './auth/types';
import type { DnsAnswer, DnsQuery } from './dns/types';
import type { PodNetworkRequest, PodNetworkResult, ServiceChange } from './network/types';
import type {
  CycleState,
  NodeInfo,
  NodeScore,
  PermitResult,
  PostFilterResult,
  PreFilterResult,
  QueuedPodInfo,
  NodeStatusMap,
  SchedulingStatus,
} from './scheduling/types';
import type { AttachRequest, AttachResult, MountRequest, MountResult, ProvisionedVolume, ProvisionRequest, UnmountRequest } from './volumes/types';
import type { Pod } from 'kubernetes-types/core/v1';

/** Named tap stages. Lower runs first; plugins at the same stage run in config order. */
export const Stage = {
  /** Before everything else (e.g. a tracing or audit tap). */
  FIRST: -1000,
  /** Before the default taps. */
  EARLY: -100,
  /** The default. */
  NORMAL: 0,
  /** After the default taps (fallbacks). */
  LATE: 100,
  /** After everything else. */
  LAST: 1000,
} as const;

/** What `registerResources` taps receive: a way to add kinds and their schemas. */
export interface ResourceRegistrar {
  /** Serve a resource type. Duplicate group/version/plural is an error. */
  add(definition: ResourceDefinition): void;
  /** Add OpenAPI schemas (for validation, patches and `kubectl explain`). */
  addSchemas(definitions: SchemaDefinitions): void;
}

/** Passed to the lifecycle hooks. */
export interface LifecycleContext {
  /** Aborted when shutdown begins; long-running work should stop when it fires. */
  readonly signal: AbortSignal;
}

/** Failures of pods on nodes, by node name, as the filter phase reports them. */
export type FilterStatusMap = NodeStatusMap;

export function createKernelHooks() {
  const hooks = {
    lifecycle: {
      /**
       * After the API server listens, in config order: start informers,
       * controllers, node agents. A tap that throws stops the boot with
       * `plugin/<name>: <reason>`.
       */
      boot: new AsyncSeriesHook<[LifecycleContext]>(['context']),
      /** Every boot tap has finished: the cluster is serving. */
      ready: new AsyncSeriesHook<[LifecycleContext]>(['context']),
      /**
       * Shutdown (SIGINT, SIGTERM, or `Kernel.shutdown()`): the kernel calls the
       * taps in reverse order of registration, each even if an earlier one
       * failed, before it closes the API server and the store.
       */
      shutdown: new AsyncSeriesHook<[LifecycleContext]>(['context']),
    },
    api: {
      /** Once at boot, before the server starts: add resource types and schemas. */
      registerResources: new SyncHook<[ResourceRegistrar]>(['registrar']),
      /**
       * Per request: return the user it runs as, or undefined to pass to the
       * next authenticator. Throw an ApiError (401) to reject credentials that
       * are present but bad. No authenticator answering: anonymous.
       */
      authenticate: new AsyncSeriesBailHook<[AuthenticationRequest], UserInfo | undefined>(['request']),
      /**
       * Per request: allow, deny, or undefined for no opinion. No authorizer
       * answering: denied, unless no authorizer is tapped at all (AlwaysAllow,
       * as an API server without --authorization-mode).
       */
      authorize: new AsyncSeriesBailHook<[AuthorizationAttributes], AuthorizationDecision | undefined>(['attributes']),
      admission: {
        /** Mutating admission, in order: change `request.object`. Return a denial to refuse. */
        mutate: new AsyncSeriesBailHook<[AdmissionRequest], AdmissionDenial | undefined>(['request']),
        /** Validating admission, after mutation and schema validation: return a denial to refuse. */
        validate: new AsyncSeriesBailHook<[AdmissionRequest], AdmissionDenial | undefined>(['request']),
      },
    },
    /**
     * The scheduling framework's extension points (kube-scheduler's). A
     * scheduling plugin taps the points it implements under its own name
     * (`tapSchedulingPlugin` does it from a typed plugin object); profiles in
     * the scheduler's options enable plugins by that name. The scheduler does
     * not `call` these hooks: it calls the taps of the profile's enabled
     * plugins one by one, in the profile's order, so that it can weigh,
     * attribute and time each one. A tap may be `tap` (sync) or `tapPromise`;
     * filter, score, normalizeScore and queueSort taps must be synchronous.
     * A tap that throws fails that pod's attempt (an Error status), not the
     * scheduler.
     */
    scheduling: {
      /** Order of the active queue: return true when `a` goes before `b` (QueueSortPlugin.less). One per profile. */
      queueSort: new SyncBailHook<[QueuedPodInfo, QueuedPodInfo], boolean | undefined>(['a', 'b']),
      /** Once per attempt, before filtering: precompute state, narrow nodes, reject, or Skip (PreFilterPlugin). */
      preFilter: new AsyncSeriesBailHook<[CycleState, Pod], PreFilterResult | SchedulingStatus | undefined>(['state', 'pod']),
      /** Per node: undefined or Success if the pod fits, a status with reasons if not (FilterPlugin). */
      filter: new SyncBailHook<[CycleState, Pod, NodeInfo], SchedulingStatus | undefined>(['state', 'pod', 'node']),
      /** When no node fits: preemption (PostFilterPlugin). */
      postFilter: new AsyncSeriesBailHook<[CycleState, Pod, NodeStatusMap], PostFilterResult | undefined>(['state', 'pod', 'failures']),
      /** Once, with the feasible nodes, before scoring; Skip skips this plugin's Score (PreScorePlugin). */
      preScore: new AsyncSeriesBailHook<[CycleState, Pod, readonly NodeInfo[]], SchedulingStatus | undefined>(['state', 'pod', 'nodes']),
      /** Per feasible node: the tap's raw score (ScorePlugin.score). */
      score: new SyncBailHook<[CycleState, Pod, NodeInfo], number | undefined>(['state', 'pod', 'node']),
      /** Per score plugin (the tap of the same name): rescale its scores in place to 0-100 (ScorePlugin.normalizeScore). */
      normalizeScore: new SyncHook<[CycleState, Pod, NodeScore[]]>(['state', 'pod', 'scores']),
      /** The node is chosen: reserve resources; a status other than Success aborts the attempt (ReservePlugin.reserve). */
      reserve: new AsyncSeriesBailHook<[CycleState, Pod, string], SchedulingStatus | undefined>(['state', 'pod', 'nodeName']),
      /** Undo `reserve` (called in reverse order) when a later stage fails (ReservePlugin.unreserve). */
      unreserve: new AsyncSeriesHook<[CycleState, Pod, string]>(['state', 'pod', 'nodeName']),
      /** Approve, reject, or hold the binding (Wait with a timeout) (PermitPlugin). */
      permit: new AsyncSeriesBailHook<[CycleState, Pod, string], PermitResult | undefined>(['state', 'pod', 'nodeName']),
      /** Before binding, e.g. provision volumes (PreBindPlugin). */
      preBind: new AsyncSeriesBailHook<[CycleState, Pod, string], SchedulingStatus | undefined>(['state', 'pod', 'nodeName']),
      /** Bind: the first tap that does not return Skip has bound the pod (BindPlugin). */
      bind: new AsyncSeriesBailHook<[CycleState, Pod, string], SchedulingStatus | undefined>(['state', 'pod', 'nodeName']),
      /** After a successful bind (informational) (PostBindPlugin). */
      postBind: new AsyncSeriesHook<[CycleState, Pod, string]>(['state', 'pod', 'nodeName']),
    },
    network: {
      /** A pod sandbox was created: wire it and return its IPs, or undefined to let the next plugin (or the runtime default) do it. */
      setUp: new AsyncSeriesBailHook<[PodNetworkRequest], PodNetworkResult | undefined>(['request']),
      /** A pod sandbox is going away: release what setUp took. Idempotent. */
      tearDown: new AsyncSeriesHook<[PodNetworkRequest]>(['request']),
      /** A Service or its endpoints changed: program the data path (service proxy). */
      serviceChanged: new AsyncSeriesHook<[ServiceChange]>(['change']),
    },
    dns: {
      /** A chain like CoreDNS: answer, or return undefined to pass the query on. */
      resolve: new AsyncSeriesBailHook<[DnsQuery], DnsAnswer | undefined>(['query']),
    },
    storage: {
      /** Create a PersistentVolume for a claim of a storage class the tap handles. */
      provision: new AsyncSeriesBailHook<[ProvisionRequest], ProvisionedVolume | undefined>(['request']),
      /** Make a volume available on a node. */
      attach: new AsyncSeriesBailHook<[AttachRequest], AttachResult | undefined>(['request']),
      /** Mount a pod volume at its target path on the node. */
      mount: new AsyncSeriesBailHook<[MountRequest], MountResult | undefined>(['request']),
      /** Unmount it; return true if this tap handled it. */
      unmount: new AsyncSeriesBailHook<[UnmountRequest], true | undefined>(['request']),
    },
  };
  return deepFreeze(hooks);
}

export type KernelHooks = ReturnType<typeof createKernelHooks>;

/**
 * Hooks a subsystem owns (the way webpack's JavascriptModulesPlugin exposes
 * `getCompilationHooks`): one set per kernel, created on first use.
 *
 *   const hooks = getSubsystemHooks(kernel.hooks, 'scheduler', () => ({ ... }));
 */
const subsystemHooks = new WeakMap<KernelHooks, Map<string, unknown>>();

export function getSubsystemHooks<T extends object>(kernelHooks: KernelHooks, subsystem: string, create: () => T): T {
  let bySubsystem = subsystemHooks.get(kernelHooks);
  if (!bySubsystem) {
    bySubsystem = new Map();
    subsystemHooks.set(kernelHooks, bySubsystem);
  }
  let hooks = bySubsystem.get(subsystem) as T | undefined;
  if (!hooks) {
    hooks = Object.freeze(create());
    bySubsystem.set(subsystem, hooks);
  }
  return hooks;
}

/** Every hook object in a hook tree (for interceptors). */
export function allHooks(tree: object): Array<{ path: string; hook: { intercept(i: object): void; taps: unknown[] } }> {
  const out: Array<{ path: string; hook: { intercept(i: object): void; taps: unknown[] } }> = [];
  const walk = (node: object, path: string) => {
    for (const [key, value] of Object.entries(node)) {
      const p = path ? `${path}.${key}` : key;
      if (value && typeof value === 'object' && typeof (value as { intercept?: unknown }).intercept === 'function') {
        out.push({ path: p, hook: value as { intercept(i: object): void; taps: unknown[] } });
      } else if (value && typeof value === 'object') {
        walk(value, p);
      }
    }
  };
  walk(tree, '');
  return out;
}

/** Freeze the grouping objects (not the hooks themselves, which tapable mutates). */
function deepFreeze<T extends object>(tree: T): T {
  for (const value of Object.values(tree)) {
    if (value && typeof value === 'object' && typeof (value as { intercept?: unknown }).intercept !== 'function') deepFreeze(value);
  }
  return Object.freeze(tree);
}
