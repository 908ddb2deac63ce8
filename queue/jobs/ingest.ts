// ingest: one message as it came from a source → parsed (bot/mail) → handed to the series stage. The job id
// is derived from the Message-ID, so a message delivered twice (an archive polled again, a Maildir duplicate)
// is queued once; malformed mail fails at once (UnrecoverableError) with the reason kept.
import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { isRejected, parseMessage } from '../../bot/mail/parse-message.ts';
import { normalizeMessageId } from '../../bot/mail/message-id.ts';
import type { Message } from '../../bot/types.ts';
import { parsePayload } from '../payloads.ts';
import { jobId, type Service } from '../service.ts';
import { enqueueSeries, threadBucket } from './series.ts';
import { enqueueCommand, hasCommandLine } from './command.ts';

export const ingestPayload = z.strictObject({
  /** The configured source's name (sources[].name). */
  source: z.string().min(1),
  /** Where in the source: "public-inbox:<epoch>@<sha>", "maildir:<file>". */
  origin: z.string().min(1),
  /** The message bytes, base64. */
  raw: z.string(),
  receivedAt: z.string().optional(),
  /** When the poller queued it (ms since the epoch): the start of the ingest-to-reply latency. */
  queuedAt: z.number(),
});
export type IngestPayload = z.output<typeof ingestPayload>;

export interface IngestResult {
  messageId: string;
  /** Set when the message is not part of a series (a reply, no diff). */
  ignored?: string;
  bucket?: string;
}

/** The Message-ID from the header block, as the job id is made from it before the message is parsed. */
export function peekMessageId(raw: Buffer): string | null {
  const text = raw.subarray(0, 64 * 1024).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id:[ \t]*(.*)$/im.exec(head);
  return m ? normalizeMessageId(m[1]) : null;
}

/**
 * Queues one message; returns whether it was new. A message without a Message-ID is keyed by its bytes (so
 * the same bytes twice are still one job) and rejected by the parser with that reason.
 */
export async function enqueueIngest(svc: Service, p: Omit<IngestPayload, 'raw' | 'queuedAt'> & { raw: Buffer }): Promise<{ id: string; added: boolean }> {
  const mid = peekMessageId(p.raw);
  const id = mid ? jobId('ingest', p.source, mid) : jobId('ingest', p.source, 'sha256', createHash('sha256').update(p.raw).digest('hex'));
  const q = svc.queue('ingest');
  const data: IngestPayload = { source: p.source, origin: p.origin, raw: p.raw.toString('base64'), queuedAt: Date.now(), ...(p.receivedAt ? { receivedAt: p.receivedAt } : {}) };
  // Adding under a taken id is a no-op in BullMQ. Whether it was taken is read after the add (a marker kept as
  // long as finished jobs are), so a crash between the two never loses a message: it only miscounts it.
  await q.add('ingest', data, svc.jobOptions({ jobId: id }));
  const fresh = await svc.conn.redis.set(svc.key('ingested', id), '1', 'EX', Math.ceil(svc.config.service.keep_days * 86400), 'NX');
  return { id, added: fresh === 'OK' };
}

export async function processIngest(job: Job, svc: Service): Promise<IngestResult> {
  const p = parsePayload(ingestPayload, job.data, 'ingest');
  const raw = Buffer.from(p.raw, 'base64');
  // A "#kbot" line makes the mail a maintainer command (queue/jobs/command.ts), whoever it is from: the
  // command job decides whether kbot is asked and by whom.
  if (hasCommandLine(raw)) {
    const mid = peekMessageId(raw) ?? createHash('sha256').update(raw).digest('hex');
    await enqueueCommand(svc, { kind: 'mail', source: p.source, origin: p.origin, raw: p.raw }, `mail:${mid}`);
    return { messageId: mid, ignored: 'a maintainer command: handed to the command stage' };
  }
  const parsed = await parseMessage({ raw, source: p.origin, ...(p.receivedAt ? { receivedAt: p.receivedAt } : {}) });
  if (isRejected(parsed)) {
    // Replies and discussion are a list's everyday traffic, not a failure.
    if (/^not a patch/.test(parsed.reason) && parsed.messageId) return { messageId: parsed.messageId, ignored: parsed.reason };
    throw new UnrecoverableError(`${parsed.messageId ?? p.origin}: ${parsed.reason}`);
  }
  const m: Message = parsed;
  const source = svc.config.sources.find((s) => s.name === p.source);
  const tree = svc.tree(source?.tree).name;
  const bucket = threadBucket(m);
  await enqueueSeries(svc, { kind: 'message', tree, bucket, message: m, queuedAt: p.queuedAt });
  return { messageId: m.messageId, bucket };
}
