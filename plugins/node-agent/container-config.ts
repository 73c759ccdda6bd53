/**
 * From a container's spec to the runtime's ContainerConfig: command and args
 * with `$(VAR)` expanded against the container's environment, mounts of the
 * pod's volumes (subPath and subPathExpr resolved on the node), the
 * termination message file, resources in canonical units, and the security
 * settings with the container's securityContext over the pod's.
 *
 * Problems a user can fix in the spec (a volumeMount naming no volume, a
 * subPath leaving its volume, runAsNonRoot with runAsUser 0) are expected
 * outcomes with the kubelet's CreateContainerConfigError message.
 */
import { mkdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { ContainerConfig, Mount } from '../../kernel/runtime/types';
import { parseQuantity } from '../../kernel/api/validation';
import type { EnvVarValue } from './env';
import { expandCommand } from './env';
import { expand, mappingFuncFor } from './expansion';
import type { PodVolume } from './volumes';
import type { ContainerKind } from './runtime-state';
import { containerLabels, formatPod } from './runtime-state';

export interface ContainerConfigInput {
  readonly pod: Pod;
  readonly container: Container;
  readonly kind: ContainerKind;
  readonly restartCount: number;
  readonly nodeName: string;
  readonly env: readonly EnvVarValue[];
  readonly volumes: ReadonlyMap<string, PodVolume>;
  /** The node file mounted at terminationMessagePath. */
  readonly terminationMessageFile?: string;
}

export type ContainerConfigResult = { readonly ok: true; readonly config: ContainerConfig } | { readonly ok: false; readonly message: string };

function millis(q: string | number | undefined): number | undefined {
  if (q === undefined || q === '') return undefined;
  const nanos = parseQuantity(q).nanos;
  return Number((nanos + 999_999n) / 1_000_000n);
}

function bytes(q: string | number | undefined): number | undefined {
  if (q === undefined || q === '') return undefined;
  return Number(parseQuantity(q).nanos / 1_000_000_000n);
}

/** Resolve a volumeMount to a node path (subPath inside its volume, created as a directory when missing). */
function mountSource(volume: PodVolume, subPath: string | undefined): string | { error: string } {
  if (!subPath) return volume.hostPath;
  if (path.isAbsolute(subPath) || subPath.split('/').includes('..')) return { error: `subPath "${subPath}" must be a relative path that does not leave its volume` };
  const full = path.join(volume.hostPath, subPath);
  if (!existsSync(full)) mkdirSync(full, { recursive: true, mode: 0o777 });
  return full;
}

export function buildContainerConfig(input: ContainerConfigInput): ContainerConfigResult {
  const { pod, container, env } = input;
  const vars = new Map(env.map((e) => [e.name, e.value]));

  const mounts: Mount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const volume = input.volumes.get(vm.name);
    if (!volume) return { ok: false, message: `cannot find volume "${vm.name}" to mount into container "${container.name}"` };
    let subPath = vm.subPath;
    if (vm.subPathExpr) subPath = expand(vm.subPathExpr, mappingFuncFor(vars));
    const source = mountSource(volume, subPath);
    if (typeof source === 'object') return { ok: false, message: source.error };
    mounts.push({ hostPath: source, containerPath: vm.mountPath, readOnly: (vm.readOnly ?? false) || volume.readOnly });
  }
  const messagePath = container.terminationMessagePath ?? '/dev/termination-log';
  if (input.terminationMessageFile && !mounts.some((m) => m.containerPath === messagePath)) {
    mounts.push({ hostPath: input.terminationMessageFile, containerPath: messagePath, readOnly: false });
  }

  const podSc = pod.spec?.securityContext ?? {};
  const sc = container.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? podSc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? podSc.runAsGroup;
  const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
  if (runAsNonRoot && runAsUser === 0) {
    return { ok: false, message: `container's runAsUser breaks non-root policy (pod: "${formatPod(pod)}", container: ${container.name})` };
  }

  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  let resources: ContainerConfig['resources'];
  try {
    resources = {
      cpuRequestMillis: millis(requests.cpu as string | undefined),
      cpuLimitMillis: millis(limits.cpu as string | undefined),
      memoryLimitBytes: bytes(limits.memory as string | undefined),
    };
  } catch (err) {
    return { ok: false, message: `invalid resources: ${(err as Error).message}` };
  }

  return {
    ok: true,
    config: {
      name: container.name,
      image: container.image ?? '',
      command: expandCommand(container.command, env),
      args: expandCommand(container.args, env),
      workingDir: container.workingDir,
      env: [...env],
      mounts,
      stdin: container.stdin ?? false,
      stdinOnce: container.stdinOnce ?? false,
      tty: container.tty ?? false,
      resources,
      security: {
        runAsUser,
        runAsGroup,
        readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
        privileged: sc.privileged,
        capAdd: sc.capabilities?.add,
        capDrop: sc.capabilities?.drop,
      },
      labels: containerLabels(pod, container, input.kind, input.restartCount, input.nodeName),
    },
  };
}
