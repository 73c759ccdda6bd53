/**
 * The state of one simulated node, as a container engine would hold it: its
 * images, pod sandboxes, containers (with their files and last log lines),
 * pod IPs, and the timer queue that moves containers through their lives.
 *
 * It outlives the runtime objects opened on it, as the Docker engine outlives
 * the agent's connection: an agent that restarts in the same process opens a
 * new runtime on the same node and finds (and adopts) what it had started.
 * While no runtime is open the node's queue holds no clock timer; what falls
 * due meanwhile happens when one opens again.
 *
 * Transitions are synchronous and happen here; waiting for them (a start, a
 * stop, a pull) is the runtime's business, through `observe`.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, type Duplex } from 'node:stream';
import type { Clock } from '../../kernel/client/clock';
import { RuntimeLabels, type ContainerConfig, type ContainerState, type PodSandboxConfig, type RuntimeEvent, type SandboxState } from '../../kernel/runtime/types';
import { behaviourOf, BehaviourError, scriptedEnd, type Behaviour } from './behaviour';
import { formatCidr, Ipv4Pool } from './cidr';
import { RUNS_UNTIL_STOPPED, runProcess, type ProcessContext, type SimulatedFiles } from './commands';
import { imageInfo, normalizeImage } from './images';
import { LogRing, type LogLine } from './log-ring';
import type { ResolvedNodeSettings } from './options';
import { TimerQueue, type TimerEntry } from './timer-queue';
import { SimulatedRuntimeError } from './errors';

/** Exit codes as the Docker engine reports a process ended by a signal (128 + signal number). */
export const EXIT_SIGTERM = 143;
export const EXIT_SIGKILL = 137;

export interface SandboxRecord {
  readonly id: string;
  readonly hostname: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt: number;
  state: SandboxState;
  ip?: string;
  readonly containers: Set<ContainerRecord>;
  /** Open port-forward connections (created on the first). */
  connections?: Set<Duplex>;
}

/** Told about a container's new log lines and changes of state (including removal). */
export interface ContainerObserver {
  line?(line: LogLine): void;
  changed?(): void;
}

