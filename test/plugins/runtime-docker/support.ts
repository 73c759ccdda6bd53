/**
 * Shared by the runtime-docker tests, which run against the real engine:
 * a clear failure when the engine or the local images are missing (never a
 * skip), a runtime per test file on a node name of its own, configs with
 * defaults, cleanup by that node label, and small stream helpers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { RuntimeLabels, type ContainerConfig, type PodSandboxConfig } from '../../../kernel/runtime/types';
import { DockerRuntime, dockerRuntimeFactory } from '../../../plugins/runtime-docker';
import { resolveOptions } from '../../../plugins/runtime-docker/options';

export const BUSYBOX = 'busybox:latest';
export const LOCAL_IMAGES = ['busybox:latest', 'busybox:1.36', 'skiff/pause:3.9'];

export const docker = new Docker({ socketPath: resolveOptions({}).socketPath });

/** Fails (with what to run) unless the engine answers and the local images exist. */
export async function requireEngine(): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(`Docker engine not reachable: run scripts/start-docker (as root) (${(err as Error).message})`);
  }
  const missing: string[] = [];
  for (const image of LOCAL_IMAGES) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      missing.push(image);
    }
  }
  if (missing.length > 0) throw new Error(`local images missing (${missing.join(', ')}): run scripts/images`);
}

/** One test file's node: its runtime, data dir, and cleanup of everything labelled with its name. */
export class TestNode {
  readonly name = `rt-test-${randomBytes(4).toString('hex')}`;
  readonly dataDir = mkdtempSync(path.join(os.tmpdir(), 'skiff-runtime-docker-'));
  runtime!: DockerRuntime;
  /** Whether the engine answered; cleanup after a failed start would only repeat the failure. */
  private started = false;

  async start(): Promise<DockerRuntime> {
    await requireEngine();
    this.started = true;
    this.runtime = (await dockerRuntimeFactory(resolveOptions({}))({ nodeName: this.name, settings: {}, dataDir: this.dataDir })) as DockerRuntime;
    return this.runtime;
  }

  /** Ids of every container (sandboxes too) labelled with this node. */
  async leftovers(): Promise<string[]> {
    if (!this.started) return [];
    const list = await docker.listContainers({ all: true, filters: { label: [`${RuntimeLabels.node}=${this.name}`] } });
    return list.map((c) => c.Id);
  }

  async removeAll(): Promise<void> {
    await Promise.all(
      (await this.leftovers()).map((id) =>
        docker
          .getContainer(id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
  }

  async stop(): Promise<void> {
    await this.removeAll();
    await this.runtime?.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

let pods = 0;

export function sandboxConfig(node: TestNode, overrides: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  const n = ++pods;
  const podName = overrides.podName ?? `pod-${n}`;
  const podUid = overrides.podUid ?? `uid-${randomBytes(6).toString('hex')}`;
  return {
    podUid,
    podName,
    namespace: 'default',
    hostname: podName,
    hostNetwork: false,
    portMappings: [],
    ...overrides,
    labels: {
      [RuntimeLabels.node]: node.name,
      [RuntimeLabels.podUid]: podUid,
      [RuntimeLabels.podName]: podName,
      [RuntimeLabels.podNamespace]: 'default',
      ...overrides.labels,
    },
  };
}

export function containerConfig(overrides: Partial<ContainerConfig> & { name: string }): ContainerConfig {
  return {
    image: BUSYBOX,
    env: [],
    mounts: [],
    stdin: false,
    stdinOnce: false,
    tty: false,
    resources: {},
    security: {},
    ...overrides,
    labels: { [RuntimeLabels.containerKind]: 'app', [RuntimeLabels.restartCount]: '0', ...overrides.labels },
  };
}

/** A sandbox plus one started container running `command`; returns both ids. */
export async function runContainer(
  node: TestNode,
  config: Partial<ContainerConfig> & { name: string },
  sandbox: Partial<PodSandboxConfig> = {},
): Promise<{ sandboxId: string; containerId: string }> {
  const sandboxId = await node.runtime.runPodSandbox(sandboxConfig(node, sandbox));
  const containerId = await node.runtime.createContainer(sandboxId, containerConfig(config));
  await node.runtime.startContainer(containerId);
  return { sandboxId, containerId };
}

/** A writable that keeps what it is given. */
export class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private waiters: Array<() => void> = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    callback();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** Resolves once the text collected so far matches `pattern`. */
  async waitFor(pattern: RegExp | string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const matches = () => (typeof pattern === 'string' ? this.text().includes(pattern) : pattern.test(this.text()));
    while (!matches()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(pattern)}; have ${JSON.stringify(this.text())}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.text();
  }
}

/** Poll `probe` until it returns something other than undefined; fail after the deadline. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Read a stream to its end as text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Run a command in a container and return its output and exit code. */
export async function execText(runtime: DockerRuntime, id: string, command: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const stdout = new Collector();
  const stderr = new Collector();
  const session = await runtime.exec(id, { command, stdout, stderr, tty: false });
  const exitCode = await session.done;
  return { stdout: stdout.text(), stderr: stderr.text(), exitCode };
}

/** The container's status once it has exited. */
export async function exited(runtime: DockerRuntime, id: string, timeoutMs = 20_000) {
  return eventually(
    `container ${id.slice(0, 12)} to exit`,
    async () => {
      const s = await runtime.containerStatus(id);
      return s?.state === 'exited' ? s : undefined;
    },
    timeoutMs,
  );
}
