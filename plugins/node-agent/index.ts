/**
 * The `node-agent` plugin: skiff's kubelet for the nodes cluster.yaml lists
 * under `nodes`. On boot it starts one NodeAgent per node, on the container
 * runtime the node names (provided by a runtime plugin: runtime-docker,
 * runtime-simulated), and serves the node's pods/log, exec and attach. On
 * shutdown it stops the agents and leaves the containers running, so that a
 * restarted cluster adopts its pods instead of restarting them.
 *
 *   plugins: [runtime-docker, node-agent]
 *   nodes:
 *     - { name: node-1, runtime: docker, labels: { disk: ssd } }
 */
import * as path from 'node:path';
import { definePlugin } from '../../kernel/plugin';
import * as tokens from '../../kernel/tokens';
import type { ContainerRuntime } from '../../kernel/runtime/types';
import { NodeAgent } from './agent';
import type { NodeAgentPluginOptions } from './options';
import { optionsSchema, resolveConfig, validateOptions } from './options';
import type { NodeSettings } from './node-status';

export const PLUGIN_NAME = 'node-agent';

export { NodeAgent } from './agent';
export type { NodeAgentOptions } from './agent';
export type { NodeAgentPluginOptions } from './options';

interface Running {
  readonly agent: NodeAgent;
  readonly runtime: ContainerRuntime;
  readonly unregister: () => void;
}

export default definePlugin<NodeAgentPluginOptions>({
  name: PLUGIN_NAME,
  optionsSchema,
  validateOptions,
  apply(kernel, options) {
    const config = resolveConfig(options);
    const running: Running[] = [];

    kernel.hooks.lifecycle.boot.tapPromise(PLUGIN_NAME, async () => {
      const nodes = kernel.config.nodes;
      if (nodes.length === 0) return;
      const runtimes = kernel.container.resolve(tokens.ContainerRuntimes);
      const streams = kernel.container.resolve(tokens.NodeStreams);
      const clock = kernel.container.resolve(tokens.Clock);
      // Every node's runtime is checked before any agent starts.
      const factories = nodes.map((node, i) => {
        const factory = runtimes.get(node.runtime);
        if (!factory) throw new Error(`nodes[${i}].runtime: no container runtime ${JSON.stringify(node.runtime)} is registered (add the runtime-${node.runtime} plugin to plugins)`);
        return factory;
      });
      const root = kernel.dataDir();
      await Promise.all(
        nodes.map(async (node, i) => {
          const dataDir = path.join(root, 'nodes', node.name);
          let runtime: ContainerRuntime;
          try {
            runtime = await factories[i]({ nodeName: node.name, settings: node, dataDir: path.join(dataDir, 'runtime') });
          } catch (err) {
            throw new Error(`nodes[${i}]: container runtime ${JSON.stringify(node.runtime)} for node ${node.name} failed to start: ${(err as Error).message}`, { cause: err });
          }
          const agent = new NodeAgent({
            client: kernel.client,
            runtime,
            nodeName: node.name,
            dataDir,
            clock,
            logger: kernel.logger.child(`plugin/${PLUGIN_NAME}/${node.name}`),
            hooks: kernel.hooks,
            settings: node as NodeSettings,
            config,
          });
          const unregister = streams.register(node.name, agent.streams);
          running.push({ agent, runtime, unregister });
          await agent.start();
        }),
      );
    });

    kernel.hooks.lifecycle.shutdown.tapPromise(PLUGIN_NAME, async () => {
      // Agents stop; containers do not (a kubelet restart must not restart pods).
      const all = running.splice(0);
      await Promise.all(
        all.map(async ({ agent, runtime, unregister }) => {
          unregister();
          await agent.stop();
          await runtime.close();
        }),
      );
    });
  },
});
