/**
 * Kubernetes' generic validators (apimachinery's `util/validation`,
 * `api/validation` and `apis/meta/v1/validation`, plus the few core helpers
 * every type uses), with the exact messages Kubernetes returns: users read
 * them in `kubectl` errors and tools match on them.
 *
 * Conventions: `is*` functions return the list of problem messages (empty when
 * valid), like Kubernetes' `IsDNS1123Label`; `validate*` functions return
 * FieldErrors at a path, like Kubernetes' `ValidateObjectMeta`.
 */
import type { LabelSelector, ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1';
import { FieldError, type FieldErrorType } from './errors';

// ---------------------------------------------------------------- field paths

/**
 * A field path as Kubernetes prints it: `spec.containers[0].ports[1].containerPort`,
 * map keys in brackets without quotes (`data[my.key]`). Immutable: every step
 * returns a new path.
 */
export class FieldPath {
  private constructor(private readonly text: string) {}

  /** A path from its first names (`FieldPath.of('spec', 'template')`). */
  static of(...names: string[]): FieldPath {
    return new FieldPath('').child(...names);
  }

  child(...names: string[]): FieldPath {
    let text = this.text;
    for (const name of names) text = text ? `${text}.${name}` : name;
    return new FieldPath(text);
  }

  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}

/** Shorthand for `FieldPath.of(...)`. */
export function fieldPath(...names: string[]): FieldPath {
  return FieldPath.of(...names);
}

type PathLike = FieldPath | string;
const str = (p: PathLike): string => (typeof p === 'string' ? p : p.toString());

// ---------------------------------------------------------------- messages

/** Kubernetes' `RegexError`: the rule, the examples (note the double space Kubernetes prints), the regex. */
export function regexError(message: string, regex: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${regex}')`;
  let s = `${message} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) s += ' or ';
    s += `'${e}', `;
  });
  return `${s}regex used for validation is '${regex}')`;
}

export const EMPTY_ERROR = 'must be non-empty';
export const NEGATIVE_ERROR = 'must be greater than or equal to 0';
export const NOT_POSITIVE_ERROR = 'must be greater than zero';
export const FIELD_IMMUTABLE = 'field is immutable';

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

// ---------------------------------------------------------------- names

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
export const DNS1123_LABEL_MAX_LENGTH = 63;
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
export const DNS1035_LABEL_MAX_LENGTH = 63;
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MAX_LENGTH = 63;
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MAX_LENGTH = 63;
const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_MAP_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const ENV_VAR_NAME_FMT = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const ENV_VAR_NAME_MSG = "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";
const PERCENT_FMT = '[0-9]+%';
const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%'";

const whole = (fmt: string) => new RegExp(`^${fmt}$`);
const DNS1123_LABEL_RE = whole(DNS1123_LABEL_FMT);
const DNS1123_SUBDOMAIN_RE = whole(DNS1123_SUBDOMAIN_FMT);
const DNS1035_LABEL_RE = whole(DNS1035_LABEL_FMT);
const QUALIFIED_NAME_RE = whole(QUALIFIED_NAME_FMT);
const LABEL_VALUE_RE = whole(LABEL_VALUE_FMT);
const CONFIG_MAP_KEY_RE = whole(CONFIG_MAP_KEY_FMT);
const ENV_VAR_NAME_RE = whole(ENV_VAR_NAME_FMT);
const PERCENT_RE = whole(PERCENT_FMT);

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!DNS1123_LABEL_RE.test(value)) {
    // A valid subdomain that is not a label can only be wrong because of its dots.
    if (DNS1123_SUBDOMAIN_RE.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1035_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1035_LABEL_MAX_LENGTH));
  if (!DNS1035_LABEL_RE.test(value)) errs.push(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  return errs;
}

/** A qualified name (label keys, annotation keys, finalizers): `[prefix/]name`. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push(`prefix part ${EMPTY_ERROR}`);
    else for (const msg of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push(`name part ${EMPTY_ERROR}`);
  else if (name.length > QUALIFIED_NAME_MAX_LENGTH) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  if (!QUALIFIED_NAME_RE.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!LABEL_VALUE_RE.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** Kubernetes rejects keys that would be a relative directory when projected into a volume. */
function chDirPrefixErrors(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  if (value.startsWith('..')) return ["must not start with '..'"];
  return [];
}

/** ConfigMap and Secret data keys. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!CONFIG_MAP_KEY_RE.test(value)) errs.push(regexError(CONFIG_MAP_KEY_MSG, CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  errs.push(...chDirPrefixErrors(value));
  return errs;
}

export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!ENV_VAR_NAME_RE.test(value)) errs.push(regexError(ENV_VAR_NAME_MSG, ENV_VAR_NAME_FMT, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  errs.push(...chDirPrefixErrors(value));
  return errs;
}

export function isValidPercent(value: string): string[] {
  return PERCENT_RE.test(value) ? [] : [regexError(PERCENT_MSG, PERCENT_FMT, '1%', '93%')];
}

/** Names that must be usable as one URL path segment (the minimum every object name meets). */
export function isValidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

/** A name validator as Kubernetes' `ValidateNameFunc`: `prefix` is true for generateName. */
export type NameValidator = (name: string, prefix?: boolean) => string[];

/** generateName gets random characters appended, so a trailing dash is not the end of the name. */
export function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix = false) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix = false) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix = false) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
export const nameIsPathSegment: NameValidator = (name) => isValidPathSegmentName(name);

/** Fully qualified domain names (EndpointSlice FQDN addresses). */
export function validateFQDN(path: PathLike, name: string): FieldError[] {
  if (name.length === 0) return [FieldError.required(str(path))];
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const errs = isDNS1123Subdomain(trimmed);
  if (errs.length > 0) return [FieldError.invalid(str(path), trimmed, errs.join(','))];
  const labels = trimmed.split('.');
  if (labels.length < 2) return [FieldError.invalid(str(path), trimmed, 'should be a domain with at least two segments separated by dots')];
  for (const label of labels) {
    const e = isDNS1123Label(label);
    if (e.length > 0) return [FieldError.invalid(str(path), label, e.join(','))];
  }
  return [];
}

// ---------------------------------------------------------------- Go-style values

/**
 * Kubernetes prints non-scalar invalid values with Go's `%#v`
 * (`map[string]string{"app":"web"}`, `[]string{"10.96.0.10"}`). Tools and
 * people match on those messages, so errors about maps, slices and selectors
 * render their value the same way.
 */
export class GoValueError extends FieldError {
  constructor(
    type: FieldErrorType,
    field: string,
    value: unknown,
    detail: string,
    readonly rendered: string,
  ) {
    super(type, field, value, detail);
  }

  override body(): string {
    const head = new FieldError(this.type, this.field, '', '').body();
    const label = head.slice(0, head.indexOf(':'));
    return `${label}: ${this.rendered}${this.detail ? `: ${this.detail}` : ''}`;
  }
}

export function goString(s: string): string {
  return JSON.stringify(s);
}

export function goStringMap(m: Readonly<Record<string, string>> | null | undefined): string {
  if (m === null || m === undefined) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goString(k)}:${goString(m[k])}`).join(', ')}}`;
}

