/**
 * serviceaccount: a `default` ServiceAccount in every active namespace, made
 * again if deleted (kube-controller-manager's serviceaccount controller).
 * Keys are namespaces; a ServiceAccount's add, update or delete enqueues its
 * namespace.
 */
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1';
import { isApiError } from '../../../kernel/api/errors';
import type { StoredObject } from '../../../kernel/api/types';
import { Controller } from '../../../kernel/client/controller';
import type { SharedInformer } from '../../../kernel/client/informer';
import type { ApiClient, ResourceType } from '../../../kernel/client/types';
import type { ControllerContext, ControllerModule } from '../types';

const NAMESPACES: ResourceType = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace' };
const SERVICE_ACCOUNTS: ResourceType = { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true };
export const DEFAULT_SERVICE_ACCOUNT = 'default';

type NamespaceObject = StoredObject & { status?: Namespace['status'] };
type ServiceAccountObject = StoredObject & Omit<ServiceAccount, 'metadata'>;

export class ServiceAccountController extends Controller {
  private readonly namespaces: SharedInformer<NamespaceObject>;
  private readonly accounts: SharedInformer<ServiceAccountObject>;

  constructor(
    private readonly client: ApiClient,
    context: ControllerContext,
  ) {
    super({ name: 'serviceaccount', clock: context.clock, logger: context.logger });
    this.namespaces = context.informers.informerFor<NamespaceObject>(NAMESPACES);
    this.accounts = context.informers.informerFor<ServiceAccountObject>(SERVICE_ACCOUNTS);
    this.enqueueFrom(this.namespaces, (ns) => [ns.metadata.name!]);
    this.enqueueFrom(this.accounts, (sa) => (sa.metadata.name === DEFAULT_SERVICE_ACCOUNT ? [sa.metadata.namespace!] : []));
  }

  protected async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.cache.get(namespace);
    // Gone or going: a terminating namespace refuses new objects anyway.
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    if (this.accounts.cache.get(`${namespace}/${DEFAULT_SERVICE_ACCOUNT}`)) return;
    try {
      await this.client.create(SERVICE_ACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } }, { namespace });
    } catch (err) {
      // Already there (the cache is behind), or the namespace began terminating meanwhile: nothing to do.
      if (isApiError(err, 'AlreadyExists') || isApiError(err, 'Forbidden')) return;
      throw err;
    }
  }
}

const serviceAccountController: ControllerModule = {
  name: 'serviceaccount',
  enabledByDefault: true,
  optionsSchema: { type: 'object', additionalProperties: false, properties: { workers: { type: 'integer', minimum: 1 } } },
  start(context, options) {
    const controller = new ServiceAccountController(context.client, context);
    return { stopped: controller.run((options.workers as number | undefined) ?? 1, context.signal) };
  },
};

export default serviceAccountController;
