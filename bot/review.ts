// The one pipeline, as plain stages: ingest → parse → assemble → (per series) base → apply → analyze → reply.
// The CLI calls reviewInput(); a queue job can call any stage with the same types.
import { readSource } from './ingest/read-source.ts';
import { parseMessages } from './mail/parse-message.ts';
import { assembleSeries } from './series/assemble-series.ts';
import { chooseBase } from './apply/choose-base.ts';
import { applySeries } from './apply/apply-series.ts';
import { GitTreeView } from './tree/git-tree-view.ts';
import { OverlayTreeView } from './tree/overlay-tree-view.ts';
import { SeriesSimThreads, simJobs } from './sim-threads.ts';
import { factsCache, grepCache } from './facts-cache.ts';
import { flushParseCaches } from './parse-cache.ts';
import { runGit } from './tree/run-git.ts';
import { cleanStaleScratch } from './apply/clean-stale.ts';
import { planReplies } from './report/compose-reply.ts';
import { describeVerdict } from './report/describe-series.ts';
import { configHash } from '../config/config-hash.ts';
import { runAnalyzers } from '../analyzers/run-analyzers.ts';
import { rankFindings } from '../analyzers/rank-findings.ts';
import type { Analyzer, AnalyzerInput, Coverage, Finding } from '../analyzers/types.ts';
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
  /** Called with each series' review as soon as it is done (kbot review streams its output from here). */
  onSeries?: (review: SeriesReview) => void | Promise<void>;
  /** Called once the input is read and assembled, before any series is reviewed. */
  onAssembled?: (info: { series: number; rejected: Rejected[] }) => void | Promise<void>;
  /** Stops the series being reviewed (git is killed, the apply stops between patches). */
  signal?: AbortSignal;
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
          mail: patchMail(m),
          files: (m.diff ?? []).map((f) => ({ from: f.from, to: f.to, hunks: f.hunks.map((h) => ({ header: h.header, newStart: h.newStart, lines: h.lines })) })),
        }]
      : [],
  );
}

/** Stage: the base the series goes on (see chooseBase). */
export async function baseStage(series: Series, opts: Pick<ReviewOptions, 'tree' | 'cliBase' | 'config'>): Promise<BaseChoice> {
  return chooseBase(opts.tree, series, { cliBase: opts.cliBase, branchMap: opts.config.branch_map });
}

/**
 * Stage: the series applied on its base, in a scratch index under `workDir` (the config's work_dir by default),
 * each git command within limits.git_seconds; `signal` stops it between patches.
 */
export async function applyStage(series: Series, base: BaseChoice, opts: Pick<ReviewOptions, 'tree' | 'config' | 'signal'> & { workDir?: string }): Promise<ApplyResult> {
  return applySeries({ repo: opts.tree, workDir: opts.workDir ?? opts.config.work_dir, series, base, gitTimeoutMs: opts.config.limits.git_seconds * 1000, signal: opts.signal });
}

/** Files the series touches (both sides of renames). */
function touchedFiles(patches: AnalyzerInput['patches']): string[] {
  return [...new Set(patches.flatMap((p) => p.files.flatMap((f) => [f.to, f.from]).filter((x): x is string => !!x)))];
}

/** Blobs read from the tree are bounded (limits.max_blob_bytes). */
const treeView = (tree: string, commit: string, config: KbotConfig) =>
  new GitTreeView(tree, commit, { maxBlobBytes: config.limits.max_blob_bytes, grepCache: grepCache(config.work_dir) });

/**
 * Stage: the analyzers on an applied series (apply.head), on read-only views of the tree before and after;
 * findings worst first, then surest (the order the report and the reply give them in). `early` is given when
 * the caller already started the analyzers' prepare() on the tree before the series.
 */
