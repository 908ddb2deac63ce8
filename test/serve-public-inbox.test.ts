// `kbot serve` on a public-inbox archive: a 3-patch series with its cover letter arrives out of order, and
// the author gets exactly one reply, threaded under the patch it is about; the same messages delivered again
// (re-added to the archive, and through a Maildir) change nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { exampleMessages, messageId, subject } from './support/example-mail.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { ALL_QUEUES, deliver, dropKeys, KbotProcess, PublicInbox, randomPrefix, serviceConfig, settled, startSmtp } from './support/service.ts';

const REDIS = 'redis://127.0.0.1:6379';
const series = exampleMessages('hmm-devpriv-free-at-1');
const prefix = randomPrefix();
let ws: Workspace;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let kbot: KbotProcess;
let inbox: PublicInbox;
let maildir: string;

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  smtp = await startSmtp();
  inbox = await PublicInbox.create(join(ws.root, 'inbox'));
  maildir = join(ws.root, 'Maildir');
  // Out of order: patch 3, patch 1, the cover letter, patch 2.
  for (const i of [3, 1, 0, 2]) await inbox.add(series[i]!.text);
  const config = await serviceConfig(ws.root, {
    tree: ws.tree, prefix, smtpPort: smtp.port,
    sources: [
      { name: 'lkml', type: 'public-inbox', url: inbox.dir, interval_seconds: 0.5, start: 'beginning' },
      { name: 'mine', type: 'maildir', url: maildir, interval_seconds: 0.5 },
    ],
  });
  kbot = new KbotProcess(['serve', '--config', config]);
});

after(async () => {
  await kbot?.kill('SIGTERM');
  await smtp?.close();
  await dropKeys(REDIS, prefix);
  await ws?.cleanup();
});

test('four messages out of order in the archive: one reply, threaded under the patch with the finding', async () => {
  await smtp.waitFor(1);
  await settled(REDIS, prefix, ALL_QUEUES);
  assert.equal(smtp.received.length, 1);
  const mail = await simpleParser(smtp.received[0]!.raw);
  assert.equal(mail.subject, `Re: ${subject(series[2]!)}`);
  assert.equal(mail.inReplyTo, messageId(series[2]!));
  const refs = Array.isArray(mail.references) ? mail.references : [mail.references];
  assert.deepEqual(refs, [messageId(series[0]!), messageId(series[2]!)]);
  assert.deepEqual(smtp.received[0]!.to, ['ada.marchetti@example.org']);
  assert.match(mail.text ?? '', /memory_failure\(\) can take a reference on a free page/);
});

test('the same messages again, in the archive and in a Maildir: still one reply', async () => {
  const from = kbot.lines.length;
  for (const i of [0, 1, 2, 3]) await inbox.add(series[i]!.text);
  for (const i of [2, 2, 0]) await deliver(maildir, series[i]!.text);
  // The archive's four commits may land in one poll or across two (the poller runs every second): count the
  // duplicates of every poll since, not of one.
  const duplicates = (source: string) => kbot.lines.slice(from)
    .filter((l) => l.msg === 'poll' && l.source === source).reduce((n, l) => n + ((l.duplicates as number | undefined) ?? 0), 0);
  await kbot.waitFor(() => duplicates('lkml') >= 4, from);
  await kbot.waitFor(() => duplicates('mine') >= 1, from);
  assert.equal(duplicates('lkml'), 4);
  await settled(REDIS, prefix, ALL_QUEUES);
  assert.equal(smtp.received.length, 1);
});

test('kbot status names the last message seen per source and the reply sent', async () => {
  const { runKbot } = await import('./support/run-kbot.ts');
  const cfg = kbot.proc.spawnargs.at(-1)!;
  const r = await runKbot(['status', '--config', cfg]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {2}lkml: public-inbox:.*0\.git@[0-9a-f]{40} at /m);
  assert.match(r.stdout, /^ {2}mine: maildir:.*\/cur\/.*:2, at /m);
  assert.match(r.stdout, /^replies: 1 Sent \(1 review\(s\) with replies\)$/m);
});

test('the reply is the one kbot review writes for the same series: same Message-ID, same body', async () => {
  const { readdir, readFile, writeFile } = await import('node:fs/promises');
  const { runKbot } = await import('./support/run-kbot.ts');
  const { toMbox } = await import('./support/example-mail.ts');
  const mbox = join(ws.root, 'series.mbox');
  await writeFile(mbox, toMbox(series));
  const outbox = join(ws.root, 'review-outbox');
  const r = await runKbot(['review', mbox, '--tree', ws.tree, '--config', ws.config, '--outbox', outbox]);
  assert.equal(r.code, 0, r.stderr);
  const [file] = await readdir(outbox);
  const fromReview = await simpleParser(await readFile(join(outbox, file!)));
  const fromService = await simpleParser(smtp.received[0]!.raw);
  assert.equal(fromService.messageId, fromReview.messageId);
  assert.equal(fromService.text, fromReview.text);
});
