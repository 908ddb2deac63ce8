// command: maintainer commands, as jobs like any other mail or webhook. A mail with a "#kbot" line (handed on
// by the ingest job) or a verified GitHub issue_comment delivery (handed on by the webhook endpoint) is read,
// authorized and carried out here (bot/commands): triage goes to Redis, a rerun queues the apply stage of the
// series again, and the answer goes out through the outbox like any reply (a GitHub answer is a comment).
import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { AnswerOnce } from '../../bot/commands/answer-once.ts';
import { CommandRefused, type RerunRequest } from '../../bot/commands/execute-commands.ts';
import { handleMailCommand } from '../../bot/commands/handle-mail-command.ts';
import { maintainersOf, parseMaintainers } from '../../bot/commands/maintainers-file.ts';
import { RunHistory } from '../../bot/commands/run-record.ts';
import { ThreadIndex, type MailThreadHit } from '../../bot/commands/thread-index.ts';
import { TriageStore } from '../../bot/commands/triage-store.ts';
import { handleIssueComment, type IssueCommentPayload } from '../../bot/github/webhook-server.ts';
import { runGit } from '../../bot/tree/run-git.ts';
import type { ReplyDraft } from '../../bot/types.ts';
import { emlMessageId } from '../../bot/send/eml-message-id.ts';
import { parsePayload } from '../payloads.ts';
import { jobId, type Service } from '../service.ts';
import { sendQueueName } from '../stages.ts';
import { enqueueApply } from './apply.ts';
import { loadThread } from './series.ts';

export const commandPayload = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('mail'), source: z.string(), origin: z.string(), raw: z.string() }),
  z.strictObject({ kind: z.literal('github'), delivery: z.string(), event: z.looseObject({ action: z.string(), comment: z.looseObject({ id: z.number() }) }) }),
]);
export type CommandPayload = z.output<typeof commandPayload>;

/** Where the command state lives: beside the queue's own keys, in the same slot for a Cluster. */
export function commandPrefix(svc: Service): string {
  return `${svc.key('commands')}:`;
}

/** A line that starts with #kbot makes a mail that carries no patch a command job (the ingest job asks this). */
export function hasCommandLine(raw: Buffer): boolean {
  const text = raw.toString('utf8');
  return /^#kbot(\s|$)/m.test(text) && !/^diff --git /m.test(text);
}

export async function enqueueCommand(svc: Service, p: CommandPayload, id: string): Promise<void> {
  await svc.queue('command').add('command', p, svc.jobOptions({ jobId: jobId('command', id) }));
}

export async function processCommand(job: Job, svc: Service): Promise<{ result: string }> {
  const p = parsePayload(commandPayload, job.data, 'command');
  const redis = svc.conn.redis;
  const prefix = commandPrefix(svc);
  const common = {
    threads: new ThreadIndex(redis, prefix),
    triage: new TriageStore(redis, prefix),
    history: new RunHistory(redis, prefix),
    once: new AnswerOnce(redis, prefix),
  };
  if (p.kind === 'github') {
    if (!svc.config.github) throw new UnrecoverableError('a GitHub command, but the config has no github: section');
    const result = await handleIssueComment(p.event as unknown as IssueCommentPayload, {
      ...common,
      github: svc.config.github,
      log: (line) => svc.log.info({ delivery: p.delivery }, line),
      rerun: (r) => enqueueRerun(svc, r, { channel: 'github' }),
    });
    return { result };
  }
  const raw = Buffer.from(p.raw, 'base64');
  const res = await handleMailCommand(raw, {
    ...common,
    config: svc.config,
    ...(svc.dkimResolver ? { resolver: svc.dkimResolver } : {}),
    log: (line) => svc.log.info({ origin: p.origin }, line),
    maintainersOf: (t) => maintainersOfThread(svc, t),
    rerun: (r) => enqueueRerun(svc, r, { channel: 'mail', subject: mailSubject(raw), references: [] }),
  });
  if (res.reply) await queueReply(svc, `command:${res.decision.kind !== 'ignore' ? res.decision.mail.messageId : p.origin}`, res.reply.eml, res.reply.to);
  return { result: res.decision.kind === 'ignore' ? `ignored: ${res.decision.why}` : res.duplicate ? 'already handled' : res.decision.kind };
}

