/**
 * namespace: kube-controller-manager's namespace controller. A namespace
 * with a deletionTimestamp (phase Terminating, set by the API server) has
 * everything in it deleted, every served namespaced resource that can be
 * listed and deleted (deletecollection where served, object by object
 * otherwise, propagation Background); the controller looks again, with
 * backoff, until nothing remains (pods ending gracefully, objects held by
 * finalizers), keeping the namespace's deletion conditions up to date, then
 * removes `kubernetes` from spec.finalizers through `namespaces/<name>/finalize`
 * and the API server removes the namespace once no finalizer is left.
 */
import type { Namespace } from 'kubernetes-types/core/v1';
import { isApiError } from '../../../kernel/api/errors';
import type { KubeObject, StoredObject } from '../../../kernel/api/types';
import { rfc3339 } from '../../../kernel/client/events';
import { Controller } from '../../../kernel/client/controller';
import type { Clock } from '../../../kernel/client/clock';
import type { SharedInformer } from '../../../kernel/client/informer';
import type { ApiClient, ApiResource, ResourceType } from '../../../kernel/client/types';
import { preferredResources, qualifiedName } from '../garbagecollector/discovery';
import type { ControllerContext, ControllerModule } from '../types';
import { namespaceConditions, type DeletionPass } from './conditions';

export const NAME = 'namespace';
/** The spec finalizer this controller owns (FinalizerKubernetes). */
export const KUBERNETES_FINALIZER = 'kubernetes';
const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace' };

/** Looking again for remaining content: 250 ms doubling up to 8 s (Kubernetes waits its estimate, 8 s for finalizers). */
const RECHECK_INITIAL_MS = 250;
const RECHECK_MAX_MS = 8000;

type NamespaceObject = StoredObject & { spec?: Namespace['spec']; status?: Namespace['status'] };

export class NamespaceController extends Controller {
  private readonly namespaces: SharedInformer<NamespaceObject>;
  private readonly rechecks = new Map<string, number>();
  private readonly clock: Clock;

  constructor(
    private readonly client: ApiClient,
    context: ControllerContext,
  ) {
    super({ name: NAME, clock: context.clock, logger: context.logger });
    this.clock = context.clock;
    this.namespaces = context.informers.informerFor<NamespaceObject>(NAMESPACES);
    this.enqueueFrom(this.namespaces, (ns) => (ns.metadata.deletionTimestamp ? [ns.metadata.name] : []));
  }

  protected async sync(name: string): Promise<void> {
    const ns = this.namespaces.cache.get(name);
    if (!ns || !ns.metadata.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) {
      this.rechecks.delete(name);
      return;
    }
    const pass = await this.deleteContent(name);
    await this.updateConditions(ns, pass);
    if (pass.discoveryErrors.length > 0) throw new Error(`plugin/controllers: ${NAME}: discovery failed: ${pass.discoveryErrors.join('; ')}`);
    if (pass.contentErrors.length > 0) throw new Error(`plugin/controllers: ${NAME}: deleting the content of namespace ${name}: ${pass.contentErrors.join('; ')}`);
    if (pass.remaining.size > 0) {
      // Not an error: content going away gracefully (or held by finalizers) is looked at again later.
      const n = this.rechecks.get(name) ?? 0;
      this.rechecks.set(name, n + 1);
      this.enqueueAfter(name, Math.min(RECHECK_INITIAL_MS * 2 ** n, RECHECK_MAX_MS));
      return;
    }
    this.rechecks.delete(name);
    await this.finalize(name);
  }

  /** One pass: delete what is there, then count what remains and the finalizers holding it. */
  async deleteContent(namespace: string): Promise<DeletionPass> {
    const pass: DeletionPass = { discoveryErrors: [], contentErrors: [], remaining: new Map(), finalizers: new Map() };
    let resources: ApiResource[];
    try {
      resources = (await preferredResources(this.client, ['list', 'delete'], NAME)).filter((r) => r.namespaced);
    } catch (err) {
      pass.discoveryErrors.push((err as Error).message);
      return pass;
    }
    for (const r of resources) {
      const type: ResourceType = { group: r.group, version: r.version, resource: r.resource, kind: r.kind, namespaced: true };
      try {
        await this.deleteAll(type, r, namespace);
        const left = await this.client.list(type, { namespace });
        if (left.items.length === 0) continue;
        pass.remaining.set(`${r.resource}.${r.group}`, left.items.length);
        for (const item of left.items) {
          for (const f of item.metadata?.finalizers ?? []) pass.finalizers.set(f, (pass.finalizers.get(f) ?? 0) + 1);
        }
      } catch (err) {
        pass.contentErrors.push(`${qualifiedName(r)}: ${(err as Error).message}`);
      }
    }
    return pass;
  }

  private async deleteAll(type: ResourceType, r: ApiResource, namespace: string): Promise<void> {
    if (r.verbs.includes('deletecollection')) {
      await this.client.deleteCollection(type, { namespace, propagationPolicy: 'Background' });
      return;
    }
    const list = await this.client.list<KubeObject>(type, { namespace });
    for (const item of list.items) {
      if (item.metadata?.deletionTimestamp) continue;
      try {
        await this.client.delete(type, item.metadata!.name!, { namespace, propagationPolicy: 'Background', preconditions: { uid: item.metadata?.uid } });
      } catch (err) {
        // Gone (or replaced) meanwhile: the next pass sees what is there.
        if (isApiError(err, 'NotFound') || isApiError(err, 'Conflict')) continue;
        throw err;
      }
    }
  }

  private async updateConditions(ns: NamespaceObject, pass: DeletionPass): Promise<void> {
    const old = ns.status?.conditions ?? [];
    const conditions = namespaceConditions(pass, old, rfc3339(this.clock.now()));
    if (JSON.stringify(conditions) === JSON.stringify(old)) return;
    try {
      await this.client.patch(NAMESPACES, ns.metadata.name, 'merge', { status: { conditions } }, { subresource: 'status' });
    } catch (err) {
      // Gone meanwhile (finalized by an earlier pass): nothing to report on.
      if (isApiError(err, 'NotFound')) return;
      throw err;
    }
  }

  /**
   * Remove our finalizer through /finalize, from the namespace as it now is
   * (its resourceVersion a precondition, so no finalizer added meanwhile is
   * lost); the API server deletes the namespace when none is left.
   */
  private async finalize(name: string): Promise<void> {
    try {
      const ns = await this.client.get<NamespaceObject>(NAMESPACES, name);
      if (!(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return;
      const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
      await this.client.update(
        NAMESPACES,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name, resourceVersion: ns.metadata.resourceVersion }, spec: { finalizers } } as KubeObject,
        { subresource: 'finalize' },
      );
      this.logger.info(`namespace ${name}: content deleted, finalizer ${KUBERNETES_FINALIZER} removed`);
    } catch (err) {
      // Gone already.
      if (isApiError(err, 'NotFound')) return;
      throw err;
    }
  }
}

const namespaceController: ControllerModule = {
  name: NAME,
  enabledByDefault: true,
  optionsSchema: { type: 'object', additionalProperties: false, properties: { workers: { type: 'integer', minimum: 1 } } },
  start(context, options) {
    const controller = new NamespaceController(context.client, context);
    return { stopped: controller.run((options.workers as number | undefined) ?? 10, context.signal) };
  },
};

export default namespaceController;
