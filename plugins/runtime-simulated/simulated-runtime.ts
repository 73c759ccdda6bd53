/**
 * SimulatedRuntime: the ContainerRuntime contract over a SimulatedNode, for
 * rehearsing large clusters on one machine (like kwok's simulated nodes):
 * the real node agent drives it, and nothing runs. See README.md for what it
 * simulates and the rules that script containers.
 *
 * This object is one open connection to the node, as the agent's dockerode
 * client is to the Docker engine: `close()` ends its streams, exec sessions
 * and waits, and (when it was the last) stops the node's clock; the sandboxes
 * and containers stay on the node.
 */
import { PassThrough, Readable, type Duplex } from 'node:stream';
import type {
  ContainerConfig,
  ContainerFilter,
  ContainerRuntime,
  ContainerStatus,
  ExecOptions,
  ExecSession,
  ImageInfo,
  LogOptions,
  PodSandboxConfig,
  PodSandboxStatus,
  RuntimeEvent,
} from '../../kernel/runtime/types';
import { abortReason } from '../../kernel/client/clock';
import { imageInfo, normalizeImage, pullFailure } from './images';
import { renderLine, selectLines } from './log-ring';
import { runProcess, RUNS_UNTIL_STOPPED } from './commands';
import { SimulatedRuntimeError } from './errors';
import { linkSignals } from './linked-signal';
import { EXIT_SIGKILL, type ContainerRecord, type SandboxRecord, type SimulatedNode } from './simulated-node';

/** The runtime's name: nodes select it with `runtime: simulated`; pod status shows `simulated://<id>`. */
export const SIMULATED_RUNTIME_NAME = 'simulated';
/** Reported as nodeInfo.containerRuntimeVersion `simulated://0.1.0`. */
export const SIMULATED_RUNTIME_VERSION = '0.1.0';

/** What an attach session resolves with when the client detaches before the container exits (as runtime-docker reports it). */
export const DETACHED = 0;

export class SimulatedRuntime implements ContainerRuntime {
  readonly name = SIMULATED_RUNTIME_NAME;
  private readonly closing = new AbortController();

  constructor(readonly node: SimulatedNode) {
    node.opened();
  }

  /** Every change on the node, as it happens (the agent relists on these instead of every second). Ends with close(). */
  watchEvents(listener: (event: RuntimeEvent) => void): () => void {
    this.assertOpen();
    const unsubscribe = () => {
      this.node.listeners.delete(listener);
      this.closing.signal.removeEventListener('abort', unsubscribe);
    };
    this.node.listeners.add(listener);
    this.closing.signal.addEventListener('abort', unsubscribe, { once: true });
    return unsubscribe;
  }

  async version(): Promise<{ name: string; version: string }> {
    this.assertOpen();
    return { name: SIMULATED_RUNTIME_NAME, version: SIMULATED_RUNTIME_VERSION };
  }

