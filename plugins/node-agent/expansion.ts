/**
 * `$(VAR)` expansion in env values, command, args and subPathExpr, exactly as
 * Kubernetes' third_party/forked/golang/expansion does it:
 *
 * - `$(NAME)` becomes the variable's value when NAME is defined, and stays
 *   `$(NAME)` literally when it is not;
 * - `$$` is an escaped `$` (so `$$(NAME)` yields `$(NAME)`);
 * - any other `$` is kept as written, as is an unterminated `$(`.
 */

const OPERATOR = '$';
const OPENER = '(';
const CLOSER = ')';

/** Look a name up in each map in turn; an unknown name expands to itself, `$(NAME)`. */
export function mappingFuncFor(...contexts: ReadonlyArray<Readonly<Record<string, string>> | ReadonlyMap<string, string>>): (name: string) => string {
  return (name) => {
    for (const vars of contexts) {
      if (vars instanceof Map) {
        if (vars.has(name)) return vars.get(name)!;
      } else if (Object.prototype.hasOwnProperty.call(vars, name)) {
        return (vars as Record<string, string>)[name];
      }
    }
    return `${OPERATOR}${OPENER}${name}${CLOSER}`;
  };
}

/** Expand `input` with `mapping` (see the module comment for the rules). */
export function expand(input: string, mapping: (name: string) => string): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] === OPERATOR && cursor + 1 < input.length) {
      out += input.slice(checkpoint, cursor);
      const { read, isVar, advance } = tryReadVariableName(input.slice(cursor + 1));
      out += isVar ? mapping(read) : read;
      cursor += advance;
      checkpoint = cursor + 1;
    }
  }
  return out + input.slice(checkpoint);
}

function tryReadVariableName(input: string): { read: string; isVar: boolean; advance: number } {
  switch (input[0]) {
    case OPERATOR:
      // Escaped operator: `$$` is one `$`.
      return { read: input[0], isVar: false, advance: 1 };
    case OPENER:
      for (let i = 1; i < input.length; i++) {
        if (input[i] === CLOSER) return { read: input.slice(1, i), isVar: true, advance: i + 1 };
      }
      // Incomplete reference: keep it as written.
      return { read: OPERATOR + OPENER, isVar: false, advance: 1 };
    default:
      // A `$` that starts no expression: keep it and the character after it.
      return { read: OPERATOR + input[0], isVar: false, advance: 1 };
  }
}
