'use strict';
/**
 * skiff-plugin-zone-spread: a third-party scheduling plugin, published as a
 * plain CommonJS npm package (no build step, no runtime dependencies).
 *
 * The scheduling plugin `ZoneSpread` prefers nodes in the zone that runs the
 * fewest pods of the incoming pod's group (same namespace, same value of the
 * `groupLabel` label), so replicas of one app spread over zones.
 *
 * It uses nothing from skiff but the plugin context: `kernel.skiff` is the
 * running kernel's public API, so the package does not depend on (and cannot
 * load a second copy of) skiff. `skiff` is a peer dependency for the types in
 * index.d.ts only.
 */

const PLUGIN_NAME = 'skiff-plugin-zone-spread';
const SCHEDULING_PLUGIN_NAME = 'ZoneSpread';
/** Where preScore leaves its result for score and normalizeScore (one key per plugin, as kube's "PreScore" + name). */
const STATE_KEY = 'PreScore' + SCHEDULING_PLUGIN_NAME;

const DEFAULT_ARGS = Object.freeze({
  zoneLabel: 'topology.kubernetes.io/zone',
  groupLabel: 'app',
});

// A label key is a Kubernetes qualified name: [prefix/]name, the prefix a DNS
// subdomain (at most 253 characters), the name at most 63 alphanumerics with
// '-', '_' and '.' inside (apimachinery's IsQualifiedName).
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key, or undefined when it is. */
function labelKeyProblem(key) {
  const parts = key.split('/');
  if (parts.length > 2) return 'must be a label key ([prefix/]name) with at most one "/"';
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix === '') return 'must be a label key: the prefix before "/" must not be empty';
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return `must be a label key: prefix ${JSON.stringify(prefix)} must be a DNS subdomain (lower-case letters, digits, "-" and ".", at most 253 characters)`;
  }
  if (name === '') return 'must be a label key: the name must not be empty';
  if (name.length > 63) return `must be a label key: name ${JSON.stringify(name)} is longer than 63 characters`;
  if (!LABEL_NAME.test(name)) return `must be a label key: name ${JSON.stringify(name)} must be alphanumerics with "-", "_" or "." inside`;
  return undefined;
}

function labelsOf(object) {
  return (object && object.metadata && object.metadata.labels) || {};
}

/**
 * The pod's group and each zone's count of the group's pods, computed once
 * per scheduling attempt. Returns undefined when the pod has no group label
 * (nothing to spread).
 */
function computeZoneCounts(state, pod) {
  // The scheduler hands over the profile's args with defaultArgs applied; a
  // profile that enables ZoneSpread without pluginConfig still gets defaults.
  const args = Object.assign({}, DEFAULT_ARGS, state.profile.args(SCHEDULING_PLUGIN_NAME) || {});
  const group = labelsOf(pod)[args.groupLabel];
  if (group === undefined) return undefined;
  const namespace = (pod.metadata && pod.metadata.namespace) || 'default';
  /** zone → pods of the group in it (every node of the cluster, not only the feasible ones: a zone is as full as all its nodes). */
  const counts = new Map();
  for (const node of state.snapshot.nodes) {
    const zone = labelsOf(node.node)[args.zoneLabel];
    if (zone === undefined) continue;
    let n = counts.get(zone) || 0;
    for (const { pod: other } of node.pods) {
      const meta = other.metadata || {};
      // A terminating pod is on its way out (kube's PodTopologySpread ignores it too).
      if (meta.deletionTimestamp) continue;
      if ((meta.namespace || 'default') !== namespace) continue;
      if ((meta.labels || {})[args.groupLabel] === group) n++;
    }
    counts.set(zone, n);
  }
  return Object.freeze({ zoneLabel: args.zoneLabel, counts });
}

