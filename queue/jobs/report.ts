// report: the replies to a reviewed series (bot/review's replyStage: the per-list reply policy, the stable
// Message-ID), each recorded in an outbox record before anything is sent, then handed to the send queue of the
// list it goes to (which rate-limits it). The record is one per (series, version, tree head, kbot version), a
// Redis hash with each reply's state: Pending → Sending → Sent (see send.ts for what a crash does).
import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import { z } from 'zod';
import { replyStage } from '../../bot/review.ts';
import { sameId } from '../../bot/report/message-id.ts';
import { parseMailboxes } from '../../bot/report/addresses.ts';
import { emlMessageId } from '../../bot/send/eml-message-id.ts';
import type { Message, ReplyDraft, Series } from '../../bot/types.ts';
import { kbotVersion } from '../../bot/version.ts';
import { applyResultSchema, findingSchema, parsePayload, rerunSchema, seriesSchema } from '../payloads.ts';
import { afterReply, beforeReply, type ChannelContext } from '../../bot/commands/report-channels.ts';
import { loadScenarios } from '../../bot/load-scenarios.ts';
import { commandPrefix, queueReply } from './command.ts';
import { jobId, type Service } from '../service.ts';
import { sendQueueName } from '../stages.ts';
import { seriesKeys } from './series.ts';

export const reportPayload = z.strictObject({
  tree: z.string(),
  bucket: z.string(),
  series: seriesSchema,
  apply: applyResultSchema,
  findings: z.array(findingSchema),
  notes: z.array(z.string()),
  incomplete: z.string().optional(),
  rerun: rerunSchema.optional(),
});
export type ReportPayload = z.output<typeof reportPayload>;

export async function enqueueReport(svc: Service, p: ReportPayload): Promise<void> {
  const id = jobId('report', p.tree, p.series.id, String(p.series.version), p.apply.head ?? p.apply.base?.commit ?? '', p.apply.status, ...(p.rerun ? [p.rerun.via] : []));
  await svc.queue('report').add('report', p, svc.jobOptions({ jobId: id }));
}

/** The outbox record of a review: one per (series, version, tree head, kbot version). */
export function outboxKey(svc: Service, series: Series, treeHead: string, version = kbotVersion()): string {
  const id = createHash('sha256').update(JSON.stringify([series.id, series.version, treeHead, version])).digest('hex').slice(0, 32);
  return svc.key('outbox', id);
}

/** The configured list a reply goes to (the first one the answered message was sent to), if any. */
export function replyList(svc: Service, series: Series, draft: ReplyDraft): string | null {
  const target = [series.cover, ...series.patches].find((m): m is Message => !!m && sameId(m.messageId, draft.inReplyTo));
  const rcpt = target ? parseMailboxes([...target.to, ...target.cc]).map((m) => m.address) : [];
  return svc.config.lists.find((l) => rcpt.includes(l.address))?.address ?? null;
}

export interface ReportResult {
  verdict: string;
  replies: string[];
  notes: string[];
}

export async function processReport(job: Job, svc: Service): Promise<ReportResult> {
  const p = parsePayload(reportPayload, job.data, 'report');
  const tree = svc.tree(p.tree);
  const redis = svc.conn.redis;
  // Maintainers' triage, the run's record and what changed (bot/commands/report-channels.ts).
  const ctx: ChannelContext = {
    config: svc.config, redis, prefix: commandPrefix(svc), tree: p.tree, bucket: p.bucket, runId: String(job.id),
    scenarios: (await loadScenarios()).map((s) => s.name),
    ...(p.rerun ? { rerun: { channel: p.rerun.channel, by: p.rerun.by, via: p.rerun.via, ...(p.rerun.subject ? { subject: p.rerun.subject } : {}) } } : {}),
  };
  const triaged = await beforeReply(ctx, p.series, p.apply, p.findings);
  const review = await replyStage(p.series, p.apply, triaged.kept, [...p.notes, ...triaged.notes], { tree: tree.path, config: svc.config, ...(p.incomplete ? { incomplete: p.incomplete } : {}) });
  const sk = seriesKeys(svc, p.tree, p.bucket);
  await redis.hset(sk.state, `verdict:${p.series.id}|${p.series.version}`, review.verdict);
  const drafts = review.replies ?? [];
  const ids = await queueReplies(svc, p, drafts, sk.state);
  // GitHub, Patchwork, the thread index, and the answer to a rerun's requester.
  const channels = await afterReply(ctx, p.series, p.apply, drafts, triaged);
  if (channels.requesterReply) await queueReply(svc, `rerun:${job.id}`, channels.requesterReply.eml, channels.requesterReply.to[0]!);
  return { verdict: review.verdict, replies: ids, notes: [...review.notes, ...channels.notes] };
}

async function queueReplies(svc: Service, p: ReportPayload, drafts: ReplyDraft[], state: string): Promise<string[]> {
  if (drafts.length === 0) return [];
  const redis = svc.conn.redis;
  const head = p.apply.head ?? p.apply.base?.commit ?? 'none';
  const key = outboxKey(svc, p.series, head);
  const queuedAt = (await redis.hget(state, 'lastQueuedAt')) ?? String(Date.now());
  await redis.hsetnx(key, 'series', p.series.id);
  await redis.hsetnx(key, 'version', String(p.series.version));
  await redis.hsetnx(key, 'treeHead', head);
  await redis.hsetnx(key, 'kbot', kbotVersion());
  await redis.hsetnx(key, 'queuedAt', queuedAt);
  await redis.sadd(svc.key('outbox'), key);
  const ids: string[] = [];
  for (const d of drafts) {
    const mid = emlMessageId(d.eml) ?? d.inReplyTo;
    ids.push(mid);
    // HSETNX: a report run again (a retry, a rerun of the same review) never moves a reply back to Pending.
    await redis.hsetnx(key, `eml:${mid}`, d.eml);
    await redis.hsetnx(key, `draft:${mid}`, JSON.stringify({ from: d.from, to: d.to, cc: d.cc, inReplyTo: d.inReplyTo, subject: d.subject }));
    await redis.hsetnx(key, `state:${mid}`, 'Pending');
    const list = replyList(svc, p.series, d);
    await svc.queue(sendQueueName(list)).add('send', { record: key, messageId: mid, list }, svc.jobOptions({ jobId: jobId('send', key, mid) }));
  }
  return ids;
}
