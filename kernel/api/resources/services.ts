/**
 * core/v1 Service: SetDefaults_Service, ValidateService and its update rules,
 * the registry's ClusterIP/clusterIPs/ipFamilies bookkeeping, and the
 * allocation of ClusterIPs, NodePorts and health-check NodePorts — with
 * Kubernetes' messages when a requested address or port cannot be had, and
 * everything given back when the write fails, the type changes or the
 * Service is deleted.
 */
import type { Service } from 'kubernetes-types/core/v1';
import { ApiError, FieldError } from '../errors';
import type { Allocators, ResourceDefinition, ResourceStrategy, StrategyContext } from '../resource';
import type { KubeObject, StoredObject } from '../types';
import {
  FieldPath,
  duplicateGo,
  goString,
  goStringSlice,
  invalidGo,
  isValidPortNum,
  nameIsDNS1035Label,
  parseIP,
  semanticEqual,
  validateCIDR,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateIP,
  validateLabels,
  validateNonSpecialIP,
  validatePortNumOrName,
  validateQualifiedName,
  type IPFamily,
} from '../validation';
import { isAllocationError } from './allocators';
import { AGE_COLUMN, age, column, formatLabels } from './printing';
import { child, defaultPointer, defaultString, eachObj, isObj, keepStatus, list, readSpec, spec, statusSubresource, view, type Obj } from './shared';

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
/** The port kubelet listens on; Kubernetes refuses to expose it through a cloud load balancer. */
const KUBELET_PORT = 10250;
const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;

const isHeadless = (s: Obj) => s.clusterIP === 'None';
const needsClusterIP = (s: Obj) => s.type !== 'ExternalName';
const needsNodePort = (s: Obj) => s.type === 'NodePort' || s.type === 'LoadBalancer';
const needsHealthCheckNodePort = (s: Obj) => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
const externallyAccessible = (s: Obj) => s.type === 'LoadBalancer' || s.type === 'NodePort' || (s.type === 'ClusterIP' && Array.isArray(s.externalIPs) && s.externalIPs.length > 0);
const shouldAllocateNodePorts = (s: Obj) => s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);

// ---------------------------------------------------------------- defaults

