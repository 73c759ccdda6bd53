/**
 * Unmodified kubectl, every version this machine has, against a booted skiff
 * with the default `--validate`: apply (multi-document, unchanged re-apply,
 * removing a container), create, get in every output, watch, describe,
 * label, annotate, patch, edit, scale, explain, server-side apply and delete
 * with each cascade mode — with nothing on stderr where kubectl would print
 * discovery or OpenAPI trouble.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { startCluster, TestCluster } from '../support/cluster';
import { kubectlFor, kubectlVersions, KubectlRunner } from '../support/kubectl';

const versions = kubectlVersions();
let cluster: TestCluster;
const work = mkdtempSync(path.join(os.tmpdir(), 'skiff-kubectl-'));

beforeAll(async () => {
  cluster = await startCluster();
});

afterAll(async () => {
  await cluster?.destroy();
});

function manifest(ns: string, containers: string[]): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: ${ns}
data:
  color: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
${containers.map((c) => `      - name: ${c}\n        image: busybox:1.36\n        command: ["sleep", "3600"]\n        ports:\n        - containerPort: ${c === 'a' ? 8080 : 9090}`).join('\n')}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 8080
`;
}

function file(name: string, text: string): string {
  const p = path.join(work, name);
  writeFileSync(p, text);
  return p;
}

describe.each(versions.map((v) => [v.version, v] as const))('kubectl %s', (version, binary) => {
  let k: KubectlRunner;
  const ns = `kv-${version.replace('.', '-')}`;

  beforeAll(async () => {
    k = kubectlFor(binary, cluster.kubeconfig);
    expect(await k.ok(['create', 'namespace', ns])).toBe(`namespace/${ns} created\n`);
  });

  test('apply a multi-document manifest, re-apply unchanged, then drop one of two containers', async () => {
    const both = file(`${ns}-both.yaml`, manifest(ns, ['a', 'b']));
    expect(await k.ok(['apply', '-f', both])).toBe(`configmap/settings created\ndeployment.apps/web created\nservice/web created\n`);
    expect(await k.ok(['apply', '-f', both])).toBe(`configmap/settings unchanged\ndeployment.apps/web unchanged\nservice/web unchanged\n`);
    const one = file(`${ns}-one.yaml`, manifest(ns, ['a']));
    expect(await k.ok(['apply', '-f', one])).toBe(`configmap/settings unchanged\ndeployment.apps/web configured\nservice/web unchanged\n`);
    const deployment = JSON.parse(await k.ok(['get', 'deployment', 'web', '-n', ns, '-o', 'json'])) as {
      spec: { template: { spec: { containers: Array<{ name: string; image: string; ports: unknown[]; command: string[] }> } } };
    };
    const containers = deployment.spec.template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['a']);
    expect(containers[0]).toMatchObject({ image: 'busybox:1.36', command: ['sleep', '3600'], ports: [{ containerPort: 8080, protocol: 'TCP' }] });
  });

  test('create configmap --from-literal, get as table, wide, yaml and json', async () => {
    expect(await k.ok(['create', 'configmap', 'literal', '-n', ns, '--from-literal=greeting=hello', '--from-literal=target=world'])).toBe('configmap/literal created\n');
    const table = await k.ok(['get', 'configmaps', '-n', ns]);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(table).toMatch(/\nliteral\s+2\s+\d+s\n/);
    const wide = await k.ok(['get', 'deployments', '-n', ns, '-o', 'wide']);
    expect(wide.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(wide).toMatch(/\nweb\s+0\/2\s+0\s+0\s+\S+\s+a\s+busybox:1.36\s+app=web\n/);
    const svc = await k.ok(['get', 'svc', 'web', '-n', ns]);
    expect(svc).toMatch(/\nweb\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+\n/);
    const yaml = parseYaml(await k.ok(['get', 'configmap', 'literal', '-n', ns, '-o', 'yaml'])) as { data: Record<string, string>; metadata: { uid: string } };
    expect(yaml.data).toEqual({ greeting: 'hello', target: 'world' });
    const json = JSON.parse(await k.ok(['get', 'configmap', 'literal', '-n', ns, '-o', 'json'])) as { metadata: { uid: string } };
    expect(json.metadata.uid).toBe(yaml.metadata.uid);
  });

  test('typed creates (protobuf bodies from kubectl 1.32 on): secret, deployment; auth can-i and whoami', async () => {
    expect(await k.ok(['create', 'secret', 'generic', 'creds', '-n', ns, '--from-literal=password=hunter2'])).toBe('secret/creds created\n');
    const secret = JSON.parse(await k.ok(['get', 'secret', 'creds', '-n', ns, '-o', 'json'])) as { type: string; data: Record<string, string> };
    expect(secret.type).toBe('Opaque');
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('hunter2');
    expect(await k.ok(['create', 'deployment', 'typed', '-n', ns, '--image=busybox:1.36', '--replicas=3', '--', 'sleep', '100'])).toBe('deployment.apps/typed created\n');
    const d = JSON.parse(await k.ok(['get', 'deployment', 'typed', '-n', ns, '-o', 'json'])) as { spec: { replicas: number; template: { spec: { containers: Array<{ name: string; command: string[] }> } } } };
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0]).toMatchObject({ name: 'busybox', command: ['sleep', '100'] });
    expect(await k.ok(['auth', 'can-i', 'create', 'pods', '-n', ns])).toBe('yes\n');
    expect(await k.ok(['auth', 'can-i', '--list', '-n', ns])).toMatch(/\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
    expect(await k.ok(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).toBe('system:admin');
  });

  test('get -w shows objects as they change', async () => {
    const child = spawn(binary.binary, ['--kubeconfig', cluster.kubeconfig, '--cache-dir', path.join(work, `cache-watch-${ns}`), 'get', 'configmaps', '-n', ns, '-w'], {
      env: { PATH: process.env.PATH ?? '', HOME: work },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await waitFor(() => out.includes('settings'), 'the initial list');
      await k.ok(['create', 'configmap', 'watched', '-n', ns, '--from-literal=a=b']);
      await waitFor(() => /\nwatched\s+1\s+/.test(out), 'the created object');
      await k.ok(['patch', 'configmap', 'watched', '-n', ns, '-p', '{"data":{"c":"d"}}']);
      await waitFor(() => /\nwatched\s+2\s+/.test(out), 'the change');
    } finally {
      child.kill();
    }
    expect(err).toBe('');
  });

  test('describe, label, annotate', async () => {
    const described = await k.ok(['describe', 'deployment', 'web', '-n', ns]);
    expect(described).toMatch(/Name:\s+web\n/);
    expect(described).toMatch(/Replicas:\s+2 desired/);
    expect(described).toContain('Pod Template:');
    expect(await k.ok(['label', 'configmap', 'settings', '-n', ns, 'tier=gold'])).toBe('configmap/settings labeled\n');
    expect(await k.ok(['annotate', 'configmap', 'settings', '-n', ns, 'owner=team-a'])).toMatch(/^configmap\/settings annotated?\n$/);
    const got = JSON.parse(await k.ok(['get', 'configmap', 'settings', '-n', ns, '-o', 'json'])) as { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    expect(got.metadata.labels).toEqual({ tier: 'gold' });
    expect(got.metadata.annotations.owner).toBe('team-a');
    const selected = await k.ok(['get', 'configmaps', '-n', ns, '-l', 'tier=gold', '-o', 'name']);
    expect(selected).toBe('configmap/settings\n');
  });

  test('patch: strategic, merge and json', async () => {
    expect(await k.ok(['patch', 'deployment', 'web', '-n', ns, '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"busybox:1.37"}]}}}}'])).toBe('deployment.apps/web patched\n');
    expect(await k.ok(['patch', 'configmap', 'settings', '-n', ns, '--type', 'merge', '-p', '{"data":{"size":"L"}}'])).toBe('configmap/settings patched\n');
    expect(await k.ok(['patch', 'configmap', 'settings', '-n', ns, '--type', 'json', '-p', '[{"op":"replace","path":"/data/color","value":"red"}]'])).toBe('configmap/settings patched\n');
    const d = JSON.parse(await k.ok(['get', 'deployment', 'web', '-n', ns, '-o', 'json'])) as { spec: { template: { spec: { containers: Array<{ name: string; image: string; command: string[] }> } } } };
    expect(d.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'a', image: 'busybox:1.37', command: ['sleep', '3600'] })]);
    const cm = JSON.parse(await k.ok(['get', 'configmap', 'settings', '-n', ns, '-o', 'json'])) as { data: Record<string, string> };
    expect(cm.data).toEqual({ color: 'red', size: 'L' });
  });

  test('edit through $EDITOR', async () => {
    const editor = file(`${ns}-editor.sh`, `#!/bin/sh\nsed -i 's/^  color: red$/  color: green/' "$1"\n`);
    chmodSync(editor, 0o755);
    expect(await k.ok(['edit', 'configmap', 'settings', '-n', ns], { env: { EDITOR: editor, KUBE_EDITOR: editor } })).toBe('configmap/settings edited\n');
    expect(await k.ok(['get', 'configmap', 'settings', '-n', ns, '-o', 'jsonpath={.data.color}'])).toBe('green');
  });

  test('scale deployment', async () => {
    expect(await k.ok(['scale', 'deployment', 'web', '-n', ns, '--replicas=5'])).toBe('deployment.apps/web scaled\n');
    expect(await k.ok(['get', 'deployment', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).toBe('5');
  });

  test('explain pod.spec.containers', async () => {
    const text = await k.ok(['explain', 'pod.spec.containers']);
    expect(text).toMatch(/KIND:\s+Pod/);
    expect(text).toMatch(/VERSION:\s+v1/);
    expect(text).toContain('List of containers belonging to the pod');
    expect(text).toMatch(/image\s+<string>/);
  });

  test('apply --server-side, then a conflict, then --force-conflicts', async () => {
    const ssa = (replicas: number) =>
      file(
        `${ns}-ssa-${replicas}.yaml`,
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa\n  namespace: ${ns}\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels: {app: ssa}\n  template:\n    metadata:\n      labels: {app: ssa}\n    spec:\n      containers:\n      - name: main\n        image: busybox:1.36\n`,
      );
    expect(await k.ok(['apply', '--server-side', '-f', ssa(1)])).toBe('deployment.apps/ssa serverside-applied\n');
    expect(await k.ok(['apply', '--server-side', '-f', ssa(1)])).toBe('deployment.apps/ssa serverside-applied\n');
    const obj = JSON.parse(await k.ok(['get', 'deployment', 'ssa', '-n', ns, '-o', 'json', '--show-managed-fields'])) as {
      metadata: { managedFields: Array<{ manager: string; operation: string; fieldsV1: Record<string, unknown> }> };
    };
    const applied = obj.metadata.managedFields.find((m) => m.operation === 'Apply');
    expect(applied?.manager).toBe('kubectl');
    expect(JSON.stringify(applied?.fieldsV1)).toContain('"f:replicas"');
    await k.ok(['scale', 'deployment', 'ssa', '-n', ns, '--replicas=3']);
    const conflict = await k.run(['apply', '--server-side', '-f', ssa(2)]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/Apply failed with 1 conflict: conflict with "[^"]+" using apps\/v1: \.spec\.replicas/);
    expect(await k.ok(['apply', '--server-side', '--force-conflicts', '-f', ssa(2)])).toBe('deployment.apps/ssa serverside-applied\n');
    expect(await k.ok(['get', 'deployment', 'ssa', '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).toBe('2');
  });

  test.each([
    ['background', undefined],
    ['foreground', 'foregroundDeletion'],
    ['orphan', 'orphan'],
  ])('delete --cascade=%s', async (mode, finalizer) => {
    const name = `del-${mode}`;
    await k.ok(['create', 'deployment', name, '-n', ns, '--image=busybox:1.36']);
    expect(await k.ok(['delete', 'deployment', name, '-n', ns, `--cascade=${mode}`, '--wait=false'])).toBe(`deployment.apps "${name}" deleted\n`);
    const after = await k.run(['get', 'deployment', name, '-n', ns, '-o', 'json']);
    if (!finalizer) {
      expect(after.code).not.toBe(0);
      expect(after.stderr).toContain(`deployments.apps "${name}" not found`);
      return;
    }
    // The API server marks the object and leaves it to the garbage collector's finalizer.
    const obj = JSON.parse(after.stdout) as { metadata: { deletionTimestamp?: string; finalizers?: string[] } };
    expect(obj.metadata.deletionTimestamp).toBeDefined();
    expect(obj.metadata.finalizers).toEqual([finalizer]);
    // Removing the last finalizer completes the deletion.
    await k.ok(['patch', 'deployment', name, '-n', ns, '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    const gone = await k.run(['get', 'deployment', name, '-n', ns]);
    expect(gone.stderr).toContain('not found');
  });
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
