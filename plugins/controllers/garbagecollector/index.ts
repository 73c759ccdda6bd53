/**
 * garbagecollector: kube-controller-manager's garbage collector. It watches
 * every served resource that supports list, watch and delete (events
 * excepted, as in Kubernetes), keeps a dependency graph from
 * ownerReferences (by uid), and:
 *
 * - deletes, with propagation Background, an object none of whose owners
 *   exists any more (absent, or another object with the owner's name but not
 *   its uid): dangling references, and the dependents of an owner deleted
 *   with propagation Background;
 * - for an owner being deleted with the `foregroundDeletion` finalizer,
 *   deletes its dependents (Foreground for those that have dependents of
 *   their own), waits for those whose reference has `blockOwnerDeletion`,
 *   then removes the finalizer so the API server removes the owner;
 * - for an owner being deleted with the `orphan` finalizer, removes the
 *   reference to it from every dependent, then removes the finalizer.
 *
 * A dependent that still has an owner that exists (and is not being deleted
 * in the foreground) is kept; references to owners that are gone or waiting
 * for it are then removed from it, as Kubernetes does.
 *
 * Keys are object uids. Events only update the graph and enqueue uids; a
 * sync reads the object from its informer's cache and acts on how things
 * are now (ARCHITECTURE §5).
 */
import { setMaxListeners } from 'node:events';
import { isApiError } from '../../../kernel/api/errors';
import type { KubeObject, OwnerReference } from '../../../kernel/api/types';
import { Controller } from '../../../kernel/client/controller';
import type { EventRecorder } from '../../../kernel/client/events';
import type { SharedInformer } from '../../../kernel/client/informer';
import type { ApiClient, ApiResource, ResourceType } from '../../../kernel/client/types';
import type { ControllerContext, ControllerModule } from '../types';
import { preferredResources } from './discovery';
import { DependencyGraph, type GraphNode } from './graph';

export const NAME = 'garbagecollector';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

/** Kubernetes' DefaultIgnoredResources: events are many and never own anything. */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

/** How an ownerReference stands (kube's classifyReferences). */
type OwnerState = 'solid' | 'dangling' | 'waitingForDependentsDeletion';

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return (obj.metadata?.finalizers ?? []).includes(finalizer);
}

