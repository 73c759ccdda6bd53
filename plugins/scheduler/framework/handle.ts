/**
 * What built-in plugins that act on the cluster get from the scheduler
 * (kube-scheduler's framework.Handle): the API client, the clock, a way to
 * run the profile's filters on a what-if NodeInfo, and the nominated pods.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import type { Clock } from '../../../kernel/client/clock';
import type { ApiClient } from '../../../kernel/client/types';
import type { Logger } from '../../../kernel/log';
import type { CycleState, NodeInfo, PodInfo, SchedulingStatus } from '../../../kernel/scheduling/types';

/** An Event the scheduler records (reason as Kubernetes', message as a user reads it in `kubectl describe`). */
export interface SchedulerEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** `Scheduling`, `Preempting`, ... (events.k8s.io action). */
  readonly action: string;
}

export interface FrameworkHandle {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Run every Filter plugin of the pod's profile on `node`, honouring the
   * PreFilter skips recorded in `state`: Success (or undefined) when the pod
   * fits, else the first failing plugin's status (with `plugin` set).
   */
  runFilterPlugins(state: CycleState, pod: Pod, node: NodeInfo): SchedulingStatus | undefined;
  /** Tell every PreFilter plugin with extensions that `podInfo` was removed from `node` (state is a clone). */
  runPreFilterRemovePod(state: CycleState, podToSchedule: Pod, podInfo: PodInfo, node: NodeInfo): SchedulingStatus | undefined;
  /** Tell every PreFilter plugin with extensions that `podInfo` was added to `node` (state is a clone). */
  runPreFilterAddPod(state: CycleState, podToSchedule: Pod, podInfo: PodInfo, node: NodeInfo): SchedulingStatus | undefined;
  /** Pods nominated to run on `nodeName` (status.nominatedNodeName) and not bound yet. */
  nominatedPodsFor(nodeName: string): readonly PodInfo[];
  /** Record an Event about `pod`. Never throws (an event that cannot be written is logged). */
  recordEvent(pod: Pod, event: SchedulerEvent): void;
}
