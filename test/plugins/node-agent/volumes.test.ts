/**
 * Pod volumes on the node: the kubelet's directory layout, emptyDir (and
 * tmpfs for medium Memory), hostPath with its type checks and the node's
 * allowed prefixes, configMap/secret/downwardAPI/projected files in the
 * AtomicWriter `..data` layout (modes, items, optional, updates), and, through
 * the agent, FailedMount holding a pod in ContainerCreating until the volume
 * can be set up, and files following their ConfigMap.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigMap, Pod, Secret, Volume } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../../kernel/log';
import type { KubeObject } from '../../../kernel/api/types';
import { VolumeManager, type VolumeContext } from '../../../plugins/node-agent/volumes';
import { writeAtomically } from '../../../plugins/node-agent/atomic-writer';
import { FakeApiClient, FakeMounter, harness, podRow, PODS, type Harness } from './support';

let dir: string;
let mounter: FakeMounter;
let volumes: VolumeManager;
let h: Harness | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-volumes-'));
  mounter = new FakeMounter();
  volumes = new VolumeManager({ podsDir: path.join(dir, 'pods'), client: new FakeApiClient(), logger: silentLogger, mounter, now: () => new Date(Date.UTC(2024, 0, 31, 12, 0, 0)), allowedHostPaths: [dir] });
});
afterEach(async () => {
  await h?.stop();
  h = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const configMaps: Record<string, ConfigMap> = {
  cfg: { metadata: { name: 'cfg', namespace: 'default' }, data: { 'app.conf': 'level=debug\n', 'other.txt': 'other' }, binaryData: { 'blob.bin': Buffer.from([0, 1, 2]).toString('base64') } },
};
const secrets: Record<string, Secret> = { creds: { metadata: { name: 'creds', namespace: 'default' }, data: { password: Buffer.from('s3cret').toString('base64') } } };

function context(volumeList: Volume[], extra: Partial<Pod> = {}): VolumeContext {
  const pod: Pod = {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', labels: { app: 'web', tier: 'front' }, annotations: { team: 'a' } },
    spec: { containers: [{ name: 'app', image: 'busybox', resources: { limits: { memory: '64Mi' } } }], volumes: volumeList },
    ...extra,
  };
  return {
    pod,
    objects: { configMap: async (_ns, name) => configMaps[name], secret: async (_ns, name) => secrets[name] },
    podIPs: ['10.1.0.7'],
    hostIPs: ['192.0.2.10'],
    nodeAllocatable: { cpu: '4', memory: '8Gi' },
  };
}

async function setUpOk(volumeList: Volume[]): Promise<Map<string, string>> {
  const result = await volumes.setUp(context(volumeList));
  if (!result.ok) throw new Error(result.failures.map((f) => f.message).join('; '));
  return new Map([...result.volumes].map(([k, v]) => [k, v.hostPath]));
}

async function failure(volumeList: Volume[]): Promise<string> {
  const result = await volumes.setUp(context(volumeList));
  if (result.ok) throw new Error('expected a failure');
  return result.failures.map((f) => f.message).join('; ');
}

/** A directory's visible files (following the links), as name → content. */
function files(volumeDir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(volumeDir)
      .filter((n) => !n.startsWith('..'))
      .map((n) => [n, readFileSync(path.join(volumeDir, n), 'utf8')]),
  );
}

