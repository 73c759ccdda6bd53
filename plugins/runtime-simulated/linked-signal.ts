/**
 * An AbortSignal that aborts when any of several others does, and that lets
 * go of them when the work is done. `AbortSignal.any` would do, except that
 * on Node 20 a long-lived source (a container's life, a runtime's close)
 * keeps every signal derived from it alive: thousands of exec probes a
 * minute against long-running containers would grow the heap without bound.
 */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Stop listening to the sources. Idempotent. */
  dispose(): void;
}

export function linkSignals(sources: ReadonlyArray<AbortSignal | undefined>): LinkedSignal {
  const controller = new AbortController();
  const present = sources.filter((s): s is AbortSignal => s !== undefined);
  const already = present.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, dispose: () => undefined };
  }
  const listeners = present.map((source) => {
    const listener = (): void => {
      dispose();
      controller.abort(source.reason);
    };
    source.addEventListener('abort', listener, { once: true });
    return { source, listener };
  });
  const dispose = (): void => {
    for (const { source, listener } of listeners.splice(0)) source.removeEventListener('abort', listener);
  };
  return { signal: controller.signal, dispose };
}
