/** linkSignals: aborts with any source, and releases the sources when done or disposed. */
import { getEventListeners } from 'node:events';
import { linkSignals } from '../../../plugins/runtime-simulated/linked-signal';

test('aborts with the first source\'s reason and then lets go of every source', () => {
  const a = new AbortController();
  const b = new AbortController();
  const linked = linkSignals([a.signal, undefined, b.signal]);
  expect(linked.signal.aborted).toBe(false);
  b.abort(new Error('b went'));
  expect(linked.signal.reason).toEqual(new Error('b went'));
  expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
});

test('dispose removes its listeners; an already aborted source aborts at once', () => {
  const a = new AbortController();
  const linked = linkSignals([a.signal]);
  linked.dispose();
  linked.dispose();
  expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
  a.abort();
  expect(linked.signal.aborted).toBe(false);
  expect(linkSignals([a.signal]).signal.aborted).toBe(true);
});
