import type { Affinity, Pod, PodAffinityTerm } from 'kubernetes-types/core/v1';
import type { SchedulingStatus } from '../../../../kernel/scheduling/types';
import { computePodInfo } from '../../../../plugins/scheduler/framework/pod-info';
import { InterPodAffinity } from '../../../../plugins/scheduler/plugins/inter-pod-affinity';
import { makeNode, makePod, PluginHarness, snapshotOf } from '../support';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

// n1, n2 in zone z1; n3 in z2; n4 has no zone label.
const NODES = [
  makeNode({ name: 'n1', labels: { [ZONE]: 'z1' } }),
  makeNode({ name: 'n2', labels: { [ZONE]: 'z1' } }),
  makeNode({ name: 'n3', labels: { [ZONE]: 'z2' } }),
  makeNode({ name: 'n4' }),
];

const AFFINITY = "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules";
const ANTI = "Unschedulable: node(s) didn't match pod anti-affinity rules";
const EXISTING = "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules";
const FITS = 'fits';

function term(matchLabels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm {
  return { labelSelector: { matchLabels }, topologyKey, ...extra };
}

function required(affinity: PodAffinityTerm[] = [], anti: PodAffinityTerm[] = []): Affinity {
  return {
    ...(affinity.length ? { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: affinity } } : {}),
    ...(anti.length ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: anti } } : {}),
  };
}

function outcome(statuses: Record<string, SchedulingStatus | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(statuses).map(([n, s]) => [n, s ? `${s.code}: ${s.reasons.join(', ')}` : FITS]));
}

let seq = 0;
function existing(nodeName: string, labels: Record<string, string>, more: { namespace?: string; affinity?: Affinity } = {}): Pod {
  return makePod({ name: `p${++seq}`, nodeName, labels, ...more });
}

