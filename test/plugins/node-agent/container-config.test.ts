/**
 * From a container spec to the runtime's ContainerConfig (resources in
 * canonical units, securityContext container over pod, the non-root rule,
 * mounts), and termination messages read back into status (the file the
 * container wrote, or the log tail with FallbackToLogsOnError).
 */
import { writeFileSync } from 'node:fs';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { buildContainerConfig } from '../../../plugins/node-agent/container-config';
import { harness, type Harness } from './support';

const pod = (container: Container, securityContext: NonNullable<Pod['spec']>['securityContext'] = {}): Pod => ({
  metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
  spec: { securityContext, containers: [container] },
});

function config(container: Container, securityContext?: NonNullable<Pod['spec']>['securityContext']) {
  return buildContainerConfig({ pod: pod(container, securityContext), container, kind: 'app', restartCount: 0, nodeName: 'node-a', env: [], volumes: new Map() });
}

test.each([
  [{ requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } }, { cpuRequestMillis: 250, cpuLimitMillis: 1000, memoryLimitBytes: 128 * 1024 * 1024 }],
  [{ limits: { cpu: '1.5', memory: '1G' } }, { cpuRequestMillis: undefined, cpuLimitMillis: 1500, memoryLimitBytes: 1_000_000_000 }],
  [{ requests: { cpu: '0.1' } }, { cpuRequestMillis: 100, cpuLimitMillis: undefined, memoryLimitBytes: undefined }],
  [{}, { cpuRequestMillis: undefined, cpuLimitMillis: undefined, memoryLimitBytes: undefined }],
])('resources %j in canonical units', (resources, expected) => {
  const result = config({ name: 'app', image: 'busybox', resources });
  expect(result.ok && result.config.resources).toEqual(expected);
});

test('securityContext: the container\'s settings over the pod\'s', () => {
  const result = config(
    { name: 'app', image: 'busybox', securityContext: { runAsUser: 1000, readOnlyRootFilesystem: true, privileged: false, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } } },
    { runAsUser: 500, runAsGroup: 600 },
  );
  expect(result.ok && result.config.security).toEqual({ runAsUser: 1000, runAsGroup: 600, readOnlyRootFilesystem: true, privileged: false, capAdd: ['NET_ADMIN'], capDrop: ['ALL'] });
});

test('runAsNonRoot with runAsUser 0 is a CreateContainerConfigError, as the kubelet words it', () => {
  expect(config({ name: 'app', image: 'busybox', securityContext: { runAsUser: 0 } }, { runAsNonRoot: true })).toEqual({
    ok: false,
    message: 'container\'s runAsUser breaks non-root policy (pod: "web_default(uid-1)", container: app)',
  });
});

test('a volumeMount naming no volume is a CreateContainerConfigError', () => {
  expect(config({ name: 'app', image: 'busybox', volumeMounts: [{ name: 'nope', mountPath: '/x' }] })).toEqual({ ok: false, message: 'cannot find volume "nope" to mount into container "app"' });
});

test('stdin, tty, workingDir pass through', () => {
  const result = config({ name: 'app', image: 'busybox', stdin: true, stdinOnce: true, tty: true, workingDir: '/srv' });
  expect(result.ok && result.config).toMatchObject({ stdin: true, stdinOnce: true, tty: true, workingDir: '/srv' });
});

describe('termination messages', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.stop();
  });

  test('what the container wrote to terminationMessagePath is the terminated state\'s message', async () => {
    h = await harness();
    await h.createPod('job', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox', terminationMessagePath: '/tmp/done' }] });
    const instance = h.runtime.newest('job', 'app')!;
    const mount = instance.config.mounts.find((m) => m.containerPath === '/tmp/done')!;
    writeFileSync(mount.hostPath, 'all 3 files processed');
    h.runtime.exit(instance.id, 0);
    await h.advance(1000);
    expect((await h.pod('job')).status!.containerStatuses![0].state!.terminated).toMatchObject({ reason: 'Completed', message: 'all 3 files processed' });
  });

  test('FallbackToLogsOnError: a failed container that wrote no message gets its log tail', async () => {
    h = await harness();
    await h.createPod('job', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox', terminationMessagePolicy: 'FallbackToLogsOnError' }] });
    const instance = h.runtime.newest('job', 'app')!;
    instance.logs.push('starting', 'panic: out of cheese');
    h.runtime.exit(instance.id, 2);
    await h.advance(1000);
    expect((await h.pod('job')).status!.containerStatuses![0].state!.terminated).toMatchObject({ reason: 'Error', exitCode: 2, message: 'starting\npanic: out of cheese\n' });
  });
});
