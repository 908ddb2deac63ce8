// Maintainer commands through the running service (kbot serve's workers and HTTP endpoint, in this process):
// real Redis with a random prefix, the example tree, the example series as mail, a GitHub stand-in on
// loopback, DKIM keys generated here. What is asserted is what people see: the replies in the outbox, the
// comment on the pull request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { parseConfig } from '../config/read-config.ts';
import { startService, type Running } from '../queue/serve.ts';
import { enqueueIngest } from '../queue/jobs/ingest.ts';
import { sendQueueName } from '../queue/stages.ts';
import { startGithubStandIn, type GithubStandIn } from './support/github-stand-in.ts';
import { startPatchworkStandIn, type PatchworkStandIn } from './support/patchwork-stand-in.ts';
import { commandMail, dkimDomain, dnsResolver, signMail } from './support/dkim-mail.ts';
import { exampleMessages } from './support/example-mail.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const kernelOrg = dkimDomain('kernel.org');
let ws: Workspace;
let gh: GithubStandIn;
let pw: PatchworkStandIn;
let running: Running;
let outbox: string;
let prefix: string;
const events = new Map<string, QueueEvents>();
const done: Array<{ queue: string; id: string; value: any }> = [];
const failed: string[] = [];
const waiters = new Set<() => void>();

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  gh = await startGithubStandIn('kernel-patches', 'linux');
  gh.permissions = { akpm: { permission: 'write', role_name: 'maintain' } };
  gh.pulls.push({ number: 8, title: 'device private memory for ZONE_DEVICE', headRef: 'series/700=>mm', headSha: 'f'.repeat(40), state: 'open' });
  pw = await startPatchworkStandIn('pw-token');
  for (const i of [1, 2, 3]) pw.patches.push({ id: 200 + i, msgid: `<20170522165100.3037-${i}-ada.marchetti@example.org>`, series: 700, name: `[${i}/3]` });
  outbox = await mkdtemp(join(tmpdir(), 'kbot-outbox-'));
  prefix = `kbot-test-${randomBytes(6).toString('hex')}`;
  const config = parseConfig({
    work_dir: ws.workDir,
    identity: { name: 'kbot', email: 'kbot@bots.example.org' },
    lists: [{ address: 'linux-mm@kvack.org', reply_to: 'list' }],
    redis: { url: 'redis://127.0.0.1:6379', prefix },
    trees: [{ name: 'linux', path: ws.tree, fetch_interval_seconds: 0 }],
    service: { http_port: 0, outbox_dir: outbox, log_level: (process.env.KBOT_TEST_LOG as 'info') ?? 'error', attempts: 1 },
    commands: { maintainers: ['akpm@kernel.org'] },
    github: { repo: 'kernel-patches/linux', api_url: gh.url },
    patchwork: { url: pw.url },
  });
  config.patchwork = { ...config.patchwork!, token: 'pw-token' };
  config.github = { ...config.github!, token: 'gh-token', webhook_secret: 'hook-secret' };
  // Replies to the list go through its own send queue, answers to a maintainer through the default one.
  for (const name of ['report', 'command', 'send', sendQueueName('linux-mm@kvack.org')]) {
    const q = name.startsWith('send') ? 'send' : name;
    const e = new QueueEvents(name, { connection: { host: '127.0.0.1', port: 6379 }, prefix });
    e.on('completed', ({ jobId, returnvalue }) => {
      done.push({ queue: q, id: jobId, value: typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue });
      for (const w of [...waiters]) w();
    });
    e.on('failed', ({ jobId, failedReason }) => {
      failed.push(`${q} ${jobId}: ${failedReason}`);
      for (const w of [...waiters]) w();
    });
    await e.waitUntilReady();
    events.set(name, e);
  }
  running = await startService(config, { pollers: false, dkimResolver: dnsResolver([kernelOrg]) });
});

after(async () => {
  await running?.stop();
  for (const e of events.values()) await e.close();
  await gh?.close();
  await pw?.close();
  const { dropKeys } = await import('./support/service.ts');
  await dropKeys('redis://127.0.0.1:6379', prefix);
  await ws?.cleanup();
  await rm(outbox, { recursive: true, force: true });
});