describe('InterPodAffinity filter', () => {
  const NS = { default: { 'kubernetes.io/metadata.name': 'default' }, other: { 'kubernetes.io/metadata.name': 'other' }, 'team-a': { team: 'a' } };

  test.each<{ name: string; pod: Pod; pods: Pod[]; want: Record<string, string> }>([
    {
      name: 'no affinity anywhere: every node fits',
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [existing('n1', { app: 'db' })],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS },
    },
    {
      name: 'required affinity, hostname: only the node running a matching pod',
      pod: makePod({ name: 'in', affinity: required([term({ app: 'db' }, HOST)]) }),
      pods: [existing('n1', { app: 'db' }), existing('n2', { app: 'cache' })],
      want: { n1: FITS, n2: AFFINITY, n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: 'required affinity, zone: every node of the zone; a node without the zone label never',
      pod: makePod({ name: 'in', affinity: required([term({ app: 'db' }, ZONE)]) }),
      pods: [existing('n1', { app: 'db' })],
      want: { n1: FITS, n2: FITS, n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: 'required anti-affinity, hostname: not next to a matching pod',
      pod: makePod({ name: 'in', affinity: required([], [term({ app: 'web' }, HOST)]) }),
      pods: [existing('n1', { app: 'web' })],
      want: { n1: ANTI, n2: FITS, n3: FITS, n4: FITS },
    },
    {
      name: 'required anti-affinity, zone: not in its zone; a node without the zone label is in no zone',
      pod: makePod({ name: 'in', affinity: required([], [term({ app: 'web' }, ZONE)]) }),
      pods: [existing('n1', { app: 'web' })],
      want: { n1: ANTI, n2: ANTI, n3: FITS, n4: FITS },
    },
    {
      name: "a term's namespaces: pods elsewhere do not count",
      pod: makePod({ name: 'in', affinity: required([term({ app: 'db' }, HOST, { namespaces: ['other'] })]) }),
      pods: [existing('n1', { app: 'db' }), existing('n3', { app: 'db' }, { namespace: 'other' })],
      want: { n1: AFFINITY, n2: AFFINITY, n3: FITS, n4: AFFINITY },
    },
    {
      name: 'a term without namespaces selects the pod\'s own namespace only',
      pod: makePod({ name: 'in', labels: { app: 'web' }, affinity: required([term({ app: 'db' }, HOST)]) }),
      pods: [existing('n3', { app: 'db' }, { namespace: 'other' })],
      want: { n1: AFFINITY, n2: AFFINITY, n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: "a term's namespaceSelector selects namespaces by their labels",
      pod: makePod({ name: 'in', affinity: required([term({ app: 'db' }, HOST, { namespaceSelector: { matchLabels: { team: 'a' } } })]) }),
      pods: [existing('n1', { app: 'db' }), existing('n2', { app: 'db' }, { namespace: 'other' }), existing('n3', { app: 'db' }, { namespace: 'team-a' })],
      want: { n1: AFFINITY, n2: AFFINITY, n3: FITS, n4: AFFINITY },
    },
    {
      name: 'an empty namespaceSelector selects every namespace',
      pod: makePod({ name: 'in', affinity: required([], [term({ app: 'db' }, HOST, { namespaceSelector: {} })]) }),
      pods: [existing('n1', { app: 'db' }), existing('n3', { app: 'db' }, { namespace: 'other' })],
      want: { n1: ANTI, n2: FITS, n3: ANTI, n4: FITS },
    },
    {
      name: 'matchExpressions: In, NotIn, Exists and DoesNotExist all hold',
      pod: makePod({
        name: 'in',
        affinity: required(
          [],
          [
            {
              labelSelector: {
                matchExpressions: [
                  { key: 'app', operator: 'In', values: ['web', 'api'] },
                  { key: 'tier', operator: 'NotIn', values: ['db'] },
                  { key: 'team', operator: 'Exists' },
                  { key: 'legacy', operator: 'DoesNotExist' },
                ],
              },
              topologyKey: HOST,
            },
          ],
        ),
      }),
      pods: [existing('n1', { app: 'api', team: 'x', tier: 'web' }), existing('n2', { app: 'api', team: 'x', tier: 'db' }), existing('n3', { app: 'web', team: 'x', legacy: 'y' }), existing('n4', { app: 'api' }), existing('n4', { app: 'db', team: 'x' })],
      want: { n1: ANTI, n2: FITS, n3: FITS, n4: FITS },
    },
    {
      name: 'a term without a labelSelector selects no pod',
      pod: makePod({ name: 'in', affinity: required([], [{ topologyKey: HOST }]) }),
      pods: [existing('n1', { app: 'web' }), existing('n2', {})],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS },
    },
    {
      name: 'an empty labelSelector selects every pod of its namespaces',
      pod: makePod({ name: 'in', affinity: required([], [{ labelSelector: {}, topologyKey: HOST }]) }),
      pods: [existing('n2', {}), existing('n3', { app: 'db' }, { namespace: 'other' })],
      want: { n1: FITS, n2: ANTI, n3: FITS, n4: FITS },
    },
    {
      name: "an existing pod's required anti-affinity keeps the incoming pod out of its zone",
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [existing('n1', { app: 'db' }, { affinity: required([], [term({ app: 'web' }, ZONE)]) })],
      want: { n1: EXISTING, n2: EXISTING, n3: FITS, n4: FITS },
    },
    {
      name: "an existing pod's anti-affinity term selects its own namespace, not the incoming pod's",
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: [existing('n1', { app: 'db' }, { namespace: 'other', affinity: required([], [term({ app: 'web' }, HOST)]) })],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: FITS },
    },
    {
      name: "an existing pod's anti-affinity with a namespaceSelector matching the incoming pod's namespace labels",
      pod: makePod({ name: 'in', namespace: 'team-a', labels: { app: 'web' } }),
      pods: [existing('n3', { app: 'db' }, { namespace: 'other', affinity: required([], [term({ app: 'web' }, HOST, { namespaceSelector: { matchLabels: { team: 'a' } } })]) })],
      want: { n1: FITS, n2: FITS, n3: EXISTING, n4: FITS },
    },
    {
      name: 'self-match: the first pod of a group with affinity to itself goes on any node with the topology label',
      pod: makePod({ name: 'in', labels: { app: 'db' }, affinity: required([term({ app: 'db' }, ZONE)]) }),
      pods: [existing('n1', { app: 'web' })],
      want: { n1: FITS, n2: FITS, n3: FITS, n4: AFFINITY },
    },
    {
      name: 'self-match does not apply once a matching pod runs somewhere',
      pod: makePod({ name: 'in', labels: { app: 'db' }, affinity: required([term({ app: 'db' }, ZONE)]) }),
      pods: [existing('n3', { app: 'db' })],
      want: { n1: AFFINITY, n2: AFFINITY, n3: FITS, n4: AFFINITY },
    },
    {
      name: 'self-match needs the pod to match its own terms',
      pod: makePod({ name: 'in', labels: { app: 'web' }, affinity: required([term({ app: 'db' }, ZONE)]) }),
      pods: [],
      want: { n1: AFFINITY, n2: AFFINITY, n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: 'several affinity terms: one pod must match all of them',
      pod: makePod({ name: 'in', affinity: required([term({ app: 'db' }, HOST), term({ tier: 'backend' }, HOST)]) }),
      pods: [existing('n1', { app: 'db', tier: 'backend' }), existing('n2', { app: 'db' }), existing('n2', { tier: 'backend' })],
      want: { n1: FITS, n2: AFFINITY, n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: 'affinity is checked first, then anti-affinity, then existing pods',
      pod: makePod({ name: 'in', labels: { app: 'web' }, affinity: required([term({ app: 'db' }, ZONE)], [term({ app: 'cache' }, HOST)]) }),
      pods: [existing('n1', { app: 'db' }), existing('n2', { app: 'cache' }), existing('n3', { app: 'x' }, { affinity: required([], [term({ app: 'web' }, HOST)]) })],
      want: { n1: FITS, n2: ANTI, n3: AFFINITY, n4: AFFINITY },
    },
  ])('$name', async ({ pod, pods, want }) => {
    const h = new PluginHarness(InterPodAffinity);
    expect(outcome(await h.filterAll(pod, snapshotOf(NODES, pods, NS)))).toEqual(want);
  });

  test('PreFilter skips a pod without required terms that no existing anti-affinity selects', async () => {
    const h = new PluginHarness(InterPodAffinity);
    const snapshot = snapshotOf(NODES, [existing('n1', { app: 'db' }, { affinity: required([], [term({ app: 'other' }, HOST)]) })]);
    const pod = makePod({ name: 'in', labels: { app: 'web' } });
    expect(await h.plugin.preFilter!(h.state(pod, snapshot), pod)).toEqual(expect.objectContaining({ code: 'Skip' }));
    const selected = makePod({ name: 'in', labels: { app: 'other' } });
    expect(await h.plugin.preFilter!(h.state(selected, snapshot), selected)).toBeUndefined();
  });
});

describe('InterPodAffinity addPod/removePod on a cloned state', () => {
  const h = new PluginHarness(InterPodAffinity);

  async function prepared(pod: Pod, pods: Pod[]) {
    const snapshot = snapshotOf(NODES, pods);
    const state = h.state(pod, snapshot);
    expect(await h.plugin.preFilter!(state, pod)).toBeUndefined();
    const filter = (s: typeof state) => Object.fromEntries(snapshot.nodes.map((n) => [n.name, outcome({ x: h.plugin.filter!(s, pod, n) }).x]));
    return { snapshot, state, clone: state.clone(), filter };
  }

  test('removing the pod the incoming pod is anti-affine to frees its node on the clone only', async () => {
    const web = existing('n1', { app: 'web' });
    const pod = makePod({ name: 'in', affinity: required([], [term({ app: 'web' }, HOST)]) });
    const { snapshot, state, clone, filter } = await prepared(pod, [web]);
    expect(h.plugin.removePod!(clone, pod, computePodInfo(web), snapshot.get('n1')!)).toBeUndefined();
    expect(filter(clone).n1).toBe(FITS);
    expect(filter(state).n1).toBe(ANTI);
  });

  test('adding a matching pod makes its node fail anti-affinity on the clone only', async () => {
    const pod = makePod({ name: 'in', affinity: required([], [term({ app: 'web' }, ZONE)]) });
    const { snapshot, state, clone, filter } = await prepared(pod, [existing('n1', { app: 'web' })]);
    h.plugin.addPod!(clone, pod, computePodInfo(makePod({ name: 'new', labels: { app: 'web' }, nodeName: 'n3' })), snapshot.get('n3')!);
    expect(filter(clone)).toEqual({ n1: ANTI, n2: ANTI, n3: ANTI, n4: FITS });
    expect(filter(state)).toEqual({ n1: ANTI, n2: ANTI, n3: FITS, n4: FITS });
  });

  test("removing an existing pod whose anti-affinity selects the incoming pod lifts that rule", async () => {
    const guard = existing('n1', { app: 'db' }, { affinity: required([], [term({ app: 'web' }, ZONE)]) });
    const pod = makePod({ name: 'in', labels: { app: 'web' } });
    const { snapshot, state, clone, filter } = await prepared(pod, [guard]);
    h.plugin.removePod!(clone, pod, computePodInfo(guard), snapshot.get('n1')!);
    expect(filter(clone)).toEqual({ n1: FITS, n2: FITS, n3: FITS, n4: FITS });
    expect(filter(state)).toEqual({ n1: EXISTING, n2: EXISTING, n3: FITS, n4: FITS });
  });

  test('adding and removing pods matching required affinity', async () => {
    const db = existing('n1', { app: 'db' });
    const pod = makePod({ name: 'in', affinity: required([term({ app: 'db' }, ZONE)]) });
    const { snapshot, state, clone, filter } = await prepared(pod, [db]);
    h.plugin.addPod!(clone, pod, computePodInfo(makePod({ name: 'db2', labels: { app: 'db' }, nodeName: 'n3' })), snapshot.get('n3')!);
    expect(filter(clone)).toEqual({ n1: FITS, n2: FITS, n3: FITS, n4: AFFINITY });
    h.plugin.removePod!(clone, pod, computePodInfo(db), snapshot.get('n1')!);
    expect(filter(clone)).toEqual({ n1: AFFINITY, n2: AFFINITY, n3: FITS, n4: AFFINITY });
    expect(filter(state)).toEqual({ n1: FITS, n2: FITS, n3: AFFINITY, n4: AFFINITY });
  });
});

describe('InterPodAffinity score', () => {
  function preferred(affinity: Array<[number, PodAffinityTerm]>, anti: Array<[number, PodAffinityTerm]> = []): Affinity {
    const weighted = (list: Array<[number, PodAffinityTerm]>) => list.map(([weight, podAffinityTerm]) => ({ weight, podAffinityTerm }));
    return {
      ...(affinity.length ? { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: weighted(affinity) } } : {}),
      ...(anti.length ? { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: weighted(anti) } } : {}),
    };
  }
  const SCORE_NODES = NODES.slice(0, 3);
  // Existing pods' terms about the incoming pod (app=web):
  // n3 runs a pod requiring affinity to web on its host (hardPodAffinityWeight),
  // n1 one preferring web in its zone (weight 4), n2 one preferring web off its host (weight 2).
  const EXISTING_TERMS = [
    existing('n3', { app: 'x' }, { affinity: required([term({ app: 'web' }, HOST)]) }),
    existing('n1', { app: 'y' }, { affinity: preferred([[4, term({ app: 'web' }, ZONE)]]) }),
    existing('n2', { app: 'z' }, { affinity: preferred([], [[2, term({ app: 'web' }, HOST)]]) }),
  ];

  test.each<{ name: string; pod: Pod; pods: Pod[]; args?: Record<string, unknown>; want: Record<string, number> }>([
    {
      // raw: n1 = +5 (z1), n2 = +5 (z1) - 3 (host) = 2, n3 = 0 → min-max over 0..5
      name: "the pod's preferred affinity (zone, 5) and anti-affinity (host, 3)",
      pod: makePod({ name: 'in', affinity: preferred([[5, term({ app: 'db' }, ZONE)]], [[3, term({ app: 'web' }, HOST)]]) }),
      pods: [existing('n1', { app: 'db' }), existing('n2', { app: 'web' })],
      want: { n1: 100, n2: 40, n3: 0 },
    },
    {
      // raw: n1 = 4, n2 = 4 - 2 = 2, n3 = 1 (hardPodAffinityWeight 1) → (s - 1) / 3
      name: "existing pods' required (hardPodAffinityWeight 1) and preferred terms",
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: EXISTING_TERMS,
      want: { n1: 100, n2: 33, n3: 0 },
    },
    {
      // raw: n1 = 4, n2 = 2, n3 = 8 → (s - 2) / 6
      name: 'hardPodAffinityWeight 8',
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: EXISTING_TERMS,
      args: { hardPodAffinityWeight: 8 },
      want: { n1: 33, n2: 0, n3: 100 },
    },
    {
      // raw: n1 = 4, n2 = 2, n3 = 0 → s / 4
      name: "hardPodAffinityWeight 0 ignores existing pods' required affinity",
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: EXISTING_TERMS,
      args: { hardPodAffinityWeight: 0 },
      want: { n1: 100, n2: 50, n3: 0 },
    },
    {
      name: "ignorePreferredTermsOfExistingPods: a pod without preferences is not scored",
      pod: makePod({ name: 'in', labels: { app: 'web' } }),
      pods: EXISTING_TERMS,
      args: { ignorePreferredTermsOfExistingPods: true },
      want: { n1: 0, n2: 0, n3: 0 },
    },
    {
      // raw: n1 = 4, n2 = 2, n3 = 1 + 10 (own preference for the x pod's host) → (s - 2) / 9
      name: "ignorePreferredTermsOfExistingPods still counts existing pods' terms for a pod with preferences",
      pod: makePod({ name: 'in', labels: { app: 'web' }, affinity: preferred([[10, term({ app: 'x' }, HOST)]]) }),
      pods: EXISTING_TERMS,
      args: { ignorePreferredTermsOfExistingPods: true },
      want: { n1: 22, n2: 0, n3: 100 },
    },
    {
      name: "preferred terms only see pods in the term's namespaces",
      pod: makePod({ name: 'in', affinity: preferred([[5, term({ app: 'db' }, HOST)]]) }),
      pods: [existing('n1', { app: 'db' }, { namespace: 'other' }), existing('n2', { app: 'db' })],
      want: { n1: 0, n2: 100, n3: 0 },
    },
    {
      name: 'every node scoring the same normalises to 0',
      pod: makePod({ name: 'in', affinity: preferred([[5, term({ app: 'db' }, ZONE)]]) }),
      pods: [existing('n1', { app: 'db' }), existing('n3', { app: 'db' })],
      want: { n1: 0, n2: 0, n3: 0 },
    },
    {
      // raw: n1 = -7, n2 = -7, n3 = 0
      name: 'anti-affinity only: the nodes away from the matching pods score 100',
      pod: makePod({ name: 'in', affinity: preferred([], [[7, term({ app: 'web' }, ZONE)]]) }),
      pods: [existing('n2', { app: 'web' })],
      want: { n1: 0, n2: 0, n3: 100 },
    },
  ])('$name', async ({ pod, pods, args, want }) => {
    const h = new PluginHarness(InterPodAffinity, args);
    const snapshot = snapshotOf(NODES, pods);
    // Scored: the feasible nodes n1-n3 (n4 has no zone); all four are visited for the counts.
    const feasible = snapshot.nodes.filter((n) => SCORE_NODES.some((m) => m.metadata!.name === n.name));
    expect(await h.scoreAll(pod, snapshot, feasible)).toEqual(want);
  });

  test('PreScore skips when no term matches anywhere', async () => {
    const h = new PluginHarness(InterPodAffinity);
    const pod = makePod({ name: 'in', affinity: preferred([[5, term({ app: 'db' }, ZONE)]]) });
    const snapshot = snapshotOf(NODES, [existing('n1', { app: 'web' })]);
    expect(await h.plugin.preScore!(h.state(pod, snapshot), pod, snapshot.nodes)).toEqual(expect.objectContaining({ code: 'Skip' }));
  });
});

