/**
 * Host facts and the node's resolv.conf are read once per HOST_FACTS_TTL_MS
 * and shared by the agents of one process (a `skiff up` with many nodes).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOST_FACTS_TTL_MS, readHostFacts } from '../../../plugins/node-agent/host';
import { readHostResolvConf } from '../../../plugins/node-agent/dns';

const dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-host-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('host facts are read again only after the TTL, per data directory', () => {
  const t = 1_000_000;
  const first = readHostFacts(dir, t);
  expect(first.cpus).toBeGreaterThan(0);
  expect(first.ephemeralStorageBytes).toBeGreaterThan(0);
  expect(readHostFacts(dir, t + HOST_FACTS_TTL_MS - 1)).toBe(first);
  const other = readHostFacts(os.tmpdir(), t + 1);
  expect(other).not.toBe(first);
  expect(other.machineID).toBe(first.machineID);
  const later = readHostFacts(dir, t + HOST_FACTS_TTL_MS);
  expect(later).not.toBe(first);
  expect(later).toEqual(first);
});

test('resolv.conf is read again only after the TTL', () => {
  const file = path.join(dir, 'resolv.conf');
  writeFileSync(file, 'nameserver 192.0.2.53\n');
  const t = 2_000_000;
  expect(readHostResolvConf(file, t).servers).toEqual(['192.0.2.53']);
  writeFileSync(file, 'nameserver 192.0.2.54\n');
  expect(readHostResolvConf(file, t + HOST_FACTS_TTL_MS - 1).servers).toEqual(['192.0.2.53']);
  expect(readHostResolvConf(file, t + HOST_FACTS_TTL_MS).servers).toEqual(['192.0.2.54']);
});
