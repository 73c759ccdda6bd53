/**
 * The simulated commands: what a simulated container's main process and
 * `exec` sessions can run. They act on a per-container set of files (so
 * probe scenarios work: `touch /tmp/healthy`, then `test -e /tmp/healthy`),
 * on the container's environment, and on simulated time (`sleep` waits on
 * the node's timer queue, not the wall clock).
 *
 * Outcomes are exit codes, as a shell's are. The one difference between a
 * main process and an exec session is what an unknown command means: in
 * exec it is exit 127 with a clear message; as a main process it stands for
 * a program the simulator cannot know (a server), which runs until stopped.
 */
import type { Readable } from 'node:stream';
import { basename, parseArgv, type Redirect, type Script, type SimpleCommand } from './shell';

/** A container's files: path to content. */
export type SimulatedFiles = Map<string, string>;

/** A process ran forever (until killed): a main process the simulator cannot finish. */
export const RUNS_UNTIL_STOPPED = 'runs-until-stopped' as const;

export type ProcessOutcome = number | typeof RUNS_UNTIL_STOPPED;

export interface ProcessContext {
  /** The container's files (created on first write). */
  files(create: boolean): SimulatedFiles | undefined;
  env(name: string): string | undefined;
  /** Every variable, for `env`. */
  environment(): ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly workingDir: string;
  readonly hostname: string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Data sent to the process, if any (exec -i, or an attached client). */
  readonly stdin?: Readable;
  /** Wait `ms` of simulated time (Infinity: until killed); rejects when the process is killed. */
  sleep(ms: number): Promise<void>;
  /** Something other than a sleep woke the process (stdin data): its time is now the clock's. */
  woke(): void;
  /** Main process (unknown commands run until stopped) or exec (unknown commands exit 127). */
  readonly main: boolean;
}

export function notSupported(argv: readonly string[]): string {
  return `simulated runtime: command not supported: ${argv.map(quoteWord).join(' ')}\n`;
}

function quoteWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Run a process given as argv (exec form, or `sh -c ...`). */
export async function runProcess(argv: readonly string[], ctx: ProcessContext): Promise<ProcessOutcome> {
  const parsed = parseArgv(argv, (name) => ctx.env(name));
  if ('unsupported' in parsed) {
    if (ctx.main) return RUNS_UNTIL_STOPPED;
    ctx.stderr(`simulated runtime: command not supported: ${argv.map(quoteWord).join(' ')} (${parsed.unsupported})\n`);
    return 127;
  }
  return runScript(parsed.script, ctx);
}

class ExitRequest {
  constructor(readonly code: number) {}
}

async function runScript(script: Script, ctx: ProcessContext): Promise<ProcessOutcome> {
  let status = 0;
  try {
    for (const item of script) {
      if (item.op === '&&' && status !== 0) continue;
      if (item.op === '||' && status === 0) continue;
      const outcome = await runSimple(item.command, ctx, status);
      if (outcome === RUNS_UNTIL_STOPPED) return outcome;
      status = outcome;
    }
  } catch (err) {
    if (err instanceof ExitRequest) return err.code;
    throw err;
  }
  return status;
}

/** Apply a command's redirections: output to files (created as written), `/dev/null`, or the other stream. */
function redirected(command: SimpleCommand, ctx: ProcessContext): ProcessContext {
  if (command.redirects.length === 0) return ctx;
  let out = (text: string): void => ctx.stdout(text);
  let err = (text: string): void => ctx.stderr(text);
  for (const r of command.redirects) {
    const sink = r.target && 'path' in r.target ? fileSink(r, ctx) : r.target.fd === 1 ? out : err;
    if (r.fd === 0 || r.fd === 1) out = sink;
    if (r.fd === 0 || r.fd === 2) err = sink;
  }
  return { ...bind(ctx), stdout: out, stderr: err };
}

/** A plain copy of the context (callers may pass class instances, whose methods a spread would drop). */
function bind(ctx: ProcessContext): ProcessContext {
  return {
    files: (create) => ctx.files(create),
    env: (name) => ctx.env(name),
    environment: () => ctx.environment(),
    workingDir: ctx.workingDir,
    hostname: ctx.hostname,
    stdout: (text) => ctx.stdout(text),
    stderr: (text) => ctx.stderr(text),
    stdin: ctx.stdin,
    sleep: (ms) => ctx.sleep(ms),
    woke: () => ctx.woke(),
    main: ctx.main,
  };
}

