/**
 * API server benchmark (`npm run bench:api`).
 *
 * Boots `skiff up` (TLS, embedded store with fsync) in a child process and
 * drives it over HTTPS from this process with 32 concurrent clients:
 * - create: 10,000 ConfigMaps (after a warm-up of 2,000 that is deleted again,
 *   so that connection set-up and JIT compilation are not what is measured);
 * - get: random reads of those;
 * - list: a namespace of 100 ConfigMaps, listed whole;
 * - watch fan-out: 100 watchers on one namespace, time until all have seen
 *   one new object (median of 10 rounds);
 * - RSS of the server process: idle after boot, and holding 10,000 ConfigMaps.
 *
 * The last line of output is one JSON object with the figures.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { HttpApiClient } from '../kernel/client/http';

const CLIENTS = 32;
const CREATES = Number(process.env.BENCH_CREATES ?? 10_000);
const WARMUP = 2_000;
const GETS = Number(process.env.BENCH_GETS ?? 20_000);
const LISTS = Number(process.env.BENCH_LISTS ?? 2_000);
const WATCHERS = 100;
const cm = { group: '', version: 'v1', resource: 'configmaps' };
const ns = { group: '', version: 'v1', resource: 'namespaces' };

interface Phase {
  perSecond: number;
  p50ms: number;
  p99ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Run `total` operations over `CLIENTS` concurrent loops; latencies per operation. */
async function phase(total: number, op: (i: number) => Promise<unknown>): Promise<Phase> {
  const latencies: number[] = new Array(total);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = process.hrtime.bigint();
        await op(i);
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return { perSecond: Math.round(total / seconds), p50ms: round(percentile(latencies, 50)), p99ms: round(percentile(latencies, 99)) };
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return round(kb / 1024, 1);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServer(dataDir: string): Promise<{ child: ChildProcess; kubeconfig: string }> {
  const config = path.join(dataDir, 'cluster.yaml');
  writeFileSync(config, `apiVersion: skiff.dev/v1alpha1\nkind: Cluster\ndataDir: ${dataDir}\napi:\n  listen: 127.0.0.1:0\n`);
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'cli', 'skiff.js'), 'up', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SKIFF_LOG_LEVEL: 'warn' } });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('skiff is running')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
    child.once('exit', (code) => reject(new Error(`skiff up exited with ${code}`)));
  });
  return { child, kubeconfig: path.join(dataDir, 'kubeconfig') };
}

function clientFrom(kubeconfig: string): HttpApiClient {
  const cfg = parseYaml(readFileSync(kubeconfig, 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ user: { token: string } }>;
  };
  return new HttpApiClient({
    server: cfg.clusters[0].cluster.server,
    ca: Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64'),
    token: cfg.users[0].user.token,
    maxSockets: CLIENTS + WATCHERS + 8,
  });
}

async function watchFanout(client: HttpApiClient): Promise<number> {
  await client.create(ns, { metadata: { name: 'fanout' } });
  const start = await client.list(cm, { namespace: 'fanout' });
  let rv = start.metadata.resourceVersion!;
  const rounds: number[] = [];
  for (let round = 0; round < 10; round++) {
    let seen = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const name = `event-${round}`;
    const handles = Array.from({ length: WATCHERS }, () =>
      client.watch(cm, { namespace: 'fanout', resourceVersion: rv }, {
        onEvent: (e) => {
          if (e.type === 'ADDED' && e.object.metadata?.name === name && ++seen === WATCHERS) done();
        },
        onClose: () => undefined,
      }),
    );
    // Let every watch reach the server before the event happens.
    await sleep(300);
    const t0 = process.hrtime.bigint();
    const created = await client.create(cm, { metadata: { name } }, { namespace: 'fanout' });
    await all;
    rounds.push(Number(process.hrtime.bigint() - t0) / 1e6);
    rv = created.metadata!.resourceVersion!;
    for (const h of handles) h.stop();
  }
  rounds.sort((a, b) => a - b);
  return round(rounds[Math.floor(rounds.length / 2)]);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-api-'));
  const { child, kubeconfig } = await startServer(dataDir);
  const client = clientFrom(kubeconfig);
  let result: object;
  try {
    await sleep(2000);
    const rssIdleMB = rssMB(child.pid!);
    console.log(`idle RSS: ${rssIdleMB} MB`);

    const data = { 'app.properties': 'color=blue\nsize=large\n', owner: 'bench' };
    await client.create(ns, { metadata: { name: 'warmup' } });
    await phase(WARMUP, (i) => client.create(cm, { metadata: { name: `w-${i}` }, data }, { namespace: 'warmup' }));
    await phase(WARMUP, (i) => client.get(cm, `w-${i}`, { namespace: 'warmup' }));
    await client.deleteCollection(cm, { namespace: 'warmup' });
    const create = await phase(CREATES, (i) => client.create(cm, { metadata: { name: `cm-${i}`, labels: { bench: 'api' } }, data }, { namespace: 'default' }));
    console.log(`create: ${JSON.stringify(create)}`);

    const get = await phase(GETS, (i) => client.get(cm, `cm-${(i * 7919) % CREATES}`, { namespace: 'default' }));
    console.log(`get: ${JSON.stringify(get)}`);

    await client.create(ns, { metadata: { name: 'small' } });
    await Promise.all(Array.from({ length: 100 }, (_, i) => client.create(cm, { metadata: { name: `s-${i}` }, data }, { namespace: 'small' })));
    const list = await phase(LISTS, () => client.list(cm, { namespace: 'small' }));
    console.log(`list (100 objects per list): ${JSON.stringify(list)}`);

    await sleep(2000);
    const rss10kMB = rssMB(child.pid!);
    console.log(`RSS with ${CREATES} ConfigMaps: ${rss10kMB} MB`);

    const watchFanoutMs = await watchFanout(client);
    console.log(`watch fan-out to ${WATCHERS} watchers (median of 10): ${watchFanoutMs} ms`);

    result = { create, get, list, watchFanoutMs, rssIdleMB, rss10kMB };
  } finally {
    client.close();
    child.stderr!.removeAllListeners('data');
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
  // The figures are the last line of output, after the server has stopped.
  console.log(JSON.stringify(result));
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
