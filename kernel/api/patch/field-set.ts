/**
 * Field paths and sets of field paths, as sigs.k8s.io/structured-merge-diff
 * (the library behind server-side apply) models them: a path is a list of
 * elements, each a field name (`.spec`), the key of an associative-list item
 * (`[name="web"]`), the value of a set item (`[="a"]`) or an index (`[0]`). A
 * set is a trie: at each node the elements that are members (the path ends
 * there) and the children (longer paths go on). A path can be both a member
 * and have children; FieldsV1 writes that node with a `"."` entry.
 *
 * Ordering and equality follow structured-merge-diff so that encodings and
 * conflict listings come out in the same order as Kubernetes'.
 */
import { compareStrings, goJson, goJsonNumber, goJsonString, goQuote, isObject } from './json';

export type PathElement =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'key'; readonly fields: ReadonlyArray<readonly [string, unknown]> }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'index'; readonly index: number };

export type FieldPath = readonly PathElement[];

export const pe = {
  field: (name: string): PathElement => ({ kind: 'field', name }),
  /** An associative-list key; fields are sorted by name as Kubernetes does. */
  key: (fields: Iterable<readonly [string, unknown]>): PathElement => ({
    kind: 'key',
    fields: [...fields].sort((a, b) => compareStrings(a[0], b[0])),
  }),
  value: (value: unknown): PathElement => ({ kind: 'value', value }),
  index: (index: number): PathElement => ({ kind: 'index', index }),
};

/** A path from field names (`fieldPath('spec', 'replicas')`). */
export function fieldPath(...names: string[]): FieldPath {
  return names.map(pe.field);
}

/**
 * The canonical FieldsV1 spelling of an element (`f:spec`,
 * `k:{"name":"web"}`, `v:"a"`, `i:0`); also the identity of the element in sets.
 */
export function serializePathElement(e: PathElement): string {
  switch (e.kind) {
    case 'field':
      return 'f:' + e.name;
    case 'key':
      return 'k:{' + e.fields.map(([k, v]) => goJsonString(k) + ':' + goJson(v)).join(',') + '}';
    case 'value':
      return 'v:' + goJson(e.value);
    case 'index':
      return 'i:' + String(e.index);
  }
}

/** Parse a FieldsV1 key back into an element; throws on anything else. */
export function parsePathElement(s: string): PathElement {
  const tag = s.slice(0, 2);
  const body = s.slice(2);
  switch (tag) {
    case 'f:':
      return pe.field(body);
    case 'k:': {
      const parsed: unknown = JSON.parse(body);
      if (!isObject(parsed)) throw new Error(`invalid key path element ${JSON.stringify(s)}: not an object`);
      return pe.key(Object.entries(parsed));
    }
    case 'v:':
      return pe.value(JSON.parse(body));
    case 'i:': {
      if (!/^-?\d+$/.test(body)) throw new Error(`invalid index path element ${JSON.stringify(s)}`);
      return pe.index(Number(body));
    }
    default:
      throw new Error(`unknown path element prefix in ${JSON.stringify(s)}`);
  }
}

/** The human form used in conflict messages (`.spec.containers[name="web"].image`). */
export function pathToString(path: FieldPath): string {
  return path.map(elementToString).join('');
}

function elementToString(e: PathElement): string {
  switch (e.kind) {
    case 'field':
      return '.' + e.name;
    case 'key':
      return '[' + e.fields.map(([k, v]) => `${k}=${valueToString(v)}`).join(',') + ']';
    case 'value':
      return `[=${valueToString(e.value)}]`;
    case 'index':
      return `[${e.index}]`;
  }
}

/** structured-merge-diff's value.ToString. */
function valueToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') return goJsonNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[' + v.map(valueToString).join(',') + ']';
  if (isObject(v)) return Object.keys(v).sort(compareStrings).map((k) => `${k}=${valueToString(v[k])}`).join('');
  return String(v);
}

/** structured-merge-diff's PathElement.Compare: field names, then keys, then values, then indexes. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const rank = { field: 0, key: 1, value: 2, index: 3 } as const;
  if (a.kind !== b.kind) return rank[a.kind] - rank[b.kind] < 0 ? -1 : 1;
  switch (a.kind) {
    case 'field':
      return compareStrings(a.name, (b as typeof a).name);
    case 'key': {
      const bf = (b as typeof a).fields;
      for (let i = 0; ; i++) {
        if (i >= a.fields.length && i >= bf.length) return 0;
        if (i >= a.fields.length) return -1;
        if (i >= bf.length) return 1;
        const c = compareStrings(a.fields[i][0], bf[i][0]) || compareValues(a.fields[i][1], bf[i][1]);
        if (c !== 0) return c;
      }
    }
    case 'value':
      return compareValues(a.value, (b as typeof a).value);
    case 'index': {
      const d = a.index - (b as typeof a).index;
      return d < 0 ? -1 : d > 0 ? 1 : 0;
    }
  }
}

/** structured-merge-diff's value.Compare: numbers < strings < booleans < lists < maps < null. */
export function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number => {
    if (typeof v === 'number') return 0;
    if (typeof v === 'string') return 1;
    if (typeof v === 'boolean') return 2;
    if (Array.isArray(v)) return 3;
    if (isObject(v)) return 4;
    return 5;
  };
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return a === b ? 0 : a === false ? -1 : 1;
    case 3: {
      const la = a as unknown[];
      const lb = b as unknown[];
      for (let i = 0; i < Math.min(la.length, lb.length); i++) {
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
      return la.length === lb.length ? 0 : la.length < lb.length ? -1 : 1;
    }
    case 4: {
      const ma = a as Record<string, unknown>;
      const mb = b as Record<string, unknown>;
      const ka = Object.keys(ma).sort(compareStrings);
      const kb = Object.keys(mb).sort(compareStrings);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const c = compareStrings(ka[i], kb[i]) || compareValues(ma[ka[i]], mb[kb[i]]);
        if (c !== 0) return c;
      }
      return ka.length === kb.length ? 0 : ka.length < kb.length ? -1 : 1;
    }
    default:
      return 0;
  }
}

