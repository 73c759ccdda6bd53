/**
 * Embedded store benchmark: prints one JSON line of comparable numbers.
 *
 *   node -r ./test/support/register-ts.js bench/store.ts
 *   (or after `npm run build`: node dist/bench/store.js)
 *
 * Options: --creates N (default 20000), --writers N (32), --keys N (10000,
 * for the snapshot, recovery and memory phases), --no-fsync (numbers without
 * durability; say so when quoting them).
 *
 * Phases, each on a fresh data dir in the OS temp dir (removed at the end):
 *  - creates: N ConfigMap-sized creates from W concurrent writers; throughput,
 *    latency percentiles, fsyncs and mean batch size (group commit at work).
 *    Automatic snapshots (default every 10,000 records) happen inside it.
 *  - list: page through every key under one prefix with limit 500.
 *  - snapshot: with --keys keys, a forced snapshot while W writers keep
 *    updating: how long writers were held (capture), how long writing took,
 *    and the writers' p99 during it.
 *  - recovery and memory: a fresh child process (same node flags) opens that
 *    store (snapshot + log replay) and reports the time, and RSS and heap
 *    before and after (after a GC when node runs with --expose-gc). A fresh
 *    process, because the earlier phases leave RSS high. Under the swc
 *    require hook the baseline includes about 30 MB of compiler.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore, type EmbeddedStore } from '../kernel/store/embedded';

interface Args {
  creates: number;
  writers: number;
  keys: number;
  fsync: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { creates: 20_000, writers: 32, keys: 10_000, fsync: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--no-fsync') args.fsync = false;
    else if (flag === '--creates' || flag === '--writers' || flag === '--keys') {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer`);
      args[flag.slice(2) as 'creates' | 'writers' | 'keys'] = n;
    } else {
      throw new Error(`unknown option ${flag}`);
    }
  }
  return args;
}

/** A ConfigMap as the API server would store it (about 700 bytes of JSON). */
function configMap(name: string, generation = 1): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'bench',
      uid: `00000000-0000-4000-8000-${name.replace(/\D/g, '').padStart(12, '0').slice(-12)}`,
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: 'bench', tier: 'backend', 'app.kubernetes.io/managed-by': 'skiff-bench' },
      annotations: { 'bench.skiff.dev/generation': String(generation) },
    },
    data: {
      'app.properties': 'log.level=info\nfeature.x=true\nfeature.y=false\nthreads=8\n',
      'settings.json': JSON.stringify({ retries: 3, timeoutSeconds: 30, endpoints: ['a.internal', 'b.internal'] }),
      notes: 'x'.repeat(200),
    },
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Run `total` operations from `writers` concurrent loops; returns per-op latencies (ms) and wall time. */
async function runWriters(
  writers: number,
  total: number,
  op: (i: number) => Promise<unknown>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { latencies, seconds };
}

