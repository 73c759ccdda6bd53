/**
 * endpointslice: the EndpointSlices of every Service with a selector
 * (kube-controller-manager's endpointslice controller). Keys are services
 * (`namespace/name`): a service change, a change of a pod it selects (or
 * selected), a node's zone, and a change someone else made to one of its
 * slices enqueue it. The computation is in reconcile.ts.
 *
 * The cache lags this controller's own writes: a sync right after one that
 * created a slice may not see it yet and would create a second. As in
 * Kubernetes (its EndpointSliceTracker), the controller remembers what it
 * wrote and deleted, and a sync whose cache is older than that is retried
 * later instead of acting on it.
 */
import { isApiError } from '../../../kernel/api/errors';
import { splitKey } from '../../../kernel/client/cache';
import { Controller } from '../../../kernel/client/controller';
import type { EventRecorder } from '../../../kernel/client/events';
import type { SharedInformer } from '../../../kernel/client/informer';
import type { ApiClient, ResourceType } from '../../../kernel/client/types';
import type { ControllerContext, ControllerModule } from '../types';
import {
  LAST_CHANGE_TRIGGER_TIME,
  PODS,
  SERVICES,
  TriggerTimeTracker,
  formatTriggerTime,
  managesEndpoints,
  podEventsToServices,
  selectedPods,
  servicesSelecting,
  type PodObject,
  type ServiceObject,
} from '../endpoints/podendpoints';
import {
  CONTROLLER_NAME,
  DEFAULT_MAX_ENDPOINTS_PER_SLICE,
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
  ZONE_LABEL,
  planSlices,
  type NodeObject,
  type SliceObject,
} from './reconcile';

export const ENDPOINT_SLICES: ResourceType = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true };
const NODES: ResourceType = { group: '', version: 'v1', resource: 'nodes', kind: 'Node' };
const POD_NODE_INDEX = 'endpointslice/nodeName';

type StoredSlice = SliceObject & { metadata: { name: string; uid: string; resourceVersion: string } };

export interface EndpointSliceSettings {
  workers?: number;
  /** kube-controller-manager's --max-endpoints-per-slice (1..1000, default 100). */
  maxEndpointsPerSlice?: number;
}

const DELETED = 'deleted' as const;

/** What this controller last wrote per slice (the resourceVersion it got back), or that it deleted it. */
class SliceTracker {
  private readonly byService = new Map<string, Map<string, bigint | typeof DELETED>>();

  private of(serviceKey: string): Map<string, bigint | typeof DELETED> {
    let slices = this.byService.get(serviceKey);
    if (!slices) this.byService.set(serviceKey, (slices = new Map()));
    return slices;
  }

  wrote(serviceKey: string, slice: StoredSlice): void {
    this.of(serviceKey).set(slice.metadata.uid, BigInt(slice.metadata.resourceVersion));
  }

  deleted(serviceKey: string, slice: SliceObject): void {
    if (slice.metadata.uid) this.of(serviceKey).set(slice.metadata.uid, DELETED);
  }

  /** The informer reported the slice gone: nothing more to expect of it. */
  forget(serviceKey: string, uid: string): void {
    const slices = this.byService.get(serviceKey);
    slices?.delete(uid);
    if (slices?.size === 0) this.byService.delete(serviceKey);
  }

  /** This exact version of the slice is (or is older than) one this controller wrote. */
  isOwnWrite(serviceKey: string, slice: StoredSlice): boolean {
    const expected = this.byService.get(serviceKey)?.get(slice.metadata.uid);
    return typeof expected === 'bigint' && BigInt(slice.metadata.resourceVersion) <= expected;
  }

  /** The cache has not caught up with this controller's writes for the service. */
  stale(serviceKey: string, cached: readonly StoredSlice[]): boolean {
    const expected = this.byService.get(serviceKey);
    if (!expected) return false;
    const seen = new Map(cached.map((s) => [s.metadata.uid, s]));
    for (const [uid, version] of expected) {
      const slice = seen.get(uid);
      if (version === DELETED) {
        if (slice) return true;
        // Its deletion was seen already (or it was gone before we deleted it).
        expected.delete(uid);
      } else if (!slice || BigInt(slice.metadata.resourceVersion) < version) return true;
    }
    return false;
  }
}

