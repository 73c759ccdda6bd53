/**
 * The pure translations, table by table (no engine involved): Kubernetes'
 * CPU arithmetic, users, entrypoint/cmd, sandbox specs, statuses as
 * dockershim reported them, image references, pull failure kinds, the
 * engine's stream framing and `since`.
 */
import type Docker from 'dockerode';
import { RuntimeLabels } from '../../../kernel/runtime/types';
import { FrameParser } from '../../../plugins/runtime-docker/demux';
import { engineMessage } from '../../../plugins/runtime-docker/errors';
import { classifyPullFailure, withDefaultTag } from '../../../plugins/runtime-docker/images';
import { engineSince } from '../../../plugins/runtime-docker/logs';
import { containerCreateOptions, milliCpuToNanoCpus, milliCpuToShares, sandboxCreateOptions, userSpec } from '../../../plugins/runtime-docker/spec';
import { imageRef, toContainerStatus, toSandboxStatus } from '../../../plugins/runtime-docker/status';
import { containerConfig } from './support';

test.each([
  [0, 2],
  [1, 2],
  [2, 2],
  [10, 10],
  [100, 102],
  [250, 256],
  [1000, 1024],
  [2500, 2560],
  [1_000_000, 262144],
])('milliCpuToShares(%d) = %d', (millis, shares) => {
  expect(milliCpuToShares(millis)).toBe(shares);
});

test.each([
  [1, 10_000_000],
  [10, 10_000_000],
  [500, 500_000_000],
  [1500, 1_500_000_000],
])('milliCpuToNanoCpus(%d) = %d', (millis, nanos) => {
  expect(milliCpuToNanoCpus(millis)).toBe(nanos);
});

test.each([
  [{}, undefined, undefined],
  [{ runAsUser: 1000 }, undefined, '1000'],
  [{ runAsUser: 0, runAsGroup: 0 }, 'nobody', '0:0'],
  [{ runAsUser: 1000, runAsGroup: 2000 }, undefined, '1000:2000'],
  [{ runAsGroup: 2000 }, undefined, '0:2000'],
  [{ runAsGroup: 2000 }, '', '0:2000'],
  [{ runAsGroup: 2000 }, 'nobody:nogroup', 'nobody:2000'],
])('userSpec(%j, image user %j) = %j', (security, imageUser, expected) => {
  expect(userSpec(security, imageUser)).toBe(expected);
});

const specContext = { sandboxId: 'sb', sandboxLabels: { [RuntimeLabels.podName]: 'p', [RuntimeLabels.node]: 'n1' }, mountSources: [] };

test.each([
  [{}, undefined, undefined],
  [{ args: ['a'] }, undefined, ['a']],
  [{ command: ['c'] }, ['c'], undefined],
  [{ command: ['c'], args: ['a'] }, ['c'], ['a']],
  [{ command: [], args: [] }, undefined, undefined],
])('command/args %j → Entrypoint %j, Cmd %j', (overrides, entrypoint, cmd) => {
  const spec = containerCreateOptions(containerConfig({ name: 'c', ...overrides }), specContext);
  expect(spec.Entrypoint).toEqual(entrypoint);
  expect(spec.Cmd).toEqual(cmd);
});

test('a container joins its sandbox and carries its pod labels', () => {
  const spec = containerCreateOptions(
    containerConfig({ name: 'app', stdin: true, stdinOnce: true, tty: true, security: { capAdd: ['NET_ADMIN'], capDrop: ['ALL'], privileged: false } }),
    specContext,
  );
  expect(spec.HostConfig).toMatchObject({
    NetworkMode: 'container:sb',
    IpcMode: 'container:sb',
    CapAdd: ['NET_ADMIN'],
    CapDrop: ['ALL'],
    RestartPolicy: { Name: 'no' },
    LogConfig: { Type: 'json-file' },
  });
  expect(spec.Hostname).toBeUndefined();
  expect(spec).toMatchObject({ OpenStdin: true, StdinOnce: true, Tty: true });
  expect(spec.Labels).toMatchObject({ [RuntimeLabels.podName]: 'p', [RuntimeLabels.node]: 'n1', [RuntimeLabels.containerName]: 'app', [RuntimeLabels.type]: 'container', 'io.kubernetes.sandbox.id': 'sb' });
  expect(spec.name).toMatch(/^k8s_app_p___0_[0-9a-f]{8}$/);
});

