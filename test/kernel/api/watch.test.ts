/**
 * WatchManager over a real embedded store: the watchers of a resource share
 * one store watch, an event reaches only the watchers whose index (a field
 * pinned by the selector, or the namespace) it concerns, selectors and their
 * transitions behave as before, a watcher from an older revision is replayed
 * what it missed exactly once, and 410 / failures end only what they should.
 */
import { openEmbeddedStore, type EmbeddedStore } from '../../../kernel/store/embedded';
import { WatchManager, type ApiWatchEvent, type WatchHandle, type WatchRequest, type WatchRest } from '../../../kernel/api/watch';
import { parseFieldSelector } from '../../../kernel/api/selectors';
import { decodeFromStore } from '../../../kernel/api/codec';
import type { ServedResource } from '../../../kernel/api/registry';
import type { StoredObject } from '../../../kernel/api/types';
import { tempDirs } from '../store/helpers';

const newDir = tempDirs('watch');

const pods = { group: '', version: 'v1', plural: 'pods', resource: 'pods', kind: 'Pod', apiVersion: 'v1', listKind: 'PodList', namespaced: true, keyPrefix: '/registry/core/pods/' } as unknown as ServedResource;

interface Fixture {
  store: EmbeddedStore;
  watches: WatchManager;
  /** selectableFields calls so far. */
  fieldCalls: () => number;
}

let open: EmbeddedStore[] = [];
afterEach(async () => {
  await Promise.all(open.map((s) => s.close()));
  open = [];
});

async function fixture(historyLimit?: number): Promise<Fixture> {
  const store = await openEmbeddedStore({ dir: newDir(), fsync: false, historyLimit });
  open.push(store);
  let calls = 0;
  const rest: WatchRest = {
    fieldMatcher: (_r, selector) => parseFieldSelector(selector),
    selectableFields: (_r, o: StoredObject) => {
      calls++;
      return { 'metadata.name': o.metadata.name, 'metadata.namespace': o.metadata.namespace ?? '', 'spec.nodeName': (o as { spec?: { nodeName?: string } }).spec?.nodeName ?? '' };
    },
    list: async (_r, namespace, request) => {
      const page = await store.range({ prefix: `${pods.keyPrefix}${namespace ? `${namespace}/` : ''}` });
      const fields = parseFieldSelector(request.fieldSelector);
      const items = page.items.map(decodeFromStore).filter((o) => fields.matches({ 'spec.nodeName': (o as { spec?: { nodeName?: string } }).spec?.nodeName ?? '', 'metadata.name': o.metadata.name }));
      return { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: String(page.revision) }, items };
    },
  };
  return { store, watches: new WatchManager(store, rest, { bookmarkIntervalMs: 50 }), fieldCalls: () => calls };
}

function pod(name: string, nodeName: string, namespace = 'default', labels?: Record<string, string>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid: `uid-${name}`, labels }, spec: { nodeName } });
}

const key = (name: string, namespace = 'default') => `${pods.keyPrefix}${namespace}/${name}`;

interface Recorder {
  events: ApiWatchEvent[];
  ended: boolean;
  handle: WatchHandle;
  /** `TYPE name` of every non-bookmark event. */
  seen(): string[];
}

