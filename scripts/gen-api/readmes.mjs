/** The READMEs of the generated folders: where the data comes from and under what licence. */

export function readmes(source) {
  const provenance = `- \`${source.kubectl}\` (sha256 \`${source.kubectlSha256}\`), the kubectl binary installed on the
  build machine: Kubernetes' protobuf descriptors (gzipped FileDescriptorProtos registered by the
  gogo-generated code), the Go struct tags of the API types, and Go's runtime type information.
- the npm package \`kubernetes-types\` ${source.kubernetesTypes} (generated from Kubernetes' OpenAPI).

Kubernetes and kubernetes-types are licensed under the Apache License 2.0. This folder is derived
mechanically from them by \`scripts/gen-api-schemas.mjs\` (\`npm run gen:api\`); do not edit it by
hand. Regenerate after upgrading kubernetes-types or pointing the script at another kubectl
(\`--kubectl <path>\`); \`--check\` tells whether the committed files are current.`;

  const openapi = `# Generated: Kubernetes OpenAPI schemas

\`definitions.json\`: OpenAPI v3 component schemas of the Kubernetes API types, named and shaped
as Kubernetes serves them (\`io.k8s.api.core.v1.Pod\`, refs \`#/components/schemas/<name>\`).
Group versions: ${source.modules.join(', ')}, plus everything they refer to.

Derived from:

${provenance}

What comes from where:

- structure, descriptions, required fields, group/version/kind: kubernetes-types;
- integer formats (\`int32\`/\`int64\`) and \`format: byte\`: the protobuf descriptors;
- \`x-kubernetes-patch-strategy\` / \`x-kubernetes-patch-merge-key\`, and \`x-kubernetes-list-type\` /
  \`x-kubernetes-list-map-keys\` where a tag has them: the Go struct tags. Lists without a list
  type get one as Kubernetes' schema conversion for server-side apply does: \`map\` keyed by the
  patch merge key, \`set\` for merged lists of scalars, \`atomic\` otherwise;
- meta/v1 types kubernetes-types lacks (Table, PartialObjectMetadata, PartialObjectMetadataList,
  the *Options kinds): the Go types in the binary (no descriptions; required = no \`omitempty\`).

Deliberate differences from Kubernetes' published schemas: IntOrString has no \`type\` and carries
\`x-kubernetes-int-or-string: true\`; RawExtension, FieldsV1 and Patch carry
\`x-kubernetes-preserve-unknown-fields: true\` (they hold arbitrary JSON, and skiff prunes by
schema); \`default\` values are not generated. Quantity is \`type: string\` as in Kubernetes, but
JSON clients may send numbers for it, as Go's Quantity accepts.
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
