/**
 * A container's log: the last N lines only, in a ring, so a chatty simulated
 * container costs the same as a quiet one, and thousands of them fit in a
 * laptop's memory. Lines carry their clock time; timestamps are printed the
 * way the Docker engine prints them (RFC 3339 with nanoseconds, always nine
 * digits, UTC).
 */

export interface LogLine {
  /** Clock milliseconds. */
  readonly time: number;
  readonly stream: 'stdout' | 'stderr';
  /** Without the newline. */
  readonly text: string;
}

export class LogRing {
  private lines: LogLine[] = [];
  /** Index of the oldest line once the ring is full. */
  private start = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.lines.length;
  }

  push(line: LogLine): void {
    if (this.capacity === 0) return;
    if (this.lines.length < this.capacity) {
      this.lines.push(line);
      return;
    }
    this.lines[this.start] = line;
    this.start = (this.start + 1) % this.capacity;
  }

  /** The lines kept, oldest first. */
  toArray(): LogLine[] {
    return this.start === 0 ? this.lines.slice() : [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
  }
}

/** `2024-01-01T00:00:00.123000000Z`: Docker's RFC3339NanoFixed in UTC (the clock has millisecond resolution). */
export function formatLogTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-01-01T00:00:00.123Z
  return `${iso.slice(0, 23)}000000Z`;
}

/** Which of `lines` a log request wants: since a time, then the last `tailLines`. */
export function selectLines(lines: readonly LogLine[], options: { readonly since?: Date; readonly tailLines?: number }): readonly LogLine[] {
  let selected = lines;
  if (options.since) {
    const since = options.since.getTime();
    selected = selected.filter((l) => l.time >= since);
  }
  if (options.tailLines !== undefined) selected = options.tailLines <= 0 ? [] : selected.slice(-options.tailLines);
  return selected;
}

/** One line as the log stream carries it (with its timestamp when asked). */
export function renderLine(line: LogLine, timestamps: boolean): string {
  return timestamps ? `${formatLogTimestamp(line.time)} ${line.text}\n` : `${line.text}\n`;
}
