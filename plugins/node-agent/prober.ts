/**
 * Startup, readiness and liveness probes, one worker per running container
 * and probe, as the kubelet's prober workers behave:
 *
 * - initial results: readiness fails, liveness succeeds, startup is unknown
 *   (the container is not `started` until its startup probe passes);
 * - nothing is probed before initialDelaySeconds after the container started,
 *   and readiness/liveness wait for the startup probe to pass;
 * - a result takes effect after successThreshold successes or
 *   failureThreshold failures in a row;
 * - every failed attempt records an Unhealthy event ("Liveness probe failed:
 *   ..."); a liveness or startup failure puts the worker on hold until the
 *   container is replaced (the pod sync kills it);
 * - each attempt is bounded by timeoutSeconds.
 *
 * A changed result asks for a pod sync (`onChange`), which updates status or
 * restarts the container. Timing goes through the Clock, scaled by
 * `probeTimeScale` (1 in production).
 */
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1';
import type { Clock, TimerHandle } from '../../kernel/client/clock';
import type { Logger } from '../../kernel/log';
import type { ContainerRuntime } from '../../kernel/runtime/types';
import type { ActionOutcome, ActionTarget } from './handlers';
import { runExec, runHttpGet, runTcpSocket } from './handlers';
import type { EventSink, InvolvedObject } from '../../kernel/client/events';

export type ProbeType = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

const TITLE: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export interface ProbeManagerOptions {
  readonly runtime: ContainerRuntime;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly logger: Logger;
  /** Multiplies every timing field (tests shorten probes this way). */
  readonly timeScale: number;
  /** A result changed: sync the pod. */
  readonly onChange: (podUid: string) => void;
}

/** What a worker needs to know about the container it probes. */
export interface ProbedContainer {
  readonly pod: Pod;
  readonly container: Container;
  readonly containerId: string;
  /** When the container started (ms since the epoch). */
  readonly startedAt: number;
  readonly podIP: string;
  readonly ref: InvolvedObject;
  /** Results to start from (an adopted container keeps what the API said). */
  readonly initial?: { readonly ready?: boolean; readonly started?: boolean };
}

/** Run one probe attempt: its handler with its timeout. */
export async function runProbe(probe: Probe, target: ActionTarget, timeoutMs: number): Promise<ActionOutcome> {
  if (probe.exec) return runExec(probe.exec, target, timeoutMs);
  if (probe.httpGet) return runHttpGet(probe.httpGet, target, timeoutMs);
  if (probe.tcpSocket) return runTcpSocket(probe.tcpSocket, target, timeoutMs);
  if (probe.grpc) return { result: 'unknown', output: 'grpc probes are not supported by this node' };
  return { result: 'unknown', output: 'missing probe handler' };
}

class ProbeWorker {
  result: ProbeResult;
  private lastResult: ProbeResult = 'unknown';
  private resultRun = 0;
  private onHold = false;
  private timer?: TimerHandle;
  private inFlight?: Promise<void>;
  private stopped = false;

  constructor(
    readonly type: ProbeType,
    private readonly spec: Probe,
    public target: ProbedContainer,
    private readonly manager: ProbeManager,
    private readonly o: ProbeManagerOptions,
  ) {
    this.result = type === 'readiness' ? 'failure' : type === 'liveness' ? 'success' : 'unknown';
    if (type === 'readiness' && target.initial?.ready) this.result = 'success';
    if (type === 'startup' && target.initial?.started) this.result = 'success';
  }

  private scaled(seconds: number | undefined, fallback: number): number {
    return Math.max(1, Math.round((seconds ?? fallback) * 1000 * this.o.timeScale));
  }

  start(): void {
    // The first attempt as soon as the initial delay allows it, then every period.
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
  }

