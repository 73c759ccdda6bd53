import type { Node, Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import type { SchedulingStatus } from '../../../../kernel/scheduling/types';
import { computePodInfo } from '../../../../plugins/scheduler/framework/pod-info';
import { PodTopologySpread } from '../../../../plugins/scheduler/plugins/pod-topology-spread';
import { makeNode, makePod, PluginHarness, snapshotOf } from '../support';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

const FITS = 'fits';
const SKEW = "Unschedulable: node(s) didn't match pod topology spread constraints";
const MISSING = "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)";

function outcome(statuses: Record<string, SchedulingStatus | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(statuses).map(([n, s]) => [n, s ? `${s.code}: ${s.reasons.join(', ')}` : FITS]));
}

function zoned(name: string, zone: string | undefined, more: Partial<Parameters<typeof makeNode>[0]> = {}): Node {
  return makeNode({ name, ...more, labels: { ...(zone ? { [ZONE]: zone } : {}), ...(more.labels ?? {}) } });
}

// z1: n1, n2; z2: n3, n4; n5 has no zone label.
const NODES = [zoned('n1', 'z1'), zoned('n2', 'z1'), zoned('n3', 'z2'), zoned('n4', 'z2'), zoned('n5', undefined)];

let seq = 0;
function on(nodeName: string, labels: Record<string, string> = { app: 'web' }, namespace?: string): Pod {
  return makePod({ name: `p${++seq}`, nodeName, labels, namespace });
}

