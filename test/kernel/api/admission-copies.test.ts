/**
 * Validating admission sees the object being stored and the old one as
 * frozen copies: a validator that tries to change them fails its request
 * and changes nothing; one that only reads sees the values.
 */
import type { Plugin } from '../../../kernel/plugin';
import type { AdmissionRequest } from '../../../kernel/api/admission';
import { startCluster, type TestCluster } from '../../support/cluster';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
const seen: Array<{ op: string; data?: unknown; old?: unknown; frozen: boolean }> = [];
let cluster: TestCluster;

const validator: Plugin<Record<string, unknown>> = {
  name: 'validator',
  apply(kernel) {
    kernel.hooks.api.admission.validate.tapPromise('validator', async (request: AdmissionRequest) => {
      if (request.resource !== 'configmaps') return undefined;
      const object = request.object as { data?: Record<string, string> } | undefined;
      seen.push({ op: request.operation, data: object?.data, old: (request.oldObject as { data?: unknown } | undefined)?.data, frozen: Object.isFrozen(object) });
      if (object?.data?.tamper === 'yes') (object as { data?: unknown }).data = { tampered: 'true' };
      return undefined;
    });
  },
};

beforeAll(async () => {
  cluster = await startCluster({ plugins: [{ plugin: validator as Plugin<never> }] });
});
afterAll(() => cluster?.destroy());

test('validators read the new and old objects', async () => {
  await cluster.kernel.client.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: '1' } }, { namespace: 'default' });
  await cluster.kernel.client.patch(CM, 'a', 'merge', { data: { k: '2' } }, { namespace: 'default' });
  expect(seen.slice(-2)).toEqual([
    { op: 'CREATE', data: { k: '1' }, old: undefined, frozen: true },
    { op: 'UPDATE', data: { k: '2' }, old: { k: '1' }, frozen: true },
  ]);
});

test('a validator cannot change what is stored', async () => {
  await expect(cluster.kernel.client.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: { tamper: 'yes' } }, { namespace: 'default' })).rejects.toThrow(/plugin\/validator: .*read.only|Cannot assign/);
  await expect(cluster.kernel.client.get(CM, 'b', { namespace: 'default' })).rejects.toThrow(/not found/);
});
