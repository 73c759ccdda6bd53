/**
 * postStart and preStop handlers (exec, httpGet, sleep), with the kubelet's
 * failure messages, which end up in FailedPostStartHook / FailedPreStopHook
 * events:
 *
 *   Exec lifecycle hook ([sh -c exit 1]) for Container "web" in Pod "web_default(uid)"
 *   failed - error: command 'sh -c exit 1' exited with 1: , message: ""
 *
 * As in Kubernetes, an httpGet hook fails only when the request cannot be
 * made; any HTTP answer counts as having run it.
 */
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1';
import { sleep } from '../../kernel/client/clock';
import type { ActionTarget } from './handlers';
import { runExec, runHttpGet } from './handlers';
import { formatPod } from './runtime-state';

export type HookOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Run a lifecycle handler; `timeoutMs` bounds it (0: unbounded), `signal` cuts it short. */
export async function runLifecycleHook(handler: LifecycleHandler, pod: Pod, container: Container, target: ActionTarget, timeoutMs: number, signal?: AbortSignal): Promise<HookOutcome> {
  const who = `for Container "${container.name}" in Pod "${formatPod(pod)}"`;
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    const outcome = await runExec(handler.exec, target, timeoutMs);
    if (outcome.result === 'success') return { ok: true };
    const error = outcome.exitCode !== undefined ? `command '${command.join(' ')}' exited with ${outcome.exitCode}: ` : outcome.output;
    const message = outcome.exitCode !== undefined ? outcome.output : '';
    return { ok: false, message: `Exec lifecycle hook ([${command.join(' ')}]) ${who} failed - error: ${error}, message: ${JSON.stringify(message)}` };
  }
  if (handler.httpGet) {
    const outcome = await runHttpGet(handler.httpGet, target, timeoutMs);
    // Any response means the hook ran; only a request that could not be made fails it.
    if (outcome.result !== 'unknown' && !outcome.transportError) return { ok: true };
    return { ok: false, message: `HTTP lifecycle hook (${handler.httpGet.path ?? '/'}) ${who} failed - error: ${outcome.output}` };
  }
  if (handler.sleep) {
    const seconds = handler.sleep.seconds;
    const ms = seconds * 1000;
    try {
      await sleep(target.clock, timeoutMs > 0 ? Math.min(ms, timeoutMs) : ms, signal);
    } catch {
      // Cut short by the grace period running out: that is the sleep's end, not a failure.
    }
    return { ok: true };
  }
  return { ok: false, message: `Cannot run handler: invalid handler: ${JSON.stringify(handler)}` };
}
