/**
 * The kubelet's AtomicWriter: how configMap, secret, downwardAPI and
 * projected volumes are laid out so that a container never sees a half
 * updated set of files.
 *
 *   <dir>/..2024_01_31_12_00_00.123456789/   the files of one version
 *   <dir>/..data -> ..2024_01_31_12_00_00.123456789
 *   <dir>/key    -> ..data/key               one link per top-level entry
 *
 * An update writes a new timestamped directory, swaps `..data` with a rename
 * (atomic), fixes the top-level links and removes the old directory.
 * Programs that watch `..data` (as many Kubernetes-aware ones do) see one
 * switch. Links are relative, so they resolve inside the container too.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface FileProjection {
  readonly data: Buffer;
  /** Permission bits (0644 unless the volume says otherwise). */
  readonly mode: number;
}

const DATA_DIR = '..data';
const DATA_DIR_TMP = '..data_tmp';

/** A payload path a volume may not use: absolute, with `..` elements, or starting with `..`. */
export function payloadPathProblem(p: string): string | undefined {
  if (p === '') return 'invalid path: must not be empty';
  if (path.isAbsolute(p)) return `invalid path: must be relative path: ${p}`;
  if (p.split('/').includes('..')) return `invalid path: must not contain '..': ${p}`;
  if (p.startsWith('..')) return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

function timestampDirName(now: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}`;
  return `..${stamp}.${BigInt('0x' + randomBytes(4).toString('hex')).toString()}`;
}

async function readLinkOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await fs.readlink(p);
  } catch {
    return undefined;
  }
}

/** True when the version in `dir` holds exactly `payload` (content and mode). */
async function sameContent(dir: string, payload: ReadonlyMap<string, FileProjection>): Promise<boolean> {
  const existing = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else existing.add(child);
    }
  };
  try {
    await walk('');
  } catch {
    return false;
  }
  if (existing.size !== payload.size) return false;
  for (const [rel, file] of payload) {
    if (!existing.has(rel)) return false;
    try {
      const full = path.join(dir, rel);
      const [content, stat] = await Promise.all([fs.readFile(full), fs.stat(full)]);
      if (!content.equals(file.data) || (stat.mode & 0o7777) !== file.mode) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Make `targetDir` show exactly `payload` (relative path → file), atomically.
 * Returns true when anything changed. Throws on an invalid path or an I/O fault.
 */
export async function writeAtomically(targetDir: string, payload: ReadonlyMap<string, FileProjection>, now: Date = new Date()): Promise<boolean> {
  for (const p of payload.keys()) {
    const problem = payloadPathProblem(p);
    if (problem) throw new Error(problem);
  }
  await fs.mkdir(targetDir, { recursive: true });
  const dataLink = path.join(targetDir, DATA_DIR);
  const oldVersion = await readLinkOrUndefined(dataLink);
  if (oldVersion && (await sameContent(path.join(targetDir, oldVersion), payload))) {
    // Same content; still make sure the top-level links exist (a crash may have interrupted them).
    await linkTopLevel(targetDir, payload);
    return false;
  }

  const version = timestampDirName(now);
  const versionDir = path.join(targetDir, version);
  await fs.mkdir(versionDir, { mode: 0o755 });
  await fs.chmod(versionDir, 0o755);
  for (const [rel, file] of payload) {
    const full = path.join(versionDir, rel);
    await fs.mkdir(path.dirname(full), { recursive: true, mode: 0o755 });
    await fs.writeFile(full, file.data, { mode: file.mode });
    await fs.chmod(full, file.mode);
  }

  const tmpLink = path.join(targetDir, DATA_DIR_TMP);
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(version, tmpLink);
  await fs.rename(tmpLink, dataLink);

  await linkTopLevel(targetDir, payload);
  // Links to entries the new version no longer has go.
  const wanted = topLevel(payload);
  for (const entry of await fs.readdir(targetDir)) {
    if (entry.startsWith('..') || wanted.has(entry)) continue;
    const full = path.join(targetDir, entry);
    const link = await readLinkOrUndefined(full);
    if (link?.startsWith(`${DATA_DIR}/`)) await fs.rm(full, { force: true });
  }
  if (oldVersion && oldVersion !== version) await fs.rm(path.join(targetDir, oldVersion), { recursive: true, force: true });
  return true;
}

function topLevel(payload: ReadonlyMap<string, FileProjection>): Set<string> {
  return new Set([...payload.keys()].map((p) => p.split('/')[0]));
}

async function linkTopLevel(targetDir: string, payload: ReadonlyMap<string, FileProjection>): Promise<void> {
  for (const name of topLevel(payload)) {
    const link = path.join(targetDir, name);
    const target = `${DATA_DIR}/${name}`;
    const current = await readLinkOrUndefined(link);
    if (current === target) continue;
    await fs.rm(link, { force: true, recursive: true });
    await fs.symlink(target, link);
  }
}