test('a sandbox: network, hostname, ports, DNS and host aliases', () => {
  const config = {
    podUid: 'u1',
    podName: 'web',
    namespace: 'ns',
    hostname: 'web-0',
    hostNetwork: false,
    portMappings: [
      { containerPort: 80, hostPort: 8080, protocol: 'TCP' as const },
      { containerPort: 80, hostPort: 8081, hostIP: '127.0.0.1', protocol: 'TCP' as const },
      { containerPort: 53, protocol: 'UDP' as const },
    ],
    dns: { servers: ['10.0.0.10'], searches: ['ns.svc.cluster.local'], options: ['ndots:5'] },
    hostAliases: [{ ip: '10.1.1.1', hostnames: ['a', 'b'] }],
    labels: { app: 'web' },
  };
  const spec = sandboxCreateOptions(config, { nodeName: 'n1', pauseImage: 'skiff/pause:3.9', network: 'pods' });
  expect(spec).toMatchObject({ Image: 'skiff/pause:3.9', Hostname: 'web-0', ExposedPorts: { '80/tcp': {}, '53/udp': {} } });
  expect(spec.name).toMatch(/^k8s_POD_web_ns_u1_[0-9a-f]{8}$/);
  expect(spec.Labels).toEqual({
    [RuntimeLabels.node]: 'n1',
    [RuntimeLabels.podUid]: 'u1',
    [RuntimeLabels.podName]: 'web',
    [RuntimeLabels.podNamespace]: 'ns',
    app: 'web',
    [RuntimeLabels.type]: 'podsandbox',
  });
  expect(spec.HostConfig).toMatchObject({
    NetworkMode: 'pods',
    IpcMode: 'shareable',
    PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '8081' }] },
    Dns: ['10.0.0.10'],
    DnsSearch: ['ns.svc.cluster.local'],
    DnsOptions: ['ndots:5'],
    ExtraHosts: ['a:10.1.1.1', 'b:10.1.1.1'],
    RestartPolicy: { Name: 'no' },
    Init: false,
  });
  const host = sandboxCreateOptions({ ...config, hostNetwork: true }, { nodeName: 'n1', pauseImage: 'p', network: 'pods' });
  expect(host.HostConfig).toMatchObject({ NetworkMode: 'host', PortBindings: {} });
});

