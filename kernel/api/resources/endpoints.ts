/**
 * core/v1 Endpoints: ports default to TCP, every subset needs addresses, and
 * addresses must be real, non-special IPs. The table lists the first three
 * `ip:port` pairs, as `kubectl get endpoints` does.
 */
import type { Endpoints } from 'kubernetes-types/core/v1';
import { FieldError } from '../errors';
import type { ResourceDefinition, ResourceStrategy } from '../resource';
import { FieldPath, isDNS1123Subdomain, isValidPortNum, validateDNS1123Label, validateIP, validateNonSpecialIP, validateQualifiedName } from '../validation';
import { AGE_COLUMN, age, column } from './printing';
import { defaultString, eachObj, list, view, type Obj } from './shared';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function validateAddress(a: Obj, path: FieldPath): FieldError[] {
  const errs = validateIP(path.child('ip'), String(a.ip ?? ''));
  if (a.hostname) errs.push(...validateDNS1123Label(String(a.hostname), path.child('hostname')));
  if (typeof a.nodeName === 'string') for (const m of isDNS1123Subdomain(a.nodeName)) errs.push(FieldError.invalid(path.child('nodeName').toString(), a.nodeName, m));
  errs.push(...validateNonSpecialIP(String(a.ip ?? ''), path.child('ip')));
  return errs;
}

function validate(object: Obj): FieldError[] {
  const errs: FieldError[] = [];
  list(object, 'subsets').forEach((ss, i) => {
    const p = FieldPath.of('subsets').index(i);
    const addresses = list(ss, 'addresses');
    const notReady = list(ss, 'notReadyAddresses');
    if (addresses.length === 0 && notReady.length === 0) errs.push(FieldError.required(p.toString(), 'must specify `addresses` or `notReadyAddresses`'));
    addresses.forEach((a, j) => errs.push(...validateAddress(a, p.child('addresses').index(j))));
    notReady.forEach((a, j) => errs.push(...validateAddress(a, p.child('notReadyAddresses').index(j))));
    const ports = list(ss, 'ports');
    ports.forEach((port, j) => {
      const pp = p.child('ports').index(j);
      if (ports.length > 1 && !port.name) errs.push(FieldError.required(pp.child('name').toString()));
      else if (port.name) errs.push(...validateDNS1123Label(String(port.name), pp.child('name')));
      for (const m of isValidPortNum(port.port)) errs.push(FieldError.invalid(pp.child('port').toString(), port.port ?? 0, m));
      if (!port.protocol) errs.push(FieldError.required(pp.child('protocol').toString()));
      else if (!PROTOCOLS.includes(port.protocol)) errs.push(FieldError.notSupported(pp.child('protocol').toString(), port.protocol, PROTOCOLS));
      if (typeof port.appProtocol === 'string') errs.push(...validateQualifiedName(port.appProtocol, pp.child('appProtocol')));
    });
  });
  return errs;
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Kubernetes' formatEndpoints: up to three `ip:port` (or bare IPs for portless subsets), then `+ N more...`. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const items: string[] = [];
  let count = 0;
  let more = false;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (items.length === max) {
          more = true;
          break;
        }
        items.push(a.ip);
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (items.length === max) {
          more = true;
          break;
        }
        items.push(hostPort(a.ip, port.port));
      }
    }
  }
  const text = items.join(',');
  return more ? `${text} + ${count - max} more...` : text;
}

export const endpointsStrategy: ResourceStrategy = {
  defaults: (object) => eachObj((object as Obj).subsets, (ss) => eachObj(ss.ports, (p) => defaultString(p, 'protocol', 'TCP'))),
  validate,
  table: {
    columns: [column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), AGE_COLUMN],
    cells: (object, now) => {
      const ep = view<Endpoints>(object);
      return [formatEndpoints(ep), age(ep.metadata?.creationTimestamp, now)];
    },
  },
};

export const endpoints: ResourceDefinition = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  strategy: endpointsStrategy,
};
