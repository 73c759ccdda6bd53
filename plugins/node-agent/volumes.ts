/**
 * Pod volumes on the node, in a directory per pod under the agent's data
 * directory, laid out like the kubelet's:
 *
 *   pods/<uid>/volumes/kubernetes.io~empty-dir/<name>
 *   pods/<uid>/volumes/kubernetes.io~configmap/<name>     (AtomicWriter layout)
 *   pods/<uid>/volumes/kubernetes.io~secret/<name>
 *   pods/<uid>/volumes/kubernetes.io~downward-api/<name>
 *   pods/<uid>/volumes/kubernetes.io~projected/<name>
 *   pods/<uid>/volumes/kubernetes.io~pvc/<name>           (storage hooks)
 *
 * `setUp` is idempotent and runs on every pod sync, so ConfigMap, Secret and
 * downward API files follow their sources (an unchanged payload writes
 * nothing). A volume that cannot be set up is an expected outcome: the result
 * lists it with the message the kubelet puts in its FailedMount event, and
 * the pod waits in ContainerCreating until the next sync succeeds.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { ConfigMap, DownwardAPIVolumeFile, KeyToPath, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Volume } from 'kubernetes-types/core/v1';
import type { ApiClient } from '../../kernel/client/types';
import type { KernelHooks } from '../../kernel/hooks';
import type { Logger } from '../../kernel/log';
import { isApiError } from '../../kernel/api/errors';
import type { KubeObject } from '../../kernel/api/types';
import { parseQuantity } from '../../kernel/api/validation';
import type { FileProjection } from './atomic-writer';
import { payloadPathProblem, writeAtomically } from './atomic-writer';
import type { ObjectLookup } from './env';
import type { DownwardContext } from './fieldpath';
import { containerResourceValue, podFieldValue } from './fieldpath';

const run = promisify(execFile);

/** Where a volume is on the node, ready to be bind-mounted. */
export interface PodVolume {
  readonly hostPath: string;
  /** The volume forces read-only mounts (secrets and configMaps are not, by Kubernetes' rules; PVCs may be). */
  readonly readOnly: boolean;
}

export interface VolumeFailure {
  readonly volume: string;
  /** `MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found` */
  readonly message: string;
}

export type VolumeSetUpResult = { readonly ok: true; readonly volumes: ReadonlyMap<string, PodVolume> } | { readonly ok: false; readonly failures: readonly VolumeFailure[]; readonly volumes: ReadonlyMap<string, PodVolume> };

export interface VolumeManagerOptions {
  /** The agent's `pods/` directory. */
  readonly podsDir: string;
  readonly client: ApiClient;
  readonly logger: Logger;
  /** Host path prefixes pods may use (undefined: any). */
  readonly allowedHostPaths?: readonly string[];
  /** The kernel's storage hooks (absent for an agent outside the kernel process). */
  readonly storage?: KernelHooks['storage'];
  /** Run `mount`/`umount` (tests replace it). */
  readonly mounter?: Mounter;
  readonly now: () => Date;
}

/** tmpfs mounts for emptyDir medium Memory. */
export interface Mounter {
  mountTmpfs(target: string, sizeBytes: number | undefined): Promise<void>;
  unmount(target: string): Promise<void>;
  isMountPoint(target: string): boolean;
}

/** `mount -t tmpfs` through the host's mount(8); needs root (CAP_SYS_ADMIN), as the kubelet does. */
export const systemMounter: Mounter = {
  async mountTmpfs(target, sizeBytes) {
    const options = sizeBytes ? ['-o', `size=${sizeBytes}`] : [];
    try {
      await run('mount', ['-t', 'tmpfs', ...options, 'tmpfs', target]);
    } catch (err) {
      const e = err as { stderr?: string; code?: number | string; message: string };
      throw new Error(`mount failed: ${e.code ?? 'error'}\nMounting command: mount\nMounting arguments: -t tmpfs ${options.join(' ')} tmpfs ${target}\nOutput: ${(e.stderr ?? e.message).trim()}`, { cause: err });
    }
  },
  async unmount(target) {
    await run('umount', [target]);
  },
  isMountPoint(target) {
    try {
      const resolved = path.resolve(target);
      return readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .some((line) => line.split(' ')[4] === resolved);
    } catch {
      return false;
    }
  },
};

const PLUGIN_DIRS = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
  persistentVolumeClaim: 'kubernetes.io~pvc',
} as const;

const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true } as const;
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false } as const;

/** A volume that cannot be set up now (an expected outcome, reported as FailedMount). */
class MountFailure extends Error {}

