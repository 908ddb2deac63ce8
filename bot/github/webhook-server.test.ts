import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { parseConfig } from '../../config/read-config.ts';
import { startGithubStandIn, type GithubStandIn } from '../../test/support/github-stand-in.ts';
import { testRedis, type TestRedis } from '../../test/support/test-redis.ts';
import { AnswerOnce } from '../commands/answer-once.ts';
import { RunHistory } from '../commands/run-record.ts';
import { ThreadIndex } from '../commands/thread-index.ts';
import { TriageStore } from '../commands/triage-store.ts';
import type { RerunRequest } from '../commands/execute-commands.ts';
import { startWebhookServer } from './webhook-server.ts';

const SECRET = 'test-webhook-secret';
let gh: GithubStandIn;
let r: TestRedis;
let server: { url: string; close(): Promise<void> };
const reruns: RerunRequest[] = [];
const logged: string[] = [];

before(async () => {
  gh = await startGithubStandIn('kernel-patches', 'linux');
  gh.permissions = { akpm: { permission: 'write', role_name: 'maintain' }, alice: { permission: 'read', role_name: 'read' }, dee: { permission: 'read', role_name: 'read' } };
  r = await testRedis();
  const threads = new ThreadIndex(r.redis, r.prefix);
  await threads.rememberGithub('kernel-patches/linux', 8, { seriesKey: 'k8', seriesId: '<s8@example.org>', title: 'demo_devmem: simplify page refcounting', tree: '/src/linux' });
  const config = parseConfig({ github: { repo: 'kernel-patches/linux', api_url: gh.url, commanders: ['dee'] } });
  server = await startWebhookServer({
    github: { ...config.github!, token: 'gh-token', webhook_secret: SECRET },
    threads,
    once: new AnswerOnce(r.redis, r.prefix),
    triage: new TriageStore(r.redis, r.prefix),
    history: new RunHistory(r.redis, r.prefix),
    rerun: async (q) => {
      reruns.push(q);
      return `job ${reruns.length}`;
    },
    log: (l) => logged.push(l),
  });
});
after(async () => {
  await server.close();
  await gh.close();
  await r.cleanup();
});

let commentId = 5000;
/** An issue_comment delivery as GitHub sends it (the fields kbot reads, in their documented places). */
function delivery(login: string, body: string, number = 8, id = ++commentId) {
  return JSON.stringify({
    action: 'created',
    issue: { number, title: 'demo_devmem: simplify page refcounting', pull_request: { url: `${gh.url}/repos/kernel-patches/linux/pulls/${number}` }, user: { login: 'kernel-patches-daemon-bpf[bot]' } },
    comment: { id, body, html_url: `https://github.com/kernel-patches/linux/pull/${number}#issuecomment-${id}`, user: { login, type: 'User' }, author_association: 'MEMBER' },
    repository: { full_name: 'kernel-patches/linux', name: 'linux', owner: { login: 'kernel-patches' } },
    sender: { login, type: 'User' },
  });
}

function post(body: string, signature: string | null, event = 'issue_comment') {
  return fetch(`${server.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': `d-${commentId}`, ...(signature !== null ? { 'x-hub-signature-256': signature } : {}) },
    body,
  });
}

const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const replies = () => gh.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/comments')).map((q) => q.body.body as string);

test('a signed /kbot rerun from a maintainer is accepted: the rerun is handed on and answered on the pull request', async () => {
  const body = delivery('akpm', 'Please look again on today\'s tree.\n/kbot rerun');
  const res = await post(body, sign(body));
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { result: 'accepted' });
  assert.deepEqual(reruns.map((q) => [q.seriesKey, q.tree, q.by]), [['k8', '/src/linux', '@akpm']]);
  assert.match(replies().at(-1)!, /^@akpm: Rerun queued \(job 1\): kbot applies the series on the tracked tree's current head/);
});

test('a forged delivery (signed with another secret) and an unsigned one get 401, and nothing is done', async () => {
  const before = gh.requests.length;
  const body = delivery('akpm', '/kbot rerun');
  const forged = await post(body, sign(body, 'not-the-secret'));
  assert.equal(forged.status, 401);
  const tampered = await post(body.replace('rerun', 'ignore double-free'), sign(body));
  assert.equal(tampered.status, 401);
  const unsigned = await post(body, null);
  assert.equal(unsigned.status, 401);
  assert.equal(gh.requests.length, before, 'GitHub is not even asked');
  assert.equal(reruns.length, 1);
  assert.ok(logged.includes('webhook: refused a delivery without X-Hub-Signature-256'));
});

test('a rerun from a read-only user is refused with a reply saying why; from a login listed in config it is accepted', async () => {
  const body = delivery('alice', '/kbot rerun');
  const res = await post(body, sign(body));
  assert.deepEqual(await res.json(), { result: 'refused' });
  assert.equal(reruns.length, 1);
  assert.equal(replies().at(-1), '@alice: kbot takes /kbot commands only from users with write, maintain or admin permission on kernel-patches/linux, or listed in its config; yours is read.');
  assert.ok(gh.requests.some((q) => q.path === '/repos/kernel-patches/linux/collaborators/alice/permission'));
  const listed = delivery('dee', '/kbot ignore page-life-change');
  assert.deepEqual(await (await post(listed, sign(listed))).json(), { result: 'accepted' });
  assert.deepEqual((await new TriageStore(r.redis, r.prefix).list('k8')).map((e) => [e.kind, e.what, e.by]), [['ignore', 'page-life-change', '@dee']]);
});

test('a redelivered comment is not carried out twice; a comment without /kbot, or on a thread kbot never reported on, is not a command', async () => {
  const body = delivery('akpm', '/kbot rerun');
  await post(body, sign(body));
  const again = await post(body, sign(body));
  assert.deepEqual(await again.json(), { result: 'already handled' });
  assert.equal(reruns.length, 2);
  const chat = delivery('akpm', 'LGTM, but see kbot\'s note');
  assert.deepEqual(await (await post(chat, sign(chat))).json(), { result: 'ignored: no /kbot line' });
  const elsewhere = delivery('akpm', '/kbot rerun', 99);
  assert.deepEqual(await (await post(elsewhere, sign(elsewhere))).json(), { result: 'refused' });
  assert.equal(replies().at(-1), '@akpm: kbot did not act: kbot has not reported on this thread.');
  const push = JSON.stringify({ ref: 'refs/heads/main' });
  assert.equal((await post(push, sign(push), 'push')).status, 202);
});

test('an unknown command is answered with the valid ones', async () => {
  const body = delivery('akpm', '/kbot please-fix');
  await post(body, sign(body));
  const reply = replies().at(-1)!;
  assert.match(reply, /^@akpm: kbot did not understand "\/kbot please-fix": 'please-fix' is not a/);
  assert.match(reply, /```\n {2}\/kbot rerun {18}review it again on the tracked tree's head\n/);
});