function spread(topologyKey: string, maxSkew: number, more: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint {
  return { topologyKey, maxSkew, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...more };
}

function incoming(constraints: TopologySpreadConstraint[], more: Partial<Parameters<typeof makePod>[0]> = {}): Pod {
  return makePod({ name: 'in', labels: { app: 'web' }, topologySpreadConstraints: constraints, ...more });
}

describe('PodTopologySpread filter', () => {
  test.each<{ name: string; nodes?: Node[]; pod: Pod; pods: Pod[]; args?: Record<string, unknown>; owners?: Array<Record<string, string>>; want: Record<string, string> }>([
    {
      name: 'no constraints and no owner: nothing to check',
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [on('n1'), on('n1')],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: FITS },
    },
    {
      // z1 = 2, z2 = 1: 2 + 1 - 1 > 1 in z1; 1 + 1 - 1 in z2
      name: 'maxSkew 1 over zones: only the emptier zone; a node without the zone label is unresolvable',
      pod: incoming([spread(ZONE, 1)]),
      pods: [on('n1'), on('n2'), on('n3')],
      want: { n1: SKEW, n2: SKEW, n3: FITS, n4: FITS, n5: MISSING },
    },
    {
      name: 'maxSkew 1 over balanced zones: either zone',
      pod: incoming([spread(ZONE, 1)]),
      pods: [on('n1'), on('n3')],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: MISSING },
    },
    {
      name: 'maxSkew 2 tolerates a difference of two',
      pod: incoming([spread(ZONE, 2)]),
      pods: [on('n1'), on('n2'), on('n3')],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: MISSING },
    },
    {
      // the pod does not match its own selector, so it adds nothing: 2 + 0 - 1 <= 1
      name: 'a pod outside its own selector adds nothing to the skew',
      pod: incoming([spread(ZONE, 1)], { labels: { app: 'batch' } }),
      pods: [on('n1'), on('n2'), on('n3')],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: MISSING },
    },
    {
      name: 'maxSkew 1 over hostnames: the global minimum is an empty node',
      pod: incoming([spread(HOST, 1)]),
      pods: [on('n1'), on('n3'), on('n3')],
      want: { n1: SKEW, n2: FITS, n3: SKEW, n4: FITS, n5: FITS },
    },
    {
      // two domains < minDomains 3: the global minimum counts as 0, so 1 + 1 - 0 > 1 everywhere
      name: 'minDomains above the number of domains makes the global minimum 0',
      pod: incoming([spread(ZONE, 1, { minDomains: 3 })]),
      pods: [on('n1'), on('n3')],
      want: { n1: SKEW, n2: SKEW, n3: SKEW, n4: SKEW, n5: MISSING },
    },
    {
      name: 'minDomains met: the real global minimum',
      pod: incoming([spread(ZONE, 1, { minDomains: 2 })]),
      pods: [on('n1'), on('n3')],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: MISSING },
    },
    {
      name: 'pods of other namespaces and terminating pods do not count',
      pod: incoming([spread(ZONE, 1)]),
      pods: [on('n1', { app: 'web' }, 'other'), on('n1', { app: 'web' }, 'other'), terminating(on('n2')), on('n3')],
      want: { n1: FITS, n2: FITS, n3: SKEW, n4: SKEW, n5: MISSING },
    },
    {
      // the canary and the beta on n2, the db and the web without a tier on n4 are not selected: z1 = 1, z2 = 1
      name: 'a selector with matchExpressions',
      pod: incoming(
        [
          spread(ZONE, 1, {
            labelSelector: {
              matchExpressions: [
                { key: 'app', operator: 'In', values: ['web', 'api'] },
                { key: 'canary', operator: 'DoesNotExist' },
                { key: 'track', operator: 'NotIn', values: ['beta'] },
                { key: 'tier', operator: 'Exists' },
              ],
            },
          }),
        ],
        { labels: { app: 'web', tier: 'fe' } },
      ),
      pods: [
        on('n1', { app: 'web', tier: 'fe' }),
        on('n2', { app: 'web', tier: 'fe', canary: 'true' }),
        on('n2', { app: 'web', tier: 'fe', track: 'beta' }),
        on('n3', { app: 'api', tier: 'fe' }),
        on('n4', { app: 'db', tier: 'fe' }),
        on('n4', { app: 'web' }),
      ],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: MISSING },
    },
    {
      // as kube-scheduler: an empty selector counts no existing pod, yet matches the incoming one
      name: 'an empty labelSelector counts no pod',
      pod: incoming([spread(ZONE, 1, { labelSelector: {} })]),
      pods: [on('n1'), on('n1'), on('n2')],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: MISSING },
    },
    {
      name: 'a constraint without labelSelector selects no pod',
      pod: incoming([spread(ZONE, 1, { labelSelector: undefined })]),
      pods: [on('n1'), on('n1'), on('n2')],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: MISSING },
    },
    {
      name: 'two constraints: both must hold',
      pod: incoming([spread(ZONE, 1), spread(HOST, 1)]),
      pods: [on('n3'), on('n1'), on('n2'), on('n2')],
      want: { n1: SKEW, n2: SKEW, n3: SKEW, n4: FITS, n5: MISSING },
    },
    {
      name: 'matchLabelKeys: only pods with the same value of those keys count',
      pod: incoming([spread(ZONE, 1, { matchLabelKeys: ['version'] })], { labels: { app: 'web', version: 'v2' } }),
      pods: [on('n1', { app: 'web', version: 'v1' }), on('n2', { app: 'web', version: 'v1' }), on('n3', { app: 'web', version: 'v2' })],
      want: { n1: FITS, n2: FITS, n3: SKEW, n4: SKEW, n5: MISSING },
    },
    {
      name: 'ScheduleAnyway constraints do not filter',
      pod: incoming([spread(ZONE, 1, { whenUnsatisfiable: 'ScheduleAnyway' })]),
      pods: [on('n1'), on('n1'), on('n1')],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: FITS },
    },
    {
      name: 'system default constraints are ScheduleAnyway: they do not filter',
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [on('n1'), on('n1'), on('n1')],
      owners: [{ app: 'web' }],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: FITS },
    },
    {
      name: "List defaulting: a DoNotSchedule default constraint over the owners' selector",
      pod: makePod({ name: 'in', labels: { app: 'web', pod: 'x' } }),
      pods: [on('n1'), on('n2'), on('n3'), on('n3', { other: 'thing' })],
      owners: [{ app: 'web' }],
      args: { defaultingType: 'List', defaultConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule' }] },
      want: { n1: SKEW, n2: SKEW, n3: FITS, n4: FITS, n5: MISSING },
    },
    {
      name: 'List defaulting without an owner selecting the pod: no constraint',
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [on('n1'), on('n2'), on('n3')],
      owners: [{ app: 'db' }],
      args: { defaultingType: 'List', defaultConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule' }] },
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: FITS },
    },
    {
      name: "the pod's own constraints replace the defaults",
      pod: incoming([spread(ZONE, 3)]),
      pods: [on('n1'), on('n2'), on('n3')],
      owners: [{ app: 'web' }],
      args: { defaultingType: 'List', defaultConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule' }] },
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: MISSING },
    },
  ])('$name', async ({ nodes, pod, pods, args, owners, want }) => {
    const h = new PluginHarness(PodTopologySpread, args);
    expect(outcome(await h.filterAll(pod, snapshotOf(nodes ?? NODES, pods, {}, owners)))).toEqual(want);
  });

  // z1: n1, n2 and z2: n3, n4 are SSD nodes; z3 has only n6, not SSD and tainted.
  const POLICY_NODES = [
    zoned('n1', 'z1', { labels: { disk: 'ssd' } }),
    zoned('n2', 'z1', { labels: { disk: 'ssd' } }),
    zoned('n3', 'z2', { labels: { disk: 'ssd' } }),
    zoned('n4', 'z2', { labels: { disk: 'ssd' } }),
    zoned('n6', 'z3', { taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] }),
  ];
  const POLICY_PODS = () => [on('n1'), on('n3')];

  test.each<{ name: string; pod: Pod; want: Record<string, string> }>([
    {
      // z3 is no domain for a pod that selects SSD nodes: minimum 1, 1 + 1 - 1 <= 1
      name: 'nodeAffinityPolicy Honor (default): nodes outside the nodeSelector are no domain',
      pod: incoming([spread(ZONE, 1)], { nodeSelector: { disk: 'ssd' } }),
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n6: FITS },
    },
    {
      name: 'nodeAffinityPolicy Honor with required node affinity',
      pod: incoming([spread(ZONE, 1)], {
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } },
      }),
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n6: FITS },
    },
    {
      // z3 counts with 0 pods: 1 + 1 - 0 > 1 in z1 and z2
      name: 'nodeAffinityPolicy Ignore: every node is a domain',
      pod: incoming([spread(ZONE, 1, { nodeAffinityPolicy: 'Ignore' })], { nodeSelector: { disk: 'ssd' } }),
      want: { n1: SKEW, n2: SKEW, n3: SKEW, n4: SKEW, n6: FITS },
    },
    {
      name: 'nodeTaintsPolicy Ignore (default): a tainted node is a domain',
      pod: incoming([spread(ZONE, 1)]),
      want: { n1: SKEW, n2: SKEW, n3: SKEW, n4: SKEW, n6: FITS },
    },
    {
      name: 'nodeTaintsPolicy Honor: a node with an untolerated taint is no domain',
      pod: incoming([spread(ZONE, 1, { nodeTaintsPolicy: 'Honor' })]),
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS, n6: FITS },
    },
    {
      name: 'nodeTaintsPolicy Honor: a tolerated taint keeps the node a domain',
      pod: incoming([spread(ZONE, 1, { nodeTaintsPolicy: 'Honor' })], { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }] }),
      want: { n1: SKEW, n2: SKEW, n3: SKEW, n4: SKEW, n6: FITS },
    },
  ])('$name', async ({ pod, want }) => {
    const h = new PluginHarness(PodTopologySpread);
    expect(outcome(await h.filterAll(pod, snapshotOf(POLICY_NODES, POLICY_PODS())))).toEqual(want);
  });
});