function defaults(object: Obj): void {
  const s = spec(object);
  defaultString(s, 'sessionAffinity', 'None');
  if (s.sessionAffinity === 'None') delete s.sessionAffinityConfig;
  if (s.sessionAffinity === 'ClientIP' && typeof s.sessionAffinityConfig?.clientIP?.timeoutSeconds !== 'number') {
    s.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  defaultString(s, 'type', 'ClusterIP');
  eachObj(s.ports, (p) => {
    defaultString(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  });
  if (externallyAccessible(s)) defaultString(s, 'externalTrafficPolicy', 'Cluster');
  if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(s.type)) defaultPointer(s, 'internalTrafficPolicy', 'Cluster');
  if (s.type === 'LoadBalancer') {
    defaultPointer(s, 'allocateLoadBalancerNodePorts', true);
    const ingress = isObj(object.status) && isObj(object.status.loadBalancer) ? object.status.loadBalancer.ingress : undefined;
    eachObj(ingress, (ing) => {
      if (ing.ip) defaultPointer(ing, 'ipMode', 'VIP');
    });
  }
}

// ---------------------------------------------------------------- registry bookkeeping

/** Keep clusterIP and clusterIPs in step for clients that only know one of them (Kubernetes' normalizeClusterIPs). */
function normalizeClusterIPs(next: Obj, old: Obj | undefined): void {
  const ips = Array.isArray(next.clusterIPs) ? next.clusterIPs : [];
  if (!old) {
    if (next.clusterIP && ips.length === 0) next.clusterIPs = [next.clusterIP];
    return;
  }
  const oldIPs: string[] = Array.isArray(old.clusterIPs) ? old.clusterIPs : [];
  if (oldIPs.length > 0 && ips.length === 0 && (old.clusterIP ?? '') === (next.clusterIP ?? '')) next.clusterIPs = [...oldIPs];
  if ((old.clusterIP ?? '') !== (next.clusterIP ?? '')) {
    const nextIPs: string[] = Array.isArray(next.clusterIPs) ? next.clusterIPs : [];
    if (old.clusterIP && !next.clusterIP) {
      // Clearing clusterIP clears both, unless the client sent new clusterIPs.
      if (nextIPs.length === 0 || nextIPs[0] === old.clusterIP) delete next.clusterIPs;
    } else if (old.clusterIP && next.clusterIP && semanticEqual(nextIPs, oldIPs) && nextIPs.length > 0) {
      nextIPs[0] = next.clusterIP;
    }
  }
}

/** Values the server allocated that a client left out of its update (kubectl replace without clusterIP) are kept. */
function patchAllocatedValues(next: Obj, old: Obj): void {
  if (needsClusterIP(old) && needsClusterIP(next)) {
    if (!next.clusterIP) next.clusterIP = old.clusterIP;
    if ((!Array.isArray(next.clusterIPs) || next.clusterIPs.length === 0) && Array.isArray(old.clusterIPs) && old.clusterIPs.length > 0) next.clusterIPs = [...old.clusterIPs];
  }
  if (needsNodePort(old) && needsNodePort(next)) {
    const used = (s: Obj) => new Set(list(s, 'ports').map((p) => p.nodePort).filter((n) => n));
    const oldUsed = used(old);
    const newUsed = used(next);
    const byName = new Map(list(old, 'ports').map((p) => [p.name ?? '', p.nodePort]));
    for (const p of list(next, 'ports')) {
      if (p.nodePort) continue;
      const candidate = byName.get(p.name ?? '');
      if (candidate && !(oldUsed.has(candidate) && newUsed.has(candidate))) p.nodePort = candidate;
    }
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(next) && !next.healthCheckNodePort) next.healthCheckNodePort = old.healthCheckNodePort;
}

/** When the type changes, drop what only the old type needed — unless the client changed it too (Kubernetes' dropTypeDependentFields). */
function dropTypeDependentFields(object: Obj, next: Obj, old: Obj): void {
  if (needsClusterIP(old) && !needsClusterIP(next)) {
    if (semanticEqual(next.clusterIPs, old.clusterIPs)) {
      delete next.clusterIP;
      delete next.clusterIPs;
    }
    if (semanticEqual(next.ipFamilies, old.ipFamilies)) delete next.ipFamilies;
    if (semanticEqual(next.ipFamilyPolicy, old.ipFamilyPolicy)) delete next.ipFamilyPolicy;
  }
  if (needsNodePort(old) && !needsNodePort(next)) {
    const oldPorts = new Set(list(old, 'ports').map((p) => p.nodePort).filter((n) => n));
    if (list(next, 'ports').every((p) => !p.nodePort || oldPorts.has(p.nodePort))) for (const p of list(next, 'ports')) delete p.nodePort;
  }
  if (old.type === 'LoadBalancer' && next.type !== 'LoadBalancer') {
    if (old.allocateLoadBalancerNodePorts !== undefined && old.allocateLoadBalancerNodePorts === next.allocateLoadBalancerNodePorts) delete next.allocateLoadBalancerNodePorts;
    if (old.loadBalancerClass !== undefined && old.loadBalancerClass === next.loadBalancerClass) delete next.loadBalancerClass;
  }
  if (needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(next) && old.healthCheckNodePort && old.healthCheckNodePort === next.healthCheckNodePort) delete next.healthCheckNodePort;
  if (externallyAccessible(old) && !externallyAccessible(next) && old.externalTrafficPolicy === next.externalTrafficPolicy) delete next.externalTrafficPolicy;
  // Load-balancer status goes with the type.
  if (next.type !== 'LoadBalancer') child(object, 'status').loadBalancer = {};
}

// ---------------------------------------------------------------- validation

function goServicePort(p: Obj): string {
  const target = p.targetPort;
  const targetText =
    typeof target === 'string' ? `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goString(target)}}` : `intstr.IntOrString{Type:0, IntVal:${typeof target === 'number' ? target : 0}, StrVal:""}`;
  return `core.ServicePort{Name:${goString(p.name ?? '')}, Protocol:${goString(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port ?? 0}, TargetPort:${targetText}, NodePort:${p.nodePort ?? 0}}`;
}

function validateServicePorts(s: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const ports = list(s, 'ports');
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const pp = path.index(i);
    if (ports.length > 1 && !p.name) errs.push(FieldError.required(pp.child('name').toString()));
    else if (p.name) {
      errs.push(...validateDNS1123Label(String(p.name), pp.child('name')));
      if (names.has(p.name)) errs.push(FieldError.duplicate(pp.child('name').toString(), p.name));
      else names.add(p.name);
    }
    for (const m of isValidPortNum(p.port)) errs.push(FieldError.invalid(pp.child('port').toString(), p.port ?? 0, m));
    if (!p.protocol) errs.push(FieldError.required(pp.child('protocol').toString()));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(FieldError.notSupported(pp.child('protocol').toString(), p.protocol, PROTOCOLS));
    errs.push(...validatePortNumOrName(p.targetPort, pp.child('targetPort')));
    if (typeof p.appProtocol === 'string') errs.push(...validateQualifiedName(p.appProtocol, pp.child('appProtocol')));
  });
  return errs;
}

