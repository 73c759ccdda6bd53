#!/usr/bin/env node
/**
 * Generate skiff's Kubernetes API data from sources on this machine:
 *
 *   kernel/api/openapi/generated/definitions.json   OpenAPI v3 component schemas
 *   kernel/api/protobuf/generated/k8s.json           Kubernetes' protobuf schemas (protobufjs JSON)
 *   kernel/api/protobuf/generated/k8s-go.json        JSON names/omitempty, kinds, slice messages
 *   kernel/api/protobuf/generated/openapiv2.json     gnostic's OpenAPI v2 protobuf schema
 *
 * Sources: the npm package kubernetes-types (structure, docs, required) and a
 * kubectl binary (protobuf descriptors, Go struct tags, Go type information,
 * and the Kubernetes OpenAPI document kustomize embeds in it, for the
 * server-side-apply markers), plus a checked overlay of the markers Kubernetes
 * added after that document (scripts/gen-api/overlay.mjs).
 *
 *   node scripts/gen-api-schemas.mjs [--kubectl <path>] [--check] [--overlay <module>]
 *
 * --check regenerates in memory and fails if the committed files differ.
 * --overlay replaces scripts/gen-api/overlay.mjs with another module of the
 * same shape (to try out entries, and for the tests of the overlay checks).
 * Output is deterministic for a given kubectl binary and kubernetes-types version.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ElfFile } from './gen-api/elf.mjs';
import { GoTypes } from './gen-api/go-types.mjs';
import { kubernetesFileDescriptors, rawFileDescriptor } from './gen-api/descriptors.mjs';
import { scanStructTags, matchTagsToDescriptors } from './gen-api/struct-tags.mjs';
import { readKubernetesTypes } from './gen-api/kubernetes-types.mjs';
import { buildDefinitions } from './gen-api/schemas.mjs';
import { protobufJson, goSideTable, openApiV2Json, withDependencies } from './gen-api/protobuf.mjs';
import { readmes } from './gen-api/readmes.mjs';
import { embeddedKubernetesOpenApi } from './gen-api/embedded-openapi.mjs';
import { SchemaMarkers } from './gen-api/markers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

/** Group versions whose every type is generated (and whatever they refer to). */
const MODULES = [
  'core/v1', 'apps/v1', 'batch/v1', 'autoscaling/v1', 'coordination/v1', 'discovery/v1', 'events/v1', 'scheduling/v1',
  'authorization/v1', 'authentication/v1', 'rbac/v1', 'networking/v1', 'policy/v1', 'storage/v1', 'node/v1', 'meta/v1',
];

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
/** meta/v1 types kubernetes-types does not have; generated from the Go types in the binary. */
const GO_ROOTS = ['Table', 'PartialObjectMetadata', 'PartialObjectMetadataList', 'CreateOptions', 'UpdateOptions', 'PatchOptions', 'GetOptions', 'ListOptions'].map((k) => `${META}.${k}`);

/** Kinds without literal apiVersion/kind in kubernetes-types, and where Kubernetes registers them. */
const META_GV = [{ group: 'meta.k8s.io', version: 'v1' }];
const EXTRA_GVKS = {
  [`${META}.Status`]: [{ group: '', version: 'v1' }],
  [`${META}.DeleteOptions`]: 'every',
  [`${META}.WatchEvent`]: 'every',
  [`${META}.CreateOptions`]: 'every',
  [`${META}.UpdateOptions`]: 'every',
  [`${META}.PatchOptions`]: 'every',
  [`${META}.GetOptions`]: 'every',
  [`${META}.ListOptions`]: 'every',
  [`${META}.Table`]: META_GV,
  [`${META}.PartialObjectMetadata`]: META_GV,
  [`${META}.PartialObjectMetadataList`]: META_GV,
};

/** Hand-checked expectations, printed so a regeneration from another binary shows drift at once. */
const SPOT_CHECKS = [
  ['io.k8s.api.core.v1.PodSpec', 'topologySpreadConstraints'],
  ['io.k8s.api.core.v1.PodSpec', 'hostAliases'],
  ['io.k8s.api.core.v1.EphemeralContainer', 'ports'],
  ['io.k8s.api.core.v1.PodStatus', 'hostIPs'],
  ['io.k8s.api.batch.v1.JobStatus', 'conditions'],
  ['io.k8s.api.core.v1.PodSpec', 'containers'],
  ['io.k8s.api.core.v1.PodSpec', 'volumes'],
  ['io.k8s.api.core.v1.Container', 'ports'],
  ['io.k8s.api.core.v1.Container', 'env'],
  ['io.k8s.api.core.v1.Container', 'volumeMounts'],
  [`${META}.ObjectMeta`, 'finalizers'],
  [`${META}.ObjectMeta`, 'ownerReferences'],
  ['io.k8s.api.apps.v1.DeploymentSpec', 'strategy'],
  ['io.k8s.api.core.v1.PodStatus', 'conditions'],
  ['io.k8s.api.core.v1.NodeStatus', 'addresses'],
  ['io.k8s.api.core.v1.ServiceSpec', 'ports'],
];

