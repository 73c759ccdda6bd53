/**
 * The built-in plugins, by the name cluster.yaml uses. Each loads lazily so a
 * distribution pays only for the plugins it lists.
 */
import type { Plugin } from '../kernel/plugin';

export const builtinPlugins: Record<string, () => Promise<Plugin<never>>> = {
  // require(), not import(): tsc (module node16) keeps a dynamic import() in
  // its CommonJS output as a real ES import, whose resolver wants a file with
  // its extension ('./runtime-docker/index.js'); a require() of the folder
  // resolves under tsc's output and jest alike, and stays lazy.
  'runtime-docker': () => Promise.resolve(require('./runtime-docker').default),
  // The in-memory runtime for rehearsing large clusters; required lazily like the rest (CommonJS output).
  'runtime-simulated': () => Promise.resolve(require('./runtime-simulated').default),
  // skiff's kubelet; required lazily like the rest, since the compiled output is CommonJS.
  'node-agent': () => Promise.resolve(require('./node-agent').default),
  // kube-scheduler's framework on the kernel's scheduling hooks.
  scheduler: () => Promise.resolve(require('./scheduler').default),
  // kube-controller-manager's controllers, each in plugins/controllers/<name>/.
  controllers: () => Promise.resolve(require('./controllers').default),
};
