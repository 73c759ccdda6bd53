/**
 * PodSpec and PodTemplateSpec: Kubernetes' defaulting (SetDefaults_PodSpec,
 * _Container, _Probe, _Volume, ...) and validation (ValidatePodSpec and its
 * helpers), shared by Pods and every workload template. Pod-only behaviour
 * (requests from limits, enableServiceLinks, QoS class) lives here too, kept
 * apart because Kubernetes applies it to Pods and not to templates.
 */
import { FieldError } from '../errors';
import {
  FieldPath,
  NEGATIVE_ERROR,
  compareQuantities,
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  parseQuantity,
  quantityProblem,
  validateAnnotations,
  validateDNS1123Label,
  validateIP,
  validateLabelName,
  validateLabels,
  validatePortNumOrName,
  validateQualifiedName,
  type Quantity,
} from '../validation';
import { canonicalQuantityField, canonicalResourceList, child, defaultInt, defaultPointer, defaultString, eachObj, isObj, list, type Obj } from './shared';

// ---------------------------------------------------------------- images

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const IMAGE_NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const IMAGE_REFERENCE = new RegExp(`^(${IMAGE_NAME})(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`);

/**
 * The tag Kubernetes' ParseImageName sees: the written tag, `latest` when
 * there is neither tag nor digest, and '' for a digest-only or unparseable
 * reference (which therefore default to IfNotPresent).
 */
export function imageTag(image: string): string {
  const m = IMAGE_REFERENCE.exec(image);
  if (!m || m[1].length > 255) return '';
  if (m[2]) return m[2];
  return m[3] ? '' : 'latest';
}

// ---------------------------------------------------------------- defaults

function defaultHTTPGet(handler: Obj | undefined): void {
  const http = handler?.httpGet;
  if (!isObj(http)) return;
  defaultString(http, 'path', '/');
  defaultString(http, 'scheme', 'HTTP');
}

function defaultHandler(handler: unknown): void {
  if (!isObj(handler)) return;
  defaultHTTPGet(handler);
  // grpc.service carries a declarative default of "" in Kubernetes' types.
  if (isObj(handler.grpc)) defaultPointer(handler.grpc, 'service', '');
}

function defaultProbe(probe: unknown): void {
  if (!isObj(probe)) return;
  defaultInt(probe, 'timeoutSeconds', 1);
  defaultInt(probe, 'periodSeconds', 10);
  defaultInt(probe, 'successThreshold', 1);
  defaultInt(probe, 'failureThreshold', 3);
  defaultHandler(probe);
}

function defaultFieldRef(ref: unknown): void {
  if (isObj(ref)) defaultString(ref, 'apiVersion', 'v1');
}

function defaultResourceFieldRef(ref: unknown): void {
  // divisor is a non-pointer Quantity: Kubernetes always serialises it, "0" when unset.
  if (!isObj(ref)) return;
  defaultPointer(ref, 'divisor', '0');
  canonicalQuantityField(ref, 'divisor');
}

function defaultContainer(c: Obj): void {
  if (c.imagePullPolicy === undefined || c.imagePullPolicy === null || c.imagePullPolicy === '') {
    c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  }
  defaultString(c, 'terminationMessagePath', '/dev/termination-log');
  defaultString(c, 'terminationMessagePolicy', 'File');
  eachObj(c.ports, (p) => defaultString(p, 'protocol', 'TCP'));
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[probe]);
  if (isObj(c.lifecycle)) {
    defaultHandler(c.lifecycle.postStart);
    defaultHandler(c.lifecycle.preStop);
  }
  eachObj(c.env, (e) => {
    if (!isObj(e.valueFrom)) return;
    defaultFieldRef(e.valueFrom.fieldRef);
    defaultResourceFieldRef(e.valueFrom.resourceFieldRef);
  });
  // resources is a non-pointer struct: always present, `{}` when empty.
  const resources = child(c, 'resources');
  canonicalResourceList(resources, 'limits');
  canonicalResourceList(resources, 'requests');
}

const VOLUME_SOURCES = [
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'flexVolume', 'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc', 'azureFile',
  'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'storageos', 'projected', 'scaleIO',
  'configMap', 'csi', 'ephemeral', 'image',
] as const;

/** 0644, the mode Kubernetes gives projected files unless told otherwise. */
const DEFAULT_FILE_MODE = 420;

function defaultDownwardAPIItems(items: unknown): void {
  eachObj(items, (item) => {
    defaultFieldRef(item.fieldRef);
    defaultResourceFieldRef(item.resourceFieldRef);
  });
}

