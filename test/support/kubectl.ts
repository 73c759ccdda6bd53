/**
 * Run the real kubectl binaries this machine has against a test cluster.
 * Every version is exercised: the machine image carries kubectl 1.27 to 1.33
 * side by side; elsewhere `scripts/setup` installs Debian's kubernetes-client.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Kubectl {
  /** e.g. "1.32" */
  version: string;
  binary: string;
}

const SDK_DIR = '/usr/lib/google-cloud-sdk/bin';

/** Every kubectl on the machine, oldest first. Throws (failing the test) when there is none. */
export function kubectlVersions(): Kubectl[] {
  const found: Kubectl[] = [];
  if (existsSync(SDK_DIR)) {
    for (const name of readdirSync(SDK_DIR)) {
      const m = /^kubectl\.(\d+\.\d+)$/.exec(name);
      if (m) found.push({ version: m[1], binary: path.join(SDK_DIR, name) });
    }
  }
  if (found.length === 0) {
    const which = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
    const binary = which.stdout.trim();
    if (binary) {
      const v = spawnSync(binary, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
      let version = 'unknown';
      try {
        const info = JSON.parse(v.stdout) as { clientVersion: { major: string; minor: string } };
        version = `${info.clientVersion.major}.${info.clientVersion.minor.replace(/\D.*$/, '')}`;
      } catch {
        // An unparseable version still runs; the tests name it "unknown".
      }
      found.push({ version, binary });
    }
  }
  if (found.length === 0) throw new Error('no kubectl found: run scripts/setup (it installs Debian\'s kubernetes-client) or install kubectl');
  return found.sort((a, b) => Number(a.version.split('.')[1]) - Number(b.version.split('.')[1]));
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlRunner {
  readonly version: string;
  run(args: string[], options?: { input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<KubectlResult>;
  /** Run and require success (exit 0 and an empty stderr unless allowStderr). */
  ok(args: string[], options?: { input?: string; env?: Record<string, string>; allowStderr?: boolean }): Promise<string>;
}

export function kubectlFor(k: Kubectl, kubeconfig: string): KubectlRunner {
  // A fresh cache per runner: discovery and OpenAPI must be fetched from this server.
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), `kubectl-cache-${k.version}-`));
  const run = (args: string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}) =>
    new Promise<KubectlResult>((resolve, reject) => {
      const child = spawn(k.binary, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(options.input ?? '');
    });
  return {
    version: k.version,
    run,
    async ok(args, options = {}) {
      const r = await run(args, options);
      if (r.code !== 0 || (!options.allowStderr && r.stderr.trim() !== '')) {
        throw new Error(`kubectl ${k.version} ${args.join(' ')} failed (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      }
      return r.stdout;
    },
  };
}
