/**
 * endpoints: for every Service with a selector, an Endpoints object of the
 * same name listing the selected pods (kube-controller-manager's endpoints
 * controller). Keys are services (`namespace/name`): a service change, a
 * change of a pod it selects (or selected), and the deletion of its
 * Endpoints enqueue it. Services without a selector, and ExternalName ones,
 * are left alone: their Endpoints are the user's.
 */
import type { EndpointSubset, Endpoints } from 'kubernetes-types/core/v1';
import { isApiError } from '../../../kernel/api/errors';
import { deepCopy, type StoredObject } from '../../../kernel/api/types';
import { keyOf, splitKey } from '../../../kernel/client/cache';
import { Controller } from '../../../kernel/client/controller';
import type { EventRecorder } from '../../../kernel/client/events';
import type { SharedInformer } from '../../../kernel/client/informer';
import type { ApiClient, ResourceType } from '../../../kernel/client/types';
import type { ControllerContext, ControllerModule } from '../types';
import {
  HEADLESS_LABEL,
  LAST_CHANGE_TRIGGER_TIME,
  PODS,
  SERVICES,
  TriggerTimeTracker,
  canonicalJSON,
  formatTriggerTime,
  isHeadless,
  managesEndpoints,
  selectedPods,
  podEventsToServices,
  sameLabels,
  type PodObject,
  type ServiceObject,
} from './podendpoints';
import { MAX_ENDPOINTS_CAPACITY, desiredSubsets, truncateSubsets } from './subsets';

export const ENDPOINTS: ResourceType = { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true };
/** Set when the Endpoints hold fewer addresses than the service has (see truncateSubsets). */
export const OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
/** Endpoints used as a leader-election lock carry this; they have no Service and must not be deleted as leftovers. */
const LEADER_ELECTION_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

type EndpointsObject = StoredObject & Omit<Endpoints, 'metadata'>;

