// Reads the scenario files (sim/scenarios/*.yaml, and a config folder of more) for the pure simulator.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseScenario, scenarioOf, type Scenario } from '../sim/scenarios/scenario.ts';
import { projectRoot } from './project-root.ts';

export const BUILTIN_SCENARIOS = join(projectRoot(), 'sim', 'scenarios');

/**
 * The built-in scenario files as the bundle was built with them, each file's text and its YAML already read
 * (scripts/build.mjs): YAML is the slowest part of a small run's start (~15 ms for six files). Undefined when
 * kbot runs from its sources.
 */
declare const KBOT_BUILTIN_SCENARIOS: string | undefined;
export type Prebuilt = Record<string, { text: string; data: unknown }>;
let bundled: Prebuilt | undefined;

/** The built-in scenarios, and those of the folders given; `prebuilt` is the bundle's (tests give their own). */
export async function loadScenarios(dirs: string[] = [BUILTIN_SCENARIOS], prebuilt?: Prebuilt): Promise<Scenario[]> {
  const built = prebuilt ?? (bundled ??= typeof KBOT_BUILTIN_SCENARIOS === 'string' ? JSON.parse(KBOT_BUILTIN_SCENARIOS) as Prebuilt : {});
  const out: Scenario[] = [];
  for (const dir of dirs) {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
    const texts = await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')));
    names.forEach((n, i) => {
      // A file still as the bundle read it is checked from the YAML read then; any other text is read now.
      const b = dir === BUILTIN_SCENARIOS ? built[n] : undefined;
      out.push(b && b.text === texts[i] ? scenarioOf(b.data, join(dir, n)) : parseScenario(texts[i]!, join(dir, n)));
    });
  }
  return out;
}
