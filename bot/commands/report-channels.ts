// The report stage's part of maintainer commands and the other reply channels, around the mail replies:
// before them, triage takes out what maintainers marked (and says so) and the run is recorded, pinned, with
// what changed since the series' last run; after them, the thread index learns which report and which
// GitHub thread is about the series, the GitHub comment and check run and the Patchwork checks are posted,
// and a rerun's requester gets what changed.
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Finding } from '../../analyzers/types.ts';
import { configHash } from '../../config/config-hash.ts';
import type { KbotConfig } from '../../config/schema.ts';
import { postToGithub } from '../github/post-review.ts';
import { repoForTree } from '../github/github-client.ts';
import { postPatchworkChecks } from '../patchwork/post-checks.ts';
import { formatMailbox } from '../report/addresses.ts';
import { buildEml } from '../report/build-eml.ts';
import { bracketId } from '../report/message-id.ts';
import { wrapText } from '../report/wrap-text.ts';
import { emlMessageId } from '../send/eml-message-id.ts';
import type { ApplyResult, ReplyDraft, Series } from '../types.ts';
import { kbotVersion } from '../version.ts';
import { githubCommandsHint } from './commands-hint.ts';
import { findingId } from './finding-id.ts';
import { recordOf, RunHistory, type RunChanges, type RunPin } from './run-record.ts';
import { seriesKey } from './series-key.ts';
import { ThreadIndex } from './thread-index.ts';
import { TriageStore } from './triage-store.ts';

/** Who asked for a rerun, and where to answer. */
export interface RerunOrigin {
  channel: 'mail' | 'github';
  by: string;
  via: string;
  subject?: string;
  references?: string[];
}

export interface ChannelContext {
  config: KbotConfig;
  redis: Redis | Cluster;
  /** Key prefix of the command state (triage, runs, threads, answers). */
  prefix: string;
  /** The tracked tree: its trees: name (service) or path (kbot review). */
  tree: string;
  bucket?: string;
  /** The report job's id: what makes recording the run idempotent. */
  runId: string;
  /** The scenario set the analyzers ran with (its names). */
  scenarios: string[];
  now?: Date;
  rerun?: RerunOrigin;
}

export interface BeforeReply {
  key: string;
  kept: Finding[];
  suppressed: Array<{ finding: Finding; why: string }>;
  pin: RunPin | null;
  changes: RunChanges | null;
  notes: string[];
}

export async function beforeReply(ctx: ChannelContext, series: Series, apply: ApplyResult, findings: Finding[]): Promise<BeforeReply> {
  const key = seriesKey(series);
  const { kept, suppressed } = await new TriageStore(ctx.redis, ctx.prefix).apply(key, findings);
  const notes = suppressed.map((s) => `not reported: ${findingId(s.finding)} ${s.finding.title} (${s.why})`);
  if (apply.status !== 'applied' || !apply.head || !apply.base) return { key, kept, suppressed, pin: null, changes: null, notes };
  const pin: RunPin = { kbotVersion: kbotVersion(), scenarios: ctx.scenarios, configHash: configHash(ctx.config), tree: ctx.tree, commit: apply.head, base: apply.base.commit };
  // What was found, triage aside: a finding marked invalid is not "fixed" by being left out.
  const changes = await new RunHistory(ctx.redis, ctx.prefix).record(key, recordOf(ctx.runId, pin, series.id, series.version, findings, ctx.now ?? new Date()));
  if (changes) notes.push(`since the last run (${changes.previous.commit.slice(0, 12)}): ${changes.added.length} new, ${changes.fixed.length} fixed finding(s)`);
  return { key, kept, suppressed, pin, changes, notes };
}

export interface AfterReply {
  notes: string[];
  /** The answer to a rerun's requester by mail, ready for the outbox. */
  requesterReply?: ReplyDraft;
}