function mailSubject(raw: Buffer): string {
  const head = raw.subarray(0, 64 * 1024).toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
  return /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1]?.replace(/\r?\n[ \t]+/g, ' ').trim() ?? '';
}

/**
 * A rerun: the series' thread as stored, applied again on the tracked tree's current head (or the branch
 * named), under a job id of its own so the review runs again. The series' own tree only: its messages are
 * kept per tree.
 */
export async function enqueueRerun(svc: Service, r: RerunRequest, origin: { channel: 'mail' | 'github'; subject?: string; references?: string[] }): Promise<string> {
  if (!r.tree || !r.bucket || r.version === undefined) throw new CommandRefused('kbot has no stored thread for this series (it was reviewed by kbot review, not by the service), so it cannot review it again');
  const tree = svc.config.trees.find((t) => t.name === r.tree);
  if (!tree) throw new CommandRefused(`the series was reviewed on tree ${r.tree}, which is no longer configured`);
  if (r.on && r.on.tree !== tree.name) throw new CommandRefused(`this series is tracked on ${tree.name}; name a branch of it: #kbot rerun ${tree.name}/<branch>`);
  if (r.on) {
    const ok = await runGit(['rev-parse', '-q', '--verify', `${r.on.branch}^{commit}`], { cwd: tree.path }).then((x) => x.stdout.trim(), () => '');
    if (!ok) throw new CommandRefused(`${tree.name} has no branch ${r.on.branch}`);
  }
  const rerun = { channel: origin.channel, by: r.by.replace(/^@/, ''), via: r.via, at: r.at, ...(r.on ? { branch: r.on.branch } : {}), ...(origin.subject ? { subject: origin.subject } : {}) };
  await enqueueApply(svc, { tree: tree.name, bucket: r.bucket, series: [{ id: r.seriesId, version: r.version }], reason: 'complete', missing: {}, rerun });
  svc.log.info({ series: r.seriesId, by: r.by, via: r.via, on: r.on }, 'rerun queued');
  return `rerun of ${r.seriesId} v${r.version} on ${tree.name}/${r.on?.branch ?? 'HEAD'}`;
}

/** The MAINTAINERS M: entries, at the tree's HEAD, for the files the thread's patches touch. */
async function maintainersOfThread(svc: Service, t: MailThreadHit): Promise<string[]> {
  if (!t.tree || !t.bucket) return [];
  const tree = svc.config.trees.find((x) => x.name === t.tree);
  if (!tree) return [];
  const text = await runGit(['show', 'HEAD:MAINTAINERS'], { cwd: tree.path }).then((x) => x.stdout, () => '');
  const files = (await loadThread(svc, t.tree, t.bucket)).flatMap((m) => (m.diff ?? []).flatMap((f) => [f.from, f.to])).filter((x): x is string => !!x);
  return maintainersOf(parseMaintainers(text), [...new Set(files)]);
}

/** A reply to a person (not to a list): an outbox record and a job on the default send queue, as report.ts does. */
export async function queueReply(svc: Service, about: string, eml: string, to: string): Promise<void> {
  const redis = svc.conn.redis;
  const key = svc.key('outbox', createHash('sha256').update(about).digest('hex').slice(0, 32));
  const mid = emlMessageId(eml) ?? about;
  const draft: Pick<ReplyDraft, 'from' | 'to' | 'cc' | 'inReplyTo' | 'subject'> = { from: '', to: [to], cc: [], inReplyTo: '', subject: '' };
  await redis.hsetnx(key, 'series', about);
  await redis.hsetnx(key, `eml:${mid}`, eml);
  await redis.hsetnx(key, `draft:${mid}`, JSON.stringify(draft));
  await redis.hsetnx(key, `state:${mid}`, 'Pending');
  await redis.sadd(svc.key('outbox'), key);
  await svc.queue(sendQueueName(null)).add('send', { record: key, messageId: mid, list: null }, svc.jobOptions({ jobId: jobId('send', key, mid) }));
}