function defaultVolume(v: Obj): void {
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  if (isObj(v.emptyDir)) canonicalQuantityField(v.emptyDir, 'sizeLimit');
  for (const source of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    if (isObj(v[source])) defaultPointer(v[source], 'defaultMode', DEFAULT_FILE_MODE);
  }
  if (isObj(v.downwardAPI)) defaultDownwardAPIItems(v.downwardAPI.items);
  if (isObj(v.projected)) {
    eachObj(v.projected.sources, (s) => {
      if (isObj(s.serviceAccountToken)) defaultPointer(s.serviceAccountToken, 'expirationSeconds', 3600);
      if (isObj(s.downwardAPI)) defaultDownwardAPIItems(s.downwardAPI.items);
    });
  }
  if (isObj(v.hostPath)) defaultPointer(v.hostPath, 'type', '');
  if (isObj(v.iscsi)) defaultString(v.iscsi, 'iscsiInterface', 'default');
  if (isObj(v.rbd)) {
    defaultString(v.rbd, 'pool', 'rbd');
    defaultString(v.rbd, 'user', 'admin');
    defaultString(v.rbd, 'keyring', '/etc/ceph/keyring');
  }
  if (isObj(v.azureDisk)) {
    defaultPointer(v.azureDisk, 'cachingMode', 'ReadWrite');
    defaultPointer(v.azureDisk, 'kind', 'Shared');
    defaultPointer(v.azureDisk, 'fsType', 'ext4');
    defaultPointer(v.azureDisk, 'readOnly', false);
  }
  if (isObj(v.scaleIO)) {
    defaultString(v.scaleIO, 'storageMode', 'ThinProvisioned');
    defaultString(v.scaleIO, 'fsType', 'xfs');
  }
  const claimSpec = v.ephemeral?.volumeClaimTemplate?.spec;
  if (isObj(claimSpec)) defaultPersistentVolumeClaimSpec(claimSpec);
}

/** SetDefaults_PersistentVolumeClaimSpec (also used by ephemeral volumes and StatefulSet claim templates). */
export function defaultPersistentVolumeClaimSpec(spec: Obj): void {
  defaultPointer(spec, 'volumeMode', 'Filesystem');
  if (isObj(spec.resources)) {
    canonicalResourceList(spec.resources, 'requests');
    canonicalResourceList(spec.resources, 'limits');
  }
}

