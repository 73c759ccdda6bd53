/**
 * core/v1 Node: allocatable defaults to capacity, status is kept on create
 * (the kubelet registers with it), taints and pod CIDRs are checked as
 * Kubernetes does, and `kubectl get nodes` shows STATUS from the Ready
 * condition, ROLES from `node-role.kubernetes.io/*` labels.
 */
import type { Node } from 'kubernetes-types/core/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, goStringSlice, invalidGo, jsonEqual, parseCIDR, validateCIDR, validateLabelName, isValidLabelValue } from '../validation';
import { validateResourceQuantity, validateTaintEffect } from './podspec';
import { AGE_COLUMN, age, column } from './printing';
import { canonicalResourceList, child, defaultPointer, isObj, keepStatus, list, readSpec, statusSubresource, view, type Obj } from './shared';

const NODE_INFO_FIELDS = ['machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion', 'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture'];

function defaults(object: Obj): void {
  const status = child(object, 'status');
  canonicalResourceList(status, 'capacity');
  canonicalResourceList(status, 'allocatable');
  if (!isObj(status.allocatable) && isObj(status.capacity)) status.allocatable = { ...status.capacity };
  // Non-pointer structs with non-omitempty fields: Kubernetes always serialises them.
  defaultPointer(child(child(status, 'daemonEndpoints'), 'kubeletEndpoint'), 'Port', 0);
  const info = child(status, 'nodeInfo');
  for (const f of NODE_INFO_FIELDS) defaultPointer(info, f, '');
}

function validate(object: Obj): FieldError[] {
  const s = readSpec(object);
  const errs: FieldError[] = [];
  // Kubernetes reports taints under metadata (a long-standing quirk of its validation).
  const taintsPath = FieldPath.of('metadata', 'taints');
  const seen = new Map<string, Set<string>>();
  list(s, 'taints').forEach((t, i) => {
    const p = taintsPath.index(i);
    errs.push(...validateLabelName(t.key ?? '', p.child('key')));
    const valueErrs = isValidLabelValue(t.value ?? '');
    if (valueErrs.length > 0) errs.push(FieldError.invalid(p.child('value').toString(), t.value ?? '', valueErrs.join(';')));
    errs.push(...validateTaintEffect(t.effect, false, p.child('effect')));
    const keys = seen.get(t.effect) ?? new Set<string>();
    if (keys.has(t.key)) {
      errs.push(new FieldError('Duplicate', p.toString(), t, 'taints must be unique by key and effect pair'));
      return;
    }
    keys.add(t.key);
    seen.set(t.effect, keys);
  });
  const cidrs: string[] = Array.isArray(s.podCIDRs) ? s.podCIDRs : [];
  const cidrPath = FieldPath.of('spec', 'podCIDRs');
  cidrs.forEach((c, i) => errs.push(...validateCIDR(cidrPath.index(i), String(c))));
  if (cidrs.length > 1) {
    const families = new Set(cidrs.map((c) => parseCIDR(String(c))?.family));
    if (families.size !== cidrs.length || cidrs.length > 2) errs.push(invalidGo(cidrPath, cidrs, goStringSlice(cidrs), 'may specify no more than one CIDR for each IP family'));
  }
  const capacity = isObj(object.status) && isObj(object.status.capacity) ? object.status.capacity : {};
  for (const [name, value] of Object.entries(capacity)) errs.push(...validateResourceQuantity(name, value, FieldPath.of('status', 'capacity', name)).errors);
  return errs;
}

function validateUpdate(object: Obj, old: Obj): FieldError[] {
  const next = readSpec(object);
  const prev = readSpec(old);
  const errs: FieldError[] = [];
  const addresses = isObj(object.status) ? list(object.status, 'addresses') : [];
  const seen: Obj[] = [];
  addresses.forEach((a, i) => {
    if (seen.some((b) => jsonEqual(a, b))) errs.push(FieldError.duplicate(FieldPath.of('status', 'addresses').index(i).toString(), a));
    seen.push(a);
  });
  const oldCIDRs: string[] = Array.isArray(prev.podCIDRs) ? prev.podCIDRs : [];
  const newCIDRs: string[] = Array.isArray(next.podCIDRs) ? next.podCIDRs : [];
  const podCIDRMessage = 'node updates may not change podCIDR except from "" to valid';
  if (oldCIDRs.length > 0) {
    if (oldCIDRs.length !== newCIDRs.length) errs.push(FieldError.forbidden('spec.podCIDRs', podCIDRMessage));
    else oldCIDRs.forEach((c, i) => c !== newCIDRs[i] && errs.push(FieldError.forbidden('spec.podCIDRs', podCIDRMessage)));
  }
  if (prev.providerID && prev.providerID !== next.providerID) errs.push(FieldError.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  return errs;
}

/** Roles from `node-role.kubernetes.io/<role>` labels and the legacy `kubernetes.io/role` label. */
function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeStatus(node: Node): string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const status = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function address(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
}

export const nodeStrategy: ResourceStrategy = {
  defaults,
  prepareForUpdate: (object, old) => keepStatus(object, old),
  validate,
  validateUpdate,
  selectableFields: (object) => ({ 'spec.unschedulable': String(readSpec(object).unschedulable === true) }),
  table: {
    columns: [
      column('Status', 'string', 'The status of the node'),
      column('Roles', 'string', 'The roles of the node'),
      AGE_COLUMN,
      column('Version', 'string', 'Kubelet Version reported by the node.'),
      column('Internal-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', true),
      column('External-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', true),
      column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', true),
      column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", true),
      column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', true),
    ],
    cells: (object, now) => {
      const node = view<Node>(object);
      const info = node.status?.nodeInfo;
      return [
        nodeStatus(node),
        nodeRoles(node),
        age(node.metadata?.creationTimestamp, now),
        info?.kubeletVersion ?? '',
        address(node, 'InternalIP'),
        address(node, 'ExternalIP'),
        info?.osImage || '<unknown>',
        info?.kernelVersion || '<unknown>',
        info?.containerRuntimeVersion || '<unknown>',
      ];
    },
  },
};

export const nodes: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  subresources: [{ name: 'proxy', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] }, statusSubresource('Node')],
  hasStatus: true,
  strategy: nodeStrategy,
};
