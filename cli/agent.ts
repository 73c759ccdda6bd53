/**
 * `skiff agent`: the node agent on a machine of its own, against a remote API
 * server — the same NodeAgent the node-agent plugin runs in `skiff up`, over
 * the HTTP client instead of the in-process one, plus the kubelet endpoint the
 * API server relays pods/log and exec/attach to.
 *
 *   skiff agent --server https://10.0.0.1:6443 --token-file /etc/skiff/token \
 *     --certificate-authority /etc/skiff/ca.crt --node-name worker-1
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { container as rootContainer } from 'tsyringe';
import { HttpApiClient } from '../kernel/client/http';
import { createKernelHooks } from '../kernel/hooks';
import { ConsoleLogger, Logger } from '../kernel/log';
import { realClock } from '../kernel/client/clock';
import { createCa, issueCertificate, KeyPairPem } from '../kernel/api/pki';
import { ContainerRuntimeRegistry } from '../kernel/runtime/types';
import * as tokens from '../kernel/tokens';
import { defaultClusterConfig, NodeEntry } from '../kernel/config';
import { PluginContext, validatePluginOptions, Plugin } from '../kernel/plugin';
import { builtinPlugins } from '../plugins';
import { NodeAgent } from '../plugins/node-agent/agent';
import { KubeletApi } from '../plugins/node-agent/kubelet-api';
import { firstExternalIPv4 } from '../plugins/node-agent/host';
import type { NodeSettings } from '../plugins/node-agent/node-status';
import type { NodeStreamProvider } from '../kernel/api/node-streams';

export const AGENT_USAGE = `skiff agent --server URL (--token T | --token-file FILE) --node-name NAME [options]

Runs a node agent against a remote skiff API server.

Options:
  --server URL                 the API server (https://host:6443)
  --token T, --token-file F    a bearer token the API server accepts
  --certificate-authority F    the cluster CA to verify the server with (from its kubeconfig)
  --insecure-skip-tls-verify   do not verify the server (first boots only)
  --node-name NAME             this node's name (a DNS subdomain)
  --runtime NAME               docker (default) or simulated
  --data-dir DIR               the agent's state (default ./.skiff-agent)
  --address IP                 the address the API server reaches this node at (default: the first external IPv4)
  --kubelet-port PORT          the port of this node's kubelet endpoint (default 10250)
  --label KEY=VALUE            a node label (repeatable)
  --offline                    an air-gapped node: never contact a registry (runtime docker)
`;

/** Apply a built-in runtime plugin outside a kernel: it only registers its runtime factory. */
async function runtimeFactory(name: string, options: Record<string, unknown>, logger: Logger, dataDir: string) {
  const loader = builtinPlugins[`runtime-${name}`];
  if (!loader) throw new Error(`--runtime: unknown container runtime ${JSON.stringify(name)} (available: docker, simulated)`);
  const plugin = (await loader()) as Plugin<Record<string, unknown>>;
  const problems = validatePluginOptions(plugin, options);
  if (problems.length > 0) throw new Error(`runtime-${name}: ${problems.map((p) => p.message).join('; ')}`);
  const registry = new ContainerRuntimeRegistry();
  const child = rootContainer.createChildContainer();
  child.register(tokens.ContainerRuntimes, { useValue: registry });
  child.register(tokens.Logger, { useValue: logger });
  child.register(tokens.Clock, { useValue: realClock });
  const context: PluginContext = {
    name: plugin.name,
    hooks: createKernelHooks(),
    container: child,
    config: defaultClusterConfig(),
    logger,
    get client(): never {
      throw new Error('a runtime plugin has no API client in `skiff agent`');
    },
    dataDir: () => dataDir,
    provideStore: () => {
      throw new Error('a runtime plugin cannot provide a store in `skiff agent`');
    },
    get skiff() {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require('../kernel/index') as typeof import('../kernel/index');
    },
  };
  await plugin.apply(context, options);
  const factory = registry.get(name);
  if (!factory) throw new Error(`runtime-${name} did not register a runtime named ${JSON.stringify(name)}`);
  return factory;
}

