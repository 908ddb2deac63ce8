// The simulator's options from the config and the command line.
import type { KbotConfig } from '../config/schema.ts';
import { DEFAULT_KCONFIG } from '../sim/kconfig-defaults.ts';
import type { SimOptions } from '../sim/run-scenario.ts';

export function simOptions(config: KbotConfig, walkers?: string, maxStates?: string): SimOptions {
  return {
    kconfig: { ...DEFAULT_KCONFIG, ...config.sim.kconfig },
    walkers: walkers ? Math.max(1, Number(walkers)) : config.sim.walkers,
    maxStates: maxStates ? Number(maxStates) : config.sim.max_states,
    maxMs: config.sim.max_seconds * 1000,
  };
}
