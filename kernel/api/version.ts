/**
 * What `/version` reports. skiff serves the Kubernetes API of the version its
 * schemas come from; the build metadata names skiff itself.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The Kubernetes API version skiff implements (its schemas and behaviour). */
export const KUBERNETES_MAJOR = '1';
export const KUBERNETES_MINOR = '30';

let cachedVersion: string | undefined;

/** skiff's package version, read once (node status asks for it every few seconds per node). */
export function skiffVersion(): string {
  cachedVersion ??= readSkiffVersion();
  return cachedVersion;
}

function readSkiffVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    try {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
      return pkg.version;
    } catch {
      return '0.0.0';
    }
  }
}

export function versionInfo(): Record<string, string> {
  const skiff = skiffVersion();
  return {
    major: KUBERNETES_MAJOR,
    minor: KUBERNETES_MINOR,
    gitVersion: `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0+skiff.${skiff}`,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'skiff',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