function protoFileOf(module) {
  return module === 'meta/v1' ? 'k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto' : `k8s.io/api/${module}/generated.proto`;
}

function parseArgs(argv) {
  const args = { kubectl: DEFAULT_KUBECTL, check: false, overlay: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--kubectl') args.kubectl = argv[++i];
    else if (argv[i] === '--check') args.check = true;
    else if (argv[i] === '--overlay') args.overlay = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (usage: gen-api-schemas.mjs [--kubectl <path>] [--check] [--overlay <module>])`);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const log = (...a) => console.log(...a);

  const elf = new ElfFile(args.kubectl);
  const sha256 = elf.sha256();
  log(`kubectl: ${args.kubectl} (sha256 ${sha256})`);
  const go = new GoTypes(elf);
  const goStructs = go.namedStructs();
  const files = kubernetesFileDescriptors(elf);
  log(`  ${files.size} k8s.io protobuf descriptor files, ${goStructs.size} named Go struct types`);

  const tags = scanStructTags(go);
  const { byMessage, report: tagReport } = matchTagsToDescriptors(files, tags, goStructs);
  log(`  ${tags.length} distinct struct tags with a protobuf key${tags.unparsed ? ` (${tags.unparsed} occurrences not parsed)` : ''}`);
  log(`struct tags -> descriptor fields (${tagReport.fields} fields):`);
  log(`  unique match: ${tagReport.unique}; several candidates, all equivalent: ${tagReport.equivalent}; no tag: ${tagReport.untagged}`);
  log(`  ambiguous: ${tagReport.ambiguous.length}, resolved by the owning Go struct's type information: ${tagReport.resolvedByGoTypes}`);
  const generatedPackages = MODULES.map((m) => protoFileOf(m).replace(/\/generated\.proto$/, '').replace(/\//g, '.') + '.');
  const meaningful = tagReport.ambiguous.filter(
    (a) => generatedPackages.some((p) => a.field.startsWith(p)) && a.candidates.some((c) => /patchStrategy|patchMergeKey|listType/.test(c)),
  );
  log(`  ambiguous in the generated group versions with patch/list metadata among the candidates (${meaningful.length}):`);
  for (const a of meaningful) log(`    ${a.field}: ${a.candidates.length} candidates -> ${a.resolved ?? 'UNRESOLVED'}`);
  if (tagReport.namelessResolvedByGoTypes.length) {
    log(`  tags naming no protobuf field (inline members), taken from the owning Go struct: ${tagReport.namelessResolvedByGoTypes.length}`);
    for (const n of tagReport.namelessResolvedByGoTypes) log(`    ${n}`);
  }
  if (tagReport.unresolved.length) {
    log(`  unresolved (no Go struct: custom-marshalled or slice types; their fields get no tag): ${tagReport.unresolved.map((u) => u.field).join(', ')}`);
  }
  if (tagReport.disagreements.length) {
    log(`  unique tag matches overridden by the Go type information (tag label says opt/rep wrongly):`);
    for (const d of tagReport.disagreements) log(`    ${d}`);
  }

  const openapi = openApiV2Json(rawFileDescriptor(elf, 'openapiv2/OpenAPIv2.proto'));
  const embedded = embeddedKubernetesOpenApi(elf, openapi);
  log(`embedded OpenAPI document (kustomize's kyaml/openapi/kubernetesapi): ${embedded.title} ${embedded.version}, ${embedded.definitions.size} definitions`);
  const overlayTable = args.overlay ? await import(pathToFileURL(args.overlay).href) : undefined;
  if (args.overlay) log(`overlay: ${args.overlay}`);
  const markers = new SchemaMarkers(embedded, overlayTable);

  const ktDir = path.join(ROOT, 'node_modules', 'kubernetes-types');
  const { version: ktVersion, declarations } = readKubernetesTypes(ktDir, MODULES);
  log(`kubernetes-types ${ktVersion}: ${declarations.size} declarations read`);
  const roots = [...declarations.values()].filter((d) => MODULES.includes(d.module)).map((d) => d.name).concat(GO_ROOTS);
  const { definitions, report } = buildDefinitions({ declarations, files, tags: byMessage, goStructs, roots, extraGvks: EXTRA_GVKS, markers });
  const kinds = Object.values(definitions).filter((d) => d['x-kubernetes-group-version-kind']).length;
  log(`definitions: ${Object.keys(definitions).length} (${kinds} with x-kubernetes-group-version-kind); ${report.fromKubernetesTypes} from kubernetes-types, ${report.fromGoTypes.length} from Go types: ${report.fromGoTypes.map(short).join(', ')}`);
  if (report.numbersWithoutFormat.length) log(`  numbers with no protobuf field (type integer, no format): ${report.numbersWithoutFormat.join(', ')}`);
  if (report.typeMismatches.length) log(`  type mismatches: ${report.typeMismatches.join('; ')}`);
  if (report.mergeWithoutKeyOnObjects.length) log(`  merge without key on object lists (atomic): ${report.mergeWithoutKeyOnObjects.join(', ')}`);
  log(`  fields kubectl's descriptors have and kubernetes-types ${ktVersion} does not (newer fields, or dropped by its generator; added, typed from the Go structs, without descriptions): ${report.protoOnlyFields.length} types`);
  for (const p of report.protoOnlyFields) log(`    ${p}`);
  const counts = markers.counts();
  const ls = report.listSources;
  log('server-side apply markers:');
  log(`  list types of ${ls.overlay + ls.embedded + ls.tag + ls.derived} list properties: ${ls.embedded} from the embedded document, ${ls.tag} from listType struct tags, ${ls.derived} derived from the patch tags, ${ls.overlay} from the overlay`);
  log(`  embedded markers that differ from the patch-tag derivation (${report.embeddedChanges.length}):`);
  for (const c of report.embeddedChanges) log(`    ${short(c)}`);
  log(`  struct types (x-kubernetes-map-type on definitions, ${report.structTypes.length}): ${counts.embedded.embeddedStructTypes} from the embedded document, ${counts.overlay.structTypes} from the overlay: ${report.structTypes.map(short).join(', ')}`);
  log(`  map types on fields (${report.fieldMapTypes.length}): ${counts.embedded.embeddedFieldMapTypes} from the embedded document, ${counts.overlay.fieldMapTypes} from the overlay: ${report.fieldMapTypes.map(short).join(', ')}`);
  log(`  list-map key defaults (${report.keyDefaults.length}, overlay): ${report.keyDefaults.map(short).join(', ')}`);
  log(`  default {} on non-nullable struct fields (descriptors): ${report.structDefaults.length} properties`);
  if (report.markersRemovedSince.length) log(`  embedded markers on fields the binary's types no longer have: ${report.markersRemovedSince.map(short).join(', ')}`);
  if (report.patchDisagreements.length) {
    log(`  patch metadata: embedded document vs struct tags disagree (${report.patchDisagreements.length}):`);
    for (const d of report.patchDisagreements) log(`    ${short(d)}`);
  }
  log('spot checks (x-kubernetes-patch-strategy / patch-merge-key / list-type / list-map-keys):');
  for (const [def, prop] of SPOT_CHECKS) {
    const p = definitions[def]?.properties?.[prop] ?? {};
    log(`  ${short(def)}.${prop}: ${p['x-kubernetes-patch-strategy'] ?? '-'} / ${p['x-kubernetes-patch-merge-key'] ?? '-'} / ${p['x-kubernetes-list-type'] ?? '-'} / ${JSON.stringify(p['x-kubernetes-list-map-keys'] ?? '-')}`);
  }

  const protoFiles = withDependencies(files, MODULES.map(protoFileOf));
  const fileDescriptors = protoFiles.map((n) => files.get(n));
  const k8sJson = protobufJson(fileDescriptors);
  const side = goSideTable({ fileDescriptors, tags: byMessage, goStructs, definitions });
  log(`protobuf: ${protoFiles.length} files (${protoFiles.join(', ')}); ${Object.keys(side.kinds).length} kinds indexed; slice messages: ${side.slices.join(', ')}`);
  const source = {
    kubectl: path.basename(args.kubectl), kubectlSha256: sha256, kubernetesTypes: ktVersion, modules: MODULES,
    embeddedOpenApi: embedded.version,
    markers: { ...counts, listsFromEmbedded: ls.embedded, structDefaults: report.structDefaults.length },
  };
  const docs = readmes(source);
  const outputs = {
    'kernel/api/openapi/generated/definitions.json': json(definitions),
    'kernel/api/openapi/generated/README.md': docs.openapi,
    'kernel/api/protobuf/generated/k8s.json': json(k8sJson),
    'kernel/api/protobuf/generated/k8s-go.json': json(side),
    'kernel/api/protobuf/generated/openapiv2.json': json(openapi),
    'kernel/api/protobuf/generated/README.md': docs.protobuf,
  };
  let stale = 0;
  for (const [rel, text] of Object.entries(outputs)) {
    const file = path.join(ROOT, rel);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (args.check) {
      if (current !== text) {
        stale++;
        log(`STALE ${rel}`);
      }
      continue;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    log(`wrote ${rel} (${Math.round(text.length / 1024)} KiB)${current === text ? ', unchanged' : ''}`);
  }
  if (stale) {
    console.error(`${stale} generated file(s) differ: run npm run gen:api`);
    process.exit(1);
  }
}

function json(value) {
  return `${JSON.stringify(value, null, 1)}\n`;
}

function short(name) {
  return name.replace(/\bio\.k8s\.(api|apimachinery\.pkg\.apis)\./g, '');
}

await main();
