/**
 * Node streams for an agent outside the API server's process: pods/log and
 * pods/exec reach the node's kubelet endpoint (InternalIP and
 * daemonEndpoints.kubeletEndpoint.Port from the Node's status) over TLS with
 * the server's bearer token, and the bytes are relayed both ways. The agent
 * here is a stand-in HTTPS server, named as such.
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createCa, issueCertificate } from '../../kernel/api/pki';
import { startCluster, TestCluster } from '../support/cluster';
import { ApiHttp } from '../support/http';

let cluster: TestCluster;
let http: ApiHttp;
let standIn: https.Server;
const seen: Array<{ path: string; authorization?: string; upgrade?: string }> = [];

beforeAll(async () => {
  cluster = await startCluster();
  http = new ApiHttp(cluster);
  const ca = await createCa('stand-in-agent');
  const cert = await issueCertificate(ca, { commonName: 'stand-in-agent', ips: ['127.0.0.1'], usage: 'server' });
  standIn = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    if (req.url?.startsWith('/containerLogs/team/web/main?') && !req.url.includes('previous=true')) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('line 1\nline 2\n');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound', message: 'previous terminated container "main" in pod "web" not found', code: 404 }));
  });
  standIn.on('upgrade', (req, socket: Duplex) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization, upgrade: String(req.headers.upgrade) });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    // Echo whatever the client sends, upper-cased: proves bytes flow both ways.
    socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
  });
  await new Promise<void>((r) => standIn.listen(0, '127.0.0.1', () => r()));
  const port = (standIn.address() as AddressInfo).port;

  const client = cluster.kernel.client;
  const nodes = { group: '', version: 'v1', resource: 'nodes' };
  await client.create(nodes, { metadata: { name: 'remote-node' } });
  const node = await client.get(nodes, 'remote-node');
  await client.update(
    nodes,
    { ...node, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } },
    { subresource: 'status' },
  );
  await client.create({ group: '', version: 'v1', resource: 'namespaces' }, { metadata: { name: 'team' } });
  await client.create(
    { group: '', version: 'v1', resource: 'pods' },
    { metadata: { name: 'web' }, spec: { nodeName: 'remote-node', containers: [{ name: 'main', image: 'busybox' }] } },
    { namespace: 'team' },
  );
});

afterAll(async () => {
  http?.close();
  await new Promise((r) => standIn?.close(r));
  await cluster?.destroy();
});

test('pods/log is relayed from the node agent, with the server authenticating itself', async () => {
  const res = await http.request('GET', '/api/v1/namespaces/team/pods/web/log?tailLines=2&timestamps=true');
  expect(res.status).toBe(200);
  expect(res.text).toBe('line 1\nline 2\n');
  const call = seen.find((s) => s.path.startsWith('/containerLogs/'))!;
  expect(call.path).toBe('/containerLogs/team/web/main?timestamps=true&tailLines=2');
  expect(call.authorization).toBe(`Bearer ${cluster.kernel.adminBearerToken}`);
});

test('an error from the agent comes back as a Status', async () => {
  const res = await http.request('GET', '/api/v1/namespaces/team/pods/web/log?container=main&previous=true');
  // The stand-in only knows the plain log: any other query is its 404.
  expect(res.status).toBe(404);
  expect(res.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'previous terminated container "main" in pod "web" not found' });
});

test('exec upgrades are relayed to the agent and bytes flow both ways', async () => {
  const r = await http.upgrade('POST', '/api/v1/namespaces/team/pods/web/exec?command=sh&stdin=true&stdout=true', {
    Connection: 'Upgrade',
    Upgrade: 'SPDY/3.1',
    'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
  });
  if (!r.upgraded) throw new Error(`not upgraded: ${r.response.status} ${r.response.text}`);
  expect(r.res.headers['x-stream-protocol-version']).toBe('v4.channel.k8s.io');
  const echoed = new Promise<string>((resolve) => r.socket.once('data', (d: Buffer) => resolve(d.toString())));
  r.socket.write('hello agent');
  expect(await echoed).toBe('HELLO AGENT');
  r.socket.destroy();
  const call = seen.find((s) => s.upgrade)!;
  expect(call.path).toBe('/exec/team/web/main?command=sh&stdin=true&stdout=true');
  expect(call.upgrade).toBe('SPDY/3.1');
  expect(call.authorization).toBe(`Bearer ${cluster.kernel.adminBearerToken}`);
});

test('a node that names no endpoint is 503', async () => {
  const client = cluster.kernel.client;
  await client.create({ group: '', version: 'v1', resource: 'nodes' }, { metadata: { name: 'silent-node' } });
  await client.create({ group: '', version: 'v1', resource: 'pods' }, { metadata: { name: 'quiet' }, spec: { nodeName: 'silent-node', containers: [{ name: 'main', image: 'busybox' }] } }, { namespace: 'team' });
  const res = await http.request('GET', '/api/v1/namespaces/team/pods/quiet/log');
  expect(res.status).toBe(503);
  expect(res.json()).toMatchObject({ reason: 'ServiceUnavailable', message: 'no node agent is serving node "silent-node"' });
});
