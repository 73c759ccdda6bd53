/**
 * Pod sandboxes against the real engine: containers share the sandbox's
 * localhost, hostname, DNS and hosts; the pod IP answers from the node; host
 * ports and host network; port forwarding; labels round-trip and scope the
 * lists; stop and remove are idempotent and leave nothing behind.
 */
import { existsSync, readlinkSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { RuntimeLabels } from '../../../kernel/runtime/types';
import { dockerRuntimeFactory } from '../../../plugins/runtime-docker';
import { resolveOptions } from '../../../plugins/runtime-docker/options';
import { containerConfig, docker, eventually, execText, exited, readAll, sandboxConfig, TestNode } from './support';

const node = new TestNode();
beforeAll(() => node.start());
afterEach(() => node.removeAll());
afterAll(async () => {
  await node.stop();
  // Nothing of this node survives its tests.
  expect(await node.leftovers()).toEqual([]);
  expect(existsSync(node.dataDir)).toBe(false);
});

const serve = (port: number) => ['sh', '-c', `mkdir -p /tmp/www && echo hello-from-pod > /tmp/www/index.html && exec httpd -f -p ${port} -h /tmp/www`];

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        readAll(res).then(resolve, reject);
      })
      .on('error', reject);
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

test('two containers of a pod share localhost; the pod IP answers from the node', async () => {
  const { runtime } = node;
  const sandboxId = await runtime.runPodSandbox(sandboxConfig(node, { podName: 'web' }));
  const status = await runtime.podSandboxStatus(sandboxId);
  expect(status).toMatchObject({ id: sandboxId, state: 'ready' });
  expect(status?.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(status?.netns).toMatch(/^\/proc\/\d+\/ns\/net$/);
  expect(readlinkSync(status!.netns!)).toMatch(/^net:\[\d+\]$/);

  const server = await runtime.createContainer(sandboxId, containerConfig({ name: 'server', command: serve(8080) }));
  await runtime.startContainer(server);
  const client = await runtime.createContainer(
    sandboxId,
    containerConfig({ name: 'client', command: ['sh', '-c', 'until wget -qO- http://127.0.0.1:8080/; do usleep 50000; done'] }),
  );
  await runtime.startContainer(client);

  const done = await exited(runtime, client);
  expect(done).toMatchObject({ exitCode: 0, reason: 'Completed', sandboxId });
  expect(await readAll(await runtime.logs(client, { follow: false, timestamps: false }))).toBe('hello-from-pod\n');

  expect(await httpGet(`http://${status!.ip}:8080/`)).toBe('hello-from-pod\n');

  // They share IPC too: the sandbox's namespace.
  const [s, c] = await Promise.all([docker.getContainer(server).inspect(), docker.getContainer(client).inspect()]);
  expect(s.HostConfig.IpcMode).toBe(`container:${sandboxId}`);
  expect(c.HostConfig.NetworkMode).toBe(`container:${sandboxId}`);
});

test('hostname, DNS and host aliases reach every container of the pod', async () => {
  const { runtime } = node;
  const sandboxId = await runtime.runPodSandbox(
    sandboxConfig(node, {
      podName: 'named',
      hostname: 'my-host',
      dns: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
      hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }],
    }),
  );
  const id = await runtime.createContainer(sandboxId, containerConfig({ name: 'app', command: ['sleep', '3600'] }));
  await runtime.startContainer(id);

  expect((await execText(runtime, id, ['hostname'])).stdout).toBe('my-host\n');
  const resolv = (await execText(runtime, id, ['cat', '/etc/resolv.conf'])).stdout;
  expect(resolv).toContain('nameserver 10.96.0.10');
  expect(resolv).toContain('search default.svc.cluster.local svc.cluster.local');
  expect(resolv).toContain('options ndots:5');
  const hosts = (await execText(runtime, id, ['cat', '/etc/hosts'])).stdout;
  expect(hosts).toMatch(/^10\.1\.2\.3\s+foo\.local$/m);
  expect(hosts).toMatch(/^10\.1\.2\.3\s+bar\.local$/m);
});

test('a host port reaches the pod', async () => {
  const { runtime } = node;
  const hostPort = await freePort();
  const sandboxId = await runtime.runPodSandbox(
    sandboxConfig(node, { portMappings: [{ containerPort: 8080, hostPort, protocol: 'TCP', hostIP: '127.0.0.1' }] }),
  );
  const id = await runtime.createContainer(sandboxId, containerConfig({ name: 'server', command: serve(8080) }));
  await runtime.startContainer(id);
  expect(await eventually('the host port to answer', () => httpGet(`http://127.0.0.1:${hostPort}/`))).toBe('hello-from-pod\n');
});

test('port forwarding connects inside the pod (its IP; the node for host network)', async () => {
  const { runtime } = node;
  const sandboxId = await runtime.runPodSandbox(sandboxConfig(node));
  const id = await runtime.createContainer(sandboxId, containerConfig({ name: 'server', command: serve(8081) }));
  await runtime.startContainer(id);
  const reply = await eventually('the forwarded port to answer', async () => {
    const socket = await runtime.portForward(sandboxId, 8081);
    socket.end('GET / HTTP/1.0\r\n\r\n');
    return readAll(socket);
  });
  expect(reply).toMatch(/^HTTP\/1\.[01] 200 OK/);
  expect(reply).toContain('hello-from-pod');

  // Host network: the pod is the node; a listener on the node's loopback is reachable.
  const listener = net.createServer((s) => s.end('from-the-node'));
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  try {
    const hostSandbox = await runtime.runPodSandbox(sandboxConfig(node, { hostNetwork: true }));
    const status = await runtime.podSandboxStatus(hostSandbox);
    expect(status).toMatchObject({ state: 'ready', ip: undefined });
    expect((await docker.getContainer(hostSandbox).inspect()).HostConfig.NetworkMode).toBe('host');
    const socket = await runtime.portForward(hostSandbox, (listener.address() as net.AddressInfo).port);
    expect(await readAll(socket)).toBe('from-the-node');
  } finally {
    listener.close();
  }

  await expect(runtime.portForward(sandboxId, 1)).rejects.toThrow(/^plugin\/runtime-docker: cannot connect to .*:1 in pod sandbox/);
});

