/**
 * Go's time.Duration text form, which metav1.Duration uses in JSON
 * (`"1m0s"`, `"1.5s"`, `"300ms"`): formatting as Duration.String does and
 * parsing as time.ParseDuration does. Values are nanoseconds.
 */

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** A fraction `v / 10^prec` as `.ddd` without trailing zeros (nothing when it is zero), and the integer part. */
function fraction(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let printed = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    printed ||= digit !== 0n;
    if (printed) digits = digit.toString() + digits;
    v /= 10n;
  }
  return [printed ? `.${digits}` : '', v];
}

export function formatGoDuration(nanoseconds: number | bigint): string {
  let u = BigInt(nanoseconds);
  const negative = u < 0n;
  if (negative) u = -u;
  let out: string;
  if (u < UNITS.s) {
    if (u === 0n) return '0s';
    const [unit, prec] = u < UNITS.us ? ['ns', 0] : u < UNITS.ms ? ['µs', 3] : ['ms', 6];
    const [frac, int] = fraction(u, prec);
    out = `${int}${frac}${unit}`;
  } else {
    const [frac, secondsTotal] = fraction(u, 9);
    const seconds = secondsTotal % 60n;
    const minutesTotal = secondsTotal / 60n;
    out = `${seconds}${frac}s`;
    if (minutesTotal > 0n) {
      out = `${minutesTotal % 60n}m${out}`;
      const hours = minutesTotal / 60n;
      if (hours > 0n) out = `${hours}h${out}`;
    }
  }
  return negative ? `-${out}` : out;
}

/** Parse a Go duration string to nanoseconds; throws on malformed input. */
export function parseGoDuration(text: string): bigint {
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw new Error(`invalid duration ${JSON.stringify(text)}`);
  let total = 0n;
  const part = /^([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m || (m[1] === '' && !m[2])) throw new Error(`invalid duration ${JSON.stringify(text)}`);
    const unit = UNITS[m[3]];
    const whole = BigInt(m[1] || '0') * unit;
    const fracDigits = m[2] ?? '';
    const frac = fracDigits ? (BigInt(fracDigits) * unit) / 10n ** BigInt(fracDigits.length) : 0n;
    total += whole + frac;
    s = s.slice(m[0].length);
  }
  return negative ? -total : total;
}