export interface ContainerRecord {
  readonly id: string;
  readonly sandbox: SandboxRecord;
  readonly name: string;
  readonly image: string;
  readonly imageRef: string;
  readonly labels: Readonly<Record<string, string>>;
  /** command + args, as the process would see them (empty: the image's default, a server). */
  readonly argv: readonly string[];
  readonly env: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly workingDir: string;
  readonly openStdin: boolean;
  readonly stdinOnce: boolean;
  readonly behaviour: Behaviour;
  readonly createdAt: number;
  state: ContainerState;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  /** The pending start (between startContainer and running). */
  starting?: TimerEntry;
  /** Aborted when the process ends: stops the main process's script and every exec session in it. */
  process?: AbortController;
  /** The end the behaviour scripts (SIMULATED_EXIT_AFTER_MS and friends). */
  scripted?: TimerEntry;
  /** The exit after SIGTERM (termDelayMs). */
  termExit?: TimerEntry;
  /** The SIGKILL at the end of the grace period. */
  kill?: TimerEntry;
  /** The main process's stdin, when the container keeps it open (config.stdin). */
  stdin?: PassThrough;
  files?: SimulatedFiles;
  log?: LogRing;
  /** Output not yet ended by a newline, per stream. */
  partial?: { stdout?: string; stderr?: string };
  observers?: Set<ContainerObserver>;
  removed: boolean;
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class SimulatedNode {
  readonly queue: TimerQueue;
  readonly images = new Set<string>();
  readonly sandboxes = new Map<string, SandboxRecord>();
  readonly containers = new Map<string, ContainerRecord>();
  /** Told about every sandbox and container that appears, changes state or goes (ContainerRuntime.watchEvents). */
  readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private readonly pool: Ipv4Pool;
  private openRuntimes = 0;

  constructor(
    readonly nodeName: string,
    readonly settings: ResolvedNodeSettings,
    readonly clock: Clock,
  ) {
    this.queue = new TimerQueue(clock);
    this.queue.suspend();
    this.pool = new Ipv4Pool(settings.podCIDR);
    for (const image of settings.images) this.images.add(normalizeImage(image));
  }

  /** The node's pod range (`10.128.3.0/24`). */
  get podCIDR(): string {
    return formatCidr(this.settings.podCIDR);
  }

  /** A runtime opened on this node: time moves while at least one is open. */
  opened(): void {
    if (++this.openRuntimes === 1) this.queue.resume();
  }

  /** A runtime closed: with none left open, the node holds no timer. */
  closed(): void {
    if (--this.openRuntimes === 0) this.queue.suspend();
  }

  // ---- sandboxes ----

  runSandbox(config: PodSandboxConfig): SandboxRecord {
    let ip: string | undefined;
    if (!config.hostNetwork) {
      ip = this.pool.allocate();
      if (!ip) throw new SimulatedRuntimeError(`no free pod IP in ${this.podCIDR} on node ${this.nodeName} (${this.pool.capacity} in use)`);
    }
    const sandbox: SandboxRecord = {
      id: newId(),
      hostname: config.hostname,
      labels: Object.freeze({ ...config.labels }),
      createdAt: this.clock.now(),
      state: 'ready',
      ip,
      containers: new Set(),
    };
    this.sandboxes.set(sandbox.id, sandbox);
    this.emit(sandbox.id, sandbox.labels);
    return sandbox;
  }

  /** Kill what still runs in it, release its IP, drop its connections. Idempotent. */
  stopSandbox(sandbox: SandboxRecord): void {
    for (const c of sandbox.containers) this.forceStop(c, this.clock.now());
    if (sandbox.state === 'ready') {
      sandbox.state = 'notready';
      if (sandbox.ip) this.pool.release(sandbox.ip);
      sandbox.ip = undefined;
      this.emit(sandbox.id, sandbox.labels);
    }
    this.dropConnections(sandbox);
  }

  removeSandbox(sandbox: SandboxRecord): void {
    this.stopSandbox(sandbox);
    for (const c of [...sandbox.containers]) this.removeContainer(c);
    if (this.sandboxes.delete(sandbox.id)) this.emit(sandbox.id, sandbox.labels);
  }

  // ---- containers ----

  createContainer(sandbox: SandboxRecord, config: ContainerConfig): ContainerRecord {
    if (sandbox.state !== 'ready') throw new SimulatedRuntimeError(`sandbox ${sandbox.id} is not ready: cannot create container ${config.name} in it`);
    const normalized = normalizeImage(config.image);
    if (!this.images.has(normalized)) throw new SimulatedRuntimeError(`no such image: ${config.image} on node ${this.nodeName} (pull it first)`);
    let behaviour: Behaviour;
    try {
      behaviour = behaviourOf({ name: config.name, normalizedImage: normalized, env: config.env }, this.settings.behaviours);
    } catch (err) {
      if (err instanceof BehaviourError) throw new SimulatedRuntimeError(`container ${config.name}: ${err.message}`, undefined, { cause: err });
      throw err;
    }
    const container: ContainerRecord = {
      id: newId(),
      sandbox,
      name: config.name,
      image: config.image,
      imageRef: imageInfo(normalized).id,
      labels: Object.freeze({ ...config.labels }),
      argv: [...(config.command ?? []), ...(config.args ?? [])],
      env: config.env,
      workingDir: config.workingDir || '/',
      openStdin: config.stdin,
      stdinOnce: config.stdinOnce,
      behaviour,
      createdAt: this.clock.now(),
      state: 'created',
      removed: false,
    };
    this.containers.set(container.id, container);
    sandbox.containers.add(container);
    this.emit(container.id, container.labels);
    return container;
  }

  /** Begin the start delay; the container runs when it ends. */
  requestStart(c: ContainerRecord): void {
    if (c.state !== 'created' || c.starting) throw new SimulatedRuntimeError(`container ${c.id} (${c.name}) is ${c.starting ? 'already starting' : c.state}: only a created container can be started`);
    if (c.sandbox.state !== 'ready') throw new SimulatedRuntimeError(`sandbox ${c.sandbox.id} is not ready: cannot start container ${c.name}`);
    const delay = c.behaviour.startDelayMs ?? this.settings.startDelayMs;
    c.starting = this.queue.schedule(delay, (at) => this.begin(c, at));
    this.changed(c);
  }

  private begin(c: ContainerRecord, at: number): void {
    c.starting = undefined;
    c.state = 'running';
    c.startedAt = at;
    c.process = new AbortController();
    if (c.openStdin) c.stdin = new PassThrough();
    this.output(c, 'stdout', `simulated container ${c.name} started\n`, at);
    const end = scriptedEnd(c.behaviour);
    if (end) {
      c.scripted = this.queue.scheduleAt(at + end.afterMs, (due) => this.exit(c, due, end.exitCode, end.oom ? 'OOMKilled' : undefined));
    }
    this.changed(c);
    void this.runMain(c, end !== undefined);
  }

  /**
   * The main process: its command, interpreted; its end is the container's
   * unless the behaviour scripts the end. It keeps its own time (the due time
   * of what last woke it), so a node catching up after no runtime was open
   * replays each container's steps at the times they were due.
   */
  private async runMain(c: ContainerRecord, endScripted: boolean): Promise<void> {
    const process = c.process!;
    let now = c.startedAt!;
    const ctx = this.processContext(c, true, {
      stdout: (text) => this.output(c, 'stdout', text, now),
      stderr: (text) => this.output(c, 'stderr', text, now),
      stdin: c.stdin,
      sleep: async (ms) => {
        now = await this.sleepUntil(now + ms, process.signal);
      },
      woke: () => {
        now = Math.max(now, this.clock.now());
      },
    });
    let outcome;
    try {
      outcome = await runProcess(c.argv, ctx);
    } catch (err) {
      // Killed while it slept or read: the kill already decided how it ended.
      if (process.signal.aborted) return;
      // A fault in the simulator shows on this container, as a runtime failure
      // would on a real one, rather than taking down every node in the process.
      this.exit(c, now, 128, 'Error', `simulated runtime: the simulated process failed: ${(err as Error)?.message ?? String(err)}`);
      return;
    }
    if (process.signal.aborted || outcome === RUNS_UNTIL_STOPPED || endScripted) return;
    this.exit(c, now, outcome);
  }

  /** What a process in `c` runs with: its files and environment, and the I/O and time its caller gives it. */
  processContext(c: ContainerRecord, main: boolean, io: Pick<ProcessContext, 'stdout' | 'stderr' | 'stdin' | 'sleep' | 'woke'>): ProcessContext {
    const env = (name: string): string | undefined => {
      for (let i = c.env.length - 1; i >= 0; i--) if (c.env[i]!.name === name) return c.env[i]!.value;
      if (name === 'HOSTNAME') return c.sandbox.hostname;
      if (name === 'PATH') return DEFAULT_PATH;
      if (name === 'HOME') return '/root';
      return undefined;
    };
    return {
      files: (create) => (c.files ??= create ? new Map() : undefined),
      env,
      environment: () => {
        const names = new Set(c.env.map((e) => e.name));
        const base = [
          { name: 'PATH', value: DEFAULT_PATH },
          { name: 'HOSTNAME', value: c.sandbox.hostname },
          { name: 'HOME', value: '/root' },
        ].filter((e) => !names.has(e.name));
        return [...base, ...c.env];
      },
      workingDir: c.workingDir,
      hostname: c.sandbox.hostname,
      main,
      ...io,
    };
  }

  /**
   * Resolve with the due time at `at` (Infinity: never, only the kill ends
   * it), or reject when `signal` aborts. A time already passed resolves at
   * once, without a timer.
   */
  sleepUntil(at: number, signal: AbortSignal): Promise<number> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (at === Infinity) {
      return new Promise<number>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    if (at <= this.clock.now() && !this.queue.isSuspended) return Promise.resolve(at);
    return this.queue.sleepUntil(at, signal);
  }

  /**
   * SIGTERM now, SIGKILL `graceMs` later. A container that does not ignore
   * SIGTERM exits 143 after its termDelayMs (0 by default) if that is within
   * the grace period; otherwise the SIGKILL ends it with 137 at the deadline.
   * A repeated stop only ever brings the deadline forward.
   */
  terminate(c: ContainerRecord, graceMs: number): void {
    const now = this.clock.now();
    if (c.starting) {
      // Stopped before it ran: like `docker stop` on a created container, it stays created.
      this.queue.cancel(c.starting);
      c.starting = undefined;
      this.changed(c);
      return;
    }
    if (c.state !== 'running') return;
    const deadline = now + Math.max(0, graceMs);
    const firstSignal = !c.termExit && !c.kill;
    if (firstSignal) {
      this.output(c, 'stdout', `simulated container ${c.name} received SIGTERM\n`, now);
      const termDelay = c.behaviour.termDelayMs ?? 0;
      if (!c.behaviour.ignoreSigterm && now + termDelay <= deadline) {
        if (termDelay === 0) {
          this.exit(c, now, EXIT_SIGTERM);
          return;
        }
        c.termExit = this.queue.scheduleAt(now + termDelay, (at) => this.exit(c, at, EXIT_SIGTERM));
        return;
      }
    }
    const current = Math.min(c.kill?.at ?? Infinity, c.termExit?.at ?? Infinity);
    if (deadline >= current) return;
    if (deadline <= now) {
      this.exit(c, now, EXIT_SIGKILL);
      return;
    }
    this.queue.cancel(c.kill);
    c.kill = this.queue.scheduleAt(deadline, (at) => this.exit(c, at, EXIT_SIGKILL));
  }

  /** SIGKILL at once (sandbox stopped, container removed); a pending start is cancelled. */
  forceStop(c: ContainerRecord, at: number): void {
    if (c.starting) {
      this.queue.cancel(c.starting);
      c.starting = undefined;
      this.changed(c);
    }
    if (c.state === 'running') this.exit(c, at, EXIT_SIGKILL);
  }

  /** The process ended: record how, stop everything running in it, tell observers. */
  exit(c: ContainerRecord, at: number, exitCode: number, reason?: string, message?: string): void {
    if (c.state !== 'running') return;
    c.state = 'exited';
    c.finishedAt = at;
    c.exitCode = exitCode;
    c.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    if (message !== undefined) c.message = message;
    for (const entry of [c.scripted, c.termExit, c.kill]) this.queue.cancel(entry);
    c.scripted = c.termExit = c.kill = undefined;
    c.process?.abort(new SimulatedRuntimeError(`container ${c.name} exited`));
    c.process = undefined;
    c.stdin?.end();
    c.stdin = undefined;
    this.flush(c, at);
    this.changed(c);
    const sandbox = c.sandbox;
    if (sandbox.connections && ![...sandbox.containers].some((o) => o.state === 'running')) this.dropConnections(sandbox);
  }

  removeContainer(c: ContainerRecord): void {
    if (c.removed) return;
    // Marked first, so that a pending startContainer learns it was removed (not merely stopped).
    c.removed = true;
    this.forceStop(c, this.clock.now());
    c.sandbox.containers.delete(c);
    this.containers.delete(c.id);
    this.changed(c);
    c.observers = undefined;
    c.log = undefined;
    c.files = undefined;
  }

  // ---- output ----

  /** Process output into the log ring, line by line (a line without its newline waits for the rest). */
  output(c: ContainerRecord, stream: 'stdout' | 'stderr', text: string, at: number): void {
    if (text === '') return;
    const pending = c.partial?.[stream] ?? '';
    const lines = (pending + text).split('\n');
    const rest = lines.pop()!;
    if (rest !== '') (c.partial ??= {})[stream] = rest;
    else if (c.partial) delete c.partial[stream];
    for (const line of lines) this.logLine(c, { time: at, stream, text: line });
  }

  /** A process that ends flushes its last line, newline or not. */
  private flush(c: ContainerRecord, at: number): void {
    if (!c.partial) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = c.partial[stream];
      if (rest !== undefined) this.logLine(c, { time: at, stream, text: rest });
    }
    c.partial = undefined;
  }