async function watch(f: Fixture, request: WatchRequest, namespace?: string, send?: (events: ApiWatchEvent[]) => void): Promise<Recorder> {
  const r = { events: [] as ApiWatchEvent[], ended: false } as Recorder;
  r.seen = () => r.events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${(e.object as StoredObject).metadata?.name ?? (e.object as { code?: number }).code}`);
  r.handle = await f.watches.watch(pods, namespace, request, {
    send: (events) => {
      send?.(events);
      r.events.push(...events);
    },
    end: () => void (r.ended = true),
  });
  return r;
}

/** Let the store deliver what it has published. */
const flush = () => new Promise((r) => setImmediate(() => setImmediate(r)));

test('watchers of a resource share one store watch, released when the last stops', async () => {
  const f = await fixture();
  const rv = String(f.store.currentRevision());
  const ws = await Promise.all(Array.from({ length: 5 }, (_, i) => watch(f, { resourceVersion: rv, fieldSelector: `spec.nodeName=node-${i}` })));
  expect(f.store.stats().watchers).toBe(1);
  for (const w of ws) w.handle.stop();
  expect(f.store.stats().watchers).toBe(0);
  // A new watcher after that opens a new shared watch and still gets its events.
  const again = await watch(f, { resourceVersion: rv, fieldSelector: 'spec.nodeName=node-0' });
  await f.store.create(key('p'), pod('p', 'node-0'));
  await flush();
  expect(again.seen()).toEqual(['ADDED p']);
});

test('a pod event reaches only its node watcher, and is matched once however many node watchers there are', async () => {
  const f = await fixture();
  const rv = String(f.store.currentRevision());
  const nodes = await Promise.all(Array.from({ length: 100 }, (_, i) => watch(f, { resourceVersion: rv, fieldSelector: `spec.nodeName=node-${i}` })));
  const everything = await watch(f, { resourceVersion: rv });
  const before = f.fieldCalls();
  await f.store.create(key('a'), pod('a', 'node-7'));
  await flush();
  // Once for the new object (a create has no previous state), not once per watcher.
  expect(f.fieldCalls() - before).toBe(1);
  expect(nodes[7]!.seen()).toEqual(['ADDED a']);
  expect(nodes.filter((w, i) => i !== 7 && w.events.length > 0)).toEqual([]);
  expect(everything.seen()).toEqual(['ADDED a']);
});

test('an object moving from one indexed value to another leaves one watcher and enters the other', async () => {
  const f = await fixture();
  const rv = String(f.store.currentRevision());
  const a = await watch(f, { resourceVersion: rv, fieldSelector: 'spec.nodeName=a' });
  const b = await watch(f, { resourceVersion: rv, fieldSelector: 'spec.nodeName=b' });
  const created = await f.store.create(key('p'), pod('p', 'a'));
  await f.store.update(key('p'), pod('p', 'b'), created.modRevision);
  await f.store.delete(key('p'));
  await flush();
  expect(a.seen()).toEqual(['ADDED p', 'DELETED p']);
  expect(b.seen()).toEqual(['ADDED p', 'DELETED p']);
  // Leaving is reported with the last state that matched, at the revision of the change.
  const left = a.events[1]!.object as StoredObject & { spec: { nodeName: string } };
  expect(left.spec.nodeName).toBe('a');
  expect(left.metadata.resourceVersion).toBe(String(created.modRevision + 1));
});

test('namespaces, names, labels and non-indexed field selectors still filter', async () => {
  const f = await fixture();
  const rv = String(f.store.currentRevision());
  const inA = await watch(f, { resourceVersion: rv }, 'ns-a');
  const byName = await watch(f, { resourceVersion: rv, fieldSelector: 'metadata.name=two,spec.nodeName=n' }, 'ns-a');
  const labelled = await watch(f, { resourceVersion: rv, labelSelector: 'app=web' });
  const notOnN = await watch(f, { resourceVersion: rv, fieldSelector: 'spec.nodeName!=n' });
  await f.store.create(key('one', 'ns-a'), pod('one', 'n', 'ns-a'));
  await f.store.create(key('two', 'ns-a'), pod('two', 'n', 'ns-a', { app: 'web' }));
  await f.store.create(key('two', 'ns-b'), pod('two', 'm', 'ns-b', { app: 'web' }));
  await flush();
  expect(inA.seen()).toEqual(['ADDED one', 'ADDED two']);
  expect(byName.seen()).toEqual(['ADDED two']);
  expect(labelled.seen()).toEqual(['ADDED two', 'ADDED two']);
  expect(notOnN.seen()).toEqual(['ADDED two']);
  expect((notOnN.events[0]!.object as StoredObject).metadata.namespace).toBe('ns-b');
});

test('a watcher from an older revision is replayed what it missed, once and in order, then follows', async () => {
  const f = await fixture();
  const start = f.store.currentRevision();
  const early = await watch(f, { resourceVersion: String(start), fieldSelector: 'spec.nodeName=n' });
  await f.store.create(key('a'), pod('a', 'n'));
  const b = await f.store.create(key('b'), pod('b', 'n'));
  await f.store.create(key('c'), pod('c', 'other'));
  await flush();
  expect(early.seen()).toEqual(['ADDED a', 'ADDED b']);

  // Joins the shared watch after b: gets only what came later.
  const late = await watch(f, { resourceVersion: String(b.modRevision), fieldSelector: 'spec.nodeName=n' });
  const fromStart = await watch(f, { resourceVersion: String(start) });
  expect(late.seen()).toEqual([]);
  expect(fromStart.seen()).toEqual(['ADDED a', 'ADDED b', 'ADDED c']);
  await f.store.update(key('a'), pod('a', 'n'));
  await flush();
  expect(early.seen()).toEqual(['ADDED a', 'ADDED b', 'MODIFIED a']);
  expect(late.seen()).toEqual(['MODIFIED a']);
  expect(fromStart.seen()).toEqual(['ADDED a', 'ADDED b', 'ADDED c', 'MODIFIED a']);
});

test('a watch with resourceVersion "0" lists first, then misses nothing written meanwhile', async () => {
  const f = await fixture();
  await f.store.create(key('a'), pod('a', 'n'));
  const existing = await watch(f, { resourceVersion: String(f.store.currentRevision()) });
  const listed = await watch(f, { resourceVersion: '0', fieldSelector: 'spec.nodeName=n' });
  await f.store.create(key('b'), pod('b', 'n'));
  await flush();
  expect(listed.seen()).toEqual(['ADDED a', 'ADDED b']);
  expect(existing.seen()).toEqual(['ADDED b']);
});

test('a revision older than the history gets ERROR 410 and ends; other watchers go on', async () => {
  const f = await fixture(5);
  await f.store.create(key('first'), pod('first', 'n'));
  const start = f.store.currentRevision();
  const live = await watch(f, { resourceVersion: String(start) });
  for (let i = 0; i < 10; i++) await f.store.create(key(`p${i}`), pod(`p${i}`, 'n'));
  await flush();
  const old = await watch(f, { resourceVersion: String(start) });
  await flush();
  expect(old.ended).toBe(true);
  expect(old.events.map((e) => [e.type, (e.object as { code?: number }).code])).toEqual([['ERROR', 410]]);
  expect(live.seen()).toHaveLength(10);
  expect(live.ended).toBe(false);
});

test('a sink that throws ends its own watch only', async () => {
  const f = await fixture();
  const rv = String(f.store.currentRevision());
  const broken = await watch(f, { resourceVersion: rv, fieldSelector: 'spec.nodeName=n' }, undefined, () => {
    throw new Error('broken transport');
  });
  const fine = await watch(f, { resourceVersion: rv, fieldSelector: 'spec.nodeName=n' });
  await f.store.create(key('a'), pod('a', 'n'));
  await f.store.create(key('b'), pod('b', 'n'));
  await flush();
  expect(broken.ended).toBe(true);
  expect(fine.ended).toBe(false);
  expect(fine.seen()).toEqual(['ADDED a', 'ADDED b']);
});

test('bookmarks carry the shared watch position, even when nothing of the watcher changed', async () => {
  const f = await fixture();
  const w = await watch(f, { resourceVersion: String(f.store.currentRevision()), fieldSelector: 'spec.nodeName=quiet', allowWatchBookmarks: true });
  const other = await f.store.create(key('a'), pod('a', 'busy'));
  await flush();
  await new Promise((r) => setTimeout(r, 120));
  w.handle.stop();
  const bookmarks = w.events.filter((e) => e.type === 'BOOKMARK');
  expect(w.seen()).toEqual([]);
  expect(bookmarks.length).toBeGreaterThan(0);
  expect((bookmarks[bookmarks.length - 1]!.object as StoredObject).metadata.resourceVersion).toBe(String(other.modRevision));
});

test('the store closing ends every watcher', async () => {
  const f = await fixture();
  const rv = String(f.store.currentRevision());
  const ws = await Promise.all([watch(f, { resourceVersion: rv }), watch(f, { resourceVersion: rv, fieldSelector: 'spec.nodeName=n' }), watch(f, { resourceVersion: rv }, 'ns')]);
  await f.store.close();
  await flush();
  expect(ws.map((w) => w.ended)).toEqual([true, true, true]);
});