export async function afterReply(ctx: ChannelContext, series: Series, apply: ApplyResult, drafts: ReplyDraft[], b: BeforeReply): Promise<AfterReply> {
  const notes: string[] = [];
  const threads = new ThreadIndex(ctx.redis, ctx.prefix);
  const thread = { seriesKey: b.key, seriesId: series.id, title: series.title, tree: ctx.tree, version: series.version, ...(ctx.bucket ? { bucket: ctx.bucket } : {}) };
  const reportIds = drafts.map((d) => emlMessageId(d.eml)).filter((x): x is string => !!x);
  const patchIds = [series.cover, ...series.patches].flatMap((m) => (m ? [m.messageId] : []));
  await threads.rememberMail(reportIds, patchIds, thread);

  let patchworkSeriesId: number | undefined;
  const pw = ctx.config.patchwork;
  if (pw && apply.status !== 'skipped') {
    if (!pw.token) notes.push(`patchwork: no token in ${pw.token_env}: no checks posted`);
    else {
      const posted = await postPatchworkChecks(pw, { series, apply, findings: b.kept, seriesKey: b.key });
      patchworkSeriesId = posted.seriesId;
      notes.push(...posted.notes);
    }
  }
  const gh = ctx.config.github;
  if (gh && apply.status !== 'skipped') {
    if (!gh.token) notes.push(`github: no token in ${gh.token_env}: nothing posted`);
    else {
      const posted = await postToGithub(gh, {
        seriesKey: b.key, series, apply, findings: b.kept, suppressed: b.suppressed, tree: ctx.tree,
        ...(b.pin ? { pin: b.pin } : {}), changes: b.changes, commandsHint: githubCommandsHint(ctx.config),
        ...(patchworkSeriesId !== undefined ? { patchworkSeriesId } : {}),
      });
      notes.push(...posted.notes);
      if (posted.target) await threads.rememberGithub(repoForTree(gh, ctx.tree), posted.target.number, thread);
    }
  }
  const out: AfterReply = { notes };
  if (ctx.rerun?.channel === 'mail') out.requesterReply = await rerunReply(ctx, series, apply, b);
  return out;
}

/** What a rerun ran and what changed, to the maintainer who asked, under their command mail. */
async function rerunReply(ctx: ChannelContext, series: Series, apply: ApplyResult, b: BeforeReply): Promise<ReplyDraft> {
  const r = ctx.rerun!;
  const lines: string[] = [];
  if (!b.pin) lines.push(...wrapText(`kbot ran the series again, but it was not reviewed: it ${apply.status === 'failed' ? 'does not apply' : `was ${apply.status}`}${apply.base ? ` on ${apply.base.commit.slice(0, 12)}` : ''}.${apply.detail ? ` ${apply.detail.split('\n')[0]}` : ''}`));
  else {
    lines.push(...wrapText(`kbot reviewed "${series.title}" v${series.version} again: the series applied on ${b.pin.base.slice(0, 12)} as ${b.pin.commit.slice(0, 12)}, ${b.kept.length === 0 ? 'with nothing to report' : `with ${b.kept.length} finding(s) reported`}${b.suppressed.length ? ` and ${b.suppressed.length} left out by triage` : ''}.`), '');
    if (!b.changes) lines.push('This is the first run kbot has a record of for this series.');
    else if (!b.changes.added.length && !b.changes.fixed.length) lines.push(...wrapText(`Since the last run (${b.changes.previous.commit.slice(0, 12)}, kbot ${b.changes.previous.kbotVersion}) nothing changed in the findings.`));
    else {
      lines.push(...wrapText(`Since the last run (${b.changes.previous.commit.slice(0, 12)}, kbot ${b.changes.previous.kbotVersion}):`));
      for (const f of b.changes.added) lines.push(...wrapText(`- new: ${f.id} ${f.title}`));
      for (const f of b.changes.fixed) lines.push(...wrapText(`- fixed: ${f.id} ${f.title}`));
    }
    lines.push('', 'What kbot ran:', `  kbot ${b.pin.kbotVersion}, config ${b.pin.configHash}`, `  tree ${b.pin.tree} at ${b.pin.commit}`, ...wrapText(`scenarios: ${b.pin.scenarios.join(', ') || 'none'}`, 76).map((l) => `  ${l}`));
  }
  const body = `${lines.join('\n')}\n\n-- \nkbot ${kbotVersion()}\n`;
  const subject = r.subject ? (/^re:/i.test(r.subject) ? r.subject : `Re: ${r.subject}`) : `Re: ${series.title}`;
  const from = formatMailbox({ name: ctx.config.identity.name, address: ctx.config.identity.email });
  const references = [...(r.references ?? []), r.via].map(bracketId);
  const messageId = `kbot-rerun-${createHash('sha256').update(`${ctx.runId}\n${r.via}`).digest('hex').slice(0, 24)}@${ctx.config.identity.email.split('@')[1]}`;
  const eml = await buildEml({ messageId, date: ctx.now ?? new Date(), from, to: [r.by], cc: [], subject, inReplyTo: r.via, references, body });
  return { inReplyTo: bracketId(r.via), references, subject, from, to: [r.by], cc: [], body, eml };
}
