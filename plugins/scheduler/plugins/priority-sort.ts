/**
 * PrioritySort: the default queue order, as kube-scheduler's plugin of that
 * name. Pods with a higher priority (spec.priority, 0 when unset) go first;
 * among equal priorities, the pod that entered the queue earlier goes first.
 *
 * Extension points: QueueSort.
 */
import type { QueuedPodInfo, QueueSortPlugin } from '../../../kernel/scheduling/types';

export const PrioritySort = {
  name: 'PrioritySort',

  /** True when `a` goes before `b`: higher priority, then earlier timestamp. Pure; allocates nothing. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    return a.priority > b.priority || (a.priority === b.priority && a.timestamp < b.timestamp);
  },
} satisfies QueueSortPlugin;
