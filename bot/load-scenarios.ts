// Reads the scenario files (sim/scenarios/*.yaml, and a config folder of more) for the pure simulator.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseScenario, type Scenario } from '../sim/scenarios/scenario.ts';
import { projectRoot } from './project-root.ts';

export const BUILTIN_SCENARIOS = join(projectRoot(), 'sim', 'scenarios');

export async function loadScenarios(dirs: string[] = [BUILTIN_SCENARIOS]): Promise<Scenario[]> {
  const out: Scenario[] = [];
  for (const dir of dirs) {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
    for (const n of names) out.push(parseScenario(await readFile(join(dir, n), 'utf8'), join(dir, n)));
  }
  return out;
}
