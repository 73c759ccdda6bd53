/**
 * Probes and lifecycle hooks through the agent: readiness with success and
 * failure thresholds, liveness restarting the container (Unhealthy and
 * Killing events, probe-level grace), startup probes gating the others,
 * initialDelaySeconds, exec timeouts, httpGet (named ports, headers, status
 * codes, refused connections) and tcpSocket against real sockets on
 * loopback, and postStart failures.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { harness, podRow, type Harness } from './support';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const row = async (name = 'web') => podRow(await h.pod(name), new Date(h.clock.now()));
const appStatus = async (name = 'web') => (await h.pod(name)).status!.containerStatuses![0];

async function run(container: Partial<Container>, spec: Partial<Pod['spec']> = {}) {
  await h.createPod('web', { ...spec, containers: [{ name: 'app', image: 'busybox', ...container }] });
}

test('readiness: not ready until the probe passes; successThreshold and failureThreshold count consecutive results', async () => {
  h = await harness();
  let healthy = false;
  h.runtime.execHandler = () => (healthy ? { exitCode: 0 } : { exitCode: 1, output: 'not yet' });
  await run({ readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 5, successThreshold: 2, failureThreshold: 3 } });
  expect((await row())[0]).toBe('0/1');
  expect(await appStatus()).toMatchObject({ ready: false, started: true, state: { running: {} } });
  await h.advance(1);
  expect(h.runtime.execs).toEqual(['web/app: cat /tmp/ready']);
  expect(await h.events('web')).toContain('Warning Unhealthy: Readiness probe failed: not yet');

  healthy = true;
  await h.advance(5000);
  expect((await row())[0]).toBe('0/1'); // one success of two
  await h.advance(5000);
  expect((await row())[0]).toBe('1/1');
  const pod = await h.pod('web');
  expect(pod.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: '2024-01-01T12:00:10Z' });

  healthy = false;
  await h.advance(10_000);
  expect((await row())[0]).toBe('1/1'); // two failures of three
  await h.advance(5000);
  expect((await row())[0]).toBe('0/1');
  expect((await h.pod('web')).status!.conditions!.find((c) => c.type === 'ContainersReady')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
  // A failing readiness probe never restarts anything.
  expect(h.runtime.instances('web', 'app')).toHaveLength(1);
  expect((await h.events('web')).find((e) => e.startsWith('Warning Unhealthy'))).toBe('Warning Unhealthy: Readiness probe failed: not yet (x4)');
});

test('liveness: failureThreshold failures kill the container (Unhealthy, Killing) and it restarts per policy', async () => {
  h = await harness();
  let alive = true;
  h.runtime.execHandler = () => ({ exitCode: alive ? 0 : 1 });
  await run({ livenessProbe: { exec: { command: ['test', '-e', '/tmp/live'] }, periodSeconds: 1, failureThreshold: 2 } });
  await h.advance(3000);
  expect(h.runtime.instances('web', 'app')).toHaveLength(1);
  alive = false;
  await h.advance(1000);
  expect(h.runtime.instances('web', 'app')).toHaveLength(1);
  await h.advance(1000);
  const instances = h.runtime.instances('web', 'app');
  expect(instances).toHaveLength(2);
  expect(h.runtime.calls).toContain('stopContainer web/app 30');
  const events = await h.events('web');
  expect(events).toContain('Normal Killing: Container app failed liveness probe, will be restarted');
  // The exec printed nothing: Kubernetes' message ends after the colon.
  expect(events.find((e) => e.startsWith('Warning Unhealthy'))).toMatch(/^Warning Unhealthy: Liveness probe failed:  \(x\d\)$/);
  const status = await appStatus();
  expect(status).toMatchObject({ restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 143, reason: 'Error' } } });
  expect((await row())[2]).toMatch(/^1 \(\d+s ago\)$/);

  // The new instance is probed afresh (and passes).
  alive = true;
  await h.advance(5000);
  expect(h.runtime.instances('web', 'app')).toHaveLength(2);
});

test('liveness with restartPolicy Never: killed, not restarted, the pod fails', async () => {
  h = await harness();
  h.runtime.execHandler = () => ({ exitCode: 1 });
  await run({ livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } }, { restartPolicy: 'Never' });
  await h.advance(3000);
  expect(h.runtime.instances('web', 'app')).toHaveLength(1);
  expect((await h.pod('web')).status!.phase).toBe('Failed');
});

test('a probe-level terminationGracePeriodSeconds is the grace of a liveness kill', async () => {
  h = await harness();
  h.runtime.execHandler = () => ({ exitCode: 1 });
  await run({ livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1, terminationGracePeriodSeconds: 5 } });
  await h.advance(1000);
  expect(h.runtime.calls).toContain('stopContainer web/app 5');
});

test('startup probe: the container is not started, and not probed for readiness or liveness, until it passes', async () => {
  h = await harness();
  let up = false;
  h.runtime.execHandler = (_c, command) => ({ exitCode: command[0] === 'startup' ? (up ? 0 : 1) : 0 });
  await run({
    startupProbe: { exec: { command: ['startup'] }, periodSeconds: 2, failureThreshold: 10 },
    readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 1 },
    livenessProbe: { exec: { command: ['live'] }, periodSeconds: 1 },
  });
  await h.advance(5000);
  expect(new Set(h.runtime.execs.map((e) => e.split(': ')[1]))).toEqual(new Set(['startup']));
  expect(await appStatus()).toMatchObject({ started: false, ready: false });
  up = true;
  await h.advance(2000);
  expect(await appStatus()).toMatchObject({ started: true });
  await h.advance(2000);
  expect(await appStatus()).toMatchObject({ started: true, ready: true });
  expect(new Set(h.runtime.execs.map((e) => e.split(': ')[1]))).toEqual(new Set(['startup', 'ready', 'live']));
});

test('startup probe failing failureThreshold times restarts the container', async () => {
  h = await harness();
  h.runtime.execHandler = () => ({ exitCode: 1 });
  await run({ startupProbe: { exec: { command: ['startup'] }, periodSeconds: 1, failureThreshold: 3 } });
  // Attempts at 0, 1 and 2 s: the third failure kills it.
  await h.advance(1500);
  expect(h.runtime.instances('web', 'app')).toHaveLength(1);
  await h.advance(1000);
  expect(h.runtime.instances('web', 'app')).toHaveLength(2);
  expect(await h.events('web')).toContain('Normal Killing: Container app failed startup probe, will be restarted');
});

test('initialDelaySeconds: no probe before it; probeTimeScale shortens every timing', async () => {
  h = await harness({ config: { probeTimeScale: 0.1 } });
  await run({ readinessProbe: { exec: { command: ['ready'] }, initialDelaySeconds: 30, periodSeconds: 10 } });
  await h.advance(2900);
  expect(h.runtime.execs).toEqual([]);
  await h.advance(1000);
  expect(h.runtime.execs).toEqual(['web/app: ready']);
  expect((await row())[0]).toBe('1/1');
});

test('an exec probe that outlives timeoutSeconds fails as the kubelet words it', async () => {
  h = await harness();
  h.runtime.execHandler = () => ({ done: new Promise<number>(() => undefined) });
  await run({ readinessProbe: { exec: { command: ['sleep', '10'] }, timeoutSeconds: 2, periodSeconds: 5 } });
  await h.advance(1);
  await h.advance(1998);
  expect(await h.events('web')).not.toContain('Warning Unhealthy: Readiness probe failed: command "sleep 10" timed out');
  await h.advance(1);
  expect(await h.events('web')).toContain('Warning Unhealthy: Readiness probe failed: command "sleep 10" timed out');
});

describe('httpGet and tcpSocket against real sockets on loopback', () => {
  let server: http.Server;
  let port: number;
  let code = 404;
  const seen: http.IncomingHttpHeaders[] = [];
  beforeEach(async () => {
    seen.length = 0;
    server = http.createServer((req, res) => {
      seen.push({ ...req.headers, path: req.url });
      res.writeHead(code).end('body');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test('readiness httpGet: a 404 fails with the status code, a 200 passes; named port, path, headers and kube-probe user agent', async () => {
    h = await harness();
    code = 404;
    await run({
      ports: [{ name: 'http', containerPort: port }],
      readinessProbe: { httpGet: { host: '127.0.0.1', port: 'http' as never, path: '/index.html', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] }, periodSeconds: 1 },
    });
    await h.advance(1);
    await h.eventually(async () => expect(await h.events('web')).toContain('Warning Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 404'));
    expect((await row())[0]).toBe('0/1');
    expect(seen[0]).toMatchObject({ path: '/index.html', 'x-probe': 'yes', 'user-agent': 'kube-probe/1.30', accept: '*/*' });
    code = 200;
    await h.advance(1000);
    await h.eventually(async () => expect((await row())[0]).toBe('1/1'));
  });

  test('a refused connection fails as Go words it', async () => {
    h = await harness();
    await new Promise((resolve) => server.close(resolve));
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)); // keep afterEach's close valid
    await run({ readinessProbe: { httpGet: { host: '127.0.0.1', port, path: '/' }, periodSeconds: 1 } });
    await h.advance(1);
    await h.eventually(async () =>
      expect(await h.events('web')).toContain(`Warning Unhealthy: Readiness probe failed: Get "http://127.0.0.1:${port}/": dial tcp 127.0.0.1:${port}: connect: connection refused`),
    );
  });

  test('tcpSocket: an open port passes, a closed one fails', async () => {
    h = await harness();
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await h.createPod('web', {
      containers: [
        { name: 'open', image: 'busybox', readinessProbe: { tcpSocket: { host: '127.0.0.1', port }, periodSeconds: 1 } },
        { name: 'shut', image: 'busybox', readinessProbe: { tcpSocket: { host: '127.0.0.1', port: closedPort }, periodSeconds: 1 } },
      ],
    });
    await h.advance(1);
    await h.eventually(async () => {
      const statuses = (await h.pod('web')).status!.containerStatuses!;
      expect(statuses.map((s) => [s.name, s.ready])).toEqual([
        ['open', true],
        ['shut', false],
      ]);
    });
    expect(await h.events('web')).toContain(`Warning Unhealthy: Readiness probe failed: dial tcp 127.0.0.1:${closedPort}: connect: connection refused`);
  });
});

test('postStart: a failing hook is a FailedPostStartHook event; the container is killed and restarted', async () => {
  h = await harness();
  h.runtime.execHandler = (_c, command) => (command[0] === 'setup' ? { exitCode: 2, output: 'boom' } : { exitCode: 0 });
  const created = await h.createPod('web', { containers: [{ name: 'app', image: 'busybox', lifecycle: { postStart: { exec: { command: ['setup', '--now'] } } } }] });
  const uid = created.metadata!.uid;
  expect(await h.events('web')).toEqual(
    expect.arrayContaining([
      `Warning FailedPostStartHook: Exec lifecycle hook ([setup --now]) for Container "app" in Pod "web_default(${uid})" failed - error: command 'setup --now' exited with 2: , message: "boom"`,
      'Normal Killing: FailedPostStartHook',
    ]),
  );
  expect(h.runtime.newest('web', 'app')!.state).toBe('exited');
  await h.advance(1000);
  expect(h.runtime.instances('web', 'app')).toHaveLength(2);
});
