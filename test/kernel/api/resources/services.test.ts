/**
 * Service allocation: ClusterIPs, NodePorts and health-check ports are taken
 * on create, honoured when requested, given back on failure, type changes
 * and deletion — with Kubernetes' errors when they cannot be had.
 */
import { ApiError } from '../../../../kernel/api/errors';
import type { KubeObject, StoredObject } from '../../../../kernel/api/types';
import { apiErrorOf, context, create, edit, meta, resource, tryCreate, update } from './harness';

const def = resource('Service');
type Spec = Record<string, any>;
const specOf = (o: KubeObject) => o.spec as Spec;
const service = (spec: Record<string, unknown>, name = 'web'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: meta(name), spec });

describe('ClusterIP allocation', () => {
  test('a requested cluster IP is allocated specifically', () => {
    const ctx = context();
    const svc = create(def, service({ clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP' }] }), ctx);
    expect(specOf(svc).clusterIPs).toEqual(['10.96.0.10']);
    expect(ctx.allocators.serviceIPs.has('10.96.0.10')).toBe(true);
  });

  test('a taken address is refused at spec.clusterIPs', () => {
    const ctx = context();
    create(def, service({ clusterIP: '10.96.0.10', ports: [{ port: 53 }] }, 'dns'), ctx);
    const err = apiErrorOf(() => create(def, service({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] }), ctx));
    expect(err.code).toBe(422);
    expect(err.message).toBe('Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated');
  });

  test('an address outside the range is refused', () => {
    const err = apiErrorOf(() => create(def, service({ clusterIP: '10.0.0.1', ports: [{ port: 80 }] }), context()));
    expect(err.message).toBe(
      'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
  });

  test('an IPv6 family on an IPv4 cluster, or required dual-stack, is refused', () => {
    expect(apiErrorOf(() => create(def, service({ ipFamilies: ['IPv6'], ports: [{ port: 80 }] }), context())).message).toBe('Service "web" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster');
    expect(apiErrorOf(() => create(def, service({ ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80 }] }), context())).message).toBe(
      'Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    );
  });

  test('PreferDualStack stays single-stack on a single-stack cluster', () => {
    const svc = create(def, service({ ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80 }] }), context());
    expect([specOf(svc).ipFamilyPolicy, specOf(svc).ipFamilies]).toEqual(['PreferDualStack', ['IPv4']]);
  });

  test('headless services allocate nothing', () => {
    const ctx = context();
    const svc = create(def, service({ clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] }), ctx);
    expect([specOf(svc).clusterIPs, specOf(svc).ipFamilies, specOf(svc).ipFamilyPolicy]).toEqual([['None'], ['IPv4'], 'SingleStack']);
    expect(ctx.allocators.serviceIPs.allocateNext()).toBe('10.96.0.2');
  });

  test('an exhausted range is an internal error', () => {
    const ctx = context({ serviceRange: '10.0.0.0/30' });
    create(def, service({ ports: [{ port: 80 }] }, 'a'), ctx);
    const err = apiErrorOf(() => create(def, service({ ports: [{ port: 80 }] }, 'b'), ctx));
    expect([err.code, err.message]).toEqual([500, 'Internal error occurred: failed to allocate a serviceIP: range is full']);
  });
});

describe('NodePort allocation', () => {
  test('NodePort services get a port per service port; requested ports are honoured', () => {
    const ctx = context();
    const svc = create(def, service({ type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443, nodePort: 30443 }] }), ctx);
    expect(specOf(svc).ports.map((p: Spec) => p.nodePort)).toEqual([30000, 30443]);
    expect(ctx.allocators.nodePorts.has(30443)).toBe(true);
  });

  test('TCP and UDP on the same port share one NodePort', () => {
    const svc = create(def, service({ type: 'NodePort', ports: [{ name: 'dns-tcp', port: 53 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }] }), context());
    expect(specOf(svc).ports.map((p: Spec) => p.nodePort)).toEqual([30000, 30000]);
  });

  test('a taken port is refused at spec.ports[i].nodePort', () => {
    const ctx = context();
    create(def, service({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }, 'a'), ctx);
    const err = apiErrorOf(() => create(def, service({ type: 'NodePort', ports: [{ name: 'x', port: 81 }, { name: 'y', port: 80, nodePort: 30080 }] }, 'b'), ctx));
    expect(err.message).toBe('Service "b" is invalid: spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated');
    // What the failed create had taken (30000 for port 81, 10.96.0.3) was given back.
    expect(ctx.allocators.nodePorts.has(30000)).toBe(false);
    expect(ctx.allocators.nodePorts.has(30080)).toBe(true);
    expect(ctx.allocators.serviceIPs.has('10.96.0.3')).toBe(false);
  });

  test('a port outside the range is refused', () => {
    const err = apiErrorOf(() => create(def, service({ type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] }), context()));
    expect(err.message).toBe('Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  test('LoadBalancer without node ports allocates none, unless asked for one', () => {
    const svc = create(def, service({ type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 30081 }] }), context());
    expect(specOf(svc).ports.map((p: Spec) => p.nodePort)).toEqual([undefined, 30081]);
  });

  test('LoadBalancer with externalTrafficPolicy Local gets a health-check port', () => {
    const ctx = context();
    const svc = create(def, service({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }), ctx);
    expect(specOf(svc).healthCheckNodePort).toBe(30001);
    resource('Service').strategy!.afterDelete!(svc, ctx);
    expect([ctx.allocators.nodePorts.has(30000), ctx.allocators.nodePorts.has(30001), ctx.allocators.serviceIPs.has(specOf(svc).clusterIP)]).toEqual([false, false, false]);
  });

  test('an exhausted port range is an internal error', () => {
    const ctx = context({ nodePortRange: '30000-30000' });
    create(def, service({ type: 'NodePort', ports: [{ port: 80 }] }, 'a'), ctx);
    const err = apiErrorOf(() => create(def, service({ type: 'NodePort', ports: [{ port: 80 }] }, 'b'), ctx));
    expect([err.code, err.message]).toEqual([500, 'Internal error occurred: failed to allocate a nodePort: range is full']);
  });
});

