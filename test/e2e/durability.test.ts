/**
 * Durability of the API server on the embedded store: 32 clients create
 * ConfigMaps concurrently over HTTPS, the server is killed with SIGKILL in
 * the middle, and after a restart every acknowledged object is there with
 * exactly its content, and every object that is there is whole.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServerProcess, stopServerProcesses, type ServerProcess } from '../support/server-process';
import type { KubeObject } from '../../kernel/api/types';

const configMaps = { group: '', version: 'v1', resource: 'configmaps' };
const WRITERS = 32;

/** The content a writer stores for a name: derived from it, so a reader can tell whole from torn. */
function payload(name: string): Record<string, string> {
  const body = createHash('sha256').update(name).digest('hex').repeat(16);
  return { body, sum: createHash('sha256').update(body).digest('hex') };
}

let dataDir: string;
const servers: ServerProcess[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'skiff-durability-'));
});

afterEach(async () => {
  await stopServerProcesses(servers);
  rmSync(dataDir, { recursive: true, force: true });
});

test('kill -9 mid-stream: every acknowledged create survives, nothing is half-written', async () => {
  const first = await startServerProcess(dataDir);
  servers.push(first);
  const acknowledged = new Set<string>();
  let killed = false;
  const writer = async (w: number) => {
    for (let i = 0; !killed; i++) {
      const name = `w${w}-${i}`;
      try {
        await first.client.create(configMaps, { metadata: { name }, data: payload(name) }, { namespace: 'default' });
        acknowledged.add(name);
      } catch {
        // Requests in flight when the server dies fail; they were never acknowledged.
        return;
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
  // Kill while every writer is mid-stream: after enough acknowledgements that the log holds many batches.
  while (acknowledged.size < 2000) await new Promise((r) => setTimeout(r, 5));
  first.child.kill('SIGKILL');
  killed = true;
  await new Promise((r) => first.child.once('exit', r));
  await Promise.all(writers);
  first.client.close();

  const second = await startServerProcess(dataDir);
  servers.push(second);
  const items: KubeObject[] = [];
  let cont: string | undefined;
  do {
    const page = await second.client.list(configMaps, { namespace: 'default', limit: 500, continue: cont });
    items.push(...page.items);
    cont = page.metadata.continue;
  } while (cont);

  const present = new Map(items.map((i) => [i.metadata!.name!, i]));
  for (const name of acknowledged) {
    expect(present.has(name)).toBe(true);
    expect((present.get(name) as { data: unknown }).data).toEqual(payload(name));
  }
  // Unacknowledged writes may or may not have made it, but never in part.
  for (const item of items) {
    const name = item.metadata!.name!;
    expect((item as { data: unknown }).data).toEqual(payload(name));
    expect(item.metadata!.uid).toMatch(/^[0-9a-f-]{36}$/);
  }
  expect(acknowledged.size).toBeGreaterThanOrEqual(2000);
  // The restarted server keeps serving writes.
  await second.client.create(configMaps, { metadata: { name: 'after-restart' } }, { namespace: 'default' });
});
