import type { QueuedPodInfo } from '../../../../kernel/scheduling/types';
import { PrioritySort } from '../../../../plugins/scheduler/plugins/priority-sort';
import { makePod, PluginHarness } from '../support';

function queued(name: string, priority: number, timestamp: number): QueuedPodInfo {
  return { pod: makePod({ name, priority }), priority, timestamp, attempts: 1 };
}

describe('PrioritySort', () => {
  const h = new PluginHarness(PrioritySort);
  const less = (a: QueuedPodInfo, b: QueuedPodInfo) => h.plugin.less!(a, b);

  test.each([
    ['higher priority goes first although it came later', queued('a', 100, 2000), queued('b', 10, 1000), true],
    ['lower priority goes after although it came earlier', queued('a', 10, 1000), queued('b', 100, 2000), false],
    ['equal priority: earlier first', queued('a', 5, 1000), queued('b', 5, 2000), true],
    ['equal priority: later after', queued('a', 5, 2000), queued('b', 5, 1000), false],
    ['equal priority and time: not before', queued('a', 0, 1000), queued('b', 0, 1000), false],
    ['negative priority goes after priority 0', queued('a', -1, 1000), queued('b', 0, 2000), false],
    ['system priorities go first', queued('a', 2_000_001_000, 3000), queued('b', 1_000_000, 1000), true],
  ])('%s', (_name, a, b, expected) => {
    expect(less(a, b)).toBe(expected);
  });

  test('sorts a queue by priority, then by timestamp', () => {
    const pods = [queued('low-old', 0, 1), queued('high-new', 10, 5), queued('low-new', 0, 9), queued('high-old', 10, 2), queued('mid', 5, 0)];
    const sorted = [...pods].sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
    expect(sorted.map((p) => p.pod.metadata!.name)).toEqual(['high-old', 'high-new', 'mid', 'low-old', 'low-new']);
  });
});
