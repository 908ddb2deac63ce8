// A Redis of the test's own, stopped in the middle of a run and started again: the messages delivered
// while it was down wait in the Maildir, nothing queued before is lost (append-only file), and the series
// gets its one reply once Redis is back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { exampleMessages } from './support/example-mail.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { ALL_QUEUES, deliver, freePort, KbotProcess, PrivateRedis, randomPrefix, serviceConfig, settled, startSmtp } from './support/service.ts';

const series = exampleMessages('hmm-devpriv-free-at-1');
const prefix = randomPrefix();
let ws: Workspace;
let redis: PrivateRedis;
let kbot: KbotProcess;
let smtp: Awaited<ReturnType<typeof startSmtp>>;

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  smtp = await startSmtp();
  redis = new PrivateRedis(await freePort(), join(ws.root, 'redis'));
  await redis.start();
});

after(async () => {
  await kbot?.kill('SIGTERM');
  await redis?.stop();
  await smtp?.close();
  await ws?.cleanup();
});

test('Redis restarted mid-run: no message is lost, one reply', async () => {
  const maildir = join(ws.root, 'Maildir');
  const config = await serviceConfig(ws.root, { tree: ws.tree, prefix, redisUrl: redis.url, smtpPort: smtp.port, sources: [{ name: 'mine', type: 'maildir', url: maildir, interval_seconds: 0.5 }] });
  kbot = new KbotProcess(['serve', '--config', config]);
  await kbot.waitFor((l) => l.msg === 'workers started');
  for (const i of [0, 1]) await deliver(maildir, series[i]!.text);
  // Both, in one poll or two (the poller runs every half second).
  const queued = () => kbot.lines.filter((l) => l.msg === 'poll').reduce((n, l) => n + ((l.queued as number | undefined) ?? 0), 0);
  await kbot.waitFor(() => queued() >= 2);
  await redis.stop();
  // Delivered while Redis is down: the poller's queueing waits for Redis (ioredis keeps the commands), and
  // the files stay in new/ until their jobs are queued.
  for (const i of [2, 3]) await deliver(maildir, series[i]!.text);
  await redis.start();
  await smtp.waitFor(1);
  await settled(redis.url, prefix, ALL_QUEUES);
  assert.equal(smtp.received.length, 1);
  assert.match(smtp.received[0]!.raw, /^Subject: Re: \[PATCH 2\/3\]/m);
});
