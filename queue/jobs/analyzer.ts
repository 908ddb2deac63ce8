// analyzer: one analyzer on one applied series (bot/review's analyzeStage, with that analyzer alone): a child
// of the analyze flow. Its result is what the parent collects.
import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import type { Finding } from '../../analyzers/types.ts';
import { analyzeStage } from '../../bot/review.ts';
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
  const r = await analyzeStage(p.series, { ...p.apply, head: p.apply.head }, { tree: tree.path, config: svc.config, analyzers: [analyzer] });
  return { analyzer: p.analyzer, findings: r.findings, notes: r.notes };
}
