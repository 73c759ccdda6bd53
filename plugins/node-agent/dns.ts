/**
 * A pod's resolv.conf, from its dnsPolicy and dnsConfig, as the kubelet's
 * dns.Configurer writes it:
 *
 * - `Default`: the node's resolv.conf;
 * - `ClusterFirst` (and `ClusterFirstWithHostNet` with hostNetwork): the
 *   cluster DNS servers, the search path `<ns>.svc.<domain> svc.<domain>
 *   <domain>` then the node's, and `ndots:5`. Until a DNS plugin gives the
 *   cluster a DNS Service there is no cluster DNS server: the kubelet would
 *   then fall back to `Default` entirely; skiff keeps the Kubernetes search
 *   path (so names written for a cluster keep their shape) and uses the
 *   node's servers;
 * - `ClusterFirst` with hostNetwork: `Default`;
 * - `None`: only what dnsConfig says.
 *
 * dnsConfig's nameservers and searches are appended and its options merged
 * by name. Loopback servers of the node (systemd-resolved's 127.0.0.53) mean
 * nothing inside a pod's network namespace and are dropped for pods with
 * their own network. Limits: 3 servers, 32 search domains.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1';
import { HOST_FACTS_TTL_MS } from './host';

export interface ResolvConf {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

const MAX_SERVERS = 3;
const MAX_SEARCHES = 32;

export function parseResolvConf(text: string): ResolvConf {
  const servers: string[] = [];
  let searches: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') searches = rest.filter((s) => s !== '.');
    else if (key === 'options') options.push(...rest);
  }
  return { servers, searches, options };
}

/** The node's resolv.conf (systemd-resolved's upstream file when present, as the kubelet is usually configured). */
export function readHostResolvConf(file?: string, now = Date.now()): ResolvConf {
  // Read at most once per HOST_FACTS_TTL_MS per file: every node of a `skiff up` reads it on each status update.
  const hit = resolvCache.get(file ?? '');
  if (hit && now - hit.at < HOST_FACTS_TTL_MS) return hit.conf;
  const conf = readResolvConf(file);
  resolvCache.set(file ?? '', { conf, at: now });
  return conf;
}

const resolvCache = new Map<string, { readonly conf: ResolvConf; readonly at: number }>();

function readResolvConf(file?: string): ResolvConf {
  const candidates = file ? [file] : ['/run/systemd/resolve/resolv.conf', '/etc/resolv.conf'];
  for (const f of candidates) {
    if (!existsSync(f)) continue;
    try {
      return parseResolvConf(readFileSync(f, 'utf8'));
    } catch {
      // Unreadable: try the next one.
    }
  }
  return { servers: [], searches: [], options: [] };
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** Merge options by name (`ndots:2` replaces `ndots:5`). */
function mergeOptions(base: readonly string[], extra: ReadonlyArray<{ name?: string; value?: string }>): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0], o);
  for (const o of extra) if (o.name) byName.set(o.name, o.value !== undefined ? `${o.name}:${o.value}` : o.name);
  return [...byName.values()];
}

export interface PodDnsOptions {
  readonly host: ResolvConf;
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
}

export function podDnsConfig(pod: Pod, o: PodDnsOptions): ResolvConf {
  const spec = pod.spec ?? { containers: [] };
  const hostNetwork = spec.hostNetwork === true;
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';

  let servers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  const hostServers = o.host.servers.filter((s) => hostNetwork || !isLoopback(s));
  if (policy === 'ClusterFirst') {
    const ns = pod.metadata?.namespace ?? 'default';
    const domain = o.clusterDomain;
    servers = o.clusterDNS.length > 0 ? [...o.clusterDNS] : hostServers;
    searches = [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...o.host.searches];
    options = ['ndots:5'];
  } else if (policy === 'Default') {
    servers = hostServers;
    searches = [...o.host.searches];
    options = [...o.host.options];
  }
  const extra = spec.dnsConfig;
  if (extra) {
    servers = [...servers, ...(extra.nameservers ?? [])];
    searches = [...searches, ...(extra.searches ?? [])];
    options = mergeOptions(options, extra.options ?? []);
  }
  return { servers: unique(servers).slice(0, MAX_SERVERS), searches: unique(searches).slice(0, MAX_SEARCHES), options };
}
