/** The READMEs of the generated folders: where the data comes from and under what licence. */

export function readmes(source) {
  const sources = `- \`${source.kubectl}\` (sha256 \`${source.kubectlSha256}\`), the kubectl binary installed on the
  build machine: Kubernetes' protobuf descriptors (gzipped FileDescriptorProtos registered by the
  gogo-generated code), the Go struct tags of the API types, and Go's runtime type information.
- the npm package \`kubernetes-types\` ${source.kubernetesTypes} (generated from Kubernetes' OpenAPI).`;
  const licence = (how) => `Kubernetes and kubernetes-types are licensed under the Apache License 2.0. This folder is derived
${how} by \`scripts/gen-api-schemas.mjs\` (\`npm run gen:api\`); do not edit it by
hand. Regenerate after upgrading kubernetes-types or pointing the script at another kubectl
(\`--kubectl <path>\`); \`--check\` tells whether the committed files are current.`;
  const provenance = `${sources}\n\n${licence('mechanically from them')}`;

  const m = source.markers;
  const o = m.overlay;
  const openapi = `# Generated: Kubernetes OpenAPI schemas

\`definitions.json\`: OpenAPI v3 component schemas of the Kubernetes API types, named and shaped
as Kubernetes serves them (\`io.k8s.api.core.v1.Pod\`, refs \`#/components/schemas/<name>\`).
Group versions: ${source.modules.join(', ')}, plus everything they refer to.

Derived from:

${sources}
- the Kubernetes OpenAPI document that kustomize (\`sigs.k8s.io/kustomize/kyaml/openapi/kubernetesapi\`)
  embeds in that kubectl binary, gzipped gnostic protobuf served by a Kubernetes ${source.embeddedOpenApi}
  API server: the server-side-apply markers (\`+listType\`, \`+listMapKey\`, \`+structType\`,
  \`+mapType\`) as they were in that version.
- an overlay, \`scripts/gen-api/overlay.mjs\`: the markers Kubernetes added after ${source.embeddedOpenApi}
  to the group versions skiff serves (core/v1, apps/v1, batch/v1, coordination/v1, discovery/v1,
  scheduling/v1, events/v1, autoscaling/v1, authorization/v1, authentication/v1, meta/v1), written
  by hand from Kubernetes 1.33's API types because nothing on the build machine carries them
  (comments are not compiled; client-go's apply-configuration schema is not linked into kubectl).
  The generator checks every entry against the protobuf descriptors and the embedded document
  and fails on a field that does not exist, a wrong shape, a redundant or a contradicting entry.

${licence('from them (mechanically, but for the overlay)')}

What comes from where:

- structure, descriptions, required fields, group/version/kind: kubernetes-types;
- integer formats (\`int32\`/\`int64\`) and \`format: byte\`: the protobuf descriptors;
- \`x-kubernetes-patch-strategy\` / \`x-kubernetes-patch-merge-key\`: the Go struct tags;
- \`x-kubernetes-list-type\` / \`x-kubernetes-list-map-keys\`: the overlay (${o.listTypes} lists), else a
  \`listType\` struct tag, else the embedded document (${m.listsFromEmbedded} lists, among them the two-key
  maps \`Container.ports\`, \`ServiceSpec.ports\` and \`PodSpec.topologySpreadConstraints\`), else
  derived as Kubernetes' schema conversion for server-side apply does: \`map\` keyed by the patch
  merge key, \`set\` for merged lists of scalars, \`atomic\` otherwise;
- \`x-kubernetes-map-type\` on definitions (\`+structType=atomic\`): the embedded document
  (${m.embedded.embeddedStructTypes}: LabelSelector) and the overlay (${o.structTypes}: references and selectors such as ObjectReference,
  LocalObjectReference, OwnerReference, NodeSelector); on properties (\`+mapType\`, and
  \`+structType=granular\` on PersistentVolumeSpec.claimRef): the overlay (${o.fieldMapTypes});
- \`default\` of list-map keys Kubernetes defaults (\`protocol: TCP\` of ContainerPort and
  ServicePort): the overlay (${o.keyDefaults}); an item without such a key is keyed by the default;
- \`default: {}\` on struct properties Go always writes (${m.structDefaults}: \`metadata\`, \`spec\`, \`template\`,
  a container's \`resources\`, ...): the protobuf descriptors, which mark those message fields
  \`(gogoproto.nullable) = false\`; not on Time, Quantity, IntOrString, RawExtension or FieldsV1
  (JSON scalars or arbitrary JSON), as in Kubernetes;
- meta/v1 types kubernetes-types lacks (Table, PartialObjectMetadata, PartialObjectMetadataList,
  the *Options kinds): the Go types in the binary (no descriptions; required = no \`omitempty\`).

Deliberate differences from Kubernetes' published schemas: IntOrString has no \`type\` and carries
\`x-kubernetes-int-or-string: true\`; RawExtension, FieldsV1 and Patch carry
\`x-kubernetes-preserve-unknown-fields: true\` (they hold arbitrary JSON, and skiff prunes by
schema). Defaults other than the two above are not generated: not the zero values (\`""\`, \`0\`,
\`false\`) Kubernetes writes for fields without \`omitempty\`, nor other \`+default\` markers, nor
\`x-kubernetes-unions\`. Quantity is \`type: string\` as in Kubernetes, but JSON clients may send
numbers for it, as Go's Quantity accepts.

Regenerating from an older kubectl (\`--kubectl\`) fails where the overlay names fields that
kubectl's API types do not have yet; the overlay describes the default binary's types.
`;

  const protobuf = `# Generated: Kubernetes protobuf schemas

- \`k8s.json\`: protobufjs JSON of Kubernetes' \`generated.proto\` files for ${source.modules.join(', ')}
  and their dependencies. Fields that are Go values rather than pointers carry
  \`(gogoproto.nullable): false\`, from the descriptors' gogoproto options.
- \`k8s-go.json\`: what the Go types add: each message field's Go \`json\` tag (name, \`omitempty\`,
  \`,inline\`), the message of each group/version/kind, and the messages that are Go slices
  (\`Verbs\`, \`ExtraValue\`) whose JSON is a bare array.
- \`openapiv2.json\`: protobufjs JSON of gnostic's \`openapiv2/OpenAPIv2.proto\`, the message
  kubectl decodes \`/openapi/v2\` as (gnostic is licensed under the Apache License 2.0; its
  descriptor is embedded raw in kubectl), with \`google.protobuf.Any\`, which it imports, from the
  copy of that well-known type that ships with the npm package protobufjs.

Derived from:

${provenance}
`;
  return { openapi, protobuf };
}
