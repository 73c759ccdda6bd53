import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fromKubeconfig } from '../../../kernel/client/http';
import { loadKubeconfig } from '../../../kernel/client/kubeconfig';
import type { ResourceType } from '../../../kernel/client/types';
import { ApiFixture, sendJson } from './http-fixture';

const PODS: ResourceType = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const TLS_DIR = join(__dirname, 'fixtures', 'tls');
const tls = (name: string) => readFileSync(join(TLS_DIR, name));
const b64 = (name: string) => tls(name).toString('base64');

describe('kubeconfig', () => {
  let dir: string;
  let path: string;

  function write(doc: unknown): string {
    writeFileSync(path, stringify(doc));
    return path;
  }

  function kubeconfig(server: string, users: unknown[] = []) {
    return {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'admin',
      clusters: [
        { name: 'local', cluster: { server, 'certificate-authority': 'pki/ca.crt' } },
        { name: 'local-insecure', cluster: { server, 'insecure-skip-tls-verify': true, 'tls-server-name': 'localhost' } },
      ],
      users: [
        { name: 'admin', user: { 'client-certificate-data': b64('client.crt'), 'client-key-data': b64('client.key') } },
        { name: 'robot', user: { tokenFile: 'token.txt' } },
        { name: 'bearer', user: { token: 'abc123' } },
        ...users,
      ],
      contexts: [
        { name: 'admin', context: { cluster: 'local', user: 'admin' } },
        { name: 'robot', context: { cluster: 'local-insecure', user: 'robot', namespace: 'prod' } },
        { name: 'bearer', context: { cluster: 'local', user: 'bearer' } },
        { name: 'exec', context: { cluster: 'local', user: 'exec' } },
        { name: 'half', context: { cluster: 'local', user: 'half' } },
        { name: 'broken', context: { cluster: 'nowhere', user: 'admin' } },
      ],
    };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-kubeconfig-'));
    path = join(dir, 'config');
    mkdirSync(join(dir, 'pki'));
    copyFileSync(join(TLS_DIR, 'ca.crt'), join(dir, 'pki', 'ca.crt'));
    writeFileSync(join(dir, 'token.txt'), 'file-token\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the current context: client certificate data and a CA file relative to the kubeconfig', () => {
    const kc = loadKubeconfig(write(kubeconfig('https://127.0.0.1:6443')));
    expect(kc.context).toBe('admin');
    expect(kc.namespace).toBe('default');
    expect(kc.config.server).toBe('https://127.0.0.1:6443');
    expect(Buffer.from(kc.config.ca!).equals(tls('ca.crt'))).toBe(true);
    expect(Buffer.from(kc.config.clientCert!).equals(tls('client.crt'))).toBe(true);
    expect(Buffer.from(kc.config.clientKey!).equals(tls('client.key'))).toBe(true);
    expect(kc.config.token).toBeUndefined();
  });

  it('reads a named context: token file, insecure-skip-tls-verify, tls-server-name, namespace', () => {
    const kc = loadKubeconfig(write(kubeconfig('https://127.0.0.1:6443')), 'robot');
    expect(kc.config).toEqual({ server: 'https://127.0.0.1:6443', token: 'file-token', insecureSkipTLSVerify: true, tlsServerName: 'localhost' });
    expect(kc.namespace).toBe('prod');
    expect(loadKubeconfig(path, 'bearer').config.token).toBe('abc123');
  });

  it('fails with the file and the reason', () => {
    write(kubeconfig('https://127.0.0.1:6443', [
      { name: 'exec', user: { exec: { command: 'aws' } } },
      { name: 'half', user: { 'client-certificate-data': b64('client.crt') } },
    ]));
    expect(() => loadKubeconfig(path, 'nope')).toThrow(`kubeconfig ${path}: context "nope" not found`);
    expect(() => loadKubeconfig(path, 'broken')).toThrow(`kubeconfig ${path}: cluster "nowhere" (of context "broken") not found`);
    expect(() => loadKubeconfig(path, 'exec')).toThrow('"exec" credentials are not supported');
    expect(() => loadKubeconfig(path, 'half')).toThrow('client certificate without a key');
    expect(() => loadKubeconfig(join(dir, 'missing'))).toThrow(/kubeconfig .*missing: cannot read/);
    writeFileSync(path, 'a: [');
    expect(() => loadKubeconfig(path)).toThrow(/not valid YAML/);
  });

  it('fromKubeconfig builds a client that talks TLS with the client certificate', async () => {
    const fixture = new ApiFixture({ key: tls('server.key'), cert: tls('server.crt'), ca: tls('ca.crt'), requestCert: true, rejectUnauthorized: true });
    fixture.respond = (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      sendJson(res, 200, { kind: 'Pod', apiVersion: 'v1', metadata: { name: peer.subject.CN } });
    };
    const base = await fixture.start();
    const client = fromKubeconfig(write(kubeconfig(base)));
    try {
      const obj = await client.get(PODS, 'x', { namespace: 'default' });
      expect(obj.metadata?.name).toBe('skiff-test-admin');
    } finally {
      client.close();
      await fixture.close();
    }
  });
});