  // ---- images ----

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    this.assertOpen();
    const normalized = normalizeImage(image);
    if (this.node.images.has(normalized)) return imageInfo(normalized);
    if (image.startsWith('sha256:')) {
      for (const name of this.node.images) if (imageInfo(name).id === image) return imageInfo(name);
    }
    return undefined;
  }

  /**
   * Every pull takes pullDelayMs and then succeeds, or fails as the name
   * says (unreachable registry, or listed in `unpullable`). A present image
   * is confirmed at once, as a registry confirms an unchanged digest.
   */
  async pullImage(image: string, signal?: AbortSignal): Promise<ImageInfo> {
    this.assertOpen();
    const normalized = normalizeImage(image);
    const failure = pullFailure(normalized, this.node.settings.unpullable);
    if (!failure && this.node.images.has(normalized)) return imageInfo(normalized);
    const linked = linkSignals([this.closing.signal, signal]);
    try {
      await this.node.queue.sleep(this.node.settings.pullDelayMs, linked.signal);
    } finally {
      linked.dispose();
    }
    if (failure) throw failure;
    this.node.images.add(normalized);
    return imageInfo(normalized);
  }

  async listImages(): Promise<ImageInfo[]> {
    this.assertOpen();
    return [...this.node.images].map(imageInfo);
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.assertOpen();
    return this.node.runSandbox(config).id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.assertOpen();
    const sandbox = this.node.sandboxes.get(id);
    if (sandbox) this.node.stopSandbox(sandbox);
  }

  async removePodSandbox(id: string): Promise<void> {
    this.assertOpen();
    const sandbox = this.node.sandboxes.get(id);
    if (sandbox) this.node.removeSandbox(sandbox);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    this.assertOpen();
    const sandbox = this.node.sandboxes.get(id);
    return sandbox && sandboxStatus(sandbox);
  }

  async listPodSandboxes(filter?: { labels?: Readonly<Record<string, string>> }): Promise<PodSandboxStatus[]> {
    this.assertOpen();
    const out: PodSandboxStatus[] = [];
    for (const sandbox of this.node.sandboxes.values()) if (labelsMatch(sandbox.labels, filter?.labels)) out.push(sandboxStatus(sandbox));
    return out;
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    this.assertOpen();
    const sandbox = this.node.sandboxes.get(sandboxId);
    if (!sandbox) throw new SimulatedRuntimeError(`no such sandbox: ${sandboxId}`);
    return this.node.createContainer(sandbox, config).id;
  }

  /** Resolves once the container runs (after its start delay); rejects if it is stopped or removed first. */
  async startContainer(id: string): Promise<void> {
    this.assertOpen();
    const c = this.container(id);
    this.node.requestStart(c);
    await this.waitFor(c, () => {
      if (c.state === 'running' || c.state === 'exited') return true;
      if (c.removed) throw new SimulatedRuntimeError(`container ${id} (${c.name}) was removed before it started`);
      if (!c.starting) throw new SimulatedRuntimeError(`container ${id} (${c.name}) was stopped before it started`);
      return undefined;
    });
  }

  /**
   * SIGTERM, then SIGKILL after `timeoutSeconds`; resolves when the container
   * has exited (143 from SIGTERM, 137 from SIGKILL; see README). Unknown ids
   * and containers not running resolve at once.
   */
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    this.assertOpen();
    const c = this.node.containers.get(id);
    if (!c) return;
    this.node.terminate(c, timeoutSeconds * 1000);
    await this.waitFor(c, () => (c.state !== 'running' || c.removed ? true : undefined));
  }

  async removeContainer(id: string): Promise<void> {
    this.assertOpen();
    const c = this.node.containers.get(id);
    if (c) this.node.removeContainer(c);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    this.assertOpen();
    const c = this.node.containers.get(id);
    return c && containerStatus(c);
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    this.assertOpen();
    const out: ContainerStatus[] = [];
    for (const c of this.node.containers.values()) {
      if (filter?.sandboxId !== undefined && c.sandbox.id !== filter.sandboxId) continue;
      if (labelsMatch(c.labels, filter?.labels)) out.push(containerStatus(c));
    }
    return out;
  }

  // ---- streams ----

  /**
   * Run a simulated command (README: exec) in a running container. Output
   * goes to the given streams, which are not ended; `done` resolves after the
   * last write is flushed. Abort, the container's exit, or close() kill it:
   * `done` resolves with 137.
   */
  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    this.assertOpen();
    const c = this.container(id);
    if (c.state !== 'running' || !c.process) throw new SimulatedRuntimeError(`container ${id} (${c.name}) is not running`);
    const linked = linkSignals([c.process.signal, this.closing.signal, options.signal]);
    const signal = linked.signal;
    const writes = new StreamWriter(signal);
    const stderr = options.stderr ?? (options.tty ? options.stdout : undefined);
    const ctx = this.node.processContext(c, false, {
      stdout: (text) => writes.write(options.stdout, text),
      stderr: (text) => writes.write(stderr, text),
      stdin: options.stdin,
      sleep: async (ms) => {
        await this.node.sleepUntil(this.node.clock.now() + ms, signal);
      },
      // An exec session's output carries no times.
      woke: () => undefined,
    });
    const killed = new Promise<number>((resolve) => {
      if (signal.aborted) resolve(EXIT_SIGKILL);
      else signal.addEventListener('abort', () => resolve(EXIT_SIGKILL), { once: true });
    });
    const run = runProcess(options.command, ctx).then(
      (outcome) => (outcome === RUNS_UNTIL_STOPPED ? killed : outcome),
      // A sleep or read cut short by the kill: the kill is the outcome.
      (err: unknown) => (signal.aborted ? EXIT_SIGKILL : Promise.reject(err)),
    );
    const done = Promise.race([run, killed]).then(async (code) => {
      linked.dispose();
      await writes.flushed();
      return code;
    });
    return { resize: () => undefined, done };
  }

  /**
   * Attach to the main process: its output from now on goes to stdout (and
   * stderr, or stdout with a tty); stdin feeds the process when the container
   * keeps stdin open. `done` resolves with the exit code, or DETACHED (0)
   * when the signal aborts first (the container keeps running, except that
   * a stdinOnce container's stdin is closed, as Docker does).
   */
  async attach(id: string, options: Omit<ExecOptions, 'command'>): Promise<ExecSession> {
    this.assertOpen();
    const c = this.container(id);
    if (c.state !== 'running') throw new SimulatedRuntimeError(`container ${id} (${c.name}) is not running: cannot attach to it`);
    const linked = linkSignals([this.closing.signal, options.signal]);
    const signal = linked.signal;
    const writes = new StreamWriter(signal);
    const stderr = options.stderr ?? (options.tty ? options.stdout : undefined);
    const stdin = c.stdin;
    let detachStdin: (() => void) | undefined;
    if (options.stdin && stdin) detachStdin = feed(options.stdin, stdin, c.stdinOnce);
    const done = new Promise<number>((resolve) => {
      let finished = false;
      const finish = (code: number): void => {
        if (finished) return;
        finished = true;
        stop();
        signal.removeEventListener('abort', onAbort);
        linked.dispose();
        detachStdin?.();
        if (code === DETACHED && c.stdinOnce) stdin?.end();
        void writes.flushed().then(() => resolve(code));
      };
      const onAbort = (): void => finish(DETACHED);
      const stop = this.node.observe(c, {
        line: (line) => writes.write(line.stream === 'stdout' ? options.stdout : stderr, `${line.text}\n`),
        changed: () => {
          if (c.state === 'exited' || c.removed) finish(c.exitCode ?? EXIT_SIGKILL);
        },
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    return { resize: () => undefined, done };
  }

  /** The container's kept lines (README: logs), then with `follow` new ones until it exits, is removed, or the signal aborts. */
  async logs(id: string, options: LogOptions): Promise<Readable> {
    this.assertOpen();
    const c = this.container(id);
    let budget = options.limitBytes ?? Infinity;
    let stop: (() => void) | undefined;
    let onAbort: (() => void) | undefined;
    const linked = linkSignals([this.closing.signal, options.signal]);
    const signal = linked.signal;
    const release = (): void => {
      stop?.();
      stop = undefined;
      if (onAbort) signal.removeEventListener('abort', onAbort);
      onAbort = undefined;
      linked.dispose();
    };
    const stream = new Readable({
      read() {},
      destroy(err, callback) {
        release();
        callback(err);
      },
    });
    const end = (): void => {
      release();
      stream.push(null);
    };
    /** Push one line within the byte budget; false once the budget is spent. */
    const push = (text: string): boolean => {
      const bytes = Buffer.byteLength(text);
      if (bytes <= budget) {
        budget -= bytes;
        stream.push(text);
        return budget > 0;
      }
      if (budget > 0) stream.push(Buffer.from(text).subarray(0, budget));
      budget = 0;
      return false;
    };
    let open = budget > 0;
    for (const line of selectLines(c.log?.toArray() ?? [], options)) {
      if (!open) break;
      open = push(renderLine(line, options.timestamps));
    }
    if (!open || !options.follow || c.state === 'exited' || c.removed || signal.aborted) {
      end();
      return stream;
    }
    stop = this.node.observe(c, {
      line: (line) => {
        if (!push(renderLine(line, options.timestamps))) end();
      },
      changed: () => {
        if (c.state === 'exited' || c.removed) end();
      },
    });
    onAbort = end;
    signal.addEventListener('abort', onAbort, { once: true });
    return stream;
  }

  /**
   * A connection to `port` in the sandbox: an in-memory echo (what is written
   * is read back). Refused (code ECONNREFUSED) until a container in the
   * sandbox runs and has passed its ready delay; reset when the last one
   * exits or the sandbox stops.
   */
  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    this.assertOpen();
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SimulatedRuntimeError(`port ${port} is not a port number (1-65535)`);
    const sandbox = this.node.sandboxes.get(sandboxId);
    if (!sandbox) throw new SimulatedRuntimeError(`no such sandbox: ${sandboxId}`);
    if (sandbox.state !== 'ready') throw new SimulatedRuntimeError(`sandbox ${sandboxId} is not ready: cannot forward port ${port}`);
    const now = this.node.clock.now();
    const running = [...sandbox.containers].filter((c) => c.state === 'running');
    const listening = running.find((c) => now >= c.startedAt! + (c.behaviour.readyAfterMs ?? this.node.settings.readyDelayMs));
    if (!listening) {
      const why = running.length === 0 ? 'no container in the sandbox is running' : 'its containers are still warming up (ready delay)';
      throw new SimulatedRuntimeError(`connection refused: nothing listens on port ${port} in sandbox ${sandboxId} (${why})`, 'ECONNREFUSED');
    }
    const connection = new PassThrough();
    this.node.addConnection(sandbox, connection);
    const onClose = (): void => {
      connection.destroy();
    };
    this.closing.signal.addEventListener('abort', onClose, { once: true });
    connection.once('close', () => this.closing.signal.removeEventListener('abort', onClose));
    return connection;
  }

  /** End this connection's streams, sessions and waits; the node keeps its containers (and, with no runtime open, holds no timer). */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort(new SimulatedRuntimeError(`runtime for node ${this.node.nodeName} is closed`));
    this.node.closed();
  }

  // ---- helpers ----

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw abortReason(this.closing.signal);
  }

  private container(id: string): ContainerRecord {
    const c = this.node.containers.get(id);
    if (!c) throw new SimulatedRuntimeError(`no such container: ${id}`);
    return c;
  }

  /** Resolve when `check` returns a value (checked now and on every change of `c`); reject when it throws or on close. */
  private waitFor<T>(c: ContainerRecord, check: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let stop = (): void => undefined;
      const settle = (): boolean => {
        let value: T | undefined;
        try {
          value = check();
        } catch (err) {
          cleanup();
          reject(err);
          return true;
        }
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const onClose = (): void => {
        cleanup();
        reject(abortReason(this.closing.signal));
      };
      const cleanup = (): void => {
        stop();
        this.closing.signal.removeEventListener('abort', onClose);
      };
      if (settle()) return;
      if (this.closing.signal.aborted) {
        onClose();
        return;
      }
      stop = this.node.observe(c, { changed: () => void settle() });
      this.closing.signal.addEventListener('abort', onClose, { once: true });
    });
  }
}

