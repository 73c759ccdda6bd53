/**
 * Kubernetes' DefaultTolerationSeconds admission plugin: a pod created
 * without a toleration for `node.kubernetes.io/not-ready:NoExecute` or
 * `node.kubernetes.io/unreachable:NoExecute` gets one (operator Exists,
 * tolerationSeconds 300), so that the taint eviction controller evicts it
 * five minutes after its node fails rather than at once.
 *
 * As Kubernetes, a pod already "tolerates" such a taint when any toleration
 * has the taint's key (or no key) and NoExecute (or no) effect, whatever its
 * operator and seconds. Mutation runs before the API server validates the
 * pod, so what is added here is validated like what the user wrote.
 */
import type { Pod, Toleration } from 'kubernetes-types/core/v1';
import type { AdmissionDenial, AdmissionRequest } from '../../../kernel/api/admission';
import type { KernelHooks } from '../../../kernel/hooks';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from './taints';

/** The admission plugin's name in Kubernetes (--enable-admission-plugins=DefaultTolerationSeconds). */
export const DEFAULT_TOLERATION_SECONDS_ADMISSION = 'DefaultTolerationSeconds';
/** kube-apiserver's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
export const DEFAULT_TOLERATION_SECONDS = 300;

/** Hooks already tapped: the controller may be started twice on one kernel (a restarted manager), the tap must not be. */
const tapped = new WeakSet<KernelHooks>();

function toleratesNoExecute(tolerations: readonly Toleration[], key: string): boolean {
  return tolerations.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute'));
}

/** Add the default tolerations to `pod` (in place); returns whether it changed. */
export function addDefaultTolerations(pod: Pod, seconds = DEFAULT_TOLERATION_SECONDS): boolean {
  const spec = (pod.spec ??= { containers: [] });
  const tolerations = spec.tolerations ?? [];
  const added: Toleration[] = [];
  for (const key of [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]) {
    if (!toleratesNoExecute(tolerations, key)) added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
  }
  if (added.length === 0) return false;
  spec.tolerations = [...tolerations, ...added];
  return true;
}

/** The mutating admission function: pods on CREATE only, never subresources. */
export async function admitDefaultTolerations(request: AdmissionRequest): Promise<AdmissionDenial | undefined> {
  if (request.operation !== 'CREATE' || request.subresource || request.group !== '' || request.resource !== 'pods') return undefined;
  const pod = request.object as Pod | undefined;
  if (pod) addDefaultTolerations(pod);
  return undefined;
}

/**
 * Tap DefaultTolerationSeconds on `hooks.api.admission.mutate` under
 * `tapName` (the controllers plugin). Idempotent per hooks object: returns
 * false when it was already tapped.
 */
export function tapDefaultTolerationSeconds(hooks: KernelHooks, tapName = 'controllers'): boolean {
  if (tapped.has(hooks)) return false;
  tapped.add(hooks);
  hooks.api.admission.mutate.tapPromise(tapName, admitDefaultTolerations);
  return true;
}
