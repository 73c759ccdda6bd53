/**
 * The three actions probes and lifecycle hooks share, run from the node as
 * the kubelet runs them: exec (in the container, through the runtime),
 * httpGet (from the node to the pod IP, or the given host) and tcpSocket.
 * Each returns an outcome with the output the kubelet would show, worded as
 * Go's errors are (`dial tcp 10.0.0.5:80: connect: connection refused`),
 * since that is what users search for.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { Writable } from 'node:stream';
import type { Container, ExecAction, HTTPGetAction, TCPSocketAction } from 'kubernetes-types/core/v1';
import type { Clock } from '../../kernel/client/clock';
import type { ContainerRuntime } from '../../kernel/runtime/types';
import { KUBERNETES_MAJOR, KUBERNETES_MINOR } from '../../kernel/api/version';

/** Success, failure, or unknown (the action could not be tried: a fault, not a verdict). */
export type ActionResult = 'success' | 'failure' | 'warning' | 'unknown';

export interface ActionOutcome {
  readonly result: ActionResult;
  /** What the action printed or why it failed. */
  readonly output: string;
  /** The request could not be made or answered at all (connection refused, timeout). */
  readonly transportError?: boolean;
}

/** The kubelet reads at most 10 KiB of probe output. */
const MAX_OUTPUT = 10 * 1024;

export interface ActionTarget {
  readonly runtime: ContainerRuntime;
  readonly containerId: string;
  readonly container: Container;
  /** The pod's IP (the host's for hostNetwork pods). */
  readonly podIP: string;
  readonly clock: Clock;
}

/** A writable that keeps the first `limit` bytes. */
class Capture extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit = MAX_OUTPUT) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    if (this.size < this.limit) {
      const part = chunk.subarray(0, this.limit - this.size);
      this.chunks.push(part);
      this.size += part.length;
    }
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Run a command in the container; exit 0 is success. Past `timeoutMs` (0: none) it is a failure. */
export async function runExec(action: ExecAction, target: ActionTarget, timeoutMs: number): Promise<ActionOutcome & { exitCode?: number }> {
  const command = action.command ?? [];
  const output = new Capture();
  const abort = new AbortController();
  let timedOut = false;
  const timer = timeoutMs > 0 ? target.clock.setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs) : undefined;
  try {
    const session = await target.runtime.exec(target.containerId, { command, stdout: output, stderr: output, tty: false, signal: abort.signal });
    const exitCode = await Promise.race([
      session.done,
      new Promise<number>((_resolve, reject) => abort.signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true })),
    ]);
    if (timedOut) return { result: 'failure', output: `command "${command.join(' ')}" timed out` };
    return { result: exitCode === 0 ? 'success' : 'failure', output: output.text(), exitCode };
  } catch (err) {
    if (timedOut) return { result: 'failure', output: `command "${command.join(' ')}" timed out` };
    return { result: 'unknown', output: (err as Error).message };
  } finally {
    if (timer) target.clock.clearTimeout(timer);
  }
}

/** A named port to its number, from the container's ports (Kubernetes' findPortByName). */
export function resolvePort(port: number | string | undefined, container: Container): number | { error: string } {
  if (typeof port === 'number') return port;
  if (port === undefined || port === '') return { error: 'port not specified' };
  if (/^\d+$/.test(port)) return Number(port);
  const found = (container.ports ?? []).find((p) => p.name === port);
  if (!found) return { error: `couldn't find port: ${port} in ${container.name}` };
  return found.containerPort;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Node's socket errors in the words of Go's net package. */
export function goDialError(err: NodeJS.ErrnoException, address: string): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${address}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${address}: connect: network is unreachable`;
    case 'ETIMEDOUT':
      return `dial tcp ${address}: i/o timeout`;
    case 'ECONNRESET':
      return `read tcp ${address}: read: connection reset by peer`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${address.replace(/:\d+$/, '')}: no such host`;
    default:
      return err.message;
  }
}

export const PROBE_USER_AGENT = `kube-probe/${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}`;

/** An HTTP GET; 200-399 is success (3xx a warning, as redirects are not followed). */
export function runHttpGet(action: HTTPGetAction, target: ActionTarget, timeoutMs: number): Promise<ActionOutcome> {
  const port = resolvePort(action.port as number | string, target.container);
  if (typeof port === 'object') return Promise.resolve({ result: 'unknown', output: port.error });
  const scheme = (action.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
  const host = action.host || target.podIP;
  let pathPart = action.path ?? '/';
  if (!pathPart.startsWith('/')) pathPart = `/${pathPart}`;
  const url = `${scheme}://${hostPort(host, port)}${pathPart}`;
  const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: ActionOutcome) => {
      if (settled) return;
      settled = true;
      if (timer) target.clock.clearTimeout(timer);
      resolve(outcome);
    };
    const lib = scheme === 'https' ? https : http;
    const req = lib.request(url, { method: 'GET', headers, ...(scheme === 'https' ? { rejectUnauthorized: false } : {}), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        if (size < MAX_OUTPUT) {
          chunks.push(d);
          size += d.length;
        }
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).subarray(0, MAX_OUTPUT).toString('utf8');
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) {
          finish(code >= 300 ? { result: 'warning', output: `Probe terminated redirects, Response body: ${body}` } : { result: 'success', output: body });
        } else {
          finish({ result: 'failure', output: `HTTP probe failed with statuscode: ${code}` });
        }
      });
      res.on('error', (err) => finish({ result: 'failure', output: `Get "${url}": ${err.message}`, transportError: true }));
    });
    const timer = timeoutMs > 0
      ? target.clock.setTimeout(() => {
          finish({ result: 'failure', output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, transportError: true });
          req.destroy();
        }, timeoutMs)
      : undefined;
    req.on('error', (err: NodeJS.ErrnoException) => finish({ result: 'failure', output: `Get "${url}": ${goDialError(err, hostPort(host, port))}`, transportError: true }));
    req.end();
  });
}

/** A TCP connect: success if it opens. */
export function runTcpSocket(action: TCPSocketAction, target: ActionTarget, timeoutMs: number): Promise<ActionOutcome> {
  const port = resolvePort(action.port as number | string, target.container);
  if (typeof port === 'object') return Promise.resolve({ result: 'unknown', output: port.error });
  const host = action.host || target.podIP;
  const address = hostPort(host, port);
  return new Promise((resolve) => {
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (outcome: ActionOutcome) => {
      if (settled) return;
      settled = true;
      if (timer) target.clock.clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = timeoutMs > 0 ? target.clock.setTimeout(() => finish({ result: 'failure', output: `dial tcp ${address}: i/o timeout` }), timeoutMs) : undefined;
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ result: 'failure', output: goDialError(err, address) }));
  });
}