function labelsMatch(labels: Readonly<Record<string, string>>, wanted?: Readonly<Record<string, string>>): boolean {
  if (!wanted) return true;
  for (const key in wanted) if (labels[key] !== wanted[key]) return false;
  return true;
}

function sandboxStatus(s: SandboxRecord): PodSandboxStatus {
  return {
    id: s.id,
    state: s.state,
    createdAt: new Date(s.createdAt),
    ...(s.ip !== undefined ? { ip: s.ip } : {}),
    labels: s.labels,
  };
}

function containerStatus(c: ContainerRecord): ContainerStatus {
  return {
    id: c.id,
    sandboxId: c.sandbox.id,
    name: c.name,
    state: c.state,
    createdAt: new Date(c.createdAt),
    ...(c.startedAt !== undefined ? { startedAt: new Date(c.startedAt) } : {}),
    ...(c.finishedAt !== undefined ? { finishedAt: new Date(c.finishedAt), exitCode: c.exitCode, reason: c.reason } : {}),
    ...(c.message !== undefined ? { message: c.message } : {}),
    image: c.image,
    imageRef: c.imageRef,
    labels: c.labels,
  };
}

/**
 * Writes to caller-owned streams, remembering the last write so the session
 * can end after its output; writes after a kill are dropped (a killed process
 * writes nothing more). A stream that errors (the client went away) is
 * ignored: the session's outcome is the exit code, not the delivery.
 */
class StreamWriter {
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly signal: AbortSignal) {}

  write(stream: NodeJS.WritableStream | undefined, text: string): void {
    if (!stream || this.signal.aborted || text === '') return;
    const target = stream as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
    if (target.destroyed || target.writableEnded) return;
    this.last = new Promise<void>((resolve) => {
      target.write(text, () => resolve());
    });
  }

  flushed(): Promise<void> {
    return this.last;
  }
}

/** Copy an attached client's stdin into the process's stdin (ending it too when stdinOnce); returns how to stop copying. */
function feed(from: Readable, to: PassThrough, once: boolean): () => void {
  const onData = (chunk: Buffer | string): void => {
    if (!to.writableEnded) to.write(chunk);
  };
  const onEnd = (): void => {
    if (once) to.end();
  };
  from.on('data', onData);
  from.once('end', onEnd);
  return () => {
    from.off('data', onData);
    from.off('end', onEnd);
  };
}