/** SetDefaults_PodSpec and everything nested in it: what every PodSpec gets, in Pods and in templates. */
export function defaultPodSpec(spec: Obj): void {
  defaultString(spec, 'dnsPolicy', 'ClusterFirst');
  defaultString(spec, 'restartPolicy', 'Always');
  defaultPointer(spec, 'securityContext', {});
  defaultPointer(spec, 'terminationGracePeriodSeconds', 30);
  defaultString(spec, 'schedulerName', 'default-scheduler');
  // The v1 conversion: serviceAccountName wins; the deprecated serviceAccount mirrors it.
  if (!spec.serviceAccountName && typeof spec.serviceAccount === 'string' && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  eachObj(spec.containers, defaultContainer);
  eachObj(spec.initContainers, defaultContainer);
  eachObj(spec.ephemeralContainers, defaultContainer);
  eachObj(spec.volumes, defaultVolume);
  canonicalResourceList(spec, 'overhead');
  if (isObj(spec.resources)) {
    canonicalResourceList(spec.resources, 'limits');
    canonicalResourceList(spec.resources, 'requests');
  }
}

/** A PodTemplateSpec: its spec is a non-pointer struct, so it is defaulted even when absent. */
export function defaultPodTemplateSpec(template: Obj): void {
  defaultPodSpec(child(template, 'spec'));
}

/** SetDefaults_Pod: the defaults Kubernetes gives Pods and not templates. */
export function defaultPodOnly(spec: Obj): void {
  // Requests default to limits, per resource, when only limits are given.
  for (const key of ['containers', 'initContainers']) {
    eachObj(spec[key], (c) => {
      const resources = child(c, 'resources');
      if (!isObj(resources.limits)) return;
      const requests = child(resources, 'requests');
      for (const [name, value] of Object.entries(resources.limits)) if (!(name in requests)) requests[name] = value;
    });
  }
  defaultPointer(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    // With the host's network, a container port is a host port.
    for (const key of ['containers', 'initContainers']) {
      eachObj(spec[key], (c) => eachObj(c.ports, (p) => {
        if (!p.hostPort) p.hostPort = p.containerPort;
      }));
    }
  }
}

// ---------------------------------------------------------------- QoS

function isComputeResource(name: string): boolean {
  return name === 'cpu' || name === 'memory';
}

function tryQuantity(v: unknown): Quantity | undefined {
  try {
    return typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : undefined;
  } catch {
    return undefined;
  }
}

/** Kubernetes' GetPodQOS: Guaranteed, Burstable or BestEffort from container requests and limits. */
export function podQOSClass(spec: Obj): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  for (const c of [...list(spec, 'containers'), ...list(spec, 'initContainers')]) {
    const res = isObj(c.resources) ? c.resources : {};
    for (const [name, v] of Object.entries(isObj(res.requests) ? res.requests : {})) {
      const q = tryQuantity(v);
      if (!isComputeResource(name) || !q || q.nanos <= 0n) continue;
      requests.set(name, (requests.get(name) ?? 0n) + q.nanos);
    }
    const found = new Set<string>();
    for (const [name, v] of Object.entries(isObj(res.limits) ? res.limits : {})) {
      const q = tryQuantity(v);
      if (!isComputeResource(name) || !q || q.nanos <= 0n) continue;
      found.add(name);
      limits.set(name, (limits.get(name) ?? 0n) + q.nanos);
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

// ---------------------------------------------------------------- validation

export interface PodSpecValidationOptions {
  /** A Pod rather than a template (templates may leave hostPort unset with hostNetwork; only Pods have ephemeral containers). */
  isPod: boolean;
}

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const INIT_PROBE_FORBIDDEN = 'may not be set for init containers without restartPolicy=Always';
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const STANDARD_RESOURCES = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets',
  'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers', 'requests.cpu', 'requests.memory',
  'requests.storage', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);
const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** Native resources are unprefixed or in kubernetes.io; others are extended (integer, never overcommitted). */
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isExtendedResource(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

function validateResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(name).map((m) => FieldError.invalid(path.toString(), name, m));
  if (errs.length > 0) return errs;
  if (!name.includes('/') && !STANDARD_RESOURCES.has(name) && !isHugePages(name)) {
    errs.push(FieldError.invalid(path.toString(), name, 'must be a standard resource type or fully qualified'));
  }
  return errs;
}

function validateContainerResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) errs.push(FieldError.invalid(path.toString(), name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && !isExtendedResource(name)) {
    errs.push(FieldError.invalid(path.toString(), name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** A quantity in a ResourceList: parseable, not negative, whole for extended resources. */
export function validateResourceQuantity(name: string, value: unknown, path: FieldPath): { errors: FieldError[]; quantity?: Quantity } {
  const problem = quantityProblem(value);
  if (problem) return { errors: [FieldError.invalid(path.toString(), value, problem)] };
  const q = parseQuantity(value as string);
  const errors: FieldError[] = [];
  if (q.nanos < 0n) errors.push(FieldError.invalid(path.toString(), String(value), NEGATIVE_ERROR));
  if (isExtendedResource(name) && q.nanos % 1_000_000_000n !== 0n) errors.push(FieldError.invalid(path.toString(), String(value), 'must be an integer'));
  return { errors, quantity: q };
}

function validateResources(resources: Obj | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!resources) return errs;
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const limits = isObj(resources.limits) ? resources.limits : {};
  const requests = isObj(resources.requests) ? resources.requests : {};
  const limitQuantities = new Map<string, Quantity>();
  let cpuOrMemory = false;
  let hugePages = false;
  for (const [name, value] of Object.entries(limits)) {
    const p = limPath.key(name);
    errs.push(...validateContainerResourceName(name, p));
    const { errors, quantity } = validateResourceQuantity(name, value, p);
    errs.push(...errors);
    if (quantity) limitQuantities.set(name, quantity);
    if (isComputeResource(name)) cpuOrMemory = true;
    if (isHugePages(name)) hugePages = true;
  }
  for (const [name, value] of Object.entries(requests)) {
    const p = reqPath.key(name);
    errs.push(...validateContainerResourceName(name, p));
    const { errors, quantity } = validateResourceQuantity(name, value, p);
    errs.push(...errors);
    const limit = limitQuantities.get(name);
    if (quantity && limit) {
      const cmp = compareQuantities(quantity, limit);
      if (cmp !== 0 && !isOvercommitAllowed(name)) errs.push(FieldError.invalid(reqPath.toString(), String(value), `must be equal to ${name} limit of ${limits[name]}`));
      else if (cmp > 0) errs.push(FieldError.invalid(reqPath.toString(), String(value), `must be less than or equal to ${name} limit of ${limits[name]}`));
    } else if (!(name in limits) && !isOvercommitAllowed(name)) {
      errs.push(FieldError.required(limPath.toString(), 'Limit must be set for non overcommitable resources'));
    }
    if (isComputeResource(name)) cpuOrMemory = true;
    if (isHugePages(name)) hugePages = true;
  }
  if (hugePages && !cpuOrMemory) errs.push(FieldError.forbidden(path.toString(), 'HugePages require cpu or memory'));
  return errs;
}

function validatePorts(ports: Obj[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = path.index(i);
    if (port.name) {
      const msgs = isValidPortName(String(port.name));
      if (msgs.length > 0) for (const m of msgs) errs.push(FieldError.invalid(p.child('name').toString(), port.name, m));
      else if (names.has(port.name)) errs.push(FieldError.duplicate(p.child('name').toString(), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(FieldError.required(p.child('containerPort').toString()));
    else for (const m of isValidPortNum(port.containerPort)) errs.push(FieldError.invalid(p.child('containerPort').toString(), port.containerPort, m));
    if (port.hostPort) for (const m of isValidPortNum(port.hostPort)) errs.push(FieldError.invalid(p.child('hostPort').toString(), port.hostPort, m));
    if (!port.protocol) errs.push(FieldError.required(p.child('protocol').toString()));
    else if (!PROTOCOLS.includes(port.protocol)) errs.push(FieldError.notSupported(p.child('protocol').toString(), port.protocol, PROTOCOLS));
  });
  return errs;
}

/** Host ports are unique per host IP and protocol across the containers given. */
function hostPortConflicts(containers: Obj[], path: FieldPath, seen = new Set<string>()): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    list(c, 'ports').forEach((port, pi) => {
      if (!port.hostPort) return;
      const key = `${port.hostIP ?? ''}/${port.protocol ?? ''}/${port.hostPort}`;
      if (seen.has(key)) errs.push(FieldError.duplicate(path.index(ci).child('ports').index(pi).child('hostPort').toString(), key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateKeySelector(ref: Obj, path: FieldPath): FieldError[] {
  const errs = isDNS1123Subdomain(ref.name ?? '').map((m) => FieldError.invalid(path.child('name').toString(), ref.name ?? '', m));
  if (!ref.key) errs.push(FieldError.required(path.child('key').toString()));
  else for (const m of isConfigMapKey(ref.key)) errs.push(FieldError.invalid(path.child('key').toString(), ref.key, m));
  return errs;
}

function validateFieldRef(ref: Obj, path: FieldPath): FieldError[] {
  if (!ref.apiVersion) return [FieldError.required(path.child('apiVersion').toString())];
  if (!ref.fieldPath) return [FieldError.required(path.child('fieldPath').toString())];
  const fp = String(ref.fieldPath);
  const sub = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fp);
  if (sub) return sub[1] === 'metadata.annotations' ? validateQualifiedName(sub[2].toLowerCase(), path) : validateQualifiedName(sub[2], path);
  if (!ENV_FIELD_PATHS.includes(fp)) return [FieldError.notSupported(path.child('fieldPath').toString(), fp, ENV_FIELD_PATHS)];
  return [];
}

function validateEnv(env: Obj[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((e, i) => {
    const p = path.index(i);
    if (!e.name) errs.push(FieldError.required(p.child('name').toString()));
    else for (const m of isEnvVarName(e.name)) errs.push(FieldError.invalid(p.child('name').toString(), e.name, m));
    if (!isObj(e.valueFrom)) return;
    const vp = p.child('valueFrom');
    let sources = 0;
    if (isObj(e.valueFrom.fieldRef)) {
      sources++;
      errs.push(...validateFieldRef(e.valueFrom.fieldRef, vp.child('fieldRef')));
    }
    if (isObj(e.valueFrom.resourceFieldRef)) {
      sources++;
      if (!e.valueFrom.resourceFieldRef.resource) errs.push(FieldError.required(vp.child('resourceFieldRef', 'resource').toString()));
    }
    if (isObj(e.valueFrom.configMapKeyRef)) {
      sources++;
      errs.push(...validateKeySelector(e.valueFrom.configMapKeyRef, vp.child('configMapKeyRef')));
    }
    if (isObj(e.valueFrom.secretKeyRef)) {
      sources++;
      errs.push(...validateKeySelector(e.valueFrom.secretKeyRef, vp.child('secretKeyRef')));
    }
    if (sources === 0) errs.push(FieldError.invalid(vp.toString(), '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (e.value) errs.push(FieldError.invalid(vp.toString(), '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(FieldError.invalid(vp.toString(), '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(mounts: Obj[], volumes: Set<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const mountPaths = new Set<string>();
  mounts.forEach((m, i) => {
    const p = path.index(i);
    if (!m.name) errs.push(FieldError.required(p.child('name').toString()));
    if (!volumes.has(m.name)) errs.push(new FieldError('NotFound', p.child('name').toString(), m.name ?? ''));
    if (!m.mountPath) errs.push(FieldError.required(p.child('mountPath').toString()));
    if (mountPaths.has(m.mountPath)) errs.push(FieldError.invalid(p.child('mountPath').toString(), m.mountPath, 'must be unique'));
    mountPaths.add(m.mountPath);
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, path.child('subPath')));
    if (m.subPathExpr) {
      if (m.subPath) errs.push(FieldError.invalid(p.child('subPathExpr').toString(), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(m.subPathExpr, path.child('subPathExpr')));
    }
  });
  return errs;
}

function validateHandler(handler: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let handlers = 0;
  const one = (key: string, check: (h: Obj, p: FieldPath) => FieldError[]) => {
    if (!isObj(handler[key])) return;
    if (handlers > 0) {
      errs.push(FieldError.forbidden(path.child(key).toString(), 'may not specify more than 1 handler type'));
      return;
    }
    handlers++;
    errs.push(...check(handler[key], path.child(key)));
  };
  one('exec', (h, p) => (Array.isArray(h.command) && h.command.length > 0 ? [] : [FieldError.required(p.child('command').toString())]));
  one('httpGet', (h, p) => {
    const e: FieldError[] = [];
    if (!h.path) e.push(FieldError.required(p.child('path').toString()));
    e.push(...validatePortNumOrName(h.port, p.child('port')));
    if (!['HTTP', 'HTTPS'].includes(h.scheme)) e.push(FieldError.notSupported(p.child('scheme').toString(), h.scheme ?? '', ['HTTP', 'HTTPS']));
    return e;
  });
  one('tcpSocket', (h, p) => validatePortNumOrName(h.port, p.child('port')));
  one('grpc', (h, p) => isValidPortNum(h.port).map((m) => FieldError.invalid(p.child('port').toString(), h.port ?? 0, m)));
  one('sleep', (h, p) => (typeof h.seconds === 'number' && h.seconds >= 0 ? [] : [FieldError.invalid(p.child('seconds').toString(), h.seconds ?? 0, NEGATIVE_ERROR)]));
  if (handlers === 0) errs.push(FieldError.required(path.toString(), 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: unknown, path: FieldPath, kind: 'liveness' | 'readiness' | 'startup'): FieldError[] {
  if (!isObj(probe)) return [];
  const errs = validateHandler(probe, path);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    if ((probe[f] ?? 0) < 0) errs.push(FieldError.invalid(path.child(f).toString(), probe[f], NEGATIVE_ERROR));
  }
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds !== null) {
    if (kind === 'readiness') errs.push(FieldError.invalid(path.child('terminationGracePeriodSeconds').toString(), probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
    else if (probe.terminationGracePeriodSeconds <= 0) errs.push(FieldError.invalid(path.child('terminationGracePeriodSeconds').toString(), probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  if (kind !== 'readiness' && probe.successThreshold !== 1) errs.push(FieldError.invalid(path.child('successThreshold').toString(), probe.successThreshold ?? 0, 'must be 1'));
  return errs;
}

function validateProbes(c: Obj, p: FieldPath): FieldError[] {
  return [
    ...validateProbe(c.livenessProbe, p.child('livenessProbe'), 'liveness'),
    ...validateProbe(c.readinessProbe, p.child('readinessProbe'), 'readiness'),
    ...validateProbe(c.startupProbe, p.child('startupProbe'), 'startup'),
  ];
}

function validateLifecycle(c: Obj, p: FieldPath): FieldError[] {
  if (!isObj(c.lifecycle)) return [];
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop']) if (isObj(c.lifecycle[hook])) errs.push(...validateHandler(c.lifecycle[hook], p.child('lifecycle', hook)));
  return errs;
}

/** What every container type shares (Kubernetes' validateContainerCommon). */
function validateContainerCommon(c: Obj, volumes: Set<string>, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(FieldError.required(p.child('name').toString()));
  else errs.push(...validateDNS1123Label(String(c.name), p.child('name')));
  if (!c.image) errs.push(FieldError.required(p.child('image').toString()));
  const tmp = c.terminationMessagePolicy;
  if (!tmp) errs.push(FieldError.required(p.child('terminationMessagePolicy').toString()));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') errs.push(FieldError.notSupported(p.child('terminationMessagePolicy').toString(), tmp, ['File', 'FallbackToLogsOnError']));
  errs.push(...validatePorts(list(c, 'ports'), p.child('ports')));
  errs.push(...validateEnv(list(c, 'env'), p.child('env')));
  errs.push(...validateVolumeMounts(list(c, 'volumeMounts'), volumes, p.child('volumeMounts')));
  const policy = c.imagePullPolicy;
  if (!policy) errs.push(FieldError.required(p.child('imagePullPolicy').toString()));
  else if (!['Always', 'IfNotPresent', 'Never'].includes(policy)) errs.push(FieldError.notSupported(p.child('imagePullPolicy').toString(), policy, ['Always', 'IfNotPresent', 'Never']));
  errs.push(...validateResources(isObj(c.resources) ? c.resources : undefined, p.child('resources')));
  return errs;
}

function validateLocalDescendingPath(target: string, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(FieldError.invalid(path.toString(), target, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

function validatePathNoBacksteps(target: string, path: FieldPath): FieldError[] {
  return target.split('/').includes('..') ? [FieldError.invalid(path.toString(), target, "must not contain '..'")] : [];
}

function validateKeyToPaths(items: Obj[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  items.forEach((item, i) => {
    const p = path.index(i);
    if (!item.key) errs.push(FieldError.required(p.child('key').toString()));
    if (!item.path) errs.push(FieldError.required(p.child('path').toString()));
    else {
      errs.push(...validateLocalDescendingPath(item.path, p.child('path')));
      if (String(item.path).startsWith('..')) errs.push(FieldError.invalid(p.child('path').toString(), item.path, "must not start with '..'"));
    }
    if (item.mode !== undefined && item.mode !== null && (item.mode > 0o777 || item.mode < 0)) errs.push(FieldError.invalid(p.child('mode').toString(), item.mode, FILE_MODE_ERROR));
  });
  return errs;
}

function validateMode(source: Obj, path: FieldPath): FieldError[] {
  const m = source.defaultMode;
  return m !== undefined && m !== null && (m > 0o777 || m < 0) ? [FieldError.invalid(path.child('defaultMode').toString(), m, FILE_MODE_ERROR)] : [];
}

/** One volume's source: exactly one type, each checked for what it needs. */
function validateVolumeSource(v: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const source of VOLUME_SOURCES) {
    const s = v[source];
    if (s === undefined || s === null) continue;
    const sp = path.child(source);
    if (count > 0) {
      errs.push(FieldError.forbidden(sp.toString(), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const src: Obj = isObj(s) ? s : {};
    switch (source) {
      case 'hostPath':
        if (!src.path) {
          errs.push(FieldError.required(sp.child('path').toString()));
          break;
        }
        errs.push(...validatePathNoBacksteps(src.path, sp.child('path')));
        if (src.type !== undefined && src.type !== null && !HOST_PATH_TYPES.includes(src.type)) errs.push(FieldError.notSupported(sp.child('type').toString(), src.type, HOST_PATH_TYPES));
        break;
      case 'secret':
        if (!src.secretName) errs.push(FieldError.required(sp.child('secretName').toString()));
        errs.push(...validateMode(src, sp), ...validateKeyToPaths(list(src, 'items'), sp.child('items')));
        break;
      case 'configMap':
        if (!src.name) errs.push(FieldError.required(sp.child('name').toString()));
        errs.push(...validateMode(src, sp), ...validateKeyToPaths(list(src, 'items'), sp.child('items')));
        break;
      case 'persistentVolumeClaim':
        if (!src.claimName) errs.push(FieldError.required(sp.child('claimName').toString()));
        break;
      case 'nfs':
        if (!src.server) errs.push(FieldError.required(sp.child('server').toString()));
        if (!src.path) errs.push(FieldError.required(sp.child('path').toString()));
        else if (!String(src.path).startsWith('/')) errs.push(FieldError.invalid(sp.child('path').toString(), src.path, 'must be an absolute path'));
        break;
      case 'downwardAPI':
      case 'projected':
        errs.push(...validateMode(src, sp));
        break;
      case 'emptyDir': {
        const q = src.sizeLimit === undefined || src.sizeLimit === null ? undefined : tryQuantity(src.sizeLimit);
        if (q && q.nanos < 0n) errs.push(FieldError.forbidden(sp.child('sizeLimit').toString(), 'SizeLimit field must be a valid resource quantity'));
        break;
      }
      default:
        break;
    }
  }
  if (count === 0) errs.push(FieldError.required(path.toString(), 'must specify a volume type'));
  return errs;
}

function validateVolumes(volumes: Obj[], path: FieldPath): { names: Set<string>; errors: FieldError[] } {
  const names = new Set<string>();
  const errors: FieldError[] = [];
  volumes.forEach((v, i) => {
    const p = path.index(i);
    const el = validateVolumeSource(v, p);
    if (!v.name) el.push(FieldError.required(p.child('name').toString()));
    else el.push(...validateDNS1123Label(String(v.name), p.child('name')));
    if (names.has(v.name)) el.push(FieldError.duplicate(p.child('name').toString(), v.name));
    // Only well-formed volumes can be mounted (Kubernetes adds a volume to the set only without errors).
    if (el.length === 0) names.add(v.name);
    errors.push(...el);
  });
  return { names, errors };
}

export function validateTaintEffect(effect: unknown, allowEmpty: boolean, path: FieldPath): FieldError[] {
  if (!allowEmpty && !effect) return [FieldError.required(path.toString())];
  if (typeof effect === 'string' && TAINT_EFFECTS.includes(effect)) return [];
  return [FieldError.notSupported(path.toString(), effect ?? '', TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: Obj[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  tolerations.forEach((t, i) => {
    const p = path.index(i);
    if (t.key) errs.push(...validateLabelName(t.key, p.child('key')));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(FieldError.invalid(p.child('operator').toString(), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(FieldError.invalid(p.child('effect').toString(), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(t.value ?? '');
        if (msgs.length > 0) errs.push(FieldError.invalid(p.child('operator').toString(), t.value ?? '', msgs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value) errs.push(FieldError.invalid(p.child('operator').toString(), t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(FieldError.notSupported(p.child('operator').toString(), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect) errs.push(...validateTaintEffect(t.effect, true, p.child('effect')));
  });
  return errs;
}

/** Kubernetes' ValidatePodSpec (the checks users meet; security contexts, affinity terms and OS rules are not covered). */
export function validatePodSpec(spec: Obj, path: FieldPath, options: PodSpecValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) {
    errs.push(FieldError.required(path.child('terminationGracePeriodSeconds').toString(), 'must be set'));
  }
  const { names: volumes, errors: volumeErrors } = validateVolumes(list(spec, 'volumes'), path.child('volumes'));
  errs.push(...volumeErrors);

  // Regular containers.
  const containers = list(spec, 'containers');
  const cPath = path.child('containers');
  const allNames = new Set<string>();
  if (containers.length === 0) errs.push(FieldError.required(cPath.toString()));
  containers.forEach((c, i) => {
    const p = cPath.index(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    if (allNames.has(c.name)) errs.push(FieldError.duplicate(p.child('name').toString(), c.name));
    else allNames.add(c.name);
    errs.push(...validateProbes(c, p), ...validateLifecycle(c, p));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) errs.push(FieldError.forbidden(p.child('restartPolicy').toString(), 'may not be set for non-init containers'));
  });
  errs.push(...hostPortConflicts(containers, cPath));

  // Init containers: names unique across both lists; probes only for sidecars (restartPolicy Always).
  const iPath = path.child('initContainers');
  list(spec, 'initContainers').forEach((c, i) => {
    const p = iPath.index(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    const sidecar = c.restartPolicy === 'Always';
    if (c.restartPolicy !== undefined && c.restartPolicy !== null && !sidecar) errs.push(FieldError.notSupported(p.child('restartPolicy').toString(), c.restartPolicy, ['Always']));
    if (allNames.has(c.name)) errs.push(FieldError.duplicate(p.child('name').toString(), c.name));
    else if (c.name) allNames.add(c.name);
    // Init containers run one at a time, so each is checked for host port conflicts on its own.
    errs.push(...hostPortConflicts([c], iPath));
    if (sidecar) {
      errs.push(...validateProbes(c, p), ...validateLifecycle(c, p));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (c[f] !== undefined && c[f] !== null) errs.push(FieldError.forbidden(p.child(f).toString(), INIT_PROBE_FORBIDDEN));
      }
    }
  });

  // Ephemeral containers (Pods only: templates may not carry them).
  const ePath = path.child('ephemeralContainers');
  list(spec, 'ephemeralContainers').forEach((c, i) => {
    const p = ePath.index(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    if (allNames.has(c.name)) errs.push(FieldError.duplicate(p.child('name').toString(), c.name));
    else if (c.name) allNames.add(c.name);
  });

  if (spec.hostNetwork === true) {
    containers.forEach((c, i) => {
      list(c, 'ports').forEach((port, pi) => {
        const hp = port.hostPort ?? 0;
        if (hp !== port.containerPort && !(!options.isPod && hp === 0)) {
          errs.push(FieldError.invalid(cPath.index(i).child('ports').index(pi).child('hostPort').toString(), hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }

  const restart = spec.restartPolicy ?? '';
  if (restart === '') errs.push(FieldError.required(path.child('restartPolicy').toString()));
  else if (!['Always', 'OnFailure', 'Never'].includes(restart)) errs.push(FieldError.notSupported(path.child('restartPolicy').toString(), restart, ['Always', 'OnFailure', 'Never']));

  const dns = spec.dnsPolicy ?? '';
  if (dns === '') errs.push(FieldError.required(path.child('dnsPolicy').toString()));
  else if (!['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(dns)) {
    errs.push(FieldError.notSupported(path.child('dnsPolicy').toString(), dns, ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']));
  }

  errs.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));

  const dnsPath = path.child('dnsConfig');
  if (dns === 'None') {
    if (!isObj(spec.dnsConfig)) errs.push(FieldError.required(dnsPath.toString(), 'must provide `dnsConfig` when `dnsPolicy` is None'));
    else if (!Array.isArray(spec.dnsConfig.nameservers) || spec.dnsConfig.nameservers.length === 0) {
      errs.push(FieldError.required(dnsPath.child('nameservers').toString(), 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
    }
  }
  if (isObj(spec.dnsConfig) && Array.isArray(spec.dnsConfig.nameservers)) {
    const ns: string[] = spec.dnsConfig.nameservers;
    if (ns.length > 3) errs.push(FieldError.invalid(dnsPath.child('nameservers').toString(), ns, 'must not have more than 3 nameservers'));
    ns.forEach((n, i) => errs.push(...validateIP(dnsPath.child('nameservers').index(i), String(n))));
  }

  list(spec, 'readinessGates').forEach((g, i) => errs.push(...validateQualifiedName(g.conditionType ?? '', path.child('readinessGates').index(i).child('conditionType'))));

  if (spec.serviceAccountName) {
    for (const m of isDNS1123Subdomain(spec.serviceAccountName)) errs.push(FieldError.invalid(path.child('serviceAccountName').toString(), spec.serviceAccountName, m));
  }
  if (spec.nodeName) {
    for (const m of isDNS1123Subdomain(spec.nodeName)) errs.push(FieldError.invalid(path.child('nodeName').toString(), spec.nodeName, m));
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = spec.activeDeadlineSeconds;
    if (v < 1 || v > 2147483647) errs.push(FieldError.invalid(path.child('activeDeadlineSeconds').toString(), v, inclusiveRangeError(1, 2147483647)));
  }
  if (spec.hostname) errs.push(...validateDNS1123Label(spec.hostname, path.child('hostname')));
  if (spec.subdomain) errs.push(...validateDNS1123Label(spec.subdomain, path.child('subdomain')));
  errs.push(...validateTolerations(list(spec, 'tolerations'), path.child('tolerations')));
  if (spec.priorityClassName) {
    for (const m of isDNS1123Subdomain(spec.priorityClassName)) errs.push(FieldError.invalid(path.child('priorityClassName').toString(), spec.priorityClassName, m));
  }
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && !['Never', 'PreemptLowerPriority'].includes(spec.preemptionPolicy)) {
    errs.push(FieldError.notSupported(path.child('preemptionPolicy').toString(), spec.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  }
  const gates = new Set<string>();
  list(spec, 'schedulingGates').forEach((g, i) => {
    const p = path.child('schedulingGates').index(i);
    errs.push(...validateQualifiedName(g.name ?? '', p));
    if (gates.has(g.name)) errs.push(FieldError.duplicate(p.toString(), g.name));
    gates.add(g.name);
  });
  return errs;
}

/** Kubernetes' ValidatePodTemplateSpec: template labels are reported at `<path>.labels`, as Kubernetes does. */
export function validatePodTemplateSpec(template: Obj | undefined, path: FieldPath): FieldError[] {
  const t: Obj = isObj(template) ? template : {};
  const meta: Obj = isObj(t.metadata) ? t.metadata : {};
  const spec: Obj = isObj(t.spec) ? t.spec : {};
  const errs = [...validateLabels(meta.labels, path.child('labels')), ...validateAnnotations(meta.annotations, path.child('annotations'))];
  errs.push(...validatePodSpec(spec, path.child('spec'), { isPod: false }));
  if (list(spec, 'ephemeralContainers').length > 0) errs.push(FieldError.forbidden(path.child('spec', 'ephemeralContainers').toString(), 'ephemeral containers not allowed in pod template'));
  return errs;
}
