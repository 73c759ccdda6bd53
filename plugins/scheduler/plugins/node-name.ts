/**
 * NodeName: a pod that names its node (spec.nodeName) fits only that node,
 * as kube-scheduler's plugin of that name.
 *
 * Extension points: Filter.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import { SchedulingStatus, type CycleState, type FilterPlugin, type NodeInfo } from '../../../kernel/scheduling/types';

/** kube-scheduler's reason, word for word. */
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

// One status for every mismatch: Filter runs for thousands of nodes per pod.
const MISMATCH = SchedulingStatus.unresolvable(ERR_REASON_NODE_NAME);

export const NodeName = {
  name: 'NodeName',

  /** Success when the pod names no node or names this one; else UnschedulableAndUnresolvable. */
  filter(_state: CycleState, pod: Pod, node: NodeInfo): SchedulingStatus | undefined {
    const wanted = pod.spec?.nodeName;
    if (!wanted || wanted === node.name) return undefined;
    return MISMATCH;
  },
} satisfies FilterPlugin;
