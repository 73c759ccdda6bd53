/**
 * What the controllers' cluster tests do in place of a kubelet: list a
 * workload's live pods and mark a pod Running and Ready through pods/status.
 */
import type { ApiClient } from '../../../kernel/client/types';
import type { PodObject } from '../../../plugins/controllers/replicaset/pods';
import { PODS } from '../../../plugins/controllers/replicaset';

/** Pods labelled `app=<app>` in `namespace` that are not being deleted. */
export async function activePods(client: ApiClient, namespace: string, app: string): Promise<PodObject[]> {
  const list = await client.list<PodObject>(PODS, { namespace, labelSelector: `app=${app}` });
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

/** Running and Ready, as a kubelet would report it. */
export async function markReady(client: ApiClient, pod: PodObject): Promise<void> {
  await client.patch(
    PODS,
    pod.metadata.name,
    'merge',
    { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } },
    { namespace: pod.metadata.namespace, subresource: 'status' },
  );
}