test('emptyDir: a world-writable directory in the kubelet\'s layout; medium Memory mounts tmpfs (sizeLimit) and unmounts it on teardown', async () => {
  const got = await setUpOk([{ name: 'cache', emptyDir: {} }, { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]);
  expect(got.get('cache')).toBe(path.join(dir, 'pods', 'uid-1', 'volumes', 'kubernetes.io~empty-dir', 'cache'));
  expect(statSync(got.get('cache')!).mode & 0o777).toBe(0o777);
  expect([...mounter.mounted]).toEqual([got.get('shm')]);
  await volumes.tearDown('uid-1');
  expect(mounter.mounted.size).toBe(0);
  expect(existsSync(path.join(dir, 'pods', 'uid-1'))).toBe(false);
});

test('emptyDir medium Memory that cannot be mounted is a FailedMount', async () => {
  mounter.fail = 'mount failed: exit status 32';
  expect(await failure([{ name: 'shm', emptyDir: { medium: 'Memory' } }])).toBe('MountVolume.SetUp failed for volume "shm" : mount failed: exit status 32');
});

describe('hostPath type checks', () => {
  let sock: net.Server;
  beforeEach(async () => {
    mkdirSync(path.join(dir, 'a-dir'));
    writeFileSync(path.join(dir, 'a-file'), 'x');
    sock = net.createServer();
    await new Promise<void>((resolve) => sock.listen(path.join(dir, 'a.sock'), resolve));
  });
  afterEach(async () => {
    await new Promise((resolve) => sock.close(resolve));
  });

  test.each([
    ['missing', '', 'accepted'],
    ['a-dir', 'Directory', 'accepted'],
    ['missing', 'Directory', 'is not a directory'],
    ['a-file', 'Directory', 'is not a directory'],
    ['new-dir', 'DirectoryOrCreate', 'accepted'],
    ['a-file', 'DirectoryOrCreate', 'is not a directory'],
    ['a-file', 'File', 'accepted'],
    ['a-dir', 'File', 'is not a file'],
    ['new-file', 'FileOrCreate', 'accepted'],
    ['a-dir', 'FileOrCreate', 'is not a file'],
    ['a.sock', 'Socket', 'accepted'],
    ['a-file', 'Socket', 'is not a socket file'],
    ['a-file', 'CharDevice', 'is not a character device'],
    ['a-file', 'BlockDevice', 'is not a block device'],
  ])('%s with type %j: %s', async (name, type, outcome) => {
    const problem = outcome === 'accepted' ? undefined : outcome;
    const p = path.join(dir, name);
    const volume: Volume = { name: 'host', hostPath: { path: p, type } };
    if (problem) {
      expect(await failure([volume])).toBe(`MountVolume.SetUp failed for volume "host" : hostPath type check failed: ${p} ${problem}`);
    } else {
      expect((await setUpOk([volume])).get('host')).toBe(p);
      if (type === 'DirectoryOrCreate') expect(statSync(p).isDirectory()).toBe(true);
      if (type === 'FileOrCreate') expect(statSync(p).isFile()).toBe(true);
    }
  });

  test('a path outside the node\'s allowed prefixes is refused', async () => {
    expect(await failure([{ name: 'etc', hostPath: { path: '/etc' } }])).toBe(`MountVolume.SetUp failed for volume "etc" : hostPath "/etc" is not allowed on this node (allowed: ${dir})`);
  });
});

test('configMap: every key as a file in the ..data layout, 0644 by default, binaryData too', async () => {
  const got = await setUpOk([{ name: 'config', configMap: { name: 'cfg' } }]);
  const v = got.get('config')!;
  expect(v).toBe(path.join(dir, 'pods', 'uid-1', 'volumes', 'kubernetes.io~configmap', 'config'));
  expect(files(v)).toEqual({ 'app.conf': 'level=debug\n', 'other.txt': 'other', 'blob.bin': '\u0000\u0001\u0002' });
  expect(readlinkSync(path.join(v, 'app.conf'))).toBe('..data/app.conf');
  const version = readlinkSync(path.join(v, '..data'));
  expect(version).toMatch(/^\.\.2024_01_31_12_00_00\.\d+$/);
  expect(statSync(path.join(v, version, 'app.conf')).mode & 0o777).toBe(0o644);
  expect(lstatSync(path.join(v, 'app.conf')).isSymbolicLink()).toBe(true);
});

test('configMap items: chosen keys at their paths with their modes; defaultMode for the rest', async () => {
  const got = await setUpOk([
    { name: 'config', configMap: { name: 'cfg', defaultMode: 0o600, items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o400 }, { key: 'other.txt', path: 'other' }] } },
  ]);
  const v = got.get('config')!;
  expect(readFileSync(path.join(v, 'conf', 'app.conf'), 'utf8')).toBe('level=debug\n');
  expect(readlinkSync(path.join(v, 'conf'))).toBe('..data/conf');
  const version = readlinkSync(path.join(v, '..data'));
  expect(statSync(path.join(v, version, 'conf', 'app.conf')).mode & 0o777).toBe(0o400);
  expect(statSync(path.join(v, version, 'other')).mode & 0o777).toBe(0o600);
  expect(readdirSync(v).filter((n) => !n.startsWith('..')).sort()).toEqual(['conf', 'other']);
});

test.each([
  [{ name: 'v', configMap: { name: 'nope' } }, 'MountVolume.SetUp failed for volume "v" : configmap "nope" not found'],
  [{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'nope', path: 'x' }] } }, 'MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: nope'],
  [{ name: 'v', secret: { secretName: 'nope' } }, 'MountVolume.SetUp failed for volume "v" : secret "nope" not found'],
  [{ name: 'v', secret: { secretName: 'creds', items: [{ key: 'nope', path: 'x' }] } }, 'MountVolume.SetUp failed for volume "v" : references non-existent secret key: nope'],
  [{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: '../escape' }] } }, "MountVolume.SetUp failed for volume \"v\" : invalid path: must not contain '..': ../escape"],
  [{ name: 'v', nfs: { server: 'nfs.example', path: '/x' } }, 'MountVolume.SetUp failed for volume "v" : volume type "nfs" is not supported by this node'],
])('%j fails: %s', async (volume, message) => {
  expect(await failure([volume as Volume])).toBe(message);
});

