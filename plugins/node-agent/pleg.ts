/**
 * The pod lifecycle event generator (the kubelet's generic PLEG): relist the
 * runtime's sandboxes and containers for this node every relist period and
 * ask for a sync of every pod whose containers changed state (a container
 * exited, a sandbox died, something appeared or vanished). The runtime
 * contract has no event stream, and a relist is also what makes the agent
 * notice changes made behind its back (`docker kill`, `docker rm`).
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

export class Relister {
  /** id → `uid state` as seen by the last relist. */
  private last = new Map<string, { uid: string; state: string }>();
  private timer?: TimerHandle;
  private running?: Promise<void>;
  private stopped = false;
  private failing = false;
  /** Pod uids the runtime held at the last relist. */
  uids: ReadonlySet<string> = new Set();

  constructor(private readonly o: RelisterOptions) {}

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.running = this.relist().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.o.periodMs);
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
