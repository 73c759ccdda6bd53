/**
 * A small structured logger: one line per entry, `level name: message key=value`.
 * Components get a named child (`plugin/scheduler`).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

export interface LogSink {
  write(line: string): void;
}

function formatValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

export class ConsoleLogger implements Logger {
  constructor(
    private readonly name = 'skiff',
    private readonly level: LogLevel = (process.env.SKIFF_LOG_LEVEL as LogLevel) || 'info',
    private readonly sink: LogSink = process.stderr,
  ) {}

  private log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (LEVELS[level] < LEVELS[this.level]) return;
    const time = new Date().toISOString();
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${this.name}: ${message}`;
    if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${formatValue(v)}`;
    this.sink.write(line + '\n');
  }

  debug(m: string, f?: Record<string, unknown>) {
    this.log('debug', m, f);
  }
  info(m: string, f?: Record<string, unknown>) {
    this.log('info', m, f);
  }
  warn(m: string, f?: Record<string, unknown>) {
    this.log('warn', m, f);
  }
  error(m: string, f?: Record<string, unknown>) {
    this.log('error', m, f);
  }
  child(name: string): Logger {
    return new ConsoleLogger(name, this.level, this.sink);
  }
}

/** Discards everything (tests). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
