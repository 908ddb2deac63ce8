// A series whose last patch never arrives is reviewed once service.series_wait_seconds have passed, with the
// patches that came; the reply says which part was missing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { exampleMessages, messageId } from './support/example-mail.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { ALL_QUEUES, deliver, dropKeys, KbotProcess, randomPrefix, serviceConfig, settled, startSmtp } from './support/service.ts';

const REDIS = 'redis://127.0.0.1:6379';
const series = exampleMessages('hmm-devpriv-free-at-1');
const prefix = randomPrefix();
let ws: Workspace;
let kbot: KbotProcess;
let smtp: Awaited<ReturnType<typeof startSmtp>>;

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  smtp = await startSmtp();
});

after(async () => {
  await kbot?.kill('SIGTERM');
  await smtp?.close();
  await dropKeys(REDIS, prefix);
  await ws?.cleanup();
});

test('patch 3/3 never comes: after the wait the series is reviewed without it, and the reply says so', async () => {
  const maildir = join(ws.root, 'Maildir');
  const config = await serviceConfig(ws.root, { tree: ws.tree, prefix, smtpPort: smtp.port, sources: [{ name: 'mine', type: 'maildir', url: maildir, interval_seconds: 0.5 }], service: { series_wait_seconds: 2 } });
  for (const i of [0, 1, 2]) await deliver(maildir, series[i]!.text);
  kbot = new KbotProcess(['serve', '--config', config]);
  const waiting = await kbot.waitFor((l) => l.msg === 'series queued for review');
  assert.equal(waiting.reason, 'deadline');
  assert.deepEqual(Object.values(waiting.missing as Record<string, string>), ['patch 3/3']);
  await smtp.waitFor(1);
  const mail = await simpleParser(smtp.received[0]!.raw);
  assert.equal(mail.inReplyTo, messageId(series[2]!));
  const text = (mail.text ?? '').replace(/\s+/g, ' ');
  assert.match(text, /kbot waited 2 seconds for the rest of this series, but patch 3\/3 never arrived; it reviewed patches 1-2 of 3 only\./);
  assert.match(text, /memory_failure\(\) can take a reference on a free page/);
});

test('patch 3/3 arriving after that review starts no second one', async () => {
  const from = kbot.lines.length;
  await deliver(join(ws.root, 'Maildir'), series[3]!.text);
  await kbot.waitFor((l) => l.msg === 'a part arrived after its series was reviewed without it: not reviewed again', from);
  await settled(REDIS, prefix, ALL_QUEUES);
  assert.equal(smtp.received.length, 1);
});
