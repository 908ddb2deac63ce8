// The simulator's options from the config and the command line.
import type { KbotConfig } from '../config/schema.ts';
import { DEFAULT_KCONFIG } from '../sim/kconfig-defaults.ts';
import type { SimOptions } from '../sim/run-scenario.ts';
import type { Kconfig } from '../sim/frontend/ast.ts';
import { readKconfigFile } from './read-kconfig.ts';
import { parseCache } from './parse-cache.ts';

/**
 * The kconfig: a .config file's options where one is named (--kconfig or sim.kconfig_file), with the options
 * the simulated paths need (ZONE_DEVICE, DEVICE_PRIVATE, DEBUG_VM ...) and the config's own sim.kconfig laid
 * over them. Returns where it came from, for the output.
 */
export async function kconfigFor(config: KbotConfig, file?: string): Promise<{ kconfig: Kconfig; source: string; file?: { values: Kconfig; source: string } }> {
  const path = file ?? config.sim.kconfig_file;
  const base = path ? await readKconfigFile(path) : {};
  return {
    // The .config alone, as the kernel is built from it (hot-path-cost asks it which options are off).
    ...(path ? { file: { values: base, source: path } } : {}),
    kconfig: { ...base, ...DEFAULT_KCONFIG, ...config.sim.kconfig },
    source: path ? `${path}, with the simulated paths' options on` : 'the simulated paths\' options (no .config given)',
  };
}

/** The command line's numbers are checked where they are parsed (bot/cli-args.ts): positive integers here. */
export function simOptions(config: KbotConfig, cli: { walkers?: number; maxStates?: number; kconfig?: Kconfig; exhaustive?: boolean } = {}): SimOptions {
  return {
    kconfig: cli.kconfig ?? { ...DEFAULT_KCONFIG, ...config.sim.kconfig },
    walkers: cli.walkers ?? config.sim.walkers,
    maxStates: cli.maxStates ?? config.sim.max_states,
    maxMs: config.sim.max_seconds * 1000,
    maxCallDepth: config.sim.max_call_depth,
    maxIndirectTargets: config.sim.max_indirect_targets,
    mixedWalkers: config.sim.mixed_walkers,
    facts: { maxClimb: config.sim.facts.max_climb, exclude: config.sim.facts.exclude },
    // One per work dir and process: the trees of a review, and the reviews of a service, share it.
    parseCache: parseCache(config.work_dir, config.sim.parse_cache_mb, config.sim.parse_cache_memory_mb),
    ...(cli.exhaustive ? { exhaustive: true } : {}),
  };
}
