/**
 * The OpenAPI documents of the served API, as Kubernetes publishes them:
 *
 * - `/openapi/v3`: an index of group versions, each with a URL carrying the
 *   document's hash (kubectl caches documents by that URL);
 * - `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`: OpenAPI 3.0
 *   documents with every operation and the schemas they need;
 * - `/openapi/v2`: one Swagger 2.0 document for everything, which kubectl
 *   fetches as gnostic protobuf (see v2-protobuf.ts).
 *
 * kubectl relies on: `x-kubernetes-group-version-kind` on operations and on
 * schemas (explain, apply, validation find a kind's schema through them), the
 * PATCH operation of a kind listing `application/strategic-merge-patch+json`
 * (client-side apply computes strategic patches from the schema only then),
 * and the `fieldValidation` parameter on that PATCH operation (otherwise
 * kubectl validates on the client against the v2 document).
 */
import crypto from 'node:crypto';
import { ResourceDefinition } from '../resource';
import type { SchemaRegistry } from './schemas';
import type { OpenApiSchema, SchemaDefinitions } from './types';
import { SCHEMA_REF_PREFIX } from './types';
import { definitionClosure } from './closure';
import { BodySchema, Gvk, OperationSpec, PATCH_CONTENT_TYPES, PathSpec, groupVersionPaths } from './operations';
import { ParameterSpec } from './parameters';
import { toV2Schema, V2_REF_PREFIX, V2Schema } from './swagger';
import { encodeOpenApiV2 } from './v2-protobuf';

export interface OpenApiDocumentsOptions {
  /** `info.version` (the Kubernetes version the server reports, e.g. `v1.33.0`). */
  readonly version?: string;
  /** Media types the server answers in; list and watch add their `;stream=watch` forms. */
  readonly responseTypes?: readonly string[];
}

