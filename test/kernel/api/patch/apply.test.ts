import { ApiError } from '../../../../kernel/api/errors';
import type { KubeObject, ManagedFieldsEntry } from '../../../../kernel/api/types';
import { applyPatch, ApplyRequest } from '../../../../kernel/api/patch/apply';
import { fieldPath, pe, FieldPath } from '../../../../kernel/api/patch/field-set';
import { decodeManagedFields, updateManagedFields } from '../../../../kernel/api/patch/managed-fields';
import { configMapSchema, deployment, deploymentSchema, widgetSchema } from './fixtures';
import { apiErrorOf as applyError } from '../../../support/errors';

type Obj = Record<string, any>;

const T0 = new Date('2024-05-01T10:00:00Z');
const T1 = new Date('2024-05-01T11:00:00Z');

function apply(live: KubeObject | undefined, applied: object, manager: string, extra: Partial<ApplyRequest> = {}): KubeObject {
  return applyPatch({ live, applied, manager, group: 'apps', version: 'v1', kind: 'Deployment', now: T0, ...deploymentSchema, ...extra });
}

function entries(object: KubeObject): ManagedFieldsEntry[] {
  return object.metadata?.managedFields ?? [];
}

function entry(object: KubeObject, manager: string, operation = 'Apply'): ManagedFieldsEntry | undefined {
  return entries(object).find((e) => e.manager === manager && e.operation === operation);
}

function owns(object: KubeObject, manager: string, path: FieldPath, operation = 'Apply'): boolean {
  const e = entry(object, manager, operation);
  return !!e && [...decodeManagedFields([e]).values()][0].set.has(path);
}


const containers = fieldPath('spec', 'template', 'spec', 'containers');
const container = (name: string) => [...containers, pe.key([['name', name]])];
const REPLICAS = fieldPath('spec', 'replicas');
const spec = (o: KubeObject) => o.spec as Obj;
const podSpec = (o: KubeObject) => spec(o).template.spec as Obj;

const web = (extra: Obj = {}) => deployment([{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }], ...extra }], { spec: { replicas: 2 } });

