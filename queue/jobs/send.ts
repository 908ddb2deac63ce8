// send: one reply of an outbox record, delivered through SMTP (config smtp) or written as an .eml into the
// outbox directory. One queue per list, with the list's rate limit as the worker's limiter.
//
// Crash safety. The record moves Pending → Sending (before the delivery starts) → Sent (after SMTP accepted it,
// or the file is in place). A worker killed in between leaves Sending; BullMQ gives the job to another worker
// once the dead one's lock expires (service.lock_seconds). That worker cannot know whether the SMTP server had
// accepted the mail before the kill, so it does not send again: the reply becomes Unconfirmed, is logged, and
// `kbot status` lists it with its Message-ID. The guarantee is at most one mail per reply (never two); the
// window in which a crash can lose one is the SMTP transaction itself. An .eml written to the outbox is
// written again (same name, write-then-rename): there a crash loses nothing and doubles nothing. A delivery
// that fails with an error (connection refused, a 4xx) goes back to Pending and is retried with backoff.
import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { join } from 'node:path';
import { z } from 'zod';
import { sendReplies } from '../../bot/send/send-mail.ts';
import { writeOutbox } from '../../bot/send/write-outbox.ts';
import type { ReplyDraft } from '../../bot/types.ts';
import { parsePayload } from '../payloads.ts';
import type { Service } from '../service.ts';

export const sendPayload = z.strictObject({
  /** The outbox record's key. */
  record: z.string(),
  messageId: z.string(),
  list: z.string().nullable(),
});
export type SendPayload = z.output<typeof sendPayload>;

export type OutboxState = 'Pending' | 'Sending' | 'Sent' | 'Unconfirmed';

export function outboxDir(svc: Service): string {
  return svc.config.service.outbox_dir ?? join(svc.config.work_dir, 'outbox');
}

export async function processSend(job: Job, svc: Service): Promise<{ state: OutboxState; via: string }> {
  const p = parsePayload(sendPayload, job.data, 'send');
  const redis = svc.conn.redis;
  const [state, eml, draftJson] = await redis.hmget(p.record, `state:${p.messageId}`, `eml:${p.messageId}`, `draft:${p.messageId}`);
  if (!state || !eml || !draftJson) throw new UnrecoverableError(`no outbox record for ${p.messageId} in ${p.record}`);
  const smtp = svc.config.smtp;
  const via = smtp ? `smtp://${smtp.host}:${smtp.port}` : outboxDir(svc);
  if (state === 'Sent' || state === 'Unconfirmed') return { state, via };
  if (state === 'Sending' && smtp) {
    await redis.hset(p.record, `state:${p.messageId}`, 'Unconfirmed', `unconfirmedAt:${p.messageId}`, new Date().toISOString());
    svc.log.warn({ messageId: p.messageId, record: p.record }, 'a worker died while sending this reply; not sent again (Unconfirmed)');
    return { state: 'Unconfirmed', via };
  }
  await redis.hset(p.record, `state:${p.messageId}`, 'Sending', `sendingBy:${p.messageId}`, `${process.pid}`);
  const draft = { ...(JSON.parse(draftJson) as Omit<ReplyDraft, 'eml' | 'body' | 'references'>), body: '', references: [], eml } as ReplyDraft;
  if (smtp) {
    const out = await sendReplies([draft], smtp);
    if (out.failed.length) {
      await redis.hset(p.record, `state:${p.messageId}`, 'Pending', `error:${p.messageId}`, out.failed[0]!.error);
      throw new Error(`SMTP ${via}: ${out.failed[0]!.error}`);
    }
  } else {
    await writeOutbox(via, [draft]);
  }
  await redis.hset(p.record, `state:${p.messageId}`, 'Sent', `sentAt:${p.messageId}`, String(Date.now()));
  svc.log.info({ messageId: p.messageId, via, list: p.list }, 'reply sent');
  return { state: 'Sent', via };
}
