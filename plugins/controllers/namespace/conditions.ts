/**
 * The status conditions Kubernetes' namespace controller keeps on a
 * Terminating namespace (its deletion/status_condition_utils.go): each of
 * the five types is always present, False with an "ok" reason and message
 * when nothing is wrong, True with what is wrong otherwise.
 */
import type { NamespaceCondition } from 'kubernetes-types/core/v1';

export const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

const OK: Record<ConditionType, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** What one pass over a namespace's content found. */
export interface DeletionPass {
  /** Discovery failures (the pass then deletes nothing). */
  discoveryErrors: string[];
  /** Failures deleting or listing, one per resource. */
  contentErrors: string[];
  /** Objects still there, by `resource.group` (`configmaps.`, as Kubernetes writes it). */
  remaining: Map<string, number>;
  /** Objects still there, by the finalizer they carry. */
  finalizers: Map<string, number>;
}

/** Go's fmt of an aggregate error: one error as itself, several in brackets. */
function aggregate(errors: string[]): string {
  return errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
}

function counted(counts: Map<string, number>, format: (what: string, n: number) => string): string {
  return [...counts.entries()].map(([what, n]) => format(what, n)).sort().join(', ');
}

/** The condition each type gets from `pass` (undefined: the ok condition). */
function failures(pass: DeletionPass): Partial<Record<ConditionType, { reason: string; message: string }>> {
  const out: Partial<Record<ConditionType, { reason: string; message: string }>> = {};
  if (pass.discoveryErrors.length > 0) {
    out.NamespaceDeletionDiscoveryFailure = { reason: 'DiscoveryFailed', message: `Discovery failed for some groups, ${pass.discoveryErrors.length} failing: ${aggregate(pass.discoveryErrors)}` };
  }
  if (pass.contentErrors.length > 0) {
    out.NamespaceDeletionContentFailure = { reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${pass.contentErrors.length} remaining: ${aggregate(pass.contentErrors)}` };
  }
  if (pass.remaining.size > 0) {
    out.NamespaceContentRemaining = { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${counted(pass.remaining, (r, n) => `${r} has ${n} resource instances`)}` };
  }
  if (pass.finalizers.size > 0) {
    out.NamespaceFinalizersRemaining = {
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${counted(pass.finalizers, (f, n) => `${f} in ${n} resource instances`)}`,
    };
  }
  return out;
}

/**
 * The namespace's conditions after `pass`, in Kubernetes' order. A condition
 * whose status, reason and message did not change is kept as it was; one
 * whose status did not change keeps its lastTransitionTime.
 */
export function namespaceConditions(pass: DeletionPass, old: readonly NamespaceCondition[], now: string): NamespaceCondition[] {
  const failed = failures(pass);
  const others = old.filter((c) => !(CONDITION_TYPES as readonly string[]).includes(c.type));
  const ours = CONDITION_TYPES.map((type): NamespaceCondition => {
    const f = failed[type];
    const wanted: NamespaceCondition = { type, status: f ? 'True' : 'False', reason: (f ?? OK[type]).reason, message: (f ?? OK[type]).message, lastTransitionTime: now };
    const before = old.find((c) => c.type === type);
    if (!before) return wanted;
    if (before.status === wanted.status && before.reason === wanted.reason && before.message === wanted.message) return before;
    return before.status === wanted.status ? { ...wanted, lastTransitionTime: before.lastTransitionTime } : wanted;
  });
  return [...others, ...ours];
}