/** The child side of the recovery phase: open `dir`, report time and memory as JSON. */
async function recoverChild(dir: string, expectedRevision: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  const store = await openEmbeddedStore({ dir });
  const recoveryMs = performance.now() - started;
  if (store.currentRevision() !== expectedRevision) {
    throw new Error(`recovered revision ${store.currentRevision()}, expected ${expectedRevision}`);
  }
  gc?.();
  const after = process.memoryUsage();
  const { keys, historyEvents } = store.stats();
  await store.close();
  console.log(
    JSON.stringify({
      recoveryMs: round(recoveryMs),
      recoveredKeys: keys,
      recoveredHistoryEvents: historyEvents,
      rssBeforeOpenMB: round(before.rss / 2 ** 20, 1),
      rssAfterOpenMB: round(after.rss / 2 ** 20, 1),
      heapUsedAfterOpenMB: round(after.heapUsed / 2 ** 20, 1),
      gc: gc !== undefined,
    }),
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--recover') return recoverChild(process.argv[3]!, Number(process.argv[4]));
  const args = parseArgs(process.argv.slice(2));
  const root = mkdtempSync(join(tmpdir(), 'skiff-bench-store-'));
  const stores: EmbeddedStore[] = [];
  try {
    // --- creates ---------------------------------------------------------------
    const a = await openEmbeddedStore({ dir: join(root, 'creates'), fsync: args.fsync });
    stores.push(a);
    const prefix = '/registry/configmaps/bench/';
    const creates = await runWriters(args.writers, args.creates, (i) => a.create(`${prefix}cm-${String(i).padStart(6, '0')}`, configMap(`cm-${i}`)));
    const aStats = a.stats();

    // --- list ------------------------------------------------------------------
    const pageTimes: number[] = [];
    const listStarted = performance.now();
    let listed = 0;
    let startAfter: string | undefined;
    for (;;) {
      const t = performance.now();
      const page = await a.range({ prefix, limit: 500, startAfter });
      pageTimes.push(performance.now() - t);
      listed += page.items.length;
      if (!page.more) break;
      startAfter = page.items[page.items.length - 1]!.key;
    }
    const listMs = performance.now() - listStarted;
    if (listed !== args.creates) throw new Error(`listed ${listed} keys, expected ${args.creates}`);
    pageTimes.sort((x, y) => x - y);
    await a.close();

    // --- snapshot while writing -----------------------------------------------------
    const dirB = join(root, 'snapshot');
    const b = await openEmbeddedStore({ dir: dirB, fsync: args.fsync, snapshotEvery: 1e9, snapshotBytes: 2 ** 50 });
    stores.push(b);
    const bPrefix = '/registry/configmaps/bench/';
    await runWriters(args.writers, args.keys, (i) => b.create(`${bPrefix}cm-${String(i).padStart(6, '0')}`, configMap(`cm-${i}`)));
    let snapshotRunning = true;
    const duringSnapshot: number[] = [];
    const snapshotDone = b.snapshot().finally(() => (snapshotRunning = false));
    await Promise.all(
      Array.from({ length: args.writers }, async (_, w) => {
        for (let n = 0; snapshotRunning; n++) {
          const i = (w * 7919 + n * 31) % args.keys;
          const t = performance.now();
          await b.update(`${bPrefix}cm-${String(i).padStart(6, '0')}`, configMap(`cm-${i}`, n + 2));
          duringSnapshot.push(performance.now() - t);
        }
      }),
    );
    await snapshotDone;
    duringSnapshot.sort((x, y) => x - y);
    const snap = b.stats().lastSnapshot!;

    const bRevision = b.currentRevision();
    await b.close();

    // --- recovery and memory, in a fresh process -------------------------------
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--recover', dirB, String(bRevision)], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`recovery child failed: ${child.stderr}`);
    const recovery = JSON.parse(child.stdout) as Record<string, number | boolean>;

    console.log(
      JSON.stringify({
        bench: 'store',
        node: process.version,
        fsync: args.fsync,
        writers: args.writers,
        creates: args.creates,
        createsPerSec: Math.round(args.creates / creates.seconds),
        createP50Ms: round(percentile(creates.latencies, 50)),
        createP99Ms: round(percentile(creates.latencies, 99)),
        createMaxMs: round(creates.latencies[creates.latencies.length - 1] ?? 0),
        walSyncs: aStats.walSyncs,
        meanBatch: round(aStats.records / Math.max(1, aStats.batches), 1),
        autoSnapshots: aStats.snapshots,
        listKeys: listed,
        listPages: pageTimes.length,
        listMs: round(listMs),
        listPageP99Ms: round(percentile(pageTimes, 99), 3),
        snapshotKeys: snap.keys,
        snapshotBytes: snap.bytes,
        snapshotCaptureMs: round(snap.captureMs, 3),
        snapshotWriteMs: round(snap.writeMs),
        writesDuringSnapshot: duringSnapshot.length,
        writeP99DuringSnapshotMs: round(percentile(duringSnapshot, 99)),
        ...recovery,
      }),
    );
  } finally {
    for (const store of stores) await store.close();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
