import { ApiError } from '../../../../kernel/api/errors';
import { strategicMergePatch } from '../../../../kernel/api/patch/strategic-merge';
import { configMapSchema, deployment, deploymentSchema } from './fixtures';
import { apiErrorOf as catchError } from '../../../support/errors';

type Obj = Record<string, any>;

const podSpec = (o: Obj) => o.spec.template.spec;
const names = (list: Obj[]) => list.map((c) => c.name);

describe('strategicMergePatch', () => {
  describe('maps', () => {
    it.each<[string, Obj, Obj, Obj]>([
      ['adds and deletes labels', { a: '1', b: '2' }, { b: null, c: '3' }, { a: '1', c: '3' }],
      ['ignores a null for a missing label', { a: '1' }, { z: null }, { a: '1' }],
      ['replaces a map with $patch: replace', { a: '1', b: '2' }, { $patch: 'replace', c: '3' }, { c: '3' }],
      ['empties a map with $patch: delete', { a: '1' }, { $patch: 'delete' }, {}],
      ['accepts $patch: merge as the default', { a: '1' }, { $patch: 'merge', b: '2' }, { a: '1', b: '2' }],
    ])('%s', (_name, labels, patch, expected) => {
      const result = strategicMergePatch(deployment([], { metadata: { labels } }), { metadata: { labels: patch } }, deploymentSchema) as Obj;
      expect(result.metadata.labels).toEqual(expected);
    });

    it('merges nested maps and leaves unpatched fields alone', () => {
      const original = deployment([{ name: 'a', image: 'x' }], { spec: { replicas: 1, minReadySeconds: 5 } });
      const result = strategicMergePatch(original, { spec: { replicas: 3 } }, deploymentSchema) as Obj;
      expect(result.spec.replicas).toBe(3);
      expect(result.spec.minReadySeconds).toBe(5);
      expect(podSpec(result).containers).toEqual([{ name: 'a', image: 'x' }]);
    });

    it('deletes a field with null', () => {
      const result = strategicMergePatch(deployment([], { spec: { replicas: 2 } }), { spec: { replicas: null } }, deploymentSchema) as Obj;
      expect(result.spec).not.toHaveProperty('replicas');
    });

    it('rejects an unknown $patch on a map with 400', () => {
      const err = catchError(() => strategicMergePatch(deployment([]), { metadata: { labels: { $patch: 'frob' } } }, deploymentSchema));
      expect(err.code).toBe(400);
      expect(err.message).toBe('unknown patch type: frob in map: map[$patch:frob]');
    });
  });

  describe('$retainKeys (patch strategy retainKeys)', () => {
    it('clears the keys a switch of deployment strategy leaves behind, as kubectl apply sends it', () => {
      const original = deployment([], { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } });
      const patch = { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } };
      expect((strategicMergePatch(original, patch, deploymentSchema) as Obj).spec.strategy).toEqual({ type: 'Recreate' });
    });

    it('keeps listed keys the patch does not mention', () => {
      const original = deployment([], { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } });
      const patch = { spec: { strategy: { $retainKeys: ['rollingUpdate', 'type'], rollingUpdate: { maxUnavailable: 0 } } } };
      expect((strategicMergePatch(original, patch, deploymentSchema) as Obj).spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    });

    it.each([
      ['a patch key missing from the list', { $retainKeys: ['type'], rollingUpdate: { maxSurge: 2 } }],
      ['a list that is not a list', { $retainKeys: 'type', type: 'Recreate' }],
    ])('rejects %s with 400', (_name, strategy) => {
      const err = catchError(() => strategicMergePatch(deployment([]), { spec: { strategy } }, deploymentSchema));
      expect(err.code).toBe(400);
      expect(err.message).toBe('invalid patch format of retainKeys');
    });

    it('applies $retainKeys to volumes (merge,retainKeys) item by item', () => {
      const original = deployment([], {});
      podSpec(original).volumes = [{ name: 'v', emptyDir: {} }, { name: 'w', emptyDir: {} }];
      const patch = { spec: { template: { spec: { volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] } } } };
      expect(podSpec(strategicMergePatch(original, patch, deploymentSchema) as Obj).volumes).toEqual([
        { name: 'v', configMap: { name: 'cm' } },
        { name: 'w', emptyDir: {} },
      ]);
    });
  });

  describe('lists of objects merged by key', () => {
    const base = () => deployment([{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }]);

    it.each<[string, Obj, string[], Obj]>([
      ['updates an item in place', { containers: [{ name: 'b', image: 'b:2' }] }, ['a', 'b'], { b: 'b:2' }],
      // Kubernetes puts items the live list does not have before the live-only ones.
      ['puts a new item before the live-only items', { containers: [{ name: 'c', image: 'c:1' }] }, ['c', 'a', 'b'], { c: 'c:1' }],
      ['deletes an item with $patch: delete', { containers: [{ $patch: 'delete', name: 'a' }] }, ['b'], {}],
      ['replaces the list with a $patch: replace item', { containers: [{ name: 'z', image: 'z:1' }, { $patch: 'replace' }] }, ['z'], { z: 'z:1' }],
      ['takes the patch order for items it names', { containers: [{ name: 'b' }, { name: 'a' }] }, ['b', 'a'], {}],
      ['deletes a field of an item with null', { containers: [{ name: 'a', image: null }] }, ['a', 'b'], { a: undefined }],
    ])('%s', (_name, specPatch, expectedNames, images) => {
      const result = strategicMergePatch(base(), { spec: { template: { spec: specPatch } } }, deploymentSchema) as Obj;
      const containers = podSpec(result).containers as Obj[];
      expect(names(containers)).toEqual(expectedNames);
      for (const [name, image] of Object.entries(images)) expect(containers.find((c) => c.name === name)?.image).toBe(image);
    });

    it('merges ports by containerPort inside a container', () => {
      const original = deployment([{ name: 'a', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }]);
      const patch = { spec: { template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } } } };
      expect(podSpec(strategicMergePatch(original, patch, deploymentSchema) as Obj).containers[0].ports).toEqual([
        { containerPort: 80, name: 'http', protocol: 'TCP' },
        { containerPort: 443 },
      ]);
    });

    it('rejects an item without its merge key with 400', () => {
      const err = catchError(() => strategicMergePatch(base(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, deploymentSchema));
      expect(err.code).toBe(400);
      expect(err.message).toBe('map: map[image:x] does not contain declared merge key: name');
    });

    it('rejects a deletion without its merge key with 400', () => {
      const err = catchError(() => strategicMergePatch(base(), { spec: { template: { spec: { containers: [{ $patch: 'delete' }] } } } }, deploymentSchema));
      expect(err.code).toBe(400);
      expect(err.message).toBe('map: map[$patch:delete] does not contain declared merge key: name');
    });

    it('rejects an unknown $patch list item with 400', () => {
      const err = catchError(() => strategicMergePatch(base(), { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'frob' }] } } } }, deploymentSchema));
      expect(err.code).toBe(400);
      expect(err.message).toBe('unknown patch type: frob in map: map[$patch:frob name:a]');
    });

    it('rejects a list of lists with 422', () => {
      const original = { spec: { template: { spec: { containers: [] } } } };
      const err = catchError(() => strategicMergePatch(original, { spec: { template: { spec: { containers: [['a']] } } } }, deploymentSchema));
      expect(err.code).toBe(422);
      expect((err.cause as Error).message).toBe('lists of lists are not supported');
    });

    it('rejects mixed item types with 400', () => {
      const err = catchError(() => strategicMergePatch(base(), { spec: { template: { spec: { containers: ['a'] } } } }, deploymentSchema));
      expect(err.code).toBe(400);
      expect(err.message).toMatch(/^list element types are not identical: /);
    });

    it('strips directives from a list that did not exist', () => {
      const original = deployment([{ name: 'a' }]);
      const patch = { spec: { template: { spec: { initContainers: [{ name: 'i', image: 'busybox', command: null }, { $patch: 'delete', name: 'gone' }] } } } };
      expect(podSpec(strategicMergePatch(original, patch, deploymentSchema) as Obj).initContainers).toEqual([{ name: 'i', image: 'busybox' }]);
    });
  });

  describe('lists of primitives', () => {
    it.each<[string, string[], Obj, string[]]>([
      ['merges finalizers as a set', ['a', 'b'], { finalizers: ['b', 'c'] }, ['a', 'b', 'c']],
      ['puts new values before live-only ones', ['a', 'b'], { finalizers: ['c'] }, ['c', 'a', 'b']],
      ['deletes with $deleteFromPrimitiveList', ['a', 'b', 'c'], { '$deleteFromPrimitiveList/finalizers': ['b'] }, ['a', 'c']],
      ['deletes and adds together', ['a', 'b'], { '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['c'] }, ['c', 'b']],
      ['orders with $setElementOrder', ['a', 'b'], { '$setElementOrder/finalizers': ['b', 'c', 'a'], finalizers: ['c'] }, ['b', 'c', 'a']],
    ])('%s', (_name, finalizers, metaPatch, expected) => {
      const result = strategicMergePatch(deployment([], { metadata: { finalizers } }), { metadata: metaPatch }, deploymentSchema) as Obj;
      expect(result.metadata.finalizers).toEqual(expected);
    });

    it('replaces primitive lists without the merge strategy', () => {
      const original = deployment([{ name: 'a', command: ['sh', '-c', 'x'] }]);
      const patch = { spec: { template: { spec: { containers: [{ name: 'a', command: ['true'] }] } } } };
      expect(podSpec(strategicMergePatch(original, patch, deploymentSchema) as Obj).containers[0].command).toEqual(['true']);
    });

    it('rejects a deletion list that is not a list with 400', () => {
      const err = catchError(() => strategicMergePatch(deployment([], { metadata: { finalizers: ['a'] } }), { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } }, deploymentSchema));
      expect(err.code).toBe(400);
      expect(err.message).toBe('invalid patch format of primitive list');
    });
  });

  // The shapes `kubectl apply` (client-side) computes with its three-way diff.
  describe('kubectl apply three-way patches', () => {
    it('drops a container the configuration no longer has and keeps the other unchanged', () => {
      const a = { name: 'a', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {}, imagePullPolicy: 'IfNotPresent' };
      const original = deployment([a, { name: 'b', image: 'busybox' }]);
      // Exactly what kubectl sends when the pod template loses container b.
      const patch = JSON.parse('{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"$patch":"delete","name":"b"}]}}}}');
      const result = strategicMergePatch(original, patch, deploymentSchema) as Obj;
      expect(podSpec(result).containers).toEqual([a]);
      expect(podSpec(result)).not.toHaveProperty('$setElementOrder/containers');
    });

    it('inserts a new container where $setElementOrder puts it', () => {
      const original = deployment([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }]);
      const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'c' }, { name: 'b' }], containers: [{ name: 'c', image: 'c' }] } } } };
      expect(names(podSpec(strategicMergePatch(original, patch, deploymentSchema) as Obj).containers)).toEqual(['a', 'c', 'b']);
    });

    // Kubernetes' best effort: a server-only item goes before the first ordered item it preceded live.
    it.each([
      [['a', 'sidecar', 'b'], ['b', 'a'], ['sidecar', 'b', 'a']],
      [['sidecar', 'a', 'b'], ['b', 'a'], ['sidecar', 'b', 'a']],
      [['a', 'b', 'sidecar'], ['b', 'a'], ['b', 'a', 'sidecar']],
    ])('reorders %j by $setElementOrder %j alone into %j', (live, order, expected) => {
      const original = deployment(live.map((name) => ({ name })));
      const patch = { spec: { template: { spec: { '$setElementOrder/containers': order.map((name) => ({ name })) } } } };
      expect(names(podSpec(strategicMergePatch(original, patch, deploymentSchema) as Obj).containers)).toEqual(expected);
    });

    it('changes an image and an env var together', () => {
      const original = deployment([{ name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }]);
      const patch = {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'a' }],
              containers: [{ name: 'a', image: 'a:2', '$setElementOrder/env': [{ name: 'Y' }], env: [{ $patch: 'delete', name: 'X' }, { name: 'Y', value: '3' }] }],
            },
          },
        },
      };
      expect(podSpec(strategicMergePatch(original, patch, deploymentSchema) as Obj).containers).toEqual([{ name: 'a', image: 'a:2', env: [{ name: 'Y', value: '3' }] }]);
    });

    it('updates the last-applied annotation and a label in one patch', () => {
      const original = deployment([], { metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, labels: { a: '1', b: '2' } } });
      const patch = { metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}\n' }, labels: { b: null } } };
      const result = strategicMergePatch(original, patch, deploymentSchema) as Obj;
      expect(result.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe('{"x":1}\n');
      expect(result.metadata.labels).toEqual({ a: '1' });
    });

    it('rejects a patch list out of $setElementOrder order with 400', () => {
      const original = deployment([{ name: 'a' }, { name: 'b' }]);
      const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b', image: 'x' }, { name: 'a', image: 'y' }] } } } };
      const err = catchError(() => strategicMergePatch(original, patch, deploymentSchema));
      expect(err.code).toBe(400);
      expect(err.message).toMatch(/^The order in patch list:\n/);
    });

    it('rejects a $setElementOrder that is not a list with 400', () => {
      const err = catchError(() => strategicMergePatch(deployment([{ name: 'a' }]), { spec: { template: { spec: { '$setElementOrder/containers': 'a' } } } }, deploymentSchema));
      expect(err.code).toBe(400);
      expect(err.message).toBe('invalid patch format of setElementOrder list');
    });
  });

  describe('without a schema', () => {
    it('merges maps and replaces lists, as for unstructured objects', () => {
      const original = { spec: { a: { b: 1, c: 2 }, list: [{ name: 'x', v: 1 }, { name: 'y' }] } };
      const result = strategicMergePatch(original, { spec: { a: { c: null, d: 3 }, list: [{ name: 'x', v: 2 }] } }) as Obj;
      expect(result).toEqual({ spec: { a: { b: 1, d: 3 }, list: [{ name: 'x', v: 2 }] } });
    });

    it('does the same below a field the schema does not declare', () => {
      const original = { data: { k: 'v' }, extra: { list: [1, 2], m: { a: 1 } } };
      const result = strategicMergePatch(original, { extra: { list: [3], m: { b: 2 } } }, configMapSchema) as Obj;
      expect(result.extra).toEqual({ list: [3], m: { a: 1, b: 2 } });
    });
  });

  describe('request bodies', () => {
    it.each([
      ['a list', [], 'json: cannot unmarshal array into Go value of type map[string]interface {}'],
      ['a string', 'x', 'json: cannot unmarshal string into Go value of type map[string]interface {}'],
    ])('rejects %s with 400', (_name, body, message) => {
      const err = catchError(() => strategicMergePatch({ a: 1 }, body, deploymentSchema));
      expect(err.code).toBe(400);
      expect(err.message).toBe(message);
    });

    it('treats a null body as an empty patch', () => {
      expect(strategicMergePatch({ a: 1 }, null)).toEqual({ a: 1 });
    });

    it('modifies neither argument', () => {
      const original = deployment([{ name: 'a', image: 'x' }]);
      const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'a', image: 'y' }] } } } };
      const before = JSON.stringify([original, patch]);
      const result = strategicMergePatch(original, patch, deploymentSchema) as Obj;
      podSpec(result).containers[0].image = 'changed';
      expect(JSON.stringify([original, patch])).toBe(before);
    });
  });
});

