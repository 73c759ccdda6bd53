/**
 * The event recorder's writes: in order for each Event object, several at
 * once across objects, and dropped (not queued without bound) when the API
 * falls behind.
 */
import { EventRecorder } from '../../../kernel/client/events';
import type { ApiClient } from '../../../kernel/client/types';
import { silentLogger } from '../../../kernel/log';
import { FakeClock } from './fake-clock';

/** An API whose writes finish when the test says so. */
function slowApi() {
  const calls: Array<{ verb: string; name: string; done: () => void; createWasDone?: boolean }> = [];
  const doneNames = new Set<string>();
  let inFlight = 0;
  let maxInFlight = 0;
  const write = (verb: string, name: string) =>
    new Promise<unknown>((resolve) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        inFlight--;
        if (verb === 'create') doneNames.add(name);
        resolve({});
      };
      calls.push({ verb, name, done, createWasDone: verb === 'patch' ? doneNames.has(name) : undefined });
    });
  const api = {
    create: (_t: unknown, o: { metadata: { name: string } }) => write('create', o.metadata.name),
    patch: (_t: unknown, name: string) => write('patch', name),
  } as unknown as ApiClient;
  return { api, calls, maxInFlight: () => maxInFlight };
}

const settle = () => new Promise((r) => setImmediate(r));
const pod = (name: string) => ({ kind: 'Pod', apiVersion: 'v1', name, namespace: 'default', uid: `uid-${name}` });

test('a repeat of an event waits for its create; different events go out together, at most 16 at once', async () => {
  const { api, calls, maxInFlight } = slowApi();
  const recorder = new EventRecorder(api, { clock: new FakeClock(), logger: silentLogger, component: 'default-scheduler' });
  recorder.record(pod('a'), 'Warning', 'FailedScheduling', 'no room');
  recorder.record(pod('a'), 'Warning', 'FailedScheduling', 'no room');
  for (let i = 0; i < 30; i++) recorder.record(pod(`p${i}`), 'Normal', 'Scheduled', `assigned p${i}`);
  await settle();
  expect(calls.filter((c) => c.verb === 'patch')).toEqual([]);
  expect(calls.length).toBe(16);
  const firstName = calls[0].name;
  const flushed = recorder.flush();
  for (let i = 0; i < 40; i++) {
    for (const c of calls) c.done();
    await settle();
  }
  await flushed;
  expect(calls.length).toBe(32);
  expect(maxInFlight()).toBe(16);
  // The count patch of a's event came after its create, never alongside it.
  const order = calls.filter((c) => c.name === firstName).map((c) => c.verb);
  expect(order).toEqual(['create', 'patch']);
  expect(calls.find((c) => c.verb === 'patch')!.createWasDone).toBe(true);
});

test('beyond 1000 waiting writes, events are dropped and counted; flush still ends', async () => {
  const { api, calls } = slowApi();
  const recorder = new EventRecorder(api, { clock: new FakeClock(), logger: silentLogger });
  for (let i = 0; i < 1200; i++) recorder.record(pod(`p${i}`), 'Normal', 'Scheduled', `assigned p${i}`);
  expect(recorder.dropped).toBe(200);
  const flushed = recorder.flush();
  for (let round = 0; round < 200 && calls.length < 1000; round++) {
    for (const c of calls) c.done();
    await settle();
  }
  for (const c of calls) c.done();
  await flushed;
  expect(calls.length).toBe(1000);
});
