/**
 * One store per data directory. Two stores appending to the same log would
 * interleave records and corrupt it, so opening a directory takes a lock:
 *
 * - within this process, a set of open directories (checked synchronously, so
 *   two concurrent opens cannot both pass);
 * - across processes, a `LOCK` file holding the owner's pid, created
 *   atomically (written under a temporary name, then hard-linked into place,
 *   which fails if it exists). A lock whose pid is no longer running — or is
 *   our own pid but not in the set, as after a container restart that reused
 *   the pid — is stale and taken over.
 *
 * Node has no flock(); a pid file is the portable approximation.
 */

import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK_FILE } from './files';
import { StoreError } from './types';

const openInThisProcess = new Set<string>();

export interface DirLock {
  /** Remove the lock file and let the directory be opened again. Idempotent. */
  release(): Promise<void>;
}

/** Lock `dir` (which must exist) for this process, or fail with `Unavailable`. */
export async function lockDataDir(dir: string): Promise<DirLock> {
  const real = realpathSync(dir);
  if (openInThisProcess.has(real)) {
    throw new StoreError('Unavailable', `data dir ${dir} is already open in this process`);
  }
  openInThisProcess.add(real);
  const lockPath = join(real, LOCK_FILE);
  try {
    if (!(await tryCreate(lockPath))) {
      const owner = await readOwner(lockPath);
      if (owner !== undefined && owner !== process.pid && isRunning(owner)) {
        throw new StoreError('Unavailable', `data dir ${dir} is locked by process ${owner} (${lockPath})`);
      }
      // Stale: its owner is gone. If another process takes it over at the same
      // moment, one of the two links fails and that open is refused.
      await unlink(lockPath).catch(ignoreMissing);
      if (!(await tryCreate(lockPath))) {
        throw new StoreError('Unavailable', `data dir ${dir} was locked by another process while opening (${lockPath})`);
      }
    }
  } catch (err) {
    openInThisProcess.delete(real);
    if (err instanceof StoreError) throw err;
    throw new StoreError('Unavailable', `cannot lock data dir ${dir}: ${(err as Error).message}`, { cause: err });
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      try {
        await unlink(lockPath).catch(ignoreMissing);
      } finally {
        openInThisProcess.delete(real);
      }
    },
  };
}

/** Create the lock file with our pid in it; false if it already exists. */
async function tryCreate(lockPath: string): Promise<boolean> {
  const temp = `${lockPath}.${process.pid}.tmp`;
  await writeFile(temp, `${process.pid}\n`);
  try {
    await link(temp, lockPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp).catch(ignoreMissing);
  }
}

/** The pid in a lock file; undefined if unreadable or not a pid (then it is stale). */
async function readOwner(lockPath: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(lockPath, 'utf8')).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else; still running.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
