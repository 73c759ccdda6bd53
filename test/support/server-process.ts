/**
 * A skiff API server in a child process (test/e2e/fixtures/apiserver.ts), for
 * tests that kill it with SIGKILL and start it again on the same data:
 * `startServerProcess(dataDir, plugins)` resolves once it serves, with an
 * HTTPS client; `stopServerProcesses` kills what is left and closes clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { HttpApiClient } from '../../kernel/client/http';

const root = path.join(__dirname, '..', '..');

export interface ServerProcess {
  child: ChildProcess;
  client: HttpApiClient;
}

/** Start a server on `dataDir` with cluster.yaml's `plugins` list (default none). */
export function startServerProcess(dataDir: string, plugins: unknown[] = []): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', path.join(root, 'test/support/register-ts.js'), path.join(root, 'test/e2e/fixtures/apiserver.ts'), dataDir, JSON.stringify(plugins)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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

/** Close every client and SIGKILL every server still running (test teardown). */
export async function stopServerProcesses(servers: ServerProcess[]): Promise<void> {
  for (const s of servers) {
    s.client.close();
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGKILL');
      await new Promise((r) => s.child.once('exit', r));
    }
  }
  servers.length = 0;
}

/** SIGKILL one server and wait until it is gone. */
export async function killServerProcess(server: ServerProcess): Promise<void> {
  server.child.kill('SIGKILL');
  await new Promise((r) => server.child.once('exit', r));
}
