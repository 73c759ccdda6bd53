/**
 * Durability under kill -9: a child process writes concurrently and reports
 * each create once acknowledged; we kill it mid-stream, reopen the store and
 * check that every acknowledged write is there, exactly, and that nothing
 * else is there but whole values the child wrote.
 *
 * The child is plain JavaScript (fixtures/crash-writer.js) that loads the
 * TypeScript sources through ../../support/register-ts.js (@swc/core on require,
 * the compiler jest uses), so the test needs no separate build.
 */

import { openEmbeddedStore } from '../../../kernel/store/embedded';
import { crashValue } from './fixtures/crash-values';
import { runFixture, tempDirs } from './helpers';

const tempDir = tempDirs('crash');

describe('EmbeddedStore after kill -9', () => {
  it('keeps every acknowledged write and never shows a partial one', async () => {
    const dir = tempDir();
    const acknowledged = new Set<string>();
    // Kill at different depths; a small snapshotEvery makes the kills land
    // around segment rolls and snapshots as well as plain appends.
    for (const [round, killAfter] of [
      [1, 300],
      [2, 1500],
      [3, 4000],
    ] as const) {
      const child = runFixture('crash-writer.js', [dir, String(round), '700']);
      try {
        await child.waitForLine((_, count) => count >= killAfter);
      } finally {
        child.child.kill('SIGKILL');
      }
      const { signal } = await child.exited;
      expect(signal).toBe('SIGKILL');
      const acked = child.lines.filter((line) => line.startsWith(`/crash/${round}/`));
      expect(acked.length).toBe(child.lines.length);
      expect(acked.length).toBeGreaterThanOrEqual(killAfter);
      for (const key of acked) acknowledged.add(key);

      const store = await openEmbeddedStore({ dir });
      try {
        // Collected as lists of keys so that a failure names the keys, not 9 KB values.
        const lost: string[] = [];
        const wrong: string[] = [];
        for (const key of acknowledged) {
          const kv = await store.get(key);
          if (kv === undefined) lost.push(key);
          else if (kv.value !== crashValue(key)) wrong.push(key);
        }
        expect(lost).toEqual([]);
        const { items } = await store.range({ prefix: '/crash/' });
        expect(items.length).toBeGreaterThanOrEqual(acknowledged.size);
        const revisions = new Set<number>();
        for (const kv of items) {
          if (kv.value !== crashValue(kv.key) || kv.version !== 1) wrong.push(kv.key);
          revisions.add(kv.modRevision);
        }
        expect(wrong).toEqual([]);
        // Creates only: one revision per key, no gaps, none lost.
        expect(revisions.size).toBe(items.length);
        expect(store.currentRevision()).toBe(items.length);
      } finally {
        await store.close();
      }
    }
  });
});
