/**
 * The resource types the API server serves, indexed the ways requests and
 * clients look them up (by URL, by kind).
 */
import { ALL_VERBS, ResourceDefinition, Verb } from './resource';
import { apiVersionOf } from './types';

/** A ResourceDefinition with its defaults filled in. */
export interface ServedResource extends ResourceDefinition {
  readonly apiVersion: string;
  readonly verbs: readonly Verb[];
  readonly listKind: string;
  /** Store key prefix of all objects (`/registry/apps/deployments/`). */
  readonly keyPrefix: string;
}

/** Groups whose kinds all track metadata.generation in Kubernetes (their controllers report observedGeneration). */
const TRACKS_GENERATION = new Set(['apps', 'batch', 'policy', 'autoscaling', 'networking.k8s.io', 'apiextensions.k8s.io']);

/** Core types whose registries set ReturnDeletedObject in Kubernetes: their DELETE answers with the object. */
const RETURNS_DELETED_OBJECT = new Set(['pods', 'namespaces', 'serviceaccounts', 'persistentvolumes', 'persistentvolumeclaims']);

export class ResourceRegistry {
  private readonly byPath = new Map<string, ServedResource>();
  private readonly byKind = new Map<string, ServedResource>();
  private readonly all: ServedResource[] = [];

  add(def: ResourceDefinition): ServedResource {
    const pathKey = `${def.group}/${def.version}/${def.plural}`;
    if (this.byPath.has(pathKey)) throw new Error(`resource ${def.plural}${def.group ? `.${def.group}` : ''}/${def.version} is already registered`);
    const served: ServedResource = {
      ...def,
      apiVersion: apiVersionOf(def.group, def.version),
      verbs: def.verbs ?? ALL_VERBS,
      listKind: def.listKind ?? `${def.kind}List`,
      keyPrefix: `/registry/${def.group || 'core'}/${def.plural}/`,
      generation: def.generation ?? TRACKS_GENERATION.has(def.group),
      returnDeletedObject: def.returnDeletedObject ?? (def.group === '' && RETURNS_DELETED_OBJECT.has(def.plural)),
    };
    this.byPath.set(pathKey, served);
    this.byKind.set(`${def.group}/${def.version}/${def.kind}`, served);
    this.all.push(served);
    return served;
  }

  /** By URL parts (`apps`, `v1`, `deployments`). */
  get(group: string, version: string, plural: string): ServedResource | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  byGroupVersionKind(group: string, version: string, kind: string): ServedResource | undefined {
    return this.byKind.get(`${group}/${version}/${kind}`);
  }

  list(): readonly ServedResource[] {
    return this.all;
  }

  /** Group names in the order Kubernetes lists them (the core group first, then registration order). */
  groups(): Array<{ group: string; versions: string[] }> {
    const out = new Map<string, string[]>();
    for (const r of this.all) {
      const versions = out.get(r.group) ?? [];
      if (!versions.includes(r.version)) versions.push(r.version);
      out.set(r.group, versions);
    }
    return [...out.entries()].map(([group, versions]) => ({ group, versions }));
  }

  /** The store key of an object. */
  static key(resource: ServedResource, namespace: string | undefined, name: string): string {
    return resource.namespaced ? `${resource.keyPrefix}${namespace}/${name}` : `${resource.keyPrefix}${name}`;
  }

  /** The store prefix of a resource's objects in a namespace (or all). */
  static prefix(resource: ServedResource, namespace?: string): string {
    return resource.namespaced && namespace ? `${resource.keyPrefix}${namespace}/` : resource.keyPrefix;
  }
}
