// `kbot demo`: builds the v4.12-style example tree in a temp dir and reviews the example series against it,
// with no Redis and no network. What it prints is what `kbot review` prints.
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleTree, examplesDir } from '../examples/build-tree.ts';
import { parseConfig, type KbotConfig } from '../config/read-config.ts';
import { reviewInput } from './review.ts';
import { renderText } from './report/render-text.ts';
import { loadScenarios } from './load-scenarios.ts';
import { refcountSimAnalyzer } from '../analyzers/refcount-sim.ts';
import { simOptions } from './sim-options.ts';
import { sideAnalyzers } from './side-analyzers.ts';
import type { ReviewResult } from './types.ts';

/** The series the demo reviews, in order, and what a reader should expect of each. */
export const DEMO_SERIES = [
  { mbox: 'hmm-devpriv-free-at-1.mbox', expect: 'put_page() frees device-private pages at refcount 1: findings' },
  { mbox: 'hmm-devpriv-free-at-0.mbox', expect: 'the same feature freeing at refcount 0: no findings' },
  { mbox: 'no-refcount.mbox', expect: 'touches no refcount code: nothing to check' },
  { mbox: 'does-not-apply.mbox', expect: 'does not apply' },
];

export async function runDemo(opts: { keep?: boolean; config?: KbotConfig } = {}): Promise<{ text: string; results: Array<{ mbox: string; result: ReviewResult }> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kbot-demo-'));
  try {
    const tree = await buildExampleTree('v4.12-style', join(dir, 'linux'));
    // A given config is used as it is, but for work_dir: the demo's scratch stays in its temp dir.
    const config = { ...(opts.config ?? parseConfig({})), work_dir: join(dir, 'work') };
    const scenarios = await loadScenarios();
    const analyzers = [refcountSimAnalyzer({ scenarios, sim: simOptions(config) }), ...(await sideAnalyzers(config, { kconfig: simOptions(config).kconfig }))];
    const results: Array<{ mbox: string; result: ReviewResult }> = [];
    let text = `kbot demo: example tree v4.12-style built at ${tree.path} (${tree.head.slice(0, 12)})\n`;
    for (const s of DEMO_SERIES) {
      const input = join(examplesDir, 'series', s.mbox);
      if (!existsSync(input)) continue;
      const result = await reviewInput({ input, tree: tree.path, config, analyzers, now: new Date('2026-01-01T00:00:00Z') });
      results.push({ mbox: s.mbox, result });
      text += `\n===== examples/series/${s.mbox} (expected: ${s.expect}) =====\n${renderText(result)}`;
    }
    if (opts.keep) text += `\n(tree kept at ${tree.path})\n`;
    return { text, results };
  } finally {
    if (!opts.keep) await rm(dir, { recursive: true, force: true });
  }
}
