/**
 * The node agent on real Docker, through unmodified kubectl (the oldest
 * version on the machine, which speaks only SPDY, and the newest, which
 * speaks WebSocket): the issue's must-haves.
 *
 * - two containers of one pod talk over localhost; the pod IP answers from the host;
 * - an init container waiting for a file in a shared emptyDir holds the app back (Init:0/1, then Running);
 * - a readiness httpGet on /index.html fails (READY 0/1) until the file is created with kubectl exec;
 * - a liveness exec `test -e /tmp/live` on a container that deletes the file makes RESTARTS grow, with Unhealthy and Killing events;
 * - kubectl logs, logs -f, logs --previous, exec with and without stdin, describe with events;
 * - bad input (missing image, missing command, probe to a closed port, a hostPath the node does not allow) gives Kubernetes' status and events, and the node keeps serving.
 */
import { startCluster, type TestCluster } from '../../support/cluster';
import type { KubectlRunner } from '../../support/kubectl';
import { httpGet, oldestAndNewest, podColumns, removeNodeContainers, requireDocker, uniqueNodeName, waitFor } from './support';

jest.setTimeout(180_000);

const node = uniqueNodeName('node-e2e');
let cluster: TestCluster;
let kubectls: KubectlRunner[];
let k: KubectlRunner;

beforeAll(async () => {
  await requireDocker();
  cluster = await startCluster({
    config: {
      plugins: [{ name: 'runtime-docker', options: { offline: true } }, { name: 'node-agent', options: { crashLoopBackoff: { initialSeconds: 2, maxSeconds: 20 }, allowedHostPaths: ['/tmp'] } }],
      nodes: [{ name: node, runtime: 'docker' }],
    },
  });
  kubectls = oldestAndNewest(cluster.kubeconfig);
  k = kubectls[kubectls.length - 1];
});

afterAll(async () => {
  await cluster?.destroy();
  await removeNodeContainers(node);
});

/** Create pods from YAML with kubectl apply. */
async function apply(yaml: string): Promise<void> {
  await k.ok(['apply', '-f', '-'], { input: yaml });
}

function pod(name: string, body: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  nodeName: ${node}\n  terminationGracePeriodSeconds: 2\n${body}`;
}

async function status(name: string, want: (c: Awaited<ReturnType<typeof podColumns>>) => boolean, what: string, timeoutMs = 60_000) {
  return waitFor(`${name}: ${what}`, async () => {
    const c = await podColumns(k, name);
    return want(c) ? c : undefined;
  }, timeoutMs);
}

async function events(name: string): Promise<string> {
  return k.ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers']);
}

test('two containers of one pod talk over localhost; the pod IP answers from the host', async () => {
  await apply(
    pod(
      'pair',
      `  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: [{containerPort: 8080}]
  - name: client
    image: busybox
    command: ["sleep", "3600"]
`,
    ),
  );
  const cols = await status('pair', (c) => c.status === 'Running' && c.ready === '2/2', 'Running 2/2');
  expect(cols.node).toBe(node);
  for (const kc of kubectls) {
    const body = await waitFor('the web container to answer on localhost', async () => kc.ok(['exec', 'pair', '-c', 'client', '--', 'wget', '-qO-', 'http://localhost:8080/']));
    expect(body).toBe('hello-from-web\n');
  }
  const fromHost = await waitFor('the pod IP to answer from the host', () => httpGet(`http://${cols.ip}:8080/`));
  expect(fromHost).toEqual({ status: 200, body: 'hello-from-web\n' });
});