function isManaged(slice: SliceObject): boolean {
  return slice.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME && !!slice.metadata.labels?.[SERVICE_NAME_LABEL];
}

const serviceKeyOf = (slice: SliceObject) => `${slice.metadata.namespace}/${slice.metadata.labels?.[SERVICE_NAME_LABEL]}`;

export class EndpointSliceController extends Controller {
  private readonly services: SharedInformer<ServiceObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly nodes: SharedInformer<NodeObject>;
  private readonly slices: SharedInformer<StoredSlice>;
  private readonly triggerTimes = new TriggerTimeTracker();
  private readonly tracker = new SliceTracker();
  private readonly recorder: EventRecorder;

  constructor(
    private readonly client: ApiClient,
    context: ControllerContext,
    private readonly maxEndpointsPerSlice: number,
  ) {
    super({ name: 'endpointslice', clock: context.clock, logger: context.logger });
    this.recorder = context.events('endpoint-slice-controller');
    this.services = context.informers.informerFor<ServiceObject>(SERVICES);
    this.pods = context.informers.informerFor<PodObject>(PODS, { indexers: { [POD_NODE_INDEX]: (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []) } });
    this.nodes = context.informers.informerFor<NodeObject>(NODES);
    this.slices = context.informers.informerFor<StoredSlice>(ENDPOINT_SLICES);

    this.enqueueFrom(this.services);
    this.enqueueFrom(this.pods, () => []);
    this.pods.addEventHandler(podEventsToServices(this.services.cache, (key) => this.enqueue(key)));
    // A node's zone is in its pods' endpoints; a node appearing lets pods skipped for lack of it in.
    this.enqueueFrom(this.nodes, () => []);
    this.nodes.addEventHandler({
      onAdd: (node) => this.enqueuePodsOn(node),
      onDelete: (node) => this.enqueuePodsOn(node),
      onUpdate: (old, node) => {
        if (old.metadata.labels?.[ZONE_LABEL] !== node.metadata.labels?.[ZONE_LABEL]) this.enqueuePodsOn(node);
      },
    });
    this.enqueueFrom(this.slices, () => []);
    this.slices.addEventHandler({
      onAdd: (slice) => {
        if (isManaged(slice) && !this.tracker.isOwnWrite(serviceKeyOf(slice), slice)) this.enqueue(serviceKeyOf(slice));
      },
      onUpdate: (_old, slice) => {
        if (isManaged(slice) && !this.tracker.isOwnWrite(serviceKeyOf(slice), slice)) this.enqueue(serviceKeyOf(slice));
      },
      onDelete: (slice) => {
        if (!isManaged(slice)) return;
        this.tracker.forget(serviceKeyOf(slice), slice.metadata.uid);
        this.enqueue(serviceKeyOf(slice));
      },
    });
  }

  private enqueuePodsOn(node: NodeObject): void {
    const keys = new Set<string>();
    for (const pod of this.pods.cache.byIndex(POD_NODE_INDEX, node.metadata.name)) {
      for (const key of servicesSelecting(pod.metadata.namespace ?? '', pod.metadata.labels, this.services.cache)) keys.add(key);
    }
    for (const key of keys) this.enqueue(key);
  }

  private managedSlices(namespace: string, name: string): StoredSlice[] {
    return this.slices.cache.listNamespace(namespace).filter((s) => isManaged(s) && s.metadata.labels?.[SERVICE_NAME_LABEL] === name);
  }

