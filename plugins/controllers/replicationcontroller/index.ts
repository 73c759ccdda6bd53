/**
 * replicationcontroller: keeps `spec.replicas` pods matching each core/v1
 * ReplicationController's selector (kube-controller-manager's
 * ReplicationController controller).
 *
 * As in Kubernetes, this is the ReplicaSet controller run over an adapter: a
 * ReplicationController has a ReplicaSet's spec and status, except that its
 * selector is a plain label map, read here as `{ matchLabels: selector }`.
 * Claiming, adoption, slow-start creation, kube's deletion order,
 * expectations and status are the ReplicaSet controller's (see
 * ../replicaset/index.ts); the pods it creates carry a `v1
 * ReplicationController` controller reference, and its Events come from
 * `replication-controller`.
 */
import type { ResourceType } from '../../../kernel/client/types';
import { ReplicaSetController, type ReplicatedKind } from '../replicaset';
import type { ControllerModule } from '../types';

export const CONTROLLER_NAME = 'replicationcontroller';
export const REPLICATIONCONTROLLERS: ResourceType = { group: '', version: 'v1', resource: 'replicationcontrollers', kind: 'ReplicationController', namespaced: true };
/** kube's --concurrent-rc-syncs default. */
export const DEFAULT_WORKERS = 5;

export const REPLICATIONCONTROLLER_KIND: ReplicatedKind = {
  apiVersion: 'v1',
  kind: 'ReplicationController',
  controllerName: CONTROLLER_NAME,
  resource: REPLICATIONCONTROLLERS,
  eventComponent: 'replication-controller',
  // A missing selector selects nothing (validation refuses it; this keeps a slipped-in one harmless).
  labelSelector: (rc) => {
    const selector = (rc.spec as { selector?: unknown } | undefined)?.selector;
    return selector && typeof selector === 'object' && !Array.isArray(selector) ? { matchLabels: selector as Record<string, string> } : undefined;
  },
};

export interface ReplicationControllerSettings {
  /** Concurrent syncs (kube's --concurrent-rc-syncs). Default 5. */
  workers?: number;
}

const replicationControllerController: ControllerModule<ReplicationControllerSettings> = {
  name: CONTROLLER_NAME,
  enabledByDefault: true,
  optionsSchema: { type: 'object', additionalProperties: false, properties: { workers: { type: 'integer', minimum: 1 } } },
  start(context, options) {
    const controller = new ReplicaSetController(context.client, context, { kind: REPLICATIONCONTROLLER_KIND });
    return { stopped: controller.run(options.workers ?? DEFAULT_WORKERS, context.signal) };
  },
};

export default replicationControllerController;
