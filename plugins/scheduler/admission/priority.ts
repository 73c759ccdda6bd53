/**
 * Kubernetes' Priority admission plugin, on skiff's admission hooks.
 *
 * Pods, on create: spec.priorityClassName resolves to spec.priority, and to
 * spec.preemptionPolicy when the class has one; a pod without a class gets
 * the globalDefault class (its name too), or priority 0 and
 * PreemptLowerPriority when there is none. A pod that states a priority or a
 * preemption policy other than its class's is refused, as is an unknown
 * class. The two system classes (system-node-critical,
 * system-cluster-critical) resolve to their fixed values even when their
 * objects do not exist. On update, a pod that omits its priority or
 * preemption policy keeps the stored ones.
 *
 * PriorityClasses, on create and update: at most one may be globalDefault.
 *
 * Classes are read from an informer (Kubernetes reads a lister); a class
 * missing from it is looked up on the server before a pod is refused, so a
 * class created just before its pods is found. The globalDefault class is
 * read from the informer alone, and so follows a change to it within a watch
 * event's delay, as in Kubernetes.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import type { AdmissionDenial, AdmissionRequest } from '../../../kernel/api/admission';
import { isApiError } from '../../../kernel/api/errors';
import { SYSTEM_PRIORITY_CLASSES } from '../../../kernel/api/resources/priorityclasses';
import type { KubeObject } from '../../../kernel/api/types';
import type { Clock } from '../../../kernel/client/clock';
import { SharedInformer } from '../../../kernel/client/informer';
import type { ApiClient, ResourceType } from '../../../kernel/client/types';
import type { KernelHooks } from '../../../kernel/hooks';
import { silentLogger, type Logger } from '../../../kernel/log';
import { PluginError } from '../../../kernel/plugin';

/** The name of the admission plugin in Kubernetes (--enable-admission-plugins=Priority). */
export const PRIORITY_ADMISSION = 'Priority';

