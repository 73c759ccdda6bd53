/**
 * Time as the client library sees it. Work queues, informers and controllers
 * wait for backoffs and resync periods through a `Clock`, so tests swap in a
 * fake one and step time forward instead of sleeping for real.
 */

/** An opaque pending timer, handed back to `clearTimeout`. */
export interface TimerHandle {
  readonly __timer?: never;
}

export interface Clock {
  /** Milliseconds since the epoch (like `Date.now()`). */
  now(): number;
  /** Call `callback` once, `ms` milliseconds from now. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancel a pending timer. Idempotent; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The wall clock, through Node's own timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};

/**
 * Resolve after `ms` on `clock`, or reject with the signal's reason when
 * `signal` aborts first. Used for backoffs, which must end promptly on stop.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error an aborted signal stands for (its reason, or a generic AbortError). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(reason === undefined ? 'The operation was aborted' : String(reason));
  err.name = 'AbortError';
  return err;
}