test('labels round-trip; lists filter by labels and sandbox, scoped to the node', async () => {
  const { runtime } = node;
  const a = await runtime.runPodSandbox(sandboxConfig(node, { podName: 'a', labels: { app: 'one', tier: 'web' } }));
  const b = await runtime.runPodSandbox(sandboxConfig(node, { podName: 'b', labels: { app: 'two' } }));
  const ca = await runtime.createContainer(a, containerConfig({ name: 'main', command: ['sleep', '3600'], labels: { [RuntimeLabels.specHash]: 'abc123', extra: 'x' } }));
  const cb = await runtime.createContainer(b, containerConfig({ name: 'main', command: ['sleep', '3600'] }));

  const sa = await runtime.podSandboxStatus(a);
  expect(sa?.labels).toMatchObject({ app: 'one', tier: 'web', [RuntimeLabels.type]: 'podsandbox', [RuntimeLabels.node]: node.name, [RuntimeLabels.podName]: 'a' });
  const sca = await runtime.containerStatus(ca);
  expect(sca).toMatchObject({ id: ca, sandboxId: a, name: 'main', state: 'created', image: 'busybox:latest' });
  expect(sca?.labels).toMatchObject({
    [RuntimeLabels.specHash]: 'abc123',
    extra: 'x',
    [RuntimeLabels.containerKind]: 'app',
    [RuntimeLabels.restartCount]: '0',
    [RuntimeLabels.type]: 'container',
    // Inherited from the sandbox: a container alone says whose it is.
    [RuntimeLabels.podName]: 'a',
    [RuntimeLabels.node]: node.name,
  });
  expect(sca?.imageRef).toMatch(/^docker:\/\/sha256:[0-9a-f]{64}$/);

  expect((await runtime.listPodSandboxes()).map((s) => s.id).sort()).toEqual([a, b].sort());
  expect((await runtime.listPodSandboxes({ labels: { app: 'one' } })).map((s) => s.id)).toEqual([a]);
  expect((await runtime.listContainers()).map((c) => c.id).sort()).toEqual([ca, cb].sort());
  expect((await runtime.listContainers({ sandboxId: b })).map((c) => c.id)).toEqual([cb]);
  expect((await runtime.listContainers({ labels: { extra: 'x' } })).map((c) => c.id)).toEqual([ca]);
  expect(await runtime.listContainers({ labels: { extra: 'y' } })).toEqual([]);

  // Another node on the same engine sees none of it.
  const other = await dockerRuntimeFactory(resolveOptions({}))({ nodeName: `${node.name}-other`, settings: {}, dataDir: node.dataDir });
  try {
    expect(await other.listPodSandboxes()).toEqual([]);
    expect(await other.listContainers()).toEqual([]);
  } finally {
    await other.close();
  }
});

test('stop and remove are idempotent; stopping a sandbox stops its containers; removing it removes them', async () => {
  const { runtime } = node;
  const sandboxId = await runtime.runPodSandbox(sandboxConfig(node));
  const id = await runtime.createContainer(sandboxId, containerConfig({ name: 'main', command: ['sleep', '3600'] }));
  await runtime.startContainer(id);
  expect((await runtime.containerStatus(id))?.state).toBe('running');

  await runtime.stopPodSandbox(sandboxId);
  expect((await runtime.containerStatus(id))?.state).toBe('exited');
  expect((await runtime.podSandboxStatus(sandboxId))).toMatchObject({ state: 'notready', ip: undefined, netns: undefined });
  await runtime.stopPodSandbox(sandboxId);
  await runtime.stopContainer(id, 5);

  await runtime.removePodSandbox(sandboxId);
  expect(await runtime.podSandboxStatus(sandboxId)).toBeUndefined();
  expect(await runtime.containerStatus(id)).toBeUndefined();
  await runtime.removePodSandbox(sandboxId);
  await runtime.removeContainer(id);
  await runtime.stopContainer(id, 1);
  await runtime.stopPodSandbox('0'.repeat(64));
  expect(await node.leftovers()).toEqual([]);
});

test('a sandbox that cannot start is removed again; a container needs an existing sandbox and a present image', async () => {
  const { runtime } = node;
  // A host port taken on the node fails the start (the engine binds it then).
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  try {
    const hostPort = (taken.address() as net.AddressInfo).port;
    await expect(runtime.runPodSandbox(sandboxConfig(node, { portMappings: [{ containerPort: 80, hostPort, hostIP: '127.0.0.1', protocol: 'TCP' }] }))).rejects.toThrow(
      /^plugin\/runtime-docker: cannot start the sandbox of pod default\/pod-\d+: .*address already in use/,
    );
  } finally {
    taken.close();
  }
  expect(await node.leftovers()).toEqual([]);

  await expect(runtime.createContainer('f'.repeat(64), containerConfig({ name: 'x' }))).rejects.toThrow(/no pod sandbox/);
  const sandboxId = await runtime.runPodSandbox(sandboxConfig(node));
  await expect(runtime.createContainer(sandboxId, containerConfig({ name: 'x', image: 'skiff-test/absent:1' }))).rejects.toThrow(
    /^plugin\/runtime-docker: cannot create container x: image "skiff-test\/absent:1" is not present/,
  );
});