describe('rollback, deletion and type changes', () => {
  test('the rollback gives back what the create took', () => {
    const ctx = context();
    const { object, rollback } = tryCreate(def, service({ type: 'NodePort', ports: [{ port: 80 }] }), ctx);
    expect(ctx.allocators.nodePorts.has(specOf(object).ports[0].nodePort)).toBe(true);
    rollback!();
    expect(ctx.allocators.nodePorts.has(specOf(object).ports[0].nodePort)).toBe(false);
    expect(ctx.allocators.serviceIPs.has(specOf(object).clusterIP)).toBe(false);
  });

  test('deletion releases the cluster IP and node ports', () => {
    const ctx = context();
    const svc = create(def, service({ type: 'NodePort', ports: [{ port: 80 }] }), ctx);
    def.strategy!.afterDelete!(svc, ctx);
    expect(ctx.allocators.serviceIPs.has(specOf(svc).clusterIP)).toBe(false);
    expect(ctx.allocators.nodePorts.has(specOf(svc).ports[0].nodePort)).toBe(false);
  });

  test('NodePort → ClusterIP releases the node ports (kubectl edit keeps them in the body)', () => {
    const ctx = context();
    const old = create(def, service({ type: 'NodePort', ports: [{ port: 80 }] }), ctx);
    const port = specOf(old).ports[0].nodePort;
    const next = update(def, old, edit(old, (s) => (specOf(s).type = 'ClusterIP')), ctx);
    expect(specOf(next).ports[0].nodePort).toBeUndefined();
    expect(specOf(next).externalTrafficPolicy).toBeUndefined();
    expect(ctx.allocators.nodePorts.has(port)).toBe(false);
    expect(specOf(next).clusterIP).toBe(specOf(old).clusterIP);
  });

  test('ClusterIP → NodePort allocates node ports', () => {
    const ctx = context();
    const old = create(def, service({ ports: [{ port: 80 }] }), ctx);
    const next = update(def, old, edit(old, (s) => (specOf(s).type = 'NodePort')), ctx);
    expect(specOf(next).ports[0].nodePort).toBe(30000);
    expect(specOf(next).externalTrafficPolicy).toBe('Cluster');
  });

  test('ClusterIP → ExternalName releases the cluster IP; and back allocates a new one', () => {
    const ctx = context();
    const old = create(def, service({ ports: [{ port: 80 }] }), ctx);
    const ip = specOf(old).clusterIP;
    const external = update(def, old, edit(old, (s) => Object.assign(specOf(s), { type: 'ExternalName', externalName: 'example.com' })), ctx) as StoredObject;
    expect([specOf(external).clusterIP, specOf(external).clusterIPs, specOf(external).ipFamilies, specOf(external).ipFamilyPolicy]).toEqual([undefined, undefined, undefined, undefined]);
    expect(ctx.allocators.serviceIPs.has(ip)).toBe(false);
    const back = update(def, external, edit(external, (s) => Object.assign(specOf(s), { type: 'ClusterIP', externalName: undefined })), ctx);
    expect(ctx.allocators.serviceIPs.has(specOf(back).clusterIP)).toBe(true);
    expect(specOf(back).ipFamilies).toEqual(['IPv4']);
  });

  test('a status update allocates nothing', () => {
    const ctx = context();
    const old = create(def, service({ type: 'LoadBalancer', ports: [{ port: 80 }] }), ctx);
    const withStatus = edit(old, (s) => (s.status = { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } }));
    const undo = def.strategy!.allocate!(withStatus, old, ctx);
    expect(ctx.allocators.nodePorts.free).toBe(2768 - 1);
    undo?.();
    expect(ctx.allocators.nodePorts.has(specOf(old).ports[0].nodePort)).toBe(true);
  });

  test('errors are ApiErrors the server can return as they are', () => {
    const err = apiErrorOf(() => create(def, service({ type: 'NodePort', ports: [{ port: 80, nodePort: 1 }] }), context()));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.toStatus().details?.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.ports[0].nodePort', message: 'Invalid value: 1: provided port is not in the valid range. The range of valid ports is 30000-32767' },
    ]);
  });
});
