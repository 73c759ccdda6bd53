/**
 * Host paths for bind mounts. The engine runs on this machine, so the node
 * agent's volume directories are bound as they are; a subPath is resolved
 * here, to a real path that stays inside its volume.
 */
import { lstatSync, mkdirSync, realpathSync, writeFileSync, chmodSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { Mount } from '../../kernel/runtime/types';
import { runtimeError } from './errors';

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function within(base: string, p: string): boolean {
  return p === base || p.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}

/**
 * The host path `mount` binds. A missing volume path is created as a
 * directory, as CRI runtimes do for hostPath volumes. A subPath is created
 * (as directories, like the kubelet does) and resolved component by component
 * with symlinks followed, so a symlink planted in the volume cannot point the
 * bind outside it (CVE-2017-1002101). The remaining race (a component swapped
 * between the check and the bind) needs openat2-style resolution the engine
 * does not offer; the volume's owner is the pod itself.
 */
export function resolveMountSource(mount: Mount): string {
  const at = `mount at ${mount.containerPath}`;
  if (!path.isAbsolute(mount.hostPath)) throw runtimeError(`${at}: host path ${JSON.stringify(mount.hostPath)} is not absolute`);
  if (!path.isAbsolute(mount.containerPath)) throw runtimeError(`${at}: the container path is not absolute`);
  if (!exists(mount.hostPath)) mkdirSync(mount.hostPath, { recursive: true, mode: 0o755 });
  if (!mount.subPath) return mount.hostPath;

  const parts = mount.subPath.split('/').filter((p) => p !== '' && p !== '.');
  if (path.isAbsolute(mount.subPath) || parts.includes('..')) {
    throw runtimeError(`${at}: subPath ${JSON.stringify(mount.subPath)} must be a relative path without '..'`);
  }
  const base = realpathSync(mount.hostPath);
  let current = base;
  for (const part of parts) {
    const next = path.join(current, part);
    if (!exists(next)) mkdirSync(next, { mode: 0o755 });
    current = realpathSync(next);
    if (!within(base, current)) {
      throw runtimeError(`${at}: subPath ${JSON.stringify(mount.subPath)} resolves to ${current}, outside its volume ${base}`);
    }
  }
  return current;
}

/**
 * A file on the node for a container's termination message (Kubernetes'
 * terminationMessagePath), under the runtime's data directory. World-writable
 * because the container may run as any user; the file is the container's own.
 */
export function createTerminationMessageFile(dataDir: string): string {
  const dir = path.join(dataDir, 'termination-messages');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const file = path.join(dir, randomUUID());
  writeFileSync(file, '', { mode: 0o666 });
  // The umask trims the mode given to writeFileSync.
  chmodSync(file, 0o666);
  return file;
}
