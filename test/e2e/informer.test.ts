/**
 * Informers against a real API server, in-process and over HTTPS: the cache
 * follows creates, updates and deletes; over HTTPS it survives the server
 * being stopped and started again (on the same port and data) and converges
 * on what changed meanwhile, reporting deletions it missed.
 */
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, TestCluster } from '../support/cluster';
import { HttpApiClient } from '../../kernel/client/http';
import { SharedInformer } from '../../kernel/client/informer';
import type { ApiClient } from '../../kernel/client/types';
import { silentLogger } from '../../kernel/log';

const configMaps = { group: '', version: 'v1', resource: 'configmaps' };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function names(informer: SharedInformer): string[] {
  return informer.cache
    .list()
    .map((o) => o.metadata!.name!)
    .sort();
}

async function follows(client: ApiClient, informer: SharedInformer): Promise<void> {
  const deleted: string[] = [];
  informer.addEventHandler({ onAdd: () => undefined, onUpdate: () => undefined, onDelete: (o) => void deleted.push(o.metadata!.name!) });
  informer.start();
  expect(await informer.waitForSync()).toBe(true);
  expect(names(informer)).toEqual(['a']);
  await client.create(configMaps, { metadata: { name: 'b' }, data: { v: '1' } }, { namespace: 'inf' });
  await client.patch(configMaps, 'a', 'merge', { data: { v: '2' } }, { namespace: 'inf' });
  await client.delete(configMaps, 'a', { namespace: 'inf' });
  await until(() => names(informer).join() === 'b' && deleted.includes('a'), 'the cache to follow');
  expect((informer.cache.get('inf/b') as { data?: Record<string, string> }).data).toEqual({ v: '1' });
}

test('in-process: the cache follows creates, updates and deletes', async () => {
  const cluster = await startCluster();
  try {
    const client = cluster.kernel.client;
    await client.create({ group: '', version: 'v1', resource: 'namespaces' }, { metadata: { name: 'inf' } });
    await client.create(configMaps, { metadata: { name: 'a' } }, { namespace: 'inf' });
    const informer = new SharedInformer(client, configMaps, { namespace: 'inf', logger: silentLogger });
    try {
      await follows(client, informer);
    } finally {
      informer.stop();
    }
  } finally {
    await cluster.destroy();
  }
});

test('over HTTPS: follows changes, and converges after the server restarts', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'skiff-informer-'));
  const listen = `127.0.0.1:${await freePort()}`;
  let cluster: TestCluster | undefined = await startCluster({ dataDir, listen });
  const http = new HttpApiClient({ server: cluster.url, ca: cluster.kernel.caCertificate, token: cluster.kernel.adminBearerToken });
  const informer = new SharedInformer(http, configMaps, { namespace: 'inf', logger: silentLogger, backoff: { initialMs: 50, maxMs: 200 } });
  try {
    await http.create({ group: '', version: 'v1', resource: 'namespaces' }, { metadata: { name: 'inf' } });
    await http.create(configMaps, { metadata: { name: 'a' } }, { namespace: 'inf' });
    await follows(http, informer);

    await cluster.stop();
    cluster = await startCluster({ dataDir, listen });
    const admin = cluster.kernel.client;
    await admin.delete(configMaps, 'b', { namespace: 'inf' });
    for (let i = 0; i < 5; i++) await admin.create(configMaps, { metadata: { name: `after-${i}` } }, { namespace: 'inf' });
    await until(() => names(informer).join() === 'after-0,after-1,after-2,after-3,after-4', 'the cache to converge after the restart');
  } finally {
    informer.stop();
    http.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
