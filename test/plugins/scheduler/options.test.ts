/**
 * Scheduler options as KubeSchedulerConfiguration: the default plugin set,
 * enabling/disabling per point and with multiPoint, weights, args with
 * defaults, and the problems reported with their paths.
 */
import { validatePluginOptions } from '../../../kernel/plugin';
import type { AnySchedulingPlugin } from '../../../kernel/scheduling/types';
import schedulerPlugin from '../../../plugins/scheduler';
import { DEFAULT_PLUGINS, ProfileError, resolveProfiles, validateOptions, type SchedulerOptions } from '../../../plugins/scheduler/options';

const fake = (name: string, methods: string[], extra: Partial<AnySchedulingPlugin> = {}): AnySchedulingPlugin =>
  ({ name, ...Object.fromEntries(methods.map((m) => [m, () => undefined])), ...extra }) as AnySchedulingPlugin;

function available(): Map<string, AnySchedulingPlugin> {
  const m = new Map<string, AnySchedulingPlugin>();
  const methods: Record<string, string[]> = {
    PrioritySort: ['less'],
    NodeUnschedulable: ['filter'],
    NodeName: ['filter'],
    TaintToleration: ['filter', 'preScore', 'score'],
    NodeAffinity: ['preFilter', 'filter', 'preScore', 'score'],
    NodePorts: ['preFilter', 'filter'],
    NodeResourcesFit: ['preFilter', 'filter', 'preScore', 'score'],
    PodTopologySpread: ['preFilter', 'filter', 'preScore', 'score'],
    InterPodAffinity: ['preFilter', 'filter', 'preScore', 'score'],
    DefaultPreemption: ['postFilter'],
    NodeResourcesBalancedAllocation: ['preScore', 'score'],
    ImageLocality: ['score'],
    DefaultBinder: ['bind'],
  };
  for (const ref of DEFAULT_PLUGINS) m.set(ref.name, fake(ref.name, methods[ref.name]));
  m.set('ZoneSpread', fake('ZoneSpread', ['preScore', 'score'], { argsSchema: { type: 'object', properties: { zoneLabel: { type: 'string' } }, additionalProperties: false }, defaultArgs: { zoneLabel: 'topology.kubernetes.io/zone' } }));
  return m;
}

const names = (list: readonly { plugin: AnySchedulingPlugin; weight: number }[]) => list.map((e) => `${e.plugin.name}:${e.weight}`);

test('no profiles: one default-scheduler profile with kube-scheduler\'s plugins and weights', () => {
  const [p] = resolveProfiles({}, available());
  expect(p.schedulerName).toBe('default-scheduler');
  expect(names(p.points.queueSort)).toEqual(['PrioritySort:1']);
  expect(p.points.filter.map((e) => e.plugin.name)).toEqual(['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity']);
  expect(names(p.points.score)).toEqual(['TaintToleration:3', 'NodeAffinity:2', 'NodeResourcesFit:1', 'PodTopologySpread:2', 'InterPodAffinity:2', 'NodeResourcesBalancedAllocation:1', 'ImageLocality:1']);
  expect(names(p.points.bind)).toEqual(['DefaultBinder:1']);
  expect(p.points.postFilter.map((e) => e.plugin.name)).toEqual(['DefaultPreemption']);
  expect(p.args.get('ZoneSpread')).toBeUndefined();
});

test('enabling, re-weighting and disabling per point and with multiPoint', () => {
  const options: SchedulerOptions = {
    profiles: [
      {
        schedulerName: 'spread',
        plugins: {
          multiPoint: { enabled: [{ name: 'ZoneSpread', weight: 5 }], disabled: [{ name: 'ImageLocality' }] },
          score: { enabled: [{ name: 'NodeResourcesFit', weight: 7 }], disabled: [{ name: 'NodeResourcesBalancedAllocation' }] },
          filter: { disabled: [{ name: '*' }], enabled: [{ name: 'NodeResourcesFit' }] },
        },
        pluginConfig: [{ name: 'ZoneSpread', args: { zoneLabel: 'example.com/rack' } }],
      },
    ],
  };
  const [p] = resolveProfiles(options, available());
  expect(p.schedulerName).toBe('spread');
  expect(names(p.points.score)).toEqual(['TaintToleration:3', 'NodeAffinity:2', 'NodeResourcesFit:7', 'PodTopologySpread:2', 'InterPodAffinity:2', 'ZoneSpread:5']);
  expect(p.points.filter.map((e) => e.plugin.name)).toEqual(['NodeResourcesFit']);
  expect(p.points.preScore.map((e) => e.plugin.name)).toContain('ZoneSpread');
  expect(p.args.get('ZoneSpread')).toEqual({ zoneLabel: 'example.com/rack' });
});