function terminating(pod: Pod): Pod {
  return { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
}

describe('PodTopologySpread addPod/removePod on a cloned state', () => {
  const h = new PluginHarness(PodTopologySpread);

  async function prepared(pod: Pod, pods: Pod[]) {
    const snapshot = snapshotOf(NODES, pods);
    const state = h.state(pod, snapshot);
    expect(await h.plugin.preFilter!(state, pod)).toBeUndefined();
    const filter = (s: typeof state) => Object.fromEntries(snapshot.nodes.map((n) => [n.name, outcome({ x: h.plugin.filter!(s, pod, n) }).x]));
    return { snapshot, state, clone: state.clone(), filter };
  }

  test('removing a pod from the fuller zone lets the pod in there, on the clone only', async () => {
    const victim = on('n1');
    const pod = incoming([spread(ZONE, 1)]);
    const { snapshot, state, clone, filter } = await prepared(pod, [victim, on('n2'), on('n3')]);
    expect(h.plugin.removePod!(clone, pod, computePodInfo(victim), snapshot.get('n1')!)).toBeUndefined();
    expect(filter(clone)).toEqual({ n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: MISSING });
    expect(filter(state)).toEqual({ n1: SKEW, n2: SKEW, n3: FITS, n4: FITS, n5: MISSING });
  });

  test('removing from the emptier zone lowers the global minimum', async () => {
    const victim = on('n3');
    const pod = incoming([spread(ZONE, 1)]);
    const { snapshot, clone, filter } = await prepared(pod, [on('n1'), victim]);
    h.plugin.removePod!(clone, pod, computePodInfo(victim), snapshot.get('n3')!);
    expect(filter(clone)).toEqual({ n1: SKEW, n2: SKEW, n3: FITS, n4: FITS, n5: MISSING });
  });

  test('adding a pod to the emptier zone raises the global minimum', async () => {
    const pod = incoming([spread(ZONE, 1)]);
    const { snapshot, state, clone, filter } = await prepared(pod, [on('n1'), on('n2'), on('n3')]);
    h.plugin.addPod!(clone, pod, computePodInfo(makePod({ name: 'new', labels: { app: 'web' }, nodeName: 'n4' })), snapshot.get('n4')!);
    expect(filter(clone)).toEqual({ n1: FITS, n2: FITS, n3: FITS, n4: FITS, n5: MISSING });
    expect(filter(state)).toEqual({ n1: SKEW, n2: SKEW, n3: FITS, n4: FITS, n5: MISSING });
  });

  test('pods of another namespace, pods the selector does not select, and nodes without the key change nothing', async () => {
    const pod = incoming([spread(ZONE, 1)]);
    const { snapshot, clone, filter } = await prepared(pod, [on('n1'), on('n2'), on('n3')]);
    h.plugin.addPod!(clone, pod, computePodInfo(makePod({ name: 'a', labels: { app: 'web' }, namespace: 'other', nodeName: 'n4' })), snapshot.get('n4')!);
    h.plugin.addPod!(clone, pod, computePodInfo(makePod({ name: 'b', labels: { app: 'db' }, nodeName: 'n4' })), snapshot.get('n4')!);
    h.plugin.removePod!(clone, pod, computePodInfo(makePod({ name: 'c', labels: { app: 'web' }, nodeName: 'n5' })), snapshot.get('n5')!);
    expect(filter(clone)).toEqual({ n1: SKEW, n2: SKEW, n3: FITS, n4: FITS, n5: MISSING });
  });
});

describe('PodTopologySpread score', () => {
  test.each<{ name: string; nodes?: Node[]; pod: Pod; pods: Pod[]; owners?: Array<Record<string, string>>; args?: Record<string, unknown>; want: Record<string, number> }>([
    {
      // one zone constraint, weight ln(2 domains + 2) = 1.386; n5 lacks the key and is ignored.
      // raw: z1 (3 pods) round(4.159) = 4, z2 (1 pod) round(1.386) = 1 → 100 * (4 + 1 - s) / 4
      name: "the pod's ScheduleAnyway constraint over zones",
      pod: incoming([spread(ZONE, 1, { whenUnsatisfiable: 'ScheduleAnyway' })]),
      pods: [on('n1'), on('n1'), on('n2'), on('n3')],
      want: { n1: 25, n2: 25, n3: 100, n4: 100, n5: 0 },
    },
    {
      // maxSkew 3 adds 2 to every node: raw z1 round(4.159 + 2) = 6, z2 round(1.386 + 2) = 3 → 100 * (6 + 3 - s) / 6
      name: 'a larger maxSkew waters the differences down',
      pod: incoming([spread(ZONE, 3, { whenUnsatisfiable: 'ScheduleAnyway' })]),
      pods: [on('n1'), on('n1'), on('n2'), on('n3')],
      want: { n1: 50, n2: 50, n3: 100, n4: 100, n5: 0 },
    },
    {
      // n5 is ignored, so the hostname weight is ln(4 + 2) = 1.792; zone ln(2 + 2) = 1.386.
      // n1: 2*1.792 + 2*1.386 = 6.36 → 6; n2: 2.77 → 3; n3: 1.79 + 1.39 → 3; n4: 1.39 → 1 → 100 * (6 + 1 - s) / 6
      name: 'zone and hostname constraints: the hostname weight counts the scored nodes that are not ignored',
      pod: incoming([spread(ZONE, 1, { whenUnsatisfiable: 'ScheduleAnyway' }), spread(HOST, 1, { whenUnsatisfiable: 'ScheduleAnyway' })]),
      pods: [on('n1'), on('n1'), on('n3')],
      want: { n1: 16, n2: 66, n3: 66, n4: 100, n5: 0 },
    },
    {
      name: 'no matching pod anywhere: every scored node 100, ignored nodes 0',
      pod: incoming([spread(ZONE, 1, { whenUnsatisfiable: 'ScheduleAnyway' })]),
      pods: [on('n1', { app: 'db' })],
      want: { n1: 100, n2: 100, n3: 100, n4: 100, n5: 0 },
    },
    {
      // system defaults: hostname maxSkew 3, weight ln(4 + 2) = 1.792; zone maxSkew 5, weight ln(2 + 2) = 1.386.
      // n1: 2*1.792 + 2 + 2*1.386 + 4 = 12.36 → 12; n2: 0 + 2 + 2.77 + 4 → 9; n3: 1.79 + 2 + 1.39 + 4 → 9; n4: 2 + 1.39 + 4 → 7
      // → 100 * (12 + 7 - s) / 12
      name: "system default constraints over the owners' selector",
      nodes: NODES.slice(0, 4),
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [on('n1'), on('n1'), on('n3'), on('n2', { app: 'db' })],
      owners: [{ app: 'web' }],
      want: { n1: 58, n2: 83, n3: 83, n4: 100 },
    },
    {
      // system defaults do not require every key: n5 (no zone) still scores by hostname, and its '' zone
      // counts as a domain: zone weight ln(3 + 2) = 1.609, hostname ln(5 + 2) = 1.946.
      // n1: 2*1.946 + 2 + 2*1.609 + 4 = 13.11 → 13; n2: 2 + 3.22 + 4 → 9; n3: 1.95 + 2 + 1.61 + 4 → 10;
      // n4: 2 + 1.61 + 4 → 8; n5: 0 + 2 → 2 → 100 * (13 + 2 - s) / 13
      name: 'system defaults: a node without a zone label still spreads by hostname',
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [on('n1'), on('n1'), on('n3')],
      owners: [{ app: 'web' }],
      want: { n1: 15, n2: 46, n3: 38, n4: 53, n5: 100 },
    },
    {
      name: 'system defaults without an owner: not scored',
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [on('n1'), on('n1'), on('n3')],
      want: { n1: 0, n2: 0, n3: 0, n4: 0, n5: 0 },
    },
    {
      // listed defaults require every key: n5 is ignored. zone maxSkew 1, weight ln(4): z1 round(2.77) = 3, z2 round(1.39) = 1
      name: 'List defaulting scores with the listed constraints',
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [on('n1'), on('n1'), on('n3')],
      owners: [{ app: 'web' }],
      args: { defaultingType: 'List', defaultConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway' }] },
      want: { n1: 33, n2: 33, n3: 100, n4: 100, n5: 0 },
    },
    {
      name: 'List defaulting with no constraints: not scored',
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [on('n1'), on('n1'), on('n3')],
      owners: [{ app: 'web' }],
      args: { defaultingType: 'List', defaultConstraints: [] },
      want: { n1: 0, n2: 0, n3: 0, n4: 0, n5: 0 },
    },
  ])('$name', async ({ nodes, pod, pods, owners, args, want }) => {
    const h = new PluginHarness(PodTopologySpread, args);
    expect(await h.scoreAll(pod, snapshotOf(nodes ?? NODES, pods, {}, owners))).toEqual(want);
  });

  test('domains are those of the feasible nodes; pods on other nodes of those domains count', async () => {
    // Feasible: n2 (z1) and n4 (z2). Counts come from all nodes: z1 = 2 (on n1), z2 = 0.
    const h = new PluginHarness(PodTopologySpread);
    const snapshot = snapshotOf(NODES, [on('n1'), on('n1')]);
    const feasible = ['n2', 'n4'].map((n) => snapshot.get(n)!);
    expect(await h.scoreAll(incoming([spread(ZONE, 1, { whenUnsatisfiable: 'ScheduleAnyway' })]), snapshot, feasible)).toEqual({ n2: 0, n4: 100 });
  });
});

describe('PodTopologySpread args', () => {
  const zone = (more: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', ...more });

  test.each<{ name: string; args: Record<string, unknown>; want: Array<{ path: Array<string | number>; message: string }> }>([
    { name: 'defaults', args: {}, want: [] },
    { name: 'List with constraints', args: { defaultingType: 'List', defaultConstraints: [zone(), zone({ topologyKey: HOST, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 })] }, want: [] },
    { name: 'List with no constraints', args: { defaultingType: 'List', defaultConstraints: [] }, want: [] },
    {
      name: 'System with constraints',
      args: { defaultingType: 'System', defaultConstraints: [zone()] },
      want: [{ path: ['defaultingType'], message: 'Invalid value: "System": when .defaultConstraints are not empty' }],
    },
    {
      name: 'unknown defaultingType',
      args: { defaultingType: 'Auto' },
      want: [{ path: ['defaultingType'], message: 'Unsupported value: "Auto": supported values: "System", "List"' }],
    },
    {
      name: 'maxSkew not positive',
      args: { defaultingType: 'List', defaultConstraints: [zone({ maxSkew: 0 })] },
      want: [{ path: ['defaultConstraints', 0, 'maxSkew'], message: 'Invalid value: 0: not in valid range (0, inf)' }],
    },
    {
      name: 'labelSelector set',
      args: { defaultingType: 'List', defaultConstraints: [zone({ labelSelector: { matchLabels: { app: 'web' } } })] },
      want: [{ path: ['defaultConstraints', 0, 'labelSelector'], message: 'Forbidden: constraint must not define a selector, as they deduced for each pod' }],
    },
    {
      name: 'whenUnsatisfiable missing or unknown',
      args: { defaultingType: 'List', defaultConstraints: [zone({ whenUnsatisfiable: '' }), zone({ topologyKey: HOST, whenUnsatisfiable: 'Never' })] },
      want: [
        { path: ['defaultConstraints', 0, 'whenUnsatisfiable'], message: 'Required value: can not be empty' },
        { path: ['defaultConstraints', 1, 'whenUnsatisfiable'], message: 'Unsupported value: "Never": supported values: "DoNotSchedule", "ScheduleAnyway"' },
      ],
    },
    {
      name: 'topologyKey empty or invalid',
      args: { defaultingType: 'List', defaultConstraints: [zone({ topologyKey: '' }), zone({ topologyKey: 'bad key' })] },
      want: [
        { path: ['defaultConstraints', 0, 'topologyKey'], message: 'Required value: can not be empty' },
        { path: ['defaultConstraints', 1, 'topologyKey'], message: expect.stringMatching(/^Invalid value: "bad key": name part must consist of alphanumeric characters/) },
      ],
    },
    {
      name: 'the same key and action twice',
      args: { defaultingType: 'List', defaultConstraints: [zone(), zone({ maxSkew: 2 })] },
      want: [{ path: ['defaultConstraints', 1], message: `Duplicate value: "{${ZONE}, DoNotSchedule}"` }],
    },
  ])('$name', ({ args, want }) => {
    expect(PodTopologySpread.validateArgs({ ...PodTopologySpread.defaultArgs, ...args })).toEqual(want);
  });

  test('defaults: System defaulting, no listed constraints', () => {
    expect(PodTopologySpread.defaultArgs).toEqual({ defaultingType: 'System', defaultConstraints: [] });
  });
});
