/**
 * runtime-docker: the ContainerRuntime nodes name as `runtime: docker`, through
 * the Docker engine on this machine (dockerode over its Unix socket).
 *
 * The plugin only registers a factory; the node agent creates one runtime per
 * node through it. The factory checks that the engine answers and that the
 * pause image is there, so a node fails at start rather than at its first pod.
 */
import Docker from 'dockerode';
import { definePlugin } from '../../kernel/plugin';
import type { ContainerRuntimeFactory } from '../../kernel/runtime/types';
import * as tokens from '../../kernel/tokens';
import { DockerRuntime } from './docker-runtime';
import { PLUGIN_NAME, runtimeError } from './errors';
import { inspectImage } from './images';
import { optionsSchema, resolveOptions, type DockerRuntimeOptions, type ResolvedDockerRuntimeOptions } from './options';

export { PLUGIN_NAME } from './errors';
export { DockerRuntime } from './docker-runtime';
export type { DockerRuntimeOptions } from './options';

/** The name nodes use in cluster.yaml (`nodes[].runtime`). */
export const RUNTIME_NAME = 'docker';

/** How long the engine has to answer its ping before the node gives up. */
const PING_TIMEOUT_MS = 10_000;

/** A factory of Docker runtimes for `options` (exported for tests and embedders). */
export function dockerRuntimeFactory(options: ResolvedDockerRuntimeOptions): ContainerRuntimeFactory {
  return async ({ nodeName, dataDir }) => {
    const docker = new Docker({ socketPath: options.socketPath });
    try {
      await (docker.ping as (opts: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    } catch (err) {
      throw runtimeError(`cannot reach the Docker engine at ${options.socketPath}`, err);
    }
    if (!(await inspectImage(docker, options.pauseImage))) {
      throw runtimeError(`the pause image ${options.pauseImage} is not on this node (build it with scripts/images)`);
    }
    return new DockerRuntime(docker, { nodeName, dataDir, options });
  };
}

export default definePlugin<DockerRuntimeOptions>({
  name: PLUGIN_NAME,
  optionsSchema,
  apply(kernel, options) {
    const resolved = resolveOptions(options);
    kernel.container.resolve(tokens.ContainerRuntimes).register(RUNTIME_NAME, dockerRuntimeFactory(resolved));
  },
});
