/**
 * Label and field selectors as Kubernetes parses and matches them.
 *
 * Labels: `app=web,tier!=db,env in (prod,staging),region notin (eu),canary,!legacy`.
 * Fields: `metadata.name=web,status.phase!=Running` (only = / == / !=, values
 * may escape `\,` `\=` `\\`).
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { ApiError } from './errors';

export type LabelOperator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals';
  readonly values: readonly string[];
}

export interface LabelMatcher {
  readonly requirements: readonly LabelRequirement[];
  /** True for the empty selector (matches everything). */
  readonly empty: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  toString(): string;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kubernetes' label-key rule: an optional DNS-subdomain prefix and a name of at most 63 characters. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  if (prefix !== undefined) {
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return 'prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character';
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!LABEL_VALUE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  }
  return undefined;
}

function bad(message: string): ApiError {
  return ApiError.badRequest(`unable to parse requirement: ${message}`);
}

function requirement(key: string, operator: LabelRequirement['operator'], values: string[]): LabelRequirement {
  const keyProblem = labelKeyProblem(key);
  if (keyProblem) throw bad(`key: Invalid value: ${JSON.stringify(key)}: ${keyProblem}`);
  values.forEach((v, i) => {
    const p = labelValueProblem(v);
    if (p) throw bad(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${p}`);
  });
  if ((operator === 'In' || operator === 'NotIn') && values.length === 0) throw bad(`values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`);
  if ((operator === 'Equals' || operator === 'NotEquals') && values.length !== 1) throw bad(`values: Invalid value: ${JSON.stringify(values)}: exact-match compatibility requires one single value`);
  return { key, operator, values: [...new Set(values)].sort() };
}

function matchRequirement(r: LabelRequirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  // Label values are strings; anything else (an inherited `constructor`) is no label.
  const v = labels ? labels[r.key] : undefined;
  const value = typeof v === 'string' ? v : undefined;
  switch (r.operator) {
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Equals':
      return value === r.values[0];
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotEquals':
    case 'NotIn':
      return value === undefined || !r.values.includes(value);
  }
}

function render(r: LabelRequirement): string {
  switch (r.operator) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Equals':
      return `${r.key}=${r.values[0]}`;
    case 'NotEquals':
      return `${r.key}!=${r.values[0]}`;
    case 'In':
      return `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return `${r.key} notin (${r.values.join(',')})`;
  }
}

function matcher(requirements: LabelRequirement[]): LabelMatcher {
  // Kubernetes sorts requirements by key; matching is order-independent.
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: sorted,
    empty: sorted.length === 0,
    // A plain loop: the scheduler matches selectors against every pod of the cluster for some pods.
    matches: (labels) => {
      for (let i = 0; i < sorted.length; i++) if (!matchRequirement(sorted[i], labels)) return false;
      return true;
    },
    toString: () => sorted.map(render).join(','),
  };
}

/** Matches everything. */
export const everything: LabelMatcher = matcher([]);

/** Parse a label selector string (400 BadRequest on syntax errors, with Kubernetes' wording). */
export function parseLabelSelector(input: string | undefined | null): LabelMatcher {
  const text = (input ?? '').trim();
  if (!text) return everything;
  const requirements: LabelRequirement[] = [];
  let i = 0;
  const n = text.length;
  const skipSpace = () => {
    while (i < n && /\s/.test(text[i])) i++;
  };
  const readIdentifier = (): string => {
    const start = i;
    while (i < n && !/[\s,=!()]/.test(text[i])) i++;
    return text.slice(start, i);
  };
  while (i < n) {
    skipSpace();
    let negate = false;
    if (text[i] === '!') {
      negate = true;
      i++;
      skipSpace();
    }
    const key = readIdentifier();
    if (!key) throw bad(`found '${text[i] ?? ''}', expected: !, identifier, or 'end of string'`);
    skipSpace();
    if (negate) {
      requirements.push(requirement(key, 'DoesNotExist', []));
    } else if (i >= n || text[i] === ',') {
      requirements.push(requirement(key, 'Exists', []));
    } else if (text.startsWith('==', i) || text.startsWith('!=', i) || text[i] === '=') {
      const op = text.startsWith('==', i) ? '==' : text.startsWith('!=', i) ? '!=' : '=';
      i += op.length;
      skipSpace();
      const value = readIdentifier();
      requirements.push(requirement(key, op === '!=' ? 'NotEquals' : 'Equals', [value]));
    } else {
      const word = readIdentifier();
      if (word !== 'in' && word !== 'notin') throw bad(`found '${word || text[i]}', expected: in, notin, =, ==, !=, gt, lt`);
      skipSpace();
      if (text[i] !== '(') throw bad(`found '${text[i] ?? ''}', expected: '('`);
      i++;
      const close = text.indexOf(')', i);
      if (close < 0) throw bad(`found 'end of string', expected: ')'`);
      const values = text
        .slice(i, close)
        .split(',')
        .map((v) => v.trim())
        .filter((v, idx, all) => v !== '' || all.length > 1);
      i = close + 1;
      requirements.push(requirement(key, word === 'in' ? 'In' : 'NotIn', values));
    }
    skipSpace();
    if (i < n) {
      if (text[i] !== ',') throw bad(`found '${text[i]}', expected: ',' or 'end of string'`);
      i++;
      skipSpace();
      if (i >= n) throw bad(`found 'end of string', expected: identifier`);
    }
  }
  return matcher(requirements);
}

/** A metav1.LabelSelector (matchLabels + matchExpressions) as a matcher. A null selector matches nothing; `{}` everything. */
export function labelSelectorFromObject(selector: LabelSelector | null | undefined): LabelMatcher {
  if (selector === null || selector === undefined) {
    return { requirements: [], empty: false, matches: () => false, toString: () => '<none>' };
  }
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) reqs.push(requirement(k, 'Equals', [v]));
  for (const e of selector.matchExpressions ?? []) {
    const ops: Record<string, LabelRequirement['operator']> = { In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' };
    const op = ops[e.operator];
    if (!op) throw ApiError.badRequest(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    reqs.push(requirement(e.key, op, op === 'Exists' || op === 'DoesNotExist' ? [] : [...(e.values ?? [])]));
  }
  return matcher(reqs);
}

/** `kubectl get -o wide`'s SELECTOR rendering of a LabelSelector. */
export function formatLabelSelector(selector: LabelSelector | null | undefined): string {
  if (!selector) return '<none>';
  const s = labelSelectorFromObject(selector).toString();
  return s || '<none>';
}

export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

export interface FieldMatcher {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  matches(fields: Readonly<Record<string, string>>): boolean;
  /** The value a requirement pins the field to (`metadata.name=x` → x), if any. */
  exact(field: string): string | undefined;
}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => {
    if (c === '\\' || c === ',' || c === '=') return c;
    throw ApiError.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
  });
}

/** Parse a field selector (400 BadRequest on syntax errors). */
export function parseFieldSelector(input: string | undefined | null): FieldMatcher {
  const text = (input ?? '').trim();
  const requirements: FieldRequirement[] = [];
  if (text) {
    for (const part of splitUnescaped(text, ',')) {
      if (!part) continue;
      const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/s.exec(part);
      if (!m) throw ApiError.badRequest(`invalid field selector: invalid selector: '${text}'; can't understand '${part}'`);
      requirements.push({ field: m[1].trim(), operator: m[2] === '!=' ? '!=' : '=', value: unescapeFieldValue(m[3]) });
    }
  }
  return {
    requirements,
    empty: requirements.length === 0,
    matches: (fields) => requirements.every((r) => (r.operator === '=' ? fields[r.field] === r.value : fields[r.field] !== r.value)),
    exact: (field) => requirements.find((r) => r.field === field && r.operator === '=')?.value,
  };
}