  wait(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.inFlight = this.tick().finally(() => {
        this.inFlight = undefined;
        this.schedule(this.scaled(this.spec.periodSeconds, 10));
      });
    }, delay);
  }

  private async tick(): Promise<void> {
    if (this.onHold) return;
    const { target } = this;
    const sinceStart = this.o.clock.now() - target.startedAt;
    const initialDelay = (this.spec.initialDelaySeconds ?? 0) * 1000 * this.o.timeScale;
    if (sinceStart < initialDelay) return;
    if (this.type !== 'startup' && !this.manager.isStarted(target.containerId)) return;
    if (this.type === 'startup' && this.result === 'success') return;

    let outcome: ActionOutcome;
    try {
      outcome = await runProbe(this.spec, { runtime: this.o.runtime, containerId: target.containerId, container: target.container, podIP: target.podIP, clock: this.o.clock }, this.scaled(this.spec.timeoutSeconds, 1));
    } catch (err) {
      outcome = { result: 'unknown', output: (err as Error).message };
    }
    if (this.stopped) return;
    const title = TITLE[this.type];
    let result: ProbeResult;
    switch (outcome.result) {
      case 'success':
        result = 'success';
        break;
      case 'warning':
        this.o.events.record(target.ref, 'Warning', 'ProbeWarning', `${title} probe warning: ${outcome.output}`);
        result = 'success';
        break;
      case 'failure':
        this.o.events.record(target.ref, 'Warning', 'Unhealthy', `${title} probe failed: ${outcome.output}`);
        result = 'failure';
        break;
      default:
        this.o.events.record(target.ref, 'Warning', 'Unhealthy', `${title} probe errored: ${outcome.output}`);
        result = 'failure';
    }

    if (result === this.lastResult) this.resultRun++;
    else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    if ((result === 'failure' && this.resultRun < (this.spec.failureThreshold ?? 3)) || (result === 'success' && this.resultRun < (this.spec.successThreshold ?? 1))) return;

    const changed = this.result !== result;
    this.result = result;
    if ((this.type === 'liveness' || this.type === 'startup') && result === 'failure') {
      // The container will be restarted; probing it meanwhile could only race with its stop.
      this.onHold = true;
      this.resultRun = 0;
    }
    if (changed) this.o.onChange(target.pod.metadata?.uid ?? '');
  }
}

export class ProbeManager {
  /** containerId → probe type → worker. */
  private readonly workers = new Map<string, Map<ProbeType, ProbeWorker>>();
  /** podUid → its probed container ids. */
  private readonly byPod = new Map<string, Set<string>>();

  constructor(private readonly o: ProbeManagerOptions) {}

  /** Start the workers a running container needs (idempotent; updates the pod IP). */
  ensure(target: ProbedContainer): void {
    const uid = target.pod.metadata?.uid ?? '';
    let workers = this.workers.get(target.containerId);
    if (workers) {
      for (const w of workers.values()) w.target = { ...w.target, podIP: target.podIP, pod: target.pod };
      return;
    }
    workers = new Map();
    const probes: Array<[ProbeType, Probe | undefined]> = [
      ['startup', target.container.startupProbe],
      ['readiness', target.container.readinessProbe],
      ['liveness', target.container.livenessProbe],
    ];
    for (const [type, spec] of probes) {
      if (!spec) continue;
      const worker = new ProbeWorker(type, spec, target, this, this.o);
      workers.set(type, worker);
    }
    this.workers.set(target.containerId, workers);
    let ids = this.byPod.get(uid);
    if (!ids) this.byPod.set(uid, (ids = new Set()));
    ids.add(target.containerId);
    for (const w of workers.values()) w.start();
  }

  /** Stop the workers of the pod's containers that are not in `running`. */
  retain(podUid: string, running: ReadonlySet<string>): void {
    for (const id of [...(this.byPod.get(podUid) ?? [])]) if (!running.has(id)) this.remove(podUid, id);
  }

  removePod(podUid: string): void {
    this.retain(podUid, new Set());
    this.byPod.delete(podUid);
  }

  private remove(podUid: string, id: string): void {
    for (const w of this.workers.get(id)?.values() ?? []) w.stop();
    this.workers.delete(id);
    this.byPod.get(podUid)?.delete(id);
  }

  /** Started: no startup probe, or it passed. */
  isStarted(containerId: string): boolean {
    const w = this.workers.get(containerId)?.get('startup');
    return !w || w.result === 'success';
  }

  /** Ready as far as probes go: no readiness probe, or it passes. */
  isReady(containerId: string): boolean {
    const w = this.workers.get(containerId)?.get('readiness');
    return !w || w.result === 'success';
  }

  /** The liveness or startup probe has failed: the container must be restarted. */
  failed(containerId: string): 'liveness' | 'startup' | undefined {
    const workers = this.workers.get(containerId);
    if (workers?.get('liveness')?.result === 'failure') return 'liveness';
    if (workers?.get('startup')?.result === 'failure') return 'startup';
    return undefined;
  }

  /** Has workers for this container (it is probed). */
  has(containerId: string): boolean {
    return this.workers.has(containerId);
  }

  /** Stop every worker and wait for attempts in flight. */
  async stop(): Promise<void> {
    const all = [...this.workers.values()].flatMap((m) => [...m.values()]);
    for (const w of all) w.stop();
    await Promise.all(all.map((w) => w.wait()));
    this.workers.clear();
    this.byPod.clear();
  }
}
