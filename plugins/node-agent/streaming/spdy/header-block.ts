/**
 * SPDY/3 header compression: each direction of a connection is one zlib
 * stream, primed with the dictionary from the SPDY/3 specification and
 * flushed (Z_SYNC_FLUSH) at the end of every header block, so a block can be
 * decoded only after all the blocks before it.
 *
 * The dictionary is not retyped here: it is read from spdy-transport (a
 * dependency), whose copy is the specification's. A wrong dictionary would be
 * caught by kubectl at once — zlib checks the dictionary's Adler-32 — and by
 * this module's tests, which pin that checksum.
 */
import * as zlib from 'node:zlib';
import { SpdyProtocolError } from './frames';

/** spdy-transport ships no types; the module is a map from SPDY version to its dictionary. */
const SPDY3_DICTIONARY: Buffer = (require('spdy-transport/lib/spdy-transport/protocol/spdy/dictionary') as Record<string, Buffer>)['3'];

export function spdy3Dictionary(): Buffer {
  return SPDY3_DICTIONARY;
}

/** No sane header block comes near this; a zlib bomb would. */
const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

/**
 * One direction's zlib stream, used one block at a time (blocks must be
 * processed in the order they are on the wire).
 */
class BlockCoder {
  private queue: Promise<unknown> = Promise.resolve();
  private output: Buffer[] = [];
  private outputBytes = 0;
  private failure?: Error;
  private current?: (err: Error) => void;

  constructor(private readonly stream: zlib.Deflate | zlib.Inflate) {
    stream.on('data', (chunk: Buffer) => {
      this.output.push(chunk);
      this.outputBytes += chunk.length;
      if (this.outputBytes > MAX_HEADER_BLOCK_BYTES && !this.failure) {
        // Recorded at once: the flush callback may run before the 'error' event that destroy() schedules.
        this.failure = new SpdyProtocolError(`a header block inflates to more than ${MAX_HEADER_BLOCK_BYTES} bytes`);
        this.current?.(this.failure);
        stream.destroy(this.failure);
      }
    });
    stream.on('error', (err: Error) => {
      this.failure ??= err;
      this.current?.(this.failure);
    });
  }

  process(block: Buffer): Promise<Buffer> {
    const run = () =>
      new Promise<Buffer>((resolve, reject) => {
        if (this.failure) {
          reject(this.failure);
          return;
        }
        this.current = reject;
        this.stream.write(block);
        // The output of everything written so far is emitted before the flush completes.
        this.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          this.current = undefined;
          const out = Buffer.concat(this.output, this.outputBytes);
          this.output = [];
          this.outputBytes = 0;
          if (this.failure) reject(this.failure);
          else resolve(out);
        });
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** The two zlib contexts of one connection. */
export class HeaderCompression {
  private readonly deflate = new BlockCoder(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly inflate = new BlockCoder(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }));

  compress(block: Buffer): Promise<Buffer> {
    return this.deflate.process(block);
  }

  async decompress(block: Buffer): Promise<Buffer> {
    try {
      return await this.inflate.process(block);
    } catch (err) {
      if (err instanceof SpdyProtocolError) throw err;
      throw new SpdyProtocolError(`cannot decompress a header block: ${(err as Error).message}`, { cause: err });
    }
  }

  close(): void {
    this.deflate.close();
    this.inflate.close();
  }
}