test('optional configMap and secret that do not exist are empty directories', async () => {
  const got = await setUpOk([
    { name: 'a', configMap: { name: 'nope', optional: true } },
    { name: 'b', secret: { secretName: 'nope', optional: true } },
  ]);
  expect(files(got.get('a')!)).toEqual({});
  expect(files(got.get('b')!)).toEqual({});
});

test('secret: decoded values, defaultMode', async () => {
  const got = await setUpOk([{ name: 'creds', secret: { secretName: 'creds', defaultMode: 0o440 } }]);
  const v = got.get('creds')!;
  expect(files(v)).toEqual({ password: 's3cret' });
  expect(statSync(path.join(v, 'password')).mode & 0o777).toBe(0o440);
});

test('downwardAPI and projected volumes: labels in Kubernetes\' format, fields, resources', async () => {
  const got = await setUpOk([
    {
      name: 'info',
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
          { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
        ],
      },
    },
    {
      name: 'all',
      projected: { sources: [{ configMap: { name: 'cfg', items: [{ key: 'other.txt', path: 'other' }] } }, { secret: { name: 'creds' } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] },
    },
  ]);
  expect(files(got.get('info')!)).toEqual({ labels: 'app="web"\ntier="front"', name: 'web', mem: '64' });
  expect(got.get('info')).toContain('kubernetes.io~downward-api');
  expect(files(got.get('all')!)).toEqual({ other: 'other', password: 's3cret', ns: 'default' });
});

test('an update writes a new version, swaps ..data, drops links to removed keys and the old version', async () => {
  const target = path.join(dir, 'atomic');
  const file = (s: string) => ({ data: Buffer.from(s), mode: 0o644 });
  expect(await writeAtomically(target, new Map([['a', file('1')], ['b', file('2')]]), new Date(Date.UTC(2024, 0, 1)))).toBe(true);
  const first = readlinkSync(path.join(target, '..data'));
  expect(await writeAtomically(target, new Map([['a', file('1')], ['b', file('2')]]), new Date(Date.UTC(2024, 0, 2)))).toBe(false);
  expect(readlinkSync(path.join(target, '..data'))).toBe(first);
  expect(await writeAtomically(target, new Map([['a', file('changed')]]), new Date(Date.UTC(2024, 0, 3)))).toBe(true);
  const second = readlinkSync(path.join(target, '..data'));
  expect(second).not.toBe(first);
  expect(second).toMatch(/^\.\.2024_01_03_00_00_00\./);
  expect(readdirSync(target).sort()).toEqual(['..data', second, 'a'].sort());
  expect(readFileSync(path.join(target, 'a'), 'utf8')).toBe('changed');
});

// ---------------------------------------------------------------- through the agent

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true } as const;

test('a volume that cannot be set up: FailedMount, the pod stays ContainerCreating; it starts once the ConfigMap exists', async () => {
  h = await harness();
  await h.createPod('web', { volumes: [{ name: 'config', configMap: { name: 'settings' } }], containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'config', mountPath: '/etc/app' }] }] });
  let pod: Pod = await h.pod('web');
  expect(podRow(pod, new Date(h.clock.now()))[1]).toBe('ContainerCreating');
  expect(pod.status!.conditions!.find((c) => c.type === 'PodReadyToStartContainers')!.status).toBe('False');
  expect(h.runtime.sandboxes.size).toBe(0);
  expect(await h.events('web')).toEqual(['Warning FailedMount: MountVolume.SetUp failed for volume "config" : configmap "settings" not found']);

  await h.api.create(CONFIGMAPS, { metadata: { name: 'settings', namespace: 'default' }, data: { mode: 'fast' } } as KubeObject, { namespace: 'default' });
  await h.settle();
  await h.advance(2000);
  pod = await h.pod('web');
  expect(podRow(pod, new Date(h.clock.now()))[1]).toBe('Running');
  const mount = h.runtime.newest('web', 'app')!.config.mounts.find((m) => m.containerPath === '/etc/app')!;
  expect(readFileSync(path.join(mount.hostPath, 'mode'), 'utf8')).toBe('fast');

  // The files follow the ConfigMap.
  const cm = await h.api.get<ConfigMap & KubeObject>(CONFIGMAPS, 'settings', { namespace: 'default' });
  await h.api.update(CONFIGMAPS, { ...cm, data: { mode: 'slow' } }, { namespace: 'default' });
  await h.settle();
  expect(readFileSync(path.join(mount.hostPath, 'mode'), 'utf8')).toBe('slow');
});

