/**
 * Builds simulated runtimes the way a cluster does: the plugin applied to a
 * fake kernel (a DI container with a FakeClock and the runtime registry),
 * then the registered `simulated` factory called for a node.
 */
import 'reflect-metadata';
import { container as rootContainer } from 'tsyringe';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { validateClusterObject, type NodeEntry } from '../../../kernel/config';
import type { PluginContext } from '../../../kernel/plugin';
import { validatePluginOptions } from '../../../kernel/plugin';
import { ContainerRuntimeRegistry, RuntimeLabels, type ContainerConfig, type ContainerRuntime, type PodSandboxConfig } from '../../../kernel/runtime/types';
import * as tokens from '../../../kernel/tokens';
import plugin from '../../../plugins/runtime-simulated';
import type { SimulatedRuntimeOptions } from '../../../plugins/runtime-simulated/options';
import { FakeClock, settle } from '../../kernel/client/fake-clock';

export { FakeClock, settle };

export interface Cluster {
  readonly clock: FakeClock;
  readonly registry: ContainerRuntimeRegistry;
  /** Open a runtime for a node (as the node agent does at start). */
  open(nodeName?: string, settings?: Record<string, unknown>): Promise<ContainerRuntime>;
}

/** Apply the plugin with `options` to a fake kernel whose cluster.yaml lists `nodes`. */
export async function applyPlugin(options: SimulatedRuntimeOptions = {}, nodes: Array<Partial<NodeEntry> & { name: string }> = [{ name: 'sim-1', runtime: 'simulated' }]): Promise<Cluster> {
  const problems = validatePluginOptions(plugin as never, options as Record<string, unknown>);
  if (problems.length > 0) throw new Error(`invalid options: ${JSON.stringify(problems)}`);
  const clock = new FakeClock();
  const registry = new ContainerRuntimeRegistry();
  const container = rootContainer.createChildContainer();
  container.register(tokens.Clock, { useValue: clock });
  container.register(tokens.ContainerRuntimes, { useValue: registry });
  const config = validateClusterObject({ apiVersion: 'skiff.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'test' }, nodes });
  const context = { name: plugin.name, container, config } as unknown as PluginContext;
  await plugin.apply(context, options);
  return {
    clock,
    registry,
    async open(nodeName = 'sim-1', settings?: Record<string, unknown>) {
      const factory = registry.get('simulated');
      if (!factory) throw new Error('no simulated runtime registered');
      const entry = settings ?? config.nodes.find((n) => n.name === nodeName) ?? { name: nodeName, runtime: 'simulated' };
      return factory({ nodeName, settings: entry, dataDir: '/nonexistent' });
    },
  };
}

/** A cluster with one node, its runtime open, and a FakeClock. */
export async function openRuntime(options: SimulatedRuntimeOptions = {}): Promise<{ runtime: ContainerRuntime; clock: FakeClock; cluster: Cluster }> {
  const cluster = await applyPlugin(options);
  const runtime = await cluster.open();
  return { runtime, clock: cluster.clock, cluster };
}

export function sandboxConfig(name = 'web', overrides: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    podUid: `uid-${name}`,
    podName: name,
    namespace: 'default',
    hostname: name,
    hostNetwork: false,
    portMappings: [],
    labels: {
      [RuntimeLabels.node]: 'sim-1',
      [RuntimeLabels.podUid]: `uid-${name}`,
      [RuntimeLabels.podName]: name,
      [RuntimeLabels.podNamespace]: 'default',
      [RuntimeLabels.type]: 'podsandbox',
    },
    ...overrides,
  };
}

export function containerConfig(overrides: Partial<ContainerConfig> & { envs?: Record<string, string> } = {}): ContainerConfig {
  const { envs, ...rest } = overrides;
  const name = rest.name ?? 'app';
  return {
    name,
    image: 'busybox:1.36',
    env: Object.entries(envs ?? {}).map(([k, v]) => ({ name: k, value: v })),
    mounts: [],
    stdin: false,
    stdinOnce: false,
    tty: false,
    resources: {},
    security: {},
    labels: { [RuntimeLabels.containerName]: name, [RuntimeLabels.type]: 'container' },
    ...rest,
  };
}

/** Pull the image, create a sandbox and a container in it; the container is created, not started. */
export async function createContainer(
  runtime: ContainerRuntime,
  clock: FakeClock,
  config: Partial<ContainerConfig> & { envs?: Record<string, string> } = {},
  sandboxId?: string,
): Promise<{ sandboxId: string; id: string }> {
  const cfg = containerConfig(config);
  if (!(await runtime.imageStatus(cfg.image))) {
    const pulled = runtime.pullImage(cfg.image);
    await clock.advance(1000);
    await pulled;
  }
  const sandbox = sandboxId ?? (await runtime.runPodSandbox(sandboxConfig(`pod-${Math.random().toString(36).slice(2, 8)}`)));
  const id = await runtime.createContainer(sandbox, cfg);
  return { sandboxId: sandbox, id };
}

/** Create and start a container (advancing the clock past the start delay). */
export async function startContainer(
  runtime: ContainerRuntime,
  clock: FakeClock,
  config: Partial<ContainerConfig> & { envs?: Record<string, string> } = {},
  sandboxId?: string,
): Promise<{ sandboxId: string; id: string }> {
  const created = await createContainer(runtime, clock, config, sandboxId);
  const started = runtime.startContainer(created.id);
  await clock.advance(clock.nextTimerIn() ?? 0);
  await started;
  return created;
}

/** A Writable that keeps what is written. */
export class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** Everything a readable emits until it ends. */
export async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** What a readable has emitted so far (without waiting for its end). */
export function drain(stream: Readable): () => string {
  let text = '';
  stream.on('data', (chunk) => (text += String(chunk)));
  return () => text;
}
