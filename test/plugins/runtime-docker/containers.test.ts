/**
 * Containers against the real engine: command/args with Kubernetes semantics,
 * env and workingDir, bind mounts with subPath and readOnly, resources and
 * security as the container sees them, stop with grace, OOMKilled, a
 * container that cannot run, and termination messages.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collector, containerConfig, docker, execText, exited, readAll, runContainer, sandboxConfig, TestNode } from './support';

const node = new TestNode();
const volumes = mkdtempSync(path.join(os.tmpdir(), 'skiff-runtime-docker-volumes-'));
/** An image with both ENTRYPOINT and CMD, committed from busybox for this file. */
const entryImage = `skiff-test/entry:${node.name}`;

beforeAll(async () => {
  await node.start();
  const base = await docker.createContainer({ Image: 'busybox:latest', Labels: { 'skiff.dev/node': node.name } });
  await base.commit({ repo: 'skiff-test/entry', tag: node.name, changes: ['ENTRYPOINT ["echo", "entry"]', 'CMD ["from-cmd"]', 'LABEL skiff.dev/image=test'] });
});
afterEach(() => node.removeAll());
afterAll(async () => {
  await node.stop();
  await docker.getImage(entryImage).remove({ force: true });
  rmSync(volumes, { recursive: true, force: true });
  expect(await node.leftovers()).toEqual([]);
});

async function output(id: string): Promise<string> {
  await exited(node.runtime, id);
  return readAll(await node.runtime.logs(id, { follow: false, timestamps: false }));
}

test.each([
  ['neither: the image decides', {}, 'entry from-cmd\n'],
  ['args replace CMD', { args: ['a1', 'a2'] }, 'entry a1 a2\n'],
  ['command replaces ENTRYPOINT and drops CMD', { command: ['echo', 'cmd'] }, 'cmd\n'],
  ['command and args', { command: ['echo', 'cmd'], args: ['arg'] }, 'cmd arg\n'],
])('%s', async (_title, overrides, expected) => {
  const { containerId } = await runContainer(node, { name: 'main', image: entryImage, ...overrides });
  expect(await output(containerId)).toBe(expected);
});

test('env and workingDir', async () => {
  const { containerId } = await runContainer(node, {
    name: 'main',
    command: ['sh', '-c', 'echo "$GREETING $WHO"; pwd'],
    env: [
      { name: 'GREETING', value: 'hello' },
      { name: 'WHO', value: 'pod world' },
    ],
    workingDir: '/tmp',
  });
  expect(await output(containerId)).toBe('hello pod world\n/tmp\n');
});

test('bind mounts: read-only where asked; a subPath binds inside its volume and never outside', async () => {
  const volume = path.join(volumes, 'data');
  mkdirSync(path.join(volume, 'sub'), { recursive: true });
  writeFileSync(path.join(volume, 'sub', 'file'), 'from the node\n');
  const scratch = path.join(volumes, 'scratch');
  const { containerId } = await runContainer(node, {
    name: 'main',
    command: ['sh', '-c', 'cat /ro/file; touch /ro/new 2>/dev/null || echo ro-refused; echo written > /rw/out; ls /fresh && echo fresh-ok'],
    mounts: [
      { hostPath: volume, containerPath: '/ro', readOnly: true, subPath: 'sub' },
      { hostPath: scratch, containerPath: '/rw', readOnly: false },
      { hostPath: volume, containerPath: '/fresh', readOnly: false, subPath: 'made/by/runtime' },
    ],
  });
  expect(await output(containerId)).toBe('from the node\nro-refused\nfresh-ok\n');
  expect(existsSync(path.join(scratch, 'out'))).toBe(true);
  expect(existsSync(path.join(volume, 'made', 'by', 'runtime'))).toBe(true);

  symlinkSync('/etc', path.join(volume, 'escape'));
  const sandboxId = await node.runtime.runPodSandbox(sandboxConfig(node));
  for (const subPath of ['escape', 'escape/ssl', '../x', '/etc']) {
    await expect(
      node.runtime.createContainer(sandboxId, containerConfig({ name: 'bad', mounts: [{ hostPath: volume, containerPath: '/x', readOnly: true, subPath }] })),
    ).rejects.toThrow(/^plugin\/runtime-docker: mount at \/x: subPath /);
  }
});

test('resources reach the engine as Kubernetes maps them', async () => {
  const { containerId } = await runContainer(node, {
    name: 'main',
    command: ['sleep', '3600'],
    resources: { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 64 * 1024 * 1024 },
  });
  const { HostConfig } = await docker.getContainer(containerId).inspect();
  expect(HostConfig).toMatchObject({ NanoCpus: 500_000_000, CpuShares: 256, Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024 });
  // As the container's cgroup (v1 or v2) sees it.
  const { stdout } = await execText(node.runtime, containerId, [
    'sh',
    '-c',
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max',
  ]);
  expect(stdout).toBe(`${64 * 1024 * 1024}\n50000\n`);
});

