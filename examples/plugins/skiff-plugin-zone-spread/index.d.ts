/**
 * Types of skiff-plugin-zone-spread for TypeScript users:
 *
 *   import zoneSpread = require('skiff-plugin-zone-spread');        // or, with esModuleInterop:
 *   import zoneSpread, { createZoneSpread } from 'skiff-plugin-zone-spread';
 *
 * Only types come from 'skiff' (a peer dependency): at run time the plugin
 * uses the running kernel's API, `kernel.skiff`.
 */
import type { PluginContext, PreScorePlugin, ScorePlugin, OptionsProblem } from 'skiff';

declare namespace zoneSpread {
  /** `pluginConfig[].args` of ZoneSpread in a scheduler profile. */
  interface ZoneSpreadArgs {
    /** The node label naming the node's zone (default `topology.kubernetes.io/zone`). Nodes without it score 0. */
    zoneLabel: string;
    /** The pod label whose value makes pods one group (default `app`). Pods without it are not scored (Skip). */
    groupLabel: string;
  }

  /** The scheduling plugin `ZoneSpread`: PreScore, Score and NormalizeScore. */
  interface ZoneSpreadPlugin extends PreScorePlugin, ScorePlugin {
    readonly name: 'ZoneSpread';
    readonly argsSchema: object;
    readonly defaultArgs: Readonly<ZoneSpreadArgs>;
    validateArgs(args: Record<string, unknown>): OptionsProblem[];
    normalizeScore: NonNullable<ScorePlugin['normalizeScore']>;
  }

  /** The skiff plugin cluster.yaml loads by the package's name. It takes no options. */
  interface ZoneSpreadSkiffPlugin {
    readonly name: 'skiff-plugin-zone-spread';
    readonly optionsSchema: object;
    apply(kernel: PluginContext, options: Record<string, never>): void;
  }

  /** What the package exports: the skiff plugin, with the scheduling plugin's factory alongside. */
  interface ZoneSpreadPackage extends ZoneSpreadSkiffPlugin {
    /** `ZoneSpread` made with a kernel's public API (`kernel.skiff`), as `apply` does before tapping it. */
    readonly createZoneSpread: (skiff: Pick<PluginContext['skiff'], 'SchedulingStatus' | 'MAX_NODE_SCORE'>) => ZoneSpreadPlugin;
    readonly PLUGIN_NAME: 'skiff-plugin-zone-spread';
  }
}

declare const zoneSpread: zoneSpread.ZoneSpreadPackage;

export = zoneSpread;
