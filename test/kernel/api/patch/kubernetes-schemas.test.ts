/**
 * The patch modules against the Kubernetes schemas skiff serves
 * (kernel/api/openapi/generated/definitions.json), for the requests
 * kubectl actually sends.
 */
import { builtinSchemaRegistry } from '../../../../kernel/api/openapi/builtin';
import type { KubeObject } from '../../../../kernel/api/types';
import { ApiError } from '../../../../kernel/api/errors';
import { applyPatch } from '../../../../kernel/api/patch/apply';
import { updateManagedFields } from '../../../../kernel/api/patch/managed-fields';
import type { PatchSchema } from '../../../../kernel/api/patch/schema-cursor';
import { strategicMergePatch } from '../../../../kernel/api/patch/strategic-merge';

type Obj = Record<string, any>;

const registry = builtinSchemaRegistry();
const schemaOf = (group: string, version: string, kind: string): PatchSchema => {
  const schema = registry.forKind(group, version, kind);
  if (!schema) throw new Error(`no schema for ${group}/${version} ${kind}`);
  return { schemas: registry, schema };
};
const deploymentSchema = schemaOf('apps', 'v1', 'Deployment');
const podSchema = schemaOf('', 'v1', 'Pod');
const T0 = new Date('2025-01-01T00:00:00Z');

const nginx = (containers: Obj[], extra: Obj = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'nginx', namespace: 'default', labels: { app: 'nginx' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'nginx' } },
    ...extra,
    template: { metadata: { labels: { app: 'nginx' } }, spec: { containers } },
  },
});