/** Resolves when `n` jobs of the queue have completed since `from` (an index into done), with their values. */
function completed(queue: string, n: number, from: number): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const got = done.slice(from).filter((d) => d.queue === queue);
      if (failed.length || got.length >= n) waiters.delete(check);
      if (failed.length) return reject(new Error(failed.join('\n')));
      if (got.length >= n) resolve(got.slice(0, n).map((d) => d.value));
    };
    waiters.add(check);
    check();
  });
}

/** The outbox's mails that `pick` keeps, once there are `n` of them (each send that completes is a look). */
async function mailsWhen(pick: (eml: string) => boolean, n: number, from: number): Promise<string[]> {
  for (let sends = 1; ; sends++) {
    const mails = (await outboxMails()).filter(pick);
    if (mails.length >= n) return mails;
    await completed('send', sends, from);
  }
}

async function outboxMails(): Promise<string[]> {
  const names = (await readdir(outbox)).filter((n) => n.endsWith('.eml')).sort();
  return Promise.all(names.map((n) => readFile(join(outbox, n), 'utf8')));
}

function version2(text: string): string {
  return text.replace(/3037-/g, '4048-').replace(/^Subject: \[PATCH (\d)/m, 'Subject: [PATCH v2 $1');
}

test('a maintainer marks a finding invalid by signed mail; v2 of the series is reported without it; a rerun from GitHub edits the comment with what changed', { timeout: 600_000 }, async () => {
  const svc = running.svc;
  // v1: four messages, one review, a reply with findings and a comment on the series' pull request
  let mark = done.length;
  for (const [i, m] of exampleMessages('hmm-devpriv-free-at-1').entries()) await enqueueIngest(svc, { source: 'test', origin: `test:v1#${i}`, raw: Buffer.from(m.text) });
  const [v1] = await completed('report', 1, mark);
  assert.ok(v1.replies.length >= 1, JSON.stringify(v1));
  await completed('send', v1.replies.length, mark);
  const report = (await outboxMails()).find((e) => e.includes('the findings here are'))!;
  assert.ok(report, 'the reply offers the commands');
  const reportId = /^Message-ID: (<[^>]+>)/m.exec(report)![1]!;
  const ids = [...report.replace(/\r?\n(?=\S)/g, ' ').matchAll(/([0-9a-f]{10}) \(([a-z-]+)\)/g)].map((m) => ({ id: m[1]!, category: m[2]! }));
  const target = ids.find((x) => x.category === 'double-free') ?? ids[0]!;
  assert.equal(gh.comments.length, 1);
  assert.ok(gh.comments[0]!.body.includes(`\`${target.id}\``));
  // Patchwork: pending on each patch while under review, then the result; the pull request found by its branch
  assert.deepEqual(pw.checks.map((c) => [c.patch, c.state, c.context]).slice(0, 3), [[201, 'pending', 'kbot-refcount'], [202, 'pending', 'kbot-refcount'], [203, 'pending', 'kbot-refcount']]);
  assert.ok(pw.checks.slice(3).some((c) => c.state === 'fail'), JSON.stringify(pw.checks));
  assert.equal(gh.checkRuns[0]?.head_sha, 'f'.repeat(40));

  // the maintainer's signed reply to the report
  mark = done.length;
  const cmd = await signMail(commandMail({ from: 'Andrew Morton <akpm@kernel.org>', inReplyTo: reportId, body: `Not a bug here.\n\n#kbot invalid ${target.id}`, messageId: '<akpm-1@kernel.org>' }), kernelOrg);
  await enqueueIngest(svc, { source: 'test', origin: 'test:cmd', raw: cmd });
  assert.deepEqual(await completed('command', 1, mark), [{ result: 'accept' }]);
  await completed('send', 1, mark);
  const answer = (await outboxMails()).find((e) => e.includes('In-Reply-To: <akpm-1@kernel.org>'))!;
  assert.match(answer, new RegExp(`Marked invalid: ${target.id}`));

  // v2 of the series (other Message-IDs, same author and title): the finding is left out, and said so
  mark = done.length;
  for (const [i, m] of exampleMessages('hmm-devpriv-free-at-1').entries()) await enqueueIngest(svc, { source: 'test', origin: `test:v2#${i}`, raw: Buffer.from(version2(m.text)) });
  const [v2] = await completed('report', 1, mark);
  assert.ok(v2.notes.some((n: string) => n.startsWith(`not reported: ${target.id} `)), v2.notes.join('\n'));
  await completed('send', v2.replies.length, mark);
  const v2Replies = (await outboxMails()).filter((e) => /^In-Reply-To: <20170522165100\.4048-/m.test(e));
  assert.ok(v2Replies.length >= 1);
  for (const e of v2Replies) assert.ok(!e.includes(target.id), `the triaged finding is not in the v2 reply:\n${e.slice(Math.max(0, e.indexOf(target.id) - 600), e.indexOf(target.id) + 200)}`);
  assert.equal(gh.comments.length, 1, 'v2 edits the series\' one comment');
  assert.match(gh.comments[0]!.body, new RegExp(`Not reported \\(triaged by a maintainer\\):\\n\\n- \`${target.id}\``));

  // /kbot rerun on the pull request: a signed webhook delivery, queued as a command job, the review runs again
  mark = done.length;
  const delivery = JSON.stringify({
    action: 'created',
    issue: { number: 8, pull_request: {} },
    comment: { id: 77, body: '/kbot rerun', html_url: 'https://github.com/kernel-patches/linux/pull/8#issuecomment-77', user: { login: 'akpm', type: 'User' } },
    repository: { full_name: 'kernel-patches/linux' },
    sender: { login: 'akpm', type: 'User' },
  });
  const sig = `sha256=${createHmac('sha256', 'hook-secret').update(delivery).digest('hex')}`;
  const url = `http://127.0.0.1:${running.http!.port}/github/webhook`;
  const forged = await fetch(url, { method: 'POST', headers: { 'x-github-event': 'issue_comment', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, body: delivery });
  assert.equal(forged.status, 401);
  const res = await fetch(url, { method: 'POST', headers: { 'x-github-event': 'issue_comment', 'x-github-delivery': 'd-1', 'x-hub-signature-256': sig }, body: delivery });
  assert.deepEqual([res.status, await res.json()], [202, { result: 'queued' }]);
  assert.deepEqual(await completed('command', 1, mark), [{ result: 'accepted' }]);
  await completed('report', 1, mark);
  assert.equal(gh.comments.filter((c) => c.login === gh.self).length, 2, 'the comment and the answer to the command');
  assert.match(gh.comments.find((c) => c.login === gh.self && c.body.startsWith('@akpm'))!.body, /^@akpm: Rerun queued/);
  assert.match(gh.comments[0]!.body, /Since the last run \([0-9a-f]{12}, kbot [\d.]+\):\n\n- no change in the findings/);
  assert.match(gh.comments[0]!.body, /<summary>What kbot ran<\/summary>/);

  // '#kbot rerun' by mail: the maintainer is told what ran and what changed, under their mail
  mark = done.length;
  const rerun = await signMail(commandMail({ from: 'akpm@kernel.org', inReplyTo: reportId, body: '#kbot rerun', messageId: '<akpm-2@kernel.org>' }), kernelOrg);
  await enqueueIngest(svc, { source: 'test', origin: 'test:rerun', raw: rerun });
  await completed('report', 1, mark);
  const mails = await mailsWhen((e) => e.includes('In-Reply-To: <akpm-2@kernel.org>'), 2, mark);
  assert.equal(mails.length, 2, 'the command is answered, and the rerun reports to the one who asked');
  const ran = mails.find((e) => e.includes('What kbot ran:'))!.replace(/\r\n/g, '\n');
  const prose = ran.replace(/\n(?=\S)/g, ' ');
  assert.match(prose, /kbot reviewed "device private memory for ZONE_DEVICE" v1 again: the series applied on [0-9a-f]{12} as [0-9a-f]{12}, with \d finding\(s\) reported and 1 left out by triage\./);
  assert.match(prose, /Since the last run \([0-9a-f]{12}, kbot [\d.]+\) nothing changed in the findings\./);
  assert.match(ran, /^ {2}kbot [\d.]+, config sha256:[0-9a-f]{16}\n {2}tree linux at [0-9a-f]{40}\n {2}scenarios: /m);
});
