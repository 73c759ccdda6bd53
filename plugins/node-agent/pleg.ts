/**
 * The pod lifecycle event generator (the kubelet's generic PLEG): relist the
 * runtime's sandboxes and containers for this node every relist period and
 * ask for a sync of every pod whose containers changed state (a container
 * exited, a sandbox died, something appeared or vanished). A relist is also
 * what makes the agent notice changes made behind its back (`docker kill`,
 * `docker rm`).
 *
 * A runtime that reports its changes (`watchEvents`, like CRI's container
 * events behind the kubelet's Evented PLEG) is relisted when it reports one,
 * and otherwise only every EVENTED_RELIST_MS as a safety net (the kubelet's
 * 300 s): 1,000 simulated nodes relisting every second built 20,000 status
 * objects a second for nothing, the largest source of garbage at steady state.
 */
import type { Clock, TimerHandle } from '../../kernel/client/clock';
import type { Logger } from '../../kernel/log';
import type { ContainerRuntime } from '../../kernel/runtime/types';
import { RuntimeLabels } from '../../kernel/runtime/types';

export interface RelisterOptions {
  readonly runtime: ContainerRuntime;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly periodMs: number;
  /** Pods whose runtime state changed (by uid). */
  readonly onChange: (uids: ReadonlySet<string>) => void;
}

/** With a runtime that reports its changes, the periodic relist only catches what a report might have missed (the kubelet's Evented PLEG: 300 s). */
export const EVENTED_RELIST_MS = 300_000;

export class Relister {
  /** id → `uid state` as seen by the last relist. */
  private last = new Map<string, { uid: string; state: string }>();
  private timer?: TimerHandle;
  private soonTimer?: TimerHandle;
  private running?: Promise<void>;
  /** A report arrived while a relist ran: relist again after it. */
  private again = false;
  private unsubscribe?: () => void;
  private stopped = false;
  private failing = false;
  /** Pod uids the runtime held at the last relist. */
  uids: ReadonlySet<string> = new Set();

  constructor(private readonly o: RelisterOptions) {}

  /** Relist every period from now on (and on the runtime's reports, if it makes them). */
  start(): void {
    if (this.o.runtime.watchEvents) {
      this.unsubscribe = this.o.runtime.watchEvents(() => this.soon());
      // Anything reported between the caller's first relist and now.
      this.soon();
    }
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    if (this.soonTimer) this.o.clock.clearTimeout(this.soonTimer);
    await this.running;
  }

  /** The relist period in use: the configured one, or the safety net when the runtime reports changes. */
  get periodMs(): number {
    return this.o.runtime.watchEvents ? Math.max(this.o.periodMs, EVENTED_RELIST_MS) : this.o.periodMs;
  }

  private schedule(): void {
    if (this.stopped) return;
    // A runtime that failed to answer is asked again at the configured period, reports or not.
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, this.failing ? this.o.periodMs : this.periodMs);
  }

  /** Relist on the next turn (the reports of one burst of changes make one relist). */
  private soon(): void {
    if (this.stopped || this.soonTimer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.soonTimer = this.o.clock.setTimeout(() => {
      this.soonTimer = undefined;
      this.run(false);
    }, 0);
  }

  /** One relist at a time: one asked for meanwhile runs after it. */
  private run(periodic = true): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      if (periodic) this.schedule();
      return;
    }
    this.running = this.relist().finally(() => {
      this.running = undefined;
      if (periodic) this.schedule();
      if (this.again) {
        this.again = false;
        this.soon();
      }
    });
  }

  /** One relist (also called directly at start-up and by tests). */
  async relist(): Promise<void> {
    const labels = { [RuntimeLabels.node]: this.o.nodeName };
    let next: Map<string, { uid: string; state: string }>;
    try {
      const [sandboxes, containers] = await Promise.all([this.o.runtime.listPodSandboxes({ labels }), this.o.runtime.listContainers({ labels })]);
      next = new Map();
      for (const s of sandboxes) next.set(s.id, { uid: s.labels[RuntimeLabels.podUid] ?? '', state: `sandbox:${s.state}` });
      for (const c of containers) next.set(c.id, { uid: c.labels[RuntimeLabels.podUid] ?? '', state: `${c.state}:${c.exitCode ?? ''}` });
      if (this.failing) this.o.logger.info('container runtime answers again');
      this.failing = false;
    } catch (err) {
      // Deliberately absorbed: the runtime being down shows in node status; the next relist tries again.
      if (!this.failing) this.o.logger.error(`relisting the container runtime failed: ${(err as Error).message}`);
      this.failing = true;
      return;
    }
    const changed = new Set<string>();
    for (const [id, now] of next) {
      const before = this.last.get(id);
      if (!before || before.state !== now.state) changed.add(now.uid);
    }
    for (const [id, before] of this.last) if (!next.has(id)) changed.add(before.uid);
    changed.delete('');
    this.last = next;
    this.uids = new Set([...next.values()].map((v) => v.uid).filter(Boolean));
    if (changed.size > 0) this.o.onChange(changed);
  }
}
