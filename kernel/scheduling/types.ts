/**
 * The scheduling framework's vocabulary, shared by the kernel hooks of the
 * scheduling group and every scheduling plugin (kube-scheduler's framework
 * types, trimmed to what the hooks exchange).
 */
import type { Pod, Node } from 'kubernetes-types/core/v1';

/** Outcome codes, as kube-scheduler's framework.Code. Faults are thrown errors, not statuses. */
export type SchedulingCode = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip';

/** An expected outcome of a scheduling plugin (never a thrown error). */
export interface SchedulingStatus {
  readonly code: SchedulingCode;
  /** Human-readable reasons, as they appear in the FailedScheduling event ("Insufficient cpu"). */
  readonly reasons: readonly string[];
  /** The plugin that produced it. */
  readonly plugin?: string;
}

export const SchedulingStatus = {
  success(): SchedulingStatus {
    return { code: 'Success', reasons: [] };
  },
  unschedulable(...reasons: string[]): SchedulingStatus {
    return { code: 'Unschedulable', reasons };
  },
  unresolvable(...reasons: string[]): SchedulingStatus {
    return { code: 'UnschedulableAndUnresolvable', reasons };
  },
  skip(): SchedulingStatus {
    return { code: 'Skip', reasons: [] };
  },
  wait(reason = ''): SchedulingStatus {
    return { code: 'Wait', reasons: reason ? [reason] : [] };
  },
} as const;

/** Per-attempt scratch space plugins share between extension points (framework.CycleState). */
export interface CycleState {
  read<T>(key: string): T | undefined;
  write<T>(key: string, value: T): void;
}

/** A node with the pods the scheduler believes it runs (including assumed ones). */
export interface NodeInfo {
  readonly node: Node;
  readonly pods: readonly Pod[];
  /** Sum of the requests of `pods`, in canonical units (cpu in millicores, memory in bytes). */
  readonly requested: Readonly<Record<string, number>>;
  readonly allocatable: Readonly<Record<string, number>>;
}

/** A pod waiting in the scheduling queue. */
export interface QueuedPodInfo {
  readonly pod: Pod;
  readonly timestamp: number;
  readonly attempts: number;
}

export interface NodeScore {
  readonly name: string;
  score: number;
}

/** What a PreFilter plugin may narrow the candidate nodes to. */
export interface PreFilterResult {
  readonly nodeNames?: ReadonlySet<string>;
  readonly status?: SchedulingStatus;
}

/** A PostFilter plugin's outcome (preemption): the node nominated, if any. */
export interface PostFilterResult {
  readonly nominatedNodeName?: string;
  readonly status: SchedulingStatus;
}

/** A Permit plugin's answer: Success, Unschedulable, or Wait up to `timeoutMs`. */
export interface PermitResult {
  readonly status: SchedulingStatus;
  readonly timeoutMs?: number;
}
