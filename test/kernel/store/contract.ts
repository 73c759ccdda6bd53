/**
 * The Store contract (kernel/store/types.ts) as a reusable jest suite: every
 * Store implementation runs it, the embedded store here and the etcd store in
 * its plugin:
 *
 *   describeStoreContract('etcd', () => openEtcdStore({ ... }));
 *
 * `makeStore` must return a fresh, empty-looking store for each test (a new
 * data dir, or a fresh key prefix). Tests only assume revisions relative to
 * `currentRevision()` when they start, so a store that shares its revision
 * counter with other users (etcd) passes too. The suite closes each store.
 */

import {
  isStoreError,
  type KeyValue,
  type Store,
  type StoreError,
  type StoreErrorCode,
  type WatchEvent,
  type WatchOptions,
} from '../../../kernel/store/types';

export function describeStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let closed: boolean;

    beforeEach(async () => {
      store = await makeStore();
      closed = false;
    });

    afterEach(async () => {
      if (!closed) await store.close();
    });

    describe('get, create, update, delete', () => {
      it('creates a key at a new revision and reads it back', async () => {
        const before = store.currentRevision();
        const kv = await store.create('/c/a', '{"n":1}');
        expect(kv).toEqual({ key: '/c/a', value: '{"n":1}', createRevision: kv.modRevision, modRevision: kv.modRevision, version: 1 });
        expect(kv.modRevision).toBeGreaterThan(before);
        expect(store.currentRevision()).toBeGreaterThanOrEqual(kv.modRevision);
        expect(await store.get('/c/a')).toEqual(kv);
      });

      it('returns undefined for a missing key', async () => {
        expect(await store.get('/c/missing')).toBeUndefined();
      });

      it('refuses to create an existing key with KeyExists and keeps the value', async () => {
        const kv = await store.create('/c/a', 'one');
        await expectStoreError(store.create('/c/a', 'two'), 'KeyExists');
        expect(await store.get('/c/a')).toEqual(kv);
      });

      it('update bumps modRevision and version and keeps createRevision', async () => {
        const created = await store.create('/c/a', 'one');
        const updated = await store.update('/c/a', 'two');
        expect(updated).toEqual({
          key: '/c/a',
          value: 'two',
          createRevision: created.createRevision,
          modRevision: updated.modRevision,
          version: 2,
        });
        expect(updated.modRevision).toBeGreaterThan(created.modRevision);
        const again = await store.update('/c/a', 'three', updated.modRevision);
        expect(again.version).toBe(3);
        expect(await store.get('/c/a')).toEqual(again);
      });

      it('update with a stale modRevision fails with RevisionMismatch and changes nothing', async () => {
        const created = await store.create('/c/a', 'one');
        const updated = await store.update('/c/a', 'two', created.modRevision);
        await expectStoreError(store.update('/c/a', 'three', created.modRevision), 'RevisionMismatch');
        expect(await store.get('/c/a')).toEqual(updated);
      });

      it('update of a missing key fails with KeyNotFound', async () => {
        await expectStoreError(store.update('/c/missing', 'x'), 'KeyNotFound');
        await expectStoreError(store.update('/c/missing', 'x', 1), 'KeyNotFound');
      });

      it('delete returns the deleted value, removes the key and bumps the revision', async () => {
        const created = await store.create('/c/a', 'one');
        const deleted = await store.delete('/c/a');
        expect(deleted).toEqual(created);
        expect(await store.get('/c/a')).toBeUndefined();
        expect(store.currentRevision()).toBeGreaterThan(created.modRevision);
        await expectStoreError(store.delete('/c/a'), 'KeyNotFound');
      });

      it('delete with a stale modRevision fails with RevisionMismatch and keeps the key', async () => {
        const created = await store.create('/c/a', 'one');
        const updated = await store.update('/c/a', 'two');
        await expectStoreError(store.delete('/c/a', created.modRevision), 'RevisionMismatch');
        expect(await store.get('/c/a')).toEqual(updated);
        expect(await store.delete('/c/a', updated.modRevision)).toEqual(updated);
      });

      it('a key created again after a delete starts over at version 1', async () => {
        const first = await store.create('/c/a', 'one');
        await store.delete('/c/a');
        const second = await store.create('/c/a', 'two');
        expect(second.version).toBe(1);
        expect(second.createRevision).toBe(second.modRevision);
        expect(second.createRevision).toBeGreaterThan(first.createRevision + 1);
      });

      it('stores values exactly, including non-ASCII text and the empty string', async () => {
        const values = ['', '{"name":"café","emoji":"🚢","cjk":"船"}', 'line\nbreak\u0000nul', 'x'.repeat(100_000)];
        for (const [i, value] of values.entries()) await store.create(`/c/${i}`, value);
        for (const [i, value] of values.entries()) expect((await store.get(`/c/${i}`))?.value).toBe(value);
      });
    });

    describe('range', () => {
      it('returns exactly the keys with the prefix, sorted, at the current revision', async () => {
        for (const key of ['/r/b', '/r/a', '/rx/a', '/q/a', '/r/c', '/r']) await store.create(key, key);
        const result = await store.range({ prefix: '/r/' });
        expect(result.items.map((kv) => kv.key)).toEqual(['/r/a', '/r/b', '/r/c']);
        expect(result.items.map((kv) => kv.value)).toEqual(['/r/a', '/r/b', '/r/c']);
        expect(result).toMatchObject({ more: false, remaining: 0, revision: store.currentRevision() });
      });

      it('treats an exact key as a prefix too', async () => {
        for (const key of ['/r/a', '/r/ab', '/r/b']) await store.create(key, key);
        const result = await store.range({ prefix: '/r/a' });
        expect(result.items.map((kv) => kv.key)).toEqual(['/r/a', '/r/ab']);
      });

      it('pages with limit and startAfter, reporting more and remaining', async () => {
        const keys = Array.from({ length: 25 }, (_, i) => `/p/${String(i).padStart(2, '0')}`);
        await Promise.all(keys.map((key) => store.create(key, key)));
        await store.create('/pz', 'outside');

        const seen: string[] = [];
        const pages: { more: boolean; remaining: number; size: number }[] = [];
        let startAfter: string | undefined;
        for (;;) {
          const page = await store.range({ prefix: '/p/', limit: 10, startAfter });
          seen.push(...page.items.map((kv) => kv.key));
          pages.push({ more: page.more, remaining: page.remaining, size: page.items.length });
          if (!page.more) break;
          startAfter = page.items[page.items.length - 1]!.key;
        }
        expect(seen).toEqual(keys);
        expect(pages).toEqual([
          { more: true, remaining: 15, size: 10 },
          { more: true, remaining: 5, size: 10 },
          { more: false, remaining: 0, size: 5 },
        ]);
      });

      it('reads everything when limit is 0 or absent', async () => {
        for (let i = 0; i < 7; i++) await store.create(`/l/${i}`, 'v');
        expect((await store.range({ prefix: '/l/', limit: 0 })).items).toHaveLength(7);
        expect((await store.range({ prefix: '/l/' })).items).toHaveLength(7);
      });

      it('starts after a key that does not exist, and ignores a startAfter before the prefix', async () => {
        for (const key of ['/s/a', '/s/c', '/s/e']) await store.create(key, key);
        expect((await store.range({ prefix: '/s/', startAfter: '/s/b' })).items.map((kv) => kv.key)).toEqual(['/s/c', '/s/e']);
        expect((await store.range({ prefix: '/s/', startAfter: '/a' })).items.map((kv) => kv.key)).toEqual(['/s/a', '/s/c', '/s/e']);
        expect(await store.range({ prefix: '/s/', startAfter: '/s/e' })).toMatchObject({ items: [], more: false, remaining: 0 });
      });

      it('reads a past revision: later creates, updates and deletes are undone', async () => {
        const a = await store.create('/h/a', 'a1');
        const b = await store.create('/h/b', 'b1');
        await store.create('/h/d', 'd1');
        const then = store.currentRevision();
        await store.update('/h/a', 'a2');
        await store.delete('/h/b');
        await store.create('/h/c', 'c1');
        await store.delete('/h/d');
        await store.create('/h/d', 'd2');

        const past = await store.range({ prefix: '/h/', revision: then });
        expect(past.revision).toBe(then);
        expect(past.items.map((kv) => [kv.key, kv.value])).toEqual([
          ['/h/a', 'a1'],
          ['/h/b', 'b1'],
          ['/h/d', 'd1'],
        ]);
        expect(past.items[0]).toEqual(a);
        expect(past.items[1]).toEqual(b);

        const page1 = await store.range({ prefix: '/h/', revision: then, limit: 2 });
        expect(page1.items.map((kv) => kv.key)).toEqual(['/h/a', '/h/b']);
        expect(page1).toMatchObject({ more: true, remaining: 1 });
        const page2 = await store.range({ prefix: '/h/', revision: then, limit: 2, startAfter: '/h/b' });
        expect(page2.items.map((kv) => [kv.key, kv.value])).toEqual([['/h/d', 'd1']]);
        expect(page2).toMatchObject({ more: false, remaining: 0 });

        const now = await store.range({ prefix: '/h/' });
        expect(now.items.map((kv) => [kv.key, kv.value])).toEqual([
          ['/h/a', 'a2'],
          ['/h/c', 'c1'],
          ['/h/d', 'd2'],
        ]);
      });

      it('fails with FutureRevision for a revision newer than the current one', async () => {
        await store.create('/f/a', 'a');
        await expectStoreError(store.range({ prefix: '/f/', revision: store.currentRevision() + 1 }), 'FutureRevision');
      });
    });

    describe('watch', () => {
      it('delivers every event after a revision once, in order, history then live', async () => {
        await store.create('/w/before', 'x');
        const from = store.currentRevision();
        const a = await store.create('/w/a', 'a1');
        const a2 = await store.update('/w/a', 'a2');
        await store.create('/other/a', 'not watched');
        const b = await store.create('/w/b', 'b1');

        const watch = collect(store, { prefix: '/w/', afterRevision: from });
        await watch.waitFor(3);
        const deleted = await store.delete('/w/b');
        const c = await store.create('/w/c', 'c1');
        await watch.waitFor(5);
        const sentinel = await store.create('/w/sentinel', 's');
        await watch.waitFor(6);
        watch.cancel();

        expect(watch.events.map(brief)).toEqual([
          ['put', '/w/a', a.modRevision],
          ['put', '/w/a', a2.modRevision],
          ['put', '/w/b', b.modRevision],
          ['delete', '/w/b', watch.events[3]?.revision],
          ['put', '/w/c', c.modRevision],
          ['put', '/w/sentinel', sentinel.modRevision],
        ]);
        expect(watch.events[0]).toEqual({ type: 'put', kv: a, revision: a.modRevision });
        expect(watch.events[1]).toEqual({ type: 'put', kv: a2, prevKv: a, revision: a2.modRevision });
        const del = watch.events[3]!;
        expect(del.revision).toBeGreaterThan(b.modRevision);
        expect(del.revision).toBeLessThan(c.modRevision);
        expect(del.prevKv).toEqual(deleted);
        expect(del.kv).toMatchObject({ key: '/w/b', value: '', modRevision: del.revision });
        expectIncreasing(watch.events.map((e) => e.revision));
        for (const e of watch.events) expect(e.revision).toBe(e.kv.modRevision);
        expect(watch.calls.every((n) => n > 0)).toBe(true);
        expect(watch.errors).toEqual([]);
      });

      it('without afterRevision delivers only later events', async () => {
        await store.create('/w/old', 'x');
        const watch = collect(store, { prefix: '/w/' });
        const fresh = await store.create('/w/new', 'y');
        await watch.waitFor(1);
        const sentinel = await store.create('/w/sentinel', 's');
        await watch.waitFor(2);
        expect(watch.events.map(brief)).toEqual([
          ['put', '/w/new', fresh.modRevision],
          ['put', '/w/sentinel', sentinel.modRevision],
        ]);
      });

      it('from a revision not reached yet delivers only the events after it', async () => {
        const from = store.currentRevision() + 2;
        const watch = collect(store, { prefix: '/fu/', afterRevision: from });
        await store.create('/fu/1', 'a');
        await store.create('/fu/2', 'b');
        const third = await store.create('/fu/3', 'c');
        await watch.waitFor(1);
        const sentinel = await store.create('/fu/4', 'd');
        await watch.waitFor(2);
        expect(watch.events.map(brief)).toEqual([
          ['put', '/fu/3', third.modRevision],
          ['put', '/fu/4', sentinel.modRevision],
        ]);
      });

      it('on a key delivers that key only, not keys it is a prefix of', async () => {
        const from = store.currentRevision();
        await store.create('/k/ab', 'longer key');
        const a = await store.create('/k/a', 'a1');
        await store.create('/k/b', 'other');
        const a2 = await store.update('/k/a', 'a2');
        const watch = collect(store, { key: '/k/a', afterRevision: from });
        await watch.waitFor(2);
        const gone = await store.delete('/k/a');
        await watch.waitFor(3);
        expect(watch.events.map(brief)).toEqual([
          ['put', '/k/a', a.modRevision],
          ['put', '/k/a', a2.modRevision],
          ['delete', '/k/a', watch.events[2]?.revision],
        ]);
        expect(watch.events[2]!.revision).toBeGreaterThan(a2.modRevision);
        expect(watch.events[2]!.prevKv).toEqual(gone);
      });

      it('sees many concurrent writes once each, in revision order', async () => {
        const from = store.currentRevision();
        const watch = collect(store, { prefix: '/m/', afterRevision: from });
        const created = await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`/m/${i}`, String(i))));
        await watch.waitFor(100);
        const sentinel = await store.create('/m/sentinel', 's');
        await watch.waitFor(101);
        const revisions = watch.events.map((e) => e.revision);
        expectIncreasing(revisions);
        expect(revisions).toEqual([...created.map((kv) => kv.modRevision).sort((x, y) => x - y), sentinel.modRevision]);
      });

      it('stops delivering after cancel', async () => {
        const cancelled = collect(store, { prefix: '/x/' });
        const control = collect(store, { prefix: '/x/' });
        await store.create('/x/1', 'a');
        await control.waitFor(1);
        await cancelled.waitFor(1);
        cancelled.cancel();
        cancelled.cancel(); // idempotent
        await store.create('/x/2', 'b');
        await control.waitFor(2);
        // A few more round trips through the store, so a stray delivery would have arrived.
        await store.create('/x/3', 'c');
        await control.waitFor(3);
        expect(cancelled.events.map((e) => e.kv.key)).toEqual(['/x/1']);
        expect(cancelled.errors).toEqual([]);
      });

      it('ends watches with Unavailable when the store closes', async () => {
        const watch = collect(store, { prefix: '/z/' });
        await store.close();
        closed = true;
        const err = await watch.waitError();
        expect(err.code).toBe('Unavailable');
      });
    });

    describe('compaction', () => {
      it('fails older watches and reads with Compacted and keeps later ones working', async () => {
        for (let i = 0; i < 5; i++) await store.create(`/cp/${i}`, String(i));
        const target = store.currentRevision();
        const later = await store.update('/cp/0', 'changed');
        await store.compact(target);

        const compacted = store.compactedRevision();
        expect(compacted).toBeGreaterThanOrEqual(target - 1);
        expect(compacted).toBeLessThanOrEqual(target);

        await expectStoreError(store.range({ prefix: '/cp/', revision: compacted - 1 }), 'Compacted');
        const tooOld = collect(store, { prefix: '/cp/', afterRevision: compacted - 1 });
        expect((await tooOld.waitError()).code).toBe('Compacted');
        expect(tooOld.events).toEqual([]);

        const atCompacted = await store.range({ prefix: '/cp/', revision: target });
        expect(atCompacted.items.find((kv) => kv.key === '/cp/0')?.value).toBe('0');
        const ok = collect(store, { prefix: '/cp/', afterRevision: target });
        await ok.waitFor(1);
        expect(ok.events.map(brief)).toEqual([['put', '/cp/0', later.modRevision]]);
        expect(ok.errors).toEqual([]);
      });

      it('refuses to compact beyond the current revision', async () => {
        await store.create('/cp/a', 'a');
        await expectStoreError(store.compact(store.currentRevision() + 1), 'FutureRevision');
      });
    });

    describe('concurrency', () => {
      it('gives parallel creates distinct revisions and keeps them all', async () => {
        const before = store.currentRevision();
        const created = await Promise.all(Array.from({ length: 200 }, (_, i) => store.create(`/cc/${String(i).padStart(3, '0')}`, `v${i}`)));
        const revisions = created.map((kv) => kv.modRevision);
        expect(new Set(revisions).size).toBe(200);
        expect(Math.min(...revisions)).toBeGreaterThan(before);
        expect(store.currentRevision()).toBeGreaterThanOrEqual(Math.max(...revisions));
        const listed = await store.range({ prefix: '/cc/' });
        expect(listed.items).toEqual([...created].sort((x, y) => (x.key < y.key ? -1 : 1)));
      });

      it('lets exactly one of several parallel creates of one key win', async () => {
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.create('/cc/one', `v${i}`)));
        const won = results.filter((r): r is PromiseFulfilledResult<KeyValue> => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(isStoreError(r.reason, 'KeyExists')).toBe(true);
        expect(await store.get('/cc/one')).toEqual(won[0]!.value);
      });

      it('lets exactly one of several parallel updates at the same modRevision win', async () => {
        const created = await store.create('/cc/one', 'v');
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => store.update('/cc/one', `v${i}`, created.modRevision)),
        );
        const won = results.filter((r): r is PromiseFulfilledResult<KeyValue> => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(isStoreError(r.reason, 'RevisionMismatch')).toBe(true);
        expect(await store.get('/cc/one')).toEqual(won[0]!.value);
        expect(won[0]!.value.version).toBe(2);
      });
    });
  });
}

