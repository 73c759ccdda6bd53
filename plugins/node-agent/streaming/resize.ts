/**
 * Terminal size changes from the resize channel. Clients write one JSON
 * object per change (`{"Width":80,"Height":24}`, newline-terminated by Go's
 * json.Encoder); over SPDY they arrive as a byte stream, so objects may be
 * split or joined across frames.
 */

export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/** A resize stream longer than this without a complete object is not a resize stream. */
const MAX_PENDING = 4096;

/**
 * Splits a byte stream into JSON objects and reads Width/Height from each.
 * Like the kubelet's decoder loop it stops at the first thing that is not a
 * size (and ignores what follows) rather than failing the session: resizing
 * is a courtesy, the command runs either way.
 */
export class TerminalSizeDecoder {
  private pending = '';
  private broken = false;

  /** The sizes completed by this chunk, oldest first. */
  push(chunk: Buffer): TerminalSize[] {
    if (this.broken) return [];
    this.pending += chunk.toString('utf8');
    const sizes: TerminalSize[] = [];
    for (;;) {
      this.pending = this.pending.trimStart();
      if (this.pending === '') break;
      if (this.pending[0] !== '{') return this.fail(sizes);
      const end = objectEnd(this.pending);
      if (end < 0) {
        if (this.pending.length > MAX_PENDING) return this.fail(sizes);
        break;
      }
      const text = this.pending.slice(0, end);
      this.pending = this.pending.slice(end);
      const size = parseSize(text);
      if (!size) return this.fail(sizes);
      sizes.push(size);
    }
    return sizes;
  }

  private fail(sizes: TerminalSize[]): TerminalSize[] {
    this.broken = true;
    this.pending = '';
    return sizes;
  }
}

/** Index just past the `}` closing the object at the start of `text`, or -1 if it is not complete yet. */
function objectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/** Go decodes struct fields case-insensitively, so `width` is as good as `Width`; sizes are uint16. */
function parseSize(text: string): TerminalSize | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  let width = 0;
  let height = 0;
  for (const [key, v] of Object.entries(value)) {
    const k = key.toLowerCase();
    if (k !== 'width' && k !== 'height') continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) return undefined;
    if (k === 'width') width = v;
    else height = v;
  }
  return { width, height };
}

/**
 * Sizes fanned out to the handler's listeners. A listener registered late
 * first hears the latest size, so the initial size the client sends right
 * after connecting is never lost to a handler still setting up.
 */
export class TerminalSizes {
  private readonly decoder = new TerminalSizeDecoder();
  private readonly listeners: Array<(size: TerminalSize) => void> = [];
  private latest?: TerminalSize;

  /** Bytes from the resize channel. */
  push(chunk: Buffer): void {
    for (const size of this.decoder.push(chunk)) {
      this.latest = size;
      for (const listener of [...this.listeners]) deliver(listener, size);
    }
  }

  listen(listener: (size: TerminalSize) => void): void {
    this.listeners.push(listener);
    if (this.latest) deliver(listener, this.latest);
  }

  /** Forget the listeners (the session is over). */
  clear(): void {
    this.listeners.length = 0;
  }
}

function deliver(listener: (size: TerminalSize) => void, size: TerminalSize): void {
  try {
    listener(size);
  } catch {
    // A listener's fault is the handler's; it must not break the connection that carries the other streams.
  }
}
