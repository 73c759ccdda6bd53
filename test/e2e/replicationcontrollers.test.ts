/**
 * core/v1 ReplicationControllers through unmodified kubectl (every version on
 * this machine): discovery (`rc`), create with Kubernetes' defaulting,
 * validation errors in Kubernetes' words, `kubectl get rc` (plain and wide),
 * `kubectl scale rc` and the autoscaling/v1 Scale it goes through, explain.
 * No controllers run here: the API alone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, TestCluster } from '../support/cluster';
import { kubectlFor, kubectlVersions, KubectlRunner } from '../support/kubectl';

const versions = kubectlVersions();
let cluster: TestCluster;
const work = mkdtempSync(path.join(os.tmpdir(), 'skiff-rc-'));

beforeAll(async () => {
  cluster = await startCluster();
});

afterAll(async () => {
  await cluster?.destroy();
});

function file(name: string, text: string): string {
  const p = path.join(work, name);
  writeFileSync(p, text);
  return p;
}

function rcManifest(ns: string, name: string, selector: string | undefined, labels: string): string {
  return `apiVersion: v1
kind: ReplicationController
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  replicas: 2
${selector ? `  selector: ${selector}\n` : ''}  template:
    metadata:
      labels: ${labels}
    spec:
      containers:
      - name: main
        image: busybox:1.36
        command: ["sleep", "3600"]
`;
}

describe.each(versions.map((v) => [v.version, v] as const))('kubectl %s', (version, binary) => {
  let k: KubectlRunner;
  const ns = `rc-${version.replace('.', '-')}`;

  beforeAll(async () => {
    k = kubectlFor(binary, cluster.kubeconfig);
    await k.ok(['create', 'namespace', ns]);
  });

  test('api-resources lists replicationcontrollers as rc', async () => {
    const out = await k.ok(['api-resources', '--api-group=']);
    expect(out).toMatch(/\nreplicationcontrollers\s+rc\s+v1\s+true\s+ReplicationController\n/);
  });

  test('create defaults the selector and labels from the template; get rc prints DESIRED CURRENT READY', async () => {
    const f = file(`${ns}-web.yaml`, rcManifest(ns, 'web', undefined, '{app: web}'));
    expect(await k.ok(['apply', '-f', f])).toBe('replicationcontroller/web created\n');
    const rc = JSON.parse(await k.ok(['get', 'rc', 'web', '-n', ns, '-o', 'json'])) as {
      metadata: { labels: Record<string, string>; generation: number };
      spec: { replicas: number; selector: Record<string, string>; template: { spec: { restartPolicy: string } } };
      status: { replicas: number };
    };
    expect(rc.spec.selector).toEqual({ app: 'web' });
    expect(rc.metadata.labels).toEqual({ app: 'web' });
    expect(rc.metadata.generation).toBe(1);
    expect(rc.spec.template.spec.restartPolicy).toBe('Always');
    expect(rc.status).toEqual({ replicas: 0 });

    const table = await k.ok(['get', 'rc', '-n', ns]);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/);
    expect(table).toMatch(/\nweb\s+2\s+0\s+0\s+\d+s\n/);
    const wide = await k.ok(['get', 'replicationcontrollers', '-n', ns, '-o', 'wide']);
    expect(wide.split('\n')[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(wide).toMatch(/\nweb\s+2\s+0\s+0\s+\d+s\s+main\s+busybox:1.36\s+app=web\n/);
  });

  test('a selector that does not match the template labels is refused in Kubernetes\' words', async () => {
    const f = file(`${ns}-bad.yaml`, rcManifest(ns, 'bad', '{app: web}', '{app: other}'));
    const r = await k.run(['apply', '-f', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The ReplicationController "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
    );
  });

  test('scale rc goes through an autoscaling/v1 Scale whose selector is the label map', async () => {
    expect(await k.ok(['scale', 'rc', 'web', '-n', ns, '--replicas=5'])).toBe('replicationcontroller/web scaled\n');
    expect(await k.ok(['get', 'rc', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas} {.metadata.generation}'])).toBe('5 2');
    const scale = JSON.parse(await k.ok(['get', '--raw', `/api/v1/namespaces/${ns}/replicationcontrollers/web/scale`])) as Record<string, unknown>;
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: ns }, spec: { replicas: 5 }, status: { replicas: 0, selector: 'app=web' } });
    const refused = await k.run(['scale', 'rc', 'web', '-n', ns, '--replicas=3', '--current-replicas=4']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Expected replicas to be 4, was 5');
  });

  test('explain rc.spec.selector comes from the OpenAPI', async () => {
    const out = await k.ok(['explain', 'rc.spec.selector']);
    expect(out).toContain('ReplicationController');
    expect(out).toContain('Selector is a label query over pods that should match the Replicas count.');
  });
});