const DEFAULT_RESPONSE_TYPES = ['application/json', 'application/yaml'];
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export interface OpenApiV3Document {
  openapi: '3.0.0';
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

export interface SwaggerDocument {
  swagger: '2.0';
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  definitions: Record<string, V2Schema>;
}

/** A rendered document: its JSON text and the hash kubectl caches it by. */
export interface RenderedV3Document {
  readonly document: OpenApiV3Document;
  readonly body: string;
  readonly etag: string;
}

export interface RenderedV2Document {
  readonly document: SwaggerDocument;
  readonly etag: string;
  json(): string;
  /** gnostic `openapi.v2.Document`, what kubectl asks for. */
  protobuf(): Buffer;
}

/**
 * All documents for one set of served resources and schemas. Built lazily,
 * once: create a new instance when resources change.
 */
export class OpenApiDocuments {
  private readonly resources: readonly ResourceDefinition[];
  private readonly definitions: SchemaDefinitions;
  private readonly namer: (gvk: Gvk) => string;
  private readonly v3Cache = new Map<string, RenderedV3Document>();
  private v2Cache: RenderedV2Document | undefined;

  constructor(
    resources: readonly ResourceDefinition[],
    registry: SchemaRegistry,
    private readonly options: OpenApiDocumentsOptions = {},
  ) {
    this.resources = resources;
    // Kinds without a registered schema get a permissive one, so every
    // operation's kind can still be found and every $ref resolves.
    this.definitions = { ...registry.definitions() };
    const explicit = new Map<string, string>();
    for (const r of resources) if (r.schemaName) explicit.set(gvkKey(r), r.schemaName);
    this.namer = (gvk) => {
      const name = explicit.get(gvkKey(gvk)) ?? registry.nameFor(gvk.group, gvk.version, gvk.kind);
      if (name && this.definitions[name]) return name;
      return this.syntheticDefinition(gvk);
    };
  }

  /** Group-version paths (`api/v1`, `apis/apps/v1`) in Kubernetes' order: core first. */
  groupVersions(): string[] {
    const seen = new Set<string>();
    for (const r of this.resources) seen.add(r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`);
    return [...seen].sort((a, b) => (a.startsWith('api/') === b.startsWith('api/') ? (a < b ? -1 : a > b ? 1 : 0) : a.startsWith('api/') ? -1 : 1));
  }

  /** `GET /openapi/v3`. */
  v3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const gv of this.groupVersions()) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.v3Document(gv)?.etag}` };
    return { paths };
  }

  /** `GET /openapi/v3/<path>` (`api/v1`, `apis/apps/v1`), or undefined for a group version not served. */
  v3Document(path: string): RenderedV3Document | undefined {
    const key = path.replace(/^\/+|\/+$/g, '');
    const cached = this.v3Cache.get(key);
    if (cached) return cached;
    const m = /^(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(key);
    if (!m || !this.groupVersions().includes(key)) return undefined;
    const [group, version] = m[1] ? ['', m[1]] : [m[2], m[3]];
    const document = this.buildV3(group, version);
    const body = JSON.stringify(document);
    const rendered = { document, body, etag: hash(body) };
    this.v3Cache.set(key, rendered);
    return rendered;
  }

  /** `GET /openapi/v2`. */
  v2(): RenderedV2Document {
    if (!this.v2Cache) {
      const document = this.buildV2();
      const json = JSON.stringify(document);
      let protobuf: Buffer | undefined;
      this.v2Cache = {
        document,
        etag: hash(json),
        json: () => json,
        protobuf: () => (protobuf ??= encodeOpenApiV2(document)),
      };
    }
    return this.v2Cache;
  }

  private pathsOf(group: string, version: string): PathSpec[] {
    return groupVersionPaths(group, version, this.resources, this.namer);
  }

  private buildV3(group: string, version: string): OpenApiV3Document {
    const specs = this.pathsOf(group, version);
    const paths: OpenApiV3Document['paths'] = {};
    for (const spec of specs) {
      const item: Record<string, unknown> = {};
      if (spec.parameters.length) item.parameters = spec.parameters.map(v3Parameter);
      for (const op of spec.operations) item[op.method] = this.v3Operation(op);
      paths[spec.path] = item;
    }
    const schemas: Record<string, OpenApiSchema> = {};
    for (const name of definitionClosure(this.definitions, rootsOf(specs))) schemas[name] = this.definitions[name];
    return sortKeys({ openapi: '3.0.0', info: this.info(), paths, components: { schemas } }) as OpenApiV3Document;
  }

  private v3Operation(op: OperationSpec): Record<string, unknown> {
    const out: Record<string, unknown> = { tags: [op.tag], description: op.description, operationId: op.operationId };
    if (op.parameters.length) out.parameters = op.parameters.map(v3Parameter);
    if (op.body) {
      const schema = v3Body(op.body.schema);
      const types = op.body.patch ? PATCH_CONTENT_TYPES : ['*/*'];
      out.requestBody = { content: Object.fromEntries(types.map((t) => [t, { schema }])), required: op.body.required };
    }
    const responses: Record<string, unknown> = {};
    for (const r of op.responses) {
      const response: Record<string, unknown> = { description: r.description };
      if (r.schema) {
        const schema = v3Body(r.schema);
        response.content = Object.fromEntries(this.responseTypes(op, r.schema).map((t) => [t, { schema }]));
      }
      responses[r.code] = response;
    }
    responses['401'] = { description: 'Unauthorized' };
    out.responses = responses;
    out['x-kubernetes-action'] = op.action;
    out['x-kubernetes-group-version-kind'] = { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
    return out;
  }

  private responseTypes(op: OperationSpec, schema: BodySchema): string[] {
    if ('text' in schema) return ['*/*'];
    const base = [...(this.options.responseTypes ?? DEFAULT_RESPONSE_TYPES)];
    if (op.streams) for (const t of this.options.responseTypes ?? DEFAULT_RESPONSE_TYPES) if (t !== 'application/yaml') base.push(`${t};stream=watch`);
    return base;
  }

  private buildV2(): SwaggerDocument {
    const paths: SwaggerDocument['paths'] = {};
    const roots = new Set<string>();
    for (const gv of this.groupVersions()) {
      const [group, version] = gv.startsWith('api/') ? ['', gv.slice(4)] : gv.slice(5).split('/');
      const specs = this.pathsOf(group, version);
      for (const r of rootsOf(specs)) roots.add(r);
      for (const spec of specs) {
        const item: Record<string, unknown> = {};
        if (spec.parameters.length) item.parameters = spec.parameters.map(v2Parameter);
        for (const op of spec.operations) item[op.method] = this.v2Operation(op);
        paths[spec.path] = item;
      }
    }
    const definitions: Record<string, V2Schema> = {};
    for (const name of definitionClosure(this.definitions, roots)) definitions[name] = toV2Schema(this.definitions[name]);
    return sortKeys({ swagger: '2.0', info: this.info(), paths, definitions }) as SwaggerDocument;
  }

  private v2Operation(op: OperationSpec): Record<string, unknown> {
    const out: Record<string, unknown> = { tags: [op.tag], description: op.description, operationId: op.operationId, schemes: ['https'] };
    out.consumes = op.body?.patch ? PATCH_CONTENT_TYPES : ['*/*'];
    const firstSchema = op.responses.find((r) => r.schema)?.schema;
    out.produces = firstSchema ? this.responseTypes(op, firstSchema) : ['*/*'];
    const parameters: unknown[] = op.parameters.map(v2Parameter);
    if (op.body) parameters.unshift({ in: 'body', name: 'body', ...(op.body.required ? { required: true } : {}), schema: v2Body(op.body.schema) });
    if (parameters.length) out.parameters = parameters;
    const responses: Record<string, unknown> = {};
    for (const r of op.responses) responses[r.code] = r.schema ? { description: r.description, schema: v2Body(r.schema) } : { description: r.description };
    responses['401'] = { description: 'Unauthorized' };
    out.responses = responses;
    out['x-kubernetes-action'] = op.action;
    out['x-kubernetes-group-version-kind'] = { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
    return out;
  }

  private info(): { title: string; version: string } {
    return { title: 'Kubernetes', version: this.options.version ?? 'unversioned' };
  }

  /**
   * A definition for a kind the schema registry does not know: any object of
   * that kind, like a CRD without a schema. Lists get an items array of it.
   */
  private syntheticDefinition(gvk: Gvk): string {
    const prefix = [...(gvk.group || 'core').split('.').reverse(), gvk.version].join('.');
    const name = `${prefix}.${gvk.kind}`;
    if (this.definitions[name]) return name;
    const string = { type: 'string' as const };
    const itemKind = gvk.kind.endsWith('List') ? this.resources.find((r) => r.group === gvk.group && r.version === gvk.version && (r.listKind ?? `${r.kind}List`) === gvk.kind)?.kind : undefined;
    const gvks = [{ group: gvk.group, kind: gvk.kind, version: gvk.version }];
    this.definitions[name] = itemKind
      ? {
          type: 'object',
          description: `A list of ${itemKind} objects.`,
          properties: {
            apiVersion: string,
            kind: string,
            metadata: { $ref: `${SCHEMA_REF_PREFIX}${META}.ListMeta` },
            items: { type: 'array', items: { $ref: SCHEMA_REF_PREFIX + this.namer({ ...gvk, kind: itemKind }) } },
          },
          required: ['items'],
          'x-kubernetes-group-version-kind': gvks,
        }
      : {
          type: 'object',
          description: `${gvk.kind} (no schema registered: any fields are accepted).`,
          properties: { apiVersion: string, kind: string, metadata: { $ref: `${SCHEMA_REF_PREFIX}${META}.ObjectMeta` } },
          'x-kubernetes-preserve-unknown-fields': true,
          'x-kubernetes-group-version-kind': gvks,
        };
    return name;
  }
}

function gvkKey(g: Gvk): string {
  return `${g.group}/${g.version}/${g.kind}`;
}

function rootsOf(specs: PathSpec[]): Set<string> {
  const roots = new Set<string>();
  for (const spec of specs) {
    for (const op of spec.operations) {
      if (op.body && 'definition' in op.body.schema) roots.add(op.body.schema.definition);
      for (const r of op.responses) if (r.schema && 'definition' in r.schema) roots.add(r.schema.definition);
    }
  }
  return roots;
}

function v3Body(schema: BodySchema): OpenApiSchema {
  return 'definition' in schema ? { $ref: SCHEMA_REF_PREFIX + schema.definition } : { type: 'string' };
}

function v2Body(schema: BodySchema): V2Schema {
  return 'definition' in schema ? { $ref: V2_REF_PREFIX + schema.definition } : { type: 'string' };
}

function v3Parameter(p: ParameterSpec): Record<string, unknown> {
  return { name: p.name, in: p.in, description: p.description, ...(p.required ? { required: true } : {}), schema: { type: p.type, uniqueItems: true } };
}

function v2Parameter(p: ParameterSpec): Record<string, unknown> {
  return { name: p.name, in: p.in, description: p.description, ...(p.required ? { required: true } : {}), type: p.type, uniqueItems: true };
}

/** sha512 in upper-case hex, as Kubernetes hashes its documents. */
function hash(text: string): string {
  return crypto.createHash('sha512').update(text).digest('hex').toUpperCase();
}

/** Sorted object keys, as Go marshals maps: stable bytes, stable hashes. */
function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}
