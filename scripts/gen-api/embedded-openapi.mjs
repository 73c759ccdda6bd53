/**
 * The Kubernetes OpenAPI document kustomize compiles into kubectl.
 *
 * kubectl links sigs.k8s.io/kustomize/kyaml, which embeds (go-bindata,
 * `kyaml/openapi/kubernetesapi/<version>/swagger.pb`) the OpenAPI v2 document
 * a Kubernetes API server served, as protobuf (gnostic's openapi_v2.Document,
 * the same message `/openapi/v2` is served as), gzipped. Every kubectl on the
 * build machine (1.27 to 1.33) carries the one captured from Kubernetes
 * v1.21.2.
 *
 * It is the only place in the binary where Kubernetes' `+listType`,
 * `+listMapKey`, `+structType` and `+mapType` comment markers survive: the Go
 * struct tags do not carry them, and client-go's structured-merge-diff schema
 * for typed apply configurations is not linked into kubectl. So this module
 * reads the extensions those markers become (`x-kubernetes-list-type`,
 * `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`) from it, together
 * with the patch metadata, which the generator cross-checks against the
 * struct tags. The document is four years older than the API types in the
 * binary: whatever Kubernetes marked since 1.21 is in overlay.mjs.
 */
import { createRequire } from 'node:module';
import { GZIP_MAGIC, gzipMember } from './descriptors.mjs';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');
const YAML = require('yaml');

/** An inflated openapi_v2.Document starts with field 1 (`swagger`), the string "2.0". */
const DOCUMENT_HEAD = Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]);
const DEFINITION_REF = '#/definitions/';

/**
 * @typedef {{ array: boolean, itemsRef?: string, listType?: string, listMapKeys?: string[],
 *   mapType?: string, patchStrategy?: string, patchMergeKey?: string }} EmbeddedProperty
 * @typedef {{ mapType?: string, properties: Map<string, EmbeddedProperty> }} EmbeddedDefinition
 * @typedef {{ title: string, version: string, definitions: Map<string, EmbeddedDefinition> }} EmbeddedOpenApi
 */

/**
 * Find and decode the embedded document.
 * @param {import('./elf.mjs').ElfFile} elf
 * @param {object} openapiV2Json protobufjs JSON of gnostic's OpenAPIv2.proto (from the same binary)
 * @returns {EmbeddedOpenApi}
 */
export function embeddedKubernetesOpenApi(elf, openapiV2Json) {
  const Document = protobuf.Root.fromJSON(openapiV2Json).lookupType('openapi.v2.Document');
  const found = [];
  const buf = elf.buf;
  for (let i = buf.indexOf(GZIP_MAGIC); i >= 0; i = buf.indexOf(GZIP_MAGIC, i + 1)) {
    const bytes = gzipMember(buf, i);
    if (!bytes || !bytes.subarray(0, DOCUMENT_HEAD.length).equals(DOCUMENT_HEAD)) continue;
    let doc;
    try {
      doc = Document.toObject(Document.decode(bytes), { defaults: false, longs: Number });
    } catch {
      continue;
    }
    if (doc.info?.title !== 'Kubernetes' || !doc.definitions) continue;
    found.push({ offset: i, doc });
  }
  const versions = [...new Set(found.map((f) => f.doc.info.version))];
  if (versions.length === 0) {
    throw new Error(`${elf.path}: no embedded Kubernetes OpenAPI document (kustomize's kyaml/openapi/kubernetesapi) found`);
  }
  if (versions.length > 1) throw new Error(`${elf.path}: several embedded Kubernetes OpenAPI documents (${versions.join(', ')}); pick one explicitly`);
  const { doc } = found[0];
  /** @type {Map<string, EmbeddedDefinition>} */
  const definitions = new Map();
  for (const { name, value } of doc.definitions.additionalProperties ?? []) {
    const ext = extensions(value, name);
    const properties = new Map();
    for (const p of value.properties?.additionalProperties ?? []) properties.set(p.name, property(p.value, `${name}.${p.name}`));
    definitions.set(name, { ...(ext['x-kubernetes-map-type'] ? { mapType: ext['x-kubernetes-map-type'] } : {}), properties });
  }
  return { title: doc.info.title, version: doc.info.version, definitions };
}

/** @returns {EmbeddedProperty} */
function property(schema, where) {
  const ext = extensions(schema, where);
  const type = schema.type?.value ?? [];
  const items = schema.items?.schema?.[0];
  /** @type {EmbeddedProperty} */
  const out = { array: type.includes('array') };
  if (items?.Ref?.startsWith(DEFINITION_REF)) out.itemsRef = items.Ref.slice(DEFINITION_REF.length);
  if (ext['x-kubernetes-list-type'] !== undefined) out.listType = ext['x-kubernetes-list-type'];
  if (ext['x-kubernetes-list-map-keys'] !== undefined) out.listMapKeys = ext['x-kubernetes-list-map-keys'];
  if (ext['x-kubernetes-map-type'] !== undefined) out.mapType = ext['x-kubernetes-map-type'];
  if (ext['x-kubernetes-patch-strategy'] !== undefined) out.patchStrategy = ext['x-kubernetes-patch-strategy'];
  if (ext['x-kubernetes-patch-merge-key'] !== undefined) out.patchMergeKey = ext['x-kubernetes-patch-merge-key'];
  return out;
}

/** Vendor extensions: gnostic keeps each value as the YAML text of its JSON value. */
function extensions(schema, where) {
  const out = {};
  for (const { name, value } of schema.vendorExtension ?? []) {
    if (typeof value?.yaml !== 'string') throw new Error(`embedded OpenAPI: ${where}: extension ${name} has no YAML value`);
    out[name] = YAML.parse(value.yaml);
  }
  return out;
}
