/**
 * The small slice of `sh` the simulated runtime understands, so that the
 * commands pod specs and probes commonly use (`sh -c 'touch /tmp/ready &&
 * sleep 3600'`, `[ -f /tmp/healthy ]`, `echo hi > /tmp/x; exit 3`) behave
 * without a real shell: simple commands with words in single or double
 * quotes, `$NAME` / `${NAME}` from the environment, `;`, `&&`, `||`,
 * newlines, and output redirection (`>`, `>>`, `2>`, `2>&1`, `&>`).
 *
 * Anything else (pipes, `&`, loops, conditionals, subshells, command
 * substitution) is reported as unsupported rather than guessed at.
 */

/** Where a command's output goes instead of the process's stdout/stderr. */
export interface Redirect {
  /** 1 (stdout), 2 (stderr), or 0 for both (`&>`). */
  readonly fd: 0 | 1 | 2;
  readonly append: boolean;
  /** A file path, or the other stream (`2>&1`: fd 2 goes where fd 1 goes). */
  readonly target: { readonly path: string } | { readonly fd: 1 | 2 };
}

export interface SimpleCommand {
  readonly argv: readonly string[];
  readonly redirects: readonly Redirect[];
}

/** One command of a list and how it is joined to the one before (`;`, `&&`, `||`). */
export interface ListItem {
  readonly op: ';' | '&&' | '||';
  readonly command: SimpleCommand;
}

export type Script = readonly ListItem[];

export type ParseResult = { readonly script: Script } | { readonly unsupported: string };

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash']);

export function basename(program: string): string {
  return program.slice(program.lastIndexOf('/') + 1);
}

/**
 * Read a process's argv: `sh -c <script> [$0 ...]` is parsed as a script;
 * anything else is one simple command with its words taken as they are
 * (exec form: no shell, no expansion).
 */
export function parseArgv(argv: readonly string[], env: (name: string) => string | undefined): ParseResult {
  if (argv.length >= 3 && SHELLS.has(basename(argv[0]!)) && argv[1] === '-c') return parseScript(argv[2]!, env);
  if (argv.length === 2 && SHELLS.has(basename(argv[0]!)) && argv[1] === '-c') return { unsupported: `${argv[0]}: -c: option requires an argument` };
  return { script: [{ op: ';', command: { argv: [...argv], redirects: [] } }] };
}

type Token = { readonly kind: 'word'; readonly text: string } | { readonly kind: 'op'; readonly op: ';' | '&&' | '||' } | { readonly kind: 'redirect'; readonly redirect: Omit<Redirect, 'target'>; readonly toFd?: 1 | 2 };

/** Parse `sh -c` text into a list of simple commands. */
export function parseScript(text: string, env: (name: string) => string | undefined): ParseResult {
  const tokens = tokenize(text, env);
  if ('unsupported' in tokens) return tokens;
  const script: ListItem[] = [];
  let op: ListItem['op'] = ';';
  let argv: string[] = [];
  let redirects: Redirect[] = [];
  const finish = (): void => {
    if (argv.length > 0) script.push({ op, command: { argv, redirects } });
    else if (redirects.length > 0) script.push({ op, command: { argv: [':'], redirects } });
    argv = [];
    redirects = [];
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'word') {
      if (argv.length === 0 && KEYWORDS.has(token.text)) return { unsupported: `shell keyword ${JSON.stringify(token.text)}` };
      argv.push(token.text);
    } else if (token.kind === 'redirect') {
      if (token.toFd !== undefined) {
        redirects.push({ ...token.redirect, target: { fd: token.toFd } });
        continue;
      }
      const next = tokens[i + 1];
      if (!next || next.kind !== 'word') return { unsupported: 'a redirection without a file' };
      redirects.push({ ...token.redirect, target: { path: next.text } });
      i++;
    } else {
      if (argv.length === 0 && redirects.length === 0 && token.op !== ';') return { unsupported: `${token.op} without a command before it` };
      finish();
      op = token.op;
    }
  }
  if (argv.length === 0 && redirects.length === 0 && op !== ';') return { unsupported: `${op} without a command after it` };
  finish();
  return { script };
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', 'function', '{', '}', '!']);