test('two profiles by schedulerName', () => {
  const profiles = resolveProfiles({ profiles: [{}, { schedulerName: 'no-scoring', plugins: { score: { disabled: [{ name: '*' }] } } }] }, available());
  expect(profiles.map((p) => p.schedulerName)).toEqual(['default-scheduler', 'no-scoring']);
  expect(profiles[1].points.score).toEqual([]);
  expect(profiles[0].points.score.length).toBe(7);
});

test.each<[string, SchedulerOptions, string[]]>([
  ['unknown plugin', { profiles: [{ plugins: { score: { enabled: [{ name: 'Nope' }] } } }] }, ['profiles.0.plugins.score.enabled.0.name: unknown scheduling plugin "Nope"']],
  ['not a score plugin', { profiles: [{ plugins: { score: { enabled: [{ name: 'NodeName', weight: 2 }] } } }] }, ['profiles.0.plugins.score.enabled.0.name: plugin "NodeName" does not extend score']],
  ['bad args', { profiles: [{ pluginConfig: [{ name: 'ZoneSpread', args: { zoneLabel: 3 } }] }] }, ['profiles.0.pluginConfig.0.args.zoneLabel: must be a string']],
  ['no bind plugin', { profiles: [{ plugins: { bind: { disabled: [{ name: '*' }] } } }] }, ['profiles.0.plugins.bind: at least one bind plugin must be enabled']],
  ['two queue sorts', { profiles: [{ plugins: { queueSort: { enabled: [{ name: 'ZoneSpread' }] } } }] }, ['does not extend queueSort']],
])('%s', (_what, options, expected) => {
  let err: unknown;
  try {
    resolveProfiles(options, available());
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProfileError);
  const lines = (err as ProfileError).problems.map((p) => `${p.path.join('.')}: ${p.message}`);
  for (const e of expected) expect(lines.join('\n')).toContain(e);
});

test.each<[string, SchedulerOptions, string]>([
  ['weight out of range', { profiles: [{ plugins: { score: { enabled: [{ name: 'ImageLocality', weight: 0 }] } } }] }, 'profiles.0.plugins.score.enabled.0.weight: score plugin "ImageLocality" weight 0 must be in the range [1, 100]'],
  ['weight on a filter', { profiles: [{ plugins: { filter: { enabled: [{ name: 'NodeName', weight: 2 }] } } }] }, 'profiles.0.plugins.filter.enabled.0.weight: only score plugins have a weight (filter does not score)'],
  ['duplicate profile', { profiles: [{ schedulerName: 'a' }, { schedulerName: 'a' }] }, 'profiles.1.schedulerName: duplicate profile "a" (also profiles[0])'],
  ['backoff order', { podInitialBackoffSeconds: 20, podMaxBackoffSeconds: 10 }, 'podMaxBackoffSeconds: must be greater than or equal to podInitialBackoffSeconds (20)'],
])('validateOptions: %s', (_what, options, expected) => {
  const lines = validateOptions(options).map((p) => `${p.path.join('.')}: ${p.message}`);
  expect(lines).toContain(expected);
});

test('the plugin\'s option validation checks built-in plugins\' args and the schema', () => {
  const bad = validatePluginOptions(schedulerPlugin as never, { profiles: [{ pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'Sideways' } } }] }] });
  expect(bad.map((p) => p.path.join('.')).join('\n')).toContain('profiles.0.pluginConfig.0.args.scoringStrategy');
  const unknownKey = validatePluginOptions(schedulerPlugin as never, { profile: [] });
  expect(unknownKey.length).toBeGreaterThan(0);
  expect(validatePluginOptions(schedulerPlugin as never, { percentageOfNodesToScore: 50, profiles: [{ schedulerName: 'x' }] })).toEqual([]);
});