export interface VolumeContext extends DownwardContext {
  readonly pod: Pod;
  readonly objects: ObjectLookup;
}

export class VolumeManager {
  private readonly mounter: Mounter;

  constructor(private readonly o: VolumeManagerOptions) {
    this.mounter = o.mounter ?? systemMounter;
  }

  podDir(uid: string): string {
    return path.join(this.o.podsDir, uid);
  }

  volumeDir(uid: string, kind: keyof typeof PLUGIN_DIRS, name: string): string {
    return path.join(this.podDir(uid), 'volumes', PLUGIN_DIRS[kind], name);
  }

  /** Set up (or refresh) every volume of the pod. Faults other than a volume's own problem throw. */
  async setUp(ctx: VolumeContext): Promise<VolumeSetUpResult> {
    const volumes = new Map<string, PodVolume>();
    const failures: VolumeFailure[] = [];
    for (const volume of ctx.pod.spec?.volumes ?? []) {
      try {
        volumes.set(volume.name, await this.setUpOne(volume, ctx));
      } catch (err) {
        if (!(err instanceof MountFailure)) throw err;
        failures.push({ volume: volume.name, message: `MountVolume.SetUp failed for volume "${volume.name}" : ${err.message}` });
        // A refresh that fails leaves the files of the last good version in place (the kubelet's too).
        const previous = this.existingDir(ctx.pod.metadata?.uid ?? '', volume);
        if (previous) volumes.set(volume.name, { hostPath: previous, readOnly: false });
      }
    }
    return failures.length > 0 ? { ok: false, failures, volumes } : { ok: true, volumes };
  }

  /** The directory a projected-file volume was set up in before, if it was. */
  private existingDir(uid: string, volume: Volume): string | undefined {
    const kind = volume.configMap ? 'configMap' : volume.secret ? 'secret' : volume.downwardAPI ? 'downwardAPI' : volume.projected ? 'projected' : undefined;
    if (!kind) return undefined;
    const dir = this.volumeDir(uid, kind, volume.name);
    return existsSync(path.join(dir, '..data')) ? dir : undefined;
  }

  /** Unmount what needs unmounting and remove the pod's directory. Idempotent. */
  async tearDown(uid: string): Promise<void> {
    const root = this.podDir(uid);
    if (!existsSync(root)) return;
    // tmpfs emptyDirs (and anything a storage plugin mounted) must be unmounted before removal.
    const emptyDirs = path.join(root, 'volumes', PLUGIN_DIRS.emptyDir);
    for (const name of await fs.readdir(emptyDirs).catch(() => [] as string[])) {
      const dir = path.join(emptyDirs, name);
      if (this.mounter.isMountPoint(dir)) await this.mounter.unmount(dir);
    }
    const pvcDir = path.join(root, 'volumes', PLUGIN_DIRS.persistentVolumeClaim);
    for (const name of await fs.readdir(pvcDir).catch(() => [] as string[])) {
      const targetPath = path.join(pvcDir, name);
      if (this.o.storage) await this.o.storage.unmount.promise({ podUid: uid, volumeName: name, targetPath });
      if (this.mounter.isMountPoint(targetPath)) await this.mounter.unmount(targetPath);
    }
    await fs.rm(root, { recursive: true, force: true });
  }