test('an init container waiting for a file in a shared emptyDir holds the app back: Init:0/1, then Running', async () => {
  await apply(
    pod(
      'gated',
      `  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - name: wait
    image: busybox
    command: ["sh", "-c", "until [ -e /work/go ]; do sleep 0.2; done; echo released > /work/log"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "cat /work/log; sleep 3600"]
    volumeMounts: [{name: work, mountPath: /work}]
`,
    ),
  );
  await status('gated', (c) => c.status === 'Init:0/1', 'Init:0/1');
  // Still held back a while later.
  await new Promise((r) => setTimeout(r, 1500));
  expect((await podColumns(k, 'gated')).status).toBe('Init:0/1');
  await k.ok(['exec', 'gated', '-c', 'wait', '--', 'touch', '/work/go']);
  await status('gated', (c) => c.status === 'Running' && c.ready === '1/1', 'Running');
  expect(await waitFor('the app log', async () => ((await k.ok(['logs', 'gated', '-c', 'app'])) || undefined))).toBe('released\n');
});

test('a readiness httpGet on /index.html fails (READY 0/1) until the file is created with kubectl exec', async () => {
  await apply(
    pod(
      'ready',
      `  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && exec httpd -f -p 8080 -h /www"]
    ports: [{name: http, containerPort: 8080}]
    readinessProbe:
      httpGet: {path: /index.html, port: http}
      periodSeconds: 1
`,
    ),
  );
  await status('ready', (c) => c.status === 'Running' && c.ready === '0/1', 'Running 0/1');
  await waitFor('an Unhealthy event', async () => ((await events('ready')).includes('Readiness probe failed: HTTP probe failed with statuscode: 404') ? true : undefined));
  await new Promise((r) => setTimeout(r, 1500));
  expect((await podColumns(k, 'ready')).ready).toBe('0/1');
  await k.ok(['exec', 'ready', '--', 'sh', '-c', 'echo ok > /www/index.html']);
  await status('ready', (c) => c.ready === '1/1', 'READY 1/1', 20_000);
});

test('a liveness exec `test -e /tmp/live` on a container that deletes the file makes RESTARTS grow, with Unhealthy and Killing events; logs --previous shows the last run', async () => {
  await apply(
    pod(
      'live',
      `  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo run at $(date +%s); touch /tmp/live; sleep 3; rm /tmp/live; sleep 3600"]
    livenessProbe:
      exec: {command: ["test", "-e", "/tmp/live"]}
      periodSeconds: 1
      failureThreshold: 1
`,
    ),
  );
  const cols = await status('live', (c) => c.restarts >= 2, 'RESTARTS >= 2', 90_000);
  expect(cols.restarts).toBeGreaterThanOrEqual(2);
  const described = await k.ok(['describe', 'pod', 'live']);
  expect(described).toMatch(/Warning\s+Unhealthy\s+.*kubelet\s+Liveness probe failed:/);
  expect(described).toMatch(/Normal\s+Killing\s+.*kubelet\s+Container app failed liveness probe, will be restarted/);
  expect(described).toMatch(/Last State:\s+Terminated/);
  for (const kc of kubectls) {
    expect(await kc.ok(['logs', 'live', '--previous'])).toMatch(/^run at \d+\n$/);
  }
});

