/**
 * The built-in plugins, by the name cluster.yaml uses. Each loads lazily so a
 * distribution pays only for the plugins it lists.
 */
import type { Plugin } from '../kernel/plugin';

export const builtinPlugins: Record<string, () => Promise<Plugin<never>>> = {};
