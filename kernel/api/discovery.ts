/**
 * Discovery documents: /api, /apis, per group-version resource lists, and
 * aggregated discovery (apidiscovery.k8s.io v2 and v2beta1) which lets
 * kubectl learn every resource in two requests instead of one per group.
 */
import { createHash } from 'node:crypto';
import type { ResourceRegistry, ServedResource } from './registry';

export interface ServerAddress {
  clientCIDR: string;
  serverAddress: string;
}

/** GET /api */
export function apiVersions(address: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }],
  };
}

function storageVersionHash(r: ServedResource): string {
  // Kubernetes: the first 8 bytes of sha256("<group>/<version>/<kind>"), base64.
  return createHash('sha256').update(`${r.group}/${r.version}/${r.kind}`).digest().subarray(0, 8).toString('base64');
}

function groupEntry(group: string, versions: string[]) {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

/** GET /apis */
export function apiGroupList(registry: ResourceRegistry): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry
      .groups()
      .filter((g) => g.group !== '')
      .map((g) => groupEntry(g.group, g.versions)),
  };
}

/** GET /apis/<group> */
export function apiGroup(registry: ResourceRegistry, group: string): object | undefined {
  const g = registry.groups().find((x) => x.group === group && group !== '');
  if (!g) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g.group, g.versions) };
}

/** GET /api/v1, /apis/<group>/<version> */
export function apiResourceList(registry: ResourceRegistry, group: string, version: string): object | undefined {
  const served = registry.list().filter((r) => r.group === group && r.version === version);
  if (served.length === 0) return undefined;
  const resources: object[] = [];
  for (const r of served) {
    resources.push(
      strip({
        name: r.plural,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: [...r.verbs],
        shortNames: r.shortNames?.length ? [...r.shortNames] : undefined,
        categories: r.categories?.length ? [...r.categories] : undefined,
        storageVersionHash: storageVersionHash(r),
      }),
    );
    for (const s of r.subresources ?? []) {
      // A subresource of another group-version names both (pods/eviction: policy v1, deployments/scale: autoscaling v1).
      const foreign = (s.group !== undefined && s.group !== r.group) || (s.version !== undefined && s.version !== r.version);
      resources.push(
        strip({
          name: `${r.plural}/${s.name}`,
          singularName: '',
          namespaced: r.namespaced,
          group: foreign ? (s.group ?? r.group) || undefined : undefined,
          version: foreign ? (s.version ?? r.version) : undefined,
          kind: s.kind,
          verbs: [...s.verbs],
        }),
      );
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

/** Aggregated discovery for /api (core) or /apis (named groups). */
export function aggregatedDiscovery(registry: ResourceRegistry, scope: 'api' | 'apis', version: 'v2' | 'v2beta1'): object {
  const groups = registry.groups().filter((g) => (scope === 'api' ? g.group === '' : g.group !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: registry
          .list()
          .filter((r) => r.group === g.group && r.version === v)
          .map((r) =>
            strip({
              resource: r.plural,
              responseKind: { group: r.group, version: r.version, kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: r.singular,
              verbs: [...r.verbs],
              shortNames: r.shortNames?.length ? [...r.shortNames] : undefined,
              categories: r.categories?.length ? [...r.categories] : undefined,
              subresources: r.subresources?.length
                ? r.subresources.map((s) => ({
                    subresource: s.name,
                    responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
                    verbs: [...s.verbs],
                  }))
                : undefined,
            }),
          ),
        freshness: 'Current',
      })),
    })),
  };
}

function strip<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
