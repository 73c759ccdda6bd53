import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openEmbeddedStore, type EmbeddedStore, type EmbeddedStoreOptions } from '../../../kernel/store/embedded';
import { isStoreError, StoreError, type KeyValue } from '../../../kernel/store/types';
import { collect, describeStoreContract, expectStoreError } from './contract';
import { runFixture, tempDirs } from './helpers';

const tempDir = tempDirs('store');

describeStoreContract('embedded', () => openEmbeddedStore({ dir: tempDir() }));

/** Open stores are closed after each test, so a failing test does not leave its directory locked. */
const open: EmbeddedStore[] = [];
async function openStore(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const store = await openEmbeddedStore(options);
  open.push(store);
  return store;
}
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
});

/** Everything observable about the state: all keys with their metadata, and the revision. */
async function dump(store: EmbeddedStore): Promise<{ revision: number; items: KeyValue[] }> {
  const { items, revision } = await store.range({ prefix: '' });
  return { revision, items };
}

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort();
}

function onlySegment(dir: string): string {
  const segments = files(dir, /^wal-\d+\.log$/);
  expect(segments).toHaveLength(1);
  return join(dir, segments[0]!);
}

/** A mix of creates, updates and deletes, some concurrent. */
async function workload(store: EmbeddedStore, n: number, prefix = '/wl/'): Promise<void> {
  for (let i = 0; i < n; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, j) => store.create(`${prefix}${i + j}`, JSON.stringify({ i: i + j, s: 'é' }))));
    await store.update(`${prefix}${i}`, JSON.stringify({ updated: i }));
    if (i % 20 === 0) await store.delete(`${prefix}${i + 1}`);
  }
}

