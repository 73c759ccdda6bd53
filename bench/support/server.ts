/**
 * What the benchmarks that boot `skiff up` in a child process share: writing
 * its cluster.yaml, starting it, waiting for "skiff is running", an HTTPS
 * client from its admin kubeconfig, its `process.memoryUsage()` lines
 * (SKIFF_MEMORY_LOG_MS) and its RSS and CPU from /proc.
 *
 * BENCH_SERVER_NODE_ARGS passes extra flags to the server's node (profiling
 * runs); BENCH_SERVER_STDOUT names a file for the server's standard output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { HttpApiClient } from '../../kernel/client/http';

const MEMORY_LOG_MS = 1000;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** RSS, peak RSS (VmHWM) and CPU ticks (utime + stime) of a process. */
export function procStat(pid: number): { rssMB: number; peakRssMB: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { rssMB: round(kb('VmRSS') / 1024), peakRssMB: round(kb('VmHWM') / 1024), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

export interface Server {
  child: ChildProcess;
  client: HttpApiClient;
  /** The server's last `process.memoryUsage()` line. */
  memory(): Record<string, number> | undefined;
}

/**
 * Boot `skiff up` on `dir/cluster.yaml` (written from `clusterYaml`, which
 * should put its data under `dir/data` and listen on 127.0.0.1:0), with an
 * HTTPS client of `sockets` sockets.
 */
export async function startServer(dir: string, clusterYaml: string, sockets: number): Promise<Server> {
  const config = path.join(dir, 'cluster.yaml');
  writeFileSync(config, clusterYaml);
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, '..', '..', 'cli', 'skiff.js'), 'up', '-f', config], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SKIFF_LOG_LEVEL: 'warn', SKIFF_MEMORY_LOG_MS: String(MEMORY_LOG_MS) },
  });
  let lastMemory: Record<string, number> | undefined;
  let pending = '';
  child.stderr!.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('skiff memory: ')) lastMemory = JSON.parse(line.slice('skiff memory: '.length));
      else process.stderr.write(`${line}\n`);
    }
  });
  const log = process.env.BENCH_SERVER_STDOUT ? createWriteStream(process.env.BENCH_SERVER_STDOUT) : undefined;
  if (log) child.stdout!.pipe(log);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (out.includes('skiff is running')) return;
      out += d.toString();
      if (out.includes('skiff is running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`skiff up exited with ${code}`)));
  });
  const kc = parseYaml(readFileSync(path.join(dir, 'data', 'kubeconfig'), 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ user: { token: string } }>;
  };
  const client = new HttpApiClient({
    server: kc.clusters[0].cluster.server,
    ca: Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64'),
    token: kc.users[0].user.token,
    maxSockets: sockets,
  });
  return { child, client, memory: () => lastMemory };
}
