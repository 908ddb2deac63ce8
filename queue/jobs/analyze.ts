// analyze: a BullMQ flow. The parent (this job) waits for one child per analyzer (queue/jobs/analyzer.ts), which
// run in parallel on any worker; then it collects their findings and notes, in the analyzers' order, and
// queues the report.
import type { Job } from 'bullmq';
import { z } from 'zod';
import type { Finding } from '../../analyzers/types.ts';
import { rankFindings } from '../../analyzers/rank-findings.ts';
import { applyResultSchema, findingSchema, parsePayload, rerunSchema, seriesSchema } from '../payloads.ts';
import { jobId, type Service } from '../service.ts';
import { analyzerPayload, type AnalyzerJobResult } from './analyzer.ts';
import { enqueueReport } from './report.ts';

export const analyzePayload = z.strictObject({
  tree: z.string(),
  bucket: z.string(),
  series: seriesSchema,
  apply: applyResultSchema,
  notes: z.array(z.string()),
  incomplete: z.string().optional(),
  rerun: rerunSchema.optional(),
  /** The analyzers run as children, in the order their results are merged. */
  analyzers: z.array(z.string()).min(1),
});
export type AnalyzePayload = z.output<typeof analyzePayload>;

export async function enqueueAnalyze(svc: Service, p: Omit<AnalyzePayload, 'analyzers'>): Promise<void> {
  const analyzers = (await svc.analyzers()).map((a) => a.name);
  const id = jobId('analyze', p.tree, p.series.id, String(p.series.version), p.apply.head ?? '', ...(p.rerun ? [p.rerun.via] : []));
  const s = svc.config.service;
  await svc.flow.add({
    name: 'analyze',
    queueName: 'analyze',
    data: { ...p, analyzers } satisfies AnalyzePayload,
    opts: svc.jobOptions({ jobId: id }),
    children: analyzers.map((name) => ({
      name: 'analyzer',
      queueName: 'analyzer',
      data: parsePayload(analyzerPayload, { tree: p.tree, analyzer: name, series: p.series, apply: p.apply }, 'analyzer'),
      // A child that fails every try fails the review (its reason is kept on both); a crash inside an analyzer
      // is not a failure but an info note (analyzers/run-analyzers.ts).
      opts: svc.jobOptions({ jobId: `${id}-${name}`, failParentOnFailure: true, attempts: s.attempts }),
    })),
  });
}

export async function processAnalyze(job: Job, svc: Service): Promise<{ findings: number }> {
  const p = parsePayload(analyzePayload, job.data, 'analyze');
  const values = await job.getChildrenValues<AnalyzerJobResult>();
  const byName = new Map(Object.values(values).map((v) => [v.analyzer, v]));
  const findings: Finding[] = [];
  const notes = [...p.notes];
  for (const name of p.analyzers) {
    const v = byName.get(name);
    if (!v) {
      notes.push(`${name}: no result`);
      continue;
    }
    findings.push(...v.findings.map((f) => findingSchema.parse(f)));
    notes.push(...v.notes);
  }
  // Worst first, then surest, across the analyzers: the order kbot review gives (analyzers/rank-findings.ts).
  await enqueueReport(svc, { tree: p.tree, bucket: p.bucket, series: p.series, apply: p.apply, findings: rankFindings(findings), notes, ...(p.incomplete ? { incomplete: p.incomplete } : {}), ...(p.rerun ? { rerun: p.rerun } : {}) });
  return { findings: findings.length };
}
