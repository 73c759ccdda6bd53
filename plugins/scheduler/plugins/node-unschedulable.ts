/**
 * NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods
 * that tolerate the node.kubernetes.io/unschedulable:NoSchedule taint, as
 * kube-scheduler's plugin of that name.
 *
 * Extension points: Filter.
 */
import type { Pod, Taint } from 'kubernetes-types/core/v1';
import { SchedulingStatus, tolerates, type CycleState, type FilterPlugin, type NodeInfo } from '../../../kernel/scheduling/types';

/** kube-scheduler's reason (ErrReasonUnschedulable), word for word. */
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

/** The taint a pod tolerates to be placed on a cordoned node (v1.TaintNodeUnschedulable). */
export const UNSCHEDULABLE_TAINT: Taint = Object.freeze({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });

const CORDONED = SchedulingStatus.unresolvable(ERR_REASON_UNSCHEDULABLE);

export const NodeUnschedulable = {
  name: 'NodeUnschedulable',

  /** Success unless the node is unschedulable and the pod does not tolerate the unschedulable taint. */
  filter(_state: CycleState, pod: Pod, node: NodeInfo): SchedulingStatus | undefined {
    if (!node.node.spec?.unschedulable) return undefined;
    for (const toleration of pod.spec?.tolerations ?? []) if (tolerates(toleration, UNSCHEDULABLE_TAINT)) return undefined;
    return CORDONED;
  },
} satisfies FilterPlugin;
