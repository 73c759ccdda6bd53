/**
 * Boot a real skiff cluster for a test: a temporary data directory, an
 * ephemeral port on loopback, TLS with the cluster's own CA, and an admin
 * kubeconfig on disk. `stop()` shuts it down and removes the directory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kernel, KernelOptions } from '../../kernel/kernel';
import { validateClusterObject, ClusterConfig } from '../../kernel/config';
import { silentLogger } from '../../kernel/log';

export interface TestCluster {
  kernel: Kernel;
  url: string;
  dataDir: string;
  kubeconfig: string;
  /** Stop the cluster (data kept, for restart tests). */
  stop(): Promise<void>;
  /** Stop and delete the data directory. */
  destroy(): Promise<void>;
}

export interface TestClusterOptions extends Partial<Omit<KernelOptions, 'config'>> {
  /** Extra cluster.yaml fields (plugins, api settings...). */
  config?: Record<string, unknown>;
  /** Reuse a data directory (restart tests). */
  dataDir?: string;
  /** Where cluster.yaml "lives" (plugin resolution starts from its directory). */
  source?: string;
}

export async function startCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'skiff-test-'));
  const raw = { apiVersion: 'skiff.dev/v1alpha1', kind: 'Cluster', dataDir, ...(options.config ?? {}) };
  const config: ClusterConfig = { ...validateClusterObject(raw), source: options.source };
  const kernel = await Kernel.start({ logger: silentLogger, listen: '127.0.0.1:0', ...options, config });
  const kubeconfig = path.join(dataDir, 'kubeconfig');
  writeFileSync(kubeconfig, kernel.kubeconfig('skiff-test'), { mode: 0o600 });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await kernel.shutdown();
  };
  return {
    kernel,
    url: kernel.serverUrl,
    dataDir,
    kubeconfig,
    stop,
    destroy: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