/** Expect `promise` to reject with a StoreError of `code`; returns the error. */
export async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (err) {
    if (!isStoreError(err)) throw new Error(`expected StoreError ${code}, got ${String(err)}`, { cause: err });
    expect(err.code).toBe(code);
    expect(err.message).not.toBe('');
    return err;
  }
  throw new Error(`expected StoreError ${code}, but it resolved to ${JSON.stringify(outcome)}`);
}

export interface CollectedWatch {
  readonly events: WatchEvent[];
  /** Size of each onEvents batch. */
  readonly calls: number[];
  readonly errors: StoreError[];
  /** Resolves once at least `count` events have arrived (rejects if the watch fails first). */
  waitFor(count: number): Promise<void>;
  /** Resolves with the error that ends the watch. */
  waitError(): Promise<StoreError>;
  cancel(): void;
}

/** Watch and record everything delivered. No timers: waits end on delivery (jest's timeout is the backstop). */
export function collect(store: Store, options: WatchOptions): CollectedWatch {
  const events: WatchEvent[] = [];
  const calls: number[] = [];
  const errors: StoreError[] = [];
  let wake: () => void = () => undefined;
  const changed = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve));
  let next = changed();
  const watcher = store.watch(options, {
    onEvents(batch) {
      calls.push(batch.length);
      events.push(...batch);
      wake();
      next = changed();
    },
    onError(err) {
      errors.push(err);
      wake();
      next = changed();
    },
  });
  return {
    events,
    calls,
    errors,
    async waitFor(count) {
      while (events.length < count) {
        if (errors.length > 0) throw errors[0];
        await next;
      }
    },
    async waitError() {
      while (errors.length === 0) await next;
      return errors[0]!;
    },
    cancel: () => watcher.cancel(),
  };
}

function brief(e: WatchEvent): [string, string, number] {
  return [e.type, e.kv.key, e.revision];
}

function expectIncreasing(revisions: number[]): void {
  for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1]!);
}
