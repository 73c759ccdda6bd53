/**
 * A container's environment, as the kubelet's makeEnvironmentVariables
 * builds it:
 *
 * 1. `envFrom` in order (ConfigMaps and Secrets, with `prefix`); keys that
 *    are not valid variable names are skipped and reported;
 * 2. `env` in order, later entries replacing earlier ones: `value` with
 *    `$(VAR)` expanded against the variables defined so far and the service
 *    variables, or `valueFrom` (fieldRef, resourceFieldRef, configMapKeyRef,
 *    secretKeyRef, honouring `optional`);
 * 3. the service variables (`KUBERNETES_SERVICE_HOST`, ...) not already set.
 *
 * A missing object or key that is not optional is an expected outcome, not a
 * fault: the result carries the message the kubelet puts in the
 * CreateContainerConfigError status (`configmap "x" not found`).
 */
import type { ConfigMap, Container, EnvVar, Pod, Secret, Service } from 'kubernetes-types/core/v1';
import { expand, mappingFuncFor } from './expansion';
import type { DownwardContext } from './fieldpath';
import { containerResourceValue, podFieldValue } from './fieldpath';

/** Reads the objects env and volumes refer to; `undefined` when the object does not exist. */
export interface ObjectLookup {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
}

export interface EnvContext extends DownwardContext {
  readonly pod: Pod;
  readonly container: Container;
  readonly objects: ObjectLookup;
  /** Service variables (see serviceEnv). */
  readonly serviceEnv: Readonly<Record<string, string>>;
}

export interface EnvVarValue {
  readonly name: string;
  readonly value: string;
}

export type EnvResult =
  | { readonly ok: true; readonly env: EnvVarValue[]; readonly warnings: string[] }
  | { readonly ok: false; readonly message: string };

/** Kubernetes' env var name rule (IsEnvVarName). */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function decodeSecret(secret: Secret, key: string): string | undefined {
  const data = secret.data?.[key];
  if (data === undefined) return undefined;
  return Buffer.from(data, 'base64').toString('utf8');
}

export async function resolveEnv(ctx: EnvContext): Promise<EnvResult> {
  const { pod, container, objects } = ctx;
  const namespace = pod.metadata?.namespace ?? 'default';
  const vars = new Map<string, string>();
  const warnings: string[] = [];

  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    let data: Record<string, string> | undefined;
    let what: string;
    if (source.configMapRef) {
      const name = source.configMapRef.name ?? '';
      what = `configMap ${namespace}/${name}`;
      const cm = await objects.configMap(namespace, name);
      if (!cm) {
        if (source.configMapRef.optional) continue;
        return { ok: false, message: `configmap "${name}" not found` };
      }
      data = { ...(cm.data ?? {}) };
    } else if (source.secretRef) {
      const name = source.secretRef.name ?? '';
      what = `secret ${namespace}/${name}`;
      const secret = await objects.secret(namespace, name);
      if (!secret) {
        if (source.secretRef.optional) continue;
        return { ok: false, message: `secret "${name}" not found` };
      }
      data = {};
      for (const key of Object.keys(secret.data ?? {})) data[key] = decodeSecret(secret, key) ?? '';
    } else {
      continue;
    }
    const invalid: string[] = [];
    for (const [key, value] of Object.entries(data)) {
      const name = prefix + key;
      if (!ENV_VAR_NAME.test(name)) {
        invalid.push(name);
        continue;
      }
      vars.set(name, value);
    }
    if (invalid.length > 0) {
      warnings.push(`Keys [${invalid.sort().join(', ')}] from the EnvFrom ${what} were skipped since they are considered invalid environment variable names.`);
    }
  }

  const mapping = mappingFuncFor(vars, ctx.serviceEnv);
  for (const env of container.env ?? []) {
    const resolved = await resolveOne(env, ctx, namespace, mapping);
    if (resolved === undefined) continue;
    if (typeof resolved === 'object') return resolved;
    vars.set(env.name, resolved);
  }

  const env: EnvVarValue[] = [...vars].map(([name, value]) => ({ name, value }));
  for (const [name, value] of Object.entries(ctx.serviceEnv)) if (!vars.has(name)) env.push({ name, value });
  return { ok: true, env, warnings };
}

