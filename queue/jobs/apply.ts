// apply: the thread's series as assembled from Redis, on its base (bot/review's baseStage/applyStage), in a
// scratch directory of the tree's pool. An applied series is kept under refs/kbot/applied/ and goes to the
// analyze flow; one that does not apply goes straight to report (its author gets told) and the job fails at
// once (UnrecoverableError) with git's reason.
import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { assembleSeries } from '../../bot/series/assemble-series.ts';
import { applyStage, baseStage } from '../../bot/review.ts';
import type { ApplyResult, BaseChoice, Series } from '../../bot/types.ts';
import { parsePayload, rerunSchema, type Rerun } from '../payloads.ts';
import { resolveCommit } from '../../bot/tree/run-git.ts';
import { postPatchworkChecks } from '../../bot/patchwork/post-checks.ts';
import { seriesKey } from '../../bot/commands/series-key.ts';
import { jobId, type Service } from '../service.ts';
import { keepApplied, withPoolSlot } from '../tree-pool.ts';
import { enqueueAnalyze } from './analyze.ts';
import { enqueueReport } from './report.ts';
import { loadThread } from './series.ts';

export const applyPayload = z.strictObject({
  tree: z.string(),
  bucket: z.string(),
  series: z.array(z.strictObject({ id: z.string(), version: z.number().int() })).min(1),
  reason: z.enum(['complete', 'wait']),
  /** By "id|version": what never arrived, for a series reviewed after the wait. */
  missing: z.record(z.string(), z.string()).default({}),
  /** A maintainer's rerun: applied on the tree's HEAD (or the branch named), whatever base the series names. */
  rerun: rerunSchema.optional(),
});
export type ApplyPayload = z.output<typeof applyPayload>;

export async function enqueueApply(svc: Service, p: ApplyPayload): Promise<void> {
  await svc.queue('apply').add('apply', p, svc.jobOptions({ jobId: jobId('apply', p.tree, p.bucket, JSON.stringify(p.series), ...(p.rerun ? [p.rerun.via] : [])) }));
}

/**
 * The part of an incomplete series that can be reviewed: its patches up to the first missing one. Null when
 * patch 1 is missing.
 */
export function reviewablePart(s: Series): Series | null {
  const first = s.patches.findIndex((p) => !p);
  const upTo = first < 0 ? s.patches.length : first;
  if (upTo === 0) return null;
  return { ...s, patches: s.patches.slice(0, upTo), missing: [] };
}

export function incompleteSentence(s: Series, missing: string, waitSeconds: number, reviewed: number): string {
  const wait = waitSeconds >= 120 ? `${Math.round(waitSeconds / 60)} minutes` : `${waitSeconds} seconds`;
  const part = reviewed === s.total ? 'all its patches' : reviewed === 1 ? `patch 1/${s.total} only` : `patches 1-${reviewed} of ${s.total} only`;
  return `kbot waited ${wait} for the rest of this series, but ${missing} never arrived; it reviewed ${part}.`;
}

/** A rerun's base: the tree's current HEAD, or the branch the maintainer named, whatever base the series gives. */
async function rerunBase(tree: string, r: Rerun): Promise<BaseChoice> {
  const rev = r.branch ?? 'HEAD';
  const commit = await resolveCommit(tree, rev);
  if (!commit) throw new UnrecoverableError(`rerun: ${rev} names no commit of ${tree}`);
  return { commit, source: 'cli', why: `a rerun asked by ${r.by}: applied on ${r.branch ?? "the tree's HEAD"} (${commit.slice(0, 12)})` };
}

export interface ApplyJobResult {
  series: Array<{ id: string; version: number; status: ApplyResult['status']; head?: string; detail?: string }>;
}

export async function processApply(job: Job, svc: Service): Promise<ApplyJobResult> {
  const p = parsePayload(applyPayload, job.data, 'apply');
  const tree = svc.tree(p.tree);
  const { series } = assembleSeries(await loadThread(svc, p.tree, p.bucket));
  const out: ApplyJobResult = { series: [] };
  const permanent: string[] = [];
  for (const want of p.series) {
    const whole = series.find((s) => s.id === want.id && s.version === want.version);
    if (!whole) throw new UnrecoverableError(`series ${want.id} v${want.version} is no longer in the thread ${p.bucket}`);
    const missing = p.missing[`${want.id}|${want.version}`];
    const s = missing ? reviewablePart(whole) : whole;
    const notes = [...whole.problems];
    if (!s) {
      // Nothing before the first gap to apply: no review, said in the job's result and the log.
      const detail = `not reviewed: ${missing} never arrived within service.series_wait_seconds`;
      svc.log.warn({ series: want, detail }, 'series not reviewed');
      out.series.push({ ...want, status: 'skipped', detail });
      continue;
    }
    const incomplete = missing ? incompleteSentence(whole, missing, svc.config.service.series_wait_seconds, s.patches.length) : undefined;
    // Patchwork shows the review under way; the report stage posts the result.
    if (svc.config.patchwork?.token && job.attemptsMade === 0) {
      const pending = await postPatchworkChecks(svc.config.patchwork, { series: s, apply: { status: 'applied', base: null }, findings: [], seriesKey: seriesKey(s) }, true).catch((e: Error) => ({ notes: [`patchwork: ${e.message}`] }));
      notes.push(...pending.notes.filter((n) => !n.includes(' check(s) posted')));
    }
    if (incomplete) notes.push(incomplete);
    const base = p.rerun ? await rerunBase(tree.path, p.rerun) : await baseStage(s, { tree: tree.path, config: svc.config });
    const apply = await withPoolSlot(svc.config.work_dir, tree, (dir) => applyStage(s, base, { tree: tree.path, config: svc.config, workDir: dir }));
    out.series.push({ ...want, status: apply.status, ...(apply.head ? { head: apply.head } : {}), ...(apply.detail ? { detail: apply.detail } : {}) });
    if (apply.status === 'applied' && apply.head) {
      await keepApplied(tree.path, jobId('applied', s.id, String(s.version), apply.head).slice('applied-'.length, 'applied-'.length + 16), apply.head);
      await enqueueAnalyze(svc, { tree: p.tree, bucket: p.bucket, series: s, apply, notes, ...(incomplete ? { incomplete } : {}), ...(p.rerun ? { rerun: p.rerun } : {}) });
    } else {
      await enqueueReport(svc, { tree: p.tree, bucket: p.bucket, series: s, apply, findings: [], notes, ...(incomplete ? { incomplete } : {}), ...(p.rerun ? { rerun: p.rerun } : {}) });
      if (apply.status === 'failed' || apply.status === 'refused') permanent.push(`${s.title} v${s.version}: ${apply.status}: ${apply.detail ?? ''}`.trim());
    }
  }
  job.log(JSON.stringify(out));
  if (permanent.length) throw new UnrecoverableError(permanent.join('\n'));
  return out;
}
