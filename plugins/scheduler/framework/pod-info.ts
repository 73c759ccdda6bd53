/**
 * PodInfo: what the scheduler computes from a pod once (requests, parsed
 * affinity terms), kept for as long as the pod is in the cache or the queue.
 */
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1';
import { labelSelectorFromObject, type LabelMatcher } from '../../../kernel/api/selectors';
import type { AffinityTerm, PodInfo, WeightedAffinityTerm } from '../../../kernel/scheduling/types';
import { podRequests } from './resources';

const NOTHING: LabelMatcher = { requirements: [], empty: false, matches: () => false, toString: () => '<none>' };

function matcher(selector: PodAffinityTerm['labelSelector']): LabelMatcher {
  try {
    return labelSelectorFromObject(selector);
  } catch {
    // Deliberately absorbed: the API server validated the selector; one it cannot parse selects nothing, as in kube-scheduler.
    return NOTHING;
  }
}

export function affinityTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const namespaces = new Set(term.namespaces ?? []);
  const namespaceSelector = term.namespaceSelector ? matcher(term.namespaceSelector) : undefined;
  if (namespaces.size === 0 && !namespaceSelector) namespaces.add(pod.metadata?.namespace ?? 'default');
  return { namespaces, namespaceSelector, selector: matcher(term.labelSelector), topologyKey: term.topologyKey };
}

function weighted(pod: Pod, terms: readonly WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] {
  return (terms ?? []).map((t) => ({ ...affinityTerm(pod, t.podAffinityTerm), weight: t.weight }));
}

export function computePodInfo(pod: Pod): PodInfo {
  const requests = podRequests(pod);
  requests.pods = 1;
  const nonZeroRequests = podRequests(pod, true);
  nonZeroRequests.pods = 1;
  const affinity = pod.spec?.affinity;
  return {
    pod,
    requests,
    nonZeroRequests,
    requiredAffinityTerms: (affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    requiredAntiAffinityTerms: (affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    preferredAffinityTerms: weighted(pod, affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinityTerms: weighted(pod, affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

/** Whether `term` selects `candidate` (its namespace and labels); `namespaceLabels` resolves namespaceSelector. */
export function termMatches(term: AffinityTerm, candidate: Pod, namespaceLabels: (ns: string) => Readonly<Record<string, string>> | undefined): boolean {
  const ns = candidate.metadata?.namespace ?? 'default';
  if (!term.namespaces.has(ns)) {
    if (!term.namespaceSelector || !term.namespaceSelector.matches(namespaceLabels(ns) ?? {})) return false;
  }
  return term.selector.matches(candidate.metadata?.labels ?? {});
}

export function hasAffinity(info: PodInfo): boolean {
  return info.requiredAffinityTerms.length + info.requiredAntiAffinityTerms.length + info.preferredAffinityTerms.length + info.preferredAntiAffinityTerms.length > 0;
}