/** The labels the Endpoints carry: the service's, plus the headless marker for headless services. */
function endpointsLabels(service: ServiceObject): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
  if (isHeadless(service)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

/** No over-capacity annotation, and no need for one (Kubernetes' capacityAnnotationSetCorrectly). */
function capacityAnnotationRight(ep: EndpointsObject): boolean {
  const count = (ep.subsets ?? []).reduce((n, ss) => n + (ss.addresses ?? []).length + (ss.notReadyAddresses ?? []).length, 0);
  return count <= MAX_ENDPOINTS_CAPACITY && ep.metadata.annotations?.[OVER_CAPACITY] === undefined;
}

export class EndpointsController extends Controller {
  private readonly services: SharedInformer<ServiceObject>;
  private readonly pods: SharedInformer<PodObject>;
  private readonly endpoints: SharedInformer<EndpointsObject>;
  private readonly triggerTimes = new TriggerTimeTracker();
  /**
   * Per service, the resourceVersion of Endpoints this controller replaced:
   * while the cache still shows it, the cache is behind our own write, and a
   * sync would act on old state (Kubernetes' staleEndpointsTracker).
   */
  private readonly replaced = new Map<string, string>();
  private readonly recorder: EventRecorder;

  constructor(
    private readonly client: ApiClient,
    context: ControllerContext,
  ) {
    super({ name: 'endpoints', clock: context.clock, logger: context.logger });
    this.recorder = context.events('endpoint-controller');
    this.services = context.informers.informerFor<ServiceObject>(SERVICES);
    this.pods = context.informers.informerFor<PodObject>(PODS);
    this.endpoints = context.informers.informerFor<EndpointsObject>(ENDPOINTS);
    this.enqueueFrom(this.services);
    // Adds and deletes through enqueueFrom; updates below, which also need the old labels.
    this.enqueueFrom(this.pods, () => []);
    this.pods.addEventHandler(podEventsToServices(this.services.cache, (key) => this.enqueue(key)));
    // Kubernetes reacts to Endpoints only when they are deleted (made again),
    // and once at startup, when leftovers of services deleted while it was
    // down are found (checkLeftoverEndpoints).
    this.enqueueFrom(this.endpoints, () => []);
    this.endpoints.addEventHandler({
      onAdd: (ep, initial) => {
        if (initial && ep.metadata.annotations?.[LEADER_ELECTION_ANNOTATION] === undefined) this.enqueue(keyOf(ep));
      },
      onDelete: (ep) => this.enqueue(keyOf(ep)),
    });
  }

  protected async sync(key: string): Promise<void> {
    const { namespace = '', name } = splitKey(key);
    const service = this.services.cache.get(key);
    if (!service) {
      this.triggerTimes.deleteService(namespace, name);
      this.replaced.delete(key);
      try {
        await this.client.delete(ENDPOINTS, name, { namespace });
      } catch (err) {
        // Already gone, or never made (a service without a selector, or an endpoints event for a service we never managed).
        if (!isApiError(err, 'NotFound')) throw err;
      }
      return;
    }
    if (!managesEndpoints(service)) return;

    const pods = selectedPods(service, this.pods.cache);
    const triggerTime = this.triggerTimes.compute(service, pods);
    const subsets = desiredSubsets(service, pods);
    const labels = endpointsLabels(service);
    const current = this.endpoints.cache.get(key);
    if (current && this.replaced.get(key) === current.metadata.resourceVersion) {
      throw new Error(`endpoints informer cache is out of date, resource version ${current.metadata.resourceVersion} already processed for endpoints ${key}`);
    }
    if (current && canonicalJSON(current.subsets ?? []) === canonicalJSON(subsets) && sameLabels(current.metadata.labels, labels) && capacityAnnotationRight(current)) return;

    const next: EndpointsObject | { apiVersion: string; kind: string; metadata: Record<string, unknown>; subsets?: EndpointSubset[] } = current
      ? deepCopy(current)
      : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace } };
    const annotations: Record<string, string> = { ...((next.metadata.annotations as Record<string, string> | undefined) ?? {}) };
    if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = formatTriggerTime(triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME];
    const truncated = truncateSubsets(subsets);
    if (truncated) annotations[OVER_CAPACITY] = 'truncated';
    else delete annotations[OVER_CAPACITY];
    next.metadata.annotations = annotations;
    next.metadata.labels = labels;
    if (subsets.length > 0) next.subsets = truncated ?? subsets;
    else delete next.subsets;

    try {
      if (current) {
        const updated = await this.client.update(ENDPOINTS, next, { namespace });
        // A write that changed nothing keeps its resourceVersion: then the cache is not behind.
        if (updated.metadata?.resourceVersion !== current.metadata.resourceVersion) this.replaced.set(key, current.metadata.resourceVersion);
      } else await this.client.create(ENDPOINTS, next, { namespace });
    } catch (err) {
      // A terminating namespace refuses new objects for good: nothing to retry.
      if (!current && isApiError(err, 'Forbidden') && /being terminated/.test((err as Error).message)) return;
      // A Conflict means the cache is behind: the retry reads it again, so
      // (unlike Kubernetes) no Warning for a race the user can do nothing about.
      if (!isApiError(err, 'Conflict')) {
        this.recorder.record(
          { kind: 'Endpoints', apiVersion: 'v1', namespace, name, uid: current?.metadata.uid },
          'Warning',
          current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint',
          current ? `Failed to update endpoint ${namespace}/${name}: ${(err as Error).message}` : `Failed to create endpoint for service ${namespace}/${name}: ${(err as Error).message}`,
        );
      }
      throw err;
    }
  }
}

const endpointsController: ControllerModule = {
  name: 'endpoints',
  enabledByDefault: true,
  optionsSchema: { type: 'object', additionalProperties: false, properties: { workers: { type: 'integer', minimum: 1 } } },
  start(context, options) {
    const controller = new EndpointsController(context.client, context);
    // kube-controller-manager's --concurrent-endpoint-syncs defaults to 5.
    return { stopped: controller.run((options.workers as number | undefined) ?? 5, context.signal) };
  },
};

export default endpointsController;
