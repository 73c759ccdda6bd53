/**
 * Helpers for server-side printing (`kubectl get`), matching Kubernetes'
 * printers cell for cell: HumanDuration for AGE, `<none>` placeholders, label
 * and selector rendering, container/image lists.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { TableColumn, TablePrinter } from '../resource';
import type { StoredObject } from '../types';

/**
 * Kubernetes' `duration.HumanDuration`: a short duration with two or three
 * significant figures (`5s`, `2m3s`, `10m`, `3h4m`, `2d3h`, `8d`, `2y45d`).
 * Up to a second in the future still reads as now (clock skew); further is
 * `<invalid>`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Kubernetes' `translateTimestampSince`: `<unknown>` for a missing time, else HumanDuration since then. */
export function age(timestamp: string | undefined | null, now: Date): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** Descriptions Kubernetes attaches to the columns every printer shares. */
export const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

export const AGE_COLUMN: TableColumn = { name: 'Age', type: 'string', description: AGE_DESCRIPTION, priority: 0 };

/** A column shown always (priority 0) or with `-o wide` (`wide: true`). */
export function column(name: string, type: TableColumn['type'], description: string, wide = false): TableColumn {
  return { name, type, description, priority: wide ? 1 : 0 };
}

export const CONTAINERS_COLUMN = column('Containers', 'string', 'Names of each container in the template.', true);
export const IMAGES_COLUMN = column('Images', 'string', 'Images referenced by each container in the template.', true);

/**
 * Kubernetes' default table for types without a printer: NAME (added by the
 * server) and `Created At`, a date cell holding the creation timestamp.
 */
export const defaultTablePrinter: TablePrinter = {
  columns: [{ name: 'Created At', type: 'date', description: AGE_DESCRIPTION, priority: 0 }],
  cells: (object: StoredObject) => [object.metadata.creationTimestamp],
};

/** Kubernetes' `labels.FormatLabels`: `k=v,k2=v2` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/**
 * A LabelSelector as Kubernetes' `labels.Selector.String()` prints it:
 * requirements sorted by key, set values sorted. Null selects nothing and
 * prints as the empty string, as does `{}` (everything).
 */
export function selectorString(selector: LabelSelector | null | undefined): string {
  if (!selector) return '';
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of selector.matchExpressions ?? []) {
    const values = [...new Set(e.values ?? [])].sort();
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, text: `${e.key} in (${values.join(',')})` });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, text: `${e.key} notin (${values.join(',')})` });
        break;
      case 'Exists':
        reqs.push({ key: e.key, text: e.key });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, text: `!${e.key}` });
        break;
    }
  }
  // A stable sort by key keeps matchLabels before expressions on the same key.
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** Kubernetes' `metav1.FormatLabelSelector`: the selector string, `<none>` when empty. */
export function formatLabelSelector(selector: LabelSelector | null | undefined): string {
  return selectorString(selector) || '<none>';
}

/** Whether labels satisfy a LabelSelector (null matches nothing, `{}` everything). */
export function selectorMatches(selector: LabelSelector | null | undefined, labels: Readonly<Record<string, string>> | undefined | null): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Kubernetes' `layoutContainerCells`: comma-separated container names and images. */
export function containerCells(containers: ReadonlyArray<{ name?: string; image?: string }> | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** Kubernetes' `listWithMoreString`: at most three items, then `+ N more...`. */
export function listWithMore(items: readonly string[], max = 3, empty = '<unset>'): string {
  const shown = items.slice(0, max).join(',');
  if (items.length > max) return `${shown} + ${items.length - max} more...`;
  return shown || empty;
}

/** `True`/`False`, or `<unset>` for a missing boolean (Kubernetes' printBoolPtr). */
export function boolCell(value: boolean | undefined | null): string {
  if (value === undefined || value === null) return '<unset>';
  return value ? 'True' : 'False';
}
