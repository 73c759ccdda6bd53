/**
 * Content negotiation as the Kubernetes API server does it: the media types a
 * client accepts (in order), with the `as`/`g`/`v` parameters that ask for a
 * Table, PartialObjectMetadata or aggregated discovery instead of the object.
 */
import { ApiError } from './errors';

export interface MediaType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [{ type: '*/*', params: {} }];
  return header
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';').map((s) => s.trim());
      const p: Record<string, string> = {};
      for (const kv of params) {
        const eq = kv.indexOf('=');
        if (eq > 0) p[kv.slice(0, eq).trim().toLowerCase()] = kv.slice(eq + 1).trim().replace(/^"|"$/g, '');
      }
      return { type: type.toLowerCase(), params: p };
    })
    .filter((m) => m.type);
}

export function parseContentType(header: string | undefined): MediaType {
  return parseMediaTypes(header ?? 'application/json')[0] ?? { type: 'application/json', params: {} };
}

export type Rendering =
  | { kind: 'object'; format: 'json' | 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'metadata'; version: 'v1' | 'v1beta1' };

const JSONISH = new Set(['application/json', '*/*', 'application/*']);

/**
 * Decide how to render a resource response. Protobuf is never produced: a
 * client that also accepts JSON gets JSON; one that accepts only protobuf gets
 * 406.
 */
export function negotiateRendering(accept: string | undefined): Rendering {
  const types = parseMediaTypes(accept);
  for (const m of types) {
    const as = m.params.as;
    if (as && (m.type === 'application/json' || m.type === 'application/yaml')) {
      const v = m.params.v === 'v1beta1' ? 'v1beta1' : m.params.v === 'v1' ? 'v1' : undefined;
      if (m.params.g === 'meta.k8s.io' && v) {
        if (as === 'Table') return { kind: 'table', version: v };
        if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'metadata', version: v };
      }
      continue;
    }
    if (JSONISH.has(m.type)) return { kind: 'object', format: 'json' };
    if (m.type === 'application/yaml') return { kind: 'object', format: 'yaml' };
  }
  // Only protobuf, or only renderings we do not offer (e.g. a Table of a group we do not know).
  if (types.some((m) => m.type === 'application/json' && !m.params.as)) return { kind: 'object', format: 'json' };
  throw ApiError.notAcceptable();
}

export type DiscoveryRendering = { kind: 'aggregated'; version: 'v2' | 'v2beta1' } | { kind: 'legacy' };

/** Aggregated discovery when the client asks for APIGroupDiscoveryList first. */
export function negotiateDiscovery(accept: string | undefined): DiscoveryRendering {
  for (const m of parseMediaTypes(accept)) {
    if (m.params.as === 'APIGroupDiscoveryList' && m.params.g === 'apidiscovery.k8s.io' && (m.params.v === 'v2' || m.params.v === 'v2beta1')) {
      return { kind: 'aggregated', version: m.params.v };
    }
    if (JSONISH.has(m.type) && !m.params.as) return { kind: 'legacy' };
  }
  return { kind: 'legacy' };
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}
