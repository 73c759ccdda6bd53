/**
 * JSON syntax errors worded as Go's encoding/json reports them (`invalid
 * character '}' after object key`, `unexpected end of JSON input`), because
 * Kubernetes puts that text in its 400 answers and users search for it. The
 * scanner mirrors encoding/json's scanner.go state machine over the bytes.
 */

type Step = (c: number) => Step | SyntaxFault;
type Context = 'key' | 'value' | 'array';

class SyntaxFault {
  constructor(readonly message: string) {}
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** Go's quoteChar: the byte as a Go-quoted rune in single quotes. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\' };
  if (named[c]) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // A byte above 0x7f is a rune U+0080..U+00FF to Go's string(byte).
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

/**
 * The message Go's json.Unmarshal gives for a syntax error in `data`, or
 * undefined when `data` is syntactically valid JSON.
 */
export function goJsonSyntaxError(data: Uint8Array): string | undefined {
  const stack: Context[] = [];
  let endTop = false;
  const fail = (c: number, context: string) => new SyntaxFault(`invalid character ${quoteChar(c)} ${context}`);

  const endValue: Step = (c) => {
    const n = stack.length;
    if (n === 0) {
      endTop = true;
      return endOfTop(c);
    }
    if (isSpace(c)) return endValue;
    switch (stack[n - 1]) {
      case 'key':
        if (c === 0x3a) {
          stack[n - 1] = 'value';
          return beginValue;
        }
        return fail(c, 'after object key');
      case 'value':
        if (c === 0x2c) {
          stack[n - 1] = 'key';
          return beginString;
        }
        if (c === 0x7d) return pop();
        return fail(c, 'after object key:value pair');
      case 'array':
        if (c === 0x2c) return beginValue;
        if (c === 0x5d) return pop();
        return fail(c, 'after array element');
    }
  };
  const pop = (): Step => {
    stack.pop();
    if (stack.length === 0) {
      endTop = true;
      return endOfTop;
    }
    return endValue;
  };
  const endOfTop: Step = (c) => (isSpace(c) ? endOfTop : fail(c, 'after top-level value'));
  const beginValue: Step = (c) => {
    if (isSpace(c)) return beginValue;
    switch (c) {
      case 0x7b:
        stack.push('key');
        return beginStringOrEmpty;
      case 0x5b:
        stack.push('array');
        return beginValueOrEmpty;
      case 0x22:
        return inString;
      case 0x2d:
        return neg;
      case 0x30:
        return zero;
      case 0x74:
        return literal('true', 1);
      case 0x66:
        return literal('false', 1);
      case 0x6e:
        return literal('null', 1);
    }
    if (c >= 0x31 && c <= 0x39) return one;
    return fail(c, 'looking for beginning of value');
  };
  const beginValueOrEmpty: Step = (c) => {
    if (isSpace(c)) return beginValueOrEmpty;
    if (c === 0x5d) return pop();
    return beginValue(c);
  };
  const beginStringOrEmpty: Step = (c) => {
    if (isSpace(c)) return beginStringOrEmpty;
    if (c === 0x7d) {
      stack[stack.length - 1] = 'value';
      return endValue(c);
    }
    return beginString(c);
  };
  const beginString: Step = (c) => {
    if (isSpace(c)) return beginString;
    if (c === 0x22) return inString;
    return fail(c, 'looking for beginning of object key string');
  };
  const inString: Step = (c) => {
    if (c === 0x22) return endValue;
    if (c === 0x5c) return inEscape;
    if (c < 0x20) return fail(c, 'in string literal');
    return inString;
  };
  const inEscape: Step = (c) => {
    if ('bfnrt\\/"'.includes(String.fromCharCode(c))) return inString;
    if (c === 0x75) return hex(4);
    return fail(c, 'in string escape code');
  };
  const hex =
    (left: number): Step =>
    (c) => {
      if (!isHex(c)) return fail(c, 'in \\u hexadecimal character escape');
      return left === 1 ? inString : hex(left - 1);
    };
  const neg: Step = (c) => {
    if (c === 0x30) return zero;
    if (c >= 0x31 && c <= 0x39) return one;
    return fail(c, 'in numeric literal');
  };
  const one: Step = (c) => (isDigit(c) ? one : zero(c));
  const zero: Step = (c) => {
    if (c === 0x2e) return dot;
    if (c === 0x65 || c === 0x45) return exponent;
    return endValue(c);
  };
  const dot: Step = (c) => (isDigit(c) ? dotDigits : fail(c, 'after decimal point in numeric literal'));
  const dotDigits: Step = (c) => {
    if (isDigit(c)) return dotDigits;
    if (c === 0x65 || c === 0x45) return exponent;
    return endValue(c);
  };
  const exponent: Step = (c) => (c === 0x2b || c === 0x2d ? exponentSign : exponentSign(c));
  const exponentSign: Step = (c) => (isDigit(c) ? exponentDigits : fail(c, 'in exponent of numeric literal'));
  const exponentDigits: Step = (c) => (isDigit(c) ? exponentDigits : endValue(c));
  const literal =
    (word: string, at: number): Step =>
    (c) => {
      if (c !== word.charCodeAt(at)) return fail(c, `in literal ${word} (expecting ${quoteChar(word.charCodeAt(at))})`);
      return at === word.length - 1 ? endValue : literal(word, at + 1);
    };

  let step: Step = beginValue;
  for (const c of data) {
    const next = step(c);
    if (next instanceof SyntaxFault) return next.message;
    step = next;
  }
  if (endTop) return undefined;
  // End of input, as Go's scanner.eof(): a space completes a final number; a cut literal reports that space.
  const last = step(0x20);
  if (last instanceof SyntaxFault) return last.message;
  return endTop ? undefined : 'unexpected end of JSON input';
}
