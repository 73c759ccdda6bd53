/**
 * Selector matching for the fake API client (test double), on top of the
 * kernel's own parsers (kernel/api/selectors.ts), so the fake accepts and
 * rejects exactly what the API server does. Field selectors read any dotted
 * path of the object (`metadata.name`, `spec.nodeName`, `status.phase`).
 */
import type { KubeObject } from '../../../kernel/api/types';
import { parseFieldSelector, parseLabelSelector } from '../../../kernel/api/selectors';

export type Matcher = (obj: KubeObject) => boolean;

export function labelMatcher(selector: string | undefined): Matcher {
  const m = parseLabelSelector(selector);
  return (obj) => m.matches(obj.metadata?.labels);
}

export function fieldMatcher(selector: string | undefined): Matcher {
  const m = parseFieldSelector(selector);
  if (m.empty) return () => true;
  const paths = m.requirements.map((r) => r.field);
  return (obj) => m.matches(Object.fromEntries(paths.map((p) => [p, fieldValue(obj, p)])));
}

function fieldValue(obj: KubeObject, path: string): string {
  let v: unknown = obj;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return '';
    v = (v as Record<string, unknown>)[part];
  }
  return v === undefined || v === null ? '' : String(v);
}