function keyFor(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class GarbageCollector extends Controller {
  readonly graph = new DependencyGraph();
  private readonly byType = new Map<string, SharedInformer<KubeObject>>();
  /** group/kind → resource (any version: an ownerReference may name another version of a served kind). */
  private readonly byKind = new Map<string, ApiResource>();

  constructor(
    private readonly client: ApiClient,
    context: ControllerContext,
    resources: readonly ApiResource[],
    private readonly events: EventRecorder,
  ) {
    super({ name: NAME, clock: context.clock, logger: context.logger });
    for (const r of resources) {
      if (!this.byKind.has(`${r.group}/${r.kind}`)) this.byKind.set(`${r.group}/${r.kind}`, r);
    }
    for (const r of resources) {
      if (IGNORED.has(`${r.group}/${r.resource}`)) continue;
      if (!['list', 'watch', 'delete'].every((v) => r.verbs.includes(v))) continue;
      const type: ResourceType = { group: r.group, version: r.version, resource: r.resource, kind: r.kind, namespaced: r.namespaced };
      const informer = context.informers.informerFor<KubeObject>(type);
      this.byType.set(this.typeId(type), informer);
      // Registered for the cache wait only: the handlers below need to tell deletions apart.
      this.enqueueFrom(informer, () => []);
      informer.addEventHandler({
        onAdd: (obj) => this.observe(type, obj),
        onUpdate: (_old, obj) => this.observe(type, obj),
        onDelete: (obj) => this.forget(obj),
      });
    }
  }

  /** The resource types watched, as `resource.group`. */
  get watched(): string[] {
    return [...this.byType.keys()];
  }

  private typeId(type: { group: string; resource: string }): string {
    return type.group ? `${type.resource}.${type.group}` : type.resource;
  }

  private observe(type: ResourceType, obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const released = this.graph.upsert(type, obj);
    for (const owner of released) this.enqueue(owner);
    const deleting = !!obj.metadata?.deletionTimestamp && (hasFinalizer(obj, FOREGROUND_FINALIZER) || hasFinalizer(obj, ORPHAN_FINALIZER));
    if (deleting || (obj.metadata?.ownerReferences ?? []).length > 0) this.enqueue(uid);
  }

  private forget(obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const node = this.graph.remove(uid);
    // Its dependents may now be dangling; an owner in foreground deletion may be waiting for it.
    for (const dependent of this.graph.dependentsOf(uid)) this.enqueue(dependent.uid);
    for (const owner of node?.owners ?? []) this.enqueue(owner.uid);
  }

  private cached(node: GraphNode): KubeObject | undefined {
    const obj = this.byType.get(this.typeId(node.type))?.cache.get(keyFor(node.namespace, node.name));
    return obj && obj.metadata?.uid === node.uid ? obj : undefined;
  }

  protected async sync(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    const obj = this.cached(node);
    if (!obj) return;

    if (obj.metadata?.deletionTimestamp) {
      if (hasFinalizer(obj, ORPHAN_FINALIZER)) await this.orphanDependents(node);
      else if (hasFinalizer(obj, FOREGROUND_FINALIZER)) await this.deleteDependentsFirst(node);
      // Otherwise already going: nothing for the collector to do.
      return;
    }
    const owners = obj.metadata?.ownerReferences ?? [];
    if (owners.length === 0) return;

    const states = await Promise.all(owners.map(async (ref) => ({ ref, state: await this.ownerState(ref, node) })));
    const solid = states.filter((s) => s.state === 'solid');
    const gone = states.filter((s) => s.state !== 'solid').map((s) => s.ref.uid);
    if (solid.length > 0) {
      // Kept by an owner that exists: references to the others go.
      if (gone.length > 0) await this.removeOwnerReferences(node, new Set(gone));
      return;
    }
    const waited = states.some((s) => s.state === 'waitingForDependentsDeletion');
    let policy: 'Background' | 'Foreground' | 'Orphan';
    if (waited && this.graph.dependentsOf(uid).length > 0) policy = 'Foreground';
    else if (hasFinalizer(obj, ORPHAN_FINALIZER)) policy = 'Orphan';
    else if (hasFinalizer(obj, FOREGROUND_FINALIZER)) policy = 'Foreground';
    else policy = 'Background';
    this.logger.info(`deleting ${this.describe(node)} (propagation ${policy}): no owner remains`);
    await this.deleteObject(node, policy);
  }

  /** Whether the owner `ref` names exists for `dependent` (cache first, then the API: the cache may lag). */
  private async ownerState(ref: OwnerReference, dependent: GraphNode): Promise<OwnerState> {
    const known = this.graph.get(ref.uid);
    const cachedOwner = known ? this.cached(known) : undefined;
    if (cachedOwner) return this.stateOf(cachedOwner);

    const { group } = splitApiVersion(ref.apiVersion);
    const resource = this.byKind.get(`${group}/${ref.kind}`);
    if (!resource) {
      // As Kubernetes: an owner kind the server does not serve is retried (it may be served later), not collected.
      throw new Error(`plugin/controllers: ${NAME}: ${this.describe(dependent)} has an owner of unknown kind ${ref.kind} in ${ref.apiVersion}`);
    }
    if (resource.namespaced && !dependent.namespace) {
      this.events.record(this.involved(dependent), 'Warning', 'OwnerRefInvalidNamespace', `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: , name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace ""`);
      return 'dangling';
    }
    // The served (preferred) version: the reference may name another version of the same kind.
    const type: ResourceType = { group, version: resource.version, resource: resource.resource, kind: resource.kind };
    try {
      const live = await this.client.get(type, ref.name, { namespace: resource.namespaced ? dependent.namespace : undefined });
      return live.metadata?.uid === ref.uid ? this.stateOf(live) : 'dangling';
    } catch (err) {
      if (isApiError(err, 'NotFound')) return 'dangling';
      throw err;
    }
  }

  private stateOf(owner: KubeObject): OwnerState {
    return owner.metadata?.deletionTimestamp && hasFinalizer(owner, FOREGROUND_FINALIZER) ? 'waitingForDependentsDeletion' : 'solid';
  }

  /** Foreground deletion of `owner`: its dependents go first; the finalizer goes once none that blocks it remains. */
  private async deleteDependentsFirst(owner: GraphNode): Promise<void> {
    const dependents = this.graph.dependentsOf(owner.uid);
    // Each dependent's own sync sees this owner waiting and deletes it (or drops the reference if another owner keeps it).
    for (const d of dependents) this.enqueue(d.uid);
    const blocking = dependents.filter((d) => d.owners.some((o) => o.uid === owner.uid && o.blockOwnerDeletion === true) && this.cached(d));
    if (blocking.length > 0) return; // their deletion events enqueue the owner again
    await this.removeFinalizer(owner, FOREGROUND_FINALIZER);
  }

  /** Orphan deletion of `owner`: the reference to it leaves every dependent, then the finalizer goes. */
  private async orphanDependents(owner: GraphNode): Promise<void> {
    for (const d of this.graph.dependentsOf(owner.uid)) await this.removeOwnerReferences(d, new Set([owner.uid]));
    await this.removeFinalizer(owner, ORPHAN_FINALIZER);
  }

  /** Merge patches carry the resourceVersion read, so a concurrent change is a Conflict (retried), never overwritten. */
  private async removeOwnerReferences(node: GraphNode, uids: ReadonlySet<string>): Promise<void> {
    const live = await this.live(node);
    if (!live) return;
    const refs = live.metadata?.ownerReferences ?? [];
    const kept = refs.filter((r) => !uids.has(r.uid));
    if (kept.length === refs.length) return;
    await this.patchMetadata(node, { ownerReferences: kept.length > 0 ? kept : null, resourceVersion: live.metadata?.resourceVersion });
  }

  private async removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    const live = await this.live(node);
    if (!live || !hasFinalizer(live, finalizer)) return;
    const kept = (live.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
    await this.patchMetadata(node, { finalizers: kept.length > 0 ? kept : null, resourceVersion: live.metadata?.resourceVersion });
  }

  private async live(node: GraphNode): Promise<KubeObject | undefined> {
    try {
      const obj = await this.client.get(node.type, node.name, { namespace: node.namespace });
      return obj.metadata?.uid === node.uid ? obj : undefined;
    } catch (err) {
      // Gone already: nothing left to change.
      if (isApiError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  private async patchMetadata(node: GraphNode, metadata: Record<string, unknown>): Promise<void> {
    try {
      await this.client.patch(node.type, node.name, 'merge', { metadata }, { namespace: node.namespace });
    } catch (err) {
      // Gone meanwhile: the change is moot.
      if (isApiError(err, 'NotFound')) return;
      throw err;
    }
  }

  private async deleteObject(node: GraphNode, propagationPolicy: 'Background' | 'Foreground' | 'Orphan'): Promise<void> {
    try {
      await this.client.delete(node.type, node.name, { namespace: node.namespace, propagationPolicy, preconditions: { uid: node.uid } });
    } catch (err) {
      // Gone, or replaced by another object of the same name (uid precondition): this one is collected either way.
      if (isApiError(err, 'NotFound') || isApiError(err, 'Conflict')) return;
      throw err;
    }
  }

  private describe(node: GraphNode): string {
    return `${this.typeId(node.type)} ${keyFor(node.namespace, node.name)}`;
  }

  private involved(node: GraphNode) {
    const apiVersion = node.type.group ? `${node.type.group}/${node.type.version}` : node.type.version;
    return { kind: node.type.kind ?? '', apiVersion, name: node.name, namespace: node.namespace, uid: node.uid };
  }
}

const garbageCollector: ControllerModule = {
  name: NAME,
  enabledByDefault: true,
  optionsSchema: { type: 'object', additionalProperties: false, properties: { workers: { type: 'integer', minimum: 1 } } },
  async start(context, options) {
    const resources = await preferredResources(context.client, [], NAME);
    const controller = new GarbageCollector(context.client, context, resources, context.events('garbage-collector-controller'));
    // One abort listener per watched resource waits for its cache: a signal of our own, without Node's listener-leak warning.
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    if (context.signal.aborted) stop.abort();
    else context.signal.addEventListener('abort', () => stop.abort(), { once: true });
    return { stopped: controller.run((options.workers as number | undefined) ?? 20, stop.signal) };
  },
};

export default garbageCollector;