  private logLine(c: ContainerRecord, line: LogLine): void {
    if (this.settings.logLines > 0) (c.log ??= new LogRing(this.settings.logLines)).push(line);
    if (c.observers) for (const o of [...c.observers]) o.line?.(line);
  }

  // ---- observers ----

  observe(c: ContainerRecord, observer: ContainerObserver): () => void {
    (c.observers ??= new Set()).add(observer);
    return () => {
      c.observers?.delete(observer);
      if (c.observers?.size === 0) c.observers = undefined;
    };
  }

  private changed(c: ContainerRecord): void {
    if (c.observers) for (const o of [...c.observers]) o.changed?.();
    this.emit(c.id, c.labels);
  }

  private emit(id: string, labels: Readonly<Record<string, string>>): void {
    if (this.listeners.size === 0) return;
    const event: RuntimeEvent = { id, podUid: labels[RuntimeLabels.podUid] ?? '' };
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // Deliberately absorbed: a listener's fault must not undo or half-do the change it was told about.
      }
    }
  }

  // ---- connections ----

  addConnection(sandbox: SandboxRecord, connection: Duplex): void {
    const connections = (sandbox.connections ??= new Set());
    connections.add(connection);
    connection.once('close', () => {
      connections.delete(connection);
      if (connections.size === 0 && sandbox.connections === connections) sandbox.connections = undefined;
    });
  }

  private dropConnections(sandbox: SandboxRecord): void {
    const connections = sandbox.connections;
    if (!connections) return;
    sandbox.connections = undefined;
    for (const connection of connections) connection.destroy(new SimulatedRuntimeError(`connection reset: the process listening in sandbox ${sandbox.id} is gone`, 'ECONNRESET'));
  }
}