function validateClusterIPFields(s: Obj): FieldError[] {
  if (s.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ipsPath = FieldPath.of('spec', 'clusterIPs');
  const ips: string[] = Array.isArray(s.clusterIPs) ? s.clusterIPs : [];
  const goIPs = goStringSlice(Array.isArray(s.clusterIPs) ? s.clusterIPs : null);
  if (s.clusterIP) {
    if (ips.length === 0) errs.push(FieldError.required(ipsPath.toString()));
    else if (ips[0] !== s.clusterIP) errs.push(invalidGo(ipsPath, ips, goIPs, 'first value must match `clusterIP`'));
  } else if (ips.length > 0) {
    errs.push(invalidGo(ipsPath, ips, goIPs, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (Array.isArray(s.ipFamilies) ? s.ipFamilies : []).forEach((f: string, i: number) => {
    const fp = FieldPath.of('spec', 'ipFamilies').index(i).toString();
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(FieldError.notSupported(fp, f, ['IPv4', 'IPv6']));
    if (seen.has(f)) errs.push(FieldError.duplicate(fp, f));
    seen.add(f);
  });
  if (s.ipFamilyPolicy !== undefined && s.ipFamilyPolicy !== null && !['PreferDualStack', 'RequireDualStack', 'SingleStack'].includes(s.ipFamilyPolicy)) {
    errs.push(FieldError.notSupported('spec.ipFamilyPolicy', s.ipFamilyPolicy, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
  let badIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        badIPs = true;
        errs.push(invalidGo(ipsPath, ips, goIPs, "'None' must be the first and only value"));
      }
      return;
    }
    const e = validateIP(ipsPath.index(i), ip);
    if (e.length > 0) badIPs = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(invalidGo(ipsPath, ips, goIPs, 'may only hold up to 2 values'));
  if (badIPs) return errs;
  if (ips.length > 1) {
    const families = new Set(ips.map((ip) => parseIP(ip)?.family));
    if (families.size !== ips.length) errs.push(invalidGo(ipsPath, ips, goIPs, 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadless(s) && ips.length > 0 && Array.isArray(s.ipFamilies)) {
    ips.forEach((ip, i) => {
      const want = s.ipFamilies[i];
      if (want === undefined) return;
      const family = parseIP(ip)?.family;
      if (want === 'IPv4' && family === 'IPv6') errs.push(FieldError.invalid(ipsPath.index(i).toString(), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (want === 'IPv6' && family !== 'IPv6') errs.push(FieldError.invalid(ipsPath.index(i).toString(), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

/** Kubernetes' ValidateService (metadata is the server's). */
function validate(object: Obj): FieldError[] {
  const s = readSpec(object);
  const path = FieldPath.of('spec');
  const errs: FieldError[] = [];
  const ports = list(s, 'ports');
  const ips: string[] = Array.isArray(s.clusterIPs) ? s.clusterIPs : [];
  if (ports.length === 0 && !isHeadless(s) && s.type !== 'ExternalName') errs.push(FieldError.required(path.child('ports').toString()));
  switch (s.type) {
    case 'LoadBalancer':
      if (isHeadless(s)) errs.push(FieldError.invalid(path.child('clusterIPs').index(0).toString(), ips[0] ?? 'None', "may not be set to 'None' for LoadBalancer services"));
      ports.forEach((p, i) => {
        if (p.port === KUBELET_PORT) errs.push(FieldError.invalid(path.child('ports').index(i).toString(), p.port, `may not expose port ${KUBELET_PORT} externally since it is used by kubelet`));
      });
      break;
    case 'NodePort':
      if (isHeadless(s)) errs.push(FieldError.invalid(path.child('clusterIPs').index(0).toString(), ips[0] ?? 'None', "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      if (ips.length > 0) errs.push(FieldError.forbidden(path.child('clusterIPs').toString(), 'may not be set for ExternalName services'));
      if (Array.isArray(s.ipFamilies) && s.ipFamilies.length > 0) errs.push(FieldError.forbidden(path.child('ipFamilies').toString(), 'may not be set for ExternalName services'));
      if (s.ipFamilyPolicy !== undefined && s.ipFamilyPolicy !== null) errs.push(FieldError.forbidden(path.child('ipFamilyPolicy').toString(), 'may not be set for ExternalName services'));
      // A CNAME may end with a dot to mark it fully qualified.
      const cname = String(s.externalName ?? '').replace(/\.$/, '');
      if (cname) errs.push(...validateDNS1123Subdomain(cname, path.child('externalName')));
      else errs.push(FieldError.required(path.child('externalName').toString()));
      break;
    }
  }
  errs.push(...validateServicePorts(s, path.child('ports')));
  if (isObj(s.selector)) errs.push(...validateLabels(s.selector, path.child('selector')));

  const affinity = s.sessionAffinity ?? '';
  if (affinity === '') errs.push(FieldError.required(path.child('sessionAffinity').toString()));
  else if (affinity !== 'ClientIP' && affinity !== 'None') errs.push(FieldError.notSupported(path.child('sessionAffinity').toString(), affinity, ['ClientIP', 'None']));
  if (affinity === 'ClientIP') {
    const cfgPath = path.child('sessionAffinityConfig');
    const timeout = s.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (!isObj(s.sessionAffinityConfig)) errs.push(FieldError.required(cfgPath.toString(), 'when session affinity type is ClientIP'));
    else if (!isObj(s.sessionAffinityConfig.clientIP)) errs.push(FieldError.required(cfgPath.child('clientIP').toString(), 'when session affinity type is ClientIP'));
    else if (typeof timeout !== 'number' || timeout <= 0 || timeout > MAX_CLIENT_IP_AFFINITY_SECONDS) {
      errs.push(FieldError.invalid(cfgPath.child('clientIP', 'timeoutSeconds').toString(), timeout ?? null, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`));
    }
  } else if (affinity === 'None' && s.sessionAffinityConfig !== undefined && s.sessionAffinityConfig !== null) {
    errs.push(FieldError.forbidden(path.child('sessionAffinityConfig').toString(), 'must not be set when session affinity is None'));
  }

  errs.push(...validateClusterIPFields(s));
  (Array.isArray(s.externalIPs) ? s.externalIPs : []).forEach((ip: string, i: number) => {
    const ipPath = path.child('externalIPs').index(i);
    const e = validateIP(ipPath, String(ip));
    errs.push(...(e.length > 0 ? e : validateNonSpecialIP(String(ip), ipPath)));
  });

  if (!s.type) errs.push(FieldError.required(path.child('type').toString()));
  else if (!TYPES.includes(s.type)) errs.push(FieldError.notSupported(path.child('type').toString(), s.type, TYPES));

  if (s.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(FieldError.forbidden(path.child('ports').index(i).child('nodePort').toString(), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const key = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(key)) errs.push(FieldError.duplicate(path.child('ports').index(i).child('nodePort').toString(), p.nodePort));
    nodePorts.add(key);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol}/${p.port}`;
    if (portKeys.has(key)) errs.push(duplicateGo(path.child('ports').index(i), { protocol: p.protocol, port: p.port }, goServicePort({ protocol: p.protocol, port: p.port })));
    portKeys.add(key);
  });

  const ranges: unknown[] = Array.isArray(s.loadBalancerSourceRanges) ? s.loadBalancerSourceRanges : [];
  if (ranges.length > 0) {
    // Kubernetes reports these at a capitalised path, a leftover of the annotation they replaced.
    const rangesPath = path.child('LoadBalancerSourceRanges');
    if (s.type !== 'LoadBalancer') errs.push(FieldError.forbidden(rangesPath.toString(), "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...validateCIDR(rangesPath.index(i), String(r).trim())));
  }

  if (!externallyAccessible(s)) {
    if (s.externalTrafficPolicy) errs.push(FieldError.invalid(path.child('externalTrafficPolicy').toString(), s.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!s.externalTrafficPolicy) {
    errs.push(FieldError.required(path.child('externalTrafficPolicy').toString()));
  } else if (!['Cluster', 'Local'].includes(s.externalTrafficPolicy)) {
    errs.push(FieldError.notSupported(path.child('externalTrafficPolicy').toString(), s.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  // A missing healthCheckNodePort is allocated after validation here, so only its form is checked.
  if (s.healthCheckNodePort) {
    if (!needsHealthCheckNodePort(s)) {
      errs.push(FieldError.invalid(path.child('healthCheckNodePort').toString(), s.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    } else {
      for (const m of isValidPortNum(s.healthCheckNodePort)) errs.push(FieldError.invalid(path.child('healthCheckNodePort').toString(), s.healthCheckNodePort, m));
    }
  }
  if (s.internalTrafficPolicy === undefined || s.internalTrafficPolicy === null) {
    if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(s.type)) errs.push(FieldError.required(path.child('internalTrafficPolicy').toString()));
  } else if (!['Cluster', 'Local'].includes(s.internalTrafficPolicy)) {
    errs.push(FieldError.notSupported(path.child('internalTrafficPolicy').toString(), s.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (s.type === 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts === undefined || s.allocateLoadBalancerNodePorts === null) errs.push(FieldError.required(path.child('allocateLoadBalancerNodePorts').toString()));
  } else if (s.allocateLoadBalancerNodePorts !== undefined && s.allocateLoadBalancerNodePorts !== null) {
    errs.push(FieldError.forbidden(path.child('allocateLoadBalancerNodePorts').toString(), "may only be used when `type` is 'LoadBalancer'"));
  }
  if (s.loadBalancerClass !== undefined && s.loadBalancerClass !== null) {
    if (s.type !== 'LoadBalancer') errs.push(FieldError.forbidden(path.child('loadBalancerClass').toString(), "may only be used when `type` is 'LoadBalancer'"));
    else errs.push(...validateQualifiedName(String(s.loadBalancerClass), path.child('loadBalancerClass')));
  }
  return errs;
}

/** ClusterIPs may gain or lose a secondary address but the primary never changes (Kubernetes' validateUpgradeDowngradeClusterIPs). */
function validateUpdate(object: Obj, old: Obj): FieldError[] {
  const next = readSpec(object);
  const prev = readSpec(old);
  if (next.type === 'ExternalName' || prev.type === 'ExternalName') return [];
  if (isHeadless(next) && isHeadless(prev)) return [];
  const oldIPs: string[] = Array.isArray(prev.clusterIPs) ? prev.clusterIPs : [];
  const newIPs: string[] = Array.isArray(next.clusterIPs) ? next.clusterIPs : [];
  const rendered = goStringSlice(Array.isArray(next.clusterIPs) ? next.clusterIPs : null);
  const at = (i: number) => FieldPath.of('spec', 'clusterIPs').index(i);
  const errs: FieldError[] = [];
  if (oldIPs.length === newIPs.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== newIPs[i]) errs.push(invalidGo(at(i), newIPs, rendered, 'may not change once set'));
    });
  } else if (oldIPs.length > newIPs.length) {
    if (newIPs.length === 0) errs.push(invalidGo(at(0), newIPs, rendered, 'primary clusterIP can not be unset'));
    if (oldIPs.length > 0 && newIPs.length > 0 && newIPs[0] !== oldIPs[0]) errs.push(invalidGo(at(0), newIPs, rendered, 'may not change once set'));
    if (newIPs.length === 1 && next.ipFamilyPolicy !== 'SingleStack') {
      errs.push(invalidGo(at(0), newIPs, rendered, "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(invalidGo(at(0), newIPs, rendered, 'may not change once set'));
  }
  const oldFamilies: string[] = Array.isArray(prev.ipFamilies) ? prev.ipFamilies : [];
  const newFamilies: string[] = Array.isArray(next.ipFamilies) ? next.ipFamilies : [];
  if (oldFamilies.length > 0 && newFamilies.length > 0 && oldFamilies[0] !== newFamilies[0]) {
    errs.push(FieldError.invalid(FieldPath.of('spec', 'ipFamilies').index(0).toString(), newFamilies[0], 'may not change once set'));
  }
  return errs;
}

// ---------------------------------------------------------------- allocation

function clusterFamily(allocators: Allocators): IPFamily {
  const family = (allocators.serviceIPs as { family?: unknown }).family;
  if (family === 'IPv4' || family === 'IPv6') return family;
  return allocators.serviceIPs.range.includes(':') ? 'IPv6' : 'IPv4';
}

/** ipFamilyPolicy and ipFamilies as Kubernetes' allocator fills them on a single-stack cluster. */
function initIPFamilies(s: Obj, name: string, family: IPFamily): void {
  if (!needsClusterIP(s)) return;
  const ips: string[] = (Array.isArray(s.clusterIPs) ? s.clusterIPs : []).filter((ip: string) => ip && ip !== 'None');
  if (!Array.isArray(s.ipFamilies)) s.ipFamilies = [];
  const families: string[] = s.ipFamilies;
  const headlessNoSelector = isHeadless(s) && Object.keys(isObj(s.selector) ? s.selector : {}).length === 0;
  if (!s.ipFamilyPolicy) {
    // Two addresses or families mean dual-stack; so do headless services without a selector.
    s.ipFamilyPolicy = ips.length >= 2 || families.length >= 2 || headlessNoSelector ? 'RequireDualStack' : 'SingleStack';
  }
  if (headlessNoSelector) {
    if (families.length === 0) families.push(family);
    if (families.length < 2 && s.ipFamilyPolicy !== 'SingleStack') families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
    return;
  }
  ips.forEach((ip, i) => {
    const f = parseIP(ip)?.family;
    if (f && i >= families.length) families.push(f);
  });
  const errs: FieldError[] = [];
  if (s.ipFamilyPolicy === 'RequireDualStack') errs.push(FieldError.invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
  families.forEach((f, i) => {
    if (f !== family) errs.push(FieldError.invalid(FieldPath.of('spec', 'ipFamilies').index(i).toString(), f, 'not configured on this cluster'));
  });
  if (errs.length > 0) throw ApiError.invalid('Service', '', name, errs);
  if (families.length === 0) families.push(family);
}

/** Undo steps, run in reverse when the write fails. */
type Undo = Array<() => void>;

function runUndo(undo: Undo): void {
  for (const step of [...undo].reverse()) {
    try {
      step();
    } catch {
      // Best effort: a value retaken meanwhile stays with its new owner.
    }
  }
}

function allocateClusterIPs(s: Obj, old: Obj | undefined, name: string, allocators: Allocators, undo: Undo): void {
  const ipAlloc = allocators.serviceIPs;
  const oldIPs: string[] = old && needsClusterIP(old) ? (Array.isArray(old.clusterIPs) ? old.clusterIPs : []).filter((ip: string) => ip && ip !== 'None') : [];
  if (!needsClusterIP(s)) {
    for (const ip of oldIPs) {
      ipAlloc.release(ip);
      undo.push(() => ipAlloc.allocate(ip));
    }
    return;
  }
  if (isHeadless(s)) {
    s.clusterIPs = ['None'];
    return;
  }
  const requested: string[] = Array.isArray(s.clusterIPs) ? s.clusterIPs : [];
  if (requested.length > 0 && oldIPs.length > 0 && requested[0] === oldIPs[0]) return; // unchanged
  if (requested.length > 0) {
    const ip = requested[0];
    try {
      ipAlloc.allocate(ip);
    } catch (err) {
      if (isAllocationError(err) && err.failure !== 'Full') {
        throw ApiError.invalid('Service', '', name, [invalidGo('spec.clusterIPs', requested, goStringSlice(requested), `failed to allocate IP ${ip}: ${err.detail}`)]);
      }
      throw err;
    }
    undo.push(() => ipAlloc.release(ip));
    return;
  }
  const ip = ipAlloc.allocateNext();
  undo.push(() => ipAlloc.release(ip));
  s.clusterIP = ip;
  s.clusterIPs = [ip];
}

function nodePortInvalid(name: string, index: number, port: number, detail: string): ApiError {
  return ApiError.invalid('Service', '', name, [FieldError.invalid(FieldPath.of('spec', 'ports').index(index).child('nodePort').toString(), port, detail)]);
}

function takePort(allocators: Allocators, port: number, onError: (detail: string) => ApiError, undo: Undo): void {
  try {
    allocators.nodePorts.allocate(port);
  } catch (err) {
    if (isAllocationError(err) && err.failure !== 'Full') throw onError(err.detail);
    throw err;
  }
  undo.push(() => allocators.nodePorts.release(port));
}

function nextPort(allocators: Allocators, what: string, undo: Undo): number {
  let port: number;
  try {
    port = allocators.nodePorts.allocateNext();
  } catch (err) {
    if (isAllocationError(err)) throw ApiError.internal(`failed to allocate ${what}: ${err.detail}`, err);
    throw err;
  }
  undo.push(() => allocators.nodePorts.release(port));
  return port;
}

function allocateNodePorts(s: Obj, old: Obj | undefined, name: string, allocators: Allocators, undo: Undo): void {
  const oldPorts = new Set<number>(old && needsNodePort(old) ? list(old, 'ports').map((p) => p.nodePort).filter((n): n is number => !!n) : []);
  const ports = list(s, 'ports');
  if (needsNodePort(s)) {
    // Ports with the same number (TCP and UDP 53) share one NodePort, as Kubernetes allocates them.
    const byServicePort = new Map<number, number>();
    const taken = new Set<number>();
    ports.forEach((p, i) => {
      if (!p.nodePort && !shouldAllocateNodePorts(s)) return;
      const shared = byServicePort.get(p.port);
      if (shared !== undefined && (!p.nodePort || p.nodePort === shared)) {
        p.nodePort = shared;
        return;
      }
      const requested = p.nodePort || (shared === undefined ? ports.slice(i).find((q) => q.port === p.port && q.nodePort)?.nodePort : undefined);
      if (requested) {
        if (!oldPorts.has(requested) && !taken.has(requested)) takePort(allocators, requested, (d) => nodePortInvalid(name, i, requested, d), undo);
        taken.add(requested);
        p.nodePort = requested;
      } else {
        p.nodePort = nextPort(allocators, 'a nodePort', undo);
      }
      if (!byServicePort.has(p.port)) byServicePort.set(p.port, p.nodePort);
    });
  }
  const kept = new Set(needsNodePort(s) ? ports.map((p) => p.nodePort).filter((n) => n) : []);
  for (const port of oldPorts) {
    if (kept.has(port)) continue;
    allocators.nodePorts.release(port);
    undo.push(() => allocators.nodePorts.allocate(port));
  }
}

function allocateHealthCheckNodePort(s: Obj, old: Obj | undefined, allocators: Allocators, undo: Undo): void {
  const oldPort: number | undefined = old && needsHealthCheckNodePort(old) ? old.healthCheckNodePort : undefined;
  if (needsHealthCheckNodePort(s)) {
    if (s.healthCheckNodePort && s.healthCheckNodePort === oldPort) return;
    if (s.healthCheckNodePort) {
      const port: number = s.healthCheckNodePort;
      takePort(allocators, port, (d) => ApiError.internal(`failed to allocate requested HealthCheck NodePort ${port}: ${d}`), undo);
    } else {
      s.healthCheckNodePort = nextPort(allocators, 'a HealthCheck NodePort', undo);
    }
  }
  if (oldPort && oldPort !== s.healthCheckNodePort) {
    allocators.nodePorts.release(oldPort);
    undo.push(() => allocators.nodePorts.allocate(oldPort));
  }
}

/** Allocate what the Service needs and free what it no longer holds; the returned function undoes it all. */
function allocate(object: KubeObject, old: StoredObject | undefined, ctx: StrategyContext): () => void {
  const s = spec(object);
  const prev = old ? readSpec(old) : undefined;
  const name = object.metadata?.name ?? '';
  const undo: Undo = [];
  try {
    initIPFamilies(s, name, clusterFamily(ctx.allocators));
    allocateClusterIPs(s, prev, name, ctx.allocators, undo);
    allocateNodePorts(s, prev, name, ctx.allocators, undo);
    allocateHealthCheckNodePort(s, prev, ctx.allocators, undo);
  } catch (err) {
    runUndo(undo);
    throw err;
  }
  return () => runUndo(undo);
}

/** Give back every address and port the deleted Service held. */
function afterDelete(object: StoredObject, ctx: StrategyContext): void {
  const s = readSpec(object);
  for (const ip of Array.isArray(s.clusterIPs) ? s.clusterIPs : s.clusterIP ? [s.clusterIP] : []) {
    if (ip && ip !== 'None') ctx.allocators.serviceIPs.release(ip);
  }
  for (const p of list(s, 'ports')) if (p.nodePort) ctx.allocators.nodePorts.release(p.nodePort);
  if (s.healthCheckNodePort) ctx.allocators.nodePorts.release(s.healthCheckNodePort);
}

// ---------------------------------------------------------------- printing

function externalIPCell(svc: Service): string {
  const s = svc.spec ?? {};
  const externalIPs = s.externalIPs ?? [];
  switch (s.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = [...new Set((svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((v) => v))].sort();
      if (externalIPs.length > 0) return [...lb, ...externalIPs].join(',');
      return lb.length > 0 ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return s.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** `80/TCP`, `80:30080/TCP`, comma-separated. */
export function servicePorts(svc: Service): string {
  const text = (svc.spec?.ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? ''}` : `${p.port}/${p.protocol ?? ''}`)).join(',');
  return text || '<none>';
}

export const serviceStrategy: ResourceStrategy = {
  defaults,
  prepareForCreate: (object) => {
    object.status = { loadBalancer: {} };
    normalizeClusterIPs(spec(object), undefined);
  },
  prepareForUpdate: (object, old) => {
    keepStatus(object, old);
    const s = spec(object);
    const prev = readSpec(old);
    patchAllocatedValues(s, prev);
    normalizeClusterIPs(s, prev);
    dropTypeDependentFields(object, s, prev);
  },
  validate,
  validateUpdate,
  allocate,
  afterDelete,
  validateName: (name) => nameIsDNS1035Label(name),
  selectableFields: (object) => {
    const s = readSpec(object);
    return { 'spec.clusterIP': s.clusterIP ?? '', 'spec.type': s.type ?? '' };
  },
  table: {
    columns: [
      column('Type', 'string', 'type determines how the Service is exposed. Defaults to ClusterIP.'),
      column('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      AGE_COLUMN,
      column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', true),
    ],
    cells: (object, now) => {
      const svc = view<Service>(object);
      return [svc.spec?.type ?? '', svc.spec?.clusterIPs?.[0] ?? '<none>', externalIPCell(svc), servicePorts(svc), age(svc.metadata?.creationTimestamp, now), formatLabels(svc.spec?.selector)];
    },
  },
};

export const services: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  subresources: [{ name: 'proxy', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] }, statusSubresource('Service')],
  hasStatus: true,
  strategy: serviceStrategy,
};
