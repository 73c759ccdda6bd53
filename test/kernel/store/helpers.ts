/**
 * Shared by the store tests: temporary data directories and child processes
 * running fixture scripts (plain .js that load the TypeScript sources through
 * ../../support/register-ts.js).
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Make temporary directories and remove them all at the end of the file's tests. */
export function tempDirs(label: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `skiff-${label}-`));
    made.push(dir);
    return dir;
  };
}

export interface Fixture {
  readonly child: ChildProcessWithoutNullStreams;
  /** Complete stdout lines so far. */
  readonly lines: string[];
  /** Resolves when a line satisfies `predicate` (rejects if the child exits first). */
  waitForLine(predicate: (line: string, count: number) => boolean): Promise<void>;
  /** Resolves when the child has exited (and been reaped), with its code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function runFixture(script: string, args: string[]): Fixture {
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', script), ...args], { stdio: 'pipe' });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters: { predicate: (line: string, count: number) => boolean; resolve: () => void; reject: (e: Error) => void }[] = [];
  let ended = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.predicate(line, lines.length)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      ended = true;
      for (const w of waiters.splice(0)) w.reject(new Error(`${script} exited (${code ?? signal}) first: ${err}`));
      resolve({ code, signal });
    });
  });
  return {
    child,
    lines,
    exited,
    stderr: () => err,
    waitForLine(predicate) {
      return new Promise<void>((resolve, reject) => {
        if (lines.some((line, i) => predicate(line, i + 1))) return resolve();
        if (ended) return reject(new Error(`${script} already exited: ${err}`));
        waiters.push({ predicate, resolve, reject });
      });
    },
  };
}

/** A small deterministic PRNG (mulberry32), so a failing random test reproduces. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