function fileSink(r: Redirect, ctx: ProcessContext): (text: string) => void {
  const path = resolvePath((r.target as { path: string }).path, ctx.workingDir);
  if (path === '/dev/null') return () => undefined;
  const files = ctx.files(true)!;
  if (!r.append) files.set(path, '');
  else if (!files.has(path)) files.set(path, '');
  return (text) => files.set(path, (files.get(path) ?? '') + text);
}

/** An absolute, normalized path (`.` and `..` resolved) against the working directory. */
export function resolvePath(path: string, workingDir: string): string {
  const full = path.startsWith('/') ? path : `${workingDir.replace(/\/+$/, '')}/${path}`;
  const parts: string[] = [];
  for (const part of full.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return '/' + parts.join('/');
}

function exitStatus(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text)) return undefined;
  return ((Number(text) % 256) + 256) % 256;
}

/** `sleep` durations: seconds with an optional s/m/h/d suffix, several summed, or `infinity`. */
export function parseSleep(args: readonly string[]): number | undefined {
  if (args.length === 0) return undefined;
  let total = 0;
  for (const arg of args) {
    if (arg === 'infinity' || arg === 'inf') return Infinity;
    const match = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
    if (!match) return undefined;
    const unit = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
    total += Number(match[1]) * unit;
  }
  return Math.round(total);
}

async function runSimple(command: SimpleCommand, outer: ProcessContext, lastStatus: number): Promise<ProcessOutcome> {
  const ctx = redirected(command, outer);
  const [program = '', ...args] = command.argv;
  const name = basename(program);
  const files = (): SimulatedFiles | undefined => ctx.files(false);
  const path = (p: string): string => resolvePath(p, ctx.workingDir);
  switch (name) {
    case 'true':
    case ':':
      return 0;
    case 'false':
      return 1;
    case 'exit': {
      const code = exitStatus(args[0], lastStatus);
      if (code === undefined) {
        ctx.stderr(`sh: exit: Illegal number: ${args[0]}\n`);
        throw new ExitRequest(2);
      }
      throw new ExitRequest(code);
    }
    case 'exec':
      // `exec cmd` replaces the shell: the same as running cmd last.
      if (args.length === 0) return 0;
      {
        const outcome = await runSimple({ argv: args, redirects: [] }, ctx, lastStatus);
        if (outcome === RUNS_UNTIL_STOPPED) return outcome;
        throw new ExitRequest(outcome);
      }
    case 'echo': {
      const newline = args[0] !== '-n';
      ctx.stdout(args.slice(newline ? 0 : 1).join(' ') + (newline ? '\n' : ''));
      return 0;
    }
    case 'touch':
      if (args.length === 0) return usage(ctx, 'touch: missing file operand');
      for (const p of args) {
        const f = ctx.files(true)!;
        const at = path(p);
        if (!f.has(at)) f.set(at, '');
      }
      return 0;
    case 'rm': {
      const force = args.some((a) => /^-[a-zA-Z]*f/.test(a));
      const targets = args.filter((a) => !a.startsWith('-'));
      if (targets.length === 0) return force ? 0 : usage(ctx, 'rm: missing operand');
      let status = 0;
      for (const p of targets) {
        const at = path(p);
        const recursive = args.some((a) => /^-[a-zA-Z]*[rR]/.test(a));
        const f = files();
        let removed = f?.delete(at) ?? false;
        if (recursive && f) {
          for (const key of [...f.keys()]) if (key.startsWith(at === '/' ? '/' : `${at}/`)) removed = f.delete(key) || removed;
        }
        if (!removed && !force) {
          ctx.stderr(`rm: can't remove '${p}': No such file or directory\n`);
          status = 1;
        }
      }
      return status;
    }
    case 'cat': {
      if (args.length === 0) {
        if (ctx.stdin) {
          try {
            for await (const chunk of ctx.stdin) {
              ctx.woke();
              ctx.stdout(String(chunk));
            }
          } catch {
            // A client's stdin that fails (it went away) ends the input, as a closed pipe would.
          }
          ctx.woke();
        }
        return 0;
      }
      let status = 0;
      for (const p of args) {
        const content = files()?.get(path(p));
        if (content === undefined) {
          ctx.stderr(`cat: can't open '${p}': No such file or directory\n`);
          status = 1;
        } else ctx.stdout(content);
      }
      return status;
    }
    case 'test':
      return test(args, ctx, path);
    case '[':
      if (args[args.length - 1] !== ']') {
        ctx.stderr('[: missing ]\n');
        return 2;
      }
      return test(args.slice(0, -1), ctx, path);
    case 'sleep': {
      const ms = parseSleep(args);
      if (ms === undefined) return usage(ctx, `sleep: invalid number '${args.join(' ')}'`);
      if (ms === Infinity && ctx.main) return RUNS_UNTIL_STOPPED;
      await ctx.sleep(ms);
      return 0;
    }
    case 'env':
    case 'printenv':
      if (args.length > 0 && name === 'printenv') {
        let status = 0;
        for (const variable of args) {
          const value = ctx.env(variable);
          if (value === undefined) status = 1;
          else ctx.stdout(`${value}\n`);
        }
        return status;
      }
      if (args.length > 0) break;
      for (const { name: key, value } of ctx.environment()) ctx.stdout(`${key}=${value}\n`);
      return 0;
    case 'hostname':
      if (args.length > 0) break;
      ctx.stdout(`${ctx.hostname}\n`);
      return 0;
    case 'sh':
    case 'bash':
    case 'ash':
    case 'dash':
      if (args[0] === '-c') return runProcess(command.argv, ctx);
      break;
  }
  if (ctx.main) return RUNS_UNTIL_STOPPED;
  ctx.stderr(notSupported(command.argv));
  return 127;
}

