// The one pipeline, as plain stages: ingest → parse → assemble → (per series) base → apply → analyze → reply.
// The CLI calls reviewInput(); a queue job can call any stage with the same types.
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
import { rankFindings } from '../analyzers/rank-findings.ts';
import type { Analyzer, AnalyzerInput, Coverage } from '../analyzers/types.ts';
import type { KbotConfig } from '../config/schema.ts';
import type { ApplyResult, Message, Rejected, ReviewResult, Series, SeriesReview } from './types.ts';

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

/** Stage: a series, applied, analysed and answered. */
export async function reviewSeries(series: Series, opts: Omit<ReviewOptions, 'input'>): Promise<SeriesReview> {
  const notes: string[] = [...series.problems];
  if (series.supersededBy) {
    return finish(series, { status: 'skipped', base: null, detail: `superseded by ${series.supersededBy}` }, [], notes, opts);
  }
  if (series.missing.length) {
    const detail = `incomplete: ${series.missing.map((i) => `${i}/${series.total}`).join(', ')} missing`;
    return finish(series, { status: 'skipped', base: null, detail }, [], notes, opts);
  }
  const base = await chooseBase(opts.tree, series, { cliBase: opts.cliBase, branchMap: opts.config.branch_map });
  const before = new GitTreeView(opts.tree, base.commit);
  let after: GitTreeView | null = null;
  try {
    const early: Omit<AnalyzerInput, 'after'> = {
      seriesId: series.id,
      title: series.title,
      coverMessageId: series.cover?.messageId ?? null,
      patches: series.patches.flatMap((m, i) =>
        m
          ? [{
              index: i + 1,
              messageId: m.messageId,
              subject: m.subject,
              mail: patchMail(m),
              files: (m.diff ?? []).map((f) => ({ from: f.from, to: f.to, hunks: f.hunks.map((h) => ({ header: h.header, newStart: h.newStart, lines: h.lines })) })),
            }]
          : [],
      ),
      before,
      cache: factsCache(opts.config.work_dir),
    };
    // The base is the tracked tree's own content: analyzers may read it while git applies the series.
    for (const a of opts.analyzers) a.prepare?.(early);
    const apply = await applySeries({ repo: opts.tree, workDir: opts.config.work_dir, series, base });
    if (apply.status !== 'applied' || !apply.head) return await finish(series, apply, [], notes, opts);
    after = new GitTreeView(opts.tree, apply.head);
    // Searches of the tree after the series: the base's, with the touched files searched anew.
    const touched = [...new Set(early.patches.flatMap((p) => p.files.flatMap((f) => [f.to, f.from]).filter((x): x is string => !!x)))];
    const result = await runAnalyzers(opts.analyzers, { ...early, after: new OverlayTreeView(after, before, touched), touched });
    // Worst first, then surest: the order the report and the reply give them in.
    return await finish(series, apply, rankFindings(result.findings), [...notes, ...result.notes], opts, result.coverage);
  } finally {
    await Promise.all([before.close(), after?.close()]);
  }
}

async function finish(
  series: Series,
  apply: ApplyResult,
  findings: SeriesReview['findings'],
  notes: string[],
  opts: Omit<ReviewOptions, 'input'>,
  coverage: Coverage[] = [],
): Promise<SeriesReview> {
  // Only what a patch author must act on goes to the list; analyzer trouble stays in the report.
  const mailable = findings.filter((f) => f.severity !== 'info');
  const skippedSeries = apply.status === 'skipped';
  const plan = skippedSeries ? { drafts: [], skipped: [] } : await planReplies({ series, apply, findings: mailable, notes }, opts.config, { now: opts.now, tree: opts.tree });
  for (const s of plan.skipped) notes.push(`no reply to ${s.inReplyTo}: ${s.reason}`);
  // Each reply's Message-ID says what it is about (stableMessageId), so the same review twice makes the same
  // reply (and outbox file).
  const replies = plan.drafts;
  return { series, apply, findings, notes, coverage, reply: replies[0] ?? null, replies, verdict: describeVerdict({ series, apply, findings }) };
}

/** A patch as `git format-patch` writes it (From:, Subject:, the body with its diff), for checkpatch.pl. */
function patchMail(m: Message): string {
  const from = m.from.name ? `${m.from.name} <${m.from.address}>` : m.from.address;
  const body = m.patch && !m.body.includes(m.patch) ? `${m.body.replace(/\n*$/, '\n')}${m.patch}` : m.body;
  return `From: ${from}\nSubject: ${m.subject}\n\n${body}`;
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