describe('with the generated Kubernetes schemas', () => {
  describe('strategic merge patch', () => {
    it("applies kubectl's three-way patch for a container removed from the pod template", () => {
      const a = { name: 'a', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {}, terminationMessagePath: '/dev/termination-log' };
      const live = nginx([a, { name: 'b', image: 'busybox' }]);
      const patch = JSON.parse('{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"$patch":"delete","name":"b"}]}}}}');
      const result = strategicMergePatch(live, patch, deploymentSchema) as Obj;
      expect(result.spec.template.spec.containers).toEqual([a]);
    });

    it('switches the deployment strategy with $retainKeys', () => {
      const live = nginx([{ name: 'a' }], { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
      const patch = { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } };
      expect((strategicMergePatch(live, patch, deploymentSchema) as Obj).spec.strategy).toEqual({ type: 'Recreate' });
    });

    it('merges env by name, volumes by name with $retainKeys, and replaces args', () => {
      const live: KubeObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: {
          containers: [{ name: 'c', args: ['a', 'b'], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }],
          volumes: [{ name: 'v', emptyDir: {} }],
        },
      };
      const patch = {
        spec: {
          containers: [{ name: 'c', args: ['z'], env: [{ name: 'B', value: '3' }] }],
          volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }],
        },
      };
      const spec = (strategicMergePatch(live, patch, podSchema) as Obj).spec;
      expect(spec.containers[0]).toEqual({ name: 'c', args: ['z'], env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }] });
      expect(spec.volumes).toEqual([{ name: 'v', configMap: { name: 'cm' } }]);
    });

    it('merges finalizers and ownerReferences by their keys', () => {
      const live: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['a'], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: '1' }] } };
      const patch = { metadata: { finalizers: ['b'], ownerReferences: [{ apiVersion: 'v1', kind: 'Y', name: 'y', uid: '2' }] } };
      const meta = (strategicMergePatch(live, patch, podSchema) as Obj).metadata;
      expect(meta.finalizers).toEqual(['b', 'a']);
      expect(meta.ownerReferences.map((o: Obj) => o.uid)).toEqual(['2', '1']);
    });
  });

  describe('server-side apply', () => {
    const apply = (live: KubeObject | undefined, applied: KubeObject, manager: string, force = false) =>
      applyPatch({ live, applied, manager, force, group: 'apps', version: 'v1', kind: 'Deployment', now: T0, ...deploymentSchema });

    it('creates, re-applies without change, and conflicts with kubectl client-side apply', () => {
      const created = apply(undefined, nginx([{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }]), 'kubectl');
      expect(JSON.stringify(created.metadata?.managedFields?.[0].fieldsV1)).toMatch(
        /^\{"f:metadata":\{"f:labels":\{"f:app":\{\}\}\},"f:spec":\{"f:replicas":\{\},"f:selector":\{.*"f:template":\{"f:metadata":\{"f:labels":\{"f:app":\{\}\}\},"f:spec":\{"f:containers":\{"k:\{\\"name\\":\\"nginx\\"\}":\{"\.":\{\},"f:image":\{\},"f:name":\{\},"f:ports":\{"k:\{\\"containerPort\\":80/,
      );
      expect(apply(created, nginx([{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }]), 'kubectl')).toEqual(created);

      const scaled = structuredClone(created) as Obj;
      scaled.spec.replicas = 5;
      const live = updateManagedFields({ old: created, new: scaled, manager: 'kubectl-scale', now: T0, ...deploymentSchema });
      let err: unknown;
      try {
        apply(live, nginx([{ name: 'nginx', image: 'nginx:1.27' }]), 'kubectl');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).message).toBe('Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
      const forced = apply(live, nginx([{ name: 'nginx', image: 'nginx:1.27' }]), 'kubectl', true) as Obj;
      expect(forced.spec.replicas).toBe(2);
      expect(forced.spec.template.spec.containers[0]).not.toHaveProperty('ports');
      expect(forced.metadata.managedFields.map((e: Obj) => e.manager)).toEqual(['kubectl']);
    });

    const applyError = (fn: () => unknown): ApiError => {
      try {
        fn();
      } catch (e) {
        if (e instanceof ApiError) return e;
        throw e;
      }
      throw new Error('expected an ApiError');
    };
    const fieldsOf = (o: KubeObject, manager: string): Obj => (o.metadata?.managedFields ?? []).find((e) => e.manager === manager)?.fieldsV1 as Obj;

    it('accepts the same container port on TCP and UDP, each owned by (containerPort, protocol)', () => {
      const dns = [{ name: 'dns', image: 'coredns', ports: [{ containerPort: 53, name: 'dns' }, { containerPort: 53, protocol: 'UDP', name: 'dns-udp' }] }];
      const created = apply(undefined, nginx(dns), 'kubectl') as Obj;
      expect(created.spec.template.spec.containers[0].ports).toEqual(dns[0].ports);
      // The port without a protocol is keyed by its default, TCP, as Kubernetes does.
      expect(fieldsOf(created, 'kubectl')['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"dns"}']['f:ports']).toEqual({
        'k:{"containerPort":53,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {} },
        'k:{"containerPort":53,"protocol":"UDP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {}, 'f:protocol': {} },
      });

      // Another applier owning only the UDP port renames it: a conflict on that item alone.
      const err = applyError(() => apply(created, nginx([{ name: 'dns', ports: [{ containerPort: 53, protocol: 'UDP', name: 'udp' }] }]), 'other'));
      expect(err.code).toBe(409);
      expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .spec.template.spec.containers[name="dns"].ports[containerPort=53,protocol="UDP"].name');
    });

    it('keys Service ports by (port, protocol)', () => {
      const service = (ports: Obj[]): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'dns', namespace: 'default' }, spec: { selector: { app: 'dns' }, ports } });
      const ports = [{ name: 'dns', port: 53 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }];
      const created = applyPatch({ live: undefined, applied: service(ports), manager: 'kubectl', force: false, group: '', version: 'v1', kind: 'Service', now: T0, ...schemaOf('', 'v1', 'Service') }) as Obj;
      expect(created.spec.ports).toEqual(ports);
      expect(Object.keys(fieldsOf(created, 'kubectl')['f:spec']['f:ports'])).toEqual(['k:{"port":53,"protocol":"TCP"}', 'k:{"port":53,"protocol":"UDP"}']);
      // selector is +mapType=atomic: owned as a whole.
      expect(fieldsOf(created, 'kubectl')['f:spec']['f:selector']).toEqual({});
    });

    it('replaces the selector atomically: owned as a whole, no per-key entries', () => {
      const withSelector = (labels: Obj): KubeObject => {
        const d = nginx([{ name: 'nginx', image: 'nginx:1.27' }]) as Obj;
        d.spec.selector = { matchLabels: labels };
        return d as KubeObject;
      };
      const first = apply(undefined, withSelector({ app: 'nginx', tier: 'web' }), 'kubectl') as Obj;
      expect(fieldsOf(first, 'kubectl')['f:spec']['f:selector']).toEqual({});
      const second = apply(first, withSelector({ app: 'nginx2' }), 'kubectl') as Obj;
      // A granular merge would have kept tier: web; atomic replaces the whole selector.
      expect(second.spec.selector).toEqual({ matchLabels: { app: 'nginx2' } });
      expect(fieldsOf(second, 'kubectl')['f:spec']['f:selector']).toEqual({});

      // Another applier's different selector conflicts on .spec.selector itself.
      const err = applyError(() => apply(second, withSelector({ app: 'other' }), 'team-b'));
      expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .spec.selector');
    });

    it('records a created Deployment the way Kubernetes does: no "." for struct fields Go always writes', () => {
      const created = updateManagedFields({ old: undefined, new: nginx([{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }]), manager: 'kubectl-create', now: T0, ...deploymentSchema });
      const entry = created.metadata?.managedFields?.[0];
      expect(entry).toMatchObject({ manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1' });
      // metadata, spec, template, template.metadata and template.spec are non-pointer structs
      // (default: {}), never absent, so they get no "." of their own; maps and list items do.
      // selector is atomic (LabelSelector is +structType=atomic); resources: {} is written for
      // the new container because Go always writes it.
      expect(entry?.fieldsV1).toEqual({
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"nginx"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } },
                  'f:resources': {},
                },
              },
            },
          },
        },
      });
    });

    it('shares containers between two appliers and keeps each one\'s on removal', () => {
      const first = apply(undefined, nginx([{ name: 'app', image: 'app:1' }]), 'team-a');
      const both = apply(first, nginx([{ name: 'sidecar', image: 'proxy:1' }]), 'team-b') as Obj;
      expect(both.spec.template.spec.containers.map((c: Obj) => c.name)).toEqual(['app', 'sidecar']);
      const after = apply(both, nginx([]), 'team-b') as Obj;
      expect(after.spec.template.spec.containers.map((c: Obj) => c.name)).toEqual(['app']);
    });
  });
});
