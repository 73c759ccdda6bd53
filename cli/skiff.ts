/**
 * The `skiff` command.
 *
 *   skiff up [-f FILE] [--data-dir DIR] [--listen HOST:PORT]
 *   skiff config validate -f FILE
 *   skiff version
 */
import 'reflect-metadata';
import { writeFileSync, chmodSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, defaultClusterConfig, loadClusterConfig, ClusterConfig, validateClusterObject } from '../kernel/config';
import { loadPlugins } from '../kernel/plugin';
import { skiffVersion, versionInfo } from '../kernel/api/version';
import { Kernel } from '../kernel/kernel';
import { agent } from './agent';
import { applyHeapGrowth } from './heap';

const USAGE = `skiff: a plugin-based container orchestration kernel that speaks the Kubernetes API

Usage:
  skiff up [-f FILE] [--data-dir DIR] [--listen HOST:PORT]
      Boot the cluster described by FILE (default: a single API server with
      no plugins) in the foreground; Ctrl-C stops it. Writes an admin
      kubeconfig to DIR/kubeconfig.
  skiff agent --server URL --token T --node-name NAME [--runtime docker]
      Run a node agent on this machine against a remote API server
      (skiff agent --help for every option).
  skiff config validate -f FILE
      Check a cluster.yaml (and every plugin's options) without starting anything.
  skiff version
      Print skiff's version and the Kubernetes API version it serves.

Defaults: --data-dir ./.skiff, --listen 127.0.0.1:6443.

Environment:
  SKIFF_HEAP_GROWTH_PERCENT  how far the heap of \`up\` and \`agent\` grows between
      full garbage collections, like Go's GOGC (default 100: to twice the live
      heap; 0: V8's own heuristics, which may let it grow to four times).
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'up' || command === 'agent') {
    try {
      applyHeapGrowth();
    } catch (err) {
      process.stderr.write(`skiff: ${(err as Error).message}\n`);
      return 2;
    }
  }
  switch (command) {
    case 'up':
      return up(rest);
    case 'config':
      return config(rest);
    case 'agent':
      return agent(rest);
    case 'version':
    case '--version':
      return version();
    case undefined:
    case 'help':
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`skiff: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

function version(): number {
  const v = versionInfo();
  process.stdout.write(`skiff ${skiffVersion()}\nKubernetes API: ${v.gitVersion}\nPlatform: ${v.platform}, ${v.goVersion}\n`);
  return 0;
}

function readConfig(file: string | undefined): ClusterConfig {
  return file ? loadClusterConfig(file) : defaultClusterConfig();
}

async function config(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'validate') {
    process.stderr.write(`skiff config: unknown subcommand ${JSON.stringify(sub ?? '')} (expected: validate)\n`);
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { file: { type: 'string', short: 'f' } }, strict: true });
  if (!values.file) {
    process.stderr.write('skiff config validate: -f FILE is required\n');
    return 2;
  }
  try {
    const cfg = readConfig(values.file);
    await loadPlugins(cfg);
    process.stdout.write(`${values.file}: valid (${cfg.plugins.length} plugin${cfg.plugins.length === 1 ? '' : 's'}, ${cfg.nodes.length} node${cfg.nodes.length === 1 ? '' : 's'})\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}

async function up(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      file: { type: 'string', short: 'f' },
      'data-dir': { type: 'string' },
      listen: { type: 'string' },
    },
    strict: true,
  });
  let cfg: ClusterConfig;
  try {
    cfg = readConfig(values.file);
    if (values['data-dir'] || values.listen) {
      // Re-validate with the overrides so a bad --listen is reported like a bad file.
      cfg = {
        ...validateClusterObject(
          {
            apiVersion: cfg.apiVersion,
            kind: cfg.kind,
            api: { ...cfg.api, listen: values.listen ?? cfg.api.listen },
          },
          values.listen ? '--listen' : (values.file ?? 'cluster.yaml'),
        ),
        ...cfg,
        api: { ...cfg.api, listen: values.listen ?? cfg.api.listen },
        dataDir: values['data-dir'] ?? cfg.dataDir,
      };
    }
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }

  let kernel: Kernel;
  try {
    kernel = await Kernel.start({ config: cfg });
  } catch (err) {
    process.stderr.write(`skiff up: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    return 1;
  }
  const kubeconfig = path.join(kernel.dataDir, 'kubeconfig');
  writeFileSync(kubeconfig, kernel.kubeconfig(), { mode: 0o600 });
  chmodSync(kubeconfig, 0o600);
  process.stdout.write(
    `skiff is running: ${kernel.serverUrl}\n\n` +
      `Point kubectl at it:\n  export KUBECONFIG=${kubeconfig}\n  kubectl get namespaces\n\n` +
      `Press Ctrl-C to stop.\n`,
  );

  const memoryTimer = logMemoryEvery(process.env.SKIFF_MEMORY_LOG_MS);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(`skiff: ${signal} again, exiting now\n`);
        process.exit(130);
      }
      stopping = true;
      if (memoryTimer) clearInterval(memoryTimer);
      process.stderr.write(`\nskiff: ${signal}, shutting down\n`);
      kernel.shutdown().then(
        () => resolve(0),
        (err: Error) => {
          process.stderr.write(`skiff: shutdown: ${err.message}\n`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/**
 * With SKIFF_MEMORY_LOG_MS set (benchmarks), log `process.memoryUsage()` to
 * stderr that often, one `skiff memory: {json}` line each: heap figures a
 * benchmark cannot read from /proc, without a debug endpoint on the API.
 */
function logMemoryEvery(value: string | undefined): NodeJS.Timeout | undefined {
  const ms = Number(value);
  if (!value || !Number.isFinite(ms) || ms <= 0) return undefined;
  const timer = setInterval(() => process.stderr.write(`skiff memory: ${JSON.stringify(process.memoryUsage())}\n`), ms);
  timer.unref();
  return timer;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`skiff: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
