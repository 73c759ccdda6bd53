/**
 * DefaultBinder (Bind): binds the pod through the API's `pods/binding`
 * subresource, as kube-scheduler's DefaultBinder does. The API server sets
 * spec.nodeName and the PodScheduled=True condition in one write, and refuses
 * a pod that is already bound or being deleted (409).
 */
import type { Pod } from 'kubernetes-types/core/v1';
import type { ApiClient, ResourceType } from '../../../kernel/client/types';
import type { BindPlugin, SchedulingStatus } from '../../../kernel/scheduling/types';

export const DEFAULT_BINDER = 'DefaultBinder';
const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true };

export function createDefaultBinder(client: () => ApiClient): BindPlugin {
  return {
    name: DEFAULT_BINDER,
    async bind(_state, pod: Pod, nodeName: string): Promise<SchedulingStatus | undefined> {
      const name = pod.metadata?.name ?? '';
      await client().create(
        PODS,
        { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: pod.metadata?.namespace, uid: pod.metadata?.uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
        { namespace: pod.metadata?.namespace, subresource: 'binding', name },
      );
      return undefined;
    },
  } satisfies BindPlugin;
}
