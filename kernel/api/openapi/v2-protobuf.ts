/**
 * Swagger 2.0 JSON <-> gnostic's `openapi.v2.Document` protobuf, the form in
 * which kubectl fetches `/openapi/v2` (Accept:
 * application/com.github.proto-openapi.spec.v2@v1.0+protobuf) and parses it
 * with kube-openapi's proto.NewOpenAPIData. Covers the parts of Swagger 2.0
 * the documents in documents.ts use. Vendor extensions, `default`, `enum` and
 * `example` are gnostic `Any` values holding YAML, as gnostic writes them;
 * kubectl reads `x-kubernetes-group-version-kind` through that YAML.
 */
import * as protobuf from 'protobufjs';
import YAML from 'yaml';
import { readGeneratedJson } from '../protobuf/generated-data';

type Json = Record<string, unknown>;
type Message = Record<string, unknown>;

/**
 * What kubectl puts in Accept for the v2 document; older clients ask for
 * `application/com.github.proto-openapi.spec.v2.v1.0+protobuf`. Match either.
 */
export const OPENAPI_V2_PROTOBUF_ACCEPT = /application\/com\.github\.proto-openapi\.spec\.v2(@|\.)v1\.0\+protobuf/;

/**
 * The Content-Type to answer with. Not the `@` form: Go's mime.ParseMediaType
 * rejects it, and kubectl then fails with "mime: unexpected content after
 * media subtype".
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

let root: protobuf.Root | undefined;

function documentType(): protobuf.Type {
  root ??= protobuf.Root.fromJSON(readGeneratedJson(__dirname, '../protobuf/generated/openapiv2.json'));
  return root.lookupType('openapi.v2.Document');
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

/** Schema keywords with a direct scalar field in gnostic's Schema message. */
const SCHEMA_SCALARS = ['format', 'title', 'description', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'discriminator', 'readOnly'] as const;
const PARAMETER_SCALARS = ['required', 'in', 'description', 'name', 'allowEmptyValue', 'type', 'format', 'collectionFormat', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf'] as const;

/** Encode a Swagger 2.0 document as gnostic protobuf. Throws on constructs it does not cover. */
export function encodeOpenApiV2(document: object): Buffer {
  const doc = document as Json;
  const T = documentType();
  const message: Message = { swagger: doc.swagger, vendorExtension: extensions(doc, 'document') };
  if (doc.info) message.info = pick(doc.info as Json, ['title', 'version', 'description']);
  if (doc.paths) {
    message.paths = {
      path: Object.entries(doc.paths as Json).map(([name, item]) => ({ name, value: pathItem(item as Json, name) })),
    };
  }
  if (doc.definitions) {
    message.definitions = { additionalProperties: Object.entries(doc.definitions as Json).map(([name, s]) => ({ name, value: schema(s as Json, `definitions.${name}`) })) };
  }
  for (const key of Object.keys(doc)) {
    if (!['swagger', 'info', 'paths', 'definitions'].includes(key) && !key.startsWith('x-')) throw new Error(`OpenAPI v2 protobuf: top-level ${key} is not supported`);
  }
  const err = T.verify(message);
  if (err) throw new Error(`OpenAPI v2 protobuf: ${err}`);
  return Buffer.from(T.encode(T.fromObject(message)).finish());
}

function pathItem(item: Json, where: string): Message {
  const out: Message = { vendorExtension: extensions(item, where) };
  for (const method of HTTP_METHODS) if (item[method]) out[method] = operation(item[method] as Json, `${where}.${method}`);
  if (item.parameters) out.parameters = (item.parameters as Json[]).map((p) => parameter(p, `${where}.parameters`));
  return out;
}

function operation(op: Json, where: string): Message {
  const out: Message = pick(op, ['tags', 'summary', 'description', 'operationId', 'produces', 'consumes', 'schemes', 'deprecated']);
  out.vendorExtension = extensions(op, where);
  if (op.parameters) out.parameters = (op.parameters as Json[]).map((p) => parameter(p, `${where}.parameters`));
  if (op.responses) {
    out.responses = {
      responseCode: Object.entries(op.responses as Json).map(([code, r]) => {
        const response = r as Json;
        const value: Message = { description: response.description ?? '' };
        if (response.schema) value.schema = { schema: schema(response.schema as Json, `${where}.responses.${code}`) };
        return { name: code, value: { response: value } };
      }),
    };
  }
  return out;
}

function parameter(p: Json, where: string): Message {
  if (p.$ref) return { jsonReference: { Ref: p.$ref } };
  if (p.in === 'body') {
    return { parameter: { bodyParameter: { ...pick(p, ['description', 'name', 'in', 'required']), schema: schema(p.schema as Json, where), vendorExtension: extensions(p, where) } } };
  }
  const sub: Message = { ...pick(p, PARAMETER_SCALARS), vendorExtension: extensions(p, where) };
  if (p.default !== undefined) sub.default = any(p.default);
  if (p.enum) sub.enum = (p.enum as unknown[]).map(any);
  const kind = { query: 'queryParameterSubSchema', path: 'pathParameterSubSchema', header: 'headerParameterSubSchema', formData: 'formDataParameterSubSchema' }[p.in as string];
  if (!kind) throw new Error(`OpenAPI v2 protobuf: ${where}: parameter location ${String(p.in)} is not supported`);
  return { parameter: { nonBodyParameter: { [kind]: sub } } };
}

function schema(s: Json, where: string): Message {
  const out: Message = pick(s, SCHEMA_SCALARS);
  if (s.$ref) out.Ref = s.$ref;
  if (s.type !== undefined) out.type = { value: Array.isArray(s.type) ? s.type : [s.type] };
  if (s.required) out.required = s.required;
  if (s.default !== undefined) out.default = any(s.default);
  if (s.example !== undefined) out.example = any(s.example);
  if (s.enum) out.enum = (s.enum as unknown[]).map(any);
  if (s.items) out.items = { schema: (Array.isArray(s.items) ? s.items : [s.items]).map((i: Json, n: number) => schema(i, `${where}.items[${n}]`)) };
  if (s.allOf) out.allOf = (s.allOf as Json[]).map((a, n) => schema(a, `${where}.allOf[${n}]`));
  if (s.properties) out.properties = { additionalProperties: Object.entries(s.properties as Json).map(([name, v]) => ({ name, value: schema(v as Json, `${where}.${name}`) })) };
  if (s.additionalProperties !== undefined) {
    out.additionalProperties = typeof s.additionalProperties === 'boolean' ? { boolean: s.additionalProperties } : { schema: schema(s.additionalProperties as Json, `${where}.additionalProperties`) };
  }
  out.vendorExtension = extensions(s, where);
  for (const key of Object.keys(s)) {
    if (!key.startsWith('x-') && !(SCHEMA_SCALARS as readonly string[]).includes(key) && !['$ref', 'type', 'required', 'default', 'example', 'enum', 'items', 'allOf', 'properties', 'additionalProperties'].includes(key)) {
      throw new Error(`OpenAPI v2 protobuf: ${where}: schema keyword ${key} is not supported in Swagger 2.0`);
    }
  }
  return out;
}

/** `x-...` keys as gnostic NamedAny entries with YAML values. */
function extensions(node: Json, _where: string): Message[] {
  return Object.keys(node)
    .filter((k) => k.startsWith('x-'))
    .map((name) => ({ name, value: any(node[name]) }));
}

function any(value: unknown): Message {
  return { yaml: YAML.stringify(value) };
}

function pick(node: Json, keys: readonly string[]): Message {
  const out: Message = {};
  for (const k of keys) if (node[k] !== undefined) out[k] = node[k];
  return out;
}

// ---- decoding, for tests and tools: gnostic protobuf back to Swagger JSON ----

/** Decode gnostic protobuf into Swagger 2.0 JSON (the inverse of encodeOpenApiV2). */
export function decodeOpenApiV2(bytes: Uint8Array): Json {
  const T = documentType();
  const m = T.toObject(T.decode(bytes), { longs: Number, defaults: false, arrays: false }) as Message;
  const out: Json = { swagger: m.swagger };
  if (m.info) out.info = m.info;
  if (m.paths) {
    const paths: Json = {};
    for (const p of ((m.paths as Message).path as Message[]) ?? []) paths[p.name as string] = fromPathItem(p.value as Message);
    out.paths = paths;
  }
  if (m.definitions) {
    const defs: Json = {};
    for (const d of ((m.definitions as Message).additionalProperties as Message[]) ?? []) defs[d.name as string] = fromSchema(d.value as Message);
    out.definitions = defs;
  }
  Object.assign(out, fromExtensions(m.vendorExtension));
  return out;
}

function fromPathItem(m: Message): Json {
  const out: Json = {};
  if (m.parameters) out.parameters = (m.parameters as Message[]).map(fromParameter);
  for (const method of HTTP_METHODS) if (m[method]) out[method] = fromOperation(m[method] as Message);
  return { ...out, ...fromExtensions(m.vendorExtension) };
}

function fromOperation(m: Message): Json {
  const out: Json = pick(m, ['tags', 'summary', 'description', 'operationId', 'produces', 'consumes', 'schemes', 'deprecated']);
  if (m.parameters) out.parameters = (m.parameters as Message[]).map(fromParameter);
  if (m.responses) {
    const responses: Json = {};
    for (const r of ((m.responses as Message).responseCode as Message[]) ?? []) {
      const response = ((r.value as Message).response ?? {}) as Message;
      const value: Json = { description: response.description ?? '' };
      const s = (response.schema as Message | undefined)?.schema;
      if (s) value.schema = fromSchema(s as Message);
      responses[r.name as string] = value;
    }
    out.responses = responses;
  }
  return { ...out, ...fromExtensions(m.vendorExtension) };
}

function fromParameter(m: Message): Json {
  if (m.jsonReference) return { $ref: (m.jsonReference as Message).Ref };
  const p = m.parameter as Message;
  if (p.bodyParameter) {
    const b = p.bodyParameter as Message;
    return { ...pick(b, ['description', 'name', 'in', 'required']), schema: fromSchema(b.schema as Message), ...fromExtensions(b.vendorExtension) };
  }
  const nb = p.nonBodyParameter as Message;
  const sub = Object.values(nb)[0] as Message;
  const out: Json = pick(sub, PARAMETER_SCALARS);
  if (sub.default) out.default = fromAny(sub.default as Message);
  if (sub.enum) out.enum = (sub.enum as Message[]).map(fromAny);
  return { ...out, ...fromExtensions(sub.vendorExtension) };
}

function fromSchema(m: Message): Json {
  const out: Json = {};
  if (m.Ref) out.$ref = m.Ref;
  Object.assign(out, pick(m, SCHEMA_SCALARS));
  const types = (m.type as Message | undefined)?.value as string[] | undefined;
  if (types?.length) out.type = types.length === 1 ? types[0] : types;
  if (m.required) out.required = m.required;
  if (m.default) out.default = fromAny(m.default as Message);
  if (m.example) out.example = fromAny(m.example as Message);
  if (m.enum) out.enum = (m.enum as Message[]).map(fromAny);
  const items = (m.items as Message | undefined)?.schema as Message[] | undefined;
  if (items?.length) out.items = items.length === 1 ? fromSchema(items[0]) : items.map(fromSchema);
  if (m.allOf) out.allOf = (m.allOf as Message[]).map(fromSchema);
  if (m.properties) {
    const props: Json = {};
    for (const p of ((m.properties as Message).additionalProperties as Message[]) ?? []) props[p.name as string] = fromSchema(p.value as Message);
    out.properties = props;
  }
  const ap = m.additionalProperties as Message | undefined;
  if (ap) out.additionalProperties = ap.schema ? fromSchema(ap.schema as Message) : !!ap.boolean;
  return { ...out, ...fromExtensions(m.vendorExtension) };
}

function fromExtensions(list: unknown): Json {
  const out: Json = {};
  for (const e of (list as Message[] | undefined) ?? []) out[e.name as string] = fromAny(e.value as Message);
  return out;
}

function fromAny(m: Message): unknown {
  return YAML.parse((m.yaml as string | undefined) ?? '');
}