describe('InterPodAffinity args', () => {
  test.each<{ args: Record<string, unknown>; want: Array<{ path: Array<string | number>; message: string }> }>([
    { args: {}, want: [] },
    { args: { hardPodAffinityWeight: 0 }, want: [] },
    { args: { hardPodAffinityWeight: 100, ignorePreferredTermsOfExistingPods: true }, want: [] },
    { args: { hardPodAffinityWeight: 101 }, want: [{ path: ['hardPodAffinityWeight'], message: 'Invalid value: 101: not in valid range [0, 100]' }] },
    { args: { hardPodAffinityWeight: -1 }, want: [{ path: ['hardPodAffinityWeight'], message: 'Invalid value: -1: not in valid range [0, 100]' }] },
  ])('$args', ({ args, want }) => {
    expect(InterPodAffinity.validateArgs({ ...InterPodAffinity.defaultArgs, ...args })).toEqual(want);
  });

  test('defaults: hardPodAffinityWeight 1, ignorePreferredTermsOfExistingPods false', () => {
    expect(InterPodAffinity.defaultArgs).toEqual({ hardPodAffinityWeight: 1, ignorePreferredTermsOfExistingPods: false });
  });

  test('the harness refuses bad args', () => {
    expect(() => new PluginHarness(InterPodAffinity, { hardPodAffinityWeight: 200 })).toThrow('hardPodAffinityWeight: Invalid value: 200');
  });
});