test('security: runAsUser/runAsGroup, readOnlyRootFilesystem and capabilities as the process sees them', async () => {
  const { containerId } = await runContainer(node, {
    name: 'locked',
    command: ['sleep', '3600'],
    security: { runAsUser: 65534, runAsGroup: 65534, readOnlyRootFilesystem: true, capDrop: ['ALL'], capAdd: ['NET_BIND_SERVICE'] },
  });
  expect((await execText(node.runtime, containerId, ['id', '-u'])).stdout).toBe('65534\n');
  expect((await execText(node.runtime, containerId, ['id', '-g'])).stdout).toBe('65534\n');
  const touch = await execText(node.runtime, containerId, ['touch', '/root-file']);
  expect(touch.exitCode).not.toBe(0);
  expect(touch.stderr).toMatch(/Read-only file system/);
  expect((await execText(node.runtime, containerId, ['touch', '/tmp/not-a-tmpfs'])).stderr).toMatch(/Read-only file system/);
  // Bounding set: NET_BIND_SERVICE (bit 10) only.
  expect((await execText(node.runtime, containerId, ['grep', 'CapBnd', '/proc/self/status'])).stdout).toMatch(/CapBnd:\s+0000000000000400/);

  const root = await runContainer(node, { name: 'root', command: ['sleep', '3600'], security: { capDrop: ['ALL'], capAdd: ['CHOWN', 'KILL'] } });
  // Effective for root: CHOWN (bit 0) and KILL (bit 5).
  expect((await execText(node.runtime, root.containerId, ['grep', 'CapEff', '/proc/self/status'])).stdout).toMatch(/CapEff:\s+0000000000000021/);
  expect((await execText(node.runtime, root.containerId, ['id', '-u'])).stdout).toBe('0\n');

  // runAsGroup alone keeps the image's user.
  const group = await runContainer(node, { name: 'group', command: ['sleep', '3600'], security: { runAsGroup: 1234 } });
  expect((await execText(node.runtime, group.containerId, ['id', '-u'])).stdout).toBe('0\n');
  expect((await execText(node.runtime, group.containerId, ['id', '-g'])).stdout).toBe('1234\n');
});

test('stop with grace: SIGTERM lets a trapping container exit cleanly; one ignoring it is killed after the timeout', async () => {
  const clean = await runContainer(node, {
    name: 'clean',
    command: ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo ready; while :; do usleep 100000 & wait $!; done'],
  });
  const stubborn = await runContainer(node, {
    name: 'stubborn',
    command: ['sh', '-c', 'trap "echo ignored" TERM; echo ready; while :; do usleep 100000; done'],
  });
  for (const id of [clean.containerId, stubborn.containerId]) {
    // The trap is set once "ready" is out; a SIGTERM before that would be ignored by PID 1.
    const controller = new AbortController();
    const seen = new Collector();
    (await node.runtime.logs(id, { follow: true, timestamps: false, signal: controller.signal })).pipe(seen);
    await seen.waitFor('ready\n');
    controller.abort();
  }

  let started = Date.now();
  await node.runtime.stopContainer(clean.containerId, 10);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(await node.runtime.containerStatus(clean.containerId)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
  expect(await readAll(await node.runtime.logs(clean.containerId, { follow: false, timestamps: false }))).toBe('ready\nbye\n');

  started = Date.now();
  await node.runtime.stopContainer(stubborn.containerId, 2);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  expect(await node.runtime.containerStatus(stubborn.containerId)).toMatchObject({ state: 'exited', exitCode: 137, reason: 'Error' });
  expect(await readAll(await node.runtime.logs(stubborn.containerId, { follow: false, timestamps: false }))).toContain('ignored');
});

test('a container over its memory limit is OOMKilled', async () => {
  const { containerId } = await runContainer(node, {
    name: 'hog',
    // tail keeps the whole "line" of /dev/zero in memory.
    command: ['tail', '/dev/zero'],
    resources: { memoryLimitBytes: 16 * 1024 * 1024 },
  });
  const status = await exited(node.runtime, containerId, 30_000);
  expect(status).toMatchObject({ state: 'exited', reason: 'OOMKilled', exitCode: 137 });
  expect(status.finishedAt!.getTime()).toBeGreaterThanOrEqual(status.startedAt!.getTime());
});

test('statuses: created, running, exited with times; a container that cannot run', async () => {
  const sandboxId = await node.runtime.runPodSandbox(sandboxConfig(node));
  const id = await node.runtime.createContainer(sandboxId, containerConfig({ name: 'main', command: ['sh', '-c', 'exit 2'] }));
  const created = await node.runtime.containerStatus(id);
  expect(created).toMatchObject({ state: 'created', startedAt: undefined, finishedAt: undefined, exitCode: undefined, reason: undefined });
  await node.runtime.startContainer(id);
  const done = await exited(node.runtime, id);
  expect(done).toMatchObject({ state: 'exited', exitCode: 2, reason: 'Error' });
  expect(done.startedAt).toBeInstanceOf(Date);

  const broken = await node.runtime.createContainer(sandboxId, containerConfig({ name: 'broken', command: ['/no/such/binary'] }));
  await expect(node.runtime.startContainer(broken)).rejects.toThrow(/^plugin\/runtime-docker: cannot start container .*no such file or directory/);
  const status = await node.runtime.containerStatus(broken);
  expect(status).toMatchObject({ state: 'exited', reason: 'ContainerCannotRun' });
  expect(status?.exitCode).not.toBe(0);
  expect(status?.message).toMatch(/no such file or directory/);
  expect(status?.startedAt).toEqual(status?.createdAt);
});

test('the termination message is read back from the file the runtime mounts, and removed with the container', async () => {
  const { containerId } = await runContainer(node, {
    name: 'main',
    command: ['sh', '-c', 'echo -n "all done" > /dev/termination-log; exit 1'],
    terminationMessagePath: '/dev/termination-log',
    security: { runAsUser: 65534 },
  });
  const status = await exited(node.runtime, containerId);
  expect(status).toMatchObject({ exitCode: 1, reason: 'Error', message: 'all done' });
  const file = status.labels['skiff.dev/termination-message-file']!;
  expect(file.startsWith(node.dataDir)).toBe(true);
  await node.runtime.removeContainer(containerId);
  expect(existsSync(file)).toBe(false);
});
