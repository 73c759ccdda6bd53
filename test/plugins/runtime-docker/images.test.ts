/**
 * Images against the real engine. Nothing is pulled from outside this
 * machine: an unreachable registry is a closed port on 127.0.0.1, and "not
 * found" / "unauthorized" come from a fake registry on loopback (the engine
 * treats 127.0.0.0/8 as an insecure registry and speaks plain HTTP to it).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ImagePullError } from '../../../kernel/runtime/types';
import { BUSYBOX, TestNode } from './support';
import { dockerRuntimeFactory } from '../../../plugins/runtime-docker';
import { resolveOptions } from '../../../plugins/runtime-docker/options';
import type { DockerRuntime } from '../../../plugins/runtime-docker/docker-runtime';

const node = new TestNode();
beforeAll(() => node.start());
afterAll(async () => {
  await node.stop();
  expect(await node.leftovers()).toEqual([]);
});

/** A registry that answers every manifest with `status` (and the API root with 200 unless it demands auth). */
async function fakeRegistry(mode: 'not-found' | 'unauthorized'): Promise<{ host: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const headers = { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' };
    if (mode === 'unauthorized') {
      res.writeHead(401, { ...headers, 'WWW-Authenticate': 'Basic realm="skiff-test"' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    } else if (req.url === '/v2/') {
      res.writeHead(200, headers).end('{}');
    } else {
      res.writeHead(404, headers).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function pullFailure(image: string, signal?: AbortSignal): Promise<ImagePullError> {
  const err = await node.runtime.pullImage(image, signal).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImagePullError);
  return err as ImagePullError;
}

test('imageStatus finds local images by tag and by id, and says nothing of absent ones', async () => {
  const byTag = await node.runtime.imageStatus(BUSYBOX);
  expect(byTag).toMatchObject({ id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), repoDigests: [] });
  expect(byTag?.repoTags).toEqual(expect.arrayContaining(['busybox:latest', 'busybox:1.36']));
  expect(byTag?.size).toBeGreaterThan(1_000_000);
  expect(await node.runtime.imageStatus('busybox')).toEqual(byTag);
  expect(await node.runtime.imageStatus(byTag!.id)).toEqual(byTag);
  expect(await node.runtime.imageStatus('skiff-test/absent:1')).toBeUndefined();
  expect((await node.runtime.listImages()).map((i) => i.id)).toContain(byTag!.id);
});

test('a pull from an unreachable registry fails fast, marked unreachable, in the engine words', async () => {
  const started = Date.now();
  const err = await pullFailure('127.0.0.1:5999/nothing:1');
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(err.unreachable).toBe(true);
  expect(err.image).toBe('127.0.0.1:5999/nothing:1');
  expect(err.message).toMatch(/^failed to pull image "127\.0\.0\.1:5999\/nothing:1": registry unreachable: .*127\.0\.0\.1:5999.*connection refused/);
  expect(err.cause).toBeDefined();
});

test('a pull of an image the registry does not have is "not found", not unreachable', async () => {
  const registry = await fakeRegistry('not-found');
  try {
    const err = await pullFailure(`${registry.host}/nothing:1`);
    expect(err.unreachable).toBe(false);
    expect(err.message).toMatch(/: not found: .*manifest unknown/);
    // A reference without a tag means :latest, never every tag.
    await pullFailure(`${registry.host}/untagged`);
    expect(registry.requests).toContain('GET /v2/untagged/manifests/latest');
  } finally {
    await registry.close();
  }
});

test('a pull the registry refuses is "unauthorized"', async () => {
  const registry = await fakeRegistry('unauthorized');
  try {
    const err = await pullFailure(`${registry.host}/private:1`);
    expect(err.unreachable).toBe(false);
    expect(err.message).toMatch(/: unauthorized: .*(no basic auth credentials|unauthorized|authentication required)/);
  } finally {
    await registry.close();
  }
});

test('an aborted pull is a cancelled ImagePullError', async () => {
  const controller = new AbortController();
  controller.abort();
  const err = await pullFailure('127.0.0.1:5999/nothing:1', controller.signal);
  expect(err.message).toMatch(/was cancelled/);
  expect(err.unreachable).toBe(false);
});


test('an offline node asks no registry: a pull fails at once as unreachable', async () => {
  const offline = (await dockerRuntimeFactory(resolveOptions({ offline: true }))({ nodeName: node.name, settings: {}, dataDir: node.dataDir })) as DockerRuntime;
  try {
    const err = await offline.pullImage('registry.example.invalid/app:1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImagePullError);
    expect(err).toMatchObject({ unreachable: true, image: 'registry.example.invalid/app:1' });
    expect((err as Error).message).toBe('failed to pull image "registry.example.invalid/app:1": registry unreachable: the node is offline (runtime-docker option offline)');
    // Present images still resolve locally.
    expect(await offline.imageStatus(BUSYBOX)).toMatchObject({ repoTags: expect.arrayContaining([BUSYBOX]) });
  } finally {
    await offline.close();
  }
});
