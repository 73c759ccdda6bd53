import { SortedKeys } from '../../../kernel/store/sorted-keys';
import { random } from './helpers';

describe('SortedKeys', () => {
  it('matches a plain sorted array through many random inserts and deletes', () => {
    const rand = random(42);
    const keys = new SortedKeys();
    const model = new Set<string>();
    const key = (): string => `/k/${Math.floor(rand() * 3000).toString(36)}`;
    for (let step = 0; step < 20_000; step++) {
      const k = key();
      // Grow first (chunks split), then shrink (chunks empty and merge).
      if (rand() < (step < 12_000 ? 0.75 : 0.2)) expect(keys.insert(k)).toBe(!model.has(k)), model.add(k);
      else expect(keys.delete(k)).toBe(model.has(k)), model.delete(k);

      if (step % 997 === 0) {
        const sorted = [...model].sort();
        expect(keys.size).toBe(sorted.length);
        expect(keys.slice(0, keys.size)).toEqual(sorted);
        for (let probe = 0; probe < 50; probe++) {
          const p = key();
          expect(keys.lowerBound(p)).toBe(sorted.filter((s) => s < p).length);
          expect(keys.upperBound(p)).toBe(sorted.filter((s) => s <= p).length);
          const rank = Math.floor(rand() * (sorted.length + 1));
          expect(keys.at(rank)).toBe(sorted[rank]);
        }
      }
    }
  });

  it('finds the end of a prefix', () => {
    const keys = new SortedKeys();
    for (const k of ['/a', '/a/', '/a/x', '/a/y', '/a0', '/ab', '/b', '/b/x']) keys.insert(k);
    expect(keys.prefixEnd('/a/')).toBe(4);
    expect(keys.lowerBound('/a/')).toBe(1);
    expect(keys.prefixEnd('/a')).toBe(6);
    expect(keys.prefixEnd('/b/')).toBe(8);
    expect(keys.prefixEnd('/c')).toBe(8);
    expect(keys.prefixEnd('/0')).toBe(0);
    expect(keys.prefixEnd('')).toBe(8);
  });

  it('finds prefix ends across chunk boundaries', () => {
    const keys = new SortedKeys();
    const all: string[] = [];
    for (const group of ['a', 'b', 'c']) {
      for (let i = 0; i < 1500; i++) all.push(`/${group}/${String(i).padStart(4, '0')}`);
    }
    for (const k of [...all].reverse()) keys.insert(k);
    expect(keys.lowerBound('/b/')).toBe(1500);
    expect(keys.prefixEnd('/b/')).toBe(3000);
    expect(keys.prefixEnd('/b/07')).toBe(1500 + 800);
    expect([...keys.iterate(1499, 1502)]).toEqual(['/a/1499', '/b/0000', '/b/0001']);
  });
});
