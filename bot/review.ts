// The one pipeline, as plain stages: ingest → parse → assemble → (per series) base → apply → analyze → reply.
// The CLI calls reviewInput(), which runs skipReason → baseStage → applyStage → analyzeStage → replyStage for each
// series; the queue's jobs (queue/jobs/) call the same stages one per job, with the same types.
import { readSource } from './ingest/read-source.ts';
import { parseMessages } from './mail/parse-message.ts';
import { assembleSeries } from './series/assemble-series.ts';
import { chooseBase } from './apply/choose-base.ts';
import { applySeries } from './apply/apply-series.ts';
import { GitTreeView } from './tree/git-tree-view.ts';
import { OverlayTreeView } from './tree/overlay-tree-view.ts';
import { factsCache } from './facts-cache.ts';
import { runGit } from './tree/run-git.ts';
import { planReplies } from './report/compose-reply.ts';
import { describeVerdict } from './report/describe-series.ts';
import { configHash } from '../config/config-hash.ts';
import { runAnalyzers } from '../analyzers/run-analyzers.ts';
import type { Analyzer, AnalyzerInput, Finding } from '../analyzers/types.ts';
import type { KbotConfig } from '../config/schema.ts';
import type { ApplyResult, BaseChoice, Message, Rejected, ReviewResult, Series, SeriesReview } from './types.ts';

export interface ReviewOptions {
  /** mbox, .eml, Maildir, public-inbox repo, Message-ID or archive URL. */
  input: string;
  /** The tracked tree (a git checkout). */
  tree: string;
  cliBase?: string;
  config: KbotConfig;
  analyzers: Analyzer[];
  /** Fixed time for reproducible replies (tests). */
  now?: Date;
}

/** What the series is not reviewed for, before any git work: superseded, or parts missing. */
export function skipReason(series: Series): string | null {
  if (series.supersededBy) return `superseded by ${series.supersededBy}`;
  if (series.missing.length) return `incomplete: ${series.missing.map((i) => `${i}/${series.total}`).join(', ')} missing`;
  return null;
}

/** The series as analyzers see it (no tree yet). */
export function patchInputs(series: Series): AnalyzerInput['patches'] {
  return series.patches.flatMap((m, i) =>
    m
      ? [{
          index: i + 1,
          messageId: m.messageId,
          subject: m.subject,
          files: (m.diff ?? []).map((f) => ({ from: f.from, to: f.to, hunks: f.hunks.map((h) => ({ header: h.header, newStart: h.newStart, lines: h.lines })) })),
        }]
      : [],
  );
}

/** Stage: the base the series goes on (see chooseBase). */
export async function baseStage(series: Series, opts: Pick<ReviewOptions, 'tree' | 'cliBase' | 'config'>): Promise<BaseChoice> {
  return chooseBase(opts.tree, series, { cliBase: opts.cliBase, branchMap: opts.config.branch_map });
}

/** Stage: the series applied on its base, in a scratch index under `workDir` (the config's work_dir by default). */
export async function applyStage(series: Series, base: BaseChoice, opts: Pick<ReviewOptions, 'tree' | 'config'> & { workDir?: string }): Promise<ApplyResult> {
  return applySeries({ repo: opts.tree, workDir: opts.workDir ?? opts.config.work_dir, series, base });
}

/** Files the series touches (both sides of renames). */
function touchedFiles(patches: AnalyzerInput['patches']): string[] {
  return [...new Set(patches.flatMap((p) => p.files.flatMap((f) => [f.to, f.from]).filter((x): x is string => !!x)))];
}

/**
 * Stage: the analyzers on an applied series (apply.head), on read-only views of the tree before and after.
 * `early` is given when the caller already started the analyzers' prepare() on the tree before the series.
 */
export async function analyzeStage(
  series: Series,
  apply: ApplyResult & { head: string },
  opts: Pick<ReviewOptions, 'tree' | 'config' | 'analyzers'>,
  early?: { input: Omit<AnalyzerInput, 'after'> },
): Promise<{ findings: Finding[]; notes: string[] }> {
  const input = early?.input ?? { ...analyzerBase(series, opts), before: new GitTreeView(opts.tree, apply.base!.commit) };
  const before = input.before as GitTreeView;
  const after = new GitTreeView(opts.tree, apply.head);
  try {
    // Searches of the tree after the series: the base's, with the touched files searched anew.
    const touched = touchedFiles(input.patches);
    return await runAnalyzers(opts.analyzers, { ...input, after: new OverlayTreeView(after, before, touched), touched });
  } finally {
    if (!early) before.close();
    after.close();
  }
}

function analyzerBase(series: Series, opts: Pick<ReviewOptions, 'config'>): Omit<AnalyzerInput, 'after' | 'before'> {
  return {
    seriesId: series.id,
    title: series.title,
    coverMessageId: series.cover?.messageId ?? null,
    patches: patchInputs(series),
    cache: factsCache(opts.config.work_dir),
  };
}

