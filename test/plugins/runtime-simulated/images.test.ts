/**
 * Images: pullable after pullDelayMs unless named unpullable or on an
 * unreachable registry; ids derived from the name; present images listed.
 */
import { createHash } from 'node:crypto';
import { ImagePullError, type ContainerRuntime } from '../../../kernel/runtime/types';
import { openRuntime, type FakeClock } from './support';

let runtime: ContainerRuntime;
let clock: FakeClock;

beforeEach(async () => {
  ({ runtime, clock } = await openRuntime({ pullDelayMs: 500, images: ['pause:3.9'], unpullable: ['ghcr.io/acme/private', 'registry.example.com/gone:v1'] }));
});

afterEach(async () => {
  await runtime.close();
  expect(clock.pendingTimers).toBe(0);
});

async function pullError(image: string): Promise<ImagePullError> {
  const pull = runtime.pullImage(image).then(
    () => {
      throw new Error(`pull of ${image} succeeded`);
    },
    (err: unknown) => err as ImagePullError,
  );
  await clock.advance(500);
  return pull;
}

test('a pull takes pullDelayMs; then the image is present, with an id derived from its name', async () => {
  expect(await runtime.imageStatus('busybox')).toBeUndefined();
  let pulled = false;
  const pull = runtime.pullImage('busybox').then((info) => ((pulled = true), info));
  await clock.advance(499);
  expect(pulled).toBe(false);
  await clock.advance(1);
  const info = await pull;
  const hash = createHash('sha256').update('busybox:latest').digest('hex');
  expect(info).toMatchObject({ id: `sha256:${hash}`, repoTags: ['busybox:latest'] });
  expect(info.repoDigests[0]).toMatch(/^busybox@sha256:[0-9a-f]{64}$/);
  expect(info.size).toBeGreaterThan(0);
  // The same image under another spelling.
  expect(await runtime.imageStatus('docker.io/library/busybox:latest')).toEqual(info);
  expect(await runtime.imageStatus(info.id)).toEqual(info);
});

test('ids are the same on every node and every run', async () => {
  const other = await openRuntime();
  const pulls = [runtime.pullImage('nginx:1.27'), other.runtime.pullImage('nginx:1.27')];
  await clock.advance(500);
  await other.clock.advance(1000);
  const [a, b] = await Promise.all(pulls);
  expect(a!.id).toBe(b!.id);
  await other.runtime.close();
});

test('images named in the options are present from the start and listed', async () => {
  expect(await runtime.imageStatus('pause:3.9')).toMatchObject({ repoTags: ['pause:3.9'] });
  expect((await runtime.listImages()).map((i) => i.repoTags[0])).toEqual(['pause:3.9']);
  // A present image is confirmed without waiting.
  await expect(runtime.pullImage('pause:3.9')).resolves.toMatchObject({ repoTags: ['pause:3.9'] });
});

test.each([
  ['ghcr.io/acme/private:1.0', false, /pull access denied for ghcr.io\/acme\/private/],
  ['ghcr.io/acme/private', false, /pull access denied/],
  ['registry.example.com/gone:v1', false, /pull access denied/],
  ['unreachable.example.com/app:1', true, /simulated registry: .*lookup unreachable\.example\.com: no such host/],
])('%s fails with ImagePullError (unreachable: %s)', async (image, unreachable, message) => {
  const err = await pullError(image);
  expect(err).toBeInstanceOf(ImagePullError);
  expect(err.unreachable).toBe(unreachable);
  expect(err.message).toMatch(message);
  expect(await runtime.imageStatus(image)).toBeUndefined();
});

test('another tag of an image whose tag is listed is pullable', async () => {
  const pull = runtime.pullImage('registry.example.com/gone:v2');
  await clock.advance(500);
  await expect(pull).resolves.toMatchObject({ repoTags: ['registry.example.com/gone:v2'] });
});

test('an aborted pull rejects with the abort reason and leaves no timer', async () => {
  const abort = new AbortController();
  const pull = runtime.pullImage('redis:7', abort.signal);
  abort.abort(new Error('kubelet gave up'));
  await expect(pull).rejects.toThrow('kubelet gave up');
  expect(clock.pendingTimers).toBe(0);
  expect(await runtime.imageStatus('redis:7')).toBeUndefined();
});
