/**
 * The controllers plugin with the serviceaccount controller: a `default`
 * ServiceAccount in every namespace, made again when deleted; the
 * `--controllers`-style selection and its errors.
 */
import { startCluster, type TestCluster } from '../../support/cluster';
import { eventually } from '../../support/http';
import { enabledControllers, validateOptions } from '../../../plugins/controllers';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const SERVICE_ACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts' };
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ config: { plugins: [{ name: 'controllers' }] } });
});
afterAll(() => cluster?.destroy());

const account = (ns: string) => cluster.kernel.client.get(SERVICE_ACCOUNTS, 'default', { namespace: ns }).catch(() => undefined);

test('every namespace gets a default ServiceAccount, made again when deleted', async () => {
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) await eventually(() => account(ns), 5000, `default SA in ${ns}`);
  await cluster.kernel.client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
  const first = await eventually(() => account('team-a'), 5000, 'default SA in team-a');
  await cluster.kernel.client.delete(SERVICE_ACCOUNTS, 'default', { namespace: 'team-a' });
  const again = await eventually(async () => {
    const sa = await account('team-a');
    return sa && sa.metadata?.uid !== first.metadata?.uid ? sa : undefined;
  }, 5000, 'the default SA made again');
  expect(again.metadata?.name).toBe('default');
});

test('selection like --controllers, and unknown names refused with their path', () => {
  expect(enabledControllers(['*'])).toContain('serviceaccount');
  expect(enabledControllers(['*', '-serviceaccount'])).not.toContain('serviceaccount');
  expect(enabledControllers([])).toEqual([]);
  expect(validateOptions({ controllers: ['*', '-nope'] })).toEqual([{ path: ['controllers', 1], message: expect.stringContaining('unknown controller "nope"') }]);
  expect(validateOptions({ settings: { serviceaccount: { workers: 0 } } })[0].path).toEqual(['settings', 'serviceaccount', 'workers']);
});