interface Child {
  readonly element: PathElement;
  readonly set: FieldSet;
}

/** A set of field paths. Operations return new sets; `insert` builds one in place. */
export class FieldSet {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, Child>();

  static of(...paths: FieldPath[]): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  insert(path: FieldPath): this {
    if (path.length === 0) return this;
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) node = node.childOrCreate(path[i]);
    const last = path[path.length - 1];
    node.members.set(serializePathElement(last), last);
    return this;
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.child(path[i]);
    return !!node && node.hasMember(path[path.length - 1]);
  }

  hasMember(element: PathElement): boolean {
    return this.members.has(serializePathElement(element));
  }

  /** The set of paths below `element` (structured-merge-diff's WithPrefix), or undefined. */
  child(element: PathElement): FieldSet | undefined {
    return this.children.get(serializePathElement(element))?.set;
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.isEmpty()) return false;
    return true;
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    other.forEachMember((id, e) => out.members.set(id, e));
    for (const [id, c] of other.children) {
      const mine = out.children.get(id);
      out.children.set(id, { element: c.element, set: mine ? mine.set.union(c.set) : c.set.copy() });
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, e] of this.members) if (other.members.has(id)) out.members.set(id, e);
    for (const [id, c] of this.children) {
      const theirs = other.children.get(id);
      if (!theirs) continue;
      const both = c.set.intersection(theirs.set);
      if (!both.isEmpty()) out.children.set(id, { element: c.element, set: both });
    }
    return out;
  }

  /** Paths of this set that are not paths of `other` (children of removed members stay). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, e] of this.members) if (!other.members.has(id)) out.members.set(id, e);
    for (const [id, c] of this.children) {
      const theirs = other.children.get(id);
      const rest = theirs ? c.set.difference(theirs.set) : c.set.copy();
      if (!rest.isEmpty()) out.children.set(id, { element: c.element, set: rest });
    }
    return out;
  }

  /** Paths of this set that neither are nor lie under a path of `other`. */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, e] of this.members) if (!other.members.has(id)) out.members.set(id, e);
    for (const [id, c] of this.children) {
      if (other.members.has(id)) continue;
      const theirs = other.children.get(id);
      const rest = theirs ? c.set.recursiveDifference(theirs.set) : c.set.copy();
      if (!rest.isEmpty()) out.children.set(id, { element: c.element, set: rest });
    }
    return out;
  }

  equals(other: FieldSet): boolean {
    const a = this.normalized();
    const b = other.normalized();
    if (a.members.size !== b.members.size || a.children.size !== b.children.size) return false;
    for (const id of a.members.keys()) if (!b.members.has(id)) return false;
    for (const [id, c] of a.children) {
      const theirs = b.children.get(id);
      if (!theirs || !c.set.equals(theirs.set)) return false;
    }
    return true;
  }

  /** Every path, in structured-merge-diff's iteration order: members, then children, sorted at each level. */
  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    this.collect([], out);
    return out;
  }

  /** Member elements in Kubernetes' order. */
  sortedMembers(): PathElement[] {
    return [...this.members.values()].sort(comparePathElements);
  }

  /** Non-empty children in Kubernetes' order. */
  sortedChildren(): Child[] {
    return [...this.children.values()].filter((c) => !c.set.isEmpty()).sort((a, b) => comparePathElements(a.element, b.element));
  }

  copy(): FieldSet {
    const out = new FieldSet();
    this.forEachMember((id, e) => out.members.set(id, e));
    for (const [id, c] of this.children) out.children.set(id, { element: c.element, set: c.set.copy() });
    return out;
  }

  private collect(prefix: FieldPath, out: FieldPath[]): void {
    for (const e of this.sortedMembers()) out.push([...prefix, e]);
    for (const c of this.sortedChildren()) c.set.collect([...prefix, c.element], out);
  }

  private forEachMember(fn: (id: string, e: PathElement) => void): void {
    for (const [id, e] of this.members) fn(id, e);
  }

  private childOrCreate(element: PathElement): FieldSet {
    const id = serializePathElement(element);
    let c = this.children.get(id);
    if (!c) {
      c = { element, set: new FieldSet() };
      this.children.set(id, c);
    }
    return c.set;
  }

  private normalized(): FieldSet {
    const out = new FieldSet();
    this.forEachMember((id, e) => out.members.set(id, e));
    for (const [id, c] of this.children) if (!c.set.isEmpty()) out.children.set(id, { element: c.element, set: c.set.normalized() });
    return out;
  }
}
