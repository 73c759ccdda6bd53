/**
 * discovery.k8s.io/v1 EndpointSlice: ports default to TCP with an empty name,
 * addresses are checked against the slice's address type (which never
 * changes), and the table shows the first three ports and addresses.
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import {
  FieldPath,
  isDNS1123Subdomain,
  validateDNS1123Label,
  validateFQDN,
  validateIPv4,
  validateIPv6,
  validateImmutableField,
  validateLabels,
  validateNonSpecialIP,
  validateQualifiedName,
} from '../validation';
import { AGE_COLUMN, age, column, listWithMore } from './printing';
import { defaultPointer, eachObj, isObj, list, view, type Obj } from './shared';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_TOPOLOGY_LABELS = 16;

function validateEndpoints(object: Obj): FieldError[] {
  const endpoints = list(object, 'endpoints');
  const path = FieldPath.of('endpoints');
  if (endpoints.length > MAX_ENDPOINTS) return [FieldError.tooMany(path.toString(), endpoints.length, MAX_ENDPOINTS)];
  const errs: FieldError[] = [];
  endpoints.forEach((ep, i) => {
    const p = path.index(i);
    const addrPath = p.child('addresses');
    const addresses: unknown[] = Array.isArray(ep.addresses) ? ep.addresses : [];
    if (addresses.length === 0) errs.push(FieldError.required(addrPath.toString(), 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) errs.push(FieldError.tooMany(addrPath.toString(), addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => {
      const ap = addrPath.index(j);
      const address = String(a);
      if (object.addressType === 'IPv4' || object.addressType === 'IPv6') {
        const ipErrs = object.addressType === 'IPv4' ? validateIPv4(ap, address) : validateIPv6(ap, address);
        errs.push(...(ipErrs.length > 0 ? ipErrs : validateNonSpecialIP(address, ap)));
      } else if (object.addressType === 'FQDN') {
        errs.push(...validateFQDN(ap, address));
      }
    });
    if (typeof ep.nodeName === 'string') for (const m of isDNS1123Subdomain(ep.nodeName)) errs.push(FieldError.invalid(p.child('nodeName').toString(), ep.nodeName, m));
    const topology = isObj(ep.deprecatedTopology) ? ep.deprecatedTopology : {};
    if (Object.keys(topology).length > MAX_TOPOLOGY_LABELS) errs.push(FieldError.tooMany(p.child('deprecatedTopology').toString(), Object.keys(topology).length, MAX_TOPOLOGY_LABELS));
    errs.push(...validateLabels(topology, p.child('deprecatedTopology')));
    if (typeof ep.hostname === 'string') errs.push(...validateDNS1123Label(ep.hostname, p.child('hostname')));
  });
  return errs;
}

function validatePorts(object: Obj): FieldError[] {
  const ports = list(object, 'ports');
  const path = FieldPath.of('ports');
  if (ports.length > MAX_PORTS) return [FieldError.tooMany(path.toString(), ports.length, MAX_PORTS)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = path.index(i);
    const name = String(port.name ?? '');
    if (name) errs.push(...validateDNS1123Label(name, p.child('name')));
    if (names.has(name)) errs.push(FieldError.duplicate(p.child('name').toString(), name));
    names.add(name);
    if (!port.protocol) errs.push(FieldError.required(p.child('protocol').toString()));
    else if (!PROTOCOLS.includes(port.protocol)) errs.push(FieldError.notSupported(p.child('protocol').toString(), port.protocol, PROTOCOLS));
    if (typeof port.appProtocol === 'string') errs.push(...validateQualifiedName(port.appProtocol, p.child('appProtocol')));
  });
  return errs;
}

function validate(object: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (!object.addressType) errs.push(FieldError.required('addressType'));
  else if (!ADDRESS_TYPES.includes(object.addressType)) errs.push(FieldError.notSupported('addressType', object.addressType, ADDRESS_TYPES));
  errs.push(...validateEndpoints(object), ...validatePorts(object));
  return errs;
}

export const endpointSliceStrategy: ResourceStrategy = {
  defaults: (object) =>
    eachObj((object as Obj).ports, (p) => {
      defaultPointer(p, 'name', '');
      defaultPointer(p, 'protocol', 'TCP');
    }),
  validate,
  validateUpdate: (object, old) => validateImmutableField(object.addressType ?? '', old.addressType ?? '', 'addressType'),
  table: {
    columns: [
      column('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
      column('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
      column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
      AGE_COLUMN,
    ],
    cells: (object, now) => {
      const slice = view<EndpointSlice>(object);
      const ports = (slice.ports ?? []).map((p) => (typeof p.port === 'number' ? String(p.port) : p.name ? p.name : '*'));
      const addresses = (slice.endpoints ?? []).flatMap((e) => e.addresses ?? []);
      return [slice.addressType ?? '', listWithMore(ports), listWithMore(addresses), age(slice.metadata?.creationTimestamp, now)];
    },
  },
};

export const endpointSlices: ResourceDefinition = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  strategy: endpointSliceStrategy,
};
