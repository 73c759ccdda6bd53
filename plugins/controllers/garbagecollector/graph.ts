/**
 * The garbage collector's dependency graph (kube's GraphBuilder's uidToNode):
 * every object the collector watches, by uid, with its ownerReferences, and
 * the reverse edges from an owner's uid to its dependents. An owner that is
 * not (or no longer) watched still has its dependents recorded under its uid,
 * so that they can be found when it is found gone.
 */
import type { KubeObject, OwnerReference } from '../../../kernel/api/types';
import type { ResourceType } from '../../../kernel/client/types';

export interface GraphNode {
  readonly type: ResourceType;
  readonly uid: string;
  readonly namespace?: string;
  readonly name: string;
  readonly owners: readonly OwnerReference[];
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();

  /**
   * Record `obj` as it now is. Returns the uids of owners it no longer
   * references (an owner waiting for it in foreground deletion may go on).
   */
  upsert(type: ResourceType, obj: KubeObject): string[] {
    const uid = obj.metadata?.uid;
    if (!uid || !obj.metadata?.name) return [];
    const owners = [...(obj.metadata.ownerReferences ?? [])];
    const before = this.nodes.get(uid);
    const removed = (before?.owners ?? []).filter((o) => !owners.some((n) => n.uid === o.uid)).map((o) => o.uid);
    for (const owner of removed) this.unlink(owner, uid);
    for (const owner of owners) {
      let set = this.dependents.get(owner.uid);
      if (!set) this.dependents.set(owner.uid, (set = new Set()));
      set.add(uid);
    }
    this.nodes.set(uid, { type, uid, namespace: obj.metadata.namespace, name: obj.metadata.name, owners });
    return removed;
  }

  /** Forget the object with `uid`; returns what it was (its owners, to tell them). */
  remove(uid: string): GraphNode | undefined {
    const node = this.nodes.get(uid);
    if (!node) return undefined;
    this.nodes.delete(uid);
    for (const owner of node.owners) this.unlink(owner.uid, uid);
    return node;
  }

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** The watched objects whose ownerReferences name `uid`. */
  dependentsOf(uid: string): GraphNode[] {
    return [...(this.dependents.get(uid) ?? [])].map((d) => this.nodes.get(d)).filter((n): n is GraphNode => n !== undefined);
  }

  get size(): number {
    return this.nodes.size;
  }

  private unlink(owner: string, dependent: string): void {
    const set = this.dependents.get(owner);
    if (!set) return;
    set.delete(dependent);
    if (set.size === 0) this.dependents.delete(owner);
  }
}
