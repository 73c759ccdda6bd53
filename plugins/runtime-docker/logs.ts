/**
 * A container's log through the engine's logs API (json-file keeps every
 * line with its time), as text: stdout and stderr in the order written, each
 * line as the container wrote it, prefixed with the engine's RFC 3339 time
 * (`2024-05-01T10:00:00.123456789Z `, always nine digits) when asked. That is
 * byte for byte what `kubectl logs --timestamps` printed on Docker nodes.
 */
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { LogOptions } from '../../kernel/runtime/types';
import { FrameParser } from './demux';
import { isNotFound, runtimeError } from './errors';

/** The engine's `since`: Unix seconds with a nanosecond fraction. */
export function engineSince(date: Date): string {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return `${seconds}.${String(nanos).padStart(9, '0')}`;
}

/**
 * Open the log of `container` (whose `tty` says whether the engine frames it).
 * The result ends when the log does (at once without follow; when the
 * container stops with it), after `limitBytes`, on abort, or when the
 * consumer destroys it.
 */
export async function openLogs(docker: Docker, id: string, tty: boolean, options: LogOptions): Promise<Readable> {
  const query: Record<string, unknown> = {
    follow: options.follow,
    stdout: true,
    stderr: true,
    timestamps: options.timestamps,
    tail: options.tailLines !== undefined ? String(Math.max(0, options.tailLines)) : 'all',
  };
  if (options.since) query.since = engineSince(options.since);
  if (options.limitBytes !== undefined && options.limitBytes <= 0) return Readable.from([]);
  if (options.signal?.aborted) return Readable.from([]);

  // dockerode's logs() buffers the whole log unless following; dial streams it either way.
  const source = await new Promise<NodeJS.ReadableStream & Readable>((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/containers/${encodeURIComponent(id)}/logs?`,
        method: 'GET',
        isStream: true,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options: query,
      },
      (err: unknown, stream: unknown) => (err ? reject(err) : resolve(stream as NodeJS.ReadableStream & Readable)),
    );
  }).catch((err: unknown) => {
    throw runtimeError(isNotFound(err) ? `no container ${id}` : `cannot read the log of container ${id}`, err);
  });

  const parser = tty ? undefined : new FrameParser();
  let remaining = options.limitBytes ?? Infinity;
  let finished = false;
  const out = new Readable({
    read() {
      source.resume();
    },
    destroy(err, callback) {
      finish();
      callback(err);
    },
  });
  const finish = () => {
    if (finished) return;
    finished = true;
    options.signal?.removeEventListener('abort', onAbort);
    source.destroy();
  };
  const end = () => {
    if (finished) return;
    finish();
    out.push(null);
  };
  const onAbort = () => end();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const emit = (chunk: Buffer) => {
    if (finished) return;
    const piece = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
    remaining -= piece.length;
    if (piece.length > 0 && !out.push(piece)) source.pause();
    if (remaining <= 0) end();
  };
  source.on('data', (chunk: Buffer) => {
    if (!parser) return emit(chunk);
    for (const frame of parser.push(chunk)) emit(frame.payload);
  });
  source.on('end', end);
  source.on('close', end);
  source.on('error', (err: Error) => {
    if (finished) return;
    finish();
    out.destroy(runtimeError(`reading the log of container ${id} failed`, err));
  });
  return out;
}
