/**
 * Docker's stream framing. Without a tty, attach, exec and logs interleave
 * stdout and stderr on one connection, each write as a frame: an 8-byte
 * header (stream: 1 stdout, 2 stderr; three zero bytes; big-endian uint32
 * length) and the payload. With a tty the bytes come raw.
 *
 * docker-modem has a demultiplexer, but it writes without waiting for the
 * targets to drain and gives no signal when the last frame is written; a
 * session must do both (a slow kubectl must slow the container's output, and
 * the exit code is reported after the output), hence these few lines.
 */
import type { Readable, Writable } from 'node:stream';

export interface Frame {
  /** 0 stdin (never from the engine), 1 stdout, 2 stderr. */
  readonly stream: number;
  readonly payload: Buffer;
}

/** Cuts a byte stream into frames; partial frames wait for the next chunk. */
export class FrameParser {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUInt32BE(4);
      if (this.buffer.length < 8 + length) break;
      frames.push({ stream: this.buffer[0]!, payload: this.buffer.subarray(8, 8 + length) });
      this.buffer = this.buffer.subarray(8 + length);
    }
    return frames;
  }

  /** Bytes of an incomplete frame left over. */
  get pending(): number {
    return this.buffer.length;
  }
}

/** Write with backpressure: resolves once `target` can take more (or is gone, which ends nothing: the session decides). */
export function writeTo(target: Writable, chunk: Buffer): Promise<void> | undefined {
  if (target.destroyed || target.writableEnded) return undefined;
  if (target.write(chunk)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      target.off('drain', done);
      target.off('close', done);
      target.off('error', done);
      resolve();
    };
    target.on('drain', done);
    target.on('close', done);
    target.on('error', done);
  });
}

/**
 * Copy a session's output into the caller's writables (never ending them:
 * the caller closes its channels after it reports the exit code). Resolves
 * when the source ends or is destroyed.
 */
export async function copyOutput(source: Readable, multiplexed: boolean, stdout?: Writable, stderr?: Writable): Promise<void> {
  const parser = new FrameParser();
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (!multiplexed) {
        if (stdout) await writeTo(stdout, chunk);
        continue;
      }
      for (const frame of parser.push(chunk)) {
        const target = frame.stream === 2 ? stderr : stdout;
        if (target) await writeTo(target, frame.payload);
      }
    }
  } catch {
    // The connection was destroyed (abort, close, the engine went away): the
    // output ends there; the exit code says the rest.
  }
}
