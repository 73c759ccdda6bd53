/**
 * The `scheduler` plugin: assigns pending pods to nodes with kube-scheduler's
 * scheduling framework, every extension point a kernel hook
 * (`kernel.hooks.scheduling`). It taps the default plugins (PrioritySort,
 * NodeResourcesFit, InterPodAffinity, DefaultPreemption, DefaultBinder, ...)
 * on those hooks at apply time; any other plugin (an npm package listed in
 * cluster.yaml) taps them the same way, and profiles in the options enable it
 * by name. Also Kubernetes' Priority admission (priorityClassName → priority).
 *
 *   plugins:
 *     - name: scheduler
 *       options:
 *         profiles:
 *           - schedulerName: default-scheduler
 *             plugins: { score: { enabled: [{ name: NodeResourcesFit, weight: 2 }] } }
 */
import { formatPath, locateInFile, formatProblem } from '../../kernel/config';
import type { ApiClient } from '../../kernel/client/types';
import { definePlugin, PluginError } from '../../kernel/plugin';
import { schedulingPlugins, tapSchedulingPlugin, waitingPods } from '../../kernel/scheduling/plugins';
import type { AnySchedulingPlugin } from '../../kernel/scheduling/types';
import * as tokens from '../../kernel/tokens';
import { tapPriorityAdmission } from './admission/priority';
import type { FrameworkHandle } from './framework/handle';
import { DEFAULT_SCHEDULER_NAME, optionsSchema, ProfileError, resolveProfiles, validateOptions, type SchedulerOptions } from './options';
import { createDefaultBinder } from './plugins/default-binder';
import { createDefaultPreemption } from './plugins/default-preemption';
import { ImageLocality } from './plugins/image-locality';
import { InterPodAffinity } from './plugins/inter-pod-affinity';
import { NodeAffinity } from './plugins/node-affinity';
import { NodeName } from './plugins/node-name';
import { NodePorts } from './plugins/node-ports';
import { NodeResourcesBalancedAllocation } from './plugins/node-resources-balanced-allocation';
import { NodeResourcesFit } from './plugins/node-resources-fit';
import { NodeUnschedulable } from './plugins/node-unschedulable';
import { PodTopologySpread } from './plugins/pod-topology-spread';
import { PrioritySort } from './plugins/priority-sort';
import { TaintToleration } from './plugins/taint-toleration';
import { Scheduler } from './scheduler';

export const PLUGIN_NAME = 'scheduler';
export { Scheduler } from './scheduler';
export type { SchedulerOptions } from './options';

/** The default scheduling plugins, those needing the scheduler built on `handle` and `client`. */
export function defaultSchedulingPlugins(handle: FrameworkHandle, client: () => ApiClient): AnySchedulingPlugin[] {
  return [
    PrioritySort,
    NodeUnschedulable,
    NodeName,
    TaintToleration,
    NodeAffinity,
    NodePorts,
    NodeResourcesFit,
    PodTopologySpread,
    InterPodAffinity,
    createDefaultPreemption(handle),
    NodeResourcesBalancedAllocation,
    ImageLocality,
    createDefaultBinder(client),
  ] as AnySchedulingPlugin[];
}

/** A handle for plugins built before the scheduler exists; it forwards once the scheduler runs. */
function lateHandle(get: () => Scheduler | undefined): FrameworkHandle {
  const scheduler = (): Scheduler => {
    const s = get();
    if (!s) throw new Error('the scheduler is not running');
    return s;
  };
  return {
    get client() {
      return scheduler().client;
    },
    get clock() {
      return scheduler().clock;
    },
    get logger() {
      return scheduler().logger;
    },
    runFilterPlugins: (...a) => scheduler().runFilterPlugins(...a),
    runPreFilterRemovePod: (...a) => scheduler().runPreFilterRemovePod(...a),
    runPreFilterAddPod: (...a) => scheduler().runPreFilterAddPod(...a),
    nominatedPodsFor: (n) => scheduler().nominatedPodsFor(n),
    recordEvent: (p, e) => scheduler().recordEvent(p, e),
  };
}

const builtinsForValidation = new Map(defaultSchedulingPlugins(lateHandle(() => undefined), () => ({}) as ApiClient).map((p) => [p.name, p]));

export default definePlugin<SchedulerOptions>({
  name: PLUGIN_NAME,
  optionsSchema,
  validateOptions: (options) => validateOptions(options, builtinsForValidation),
  apply(kernel, options) {
    let scheduler: Scheduler | undefined;
    const handle = lateHandle(() => scheduler);
    for (const plugin of defaultSchedulingPlugins(handle, () => kernel.client)) tapSchedulingPlugin(kernel.hooks, plugin);
    const clock = kernel.container.resolve(tokens.Clock);
    tapPriorityAdmission(kernel.hooks, kernel.client, { tapName: PLUGIN_NAME, clock, logger: kernel.logger });

    kernel.hooks.lifecycle.boot.tapPromise(PLUGIN_NAME, async ({ signal }) => {
      // Every plugin of the cluster has tapped the hooks by now: check the profiles against them.
      let profiles;
      try {
        profiles = resolveProfiles(options, schedulingPlugins(kernel.hooks));
      } catch (err) {
        if (!(err instanceof ProfileError)) throw err;
        const index = kernel.config.plugins.findIndex((p) => p.name === PLUGIN_NAME);
        const file = kernel.config.source ?? 'cluster.yaml';
        const lines = err.problems.map((p) => {
          const at = ['plugins', index, 'options', ...p.path];
          return formatProblem(file, { path: formatPath(at), message: p.message, ...locateInFile(kernel.config.source, at) });
        });
        throw new PluginError(PLUGIN_NAME, lines.join('\n'), { cause: err });
      }
      scheduler = new Scheduler({
        client: kernel.client,
        clock,
        logger: kernel.logger,
        profiles,
        percentageOfNodesToScore: options.percentageOfNodesToScore ?? 0,
        initialBackoffMs: (options.podInitialBackoffSeconds ?? 1) * 1000,
        maxBackoffMs: (options.podMaxBackoffSeconds ?? 10) * 1000,
        maxInUnschedulableMs: (options.podMaxInUnschedulablePodsDurationSeconds ?? 300) * 1000,
        parallelBindings: options.parallelBindings ?? 64,
        waiting: waitingPods(kernel.hooks),
      });
      await scheduler.start(signal);
      kernel.logger.info(`scheduling pods for ${profiles.map((p) => p.schedulerName).join(', ') || DEFAULT_SCHEDULER_NAME}`);
    });
    kernel.hooks.lifecycle.shutdown.tapPromise(PLUGIN_NAME, async () => {
      await scheduler?.stop();
      scheduler = undefined;
    });
  },
});
