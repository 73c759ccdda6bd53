/**
 * Exec and attach sessions over the engine's hijacked connections: stdin is
 * piped in (its end half-closes the connection, which the engine turns into
 * EOF on the process's stdin), output is demultiplexed into the caller's
 * writables, and `done` reports the exit code once the output has ended.
 */
import { readFileSync } from 'node:fs';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { ExecSession } from '../../kernel/runtime/types';
import { copyOutput } from './demux';

export interface SessionStreams {
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  /** A tty's output comes unframed (and resize means something). */
  readonly tty: boolean;
  readonly signal?: AbortSignal;
}

export interface SessionHooks {
  /** Resize the terminal; failures are absorbed (the process may just have exited). */
  resize(width: number, height: number): Promise<unknown>;
  /** On abort, before the connection is dropped: stop what can be stopped. */
  onAbort(): Promise<void>;
  /** The exit code once the output has ended (`aborted` when by abort). */
  exitCode(aborted: boolean): Promise<number>;
}

/** Run one session on `connection` (the engine's hijacked socket). */
export function startSession(connection: Duplex, streams: SessionStreams, hooks: SessionHooks): ExecSession {
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    // Abort hooks only make a best effort; the connection goes regardless.
    void hooks
      .onAbort()
      .catch(() => undefined)
      .finally(() => connection.destroy());
  };
  if (streams.signal?.aborted) onAbort();
  else streams.signal?.addEventListener('abort', onAbort, { once: true });

  if (streams.stdin) {
    // pipe() ends the connection's writable side when stdin ends: the
    // engine sees the half-close and closes the process's stdin.
    streams.stdin.pipe(connection);
    // A failing stdin source ends input, not the session.
    streams.stdin.on('error', () => connection.end());
  }
  // A connection error ends the output below; nothing else to do with it.
  connection.on('error', () => undefined);

  const done = (async () => {
    try {
      await copyOutput(connection, !streams.tty, streams.stdout, streams.stderr);
    } finally {
      streams.signal?.removeEventListener('abort', onAbort);
      if (streams.stdin) streams.stdin.unpipe(connection);
      connection.destroy();
    }
    return hooks.exitCode(aborted);
  })();

  return {
    resize(width: number, height: number) {
      if (!streams.tty || width <= 0 || height <= 0) return;
      // Absorbed: a resize racing the process's exit is no fault of the session.
      hooks.resize(width, height).catch(() => undefined);
    },
    done,
  };
}

/** Poll `probe` until it returns a value or the deadline passes (then `undefined`). */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, deadlineMs: number): Promise<T | undefined> {
  const deadline = Date.now() + deadlineMs;
  let delay = 5;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
    delay = Math.min(delay * 2, 200);
  }
}

/**
 * SIGKILL an exec'd process from the node, the only way the engine offers
 * (it has no API to signal an exec). Only when the pid is in the container's
 * cgroup: the engine's pid is this machine's, but a remote or rootless engine
 * would name another process namespace's pid. Returns whether it signalled.
 */
export function killExecProcess(pid: number, containerId: string): boolean {
  if (!(pid > 0)) return false;
  try {
    if (!readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(containerId)) return false;
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    // Gone already, or not ours to signal.
    return false;
  }
}