/** The agent's serving certificate, kept in its data dir (made once, self-signed through a CA of its own). */
async function servingCertificate(dir: string, nodeName: string, address: string): Promise<KeyPairPem> {
  const crt = path.join(dir, 'kubelet.crt');
  const key = path.join(dir, 'kubelet.key');
  const ips = [address, '127.0.0.1'];
  if (existsSync(crt) && existsSync(key)) {
    const existing = { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
    if (readFileSync(path.join(dir, 'kubelet.sans'), 'utf8').trim() === [nodeName, ...ips].join(',')) return existing;
  }
  const ca = await createCa(`${nodeName}-kubelet-ca`);
  const pair = await issueCertificate(ca, { commonName: nodeName, dnsNames: [nodeName], ips, usage: 'server' });
  writeFileSync(crt, pair.cert);
  writeFileSync(key, pair.key, { mode: 0o600 });
  writeFileSync(path.join(dir, 'kubelet.sans'), [nodeName, ...ips].join(','));
  return pair;
}

export async function agent(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      'certificate-authority': { type: 'string' },
      'insecure-skip-tls-verify': { type: 'boolean' },
      'node-name': { type: 'string' },
      runtime: { type: 'string', default: 'docker' },
      'data-dir': { type: 'string', default: './.skiff-agent' },
      address: { type: 'string' },
      'kubelet-port': { type: 'string', default: '10250' },
      label: { type: 'string', multiple: true },
      offline: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(AGENT_USAGE);
    return 0;
  }
  const problems: string[] = [];
  if (!values.server) problems.push('--server is required');
  const token = values.token ?? (values['token-file'] ? readFileSync(values['token-file'], 'utf8').trim() : undefined);
  if (!token) problems.push('--token or --token-file is required');
  const nodeName = values['node-name'];
  if (!nodeName) problems.push('--node-name is required');
  else if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(nodeName)) problems.push(`--node-name: ${JSON.stringify(nodeName)} is not a DNS subdomain`);
  if (!values['certificate-authority'] && !values['insecure-skip-tls-verify'] && values.server?.startsWith('https:')) {
    problems.push('--certificate-authority (the cluster CA) or --insecure-skip-tls-verify is required for an https server');
  }
  const port = Number(values['kubelet-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`--kubelet-port: ${values['kubelet-port']} is not a port`);
  const labels: Record<string, string> = {};
  for (const l of values.label ?? []) {
    const eq = l.indexOf('=');
    if (eq <= 0) problems.push(`--label: ${JSON.stringify(l)} is not KEY=VALUE`);
    else labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  if (problems.length > 0) {
    process.stderr.write(`skiff agent: ${problems.join('\nskiff agent: ')}\n\n${AGENT_USAGE}`);
    return 2;
  }

  const logger = new ConsoleLogger(`agent/${nodeName}`);
  const dataDir = path.resolve(values['data-dir']!);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const address = values.address ?? firstExternalIPv4();
  const client = new HttpApiClient({
    server: values.server!,
    token,
    ca: values['certificate-authority'] ? readFileSync(values['certificate-authority']) : undefined,
    insecureSkipTLSVerify: values['insecure-skip-tls-verify'],
    userAgent: `skiff-agent/${nodeName}`,
  });

  let nodeAgent: NodeAgent | undefined;
  let kubelet: KubeletApi | undefined;
  try {
    const runtimeOptions = values.offline && values.runtime === 'docker' ? { offline: true } : {};
    const factory = await runtimeFactory(values.runtime!, runtimeOptions, logger.child('runtime'), path.join(dataDir, 'runtime'));
    const settings: NodeSettings & NodeEntry = { name: nodeName!, runtime: values.runtime!, labels, address };
    const runtime = await factory({ nodeName: nodeName!, settings, dataDir: path.join(dataDir, 'runtime') });
    // The endpoint listens first (its port goes into the Node's status); it serves the agent's streams once the agent exists.
    const provider: NodeStreamProvider = {
      logs: (...a) => nodeAgent!.streams.logs(...a),
      connect: (...a) => nodeAgent!.streams.connect(...a),
    };
    kubelet = new KubeletApi({ nodeName: nodeName!, provider, client, tls: await servingCertificate(dataDir, nodeName!, address), host: '0.0.0.0', port, logger: logger.child('kubelet-api') });
    const listening = await kubelet.start();
    nodeAgent = new NodeAgent({ client, runtime, nodeName: nodeName!, dataDir, logger, settings, kubeletPort: listening });
    await nodeAgent.start();
    process.stdout.write(`skiff agent: node ${nodeName} is up against ${values.server} (kubelet endpoint ${address}:${listening})\n`);
  } catch (err) {
    process.stderr.write(`skiff agent: ${(err as Error).message}\n`);
    await nodeAgent?.stop().catch(() => undefined);
    await kubelet?.stop().catch(() => undefined);
    client.close();
    return 1;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write(`\nskiff agent: ${signal}, stopping (containers keep running)\n`);
      Promise.all([nodeAgent!.stop(), kubelet!.stop()])
        .then(() => resolve(0), (err: Error) => {
          process.stderr.write(`skiff agent: stop: ${err.message}\n`);
          resolve(1);
        })
        .finally(() => client.close());
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
