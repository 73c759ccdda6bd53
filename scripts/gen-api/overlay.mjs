/**
 * Kubernetes' server-side-apply markers that no source on the build machine
 * carries mechanically.
 *
 * Kubernetes writes list, map and struct semantics as comment markers in
 * k8s.io/api (`+listType=map`, `+listMapKey=containerPort`,
 * `+structType=atomic`, `+mapType=atomic`, `+default="TCP"`). Comments are not
 * compiled into kubectl. What the generator reads instead, in this order:
 *
 *   1. the Go struct tags in the binary (patch strategy and merge key; a
 *      `listType` tag where one exists);
 *   2. the OpenAPI document kustomize embeds in kubectl (embedded-openapi.mjs),
 *      captured from Kubernetes 1.21.2, which has the markers as they were then;
 *   3. this table: markers of the group versions skiff serves (core/v1,
 *      apps/v1, batch/v1, coordination/v1, discovery/v1, scheduling/v1,
 *      events/v1, autoscaling/v1, authorization/v1, authentication/v1,
 *      meta/v1) that Kubernetes added after 1.21 and that change what 1 and 2
 *      give. Kubernetes 1.33 is the version of the API types in the default
 *      kubectl (kubectl.1.33).
 *
 * Entries were written by hand from the API types' markers (facts about the
 * API, not copied text). The generator checks every entry (checkOverlay in
 * markers.mjs) and fails when one names a field the descriptors lack, has the
 * wrong shape (a list-map key missing from the item message, a set of
 * messages, a map type on a scalar), is already what the mechanical sources
 * say (the entry is then redundant and must go), or contradicts the embedded
 * document. Entries only add semantics: a marker Kubernetes never changed
 * after 1.21 stays with the embedded document.
 *
 * Not covered (mechanical sources only): rbac/v1, networking/v1, policy/v1,
 * storage/v1 and node/v1 types, apart from core/v1 types they share.
 */

const CORE = 'io.k8s.api.core.v1';
const BATCH = 'io.k8s.api.batch.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/**
 * `+listType` / `+listMapKey` on list fields.
 * @type {{ definition: string, field: string, listType: 'atomic' | 'set' | 'map', keys?: string[], why: string }[]}
 */
export const LIST_TYPES = [
  // The same markers as Container.ports; the 1.21 document has only the patch merge key.
  { definition: `${CORE}.EphemeralContainer`, field: 'ports', listType: 'map', keys: ['containerPort', 'protocol'], why: 'ports are keyed like Container.ports' },
  // Dynamic resource allocation (1.26+): no patch tags, so the derivation would say atomic.
  { definition: `${CORE}.ResourceRequirements`, field: 'claims', listType: 'map', keys: ['name'], why: 'resource claims a container uses, by claim name' },
  { definition: `${CORE}.ResourceStatus`, field: 'resources', listType: 'map', keys: ['resourceID'], why: 'device health (1.31+), one entry per resource ID' },
  // Has patchStrategy=merge/patchMergeKey=ip for strategic merge patch, but +listType=atomic for apply.
  { definition: `${CORE}.PodStatus`, field: 'hostIPs', listType: 'atomic', why: 'marked atomic although its patch tags name a merge key' },
  { definition: `${BATCH}.PodFailurePolicyOnExitCodesRequirement`, field: 'values', listType: 'set', why: 'exit codes are a set' },
  { definition: `${BATCH}.UncountedTerminatedPods`, field: 'succeeded', listType: 'set', why: 'pod UIDs are a set' },
  { definition: `${BATCH}.UncountedTerminatedPods`, field: 'failed', listType: 'set', why: 'pod UIDs are a set' },
];

/**
 * `+structType=atomic` on types: every field holding one is replaced as a whole by apply.
 * @type {{ definition: string, structType: 'atomic', why: string }[]}
 */
export const STRUCT_TYPES = [
  { definition: `${CORE}.ObjectReference`, structType: 'atomic', why: 'a reference is one value' },
  { definition: `${CORE}.LocalObjectReference`, structType: 'atomic', why: 'a reference is one value' },
  { definition: `${CORE}.TypedLocalObjectReference`, structType: 'atomic', why: 'a reference is one value' },
  { definition: `${CORE}.SecretReference`, structType: 'atomic', why: 'a reference is one value' },
  { definition: `${CORE}.ConfigMapKeySelector`, structType: 'atomic', why: 'a selector is one value' },
  { definition: `${CORE}.SecretKeySelector`, structType: 'atomic', why: 'a selector is one value' },
  { definition: `${CORE}.ObjectFieldSelector`, structType: 'atomic', why: 'a selector is one value' },
  { definition: `${CORE}.ResourceFieldSelector`, structType: 'atomic', why: 'a selector is one value' },
  { definition: `${CORE}.NodeSelector`, structType: 'atomic', why: 'a selector is one value' },
  { definition: `${CORE}.NodeSelectorTerm`, structType: 'atomic', why: 'a selector is one value' },
  { definition: `${CORE}.TopologySelectorTerm`, structType: 'atomic', why: 'a selector is one value' },
  { definition: `${CORE}.EndpointAddress`, structType: 'atomic', why: 'an address is one value' },
  { definition: `${CORE}.EndpointPort`, structType: 'atomic', why: 'a port is one value' },
  { definition: `${META}.OwnerReference`, structType: 'atomic', why: 'a reference is one value' },
];

/**
 * `+mapType` on map fields, and `+structType` on one struct field (which
 * overrides the type's own).
 * @type {{ definition: string, field: string, mapType: 'atomic' | 'granular', why: string }[]}
 */
export const FIELD_MAP_TYPES = [
  { definition: `${CORE}.PodSpec`, field: 'nodeSelector', mapType: 'atomic', why: 'a selector is one value' },
  { definition: `${CORE}.ServiceSpec`, field: 'selector', mapType: 'atomic', why: 'a selector is one value' },
  { definition: `${CORE}.ReplicationControllerSpec`, field: 'selector', mapType: 'atomic', why: 'a selector is one value' },
  // ObjectReference is atomic, but the PV binder sets claimRef's fields one by one.
  { definition: `${CORE}.PersistentVolumeSpec`, field: 'claimRef', mapType: 'granular', why: '+structType=granular overrides atomic ObjectReference' },
];

/**
 * `+default=` on list-map keys: apply uses the default for an item that
 * omits the key (a port without `protocol` is keyed `protocol: TCP`). Only
 * key fields are listed; `evidence` must appear in the field's description
 * (kubernetes-types), a check that the entry is about the intended field.
 * @type {{ definition: string, field: string, default: string | number | boolean, evidence: string }[]}
 */
export const KEY_DEFAULTS = [
  { definition: `${CORE}.ContainerPort`, field: 'protocol', default: 'TCP', evidence: 'Defaults to "TCP"' },
  { definition: `${CORE}.ServicePort`, field: 'protocol', default: 'TCP', evidence: 'Default is TCP' },
];