/** Stage: a series, applied, analysed and answered. */
export async function reviewSeries(series: Series, opts: Omit<ReviewOptions, 'input'>): Promise<SeriesReview> {
  const notes: string[] = [...series.problems];
  const skip = skipReason(series);
  if (skip) return replyStage(series, { status: 'skipped', base: null, detail: skip }, [], notes, opts);
  const base = await baseStage(series, opts);
  const before = new GitTreeView(opts.tree, base.commit);
  try {
    const early: Omit<AnalyzerInput, 'after'> = { ...analyzerBase(series, opts), before };
    // The base is the tracked tree's own content: analyzers may read it while git applies the series.
    for (const a of opts.analyzers) a.prepare?.(early);
    const apply = await applyStage(series, base, opts);
    if (apply.status !== 'applied' || !apply.head) return await replyStage(series, apply, [], notes, opts);
    const result = await analyzeStage(series, { ...apply, head: apply.head }, opts, { input: early });
    return await replyStage(series, apply, result.findings, [...notes, ...result.notes], opts);
  } finally {
    before.close();
  }
}

/**
 * Stage: the replies to a reviewed series (none for a skipped one). `incomplete` says, in the reply, which
 * parts never arrived when a series is reviewed without them (the queue's wait for missing parts).
 */
export async function replyStage(
  series: Series,
  apply: ApplyResult,
  findings: SeriesReview['findings'],
  notes: string[],
  opts: Pick<ReviewOptions, 'config' | 'now' | 'tree'> & { incomplete?: string },
): Promise<SeriesReview> {
  // Only what a patch author must act on goes to the list; analyzer trouble stays in the report.
  const mailable = findings.filter((f) => f.severity !== 'info');
  const skippedSeries = apply.status === 'skipped';
  const plan = skippedSeries
    ? { drafts: [], skipped: [] }
    : await planReplies({ series, apply, findings: mailable, notes, ...(opts.incomplete ? { incomplete: opts.incomplete } : {}) }, opts.config, { now: opts.now, tree: opts.tree });
  for (const s of plan.skipped) notes.push(`no reply to ${s.inReplyTo}: ${s.reason}`);
  // Each reply's Message-ID says what it is about (stableMessageId), so the same review twice makes the same
  // reply (and outbox file).
  const replies = plan.drafts;
  return { series, apply, findings, notes, reply: replies[0] ?? null, replies, verdict: describeVerdict({ series, apply, findings }) };
}

/** The whole run: every series in the input. One bad message or series never stops the others. */
export async function reviewInput(opts: ReviewOptions): Promise<ReviewResult> {
  const src = await readSource(opts.input, { publicInboxBase: opts.config.public_inbox_base, workDir: opts.config.work_dir });
  const parsed = await parseMessages(src.messages);
  const rejected: Rejected[] = [...src.rejected, ...parsed.rejected];
  const { series, notes } = assembleSeries(uniqueMessages(parsed.messages, rejected));
  const head = (await runGit(['rev-parse', 'HEAD'], { cwd: opts.tree })).stdout.trim();
  const reviews: SeriesReview[] = [];
  for (const s of series) {
    try {
      const review = await reviewSeries(s, opts);
      // What assembly set aside (a second patch 2/3, a second cover letter) is said on the series it concerns.
      review.notes.push(...notesAbout(s, notes));
      reviews.push(review);
    } catch (e) {
      const apply: ApplyResult = { status: 'failed', base: null, detail: `internal error: ${(e as Error).message}` };
      reviews.push({ series: s, apply, findings: [], notes: [`review failed: ${(e as Error).message}`], reply: null, replies: [], verdict: describeVerdict({ series: s, apply, findings: [] }) });
    }
  }
  return { tree: { path: opts.tree, head }, series: reviews, rejected, configHash: configHash(opts.config) };
}

/**
 * The first message with each Message-ID; later ones go to `rejected`. assembleSeries drops them too, but only
 * into notes the report never shows, so a second message under a known id would vanish without a word.
 */
function uniqueMessages(messages: Message[], rejected: Rejected[]): Message[] {
  const first = new Map<string, Message>();
  const out: Message[] = [];
  for (const m of messages) {
    const seen = first.get(m.messageId);
    if (seen) {
      rejected.push({ messageId: m.messageId, source: m.source, reason: `duplicate Message-ID: ${seen.source} has the same id and is the one used` });
      continue;
    }
    first.set(m.messageId, m);
    out.push(m);
  }
  return out;
}

/** The assembly notes that name one of the series' messages. */
function notesAbout(series: Series, notes: string[]): string[] {
  const ids = [series.cover, ...series.patches].flatMap((m) => (m ? [m.messageId] : []));
  return notes.filter((n) => ids.some((id) => n.includes(id)));
}
