// The analyzers a review runs beside the simulator, built from the config: hot-path-cost, and checkpatch
// (with the runner that gives it perl) when enabled.
import type { KbotConfig } from '../config/schema.ts';
import type { Kconfig } from '../sim/frontend/ast.ts';
import type { Analyzer } from '../analyzers/types.ts';

/** `kc` is the review's kconfig (kconfigFor): `file` is the .config alone, the build a distribution ships. */
export async function sideAnalyzers(config: KbotConfig, kc: { kconfig: Kconfig; file?: { values: Kconfig; source: string } }): Promise<Analyzer[]> {
  const [{ hotPathCostAnalyzer }, { checkpatchAnalyzer }, { checkpatchRunner }] = await Promise.all([
    import('../analyzers/hot-path-cost.ts'), import('../analyzers/checkpatch.ts'), import('./checkpatch/run-checkpatch.ts'),
  ]);
  const hp = config.hot_path;
  const out: Analyzer[] = [hotPathCostAnalyzer({
    functions: hp.functions, minCallSites: hp.min_call_sites, exclude: hp.exclude, maxInlineDepth: hp.max_inline_depth,
    kconfig: kc.kconfig, ...(kc.file ? { distroKconfig: kc.file } : {}),
  })];
  const cp = config.checkpatch;
  if (cp.enabled) {
    out.push(checkpatchAnalyzer({ runner: checkpatchRunner(config.work_dir), warnings: cp.warnings, maxSeconds: cp.max_seconds, errorSeverity: cp.error_severity }));
  }
  return out;
}
