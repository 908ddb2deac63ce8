import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleTree } from '../examples/build-tree.ts';
import { SimPool, type PoolTask } from './sim-pool.ts';
import { GitTreeView } from './tree/git-tree-view.ts';
import { loadScenarios } from './load-scenarios.ts';
import { simulateTree } from '../sim/simulate.ts';
import { DEFAULT_KCONFIG } from '../sim/kconfig-defaults.ts';

const summary = (runs: Array<{ name: string; status: string; stats: { states: number; transitions: number; complete: boolean }; violations: Array<{ category: string }> }>) =>
  runs.map((r) => `${r.name} ${r.status} ${r.stats.states}/${r.stats.transitions}${r.stats.complete ? '' : ' incomplete'} ${r.violations.map((v) => v.category).join(',')}`);

test('a pool of worker threads runs scenarios as kbot sim --scenario does in process, and shares one budget', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kbot-pool-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tree = await buildExampleTree('v4.12-style', join(dir, 'tree'));
  const options = { kconfig: DEFAULT_KCONFIG, walkers: 1, maxStates: 200_000 };
  const names = ['devpriv-free+walker-get-put', 'lru-free+walker-get-put', 'fsdax-idle+walker-get-put'];
  const budget = 120_000;
  const pool = new SimPool(budget, 2);
  t.after(() => pool.close());
  const task = (only: string): PoolTask => ({ tree: tree.path, commit: tree.head, only, options, workDir: join(dir, 'work') });
  const pooled = await Promise.all(names.map((n) => pool.run(task(n))));

  const view = new GitTreeView(tree.path, tree.head);
  t.after(() => view.close());
  const scenarios = await loadScenarios();
  for (let i = 0; i < names.length; i++) {
    const alone = await simulateTree(view, scenarios, { ...options, maxMs: budget }, names[i]);
    assert.deepEqual(summary(pooled[i]!.runs), summary(alone.runs), names[i]);
    assert.ok(pooled[i]!.runs.length > 0, `${names[i]} ran no instance`);
  }
  // Two workers, three tasks: the first two start with two thirds of the budget each; the last, alone, with all
  // that is left of it.
  const shares = pooled.map((p) => p.maxMs);
  assert.ok(shares[0]! <= budget * (2 / 3) + 1 && shares[1]! <= budget * (2 / 3) + 1, shares.join(', '));
  assert.ok(shares[2]! < budget, shares.join(', '));
});