export function goStringSlice(values: readonly string[] | null | undefined, type = '[]string'): string {
  if (values === null || values === undefined) return `${type}(nil)`;
  return `${type}{${values.map(goString).join(', ')}}`;
}

/** A *LabelSelector as a field error prints it: nil pointers read `"null"`, others Go's `%#v` of the struct. */
export function goLabelSelector(selector: LabelSelector | null | undefined): string {
  if (!selector) return '"null"';
  const exprs = selector.matchExpressions;
  const renderedExprs =
    exprs === undefined || exprs === null
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map((e) => `v1.LabelSelectorRequirement{Key:${goString(e.key)}, Operator:${goString(e.operator)}, Values:${goStringSlice(e.values)}}`)
          .join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${goStringMap(selector.matchLabels)}, MatchExpressions:${renderedExprs}}`;
}

/** An IntOrString as Go's `%#v` prints it (`intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}`). */
export function goIntOrString(v: unknown): string {
  if (typeof v === 'number') return `intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`;
  return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goString(String(v ?? ''))}}`;
}

export function invalidGo(field: PathLike, value: unknown, rendered: string, detail: string): FieldError {
  return new GoValueError('Invalid', str(field), value, detail, rendered);
}

export function duplicateGo(field: PathLike, value: unknown, rendered: string): FieldError {
  return new GoValueError('Duplicate', str(field), value, '', rendered);
}

// ---------------------------------------------------------------- generic field checks

export function validateNonnegativeField(value: number, path: PathLike): FieldError[] {
  return value < 0 ? [FieldError.invalid(str(path), value, NEGATIVE_ERROR)] : [];
}

/** Deep equality of JSON values, with absent and null the same (as Go's zero values mostly are). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

/**
 * Kubernetes' semantic equality for update checks: like `jsonEqual`, and an
 * empty list equals a missing one (Go's nil and empty slices compare equal).
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const emptyList = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0);
  if (emptyList(a) && emptyList(b)) return true;
  if (a === b) return true;
  if (a === undefined || a === null || b === undefined || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => semanticEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) if (!semanticEqual(ao[k], bo[k])) return false;
  return true;
}

/** Kubernetes' `ValidateImmutableField`: `<path>: Invalid value: <new>: field is immutable`. */
export function validateImmutableField(newValue: unknown, oldValue: unknown, path: PathLike, rendered?: string): FieldError[] {
  if (jsonEqual(newValue, oldValue)) return [];
  return [rendered === undefined ? FieldError.invalid(str(path), newValue ?? null, FIELD_IMMUTABLE) : invalidGo(path, newValue, rendered, FIELD_IMMUTABLE)];
}

export function validateDNS1123Label(value: string, path: PathLike): FieldError[] {
  return isDNS1123Label(value).map((m) => FieldError.invalid(str(path), value, m));
}

export function validateDNS1123Subdomain(value: string, path: PathLike): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => FieldError.invalid(str(path), value, m));
}

export function validateQualifiedName(value: string, path: PathLike): FieldError[] {
  return isQualifiedName(value).map((m) => FieldError.invalid(str(path), value, m));
}

// ---------------------------------------------------------------- labels, annotations, selectors

export function validateLabelName(name: string, path: PathLike): FieldError[] {
  return isQualifiedName(name).map((m) => FieldError.invalid(str(path), name, m));
}

/** Labels, reported at the map's path (Kubernetes does not index them by key). */
export function validateLabels(labels: Readonly<Record<string, string>> | undefined | null, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(k, path));
    for (const m of isValidLabelValue(String(v))) errs.push(FieldError.invalid(str(path), v, m));
  }
  return errs;
}

/** Kubernetes' limit on the total size of an object's annotations (keys plus values). */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateAnnotations(annotations: Readonly<Record<string, string>> | undefined | null, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // Annotation keys follow the qualified-name rule with case ignored.
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(FieldError.invalid(str(path), k, m));
    total += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(FieldError.tooLong(str(path), TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

const SELECTOR_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** metav1 LabelSelector (matchLabels and matchExpressions). A null selector is valid here; callers decide whether it is required. */
export function validateLabelSelector(selector: LabelSelector | null | undefined, path: PathLike): FieldError[] {
  if (!selector) return [];
  const p = typeof path === 'string' ? FieldPath.of(path) : path;
  const errs = validateLabels(selector.matchLabels, p.child('matchLabels'));
  (selector.matchExpressions ?? []).forEach((expr, i) => {
    const ep = p.child('matchExpressions').index(i);
    const values = expr.values ?? [];
    if (expr.operator === 'In' || expr.operator === 'NotIn') {
      if (values.length === 0) errs.push(FieldError.required(ep.child('values').toString(), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (expr.operator === 'Exists' || expr.operator === 'DoesNotExist') {
      if (values.length > 0) errs.push(FieldError.forbidden(ep.child('values').toString(), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else if (!SELECTOR_OPERATORS.has(expr.operator)) {
      errs.push(FieldError.invalid(ep.child('operator').toString(), expr.operator, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(expr.key ?? '', ep.child('key')));
    values.forEach((v, vi) => {
      for (const m of isValidLabelValue(v)) errs.push(FieldError.invalid(ep.child('values').index(vi).toString(), v, m));
    });
  });
  return errs;
}

// ---------------------------------------------------------------- ObjectMeta

/** Kinds that may never own other objects (garbage collection ignores events). */
const BANNED_OWNERS = new Set(['/v1, Kind=Event', 'events.k8s.io/v1, Kind=Event', 'events.k8s.io/v1beta1, Kind=Event']);

function groupVersionOf(apiVersion: string): { group: string; version: string } {
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0] };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  return { group: '', version: '' };
}

function goOwnerReference(ref: OwnerReference): string {
  const ptrBool = (b: boolean | undefined) => (b === undefined ? '(*bool)(nil)' : `(*bool)(${b})`);
  return `v1.OwnerReference{APIVersion:${goString(ref.apiVersion ?? '')}, Kind:${goString(ref.kind ?? '')}, Name:${goString(ref.name ?? '')}, UID:${goString(ref.uid ?? '')}, Controller:${ptrBool(ref.controller)}, BlockOwnerDeletion:${ptrBool(ref.blockOwnerDeletion)}}`;
}

/** Owner references are reported at the list's path, without an index, as Kubernetes does. */
export function validateOwnerReferences(refs: readonly OwnerReference[] | undefined | null, path: PathLike): FieldError[] {
  const p = typeof path === 'string' ? FieldPath.of(path) : path;
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const gv = groupVersionOf(ref.apiVersion ?? '');
    if (!gv.version) errs.push(FieldError.invalid(p.child('apiVersion').toString(), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(FieldError.invalid(p.child('kind').toString(), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(FieldError.invalid(p.child('name').toString(), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(FieldError.invalid(p.child('uid').toString(), ref.uid ?? '', 'uid must not be empty'));
    const gvk = `${gv.group}/${gv.version}, Kind=${ref.kind ?? ''}`;
    if (BANNED_OWNERS.has(gvk)) errs.push(invalidGo(p, ref, goOwnerReference(ref), `${gvk} is disallowed from being an owner`));
    if (ref.controller) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errs.push(
          FieldError.invalid(p.toString(), refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

/** Finalizer names the core API knows without a domain prefix. */
export const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/**
 * Finalizers: apimachinery checks each is a qualified name (reported at the
 * list's path), then the core API checks each again at its index and wants
 * unprefixed names to be standard ones — so a malformed name is reported twice,
 * exactly as Kubernetes reports it.
 */
export function validateFinalizers(finalizers: readonly string[] | undefined | null, path: PathLike): FieldError[] {
  const p = typeof path === 'string' ? FieldPath.of(path) : path;
  const errs: FieldError[] = [];
  const list = finalizers ?? [];
  for (const f of list) for (const m of isQualifiedName(f)) errs.push(FieldError.invalid(p.toString(), f, m));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(invalidGo(p, list, goStringSlice(list), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  list.forEach((f, i) => {
    const ip = p.index(i).toString();
    const qualified = isQualifiedName(f);
    if (qualified.length > 0) {
      for (const m of qualified) errs.push(FieldError.invalid(ip, f, m));
    } else if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(FieldError.invalid(ip, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

export interface ObjectMetaOptions {
  /** Whether the type is namespaced: namespace required, else forbidden. */
  namespaced: boolean;
  /** The type's name rule (DNS-1123 subdomain when absent); returns messages. */
  validateName?: (name: string) => string[];
}

/** Kubernetes' `ValidateObjectMeta` for a new object (name, namespace, labels, annotations, owners, finalizers). */
export function validateObjectMeta(meta: ObjectMeta, options: ObjectMetaOptions): FieldError[] {
  const path = FieldPath.of('metadata');
  const errs: FieldError[] = [];
  const nameRule = options.validateName ?? ((n: string) => isDNS1123Subdomain(n));
  if (meta.generateName) {
    for (const m of nameRule(maskTrailingDash(meta.generateName))) errs.push(FieldError.invalid(path.child('generateName').toString(), meta.generateName, m));
  }
  if (!meta.name) {
    errs.push(FieldError.required(path.child('name').toString(), 'name or generateName is required'));
  } else {
    for (const m of nameRule(meta.name)) errs.push(FieldError.invalid(path.child('name').toString(), meta.name, m));
  }
  if (options.namespaced) {
    if (!meta.namespace) errs.push(FieldError.required(path.child('namespace').toString()));
    else for (const m of isDNS1123Label(meta.namespace)) errs.push(FieldError.invalid(path.child('namespace').toString(), meta.namespace, m));
  } else if (meta.namespace) {
    errs.push(FieldError.forbidden(path.child('namespace').toString(), 'not allowed on this type'));
  }
  if (meta.generation !== undefined) errs.push(...validateNonnegativeField(meta.generation, path.child('generation')));
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, path.child('ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, path.child('finalizers')));
  return errs;
}

/**
 * Kubernetes' `ValidateObjectMetaUpdate`: what may not change (name,
 * namespace, uid, creationTimestamp, deletion fields), generation never goes
 * back, no finalizers join an object being deleted. Labels, annotations and
 * owners of the new object are checked by `validateObjectMeta`.
 */
export function validateObjectMetaUpdate(newMeta: ObjectMeta, oldMeta: ObjectMeta): FieldError[] {
  const path = FieldPath.of('metadata');
  const errs: FieldError[] = [];
  if (oldMeta.deletionTimestamp) {
    const before = new Set(oldMeta.finalizers ?? []);
    const added = [...new Set((newMeta.finalizers ?? []).filter((f) => !before.has(f)))].sort();
    if (added.length > 0) {
      errs.push(FieldError.forbidden(path.child('finalizers').toString(), `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added)}`));
    }
  }
  if ((newMeta.generation ?? 0) < (oldMeta.generation ?? 0)) {
    errs.push(FieldError.invalid(path.child('generation').toString(), newMeta.generation ?? 0, 'must not be decremented'));
  }
  errs.push(...validateImmutableField(newMeta.name ?? '', oldMeta.name ?? '', path.child('name')));
  errs.push(...validateImmutableField(newMeta.namespace ?? '', oldMeta.namespace ?? '', path.child('namespace')));
  errs.push(...validateImmutableField(newMeta.uid ?? '', oldMeta.uid ?? '', path.child('uid')));
  errs.push(...validateImmutableField(newMeta.creationTimestamp ?? null, oldMeta.creationTimestamp ?? null, path.child('creationTimestamp')));
  errs.push(...validateImmutableField(newMeta.deletionTimestamp ?? null, oldMeta.deletionTimestamp ?? null, path.child('deletionTimestamp')));
  errs.push(...validateImmutableField(newMeta.deletionGracePeriodSeconds ?? null, oldMeta.deletionGracePeriodSeconds ?? null, path.child('deletionGracePeriodSeconds')));
  return errs;
}

// ---------------------------------------------------------------- ports

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** An IANA service name, as container port names and named target ports must be. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  else if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** An IntOrString port: a number in range or a port name. */
export function validatePortNumOrName(port: number | string | undefined, path: PathLike): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => FieldError.invalid(str(path), port, m));
  return isValidPortName(port ?? '').map((m) => FieldError.invalid(str(path), port ?? '', m));
}

// ---------------------------------------------------------------- IP addresses and CIDRs

export type IPFamily = 'IPv4' | 'IPv6';

/** A parsed address: its family and its value as an unsigned integer. */
export interface ParsedIP {
  family: IPFamily;
  value: bigint;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const part of parts) {
    // Kubernetes parses "sloppily": leading zeros are allowed and read as decimal.
    if (!/^[0-9]{1,8}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined;
  let text = s;
  let tail: bigint[] = [];
  // An embedded IPv4 address at the end (`::ffff:10.0.0.1`) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (g: string): bigint | undefined => (/^[0-9a-fA-F]{1,4}$/.test(g) ? BigInt(`0x${g}`) : undefined);
  const read = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      const v = group(g);
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  };
  const head = read(halves[0]);
  const rest = halves.length === 2 ? read(halves[1]) : [];
  if (!head || !rest) return undefined;
  const explicit = head.length + rest.length + tail.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (explicit > 7) return undefined;
    groups = [...head, ...new Array<bigint>(8 - explicit).fill(0n), ...rest, ...tail];
  } else {
    if (explicit !== 8) return undefined;
    groups = [...head, ...tail];
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parse an IPv4 or IPv6 address the way Kubernetes does (IPv4-mapped IPv6 counts as IPv4). */
export function parseIP(s: string): ParsedIP | undefined {
  if (s.includes(':')) {
    const v = parseIPv6(s);
    if (v === undefined) return undefined;
    if (v >> 32n === 0xffffn) return { family: 'IPv4', value: v & 0xffffffffn };
    return { family: 'IPv6', value: v };
  }
  const v = parseIPv4(s);
  return v === undefined ? undefined : { family: 'IPv4', value: v };
}

/** The text form of an address (IPv6 compressed as RFC 5952 recommends). */
export function formatIP(ip: ParsedIP): string {
  if (ip.family === 'IPv4') {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString()).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  // Longest run of at least two zero groups becomes `::`.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export interface ParsedCIDR {
  family: IPFamily;
  /** The network address (host bits cleared). */
  network: bigint;
  prefixLength: number;
  /** Address width: 32 or 128. */
  bits: number;
}

export function parseCIDR(s: string): ParsedCIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(len)) return undefined;
  // Go's ParseCIDR keeps the written family (an IPv4-mapped address with a /120 is an IPv6 CIDR).
  const bits = addr.includes(':') ? 128 : 32;
  const value = bits === 128 ? parseIPv6(addr) : parseIPv4(addr);
  const prefixLength = Number(len);
  if (value === undefined || prefixLength > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefixLength)) - 1n;
  return { family: bits === 32 ? 'IPv4' : 'IPv6', network: value & ~hostMask, prefixLength, bits };
}

export function cidrContains(cidr: ParsedCIDR, ip: ParsedIP): boolean {
  if ((cidr.bits === 32) !== (ip.family === 'IPv4')) return false;
  const hostBits = BigInt(cidr.bits - cidr.prefixLength);
  return ip.value >> hostBits === cidr.network >> hostBits;
}

export function isIP(s: string): boolean {
  return parseIP(s) !== undefined;
}

export function validateIP(path: PathLike, value: string): FieldError[] {
  return isIP(value) ? [] : [FieldError.invalid(str(path), value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

export function validateIPv4(path: PathLike, value: string): FieldError[] {
  return parseIP(value)?.family === 'IPv4' ? [] : [FieldError.invalid(str(path), value, 'must be a valid IPv4 address')];
}

export function validateIPv6(path: PathLike, value: string): FieldError[] {
  return parseIP(value)?.family === 'IPv6' ? [] : [FieldError.invalid(str(path), value, 'must be a valid IPv6 address')];
}

export function validateCIDR(path: PathLike, value: string): FieldError[] {
  return parseCIDR(value) ? [] : [FieldError.invalid(str(path), value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/** Addresses Kubernetes refuses as endpoints and external IPs: unspecified, loopback, link-local. */
export function validateNonSpecialIP(value: string, path: PathLike): FieldError[] {
  const ip = parseIP(value);
  if (!ip) return [FieldError.invalid(str(path), value, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  const v = ip.value;
  if (v === 0n) errs.push(FieldError.invalid(str(path), value, `may not be unspecified (${value})`));
  const loopback = ip.family === 'IPv4' ? v >> 24n === 127n : v === 1n;
  if (loopback) errs.push(FieldError.invalid(str(path), value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  const linkLocal = ip.family === 'IPv4' ? v >> 16n === 0xa9fen : v >> 118n === 0x3fan;
  if (linkLocal) errs.push(FieldError.invalid(str(path), value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  const linkLocalMulticast = ip.family === 'IPv4' ? v >> 8n === 0xe00000n : v >> 112n === 0xff02n;
  if (linkLocalMulticast) errs.push(FieldError.invalid(str(path), value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}

// ---------------------------------------------------------------- quantities

/** How a quantity was written; it decides how Kubernetes prints it back. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** A resource quantity: its exact value in units of 10^-9 (Kubernetes' finest precision, rounded up). */
export interface Quantity {
  readonly nanos: bigint;
  readonly format: QuantityFormat;
}

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

export class QuantityError extends Error {
  override readonly name = 'QuantityError';
}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const NANO = 1_000_000_000n;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Split a quantity as Kubernetes' parser does: sign, integer digits, fraction digits, suffix. */
function splitQuantity(s: string): { negative: boolean; num: string; denom: string; suffix: string } {
  let pos = 0;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    pos++;
  }
  while (s[pos] === '0') pos++;
  const numStart = pos;
  while (isDigit(s[pos])) pos++;
  const num = s.slice(numStart, pos) || '0';
  let denom = '';
  if (s[pos] === '.') {
    pos++;
    const start = pos;
    while (isDigit(s[pos])) pos++;
    denom = s.slice(start, pos);
  }
  const suffixStart = pos;
  while (pos < s.length && 'eEinumkKMGTP'.includes(s[pos])) pos++;
  if (s[pos] === '-' || s[pos] === '+') pos++;
  while (isDigit(s[pos])) pos++;
  if (pos < s.length) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  return { negative, num, denom, suffix: s.slice(suffixStart) };
}

/** Parse a quantity (`500m`, `1Gi`, `1e3`, or a JSON number). Throws a QuantityError with Kubernetes' message. */
export function parseQuantity(input: string | number): Quantity {
  const s = typeof input === 'number' ? String(input) : input;
  if (typeof s !== 'string' || s.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const { negative, num, denom, suffix } = splitQuantity(s);
  let base: 2 | 10;
  let exponent: number;
  let format: QuantityFormat;
  if (suffix in DECIMAL_SUFFIXES) {
    base = 10;
    exponent = DECIMAL_SUFFIXES[suffix];
    format = 'DecimalSI';
  } else if (suffix in BINARY_SUFFIXES) {
    base = 2;
    exponent = BINARY_SUFFIXES[suffix];
    format = 'BinarySI';
  } else if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[-+]?[0-9]+$/.test(suffix.slice(1))) {
    base = 10;
    exponent = Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else {
    throw new QuantityError(QUANTITY_SUFFIX_ERROR);
  }
  // value = digits / 10^len(denom) * base^exponent, as an exact fraction.
  let numerator = BigInt(num + denom);
  let denominator = 10n ** BigInt(denom.length);
  if (base === 2) numerator *= 1n << BigInt(exponent);
  else if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator *= 10n ** BigInt(-exponent);
  // Kubernetes keeps nano precision and rounds anything finer up (away from zero).
  const scaled = numerator * NANO;
  let nanos = scaled / denominator;
  if (scaled % denominator !== 0n) nanos += 1n;
  if (negative) nanos = -nanos;
  // A binary quantity below one unit cannot be printed in binary form.
  if (format === 'BinarySI' && nanos > 0n && nanos < NANO) format = 'DecimalSI';
  return { nanos, format };
}

export function isValidQuantity(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

/** The message Kubernetes gives for an unparseable quantity, or undefined when it parses. */
export function quantityProblem(input: unknown): string | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return QUANTITY_FORMAT_ERROR;
  try {
    parseQuantity(input);
    return undefined;
  } catch (err) {
    return err instanceof QuantityError ? err.message : QUANTITY_FORMAT_ERROR;
  }
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

export function quantityIsZero(q: Quantity): boolean {
  return q.nanos === 0n;
}

/** The value as a float (for display and arithmetic where exactness does not matter). */
export function quantityToNumber(q: Quantity): number {
  return Number(q.nanos) / 1e9;
}

/** Round the magnitude up to a multiple of 10^scale units (Kubernetes' `RoundUp`; -3 is milli). */
export function roundUpQuantity(q: Quantity, scale: number): Quantity {
  const step = 10n ** BigInt(scale + 9);
  if (step <= 1n) return q;
  const mag = q.nanos < 0n ? -q.nanos : q.nanos;
  const rounded = mag % step === 0n ? mag : (mag / step + 1n) * step;
  return { nanos: q.nanos < 0n ? -rounded : rounded, format: q.format };
}

const DECIMAL_SUFFIX_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_SUFFIX_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** The canonical text of a quantity, as Kubernetes serialises it (`0.5` → `500m`, `2048Ki` → `2Mi`, `1000` → `1k`). */
export function formatQuantity(q: Quantity): string {
  if (q.nanos === 0n) return '0';
  const negative = q.nanos < 0n;
  const mag = negative ? -q.nanos : q.nanos;
  const sign = negative ? '-' : '';
  let format = q.format;
  if (format === 'BinarySI' && (mag < 1024n * NANO || mag % NANO !== 0n)) format = 'DecimalSI';
  if (format === 'BinarySI') {
    let units = mag / NANO;
    let power = 0;
    while (units % 1024n === 0n && power < BINARY_SUFFIX_BY_POWER.length - 1) {
      units /= 1024n;
      power++;
    }
    return `${sign}${units}${BINARY_SUFFIX_BY_POWER[power]}`;
  }
  let mantissa = mag;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  const rem = ((exponent % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(rem);
  exponent -= rem;
  if (format === 'DecimalExponent' || !DECIMAL_SUFFIX_BY_EXPONENT.has(exponent)) {
    return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  }
  return `${sign}${mantissa}${DECIMAL_SUFFIX_BY_EXPONENT.get(exponent)}`;
}

/**
 * The canonical form of a quantity written by a user; values that do not parse
 * are returned unchanged (validation reports them). `roundToMilli` applies the
 * rounding Kubernetes gives every ResourceList (`100n` CPU → `1m`).
 */
export function canonicalQuantity<T>(input: T, options: { roundToMilli?: boolean } = {}): T | string {
  if (typeof input !== 'string' && typeof input !== 'number') return input;
  let q: Quantity;
  try {
    q = parseQuantity(input);
  } catch {
    return input;
  }
  if (options.roundToMilli) q = roundUpQuantity(q, -3);
  return formatQuantity(q);
}

