/**
 * Controllers survive a server restart in the middle of their work: a
 * ReplicaSet scaling up to 500 when the whole skiff process (API server and
 * controller manager) is killed with SIGKILL; after a restart on the same
 * data it ends with exactly 500 pods, none duplicated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HttpApiClient } from '../../kernel/client/http';
import { killServerProcess, startServerProcess, stopServerProcesses, type ServerProcess } from '../support/server-process';
import type { KubeObject } from '../../kernel/api/types';

jest.setTimeout(120_000);

const PODS = { group: '', version: 'v1', resource: 'pods' };
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' };
const REPLICAS = 500;
const plugins = [{ name: 'controllers', options: { controllers: ['replicaset'] } }];

let dataDir: string;
const servers: ServerProcess[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'skiff-controllers-restart-'));
});

afterEach(async () => {
  await stopServerProcesses(servers);
  rmSync(dataDir, { recursive: true, force: true });
});

async function ownedPods(client: HttpApiClient): Promise<KubeObject[]> {
  const list = await client.list(PODS, { namespace: 'default', labelSelector: 'app=burst' });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

test('kill -9 during a scale-up, restart: exactly the desired pods, none duplicated', async () => {
  const first = await startServerProcess(dataDir, plugins);
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
  await killServerProcess(first);
  expect(seen).toBeGreaterThan(0);
  expect(seen).toBeLessThan(REPLICAS);

  const second = await startServerProcess(dataDir, plugins);
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
