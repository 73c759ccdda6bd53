/**
 * Scheduling plugins on the kernel hooks: tapSchedulingPlugin and how the
 * scheduler reads them back (the object itself, or the taps of a name
 * gathered into one).
 */
import { createKernelHooks } from '../../../kernel/hooks';
import { schedulingPlugins, tapSchedulingPlugin } from '../../../kernel/scheduling/plugins';
import { SchedulingStatus, type FilterPlugin, type ScorePlugin } from '../../../kernel/scheduling/types';

const Typed = {
  name: 'Typed',
  argsSchema: { type: 'object' },
  defaultArgs: { x: 1 },
  filter: () => SchedulingStatus.unschedulable('no'),
  score: () => 7,
} satisfies FilterPlugin & ScorePlugin;

test('a plugin tapped by tapSchedulingPlugin comes back as itself, its methods on their hooks', () => {
  const hooks = createKernelHooks();
  tapSchedulingPlugin(hooks, Typed);
  expect(schedulingPlugins(hooks).get('Typed')).toBe(Typed);
  expect(hooks.scheduling.filter.taps.map((t) => t.name)).toEqual(['Typed']);
  expect(hooks.scheduling.score.taps.map((t) => t.name)).toEqual(['Typed']);
});

test('taps made by hand are gathered by name; a plugin tapped twice or with nothing to tap is refused', async () => {
  const hooks = createKernelHooks();
  hooks.scheduling.score.tap('ByHand', () => 3);
  hooks.scheduling.preScore.tapPromise('ByHand', async () => undefined);
  const byHand = schedulingPlugins(hooks).get('ByHand')!;
  expect(byHand.score!({} as never, {} as never, {} as never)).toBe(3);
  expect(await byHand.preScore!({} as never, {} as never, [])).toBeUndefined();
  expect(() => tapSchedulingPlugin(hooks, { name: 'ByHand', filter: () => undefined })).toThrow('scheduling plugin "ByHand" is already registered');
  expect(() => tapSchedulingPlugin(hooks, { name: 'Empty' })).toThrow('implements no extension point');
});

test('a typed plugin with an extra tap of its name by hand is gathered, keeping its args', () => {
  const hooks = createKernelHooks();
  tapSchedulingPlugin(hooks, Typed);
  hooks.scheduling.postBind.tap('Typed', () => undefined);
  const gathered = schedulingPlugins(hooks).get('Typed')!;
  expect(gathered).not.toBe(Typed);
  expect(gathered.defaultArgs).toEqual({ x: 1 });
  expect(typeof gathered.filter).toBe('function');
  expect(typeof gathered.postBind).toBe('function');
});
