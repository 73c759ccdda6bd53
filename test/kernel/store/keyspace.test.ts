import { Keyspace, nextKeyValue } from '../../../kernel/store/keyspace';
import type { KeyValue } from '../../../kernel/store/types';
import { random } from './helpers';

/**
 * Reads at past revisions are reconstructed by undoing history; check them
 * against full copies of the state taken at every revision.
 */
describe('Keyspace', () => {
  it('reads every past revision exactly as it was, with any prefix, page and start', () => {
    const rand = random(7);
    const space = new Keyspace({ limit: 100_000, now: () => 0 });
    const states: Map<string, KeyValue>[] = [new Map()];
    const names = Array.from({ length: 60 }, (_, i) => `/${'abc'[i % 3]}/${i.toString(36)}`);
    for (let rev = 1; rev <= 1500; rev++) {
      const key = names[Math.floor(rand() * names.length)]!;
      const prev = space.get(key);
      if (prev && rand() < 0.3) space.applyDelete(key, rev);
      else space.applyPut(nextKeyValue(prev, key, `v${rev}`, rev));
      const state = new Map(states[rev - 1]);
      if (space.get(key)) state.set(key, space.get(key)!);
      else state.delete(key);
      states.push(state);
    }
    for (let probe = 0; probe < 2000; probe++) {
      const revision = Math.floor(rand() * 1500) + 1;
      const prefix = ['', '/', '/a/', '/b/', '/c/1'][Math.floor(rand() * 5)]!;
      const startAfter = rand() < 0.5 ? undefined : names[Math.floor(rand() * names.length)];
      const limit = Math.floor(rand() * 8);
      const expected = [...states[revision]!.values()]
        .filter((kv) => kv.key.startsWith(prefix) && (startAfter === undefined || kv.key > startAfter))
        .sort((x, y) => (x.key < y.key ? -1 : 1));
      const page = limit > 0 ? expected.slice(0, limit) : expected;
      expect(space.range({ prefix, startAfter, limit, revision })).toEqual({
        items: page,
        more: page.length < expected.length,
        remaining: expected.length - page.length,
        revision,
      });
    }
  });
});
