/**
 * Container environments as the kubelet builds them: `$(VAR)` expansion with
 * `$$` escaping, env from values, fields, resources, ConfigMaps and Secrets
 * (optional or not), envFrom with prefixes, the service variables, and
 * command/args expanded against the result.
 */
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1';
import { expand, mappingFuncFor } from '../../../plugins/node-agent/expansion';
import { expandCommand, resolveEnv, serviceEnv, type ObjectLookup } from '../../../plugins/node-agent/env';
import { containerResourceValue, formatMap } from '../../../plugins/node-agent/fieldpath';

const vars = { VAR_A: 'A', VAR_B: 'B', EMPTY: '' };

test.each([
  ['$(VAR_A)', 'A'],
  ['___$(VAR_A)___', '___A___'],
  ['$(VAR_A)-$(VAR_B)', 'A-B'],
  ['$(VAR_A)$(VAR_B)', 'AB'],
  ['$(UNKNOWN)', '$(UNKNOWN)'],
  ['$$(VAR_A)', '$(VAR_A)'],
  ['$$$(VAR_A)', '$A'],
  ['$$$$(VAR_A)', '$$(VAR_A)'],
  ['$(EMPTY)x', 'x'],
  ['$VAR_A', '$VAR_A'],
  ['$(VAR_A', '$(VAR_A'],
  ['$', '$'],
  ['a$', 'a$'],
  ['foo$()bar', 'foo$()bar'],
  ['$(VAR_A)$', 'A$'],
  ['${VAR_A}', '${VAR_A}'],
])('expand(%j) = %j', (input, output) => {
  expect(expand(input, mappingFuncFor(vars))).toBe(output);
});

const T = 'test';

function pod(container: Container, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name: 'web', namespace: T, uid: 'uid-1', labels: { app: 'web', tier: 'front' }, annotations: { note: 'a "quoted" value' } },
    spec: { nodeName: 'node-a', serviceAccountName: 'robot', containers: [container], ...extra },
  };
}

const configMaps: Record<string, ConfigMap> = {
  cfg: { metadata: { name: 'cfg', namespace: T }, data: { LEVEL: 'debug', 'bad-key!': 'x', '1BAD': 'y', url: 'http://$(HOST)' } },
};
const secrets: Record<string, Secret> = {
  creds: { metadata: { name: 'creds', namespace: T }, data: { password: Buffer.from('s3cret').toString('base64'), user: Buffer.from('admin').toString('base64') } },
};
const objects: ObjectLookup = {
  configMap: async (_ns, name) => configMaps[name],
  secret: async (_ns, name) => secrets[name],
};

