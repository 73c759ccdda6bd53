/**
 * runtime-simulated: a ContainerRuntime named `simulated` that runs nothing.
 * Nodes that name it in cluster.yaml (`nodes: [{ name: sim-1, runtime:
 * simulated }]`) get the real node agent over in-memory sandboxes and
 * containers, so a laptop can rehearse a 1,000-node cluster and the scheduler
 * and controller benchmarks can run at scale. It is never a default and never
 * stands in for Docker: a node gets it only by asking for it by name.
 */
import { formatPath } from '../../kernel/config';
import { definePlugin, PluginError } from '../../kernel/plugin';
import type { ContainerRuntimeFactory } from '../../kernel/runtime/types';
import * as tokens from '../../kernel/tokens';
import { PLUGIN_NAME } from './errors';
import { optionsSchema, resolveNodeSettings, validateNodeSettings, validateOptions, type SimulatedRuntimeOptions } from './options';
import { SimulatedNode } from './simulated-node';
import { SIMULATED_RUNTIME_NAME, SimulatedRuntime } from './simulated-runtime';

export { PLUGIN_NAME } from './errors';
export { SimulatedRuntime, SIMULATED_RUNTIME_NAME } from './simulated-runtime';
export type { SimulatedRuntimeOptions, SimulatedNodeSettings } from './options';

export default definePlugin<SimulatedRuntimeOptions>({
  name: PLUGIN_NAME,
  optionsSchema,
  validateOptions,
  apply(kernel, options) {
    const config = kernel.config;

    // Node settings live in cluster.yaml too: check them now, so that a bad
    // one stops the boot before any node agent starts.
    const problems: string[] = [];
    config.nodes.forEach((node, index) => {
      if (node.runtime !== SIMULATED_RUNTIME_NAME) return;
      const found = validateNodeSettings(node);
      for (const p of found) problems.push(`${formatPath(['nodes', index, ...p.path])}: ${p.message}`);
      if (found.length > 0) return;
      try {
        resolveNodeSettings(options, node, index);
      } catch (err) {
        problems.push(`nodes[${index}]: ${(err as Error).message}`);
      }
    });
    if (problems.length > 0) throw new PluginError(PLUGIN_NAME, problems.join('; '));

    const clock = kernel.container.resolve(tokens.Clock);
    /** Node state by node name: a runtime opened again for the same node (an agent restart) finds its containers. */
    const nodes = new Map<string, SimulatedNode>();
    /** Nodes not listed in cluster.yaml (created by code) take the positions after the listed ones. */
    let nextUnlisted = config.nodes.length;

    const factory: ContainerRuntimeFactory = async ({ nodeName, settings }) => {
      let node = nodes.get(nodeName);
      if (!node) {
        const listed = config.nodes.findIndex((n) => n.name === nodeName);
        const index = listed >= 0 ? listed : nextUnlisted++;
        try {
          node = new SimulatedNode(nodeName, resolveNodeSettings(options, settings, index), clock);
        } catch (err) {
          throw new PluginError(PLUGIN_NAME, `node ${nodeName}: ${(err as Error).message}`, { cause: err });
        }
        nodes.set(nodeName, node);
      }
      return new SimulatedRuntime(node);
    };
    kernel.container.resolve(tokens.ContainerRuntimes).register(SIMULATED_RUNTIME_NAME, factory);
  },
});