test('volumeMounts: readOnly, subPath (created in the volume) and subPathExpr expanded from env', async () => {
  h = await harness();
  await h.createPod('web', {
    volumes: [{ name: 'data', emptyDir: {} }],
    containers: [
      {
        name: 'app',
        image: 'busybox',
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        volumeMounts: [
          { name: 'data', mountPath: '/data', readOnly: true },
          { name: 'data', mountPath: '/logs', subPath: 'logs' },
          { name: 'data', mountPath: '/mine', subPathExpr: 'per-pod/$(POD)' },
        ],
      },
    ],
  });
  const mounts = h.runtime.newest('web', 'app')!.config.mounts;
  const root = mounts.find((m) => m.containerPath === '/data')!;
  expect(root.readOnly).toBe(true);
  expect(mounts.find((m) => m.containerPath === '/logs')).toMatchObject({ hostPath: path.join(root.hostPath, 'logs'), readOnly: false });
  expect(mounts.find((m) => m.containerPath === '/mine')!.hostPath).toBe(path.join(root.hostPath, 'per-pod', 'web'));
  expect(statSync(path.join(root.hostPath, 'per-pod', 'web')).isDirectory()).toBe(true);
});

test('a running pod whose ConfigMap goes away keeps its last files and keeps being managed (FailedMount reported)', async () => {
  h = await harness();
  await h.api.create(CONFIGMAPS, { metadata: { name: 'settings', namespace: 'default' }, data: { mode: 'fast' } } as KubeObject, { namespace: 'default' });
  await h.createPod('web', { volumes: [{ name: 'config', configMap: { name: 'settings' } }], containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'config', mountPath: '/etc/app' }] }] });
  const mount = h.runtime.newest('web', 'app')!.config.mounts.find((m) => m.containerPath === '/etc/app')!;
  await h.api.delete(CONFIGMAPS, 'settings', { namespace: 'default' });
  await h.settle();
  expect(await h.events('web')).toContain('Warning FailedMount: MountVolume.SetUp failed for volume "config" : configmap "settings" not found');
  expect(readFileSync(path.join(mount.hostPath, 'mode'), 'utf8')).toBe('fast');
  // Still managed: a crash is restarted, with the same files mounted.
  h.runtime.exit(h.runtime.newest('web', 'app')!.id, 1);
  await h.advance(1000);
  expect(h.runtime.instances('web', 'app')).toHaveLength(2);
  expect(h.runtime.newest('web', 'app')!.config.mounts.find((m) => m.containerPath === '/etc/app')!.hostPath).toBe(mount.hostPath);
  expect(podRow(await h.pod('web'), new Date(h.clock.now()))[1]).toBe('Running');
});

test('persistentVolumeClaim: the bound volume is mounted through the storage hooks, and unmounted with the pod', async () => {
  const { createKernelHooks } = await import('../../../kernel/hooks');
  const hooks = createKernelHooks();
  const store = mkdtempSync(path.join(os.tmpdir(), 'skiff-pv-'));
  const mounts: string[] = [];
  const unmounts: string[] = [];
  hooks.storage.mount.tapPromise('test-csi', async (req) => {
    mounts.push(`${req.persistentVolume?.metadata?.name} -> ${path.basename(req.targetPath)} ro=${req.readOnly}`);
    return { hostPath: store, plugin: 'test-csi' };
  });
  hooks.storage.unmount.tapPromise('test-csi', async (req) => {
    unmounts.push(req.volumeName);
    return true;
  });
  h = await harness({ agent: { hooks } });
  const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true };
  const PVS = { group: '', version: 'v1', resource: 'persistentvolumes', namespaced: false };
  await h.api.create(PVS, { metadata: { name: 'pv-1' }, spec: { capacity: { storage: '1Gi' }, csi: { driver: 'test', volumeHandle: 'v1' } } } as KubeObject);
  const claim = await h.api.create(PVCS, { metadata: { name: 'data', namespace: 'default' }, spec: { volumeName: 'pv-1' } } as KubeObject, { namespace: 'default' });
  await h.api.update(PVCS, { ...claim, status: { phase: 'Bound' } }, { namespace: 'default', subresource: 'status' });
  await h.createPod('db', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } }], containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/var/lib/db' }] }] });
  expect(mounts).toEqual(['pv-1 -> data ro=true']);
  expect(h.runtime.newest('db', 'app')!.config.mounts.find((m) => m.containerPath === '/var/lib/db')).toEqual({ hostPath: store, containerPath: '/var/lib/db', readOnly: true });
  await h.api.delete(PODS, 'db', { namespace: 'default' });
  await h.settle();
  expect(unmounts).toEqual(['data']);
  rmSync(store, { recursive: true, force: true });
});

test('persistentVolumeClaim that is not bound: FailedMount', async () => {
  h = await harness();
  await h.createPod('db', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'missing' } }], containers: [{ name: 'app', image: 'busybox' }] });
  expect(await h.events('db')).toEqual(['Warning FailedMount: MountVolume.SetUp failed for volume "data" : persistentvolumeclaim "missing" not found']);
});
