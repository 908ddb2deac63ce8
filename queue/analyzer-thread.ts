// The analyzer jobs' work, in a worker thread: the simulator computes for seconds without yielding, and on the
// worker's own thread that would stop BullMQ from renewing the job's lock (the job would be taken for stalled
// and run twice). Here the worker's event loop stays free. The thread lives as long as the worker process,
// so the analyzers and their scenarios are loaded once; it takes one request at a time, plain data in and out.
import { parentPort } from 'node:worker_threads';
import type { Analyzer } from '../analyzers/types.ts';
import type { KbotConfig } from '../config/schema.ts';
import type { ApplyResult, Series } from '../bot/types.ts';

export interface ThreadRequest {
  id: number;
  config: KbotConfig;
  tree: string;
  analyzer: string;
  series: Series;
  apply: ApplyResult & { head: string };
}

let analyzers: Promise<Analyzer[]> | null = null;

async function run(req: ThreadRequest) {
  const { analyzeStage } = await import('../bot/review.ts');
  analyzers ??= (async () => {
    const [{ loadScenarios }, { refcountSimAnalyzer }, { kconfigFor, simOptions }, { sideAnalyzers }] = await Promise.all([
      import('../bot/load-scenarios.ts'), import('../analyzers/refcount-sim.ts'), import('../bot/sim-options.ts'), import('../bot/side-analyzers.ts'),
    ]);
    const kc = await kconfigFor(req.config);
    return [refcountSimAnalyzer({ scenarios: await loadScenarios(), sim: simOptions(req.config, { kconfig: kc.kconfig }) }), ...(await sideAnalyzers(req.config, kc))];
  })();
  const analyzer = (await analyzers).find((a) => a.name === req.analyzer);
  if (!analyzer) throw new Error(`no analyzer named ${req.analyzer}`);
  return analyzeStage(req.series, req.apply, { tree: req.tree, config: req.config, analyzers: [analyzer] });
}

parentPort!.on('message', (req: ThreadRequest) => {
  run(req).then(
    (r) => parentPort!.postMessage({ id: req.id, ok: true, findings: r.findings, notes: r.notes }),
    (e: unknown) => parentPort!.postMessage({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
});
