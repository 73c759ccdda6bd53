/**
 * What every controller of the controller manager gets, and what it is: a
 * module in its own folder (`plugins/controllers/<name>/index.ts`) exporting a
 * ControllerModule. The manager builds one context per cluster (one shared
 * informer factory, so that controllers watching pods share one watch) and
 * starts every enabled module with it.
 */
import type { Clock } from '../../kernel/client/clock';
import type { EventRecorder } from '../../kernel/client/events';
import type { SharedInformerFactory } from '../../kernel/client/informer';
import type { ApiClient } from '../../kernel/client/types';
import type { KernelHooks } from '../../kernel/hooks';
import type { Logger } from '../../kernel/log';
import type { OptionsProblem } from '../../kernel/plugin';

export interface ControllerContext {
  /** The API client, acting as this controller (`system:serviceaccount:kube-system:<name>-controller` in Kubernetes). */
  readonly client: ApiClient;
  /** Shared by every controller; started by the manager after every module's `start`. */
  readonly informers: SharedInformerFactory;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Records Events with source component `<name>-controller` (as kube-controller-manager's controllers name themselves). */
  events(component: string): EventRecorder;
  /** The kernel's hooks (admission taps, e.g. DefaultTolerationSeconds). */
  readonly hooks: KernelHooks;
  /** Aborted when the cluster shuts down: controllers stop their workers. */
  readonly signal: AbortSignal;
}

/** A running controller: `stopped` resolves once its workers have drained after the signal aborted. */
export interface RunningController {
  readonly stopped: Promise<void>;
}

export interface ControllerModule<O = Record<string, unknown>> {
  /** The name in cluster.yaml (`controllers: ['*', '-nodelifecycle']`) and in logs, as kube-controller-manager's `--controllers`. */
  readonly name: string;
  /** Enabled by `*` (kube-controller-manager has a few off by default). */
  readonly enabledByDefault: boolean;
  /** JSON Schema of its settings under `options.settings.<name>` (checked at load). */
  readonly optionsSchema?: object;
  validateOptions?(options: O): OptionsProblem[];
  /**
   * Called once at cluster boot, before the informers start: register
   * informers and handlers, tap hooks, start workers (which wait for the
   * caches). Throwing stops the boot.
   */
  start(context: ControllerContext, options: O): RunningController | Promise<RunningController>;
}
