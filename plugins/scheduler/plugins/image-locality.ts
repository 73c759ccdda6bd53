/**
 * ImageLocality: favours nodes that already have the pod's images, as
 * kube-scheduler's plugin of that name.
 *
 * Each container's and init container's image found on the node (by its
 * name with ":latest" appended when it has no tag or digest, looked up among
 * the names the node reports) adds its size scaled by the share of nodes
 * that have it (numNodes / totalNodes, against image "heating" of a few
 * nodes). The sum is clamped to [23 MiB, 1000 MiB x number of containers]
 * and mapped linearly onto 0..100.
 *
 * Extension points: PreScore (the pod's normalized image names, once), Score.
 */
import type { Pod } from 'kubernetes-types/core/v1';
import { MAX_NODE_SCORE, type CycleState, type NodeInfo, type PreScorePlugin, type ScorePlugin } from '../../../kernel/scheduling/types';

const NAME = 'ImageLocality';
const PRE_SCORE_KEY = `PreScore${NAME}`;

const MB = 1024 * 1024;
/** Sums below this score 0 (kube's minThreshold). */
export const MIN_THRESHOLD = 23 * MB;
/** Per container, sums above this score 100 (kube's maxContainerThreshold). */
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** The name a node reports for `image`: ":latest" appended when there is no tag or digest (kube's normalizedImageName). */
export function normalizedImageName(image: string): string {
  return image.lastIndexOf(':') <= image.lastIndexOf('/') ? `${image}:latest` : image;
}

interface ImageLocalityState {
  /** Normalized image names, one per init container and container (duplicates count twice, as in kube). */
  readonly images: readonly string[];
  readonly totalNodes: number;
}

function stateFor(state: CycleState, pod: Pod): ImageLocalityState {
  const images: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) images.push(normalizedImageName(c.image ?? ''));
  for (const c of pod.spec?.containers ?? []) images.push(normalizedImageName(c.image ?? ''));
  return { images, totalNodes: state.snapshot.nodes.length };
}

/** kube's calculatePriority: the clamped sum mapped onto 0..100 (integer division). */
function priority(sum: number, containers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * containers;
  if (sum < MIN_THRESHOLD) sum = MIN_THRESHOLD;
  else if (sum > maxThreshold) sum = maxThreshold;
  // `+ 0` turns the -0 of a pod without containers into 0.
  return Math.trunc((MAX_NODE_SCORE * (sum - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD)) + 0;
}

export const ImageLocality = {
  name: NAME,

  /** The pod's image names, normalized once, and the cluster's node count. */
  preScore(state: CycleState, pod: Pod): undefined {
    state.write(PRE_SCORE_KEY, stateFor(state, pod));
    return undefined;
  },

  /** 0..100 from the spread-scaled sizes of the pod's images present on the node. */
  score(state: CycleState, pod: Pod, node: NodeInfo): number {
    let s = state.read<ImageLocalityState>(PRE_SCORE_KEY);
    if (!s) {
      s = stateFor(state, pod);
      state.write(PRE_SCORE_KEY, s);
    }
    let sum = 0;
    if (node.imageStates.size > 0) {
      for (const image of s.images) {
        const present = node.imageStates.get(image);
        // Go: int64(float64(size) * (float64(numNodes) / float64(totalNodes))).
        if (present) sum += Math.trunc(present.sizeBytes * (present.numNodes / s.totalNodes));
      }
    }
    return priority(sum, s.images.length);
  },
} satisfies PreScorePlugin & ScorePlugin;
