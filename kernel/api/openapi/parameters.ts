/**
 * The query and path parameters of Kubernetes API operations, as the OpenAPI
 * documents declare them. kubectl reads some of them: it sends
 * `fieldValidation` only where the PATCH operation of a kind declares it, and
 * validates on the client otherwise.
 */

export interface ParameterSpec {
  readonly name: string;
  readonly in: 'query' | 'path';
  readonly description: string;
  readonly type: 'string' | 'integer' | 'boolean';
  readonly required?: boolean;
}

const q = (name: string, type: ParameterSpec['type'], description: string): ParameterSpec => ({ name, in: 'query', type, description });

export const PARAMETERS = {
  pretty: q('pretty', 'string', "If 'true', the output is indented for humans."),
  dryRun: q('dryRun', 'string', "When present, the request is processed but nothing is persisted. The only valid value is 'All' (run all stages)."),
  fieldManager: q('fieldManager', 'string', 'Name of the actor making the change, recorded in managedFields. At most 128 printable characters. Required for apply patches.'),
  fieldValidation: q(
    'fieldValidation',
    'string',
    "How the server treats unknown and duplicate fields in the object: 'Ignore' drops them silently, 'Warn' drops them and returns a Warning header for each, 'Strict' fails the request.",
  ),
  force: q('force', 'boolean', 'Apply patches only: take ownership of fields owned by other managers instead of failing with a conflict. Must be unset for other patch types.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', 'Seconds to wait before the object is deleted (non-negative); zero deletes at once. Defaults to the kind-specific grace period.'),
  orphanDependents: q('orphanDependents', 'boolean', "Deprecated, use propagationPolicy: whether dependents are orphaned (true) or garbage collected."),
  propagationPolicy: q('propagationPolicy', 'string', "Garbage collection of dependents: 'Orphan', 'Background' or 'Foreground'."),
  ignoreStoreReadErrorWithClusterBreakingPotential: q(
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'boolean',
    'Delete an object whose stored data cannot be read (corrupt or undecryptable), skipping finalizers and preconditions. Dangerous; requires delete-ignore-read-errors permission.',
  ),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'Watch only: ask for BOOKMARK events, which carry just a resourceVersion. Servers may ignore it.'),
  continue: q('continue', 'string', 'The continue token of the previous page of a paginated list.'),
  fieldSelector: q('fieldSelector', 'string', 'Restrict the objects by their fields (metadata.name=x,status.phase!=Running). Defaults to everything.'),
  labelSelector: q('labelSelector', 'string', 'Restrict the objects by their labels (app=web,tier in (a,b)). Defaults to everything.'),
  limit: q('limit', 'integer', 'Return at most this many items; a continue token in the list metadata fetches the rest.'),
  resourceVersion: q('resourceVersion', 'string', 'Which version of the collection to serve or watch from; see resourceVersionMatch.'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', "How resourceVersion applies to a list: 'Exact' or 'NotOlderThan'."),
  sendInitialEvents: q('sendInitialEvents', 'boolean', 'Watch only: start with synthetic ADDED events for the current state, then a bookmark marking its end.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'End the list or watch call after this many seconds, whether or not anything happened.'),
  watch: q('watch', 'boolean', 'Stream changes (added, modified, deleted) instead of returning a list. Specify resourceVersion.'),
} satisfies Record<string, ParameterSpec>;

export const NAME_PARAMETER: ParameterSpec = { name: 'name', in: 'path', type: 'string', required: true, description: 'name of the object' };
export const NAMESPACE_PARAMETER: ParameterSpec = { name: 'namespace', in: 'path', type: 'string', required: true, description: 'namespace of the object' };
export const PROXY_PATH_PARAMETER: ParameterSpec = { name: 'path', in: 'path', type: 'string', required: true, description: 'path forwarded by the proxy' };

const P = PARAMETERS;

/** Query parameters of each action, beside the path-level `pretty`. */
export const QUERY_PARAMETERS = {
  get: [],
  list: [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch],
  post: [P.dryRun, P.fieldManager, P.fieldValidation],
  put: [P.dryRun, P.fieldManager, P.fieldValidation],
  patch: [P.dryRun, P.fieldManager, P.fieldValidation, P.force],
  delete: [P.dryRun, P.gracePeriodSeconds, P.ignoreStoreReadErrorWithClusterBreakingPotential, P.orphanDependents, P.propagationPolicy],
  deletecollection: [
    P.continue,
    P.dryRun,
    P.fieldSelector,
    P.gracePeriodSeconds,
    P.ignoreStoreReadErrorWithClusterBreakingPotential,
    P.labelSelector,
    P.limit,
    P.orphanDependents,
    P.propagationPolicy,
    P.resourceVersion,
    P.resourceVersionMatch,
    P.sendInitialEvents,
    P.timeoutSeconds,
  ],
  connect: [],
} satisfies Record<string, readonly ParameterSpec[]>;
