// analyzer: one analyzer on one applied series (bot/review's analyzeStage, with that analyzer alone): a child
// of the analyze flow. Its result is what the parent collects.
import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import type { Finding } from '../../analyzers/types.ts';
import { Worker } from 'node:worker_threads';
import type { ThreadRequest } from '../analyzer-thread.ts';
import { applyResultSchema, parsePayload, seriesSchema } from '../payloads.ts';
import type { Service } from '../service.ts';

export const analyzerPayload = z.strictObject({
  tree: z.string(),
  analyzer: z.string(),
  series: seriesSchema,
  apply: applyResultSchema,
});
export type AnalyzerPayload = z.output<typeof analyzerPayload>;

export interface AnalyzerJobResult {
  analyzer: string;
  findings: Finding[];
  notes: string[];
}

export async function processAnalyzer(job: Job, svc: Service): Promise<AnalyzerJobResult> {
  const p = parsePayload(analyzerPayload, job.data, 'analyzer');
  const analyzer = (await svc.analyzers()).find((a) => a.name === p.analyzer);
  if (!analyzer) throw new UnrecoverableError(`no analyzer named ${p.analyzer} in this worker`);
  if (p.apply.status !== 'applied' || !p.apply.head) throw new UnrecoverableError('analyzer job for a series that did not apply');
  const tree = svc.tree(p.tree);
  svc.log.info({ job: job.id, analyzer: p.analyzer, series: p.series.id }, 'analyzer started');
  const r = await inThread({ config: svc.config, tree: tree.path, analyzer: p.analyzer, series: p.series, apply: { ...p.apply, head: p.apply.head } });
  return { analyzer: p.analyzer, findings: r.findings, notes: r.notes };
}

type Answer = { id: number; ok: true; findings: Finding[]; notes: string[] } | { id: number; ok: false; error: string };

/** Idle analyzer threads, kept for the next job (one per job running at once, at most). */
const idle: Worker[] = [];
let nextId = 0;

/**
 * analyzeStage (bot/review.ts) in queue/analyzer-thread.ts. From the sources the thread starts through
 * analyzer-thread-boot.mjs (tsx); from the bundle (dist/), its own entry point beside the chunk this code is in.
 * A thread that fails is not reused.
 */
function inThread(data: Omit<ThreadRequest, 'id'>): Promise<{ findings: Finding[]; notes: string[] }> {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fromSource ? new URL('../analyzer-thread-boot.mjs', import.meta.url) : new URL('./analyzer-thread.js', import.meta.url);
  const w = idle.pop() ?? new Worker(file);
  w.unref();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const done = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (m: Answer) => {
      if (m.id !== id) return;
      done();
      idle.push(w);
      if (m.ok) resolve({ findings: m.findings, notes: m.notes });
      else reject(new Error(m.error));
    };
    const onError = (e: Error) => {
      done();
      void w.terminate();
      reject(e);
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`analyzer thread exited with code ${code} before answering`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage({ ...data, id } satisfies ThreadRequest);
  });
}
