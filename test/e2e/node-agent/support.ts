/**
 * Shared by the node agent's end-to-end tests on the real Docker engine: a
 * clear failure when the engine or the local images are missing (never a
 * skip), a node name of the test file's own, cleanup of every container
 * labelled with it, polling with deadlines, and small kubectl helpers.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type Docker from 'dockerode';
import { RuntimeLabels } from '../../../kernel/runtime/types';
import { docker } from '../../plugins/runtime-docker/support';
import type { KubectlRunner } from '../../support/kubectl';
import { kubectlFor, kubectlVersions } from '../../support/kubectl';

// The engine client and the check that the engine and the local images are there: the runtime-docker tests' own.
export { docker, requireEngine as requireDocker } from '../../plugins/runtime-docker/support';

/** A node name no other test uses. */
export function uniqueNodeName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Every container (sandboxes too) the node's runtime made, as the engine lists them. */
export async function nodeContainers(node: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${RuntimeLabels.node}=${node}`] } });
}

/** Remove everything labelled with the node (test teardown). */
export async function removeNodeContainers(node: string): Promise<void> {
  let list: Docker.ContainerInfo[];
  try {
    list = await nodeContainers(node);
  } catch {
    return; // no engine: nothing was created
  }
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
}

/** Poll `check` until it returns a value (not undefined) or `timeoutMs` passes; the error names what was awaited and the last value seen. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The oldest and the newest kubectl on the machine (SPDY-only 1.27 and a WebSocket one). */
export function oldestAndNewest(kubeconfig: string): KubectlRunner[] {
  const all = kubectlVersions();
  const picked = all.length > 1 ? [all[0], all[all.length - 1]] : all;
  return picked.map((k) => kubectlFor(k, kubeconfig));
}

/** `kubectl get pod NAME` as columns: READY, STATUS, RESTARTS (the number), AGE, IP, NODE. */
export async function podColumns(k: KubectlRunner, name: string, namespace = 'default'): Promise<{ ready: string; status: string; restarts: number; ip: string; node: string }> {
  const out = await k.ok(['get', 'pod', name, '-n', namespace, '-o', 'wide', '--no-headers']);
  // NAME READY STATUS RESTARTS [(Xs ago)] AGE IP NODE NOMINATED READINESS
  const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\d+)(?: \([^)]*\))?\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out.trim());
  if (!m) throw new Error(`unexpected kubectl get output: ${out}`);
  return { ready: m[2], status: m[3], restarts: Number(m[4]), ip: m[6], node: m[7] };
}

/** GET a URL from this host (the node): status and body. */
export function httpGet(url: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}