export const PRIORITY_CLASSES: ResourceType = { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass' };

/** scheduling.DefaultPriorityWhenNoDefaultClassExists. */
export const DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS = 0;

export interface PriorityAdmissionOptions {
  /** The name the taps carry: the kernel plugin that installs them (default `scheduler`). */
  readonly tapName?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface PriorityAdmission {
  /** Resolves true once the PriorityClass informer has listed (starting it if need be). */
  waitForSync(): Promise<boolean>;
  /** Stop the informer (the shutdown tap does it too). Idempotent. */
  stop(): Promise<void>;
}

type PriorityClassObject = PriorityClass & KubeObject;

interface Resolved {
  readonly className: string;
  readonly priority: number;
  readonly preemptionPolicy?: string;
}

function deny(message: string): AdmissionDenial {
  return { allowed: false, message, code: 403 };
}

/** The globalDefault class; with more than one (a race between two creates), the lowest value, as Kubernetes. */
function defaultClassOf(classes: readonly PriorityClassObject[]): PriorityClassObject | undefined {
  let found: PriorityClassObject | undefined;
  for (const pc of classes) if (pc.globalDefault && (!found || (found.value ?? 0) > (pc.value ?? 0))) found = pc;
  return found;
}

/**
 * Tap the Priority admission plugin onto `hooks`: mutating admission for
 * pods, validating admission for PriorityClasses. `client` reads the
 * PriorityClasses (the in-process client of the plugin calling this).
 * The informer starts at `lifecycle.boot` (or on the first pod, whichever
 * comes first) and stops at `lifecycle.shutdown`.
 */
export function tapPriorityAdmission(hooks: KernelHooks, client: ApiClient, options: PriorityAdmissionOptions = {}): PriorityAdmission {
  const tapName = options.tapName ?? 'scheduler';
  const informer = new SharedInformer<PriorityClassObject>(client, PRIORITY_CLASSES, { clock: options.clock, logger: options.logger ?? silentLogger });

  async function synced(): Promise<void> {
    informer.start();
    if (!(await informer.waitForSync())) throw new PluginError(tapName, 'admission Priority: the PriorityClass informer stopped before it listed');
  }

  /** The class of this name: the informer's, else the server's (a class created a moment ago), else undefined. */
  async function lookup(name: string): Promise<PriorityClassObject | undefined> {
    await synced();
    const cached = informer.cache.get(name);
    if (cached) return cached;
    try {
      return await client.get<PriorityClassObject>(PRIORITY_CLASSES, name);
    } catch (err) {
      if (isApiError(err, 'NotFound')) return undefined;
      throw new PluginError(tapName, `admission Priority: failed to get PriorityClass with name ${name}: ${(err as Error).message}`, { cause: err });
    }
  }

  async function resolve(pod: Pod): Promise<Resolved | AdmissionDenial> {
    const name = pod.spec?.priorityClassName;
    if (!name) {
      await synced();
      const pc = defaultClassOf(informer.cache.list());
      if (pc) return { className: pc.metadata?.name ?? '', priority: pc.value ?? 0, preemptionPolicy: pc.preemptionPolicy };
      return { className: '', priority: DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS, preemptionPolicy: 'PreemptLowerPriority' };
    }
    const pc = await lookup(name);
    if (pc) return { className: name, priority: pc.value ?? 0, preemptionPolicy: pc.preemptionPolicy };
    // kube-apiserver creates the system classes at boot; resolve them even where that has not happened.
    if (name in SYSTEM_PRIORITY_CLASSES) return { className: name, priority: SYSTEM_PRIORITY_CLASSES[name], preemptionPolicy: 'PreemptLowerPriority' };
    return deny(`no PriorityClass with name ${name} was found`);
  }

  async function admitPod(request: AdmissionRequest): Promise<AdmissionDenial | undefined> {
    const pod = request.object as Pod | undefined;
    if (!pod) return undefined;
    const spec = (pod.spec ??= { containers: [] });
    if (request.operation === 'UPDATE') {
      // Set on create; validation refuses changes, so an update that omits them means "unchanged".
      const old = (request.oldObject as Pod | undefined)?.spec;
      if ((spec.priority === undefined || spec.priority === null) && old?.priority !== undefined && old.priority !== null) spec.priority = old.priority;
      if (!spec.preemptionPolicy && old?.preemptionPolicy) spec.preemptionPolicy = old.preemptionPolicy;
      return undefined;
    }
    if (request.operation !== 'CREATE') return undefined;
    const resolved = await resolve(pod);
    if ('allowed' in resolved) return resolved;
    if (resolved.className) spec.priorityClassName = resolved.className;
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== resolved.priority) {
      return deny(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${resolved.priority} from the given PriorityClass name`);
    }
    spec.priority = resolved.priority;
    if (resolved.preemptionPolicy) {
      if (spec.preemptionPolicy && spec.preemptionPolicy !== resolved.preemptionPolicy) {
        return deny(`the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${resolved.preemptionPolicy} from the given PriorityClass name`);
      }
      spec.preemptionPolicy = resolved.preemptionPolicy;
    }
    return undefined;
  }

  async function validatePriorityClass(request: AdmissionRequest): Promise<AdmissionDenial | undefined> {
    const pc = request.object as PriorityClassObject | undefined;
    if (!pc?.globalDefault) return undefined;
    // Read from the server, not the informer: a second default created right after the first must be refused.
    let classes: PriorityClassObject[];
    try {
      classes = (await client.list<PriorityClassObject>(PRIORITY_CLASSES)).items;
    } catch (err) {
      throw new PluginError(tapName, `admission Priority: failed to get default priority class: ${(err as Error).message}`, { cause: err });
    }
    const current = defaultClassOf(classes);
    if (!current) return undefined;
    const currentName = current.metadata?.name ?? '';
    if (request.operation === 'CREATE' || currentName !== pc.metadata?.name) {
      return deny(`PriorityClass ${currentName} is already marked as default. Only one default can exist`);
    }
    return undefined;
  }

  hooks.api.admission.mutate.tapPromise(tapName, async (request) => {
    if (request.subresource || request.group !== '' || request.resource !== 'pods') return undefined;
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return undefined;
    return admitPod(request);
  });

  hooks.api.admission.validate.tapPromise(tapName, async (request) => {
    if (request.subresource || request.group !== PRIORITY_CLASSES.group || request.resource !== PRIORITY_CLASSES.resource) return undefined;
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return undefined;
    return validatePriorityClass(request);
  });

  hooks.lifecycle.boot.tapPromise(tapName, async () => {
    informer.start();
  });

  hooks.lifecycle.shutdown.tapPromise(tapName, async () => {
    await informer.stop();
  });

  return {
    waitForSync: async () => {
      informer.start();
      return informer.waitForSync();
    },
    stop: () => informer.stop(),
  };
}
