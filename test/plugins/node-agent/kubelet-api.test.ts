/**
 * The agent's kubelet endpoint, for agents outside the API server's process:
 * the API server's relay reaches the node's stream provider through it, and
 * callers without a valid token, or without nodes/proxy permission, are
 * refused. The provider here is a stand-in, named as such.
 */
import * as https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { createCa, issueCertificate } from '../../../kernel/api/pki';
import type { NodeStreamProvider, PodLogOptions, PodStreamTarget } from '../../../kernel/api/node-streams';
import { KubeletApi } from '../../../plugins/node-agent/kubelet-api';
import { startCluster, TestCluster } from '../../support/cluster';
import { ApiHttp } from '../../support/http';
import { silentLogger } from '../../../kernel/log';
import { definePlugin, Plugin } from '../../../kernel/plugin';

let cluster: TestCluster;
let http: ApiHttp;
let kubelet: KubeletApi;
let port: number;
const calls: Array<{ kind: string; target: PodStreamTarget; options?: PodLogOptions; query?: string }> = [];

const standInProvider: NodeStreamProvider = {
  async logs(target, options, out: Writable) {
    calls.push({ kind: 'logs', target, options });
    out.write(`log of ${target.pod}/${target.container}\n`);
  },
  connect(kind, target, query, _req: IncomingMessage, socket: Duplex) {
    calls.push({ kind, target, query: query.toString() });
    socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
  },
};

beforeAll(async () => {
  // Bob has a valid token but no permissions at all.
  const bob = definePlugin({
    name: 'bob-auth',
    apply(kernel) {
      kernel.hooks.api.authenticate.tapPromise(kernel.name, async (r) => (r.headers.authorization === 'Bearer bob-token' ? { name: 'bob', groups: [] } : undefined));
      kernel.hooks.api.authorize.tapPromise(kernel.name, async (a) => (a.user.name === 'bob' ? { allowed: false, reason: 'bob may do nothing' } : undefined));
    },
  }) as Plugin<never>;
  cluster = await startCluster({ plugins: [{ plugin: bob }] });
  http = new ApiHttp(cluster);
  const ca = await createCa('agent');
  const tls = await issueCertificate(ca, { commonName: 'agent-node', ips: ['127.0.0.1'], usage: 'server' });
  kubelet = new KubeletApi({ nodeName: 'agent-node', provider: standInProvider, client: cluster.kernel.client, tls, host: '127.0.0.1', port: 0, logger: silentLogger });
  port = await kubelet.start();
  const client = cluster.kernel.client;
  const nodes = { group: '', version: 'v1', resource: 'nodes' };
  await client.create(nodes, { metadata: { name: 'agent-node' } });
  const node = await client.get(nodes, 'agent-node');
  await client.update(nodes, { ...node, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } }, { subresource: 'status' });
  await client.create({ group: '', version: 'v1', resource: 'pods' }, { metadata: { name: 'app' }, spec: { nodeName: 'agent-node', containers: [{ name: 'main', image: 'busybox' }] } }, { namespace: 'default' });
});

afterAll(async () => {
  http?.close();
  await kubelet?.stop();
  await cluster?.destroy();
});

test('pods/log through the API server reaches the node\'s provider', async () => {
  const res = await http.request('GET', '/api/v1/namespaces/default/pods/app/log?follow=true&tailLines=3');
  expect(res.status).toBe(200);
  expect(res.text).toBe('log of app/main\n');
  const call = calls.find((c) => c.kind === 'logs')!;
  expect(call.options).toMatchObject({ follow: true, tailLines: 3, previous: false, timestamps: false });
  expect(call.target).toMatchObject({ namespace: 'default', pod: 'app', container: 'main', nodeName: 'agent-node' });
});

test('exec through the API server reaches the node\'s provider', async () => {
  const r = await http.upgrade('POST', '/api/v1/namespaces/default/pods/app/exec?command=date&stdout=true', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' });
  expect(r.upgraded).toBe(true);
  if (r.upgraded) r.socket.destroy();
  expect(calls.find((c) => c.kind === 'exec')).toMatchObject({ query: 'command=date&stdout=true', target: { container: 'main' } });
});

function direct(token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/containerLogs/default/app/main', rejectUnauthorized: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('callers without a valid token, or without nodes/proxy permission, are refused', async () => {
  expect(await direct('bob-token')).toBe(403);
  expect(await direct()).toBe(401);
  expect(await direct('not-a-token')).toBe(401);
  expect(await direct(cluster.kernel.adminBearerToken)).toBe(200);
});
