/**
 * Reading a kubeconfig file (the one kubectl uses) into an HTTP client
 * config. Supported: bearer `token` and `tokenFile`, client certificates
 * (`client-certificate(-data)`, `client-key(-data)`), the CA
 * (`certificate-authority(-data)`), `insecure-skip-tls-verify` and
 * `tls-server-name`. Relative file paths are relative to the kubeconfig's
 * directory, as kubectl resolves them. Exec plugins, auth providers and basic
 * auth are refused with a clear error rather than silently sending no
 * credentials.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import type { HttpClientConfig } from './http';

export interface Kubeconfig {
  config: HttpClientConfig;
  /** The context's namespace ("default" when it names none, as kubectl does). */
  namespace: string;
  /** The context used. */
  context: string;
}

export function loadKubeconfig(path: string, context?: string): Kubeconfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`kubeconfig ${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  let doc: Record<string, unknown>;
  try {
    doc = (parse(text) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`kubeconfig ${path}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return kubeconfigFrom(doc, dirname(path), context, path);
}

/** The config for `context` (default: current-context) of a parsed kubeconfig document. */
export function kubeconfigFrom(doc: Record<string, unknown>, baseDir: string, context?: string, source = 'kubeconfig'): Kubeconfig {
  const fail = (why: string): never => {
    throw new Error(`kubeconfig ${source}: ${why}`);
  };
  const contextName = context ?? (doc['current-context'] as string | undefined) ?? fail('no context given and no current-context set');
  const ctx = lookup(doc.contexts, contextName, 'context') ?? fail(`context "${contextName}" not found`);
  const clusterName = (ctx.cluster as string | undefined) ?? fail(`context "${contextName}" names no cluster`);
  const cluster = lookup(doc.clusters, clusterName, 'cluster') ?? fail(`cluster "${clusterName}" (of context "${contextName}") not found`);
  const userName = ctx.user as string | undefined;
  const user = userName ? (lookup(doc.users, userName, 'user') ?? fail(`user "${userName}" (of context "${contextName}") not found`)) : {};

  const file = (p: unknown): Buffer => {
    const full = isAbsolute(String(p)) ? String(p) : resolve(baseDir, String(p));
    try {
      return readFileSync(full);
    } catch (err) {
      throw new Error(`kubeconfig ${source}: cannot read ${full}: ${(err as Error).message}`, { cause: err });
    }
  };
  const data = (v: unknown): Buffer => Buffer.from(String(v), 'base64');

  const server = (cluster.server as string | undefined) ?? fail(`cluster "${clusterName}" has no server`);
  const config: HttpClientConfig = { server };
  if (cluster['certificate-authority-data']) config.ca = data(cluster['certificate-authority-data']);
  else if (cluster['certificate-authority']) config.ca = file(cluster['certificate-authority']);
  if (cluster['insecure-skip-tls-verify'] === true) config.insecureSkipTLSVerify = true;
  if (cluster['tls-server-name']) config.tlsServerName = String(cluster['tls-server-name']);

  if (user.token) config.token = String(user.token);
  else if (user.tokenFile) config.token = file(user.tokenFile).toString('utf8').trim();
  if (user['client-certificate-data']) config.clientCert = data(user['client-certificate-data']);
  else if (user['client-certificate']) config.clientCert = file(user['client-certificate']);
  if (user['client-key-data']) config.clientKey = data(user['client-key-data']);
  else if (user['client-key']) config.clientKey = file(user['client-key']);
  if (Boolean(config.clientCert) !== Boolean(config.clientKey)) fail(`user "${userName}" has a client certificate without a key or a key without a certificate`);
  for (const unsupported of ['exec', 'auth-provider', 'username']) {
    if (user[unsupported] !== undefined) fail(`user "${userName}": "${unsupported}" credentials are not supported by skiff's client`);
  }

  return { config, namespace: (ctx.namespace as string | undefined) || 'default', context: contextName };
}

/** Find `{ name, <field>: {...} }` in a kubeconfig list and return the inner object. */
function lookup(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = (list as Array<Record<string, unknown> | null>).find((e) => e?.name === name);
  if (!entry) return undefined;
  return (entry[field] as Record<string, unknown> | undefined) ?? {};
}
