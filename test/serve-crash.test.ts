// A worker killed with SIGKILL: in the middle of the analysis, the job goes back to the queue once its lock
// expires and a restarted worker finishes the review, with one reply; in the middle of sending (the SMTP
// server has the message, kbot has not heard back), the restarted worker does not send it again.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { exampleMessages, messageId } from './support/example-mail.ts';
import { runKbot } from './support/run-kbot.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { ALL_QUEUES, deliver, dropKeys, KbotProcess, randomPrefix, serviceConfig, settled, startSmtp } from './support/service.ts';

const REDIS = 'redis://127.0.0.1:6379';
const series = exampleMessages('hmm-devpriv-free-at-1');
let prefix: string;
let ws: Workspace;
const procs: KbotProcess[] = [];
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  prefix = randomPrefix();
  ws = await makeWorkspace('v4.12-style');
});

afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill('SIGKILL');
  for (const c of closers.splice(0)) await c();
  await dropKeys(REDIS, prefix);
  await ws.cleanup();
});

function serve(config: string): KbotProcess {
  const p = new KbotProcess(['serve', '--config', config]);
  procs.push(p);
  return p;
}

test('killed during the analysis, then restarted: the series is reviewed and one reply is sent', async () => {
  const smtp = await startSmtp();
  closers.push(smtp.close);
  const maildir = join(ws.root, 'Maildir');
  const config = await serviceConfig(ws.root, { tree: ws.tree, prefix, smtpPort: smtp.port, sources: [{ name: 'mine', type: 'maildir', url: maildir, interval_seconds: 0.5 }] });
  for (const m of series) await deliver(maildir, m.text);
  const first = serve(config);
  await first.waitFor((l) => l.msg === 'analyzer started');
  assert.equal(await first.kill('SIGKILL'), null);
  assert.equal(smtp.received.length, 0);
  const second = serve(config);
  await smtp.waitFor(1);
  await settled(REDIS, prefix, ALL_QUEUES);
  assert.equal(smtp.received.length, 1);
  assert.match(smtp.received[0]!.raw, new RegExp(`^In-Reply-To: ${messageId(series[2]!)}\\r$`, 'm'));
  // The analysis the first process was running was run again by the second, to its end.
  assert.ok(second.lines.some((l) => l.msg === 'analyzer started'));
});

test('killed while the SMTP server holds the mail: the restarted worker does not send it again', async () => {
  let release!: () => void;
  const held = new Promise<void>((ok) => (release = ok));
  let arrived!: () => void;
  const gotIt = new Promise<void>((ok) => (arrived = ok));
  // The first mail's DATA is not answered until the test says so.
  const smtp = await startSmtp({ hold: async () => { arrived(); await held; } });
  closers.push(async () => { release(); await smtp.close(); });
  const maildir = join(ws.root, 'Maildir');
  const config = await serviceConfig(ws.root, { tree: ws.tree, prefix, smtpPort: smtp.port, sources: [{ name: 'mine', type: 'maildir', url: maildir, interval_seconds: 0.5 }] });
  for (const m of series) await deliver(maildir, m.text);
  const first = serve(config);
  await gotIt;
  await first.kill('SIGKILL');
  release();
  const second = serve(config);
  await second.waitFor((l) => /not sent again \(Unconfirmed\)/.test(l.msg));
  await settled(REDIS, prefix, ALL_QUEUES);
  assert.equal(smtp.received.length, 1);
  const status = await runKbot(['status', '--config', config]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^replies: 1 Unconfirmed \(1 review\(s\) with replies\)$/m);
  assert.match(status.stdout, /not confirmed sent: <kbot-[0-9a-f]{24}@localhost> \(a worker stopped while sending it; kbot does not send it again\)/);
});