/** One `env` entry: its value, undefined to skip it (optional and missing), or a failure. */
async function resolveOne(env: EnvVar, ctx: EnvContext, namespace: string, mapping: (name: string) => string): Promise<string | undefined | { ok: false; message: string }> {
  if (env.value) return expand(env.value, mapping);
  const from = env.valueFrom;
  if (!from) return '';
  if (from.fieldRef) return podFieldValue(ctx.pod, from.fieldRef.fieldPath, ctx);
  if (from.resourceFieldRef) {
    const ref = from.resourceFieldRef;
    const target = ref.containerName ? findContainer(ctx.pod, ref.containerName) : ctx.container;
    if (!target) return { ok: false, message: `container ${ref.containerName} not found in pod ${ctx.pod.metadata?.name}` };
    return containerResourceValue(target, ref.resource, ref.divisor as string | undefined, ctx);
  }
  if (from.configMapKeyRef) {
    const { name = '', key, optional } = from.configMapKeyRef;
    const cm: ConfigMap | undefined = await ctx.objects.configMap(namespace, name);
    if (!cm) return optional ? undefined : { ok: false, message: `configmap "${name}" not found` };
    const value = cm.data?.[key] ?? (cm.binaryData?.[key] !== undefined ? Buffer.from(cm.binaryData[key], 'base64').toString('utf8') : undefined);
    if (value === undefined) return optional ? undefined : { ok: false, message: `couldn't find key ${key} in ConfigMap ${namespace}/${name}` };
    return value;
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional } = from.secretKeyRef;
    const secret = await ctx.objects.secret(namespace, name);
    if (!secret) return optional ? undefined : { ok: false, message: `secret "${name}" not found` };
    const value = decodeSecret(secret, key);
    if (value === undefined) return optional ? undefined : { ok: false, message: `couldn't find key ${key} in Secret ${namespace}/${name}` };
    return value;
  }
  return '';
}

function findContainer(pod: Pod, name: string): Container | undefined {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === name);
}

/** Expand `$(VAR)` in command or args against the container's final environment. */
export function expandCommand(words: readonly string[] | undefined, env: readonly EnvVarValue[]): string[] | undefined {
  if (!words) return undefined;
  const vars = new Map(env.map((e) => [e.name, e.value]));
  const mapping = mappingFuncFor(vars);
  return words.map((w) => expand(w, mapping));
}

/**
 * Docker-links-style service variables (the kubelet's getServiceEnvVarMap):
 * the `kubernetes` Service in `default` always, and with enableServiceLinks
 * every Service of the pod's namespace that has a ClusterIP.
 */
export function serviceEnv(services: readonly Service[], pod: Pod): Record<string, string> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const links = pod.spec?.enableServiceLinks !== false;
  const chosen = new Map<string, Service>();
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    const ns = svc.metadata?.namespace;
    const name = svc.metadata?.name ?? '';
    if (ns === namespace && links) chosen.set(name, svc);
    else if (ns === 'default' && name === 'kubernetes' && !chosen.has(name)) chosen.set(name, svc);
  }
  const out: Record<string, string> = {};
  for (const svc of [...chosen.values()].sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1))) {
    const prefix = svc.metadata!.name!.toUpperCase().replace(/-/g, '_');
    const ip = svc.spec!.clusterIP!;
    const ports = svc.spec?.ports ?? [];
    out[`${prefix}_SERVICE_HOST`] = ip;
    if (ports.length === 0) continue;
    out[`${prefix}_SERVICE_PORT`] = String(ports[0].port);
    for (const p of ports) if (p.name) out[`${prefix}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`] = String(p.port);
    const proto = (ports[0].protocol ?? 'TCP').toLowerCase();
    out[`${prefix}_PORT`] = `${proto}://${formatHostPort(ip, ports[0].port)}`;
    for (const p of ports) {
      const pr = (p.protocol ?? 'TCP').toUpperCase();
      const base = `${prefix}_PORT_${p.port}_${pr}`;
      out[base] = `${pr.toLowerCase()}://${formatHostPort(ip, p.port)}`;
      out[`${base}_PROTO`] = pr.toLowerCase();
      out[`${base}_PORT`] = String(p.port);
      out[`${base}_ADDR`] = ip;
    }
  }
  return out;
}

function formatHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
