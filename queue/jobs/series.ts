// series: adds a message to its thread's state in Redis and assembles the thread's series (bot/series, as
// `kbot review` does). A series is ready when every part is there, and the thread's first message (the cover
// letter the parts reply to) too; then its review is queued (apply). A thread that is not ready when its
// first message has waited service.series_wait_seconds is reviewed as it is, saying what was missing.
import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import { z } from 'zod';
import { assembleSeries } from '../../bot/series/assemble-series.ts';
import type { Message, Series } from '../../bot/types.ts';
import { messageSchema, parsePayload } from '../payloads.ts';
import { jobId, type Service } from '../service.ts';
import { enqueueApply } from './apply.ts';

export const seriesPayload = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('message'), tree: z.string(), bucket: z.string(), message: messageSchema, queuedAt: z.number() }),
  /** The wait for missing parts is over. */
  z.strictObject({ kind: z.literal('deadline'), tree: z.string(), bucket: z.string() }),
]);
export type SeriesPayload = z.output<typeof seriesPayload>;

export interface SeriesResult {
  bucket: string;
  /** What was queued for review, or why nothing was. */
  queued: Array<{ id: string; version: number }>;
  waiting?: string;
}

/**
 * The thread a message belongs to: the first of its References (the cover letter or patch 1 the parts reply
 * to), else its own id. Parts sent without threading are grouped by sender, version and count.
 */
export function threadBucket(m: Message): string {
  const root = m.references[0] ?? m.inReplyTo;
  if (root) return root;
  const ps = m.parsedSubject;
  if (ps.index >= 1 && ps.total > 1) return `unthreaded:${m.from.address.toLowerCase()}:v${ps.version}:${ps.total}`;
  return m.messageId;
}

function bucketHash(tree: string, bucket: string): string {
  return createHash('sha256').update(`${tree}\n${bucket}`).digest('hex').slice(0, 32);
}

export function seriesKeys(svc: Service, tree: string, bucket: string) {
  const h = bucketHash(tree, bucket);
  return { hash: h, messages: svc.key('series', h, 'messages'), state: svc.key('series', h, 'state'), reviewed: svc.key('series', h, 'reviewed') };
}

export async function enqueueSeries(svc: Service, p: SeriesPayload): Promise<void> {
  const keys = seriesKeys(svc, p.tree, p.bucket);
  if (p.kind === 'message') {
    await svc.queue('series').add('series', p, svc.jobOptions({ jobId: jobId('series', p.tree, p.bucket, p.message.messageId) }));
  } else {
    await svc.queue('series').add('series', p, svc.jobOptions({ jobId: `deadline-${keys.hash}`, delay: svc.config.service.series_wait_seconds * 1000 }));
  }
}

/** The thread's messages as stored, in arrival order. */
export async function loadThread(svc: Service, tree: string, bucket: string): Promise<Message[]> {
  const keys = seriesKeys(svc, tree, bucket);
  const all = await svc.conn.redis.hgetall(keys.messages);
  return Object.values(all).map((j) => JSON.parse(j) as Message & { arrival?: number }).sort((a, b) => (a.arrival ?? 0) - (b.arrival ?? 0));
}

/** Series of the thread that are not superseded by a newer version. */
export function current(series: Series[]): Series[] {
  return series.filter((s) => !s.supersededBy);
}

/** "patch 2/3 and the cover letter" */
export function describeMissing(s: Series, rootMissing: boolean): string {
  const parts = s.missing.map((i) => `patch ${i}/${s.total}`);
  if (rootMissing) parts.push(s.cover ? 'the message the series replies to' : 'the cover letter');
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

export async function processSeries(job: Job, svc: Service): Promise<SeriesResult> {
  const p = parsePayload(seriesPayload, job.data, 'series');
  const keys = seriesKeys(svc, p.tree, p.bucket);
  const redis = svc.conn.redis;
  if (p.kind === 'message') {
    const stored = { ...p.message, arrival: Date.now() };
    const added = await redis.hsetnx(keys.messages, p.message.messageId, JSON.stringify(stored));
    await redis.hsetnx(keys.state, 'tree', p.tree);
    await redis.hsetnx(keys.state, 'bucket', p.bucket);
    await redis.hsetnx(keys.state, 'firstQueuedAt', String(p.queuedAt));
    if (added) await redis.hset(keys.state, 'lastQueuedAt', String(p.queuedAt));
    // The wait for missing parts starts with the thread's first message (an existing deadline job is kept).
    await enqueueSeries(svc, { kind: 'deadline', tree: p.tree, bucket: p.bucket });
  }
  const messages = await loadThread(svc, p.tree, p.bucket);
  const { series } = assembleSeries(messages);
  const reviewed = new Set(await redis.smembers(keys.reviewed));
  // A part that arrives after its series was reviewed without it (the wait was over) does not start a second
  // review of the same version: the author would get a second reply. Said in the log and the job's result.
  const afterWait = (await redis.hget(keys.state, 'review')) === 'wait';
  const reviewedVersions = new Set([...reviewed].map((r) => Number(r.slice(r.lastIndexOf('|') + 1))));
  const late = afterWait ? current(series).filter((s) => !reviewed.has(`${s.id}|${s.version}`) && reviewedVersions.has(s.version)) : [];
  const lateHere = p.kind === 'message' && afterWait && current(series).some((s) => reviewedVersions.has(s.version) && [s.cover, ...s.patches].some((m) => m?.messageId === p.message.messageId));
  if (lateHere && p.kind === 'message') svc.log.info({ bucket: p.bucket, messageId: p.message.messageId }, 'a part arrived after its series was reviewed without it: not reviewed again');
  const todo = current(series).filter((s) => !reviewed.has(`${s.id}|${s.version}`) && !late.includes(s));
  if (todo.length === 0) return { bucket: p.bucket, queued: [], ...(lateHere ? { waiting: 'arrived after the series was reviewed without it' } : series.length ? {} : { waiting: 'no series yet' }) };
  const rootMissing = p.bucket.startsWith('<') && !messages.some((m) => m.messageId === p.bucket);
  const incomplete = todo.filter((s) => s.missing.length > 0 || rootMissing);
  if (p.kind === 'message' && incomplete.length > 0) {
    const waiting = incomplete.map((s) => `${s.title}: waiting for ${describeMissing(s, rootMissing)}`).join('; ');
    return { bucket: p.bucket, queued: [], waiting };
  }
  const missing = Object.fromEntries(incomplete.map((s) => [`${s.id}|${s.version}`, describeMissing(s, rootMissing)]));
  const which = todo.map((s) => ({ id: s.id, version: s.version }));
  await enqueueApply(svc, { tree: p.tree, bucket: p.bucket, series: which, reason: p.kind === 'message' ? 'complete' : 'wait', missing });
  // Marked after the apply job is queued: a crash in between queues it again under the same job id.
  await redis.sadd(keys.reviewed, ...which.map((s) => `${s.id}|${s.version}`));
  await redis.hset(keys.state, 'review', p.kind === 'message' ? 'complete' : 'wait');
  svc.log.info({ bucket: p.bucket, series: which, reason: p.kind, missing }, 'series queued for review');
  return { bucket: p.bucket, queued: which };
}