describe('applyPatch', () => {
  describe('creating', () => {
    it('creates the object from the configuration and records the applier', () => {
      const result = apply(undefined, web(), 'deployer');
      const { metadata, ...rest } = result;
      const { metadata: appliedMeta, ...appliedRest } = web();
      expect(rest).toEqual(appliedRest);
      expect({ ...metadata, managedFields: undefined }).toEqual({ ...(appliedMeta as Obj), managedFields: undefined });
      expect(entries(result)).toEqual([
        {
          manager: 'deployer',
          operation: 'Apply',
          apiVersion: 'apps/v1',
          time: '2024-05-01T10:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: JSON.parse(
            '{"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}',
          ),
        },
      ]);
      // FieldsV1 key order is Kubernetes'.
      expect(JSON.stringify(entries(result)[0].fieldsV1)).toMatch(/^\{"f:spec":\{"f:replicas":\{\},"f:selector":\{\},"f:template"/);
    });

    it('owns labels and annotations but not name, namespace, apiVersion or kind', () => {
      const result = apply(undefined, deployment([], { metadata: { labels: { a: '1' }, annotations: { n: 'x' } } }), 'm');
      expect(owns(result, 'm', fieldPath('metadata', 'labels', 'a'))).toBe(true);
      expect(owns(result, 'm', fieldPath('metadata', 'annotations', 'n'))).toBe(true);
      for (const p of [fieldPath('metadata', 'name'), fieldPath('metadata', 'namespace'), fieldPath('apiVersion'), fieldPath('kind')]) {
        expect(owns(result, 'm', p)).toBe(false);
      }
    });
  });

  describe('re-applying', () => {
    it('changes nothing, not even the timestamp, when the configuration is unchanged', () => {
      const live = apply(undefined, web(), 'deployer');
      const again = apply(live, web(), 'deployer', { now: T1 });
      expect(again).toEqual(live);
    });

    it('updates the value and the timestamp when the configuration changes', () => {
      const live = apply(undefined, web(), 'deployer');
      const result = apply(live, web({ image: 'nginx:2' }), 'deployer', { now: T1 });
      expect(podSpec(result).containers[0].image).toBe('nginx:2');
      expect(entry(result, 'deployer')?.time).toBe('2024-05-01T11:00:00Z');
    });

    it('keeps fields the server defaulted and changes nothing', () => {
      const live = apply(undefined, web(), 'deployer') as Obj;
      live.spec.progressDeadlineSeconds = 600;
      live.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      live.spec.template.spec.restartPolicy = 'Always';
      live.spec.template.spec.containers[0].ports[0].protocol = 'TCP';
      const result = apply(live as KubeObject, web(), 'deployer', { now: T1 });
      expect(result).toEqual(live);
    });
  });

  describe('removing fields the applier no longer applies', () => {
    it.each<[string, Obj, (o: KubeObject) => void]>([
      ['a scalar', deployment([{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] }]), (o) => expect(spec(o)).not.toHaveProperty('replicas')],
      ['a list item', { ...web(), spec: { ...web().spec, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } } }, (o) => expect(podSpec(o).containers[0]).not.toHaveProperty('ports')],
      ['a label', { ...web(), spec: { ...web().spec, template: { spec: web().spec.template.spec } } }, (o) => expect(spec(o).template).not.toHaveProperty('metadata')],
    ])('removes %s', (_name, next, check) => {
      const live = apply(undefined, web(), 'deployer');
      const result = apply(live, next, 'deployer');
      check(result);
    });

    it('keeps identity and system metadata when a configuration leaves metadata out', () => {
      const live = apply(undefined, deployment([], { metadata: { labels: { a: '1' } } }), 'deployer') as Obj;
      live.metadata.uid = 'u-1';
      live.metadata.resourceVersion = '7';
      const withoutMetadata = deployment([]);
      delete withoutMetadata.metadata;
      const result = apply(live as KubeObject, withoutMetadata, 'deployer');
      expect(result.metadata).toEqual({ name: 'web', namespace: 'default', uid: 'u-1', resourceVersion: '7', managedFields: expect.any(Array) });
    });

    it('removes a container and keeps the other unchanged', () => {
      const two = deployment([{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }]);
      const live = apply(undefined, two, 'deployer');
      const result = apply(live, deployment([{ name: 'a', image: 'a:1' }]), 'deployer');
      expect(podSpec(result).containers).toEqual([{ name: 'a', image: 'a:1' }]);
      expect(owns(result, 'deployer', container('b'))).toBe(false);
    });

    it('keeps a removed field another applier also applies', () => {
      const live = apply(apply(undefined, web(), 'a'), { ...web(), spec: { ...web().spec } }, 'b');
      expect(owns(live, 'a', REPLICAS) && owns(live, 'b', REPLICAS)).toBe(true);
      const withoutReplicas = deployment([{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] }]);
      const result = apply(live, withoutReplicas, 'a');
      expect(spec(result).replicas).toBe(2);
      expect(owns(result, 'a', REPLICAS)).toBe(false);
      expect(owns(result, 'b', REPLICAS)).toBe(true);
    });

    it('keeps a removed field an updater owns', () => {
      const live = apply(undefined, web(), 'deployer') as Obj;
      const edited = structuredClone(live);
      edited.spec.replicas = 5;
      const afterEdit = updateManagedFields({ old: live as KubeObject, new: edited, manager: 'kubectl-edit', now: T1, ...deploymentSchema });
      const result = apply(afterEdit, deployment([{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] }]), 'deployer');
      expect(spec(result).replicas).toBe(5);
    });

    it('keeps fields nobody owns (defaults) next to a removed one', () => {
      const live = apply(undefined, deployment([], { spec: { replicas: 1, minReadySeconds: 5 } }), 'deployer') as Obj;
      live.spec.progressDeadlineSeconds = 600; // defaulted by the server, owned by no one
      const result = apply(live as KubeObject, deployment([], { spec: { replicas: 1 } }), 'deployer');
      expect(spec(result)).not.toHaveProperty('minReadySeconds');
      expect(spec(result).progressDeadlineSeconds).toBe(600);
    });

    // structured-merge-diff counts a struct as applied when fields below it were: dropping the
    // struct from the configuration removes it whole, unowned defaults inside included.
    it('removes a struct the applier no longer applies, with its unowned fields', () => {
      const live = apply(undefined, deployment([], { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }), 'deployer') as Obj;
      live.spec.strategy.rollingUpdate.maxUnavailable = '25%';
      const result = apply(live as KubeObject, deployment([], { spec: { strategy: { type: 'RollingUpdate' } } }), 'deployer');
      expect(spec(result).strategy).toEqual({ type: 'RollingUpdate' });
    });

    it('keeps unowned fields of a struct the applier still applies', () => {
      const live = apply(undefined, deployment([], { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }), 'deployer') as Obj;
      live.spec.strategy.rollingUpdate.maxUnavailable = '25%';
      const result = apply(live as KubeObject, deployment([], { spec: { strategy: { rollingUpdate: { maxSurge: 2 } } } }), 'deployer');
      expect(spec(result).strategy).toEqual({ rollingUpdate: { maxSurge: 2, maxUnavailable: '25%' } });
    });
  });

  describe('conflicts', () => {
    it('shares a field two appliers set to the same value', () => {
      const live = apply(apply(undefined, web(), 'a'), web(), 'b');
      expect(owns(live, 'a', REPLICAS)).toBe(true);
      expect(owns(live, 'b', REPLICAS)).toBe(true);
    });

    it('refuses to change a field another applier owns, with Kubernetes\' message and cause', () => {
      const live = apply(undefined, web(), 'a');
      const err = applyError(() => apply(live, { ...web(), spec: { ...web().spec, replicas: 3 } }, 'b'));
      expect(err.code).toBe(409);
      expect(err.reason).toBe('Conflict');
      expect(err.message).toBe('Apply failed with 1 conflict: conflict with "a": .spec.replicas');
      expect(err.toStatus().details).toEqual({ causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.replicas' }] });
    });

    it('names an updater with its apiVersion', () => {
      const created = updateManagedFields({ old: undefined, new: web() as KubeObject, manager: 'kubectl-client-side-apply', now: T0, ...deploymentSchema });
      const err = applyError(() => apply(created, { ...web(), spec: { ...web().spec, replicas: 3 } }, 'test'));
      expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    });

    it('lists several conflicts grouped by manager as Kubernetes does', () => {
      let live = apply(undefined, web(), 'a');
      const edited = structuredClone(live) as Obj;
      edited.spec.minReadySeconds = 5;
      live = updateManagedFields({ old: live, new: edited, manager: 'kubectl-client-side-apply', now: T1, ...deploymentSchema });
      const err = applyError(() => apply(live, deployment([{ name: 'web', image: 'nginx:9', ports: [{ containerPort: 80 }] }], { spec: { replicas: 7, minReadySeconds: 9 } }), 'b'));
      expect(err.message).toBe(
        'Apply failed with 3 conflicts: conflicts with "a":\n' +
          '- .spec.replicas\n' +
          '- .spec.template.spec.containers[name="web"].image\n' +
          'conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
          '- .spec.minReadySeconds',
      );
      expect(err.toStatus().details?.causes?.map((c) => c.field)).toEqual(['.spec.replicas', '.spec.template.spec.containers[name="web"].image', '.spec.minReadySeconds']);
    });

    describe('kubectl moving from client-side to server-side apply', () => {
      const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
      // What `kubectl apply` (client-side) leaves behind: the annotation and an Update entry.
      const clientSideApplied = (config: Obj) => {
        const annotated = structuredClone(config);
        annotated.metadata.annotations = { [LAST_APPLIED]: JSON.stringify(config) + '\n' };
        return updateManagedFields({ old: undefined, new: annotated as KubeObject, manager: 'kubectl-client-side-apply', now: T0, ...deploymentSchema });
      };

      it('takes over the fields the last-applied configuration still describes', () => {
        const live = clientSideApplied(web());
        const result = apply(live, web({ image: 'nginx:2' }), 'kubectl');
        expect(podSpec(result).containers[0].image).toBe('nginx:2');
        expect(owns(result, 'kubectl', [...container('web'), pe.field('image')])).toBe(true);
        expect(owns(result, 'kubectl-client-side-apply', [...container('web'), pe.field('image')], 'Update')).toBe(false);
        expect(JSON.parse(result.metadata!.annotations![LAST_APPLIED])).toEqual(web({ image: 'nginx:2' }));
      });

      it('still conflicts on fields others changed since, listing only those', () => {
        const created = clientSideApplied(web()) as Obj;
        const scaled = structuredClone(created);
        scaled.spec.replicas = 5;
        const live = updateManagedFields({ old: created as KubeObject, new: scaled, manager: 'kubectl-scale', now: T1, ...deploymentSchema });
        const err = applyError(() => apply(live, { ...web({ image: 'nginx:2' }), spec: { ...web({ image: 'nginx:2' }).spec, replicas: 3 } }, 'kubectl'));
        expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
      });

      it('is for manager kubectl only', () => {
        const err = applyError(() => apply(clientSideApplied(web()), web({ image: 'nginx:2' }), 'helm'));
        expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.template.spec.containers[name="web"].image');
      });
    });

    it('takes ownership with force', () => {
      const live = apply(undefined, web(), 'a');
      const result = apply(live, { ...web(), spec: { ...web().spec, replicas: 3 } }, 'b', { force: true });
      expect(spec(result).replicas).toBe(3);
      expect(owns(result, 'b', REPLICAS)).toBe(true);
      expect(owns(result, 'a', REPLICAS)).toBe(false);
      expect(owns(result, 'a', [...container('web'), pe.field('image')])).toBe(true);
    });

    it('does not conflict on a field it only removes', () => {
      const live = apply(undefined, web(), 'a');
      const result = apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { paused: true } }, 'b');
      expect(spec(result).replicas).toBe(2);
      expect(spec(result).paused).toBe(true);
    });

    it('lets a status applier own status without touching spec owners', () => {
      const live = apply(undefined, web(), 'a');
      const result = apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, status: { replicas: 2 }, spec: { replicas: 9 } }, 'controller', {
        subresource: 'status',
      });
      expect(entry(result, 'controller')).toMatchObject({ subresource: 'status', fieldsV1: { 'f:status': { 'f:replicas': {} } } });
      expect(owns(result, 'a', REPLICAS)).toBe(true);
    });
  });

  describe('list semantics', () => {
    it('merges containers by name between appliers', () => {
      const live = apply(undefined, deployment([{ name: 'a', image: 'a' }]), 'first');
      const result = apply(live, deployment([{ name: 'sidecar', image: 's' }]), 'second');
      expect(podSpec(result).containers.map((c: Obj) => c.name)).toEqual(['a', 'sidecar']);
      expect(owns(result, 'second', container('sidecar'))).toBe(true);
      expect(owns(result, 'second', container('a'))).toBe(false);
    });

    it('keys ports by containerPort and protocol, with the protocol default', () => {
      const ports = [{ containerPort: 53 }, { containerPort: 53, protocol: 'UDP' }];
      const result = apply(undefined, deployment([{ name: 'dns', ports }]), 'm');
      const portsPath = [...container('dns'), pe.field('ports')];
      expect(owns(result, 'm', [...portsPath, pe.key([['containerPort', 53], ['protocol', 'TCP']])])).toBe(true);
      expect(owns(result, 'm', [...portsPath, pe.key([['containerPort', 53], ['protocol', 'UDP']])])).toBe(true);
    });

    it('rejects duplicate keys in the configuration with 400', () => {
      const err = applyError(() => apply(undefined, deployment([{ name: 'a' }, { name: 'a', image: 'x' }]), 'm'));
      expect(err.code).toBe(400);
      expect(err.message).toBe('failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]');
    });

    it('rejects an item without its key with 400', () => {
      const err = applyError(() => apply(undefined, deployment([{ image: 'x' }]), 'm'));
      expect(err.code).toBe(400);
      expect(err.message).toBe(
        'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
      );
    });

    it('merges finalizers as a set, each value owned by its applier', () => {
      const live = apply(undefined, deployment([], { metadata: { finalizers: ['example.com/a'] } }), 'a');
      const both = apply(live, deployment([], { metadata: { finalizers: ['example.com/b'] } }), 'b');
      expect(both.metadata?.finalizers).toEqual(['example.com/a', 'example.com/b']);
      expect(owns(both, 'b', [...fieldPath('metadata', 'finalizers'), pe.value('example.com/b')])).toBe(true);
      expect(JSON.stringify(entry(both, 'b')?.fieldsV1)).toBe('{"f:metadata":{"f:finalizers":{"v:\\"example.com/b\\"":{}}},"f:spec":{"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}}}}}');
      const result = apply(both, deployment([]), 'a');
      expect(result.metadata?.finalizers).toEqual(['example.com/b']);
    });

    it('replaces atomic lists whole and conflicts on them as one field', () => {
      const live = apply(undefined, deployment([{ name: 'a', command: ['sh', '-c', 'sleep 1'] }]), 'first');
      expect(owns(live, 'first', [...container('a'), pe.field('command')])).toBe(true);
      const err = applyError(() => apply(live, deployment([{ name: 'a', command: ['true'] }]), 'second'));
      expect(err.message).toBe('Apply failed with 1 conflict: conflict with "first": .spec.template.spec.containers[name="a"].command');
      const forced = apply(live, deployment([{ name: 'a', command: ['true'] }]), 'second', { force: true });
      expect(podSpec(forced).containers[0].command).toEqual(['true']);
    });

    it('owns an atomic map (the label selector) as a whole', () => {
      const live = apply(undefined, deployment([]), 'first');
      const changed = deployment([]) as Obj;
      changed.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
      expect(applyError(() => apply(live, changed, 'second')).message).toBe('Apply failed with 1 conflict: conflict with "first": .spec.selector');
    });
  });

  describe('without a schema', () => {
    const widget = (spec: Obj) => ({ apiVersion: 'example.skiff.dev/v1', kind: 'Widget', metadata: { name: 'w' }, spec });
    const applyWidget = (live: KubeObject | undefined, spec: Obj, manager: string, extra: Partial<ApplyRequest> = {}) =>
      applyPatch({ live, applied: widget(spec), manager, group: 'example.skiff.dev', version: 'v1', kind: 'Widget', now: T0, ...widgetSchema, ...extra });

    it('treats unknown maps as granular and unknown lists as atomic', () => {
      const live = applyWidget(undefined, { size: 1, tags: ['x'], extra: { m: { a: 1 }, l: [1, 2] } }, 'one');
      expect(JSON.stringify(entry(live, 'one')?.fieldsV1)).toBe(
        '{"f:spec":{"f:extra":{"f:l":{},"f:m":{".":{},"f:a":{}}},"f:size":{},"f:tags":{"v:\\"x\\"":{}}}}',
      );
      const result = applyWidget(live, { extra: { m: { b: 2 } } }, 'two');
      expect((result.spec as Obj).extra.m).toEqual({ a: 1, b: 2 });
      expect(applyError(() => applyWidget(live, { extra: { l: [3] } }, 'two')).message).toBe('Apply failed with 1 conflict: conflict with "one": .spec.extra.l');
    });

    it('works for a kind with no schema at all', () => {
      const result = applyPatch({ live: undefined, applied: widget({ a: { b: [1] } }), manager: 'm', group: 'example.skiff.dev', version: 'v1', kind: 'Widget', now: T0 });
      // Deduced maps are not structs: every entry is a member ("."); metadata and its name are never tracked.
      expect(JSON.stringify(entry(result, 'm')?.fieldsV1)).toBe('{"f:spec":{".":{},"f:a":{".":{},"f:b":{}}}}');
    });
  });

  describe('request checks', () => {
    it.each<[string, unknown, string]>([
      ['a list', [], 'error decoding YAML: json: cannot unmarshal array into Go value of type map[string]interface {}'],
      ['another version', { ...web(), apiVersion: 'apps/v2' }, 'invalid object type: apps/v2, Kind=Deployment'],
      ['another kind', { ...web(), kind: 'StatefulSet' }, 'invalid object type: apps/v1, Kind=StatefulSet'],
      ['no apiVersion or kind', { metadata: { name: 'web' } }, 'invalid object type: /, Kind='],
      ['managedFields', { ...web(), metadata: { name: 'web', managedFields: [] } }, 'metadata.managedFields must be nil'],
    ])('rejects a configuration that is %s with 400', (_name, body, message) => {
      const err = applyError(() => apply(undefined, body as object, 'm'));
      expect(err.code).toBe(400);
      expect(err.reason).toBe('BadRequest');
      expect(err.message).toBe(message);
    });

    it('accepts managedFields: null', () => {
      expect(() => apply(undefined, { ...web(), metadata: { name: 'web', managedFields: null } }, 'm')).not.toThrow();
    });
  });

  describe('details', () => {
    it('owns a field set to null without storing the null', () => {
      const live = apply(undefined, web(), 'a');
      const result = apply(live, { ...web(), spec: { ...web().spec, minReadySeconds: null } }, 'a');
      expect(spec(result)).not.toHaveProperty('minReadySeconds');
      expect(owns(result, 'a', fieldPath('spec', 'minReadySeconds'))).toBe(true);
    });

    it('does not modify its arguments', () => {
      const live = apply(undefined, web(), 'a');
      const config = web({ image: 'x' });
      const before = JSON.stringify([live, config]);
      apply(live, config, 'a', { now: T1 });
      expect(JSON.stringify([live, config])).toBe(before);
    });

    it('keeps kubectl\'s last-applied annotation in step when kubectl applies server-side', () => {
      const annotated = deployment([{ name: 'web', image: 'nginx:1' }], { metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}\n' } } });
      const live = updateManagedFields({ old: undefined, new: annotated as KubeObject, manager: 'kubectl-client-side-apply', now: T0, ...deploymentSchema });
      const config = deployment([{ name: 'web', image: 'nginx:2' }]);
      const result = apply(live, config, 'kubectl', { force: true });
      expect(result.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBe(
        '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:2","name":"web"}]}}}}\n',
      );
      const other = apply(live, config, 'helm', { force: true });
      expect(other.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBe('{"old":true}\n');
    });

    it('applies a ConfigMap whose data keys are map entries', () => {
      const cm = (data: Obj) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
      const live = applyPatch({ live: undefined, applied: cm({ a: '1', b: '2' }), manager: 'm', group: '', version: 'v1', kind: 'ConfigMap', now: T0, ...configMapSchema });
      expect(entries(live)[0].fieldsV1).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} } });
      const result = applyPatch({ live, applied: cm({ a: '1' }), manager: 'm', group: '', version: 'v1', kind: 'ConfigMap', now: T1, ...configMapSchema });
      expect(result.data).toEqual({ a: '1' });
    });
  });
});