  protected async sync(key: string): Promise<void> {
    const { namespace = '', name } = splitKey(key);
    const service = this.services.cache.get(key);
    const cached = this.managedSlices(namespace, name);
    if (this.tracker.stale(key, cached)) throw new Error(`EndpointSlice informer cache is out of date for service ${key}`);

    if (!service) {
      this.triggerTimes.deleteService(namespace, name);
      // Kubernetes leaves this to the garbage collector (the slices are owned
      // by the Service); skiff has none yet, so the controller deletes them.
      for (const slice of cached) await this.deleteSlice(key, slice);
      return;
    }
    if (!managesEndpoints(service)) return;

    const pods = selectedPods(service, this.pods.cache);
    const triggerTime = this.triggerTimes.compute(service, pods);
    const plan = planSlices(service, pods, (node) => this.nodes.cache.get(node), cached, this.maxEndpointsPerSlice);
    const annotate = (slice: SliceObject) => {
      const annotations: Record<string, string> = { ...(slice.metadata.annotations ?? {}) };
      if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = formatTriggerTime(triggerTime);
      else delete annotations[LAST_CHANGE_TRIGGER_TIME];
      slice.metadata.annotations = annotations;
    };
    const errors: Error[] = [];
    // No new slices for a service being deleted: they would race its garbage collection.
    if (!service.metadata.deletionTimestamp) {
      for (const slice of plan.create) {
        annotate(slice);
        try {
          this.tracker.wrote(key, await this.client.create<StoredSlice>(ENDPOINT_SLICES, slice, { namespace }));
        } catch (err) {
          // A terminating namespace refuses new objects for good: nothing to retry.
          if (isApiError(err, 'Forbidden') && /being terminated/.test((err as Error).message)) return;
          errors.push(new Error(`failed to create EndpointSlice for Service ${key}: ${(err as Error).message}`, { cause: err }));
        }
      }
    }
    for (const slice of plan.update) {
      annotate(slice);
      try {
        this.tracker.wrote(key, await this.client.update<StoredSlice>(ENDPOINT_SLICES, slice, { namespace }));
      } catch (err) {
        errors.push(new Error(`failed to update ${slice.metadata.name} EndpointSlice for Service ${key}: ${(err as Error).message}`, { cause: err }));
      }
    }
    for (const slice of plan.delete) {
      try {
        await this.deleteSlice(key, slice);
      } catch (err) {
        errors.push(new Error(`failed to delete ${slice.metadata.name} EndpointSlice for Service ${key}: ${(err as Error).message}`, { cause: err }));
      }
    }
    if (errors.length > 0) {
      const conflictsOnly = errors.every((e) => isApiError(e.cause, 'Conflict'));
      // A Conflict only means the cache was behind; the retry reads it again, no event for that.
      if (!conflictsOnly) {
        this.recorder.record({ kind: 'Service', apiVersion: 'v1', namespace, name, uid: service.metadata.uid }, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${errors.map((e) => e.message).join('; ')}`);
      }
      throw new Error(errors.map((e) => e.message).join('; '), { cause: errors[0] });
    }
    if (plan.podsWithoutNode.length > 0) throw new Error(`service ${key}: skipped pods ${plan.podsWithoutNode.join(', ')}: their nodes were not found`);
  }

  private async deleteSlice(serviceKey: string, slice: SliceObject): Promise<void> {
    try {
      await this.client.delete(ENDPOINT_SLICES, slice.metadata.name!, { namespace: slice.metadata.namespace, preconditions: slice.metadata.uid ? { uid: slice.metadata.uid } : undefined });
    } catch (err) {
      // Already gone: what we wanted.
      if (!isApiError(err, 'NotFound')) throw err;
    }
    this.tracker.deleted(serviceKey, slice);
  }
}

const endpointSliceController: ControllerModule = {
  name: 'endpointslice',
  enabledByDefault: true,
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { workers: { type: 'integer', minimum: 1 }, maxEndpointsPerSlice: { type: 'integer', minimum: 1, maximum: 1000 } },
  },
  start(context, options) {
    const settings = options as EndpointSliceSettings;
    const controller = new EndpointSliceController(context.client, context, settings.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE);
    // kube-controller-manager's --concurrent-service-endpoint-syncs defaults to 5.
    return { stopped: controller.run(settings.workers ?? 5, context.signal) };
  },
};

export default endpointSliceController;
