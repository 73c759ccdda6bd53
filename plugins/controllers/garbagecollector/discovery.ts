/**
 * Discovery as the garbage collector and the namespace controller use it
 * (client-go's ServerPreferredResources filtered by verbs): one version per
 * group and resource, the first the server lists (its preferred version).
 */
import type { ApiClient, ApiResource } from '../../../kernel/client/types';

/** Every served resource, in the server's preferred version, that supports all of `verbs`. */
export async function preferredResources(client: ApiClient, verbs: readonly string[], component: string): Promise<ApiResource[]> {
  if (!client.serverResources) throw new Error(`controller/${component}: the API client offers no discovery (serverResources)`);
  const all = await client.serverResources();
  const seen = new Set<string>();
  const out: ApiResource[] = [];
  for (const r of all) {
    const id = `${r.group}/${r.resource}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (verbs.every((v) => r.verbs.includes(v))) out.push(r);
  }
  return out;
}

/** `resource.group`, or `resource` in the core group, as Kubernetes names resources in messages. */
export function qualifiedName(r: { group: string; resource: string }): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}