describe('EmbeddedStore', () => {
  describe('durability and visibility', () => {
    it('recovers the same state after a reopen and continues the revisions', async () => {
      const dir = tempDir();
      const store = await openStore({ dir });
      await workload(store, 100);
      await store.create('/odd/empty', '');
      await store.create('/odd/unicode', '{"ship":"🚢","kanji":"船"}');
      const before = await dump(store);
      await store.close();

      const reopened = await openStore({ dir });
      expect(await dump(reopened)).toEqual(before);
      expect(reopened.currentRevision()).toBe(before.revision);
      const next = await reopened.create('/after', 'x');
      expect(next.modRevision).toBe(before.revision + 1);
    });

    it('rebuilds history from the log, so watches and past reads survive a restart', async () => {
      const dir = tempDir();
      const store = await openStore({ dir });
      const a = await store.create('/h/a', 'a1');
      const a2 = await store.update('/h/a', 'a2');
      await store.close();

      const reopened = await openStore({ dir });
      expect((await reopened.range({ prefix: '/h/', revision: a.modRevision })).items).toEqual([a]);
      const watch = collect(reopened, { prefix: '/h/', afterRevision: 0 });
      await watch.waitFor(2);
      expect(watch.events).toEqual([
        { type: 'put', kv: a, revision: a.modRevision },
        { type: 'put', kv: a2, prevKv: a, revision: a2.modRevision },
      ]);
    });

    it('shows a write to readers and watchers only once it is durable', async () => {
      const store = await openStore({ dir: tempDir() });
      const watch = collect(store, { prefix: '/v/' });
      const revision = store.currentRevision();
      const created = store.create('/v/a', 'x');
      // Accepted, not yet written: invisible.
      expect(await store.get('/v/a')).toBeUndefined();
      expect((await store.range({ prefix: '/v/' })).items).toEqual([]);
      expect(store.currentRevision()).toBe(revision);
      expect(watch.events).toEqual([]);
      const kv = await created;
      expect(await store.get('/v/a')).toEqual(kv);
      expect(store.currentRevision()).toBe(kv.modRevision);
      await watch.waitFor(1);
    });

    it('never shows a write while its fsync is in flight', async () => {
      const store = await openStore({ dir: tempDir() });
      const acknowledged = new Set<number>();
      const early: number[] = [];
      // Look at the store on every turn of the event loop while writes are in
      // flight: any revision visible before its write resolved was shown early.
      let writing = true;
      const watcher = store.watch(
        { prefix: '/v/' },
        { onEvents: (events) => events.forEach((e) => acknowledged.has(e.revision) || early.push(e.revision)) },
      );
      const probe = (async () => {
        while (writing) {
          const current = store.currentRevision();
          if (current > 0 && !acknowledged.has(current)) early.push(current);
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      })();
      for (let i = 0; i < 50; i++) {
        const kv = await store.create(`/v/${i}`, 'x');
        acknowledged.add(kv.modRevision);
      }
      writing = false;
      await probe;
      watcher.cancel();
      expect(early).toEqual([]);
    });

    it('checks writes against earlier writes that are not durable yet', async () => {
      const store = await openStore({ dir: tempDir() });
      const writes = [
        store.create('/o/a', 'v1'),
        store.update('/o/a', 'v2'),
        store.update('/o/a', 'v3', 2),
        store.delete('/o/a', 3),
        store.create('/o/a', 'again'),
      ];
      const duplicate = store.create('/o/a', 'dup');
      const stale = store.update('/o/a', 'stale', 3);
      await expectStoreError(duplicate, 'KeyExists');
      await expectStoreError(stale, 'RevisionMismatch');
      const results = await Promise.all(writes);
      expect(results.map((kv) => [kv.value, kv.modRevision, kv.version])).toEqual([
        ['v1', 1, 1],
        ['v2', 2, 2],
        ['v3', 3, 3],
        ['v3', 3, 3], // delete resolves to the deleted value
        ['again', 5, 1],
      ]);
      expect(await store.get('/o/a')).toEqual(results[4]);
    });

    it('flushes accepted writes on close and refuses new ones after', async () => {
      const dir = tempDir();
      const store = await openStore({ dir });
      const writes = Array.from({ length: 20 }, (_, i) => store.create(`/cl/${i}`, String(i)));
      const closing = store.close();
      await expectStoreError(store.create('/cl/late', 'x'), 'Unavailable');
      await expectStoreError(store.get('/cl/0'), 'Unavailable');
      const written = await Promise.all(writes);
      await closing;
      await store.close(); // idempotent

      const reopened = await openStore({ dir });
      expect((await reopened.range({ prefix: '/cl/' })).items).toHaveLength(20);
      expect(await reopened.get('/cl/7')).toEqual(written[7]);
      expect(await reopened.get('/cl/late')).toBeUndefined();
    });
  });

  describe('group commit', () => {
    it('makes concurrent writes share fsyncs', async () => {
      const store = await openStore({ dir: tempDir() });
      const before = store.stats().walSyncs;
      await Promise.all(Array.from({ length: 64 }, (_, i) => store.create(`/g/${i}`, String(i))));
      const syncs = store.stats().walSyncs - before;
      expect(syncs).toBeGreaterThanOrEqual(1);
      expect(syncs).toBeLessThanOrEqual(8);
      expect(store.stats().records).toBe(64);
    });

    it('costs one fsync per write when writes come one at a time', async () => {
      const store = await openStore({ dir: tempDir() });
      const before = store.stats().walSyncs;
      for (let i = 0; i < 5; i++) await store.create(`/g/${i}`, String(i));
      expect(store.stats().walSyncs - before).toBe(5);
      expect(store.stats().batches).toBe(5);
    });

    it('batches writes arriving during an fsync into the next one', async () => {
      const store = await openStore({ dir: tempDir() });
      const writers = Array.from({ length: 32 }, async (_, w) => {
        for (let i = 0; i < 20; i++) await store.create(`/g/${w}/${i}`, 'x');
      });
      await Promise.all(writers);
      const { batches, records, walSyncs } = store.stats();
      expect(records).toBe(640);
      expect(walSyncs).toBe(batches);
      // Each round of 32 writers lands in one or two batches, never 32.
      expect(batches).toBeLessThan(640 / 8);
    });

    it('skips the fsync when told to', async () => {
      const store = await openStore({ dir: tempDir(), fsync: false });
      await Promise.all(Array.from({ length: 10 }, (_, i) => store.create(`/g/${i}`, String(i))));
      expect(store.stats().walSyncs).toBe(0);
    });
  });

  describe('recovery from damage', () => {
    /** Ten creates with the same record size, one batch each. */
    async function tenRecords(dir: string): Promise<void> {
      const store = await openStore({ dir });
      for (let i = 0; i < 10; i++) await store.create(`/t/${i}`, `{"value":${i}}`);
      await store.close();
    }

    it('cuts off a torn last record and keeps every earlier one', async () => {
      const dir = tempDir();
      await tenRecords(dir);
      const segment = onlySegment(dir);
      const size = statSync(segment).size;
      truncateSync(segment, size - 3);

      const store = await openStore({ dir });
      expect(store.currentRevision()).toBe(9);
      expect((await store.range({ prefix: '/t/' })).items.map((kv) => kv.value)).toEqual(
        Array.from({ length: 9 }, (_, i) => `{"value":${i}}`),
      );
      expect(store.stats().recoveredTruncation).toEqual({ path: segment, offset: (size / 10) * 9 });
      expect(statSync(segment).size).toBe((size / 10) * 9);

      // The log goes on cleanly after the cut.
      const next = await store.create('/t/9', 'rewritten');
      expect(next.modRevision).toBe(10);
      await store.close();
      const again = await openStore({ dir });
      expect(again.currentRevision()).toBe(10);
      expect((await again.get('/t/9'))?.value).toBe('rewritten');
      expect(again.stats().recoveredTruncation).toBeUndefined();
    });

    it('cuts off a torn header and a zero-filled tail', async () => {
      const dir = tempDir();
      await tenRecords(dir);
      const segment = onlySegment(dir);
      appendFileSync(segment, Buffer.from([7, 0, 0]));
      let store = await openStore({ dir });
      expect(store.currentRevision()).toBe(10);
      await store.close();

      appendFileSync(segment, Buffer.alloc(4096));
      store = await openStore({ dir });
      expect(store.currentRevision()).toBe(10);
      expect((await store.range({ prefix: '/t/' })).items).toHaveLength(10);
    });

    it('refuses to open a log damaged in the middle, naming the file and offset', async () => {
      const dir = tempDir();
      await tenRecords(dir);
      const segment = onlySegment(dir);
      const bytes = readFileSync(segment);
      const recordSize = bytes.length / 10;
      bytes[recordSize * 4 + 12]! ^= 0xff; // inside the fifth record's payload
      writeFileSync(segment, bytes);

      const err = await expectStoreError(openEmbeddedStore({ dir }), 'Unavailable');
      expect(err.message).toContain(segment);
      expect(err.message).toContain(`offset ${recordSize * 4}`);
      expect(err.message).toContain('checksum');
      // The failed open released the directory: trying again reports the same damage.
      const again = await expectStoreError(openEmbeddedStore({ dir }), 'Unavailable');
      expect(again.message).toBe(err.message);
    });

    it('refuses to open when records are missing in the middle of the log', async () => {
      const dir = tempDir();
      await tenRecords(dir);
      const segment = onlySegment(dir);
      const bytes = readFileSync(segment);
      const recordSize = bytes.length / 10;
      writeFileSync(segment, Buffer.concat([bytes.subarray(0, recordSize * 3), bytes.subarray(recordSize * 4)]));
      const err = await expectStoreError(openEmbeddedStore({ dir }), 'Unavailable');
      expect(err.message).toContain(`offset ${recordSize * 3}`);
      expect(err.message).toContain('expected revision 4, found 5');
    });

    it('refuses to open with a damaged snapshot, naming it', async () => {
      const dir = tempDir();
      const store = await openStore({ dir });
      await workload(store, 30);
      await store.snapshot();
      await store.close();
      const [snapshot] = files(dir, /\.snap$/);
      const path = join(dir, snapshot!);
      const bytes = readFileSync(path);
      bytes[bytes.length - 5]! ^= 0x01;
      writeFileSync(path, bytes);
      const err = await expectStoreError(openEmbeddedStore({ dir }), 'Unavailable');
      expect(err.message).toContain(`corrupt snapshot ${path}`);
    });
  });

  describe('snapshots', () => {
    it('snapshots by itself after snapshotEvery records and deletes the log it covers', async () => {
      const dir = tempDir();
      const store = await openStore({ dir, snapshotEvery: 50 });
      await workload(store, 200);
      await store.settled();
      const stats = store.stats();
      expect(stats.snapshots).toBeGreaterThanOrEqual(3);
      expect(files(dir, /\.snap$/)).toHaveLength(1);
      expect(files(dir, /\.tmp$/)).toEqual([]);
      const segments = files(dir, /^wal-\d+\.log$/);
      expect(segments).toEqual([`wal-${String(stats.segment).padStart(16, '0')}.log`]);
      expect(segments).not.toContain('wal-0000000000000001.log');
      const before = await dump(store);
      await store.close();

      const reopened = await openStore({ dir });
      expect(await dump(reopened)).toEqual(before);
    });

    it('keeps every write made while a snapshot is being taken', async () => {
      const dir = tempDir();
      const store = await openStore({ dir });
      await workload(store, 100, '/a/');
      const writes = workload(store, 100, '/b/');
      await store.snapshot();
      await writes;
      await store.snapshot();
      const before = await dump(store);
      expect(files(dir, /^wal-\d+\.log$/)).toHaveLength(1);
      expect(statSync(join(dir, files(dir, /^wal-\d+\.log$/)[0]!)).size).toBe(0);
      await store.close();

      const reopened = await openStore({ dir });
      expect(await dump(reopened)).toEqual(before);
      expect(reopened.compactedRevision()).toBe(before.revision);
    });

    it('replays the log after the snapshot on top of it', async () => {
      const dir = tempDir();
      const store = await openStore({ dir });
      await workload(store, 50);
      await store.snapshot();
      await workload(store, 50, '/after/');
      await store.update('/wl/2', 'changed after the snapshot');
      await store.delete('/wl/3');
      const before = await dump(store);
      await store.close();

      const reopened = await openStore({ dir });
      expect(await dump(reopened)).toEqual(before);
    });

    it('records a snapshot that was never finished as if it did not exist', async () => {
      const dir = tempDir();
      const store = await openStore({ dir });
      await workload(store, 20);
      const before = await dump(store);
      await store.close();
      writeFileSync(join(dir, 'snap-0000000000000099.snap.tmp'), 'half written');

      const reopened = await openStore({ dir });
      expect(await dump(reopened)).toEqual(before);
      expect(files(dir, /\.tmp$/)).toEqual([]);
    });
  });

  describe('history', () => {
    it('keeps at most historyLimit events', async () => {
      const store = await openStore({ dir: tempDir(), historyLimit: 5 });
      for (let i = 0; i < 10; i++) await store.create(`/hl/${i}`, String(i));
      expect(store.compactedRevision()).toBe(5);
      await expectStoreError(store.range({ prefix: '/hl/', revision: 4 }), 'Compacted');
      expect((await store.range({ prefix: '/hl/', revision: 5 })).items).toHaveLength(5);
      const tooOld = collect(store, { prefix: '/hl/', afterRevision: 4 });
      expect((await tooOld.waitError()).code).toBe('Compacted');
      const ok = collect(store, { prefix: '/hl/', afterRevision: 5 });
      await ok.waitFor(5);
      expect(ok.events.map((e) => e.revision)).toEqual([6, 7, 8, 9, 10]);
    });

    it('forgets events older than historyWindowMs', async () => {
      let now = 1_000_000;
      const store = await openStore({ dir: tempDir(), historyWindowMs: 1000, clock: { now: () => now } });
      for (let i = 0; i < 3; i++) await store.create(`/hw/${i}`, String(i));
      now += 600;
      for (let i = 3; i < 5; i++) await store.create(`/hw/${i}`, String(i));
      expect(store.compactedRevision()).toBe(0);
      now += 600;
      expect(store.compactedRevision()).toBe(3);
      await expectStoreError(store.range({ prefix: '/hw/', revision: 2 }), 'Compacted');
      const watch = collect(store, { prefix: '/hw/', afterRevision: 3 });
      await watch.waitFor(2);
      expect(watch.events.map((e) => e.revision)).toEqual([4, 5]);
    });

    it('keeps a compaction across a restart', async () => {
      const dir = tempDir();
      const store = await openStore({ dir });
      for (let i = 0; i < 6; i++) await store.create(`/cp/${i}`, String(i));
      await store.compact(4);
      expect(store.compactedRevision()).toBe(4);
      await store.close();
      const reopened = await openStore({ dir });
      expect(reopened.compactedRevision()).toBe(4);
      await expectStoreError(reopened.range({ prefix: '/cp/', revision: 3 }), 'Compacted');
    });
  });

  describe('watch delivery', () => {
    it('ends a watcher with Compacted when its undelivered backlog passes the limit', async () => {
      const store = await openStore({ dir: tempDir(), watchBacklogLimit: 5 });
      const flooded = collect(store, { prefix: '/b/' });
      const fine = collect(store, { prefix: '/other/' });
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(`/b/${i}`, String(i))));
      const err = await flooded.waitError();
      expect(err.code).toBe('Compacted');
      expect(err.message).toContain('5 events behind');
      expect(flooded.events).toEqual([]);
      expect(store.stats().watchers).toBe(1);
      await store.create('/other/x', 'x');
      await fine.waitFor(1);
      expect(fine.errors).toEqual([]);
    });

    it('ends only the watch whose handler throws', async () => {
      const store = await openStore({ dir: tempDir() });
      const errors: StoreError[] = [];
      store.watch(
        { prefix: '/t/' },
        {
          onEvents() {
            throw new Error('consumer bug');
          },
          onError: (err) => errors.push(err),
        },
      );
      const healthy = collect(store, { prefix: '/t/' });
      await store.create('/t/1', 'x');
      await healthy.waitFor(1);
      await store.create('/t/2', 'y');
      await healthy.waitFor(2);
      expect(errors).toHaveLength(1);
      expect(isStoreError(errors[0], 'Unavailable')).toBe(true);
      expect(errors[0]!.message).toContain('consumer bug');
      expect((errors[0]!.cause as Error).message).toBe('consumer bug');
    });

    it('refuses a watch on a closed store with Unavailable', async () => {
      const store = await openStore({ dir: tempDir() });
      await store.close();
      const watch = collect(store, { prefix: '/' });
      expect((await watch.waitError()).code).toBe('Unavailable');
    });
  });

  describe('locking the data dir', () => {
    it('refuses a second open in the same process until the first closes', async () => {
      const dir = tempDir();
      const first = await openStore({ dir });
      const err = await expectStoreError(openEmbeddedStore({ dir }), 'Unavailable');
      expect(err.message).toContain('already open');
      await first.close();
      const second = await openStore({ dir });
      expect(second.currentRevision()).toBe(0);
    });

    it('refuses to open a directory another process has open, and takes over once it is gone', async () => {
      const dir = tempDir();
      const holder = runFixture('hold-store.js', [dir]);
      try {
        await holder.waitForLine((line) => line === 'ready');
        const err = await expectStoreError(openEmbeddedStore({ dir }), 'Unavailable');
        expect(err.message).toContain(`locked by process ${holder.child.pid}`);
      } finally {
        holder.child.kill('SIGKILL');
        await holder.exited;
      }
      // The lock file still names the dead process: stale, taken over.
      expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(holder.child.pid));
      const store = await openStore({ dir });
      expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
      await store.close();
      expect(files(dir, /^LOCK/)).toEqual([]);
    });
  });
});

test('settled(key): a read-modify-write that lost to a pending write waits for it, then wins', async () => {
  const store = await openStore({ dir: tempDir() });
  const first = await store.create('/k', 'v1');
  // Another writer's update is pending (not yet durable): reads still show v1, writes check against it.
  const other = store.update('/k', 'v2', first.modRevision);
  const read = await store.get('/k');
  expect(read!.value).toBe('v1');
  await expect(store.update('/k', 'mine', read!.modRevision)).rejects.toMatchObject({ code: 'RevisionMismatch' });
  await store.settled('/k');
  const again = await store.get('/k');
  expect(again!.value).toBe('v2');
  await expect(store.update('/k', 'mine', again!.modRevision)).resolves.toMatchObject({ value: 'mine' });
  await other;
  // Nothing pending: at once.
  await store.settled('/k');
  await store.settled('/never-written');
});