function tokenize(text: string, env: (name: string) => string | undefined): Token[] | { unsupported: string } {
  const tokens: Token[] = [];
  let word = '';
  /** Whether the current word exists (an empty quoted string is a word). */
  let inWord = false;
  /** Whether the current word is only unquoted digits (a redirection's fd: `2>`). */
  let plainDigits = true;
  const endWord = (): void => {
    if (inWord) tokens.push({ kind: 'word', text: word });
    word = '';
    inWord = false;
    plainDigits = true;
  };
  const append = (chunk: string, quoted: boolean): void => {
    word += chunk;
    inWord = true;
    if (quoted || !/^\d*$/.test(chunk)) plainDigits = false;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '\n' || c === ';') {
      endWord();
      tokens.push({ kind: 'op', op: ';' });
      i++;
    } else if (c === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '&' && text[i + 1] === '&') {
      endWord();
      tokens.push({ kind: 'op', op: '&&' });
      i += 2;
    } else if (c === '|' && text[i + 1] === '|') {
      endWord();
      tokens.push({ kind: 'op', op: '||' });
      i += 2;
    } else if (c === '&' && text[i + 1] === '>') {
      endWord();
      const appendMode = text[i + 2] === '>';
      tokens.push({ kind: 'redirect', redirect: { fd: 0, append: appendMode } });
      i += appendMode ? 3 : 2;
    } else if (c === '>') {
      let fd: 1 | 2 = 1;
      if (inWord && plainDigits && (word === '1' || word === '2')) {
        fd = word === '2' ? 2 : 1;
        word = '';
        inWord = false;
      } else if (inWord && plainDigits) {
        return { unsupported: `redirection of file descriptor ${word}` };
      }
      endWord();
      const appendMode = text[i + 1] === '>';
      i += appendMode ? 2 : 1;
      if (text[i] === '&') {
        const to = text[i + 1];
        if (to !== '1' && to !== '2') return { unsupported: 'redirection to a file descriptor other than 1 or 2' };
        tokens.push({ kind: 'redirect', redirect: { fd, append: appendMode }, toFd: to === '2' ? 2 : 1 });
        i += 2;
      } else {
        tokens.push({ kind: 'redirect', redirect: { fd, append: appendMode } });
      }
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { unsupported: 'an unterminated single quote' };
      append(text.slice(i + 1, end), true);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let chunk = '';
      for (;;) {
        if (j >= text.length) return { unsupported: 'an unterminated double quote' };
        const d = text[j]!;
        if (d === '"') break;
        if (d === '\\' && j + 1 < text.length && '"\\$`\n'.includes(text[j + 1]!)) {
          if (text[j + 1] !== '\n') chunk += text[j + 1];
          j += 2;
        } else if (d === '$') {
          const expanded = expand(text, j, env);
          if ('unsupported' in expanded) return expanded;
          chunk += expanded.value;
          j = expanded.end;
        } else if (d === '`') {
          return { unsupported: 'command substitution' };
        } else {
          chunk += d;
          j++;
        }
      }
      append(chunk, true);
      i = j + 1;
    } else if (c === '\\') {
      if (i + 1 < text.length && text[i + 1] !== '\n') append(text[i + 1]!, true);
      i += 2;
    } else if (c === '$') {
      const expanded = expand(text, i, env);
      if ('unsupported' in expanded) return expanded;
      // Unquoted expansions split into words on blanks, as sh does.
      const parts = expanded.value.split(/[ \t\n]+/);
      parts.forEach((part, k) => {
        if (k > 0) endWord();
        if (part !== '') append(part, true);
      });
      i = expanded.end;
    } else if (c === '|' || c === '&' || c === '(' || c === ')' || c === '<' || c === '`') {
      const what: Record<string, string> = { '|': 'a pipe', '&': 'a background job', '(': 'a subshell', ')': 'a subshell', '<': 'input redirection', '`': 'command substitution' };
      return { unsupported: what[c]! };
    } else {
      append(c, false);
      i++;
    }
  }
  endWord();
  return tokens;
}

/** Expand `$NAME`, `${NAME}` or `$?`-style specials at `start` (which holds `$`). */
function expand(text: string, start: number, env: (name: string) => string | undefined): { value: string; end: number } | { unsupported: string } {
  const next = text[start + 1];
  if (next === '{') {
    const close = text.indexOf('}', start + 2);
    if (close < 0) return { unsupported: 'an unterminated ${' };
    const name = text.slice(start + 2, close);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return { unsupported: `parameter expansion \${${name}}` };
    return { value: env(name) ?? '', end: close + 1 };
  }
  if (next === '(') return { unsupported: 'command substitution' };
  const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(start + 1));
  if (!match) {
    if (next !== undefined && /[?$!#@*0-9-]/.test(next)) return { unsupported: `the special parameter $${next}` };
    return { value: '$', end: start + 1 };
  }
  return { value: env(match[0]) ?? '', end: start + 1 + match[0].length };
}
