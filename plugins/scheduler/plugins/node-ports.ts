/**
 * NodePorts: a pod that asks for host ports fits only nodes where none of
 * them is taken, as kube-scheduler's plugin of that name.
 *
 * The host ports are those of the app containers and of the init containers
 * with restartPolicy Always (sidecars, which keep running), as kube's
 * GetHostPorts. A port conflicts with one in use on the node when port and
 * protocol match and the IPs are equal or either is 0.0.0.0 (an empty hostIP
 * is 0.0.0.0, an empty protocol TCP).
 *
 * Extension points: PreFilter (collects the pod's host ports once; Skip when
 * it has none), Filter.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { SchedulingStatus, type CycleState, type FilterPlugin, type HostPort, type NodeInfo, type PreFilterPlugin } from '../../../kernel/scheduling/types';
import { hostPortsConflict } from '../framework/node-info';

const NAME = 'NodePorts';
const PRE_FILTER_KEY = `PreFilter${NAME}`;

/** kube-scheduler's reason, word for word. */
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

// Preempting the pods that hold the ports can free them: Unschedulable, not unresolvable.
const PORTS_TAKEN = SchedulingStatus.unschedulable(ERR_REASON_NODE_PORTS);

function addHostPorts(into: HostPort[], containers: readonly Container[] | undefined, sidecarsOnly: boolean): void {
  for (const c of containers ?? []) {
    if (sidecarsOnly && c.restartPolicy !== 'Always') continue;
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      into.push({ hostIP: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
}

/** The host ports `pod` binds while it runs: sidecar init containers' and app containers' (kube's GetHostPorts). */
export function wantedHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  addHostPorts(out, pod.spec?.initContainers, true);
  addHostPorts(out, pod.spec?.containers, false);
  return out;
}

export const NodePorts = {
  name: NAME,

  /** Collects the pod's host ports into the cycle state; Skip (no Filter call) when it asks for none. */
  preFilter(state: CycleState, pod: Pod): SchedulingStatus | undefined {
    const wanted = wantedHostPorts(pod);
    if (wanted.length === 0) return SchedulingStatus.skip();
    state.write(PRE_FILTER_KEY, wanted);
    return undefined;
  },

  /** Unschedulable when any wanted port conflicts with a port in use on the node. */
  filter(state: CycleState, _pod: Pod, node: NodeInfo): SchedulingStatus | undefined {
    const wanted = state.read<HostPort[]>(PRE_FILTER_KEY);
    if (!wanted) throw new Error(`plugin/${NAME}: no PreFilter state (${PRE_FILTER_KEY}); Filter was called without PreFilter`);
    const used = node.usedPorts;
    if (used.length === 0) return undefined;
    for (const want of wanted) for (const inUse of used) if (hostPortsConflict(want, inUse)) return PORTS_TAKEN;
    return undefined;
  },
} satisfies PreFilterPlugin & FilterPlugin;