async function env(container: Container, extra: Partial<Pod['spec']> = {}, services: Record<string, string> = {}) {
  return resolveEnv({ pod: pod(container, extra), container, objects, serviceEnv: services, podIPs: ['10.1.0.7'], hostIPs: ['192.0.2.10'], nodeAllocatable: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' } });
}

function asRecord(result: Awaited<ReturnType<typeof env>>): Record<string, string> {
  if (!result.ok) throw new Error(result.message);
  return Object.fromEntries(result.env.map((e) => [e.name, e.value]));
}

test('values expand earlier variables and service variables; later entries replace earlier ones', async () => {
  const result = await env(
    {
      name: 'app',
      image: 'busybox',
      env: [
        { name: 'A', value: 'one' },
        { name: 'B', value: '$(A)-two' },
        { name: 'C', value: '$(LATER) $(KUBERNETES_SERVICE_HOST) $$(A)' },
        { name: 'LATER', value: 'late' },
        { name: 'A', value: 'again' },
      ],
    },
    {},
    { KUBERNETES_SERVICE_HOST: '10.96.0.1' },
  );
  expect(asRecord(result)).toEqual({ A: 'again', B: 'one-two', C: '$(LATER) 10.96.0.1 $(A)', LATER: 'late', KUBERNETES_SERVICE_HOST: '10.96.0.1' });
});

test('fieldRef: pod fields, one label or annotation, node name, pod and host IPs', async () => {
  const field = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const result = await env({
    name: 'app',
    image: 'busybox',
    env: [
      field('NAME', 'metadata.name'),
      field('NS', 'metadata.namespace'),
      field('UID', 'metadata.uid'),
      field('APP', "metadata.labels['app']"),
      field('NOTE', "metadata.annotations['note']"),
      field('MISSING', "metadata.labels['nope']"),
      field('NODE', 'spec.nodeName'),
      field('SA', 'spec.serviceAccountName'),
      field('POD_IP', 'status.podIP'),
      field('POD_IPS', 'status.podIPs'),
      field('HOST_IP', 'status.hostIP'),
      field('HOST_IPS', 'status.hostIPs'),
    ],
  });
  expect(asRecord(result)).toEqual({
    NAME: 'web',
    NS: T,
    UID: 'uid-1',
    APP: 'web',
    NOTE: 'a "quoted" value',
    MISSING: '',
    NODE: 'node-a',
    SA: 'robot',
    POD_IP: '10.1.0.7',
    POD_IPS: '10.1.0.7',
    HOST_IP: '192.0.2.10',
    HOST_IPS: '192.0.2.10',
  });
});

test.each([
  [{ limits: { cpu: '500m' } }, 'limits.cpu', undefined, '1'],
  [{ limits: { cpu: '500m' } }, 'limits.cpu', '1m', '500'],
  [{ limits: { cpu: '1500m' } }, 'limits.cpu', '0', '2'],
  [{}, 'limits.cpu', '1', '4'],
  [{ requests: { cpu: '250m' } }, 'requests.cpu', '1m', '250'],
  [{}, 'requests.cpu', '1m', '0'],
  [{ limits: { memory: '64Mi' } }, 'limits.memory', '1Mi', '64'],
  [{ limits: { memory: '64Mi' } }, 'limits.memory', undefined, String(64 * 1024 * 1024)],
  [{}, 'limits.memory', '1Gi', '8'],
  [{ requests: { memory: '1500k' } }, 'requests.memory', '1M', '2'],
])('resourceFieldRef %j %s with divisor %s is %s', (resources, resource, divisor, value) => {
  expect(containerResourceValue({ name: 'app', resources } as Container, resource, divisor, { podIPs: [], hostIPs: [], nodeAllocatable: { cpu: '4', memory: '8Gi' } })).toBe(value);
});

test('ConfigMap and Secret keys; optional references that do not resolve are left out', async () => {
  const result = await env({
    name: 'app',
    image: 'busybox',
    env: [
      { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } },
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'OPT_KEY', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope', optional: true } } },
      { name: 'OPT_MAP', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
      { name: 'OPT_SECRET', valueFrom: { secretKeyRef: { name: 'nope', key: 'x', optional: true } } },
    ],
  });
  expect(asRecord(result)).toEqual({ LEVEL: 'debug', PASSWORD: 's3cret' });
});

test.each([
  [{ configMapKeyRef: { name: 'nope', key: 'x' } }, 'configmap "nope" not found'],
  [{ configMapKeyRef: { name: 'cfg', key: 'nope' } }, `couldn't find key nope in ConfigMap ${T}/cfg`],
  [{ secretKeyRef: { name: 'nope', key: 'x' } }, 'secret "nope" not found'],
  [{ secretKeyRef: { name: 'creds', key: 'nope' } }, `couldn't find key nope in Secret ${T}/creds`],
])('a reference that does not resolve (%j) is a CreateContainerConfigError: %s', async (valueFrom, message) => {
  const result = await env({ name: 'app', image: 'busybox', env: [{ name: 'X', valueFrom }] });
  expect(result).toEqual({ ok: false, message });
});

test('envFrom: every valid key with the prefix; invalid names skipped and reported; env wins over envFrom', async () => {
  const result = await env({
    name: 'app',
    image: 'busybox',
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }, { configMapRef: { name: 'nope', optional: true } }],
    env: [{ name: 'user', value: 'override' }],
  });
  expect(result.ok).toBe(true);
  expect(asRecord(result)).toEqual({ CFG_LEVEL: 'debug', CFG_1BAD: 'y', CFG_url: 'http://$(HOST)', password: 's3cret', user: 'override' });
  expect(result.ok && result.warnings).toEqual([`Keys [CFG_bad-key!] from the EnvFrom configMap ${T}/cfg were skipped since they are considered invalid environment variable names.`]);
  expect(await env({ name: 'app', image: 'busybox', envFrom: [{ secretRef: { name: 'missing' } }] })).toEqual({ ok: false, message: 'secret "missing" not found' });
});

test('command and args expand against the final environment', () => {
  const environment = [
    { name: 'GREETING', value: 'hello' },
    { name: 'NAME', value: 'world' },
  ];
  expect(expandCommand(['sh', '-c', 'echo $(GREETING) $(NAME) $$(NAME) $(NOPE)'], environment)).toEqual(['sh', '-c', 'echo hello world $(NAME) $(NOPE)']);
  expect(expandCommand(undefined, environment)).toBeUndefined();
});

test('service variables: the kubernetes Service always, the namespace\'s Services with enableServiceLinks', () => {
  const svc = (name: string, namespace: string, clusterIP: string, ports: Array<{ name?: string; port: number; protocol?: string }>): Service => ({
    metadata: { name, namespace },
    spec: { clusterIP, ports: ports as NonNullable<Service['spec']>['ports'] },
  });
  const services = [svc('kubernetes', 'default', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]), svc('my-db', T, '10.96.0.9', [{ port: 5432 }]), svc('headless', T, 'None', [{ port: 80 }]), svc('other', 'elsewhere', '10.96.0.8', [{ port: 80 }])];
  const withLinks = serviceEnv(services, pod({ name: 'app', image: 'busybox' }));
  expect(withLinks).toEqual({
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    MY_DB_SERVICE_HOST: '10.96.0.9',
    MY_DB_SERVICE_PORT: '5432',
    MY_DB_PORT: 'tcp://10.96.0.9:5432',
    MY_DB_PORT_5432_TCP: 'tcp://10.96.0.9:5432',
    MY_DB_PORT_5432_TCP_PROTO: 'tcp',
    MY_DB_PORT_5432_TCP_PORT: '5432',
    MY_DB_PORT_5432_TCP_ADDR: '10.96.0.9',
  });
  const without = serviceEnv(services, pod({ name: 'app', image: 'busybox' }, { enableServiceLinks: false }));
  expect(Object.keys(without).every((k) => k.startsWith('KUBERNETES_'))).toBe(true);
});

test('formatMap: sorted key="value" lines, Go-quoted', () => {
  expect(formatMap({ b: 'two', a: 'say "hi"\n' })).toBe('a="say \\"hi\\"\\n"\nb="two"');
});
