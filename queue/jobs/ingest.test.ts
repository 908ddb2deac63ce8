// The ingest and series jobs on a real Redis (random prefix), run by a real BullMQ worker in this process:
// malformed mail fails at once with its reason, a message queued twice is one job, a reply is not a failure,
// and a thread waits for its cover letter.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueEvents } from 'bullmq';
import { parseConfig } from '../../config/read-config.ts';
import { createService, type Service } from '../service.ts';
import { startWorkers, type Workers } from '../workers.ts';
import { dropKeys, randomPrefix } from '../../test/support/service.ts';
import { exampleMessages } from '../../test/support/example-mail.ts';
import { enqueueIngest, peekMessageId } from './ingest.ts';
import { describeMissing, threadBucket } from './series.ts';
import { reviewablePart, incompleteSentence } from './apply.ts';
import { assembleSeries } from '../../bot/series/assemble-series.ts';
import { parseMessages } from '../../bot/mail/parse-message.ts';

const REDIS = 'redis://127.0.0.1:6379';
let prefix: string;
let svc: Service;
let workers: Workers | null = null;
let events: QueueEvents[] = [];

beforeEach(() => {
  prefix = randomPrefix();
  svc = createService(parseConfig({ redis: { prefix }, trees: [{ name: 'linux', path: '/nonexistent' }], service: { backoff_seconds: 0.1, log_level: 'fatal' } }));
});

afterEach(async () => {
  await workers?.close();
  workers = null;
  for (const e of events.splice(0)) await e.close();
  await svc.close();
  await dropKeys(REDIS, prefix);
});

function listen(queue: string): QueueEvents {
  const e = new QueueEvents(queue, { connection: { url: REDIS }, prefix });
  events.push(e);
  return e;
}

test('malformed mail fails at once, as UnrecoverableError, with the reason kept', async () => {
  const failed = listen('ingest');
  await failed.waitUntilReady();
  const done = new Promise<{ jobId: string; failedReason: string }>((ok) => failed.on('failed', ok));
  workers = await startWorkers(svc, ['ingest']);
  const raw = Buffer.from('Message-ID: <broken@example.org>\nSubject: [PATCH] x\nContent-Type: multipart/mixed\n\nno boundary\n');
  await enqueueIngest(svc, { source: 'test', origin: 'test:1', raw });
  const f = await done;
  const job = await svc.queue('ingest').getJob(f.jobId);
  assert.equal(job!.attemptsMade, 1, 'not retried');
  assert.match(f.failedReason, /^<broken@example\.org>: /);
});

test('the same Message-ID queued twice is one job; the second is counted a duplicate', async () => {
  const [cover] = exampleMessages('hmm-devpriv-free-at-1');
  const a = await enqueueIngest(svc, { source: 'test', origin: 'a', raw: Buffer.from(cover!.text) });
  const b = await enqueueIngest(svc, { source: 'test', origin: 'b', raw: Buffer.from(cover!.text) });
  assert.equal(a.id, b.id);
  assert.deepEqual([a.added, b.added], [true, false]);
  assert.equal(await svc.queue('ingest').count(), 1);
});

test('a reply on the list is done, not failed, and says why it was set aside', async () => {
  const q = listen('ingest');
  await q.waitUntilReady();
  const done = new Promise<{ returnvalue: unknown }>((ok) => q.on('completed', ok));
  workers = await startWorkers(svc, ['ingest']);
  await enqueueIngest(svc, { source: 'test', origin: 'r', raw: Buffer.from('Message-ID: <r@x>\nFrom: A <a@x>\nSubject: Re: [PATCH 1/2] mm: x\nIn-Reply-To: <p@x>\n\nLooks fine.\n') });
  const r = (await done).returnvalue as { ignored?: string };
  assert.match(r.ignored ?? '', /^not a patch: reply/);
});

test('threads, and what an incomplete series says', async () => {
  const msgs = exampleMessages('hmm-devpriv-free-at-1');
  const parsed = await parseMessages(msgs.map((m, i) => ({ raw: Buffer.from(m.text), source: `t#${i}` })));
  const cover = parsed.messages[0]!;
  // Every part hangs from the cover letter.
  assert.deepEqual(new Set(parsed.messages.map(threadBucket)), new Set([cover.messageId]));
  assert.equal(peekMessageId(Buffer.from(msgs[2]!.text)), parsed.messages[2]!.messageId);
  const [s] = assembleSeries(parsed.messages.slice(0, 3)).series;
  assert.deepEqual(s!.missing, [3]);
  assert.equal(describeMissing(s!, false), 'patch 3/3');
  assert.equal(describeMissing(s!, true), 'patch 3/3 and the message the series replies to');
  const part = reviewablePart(s!)!;
  assert.equal(part.patches.length, 2);
  assert.equal(incompleteSentence(s!, 'patch 3/3', 3600, 2), 'kbot waited 60 minutes for the rest of this series, but patch 3/3 never arrived; it reviewed patches 1-2 of 3 only.');
  const [noFirst] = assembleSeries([parsed.messages[0]!, parsed.messages[2]!, parsed.messages[3]!]).series;
  assert.equal(reviewablePart(noFirst!), null);
});