export async function analyzeStage(
  series: Series,
  apply: ApplyResult & { head: string },
  opts: Pick<ReviewOptions, 'tree' | 'config' | 'analyzers'>,
  early?: { input: Omit<AnalyzerInput, 'after'> },
): Promise<{ findings: Finding[]; notes: string[]; coverage: Coverage[] }> {
  const input = early?.input ?? { ...analyzerBase(series, opts), before: treeView(opts.tree, apply.base!.commit, opts.config) };
  const before = input.before as GitTreeView;
  const after = treeView(opts.tree, apply.head, opts.config);
  let threads: SeriesSimThreads | undefined;
  try {
    // Searches of the tree after the series: the base's, with the touched files searched anew.
    const touched = touchedFiles(input.patches);
    const jobs = simJobs(opts.config.sim.jobs);
    if (jobs > 1) {
      threads = new SeriesSimThreads(jobs - 1, {
        tree: opts.tree, base: apply.base!.commit, head: apply.head, touched, workDir: opts.config.work_dir, maxBlobBytes: opts.config.limits.max_blob_bytes,
        parseCacheMb: { disk: opts.config.sim.parse_cache_mb, memory: opts.config.sim.parse_cache_memory_mb },
      });
    }
    const result = await runAnalyzers(opts.analyzers, { ...input, after: new OverlayTreeView(after, before, touched), touched, ...(threads ? { threads } : {}) });
    return { findings: rankFindings(result.findings), notes: result.notes, coverage: result.coverage };
  } finally {
    await Promise.all([early ? undefined : before.close(), after.close(), threads?.close()]);
    // The parses the analyzers kept are on disk, and the cache within its bound, before the next review (a
    // service's, or in its analyzer thread) looks for them.
    await flushParseCaches();
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
  for (const tag of base.ignoredTags ?? []) notes.push(`subject tag [${tag}] ignored: it is not a key of branch_map`);
  const before = treeView(opts.tree, base.commit, opts.config);
  try {
    const early: Omit<AnalyzerInput, 'after'> = { ...analyzerBase(series, opts), before };
    // The base is the tracked tree's own content: analyzers may read it while git applies the series.
    for (const a of opts.analyzers) a.prepare?.(early);
    const apply = await applyStage(series, base, opts);
    if (apply.status !== 'applied' || !apply.head) return await replyStage(series, apply, [], notes, opts);
    const result = await analyzeStage(series, { ...apply, head: apply.head }, opts, { input: early });
    return await replyStage(series, apply, result.findings, [...notes, ...result.notes], opts, result.coverage);
  } finally {
    await before.close();
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
  coverage: Coverage[] = [],
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
  const limits = opts.config.limits;
  await cleanStaleScratch(opts.config.work_dir, opts.tree);
  const src = await readSource(opts.input, {
    publicInboxBase: opts.config.public_inbox_base,
    workDir: opts.config.work_dir,
    fetch: { maxBytes: limits.fetch_bytes, seconds: limits.fetch_seconds },
  });
  const rejected: Rejected[] = [...src.rejected];
  // Each bound hit is said on what it left out (limits.*), never a silent cap.
  const read = src.messages.slice(0, limits.max_messages);
  for (const [i, raw] of src.messages.slice(limits.max_messages).entries()) {
    rejected.push({ messageId: null, source: raw.source, reason: `not read: message ${limits.max_messages + i + 1} of the input, over limits.max_messages (${limits.max_messages})` });
  }
  const parsed = await parseMessages(read, { maxReferences: limits.max_references });
  rejected.push(...parsed.rejected);
  const numbered = parsed.messages.filter((m) => {
    const { index, total } = m.parsedSubject;
    if (total <= limits.max_patches_per_series && index <= limits.max_patches_per_series) return true;
    rejected.push({ messageId: m.messageId, source: m.source, reason: `numbered ${index}/${total}: a series of more than limits.max_patches_per_series (${limits.max_patches_per_series}) patches is not assembled` });
    return false;
  });
  const { series, notes } = assembleSeries(uniqueMessages(numbered, rejected), { maxThreadDepth: limits.max_thread_depth });
  const head = (await runGit(['rev-parse', 'HEAD'], { cwd: opts.tree })).stdout.trim();
  await opts.onAssembled?.({ series: series.length, rejected });
  const reviews: SeriesReview[] = [];
  for (const [i, s] of series.entries()) {
    if (opts.signal?.aborted) break;
    let review: SeriesReview;
    if (i >= limits.max_series) {
      const apply: ApplyResult = { status: 'skipped', base: null, detail: `not reviewed: series ${i + 1} of the input, over limits.max_series (${limits.max_series})` };
      review = { series: s, apply, findings: [], notes: [], reply: null, replies: [], verdict: describeVerdict({ series: s, apply, findings: [] }) };
    } else {
      review = await reviewWithin(s, opts, limits.series_seconds);
    }
    // What assembly set aside (a second patch 2/3, a second cover letter) is said on the series it concerns.
    review.notes.push(...notesAbout(s, notes));
    reviews.push(review);
    await opts.onSeries?.(review);
  }
  // Notes about no one series (a thread cut at its depth bound) are said on the first one.
  const unplaced = notes.filter((n) => !series.some((s) => notesAbout(s, [n]).length > 0) && /limits\./.test(n));
  if (unplaced.length && reviews[0]) reviews[0].notes.push(...unplaced);
  return { tree: { path: opts.tree, head }, series: reviews, rejected, configHash: configHash(opts.config) };
}

/**
 * One series in its time (limits.series_seconds): past it, git is killed, the apply stops, and the series is
 * reported as out of time; the others go on. Any error is the series' failure, never the run's.
 */
async function reviewWithin(s: Series, opts: ReviewOptions, seconds: number): Promise<SeriesReview> {
  const stop = new AbortController();
  const outer = opts.signal;
  const onOuter = () => stop.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const failed = (detail: string, note: string): SeriesReview => {
    const apply: ApplyResult = { status: 'failed', base: null, detail };
    return { series: s, apply, findings: [], notes: [note], reply: null, replies: [], verdict: describeVerdict({ series: s, apply, findings: [] }) };
  };
  const work = reviewSeries(s, { ...opts, signal: stop.signal }).catch((e: Error) =>
    failed(`internal error: ${e.message}`, `review failed: ${e.message}`));
  const late = new Promise<SeriesReview>((resolve) => {
    timer = setTimeout(() => {
      const why = `out of time: the series took more than limits.series_seconds (${seconds} s)`;
      stop.abort(why);
      resolve(failed(why, `${why}; nothing it found is reported`));
    }, seconds * 1000);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
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
