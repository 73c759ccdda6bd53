/**
 * The `skiff` command as a user runs it: `config validate` (good and bad
 * files, exit codes, located messages), `version`, and `up`, which serves,
 * writes an admin kubeconfig, and stops cleanly on SIGINT and SIGTERM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { HttpApiClient } from '../../kernel/client/http';

const root = path.join(__dirname, '..', '..');
const cli = path.join(root, 'cli', 'skiff.ts');
const hook = path.join(root, 'test', 'support', 'register-ts.js');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function skiff(args: string[]) {
  return spawnSync(process.execPath, ['-r', hook, cli, ...args], { encoding: 'utf8', cwd: dir });
}

test('config validate accepts the default distribution', () => {
  const r = skiff(['config', 'validate', '-f', path.join(root, 'examples', 'cluster.yaml')]);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/examples\/cluster\.yaml: valid \(\d+ plugins?, \d+ nodes?\)\n/);
  expect(r.status).toBe(0);
});

test('config validate names the file, line, path and reason, and exits 1', () => {
  const file = path.join(dir, 'cluster.yaml');
  writeFileSync(file, 'apiVersion: skiff.dev/v1alpha1\nkind: Cluster\napi:\n  listen: 127.0.0.1:99999\nplugins:\n  - no-such-plugin\n');
  const r = skiff(['config', 'validate', '-f', file]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`${file}:4:3: api.listen: port 99999 is out of range (0-65535)`);
});

test('config validate reports unknown plugins with where they were looked for', () => {
  const file = path.join(dir, 'cluster.yaml');
  writeFileSync(file, 'apiVersion: skiff.dev/v1alpha1\nkind: Cluster\nplugins:\n  - no-such-plugin\n');
  const r = skiff(['config', 'validate', '-f', file]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`${file}:4:5: plugins[0].name: plugin/no-such-plugin: not a built-in plugin`);
});

test('version', () => {
  const r = skiff(['version']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^skiff \d+\.\d+\.\d+\nKubernetes API: v1\.\d+\.\d+\+skiff\.\d+\.\d+\.\d+\n/);
});

test('unknown commands print usage and exit 2', () => {
  const r = skiff(['frobnicate']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('skiff: unknown command "frobnicate"');
  expect(r.stderr).toContain('skiff up [-f FILE]');
});

test.each(['SIGINT', 'SIGTERM'] as const)('up serves, writes a kubeconfig, and stops cleanly on %s', async (signal) => {
  const dataDir = path.join(dir, 'data');
  const child = spawn(process.execPath, ['-r', hook, cli, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!out.includes('Press Ctrl-C to stop.')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`skiff up did not start:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const kubeconfig = path.join(dataDir, 'kubeconfig');
  expect(out).toContain(`export KUBECONFIG=${kubeconfig}`);
  const cfg = parseYaml(readFileSync(kubeconfig, 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ user: { token: string } }>;
  };
  const client = new HttpApiClient({
    server: cfg.clusters[0].cluster.server,
    ca: Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64'),
    token: cfg.users[0].user.token,
  });
  const namespaces = await client.list({ group: '', version: 'v1', resource: 'namespaces' });
  expect(namespaces.items.map((n) => n.metadata?.name).sort()).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  client.close();
  child.kill(signal);
  expect(await exited).toBe(0);
  expect(err).toContain(`skiff: ${signal}, shutting down`);
  // The store released its lock: the data directory can be opened again.
  expect(existsSync(path.join(dataDir, 'store', 'LOCK'))).toBe(false);
});