function inspect(state: Partial<Docker.ContainerInspectInfo['State']>, extra: Partial<Docker.ContainerInspectInfo> = {}): Docker.ContainerInspectInfo {
  return {
    Id: 'c1',
    Name: '/k8s_app',
    Created: '2024-05-01T10:00:00.000000000Z',
    Image: 'sha256:' + 'a'.repeat(64),
    Config: { Image: 'busybox:latest', Labels: { [RuntimeLabels.containerName]: 'app', 'io.kubernetes.sandbox.id': 'sb' } },
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { Networks: {} },
    State: { Status: 'created', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', ...state },
    ...extra,
  } as unknown as Docker.ContainerInspectInfo;
}

const ran = { StartedAt: '2024-05-01T10:00:01.5Z', FinishedAt: '2024-05-01T10:00:02Z' };
test.each([
  ['created', {}, { state: 'created', reason: undefined, exitCode: undefined }],
  ['running', { Status: 'running', Running: true, Pid: 42, StartedAt: ran.StartedAt }, { state: 'running', reason: undefined, exitCode: undefined }],
  ['paused counts as running', { Status: 'paused', Running: true, Paused: true, Pid: 42 }, { state: 'running' }],
  ['exit 0', { Status: 'exited', ...ran }, { state: 'exited', reason: 'Completed', exitCode: 0 }],
  ['exit 1', { Status: 'exited', ExitCode: 1, ...ran }, { state: 'exited', reason: 'Error', exitCode: 1 }],
  ['OOM', { Status: 'exited', ExitCode: 137, OOMKilled: true, ...ran }, { state: 'exited', reason: 'OOMKilled', exitCode: 137 }],
  ['OOM even with exit 0', { Status: 'exited', ExitCode: 0, OOMKilled: true, ...ran }, { state: 'exited', reason: 'OOMKilled', exitCode: 0 }],
  ['never ran', { Status: 'created', ExitCode: 127, Error: 'exec: "x": not found' }, { state: 'exited', reason: 'ContainerCannotRun', exitCode: 127, message: 'exec: "x": not found' }],
  ['dead', { Status: 'dead' }, { state: 'unknown' }],
])('status: %s', (_title, state, expected) => {
  expect(toContainerStatus(inspect(state), undefined)).toMatchObject({ id: 'c1', name: 'app', sandboxId: 'sb', image: 'busybox:latest', ...expected });
});

test('status times, and the termination message only once exited', () => {
  const s = toContainerStatus(inspect({ Status: 'exited', ExitCode: 1, Error: 'engine words', ...ran }), undefined, 'from the file');
  expect(s.startedAt).toEqual(new Date('2024-05-01T10:00:01.500Z'));
  expect(s.finishedAt).toEqual(new Date('2024-05-01T10:00:02Z'));
  expect(s.message).toBe('from the file');
  expect(toContainerStatus(inspect({ Status: 'exited', ExitCode: 1, Error: 'engine words', ...ran }), undefined).message).toBe('engine words');
  const never = toContainerStatus(inspect({ ExitCode: 1 }), undefined);
  expect(never.startedAt).toEqual(never.createdAt);
});

test.each([
  [[], `docker://sha256:${'a'.repeat(64)}`],
  [[`registry.local/busybox@sha256:${'b'.repeat(64)}`], `docker-pullable://registry.local/busybox@sha256:${'b'.repeat(64)}`],
])('imageRef with repo digests %j', (repoDigests, expected) => {
  expect(imageRef(`sha256:${'a'.repeat(64)}`, { repoDigests })).toBe(expected);
});

test('sandbox status: IP from its network, netns from its pid, none when stopped', () => {
  const running = inspect(
    { Status: 'running', Running: true, Pid: 4242 },
    {
      Config: { Labels: { a: 'b' } } as unknown as Docker.ContainerInspectInfo['Config'],
      HostConfig: { NetworkMode: 'pods' },
      NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.9' }, pods: { IPAddress: '10.88.0.5' } } } as unknown as Docker.ContainerInspectInfo['NetworkSettings'],
    },
  );
  expect(toSandboxStatus(running)).toEqual({ id: 'c1', state: 'ready', createdAt: new Date('2024-05-01T10:00:00Z'), ip: '10.88.0.5', netns: '/proc/4242/ns/net', labels: { a: 'b' } });
  const stopped = inspect({ Status: 'exited', ...ran }, { NetworkSettings: running.NetworkSettings, HostConfig: running.HostConfig });
  expect(toSandboxStatus(stopped)).toMatchObject({ state: 'notready', ip: undefined, netns: undefined });
});

test.each([
  ['Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused', 'registry unreachable'],
  ['Get "https://registry.example/v2/": dial tcp: lookup registry.example: no such host', 'registry unreachable'],
  ['Get "https://r/v2/": net/http: TLS handshake timeout', 'registry unreachable'],
  ['manifest unknown', 'not found'],
  ['manifest for r/x:1 not found: manifest unknown: manifest unknown', 'not found'],
  ["pull access denied for x, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", 'not found'],
  ['Head "http://127.0.0.1:5902/v2/x/manifests/1": no basic auth credentials', 'unauthorized'],
  ['unauthorized: authentication required', 'unauthorized'],
  ['invalid reference format', 'failed'],
])('pull failure %j is %s', (message, kind) => {
  expect(classifyPullFailure(message)).toBe(kind);
});

test.each([
  ['busybox', 'busybox:latest'],
  ['busybox:1.36', 'busybox:1.36'],
  ['127.0.0.1:5000/x', '127.0.0.1:5000/x:latest'],
  ['127.0.0.1:5000/x:2', '127.0.0.1:5000/x:2'],
  [`r/x@sha256:${'c'.repeat(64)}`, `r/x@sha256:${'c'.repeat(64)}`],
])('withDefaultTag(%j) = %j', (reference, expected) => {
  expect(withDefaultTag(reference)).toBe(expected);
});

test('frames are cut across chunk boundaries, stream by stream', () => {
  const frame = (stream: number, text: string) => {
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(Buffer.byteLength(text), 4);
    return Buffer.concat([header, Buffer.from(text)]);
  };
  const bytes = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, ''), frame(1, 'x'.repeat(70_000))]);
  const parser = new FrameParser();
  const frames = [];
  for (let i = 0; i < bytes.length; i += 3) frames.push(...parser.push(bytes.subarray(i, i + 3)));
  expect(frames.map((f) => [f.stream, f.payload.toString().slice(0, 4), f.payload.length])).toEqual([
    [1, 'out\n', 4],
    [2, 'err\n', 4],
    [1, '', 0],
    [1, 'xxxx', 70_000],
  ]);
  expect(parser.pending).toBe(0);
});

test.each([
  ['2024-05-01T10:00:00.000Z', '1714557600.000000000'],
  ['2024-05-01T10:00:00.123Z', '1714557600.123000000'],
  ['1970-01-01T00:00:01.001Z', '1.001000000'],
])('engineSince(%s) = %s', (iso, expected) => {
  expect(engineSince(new Date(iso))).toBe(expected);
});

test("engineMessage takes the daemon's words over docker-modem's wrapping", () => {
  const err = Object.assign(new Error('(HTTP code 404) no such container - No such container: abc '), { statusCode: 404, json: { message: 'No such container: abc' } });
  expect(engineMessage(err)).toBe('No such container: abc');
  expect(engineMessage(new Error(' plain '))).toBe('plain');
});
