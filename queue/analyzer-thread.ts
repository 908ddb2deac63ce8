// One analyzer job's work, in a worker thread: the simulator computes for seconds without yielding, and on the
// worker's own thread that would stop BullMQ from renewing the job's lock (the job would be taken for stalled
// and run twice). Here the worker's event loop stays free; the thread gets plain data and posts plain data.
import { parentPort, workerData } from 'node:worker_threads';
import type { KbotConfig } from '../config/schema.ts';
import type { ApplyResult, Series } from '../bot/types.ts';

interface Input {
  config: KbotConfig;
  tree: string;
  analyzer: string;
  series: Series;
  apply: ApplyResult & { head: string };
}

const input = workerData as Input;
try {
  const [{ loadScenarios }, { refcountSimAnalyzer }, { kconfigFor, simOptions }, { analyzeStage }] = await Promise.all([
    import('../bot/load-scenarios.ts'), import('../analyzers/refcount-sim.ts'), import('../bot/sim-options.ts'), import('../bot/review.ts'),
  ]);
  const kc = await kconfigFor(input.config);
  const analyzers = [refcountSimAnalyzer({ scenarios: await loadScenarios(), sim: simOptions(input.config, { kconfig: kc.kconfig }) })];
  const analyzer = analyzers.find((a) => a.name === input.analyzer);
  if (!analyzer) throw new Error(`no analyzer named ${input.analyzer}`);
  const r = await analyzeStage(input.series, input.apply, { tree: input.tree, config: input.config, analyzers: [analyzer] });
  parentPort!.postMessage({ ok: true, findings: r.findings, notes: r.notes });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
}