function zoneCounts(state, pod) {
  let computed = state.read(STATE_KEY);
  if (computed === undefined) {
    // The scheduler always runs preScore first; computing here keeps score
    // correct when something calls it alone (a test, a what-if tool).
    computed = computeZoneCounts(state, pod) || null;
    state.write(STATE_KEY, computed);
  }
  return computed;
}

/**
 * The scheduling plugin, a PreScorePlugin and ScorePlugin
 * (kernel/scheduling/types.ts), made with the API of the kernel that runs it
 * (`kernel.skiff`: SchedulingStatus, MAX_NODE_SCORE). It keeps nothing
 * between calls: everything about one attempt lives in that attempt's
 * CycleState.
 */
function createZoneSpread(skiff) {
  const { SchedulingStatus, MAX_NODE_SCORE } = skiff;
  return {
    name: SCHEDULING_PLUGIN_NAME,

    argsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        zoneLabel: { type: 'string', minLength: 1, description: 'the node label naming its zone' },
        groupLabel: { type: 'string', minLength: 1, description: 'the pod label whose value makes pods one group' },
      },
    },

    defaultArgs: DEFAULT_ARGS,

    validateArgs(args) {
      const problems = [];
      for (const key of ['zoneLabel', 'groupLabel']) {
        const problem = typeof args[key] === 'string' ? labelKeyProblem(args[key]) : undefined;
        if (problem) problems.push({ path: [key], message: problem });
      }
      return problems;
    },

    /**
     * Once per attempt with the feasible nodes: count the group's pods per
     * zone. Skip for a pod without the group label: then the scheduler calls
     * neither score nor normalizeScore of this plugin for it.
     */
    preScore(state, pod) {
      const computed = computeZoneCounts(state, pod);
      state.write(STATE_KEY, computed || null);
      return computed ? undefined : SchedulingStatus.skip();
    },

    /**
     * Raw score: the number of the group's pods in the node's zone (lower is
     * better; normalizeScore turns it around). A node without the zone label
     * gets 0 here and 0 after normalising. Synchronous: it runs per node.
     */
    score(state, pod, node) {
      const computed = zoneCounts(state, pod);
      if (!computed) return 0;
      const zone = labelsOf(node.node)[computed.zoneLabel];
      return zone === undefined ? 0 : computed.counts.get(zone) || 0;
    },

    /**
     * Emptiest zone among the scored nodes → 100, fullest → 0, linear in
     * between (rounded); all zones equal → all 100. Nodes without the zone
     * label → 0.
     */
    normalizeScore(state, pod, scores) {
      const computed = zoneCounts(state, pod);
      const zoned = [];
      for (const s of scores) {
        const info = state.snapshot.get(s.name);
        const inZone = !!computed && info !== undefined && labelsOf(info.node)[computed.zoneLabel] !== undefined;
        if (inZone) zoned.push(s);
        else s.score = 0;
      }
      if (zoned.length === 0) return;
      let min = Infinity;
      let max = -Infinity;
      for (const s of zoned) {
        if (s.score < min) min = s.score;
        if (s.score > max) max = s.score;
      }
      for (const s of zoned) s.score = max === min ? MAX_NODE_SCORE : Math.round((MAX_NODE_SCORE * (max - s.score)) / (max - min));
    },
  };
}

/** The skiff plugin: cluster.yaml lists it by its package name; it takes no options. */
const plugin = {
  name: PLUGIN_NAME,
  optionsSchema: { type: 'object', additionalProperties: false },

  apply(kernel, options) {
    // The loader has checked the options against optionsSchema; an embedder
    // handing the plugin object to the kernel directly has not.
    const unknown = Object.keys(options || {});
    if (unknown.length > 0) throw new Error(`takes no options (got ${unknown.map((k) => JSON.stringify(k)).join(', ')})`);
    kernel.skiff.tapSchedulingPlugin(kernel.hooks, createZoneSpread(kernel.skiff));
  },
};

module.exports = plugin;
module.exports.createZoneSpread = createZoneSpread;
module.exports.PLUGIN_NAME = PLUGIN_NAME;