  private async setUpOne(volume: Volume, ctx: VolumeContext): Promise<PodVolume> {
    const uid = ctx.pod.metadata?.uid ?? '';
    const namespace = ctx.pod.metadata?.namespace ?? 'default';
    if (volume.hostPath) return { hostPath: await this.hostPath(volume.hostPath.path, volume.hostPath.type ?? ''), readOnly: false };
    if (volume.emptyDir) return { hostPath: await this.emptyDir(uid, volume), readOnly: false };
    if (volume.configMap) {
      const src = volume.configMap;
      const cm = await ctx.objects.configMap(namespace, src.name ?? '');
      const payload = new Map<string, FileProjection>();
      if (!cm) {
        if (!src.optional) throw new MountFailure(`configmap "${src.name}" not found`);
      } else {
        addKeyedFiles(payload, configMapData(cm), src.items, src.defaultMode ?? 0o644, src.optional ?? false, 'configmap references non-existent config key');
      }
      return this.written(this.volumeDir(uid, 'configMap', volume.name), payload);
    }
    if (volume.secret) {
      const src = volume.secret;
      const secret = await ctx.objects.secret(namespace, src.secretName ?? '');
      const payload = new Map<string, FileProjection>();
      if (!secret) {
        if (!src.optional) throw new MountFailure(`secret "${src.secretName}" not found`);
      } else {
        addKeyedFiles(payload, secretData(secret), src.items, src.defaultMode ?? 0o644, src.optional ?? false, 'references non-existent secret key');
      }
      return this.written(this.volumeDir(uid, 'secret', volume.name), payload);
    }
    if (volume.downwardAPI) {
      const payload = new Map<string, FileProjection>();
      addDownwardFiles(payload, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? 0o644, ctx);
      return this.written(this.volumeDir(uid, 'downwardAPI', volume.name), payload);
    }
    if (volume.projected) {
      const payload = new Map<string, FileProjection>();
      const mode = volume.projected.defaultMode ?? 0o644;
      for (const source of volume.projected.sources ?? []) {
        if (source.configMap) {
          const cm = await ctx.objects.configMap(namespace, source.configMap.name ?? '');
          if (!cm) {
            if (!source.configMap.optional) throw new MountFailure(`configmap "${source.configMap.name}" not found`);
            continue;
          }
          addKeyedFiles(payload, configMapData(cm), source.configMap.items, mode, source.configMap.optional ?? false, 'configmap references non-existent config key');
        } else if (source.secret) {
          const secret = await ctx.objects.secret(namespace, source.secret.name ?? '');
          if (!secret) {
            if (!source.secret.optional) throw new MountFailure(`secret "${source.secret.name}" not found`);
            continue;
          }
          addKeyedFiles(payload, secretData(secret), source.secret.items, mode, source.secret.optional ?? false, 'references non-existent secret key');
        } else if (source.downwardAPI) {
          addDownwardFiles(payload, source.downwardAPI.items ?? [], mode, ctx);
        }
        // serviceAccountToken and clusterTrustBundle sources: skiff issues no
        // bound tokens or trust bundles yet, so those files are not written.
      }
      return this.written(this.volumeDir(uid, 'projected', volume.name), payload);
    }
    if (volume.persistentVolumeClaim) return this.claim(ctx.pod, volume);
    const type = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
    throw new MountFailure(`volume type "${type}" is not supported by this node`);
  }

  private async written(dir: string, payload: Map<string, FileProjection>): Promise<PodVolume> {
    try {
      await writeAtomically(dir, payload, this.o.now());
    } catch (err) {
      throw new MountFailure((err as Error).message);
    }
    return { hostPath: dir, readOnly: false };
  }

  private async emptyDir(uid: string, volume: Volume): Promise<string> {
    const dir = this.volumeDir(uid, 'emptyDir', volume.name);
    await fs.mkdir(dir, { recursive: true });
    // 0777 like the kubelet, so containers running as any user can write.
    await fs.chmod(dir, 0o777);
    if (volume.emptyDir?.medium === 'Memory' && !this.mounter.isMountPoint(dir)) {
      const limit = volume.emptyDir.sizeLimit;
      const size = limit ? Number(parseQuantity(limit).nanos / 1_000_000_000n) : undefined;
      try {
        await this.mounter.mountTmpfs(dir, size && size > 0 ? size : undefined);
      } catch (err) {
        throw new MountFailure((err as Error).message);
      }
      await fs.chmod(dir, 0o777);
    }
    return dir;
  }

  /** hostPath with Kubernetes' type checks, inside the node's allowed prefixes. */
  private async hostPath(p: string, type: string): Promise<string> {
    const allowed = this.o.allowedHostPaths;
    if (allowed && !allowed.some((prefix) => isUnder(p, prefix))) {
      throw new MountFailure(`hostPath "${p}" is not allowed on this node (allowed: ${allowed.join(', ')})`);
    }
    const stat = await fs.stat(p).catch(() => undefined);
    const fail = (what: string) => new MountFailure(`hostPath type check failed: ${p} is not ${what}`);
    switch (type) {
      case '':
        return p;
      case 'DirectoryOrCreate':
        if (!stat) {
          await fs.mkdir(p, { recursive: true, mode: 0o755 });
          return p;
        }
        if (!stat.isDirectory()) throw fail('a directory');
        return p;
      case 'Directory':
        if (!stat?.isDirectory()) throw fail('a directory');
        return p;
      case 'FileOrCreate':
        if (!stat) {
          try {
            await fs.writeFile(p, '', { mode: 0o644, flag: 'a' });
          } catch (err) {
            throw new MountFailure(`hostPath type check failed: ${p}: ${(err as Error).message}`);
          }
          return p;
        }
        if (!stat.isFile()) throw fail('a file');
        return p;
      case 'File':
        if (!stat?.isFile()) throw fail('a file');
        return p;
      case 'Socket':
        if (!stat?.isSocket()) throw fail('a socket file');
        return p;
      case 'CharDevice':
        if (!stat?.isCharacterDevice()) throw fail('a character device');
        return p;
      case 'BlockDevice':
        if (!stat?.isBlockDevice()) throw fail('a block device');
        return p;
      default:
        throw new MountFailure(`hostPath type check failed: unknown type ${type}`);
    }
  }