function usage(ctx: ProcessContext, message: string): number {
  ctx.stderr(`${message}\n`);
  return 1;
}

/** `test` / `[`: file tests against the simulated files, string tests, `=` and `!=`. */
function test(args: readonly string[], ctx: ProcessContext, path: (p: string) => string): number {
  const files = ctx.files(false);
  const exists = (p: string): boolean => isDirectory(path(p), files) || (files?.has(path(p)) ?? false);
  const truth = (value: boolean): number => (value ? 0 : 1);
  if (args.length === 0) return 1;
  if (args[0] === '!') return args.length === 1 ? 1 : 1 - test(args.slice(1), ctx, path);
  if (args.length === 1) return truth(args[0] !== '');
  if (args.length === 2) {
    const [flag, operand] = args as [string, string];
    switch (flag) {
      case '-e':
        return truth(exists(operand));
      case '-f':
        return truth(files?.has(path(operand)) ?? false);
      case '-d':
        return truth(isDirectory(path(operand), files));
      case '-s':
        return truth((files?.get(path(operand))?.length ?? 0) > 0);
      case '-r':
      case '-w':
        return truth(exists(operand));
      case '-z':
        return truth(operand === '');
      case '-n':
        return truth(operand !== '');
    }
  }
  if (args.length === 3 && (args[1] === '=' || args[1] === '==')) return truth(args[0] === args[2]);
  if (args.length === 3 && args[1] === '!=') return truth(args[0] !== args[2]);
  ctx.stderr(`simulated runtime: test: expression not supported: ${args.join(' ')}\n`);
  return 2;
}

/**
 * Directories exist implicitly: `/`, the usual top-level ones, and every
 * parent of a simulated file.
 */
function isDirectory(p: string, files: SimulatedFiles | undefined): boolean {
  if (STANDARD_DIRECTORIES.has(p)) return true;
  if (!files) return false;
  const prefix = `${p}/`;
  for (const key of files.keys()) if (key.startsWith(prefix)) return true;
  return false;
}

const STANDARD_DIRECTORIES = new Set(['/', '/bin', '/dev', '/etc', '/home', '/proc', '/root', '/sys', '/tmp', '/usr', '/usr/bin', '/var', '/var/run', '/run']);