test('kubectl logs and logs -f (ending with the container), exec with and without stdin, describe with events', async () => {
  await apply(
    pod(
      'talk',
      `  restartPolicy: Never
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "sleep 2; for i in 1 2 3; do echo tick $i; sleep 1; done"]
`,
    ),
  );
  await status('talk', (c) => c.status === 'Running', 'Running');
  const [followed] = await Promise.all(kubectls.map((kc) => kc.run(['logs', '-f', 'talk'], { timeoutMs: 30_000 })));
  expect(followed).toMatchObject({ code: 0, stdout: 'tick 1\ntick 2\ntick 3\n' });
  await status('talk', (c) => c.status === 'Completed', 'Completed');
  for (const kc of kubectls) {
    expect(await kc.ok(['logs', 'talk'])).toBe('tick 1\ntick 2\ntick 3\n');
    expect(await kc.ok(['logs', 'talk', '--tail', '1'])).toBe('tick 3\n');
  }

  await apply(pod('shell', `  containers:\n  - name: app\n    image: busybox\n    command: ["sleep", "3600"]\n`));
  await status('shell', (c) => c.status === 'Running', 'Running');
  for (const kc of kubectls) {
    expect(await kc.ok(['exec', 'shell', '--', 'echo', 'hi', kc.version])).toBe(`hi ${kc.version}\n`);
    expect(await kc.ok(['exec', '-i', 'shell', '--', 'cat'], { input: `from stdin ${kc.version}\n` })).toBe(`from stdin ${kc.version}\n`);
    const failed = await kc.run(['exec', 'shell', '--', 'sh', '-c', 'exit 3']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('command terminated with exit code 3');
  }
  const described = await k.ok(['describe', 'pod', 'shell']);
  expect(described).toMatch(/Status:\s+Running/);
  expect(described).toMatch(new RegExp(`Node:\\s+${node}/`));
  // busybox means :latest and so Always; this node reaches no registry, so it says it used the local image.
  expect(described).toMatch(/Warning\s+Pulled\s+.*kubelet\s+Container image "busybox" already present on machine and used without pulling: the registry (docker\.io )?could not be reached/);
  expect(described).toMatch(/Normal\s+Created\s+.*kubelet\s+Created container app/);
  expect(described).toMatch(/Normal\s+Started\s+.*kubelet\s+Started container app/);
  expect(described).toMatch(/Ready\s+True/);
});

test('bad input gets Kubernetes\' status and events, and the node keeps serving', async () => {
  await apply(
    [
      pod('no-image', `  containers:\n  - name: app\n    image: skiff-test/does-not-exist:1.0\n`),
      pod('no-command', `  containers:\n  - name: app\n    image: busybox\n    command: ["/no/such/binary"]\n`),
      pod('closed-port', `  containers:\n  - name: app\n    image: busybox\n    command: ["sleep", "3600"]\n    readinessProbe:\n      tcpSocket: {port: 9999}\n      periodSeconds: 1\n`),
      pod('host-etc', `  volumes: [{name: etc, hostPath: {path: /etc}}]\n  containers:\n  - name: app\n    image: busybox\n    volumeMounts: [{name: etc, mountPath: /host-etc}]\n`),
    ].join('\n---\n'),
  );
  await status('no-image', (c) => c.status === 'ErrImagePull' || c.status === 'ImagePullBackOff', 'ErrImagePull or ImagePullBackOff');
  await waitFor('image events', async () => {
    const e = await events('no-image');
    return e.includes('Failed to pull image "skiff-test/does-not-exist:1.0"') && e.includes('Error: ErrImagePull') ? e : undefined;
  });

  await status('no-command', (c) => ['RunContainerError', 'CrashLoopBackOff', 'ContainerCannotRun', 'StartError'].includes(c.status), 'a start failure');
  const noCommand = await events('no-command');
  expect(noCommand).toMatch(/Warning\s+Failed\s+Error: failed to start container "app": .*exec: "\/no\/such\/binary": stat \/no\/such\/binary: no such file or directory/);

  const closed = await status('closed-port', (c) => c.status === 'Running', 'Running');
  expect(closed.ready).toBe('0/1');
  await waitFor('a refused readiness probe', async () => ((await events('closed-port')).includes(`Readiness probe failed: dial tcp ${closed.ip}:9999: connect: connection refused`) ? true : undefined));

  await waitFor('FailedMount for /etc', async () => ((await events('host-etc')).includes('MountVolume.SetUp failed for volume "etc" : hostPath "/etc" is not allowed on this node (allowed: /tmp)') ? true : undefined));
  expect((await podColumns(k, 'host-etc')).status).toBe('ContainerCreating');

  // The node still runs pods.
  await apply(pod('after', `  containers:\n  - name: app\n    image: busybox\n    command: ["sleep", "3600"]\n`));
  await status('after', (c) => c.status === 'Running' && c.ready === '1/1', 'Running');
});