  /** A claim: its bound PersistentVolume, mounted by a storage plugin, or a hostPath/local PV directly. */
  private async claim(pod: Pod, volume: Volume): Promise<PodVolume> {
    const claimName = volume.persistentVolumeClaim!.claimName;
    const namespace = pod.metadata?.namespace ?? 'default';
    let pvc: PersistentVolumeClaim;
    try {
      pvc = await this.o.client.get<PersistentVolumeClaim & KubeObject>(PVCS, claimName, { namespace });
    } catch (err) {
      if (isApiError(err, 'NotFound')) throw new MountFailure(`persistentvolumeclaim "${claimName}" not found`);
      throw err;
    }
    const pvName = pvc.spec?.volumeName;
    if (!pvName || pvc.status?.phase !== 'Bound') throw new MountFailure(`persistentvolumeclaim "${claimName}" is not bound`);
    let pv: PersistentVolume;
    try {
      pv = await this.o.client.get<PersistentVolume & KubeObject>(PVS, pvName);
    } catch (err) {
      if (isApiError(err, 'NotFound')) throw new MountFailure(`persistentvolume "${pvName}" not found`);
      throw err;
    }
    const readOnly = volume.persistentVolumeClaim!.readOnly ?? false;
    const targetPath = this.volumeDir(pod.metadata?.uid ?? '', 'persistentVolumeClaim', volume.name);
    await fs.mkdir(targetPath, { recursive: true });
    const result = this.o.storage ? await this.o.storage.mount.promise({ podUid: pod.metadata?.uid ?? '', volume, persistentVolume: pv, targetPath, readOnly }) : undefined;
    if (result) return { hostPath: result.hostPath, readOnly };
    const local = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (local) return { hostPath: await this.hostPath(local, pv.spec?.hostPath?.type ?? ''), readOnly };
    throw new MountFailure(`no storage plugin mounts persistentvolume "${pvName}" on this node`);
  }
}

function isUnder(p: string, prefix: string): boolean {
  const a = path.resolve(p);
  const b = path.resolve(prefix);
  return a === b || a.startsWith(b.endsWith('/') ? b : `${b}/`);
}

function configMapData(cm: ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

function secretData(secret: Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

/** Keys to files: every key, or the listed items (key → path, mode); a listed missing key fails unless optional. */
function addKeyedFiles(payload: Map<string, FileProjection>, data: Map<string, Buffer>, items: readonly KeyToPath[] | undefined, defaultMode: number, optional: boolean, missingKey: string): void {
  if (!items || items.length === 0) {
    for (const [key, value] of data) payload.set(key, { data: value, mode: defaultMode });
    return;
  }
  for (const item of items) {
    const value = data.get(item.key);
    if (value === undefined) {
      if (optional) continue;
      throw new MountFailure(`${missingKey}: ${item.key}`);
    }
    const problem = payloadPathProblem(item.path);
    if (problem) throw new MountFailure(problem);
    payload.set(item.path, { data: value, mode: item.mode ?? defaultMode });
  }
}

function addDownwardFiles(payload: Map<string, FileProjection>, items: readonly DownwardAPIVolumeFile[], defaultMode: number, ctx: VolumeContext): void {
  for (const item of items) {
    const problem = payloadPathProblem(item.path);
    if (problem) throw new MountFailure(problem);
    let value: string;
    try {
      if (item.fieldRef) value = podFieldValue(ctx.pod, item.fieldRef.fieldPath, ctx);
      else if (item.resourceFieldRef) {
        const ref = item.resourceFieldRef;
        const container = [...(ctx.pod.spec?.containers ?? []), ...(ctx.pod.spec?.initContainers ?? [])].find((c) => c.name === ref.containerName);
        if (!container) throw new MountFailure(`container ${ref.containerName} not found in pod ${ctx.pod.metadata?.name}`);
        value = containerResourceValue(container, ref.resource, ref.divisor as string | undefined, ctx);
      } else continue;
    } catch (err) {
      if (err instanceof MountFailure) throw err;
      throw new MountFailure((err as Error).message);
    }
    payload.set(item.path, { data: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode });
  }
}
