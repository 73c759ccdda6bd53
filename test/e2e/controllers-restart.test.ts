/**
 * Controllers survive a server restart in the middle of their work: a
 * ReplicaSet scaling up to 500 when the whole skiff process (API server and
 * controller manager) is killed with SIGKILL; after a restart on the same
 * data it ends with exactly 500 pods, none duplicated.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HttpApiClient } from '../../kernel/client/http';
import type { KubeObject } from '../../kernel/api/types';

jest.setTimeout(120_000);

const root = path.join(__dirname, '..', '..');
const PODS = { group: '', version: 'v1', resource: 'pods' };
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' };
const REPLICAS = 500;
const plugins = JSON.stringify([{ name: 'controllers', options: { controllers: ['replicaset'] } }]);

interface Server {
  child: ChildProcess;
  client: HttpApiClient;
}

function startServer(dataDir: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', path.join(root, 'test/support/register-ts.js'), path.join(__dirname, 'fixtures/apiserver.ts'), dataDir, plugins], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const info = JSON.parse(out.slice(0, nl)) as { url: string; token: string; ca: string };
      resolve({ child, client: new HttpApiClient({ server: info.url, token: info.token, ca: info.ca }) });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before serving: ${err}`)));
  });
}

let dataDir: string;
const servers: Server[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'skiff-controllers-restart-'));
});

afterEach(async () => {
  for (const s of servers) {
    s.client.close();
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGKILL');
      await new Promise((r) => s.child.once('exit', r));
    }
  }
  servers.length = 0;
  rmSync(dataDir, { recursive: true, force: true });
});

async function ownedPods(client: HttpApiClient): Promise<KubeObject[]> {
  const list = await client.list(PODS, { namespace: 'default', labelSelector: 'app=burst' });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

test('kill -9 during a scale-up, restart: exactly the desired pods, none duplicated', async () => {
  const first = await startServer(dataDir);
  servers.push(first);
  await first.client.create(
    REPLICASETS,
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'burst' },
      spec: { replicas: REPLICAS, selector: { matchLabels: { app: 'burst' } }, template: { metadata: { labels: { app: 'burst' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    },
    { namespace: 'default' },
  );
  // Kill as soon as the scale-up is under way, well before it ends.
  let seen = 0;
  for (let i = 0; i < 2000; i++) {
    seen = (await ownedPods(first.client)).length;
    if (seen > 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  expect(seen).toBeGreaterThan(0);
  expect(seen).toBeLessThan(REPLICAS);

  const second = await startServer(dataDir);
  servers.push(second);
  let pods: KubeObject[] = [];
  const deadline = Date.now() + 60_000;
  let stableSince = 0;
  while (Date.now() < deadline) {
    pods = await ownedPods(second.client);
    if (pods.length === REPLICAS) {
      if (!stableSince) stableSince = Date.now();
      if (Date.now() - stableSince > 2000) break;
    } else stableSince = 0;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(pods.length).toBe(REPLICAS);
  const names = new Set(pods.map((p) => p.metadata!.name));
  expect(names.size).toBe(REPLICAS);
  for (const p of pods) expect(p.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: 'burst', controller: true })]);
  const rs = (await second.client.get(REPLICASETS, 'burst', { namespace: 'default' })) as { status?: { replicas?: number } };
  expect(rs.status?.replicas).toBe(REPLICAS);
});
