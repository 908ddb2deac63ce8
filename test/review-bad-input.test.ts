// One mbox with a good series among broken and hostile mail. The good series is still reviewed with its
// findings; each bad message is rejected, or its series refused, with a reason a user can act on; nothing is
// written outside kbot's work dir; the run exits 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { exampleMessages, messageId, mboxMessage, toMbox, type MboxMessage } from './support/example-mail.ts';
import { reviewJson, seriesBySubject, type JsonReport, type KbotRun } from './support/run-kbot.ts';
import { makeWorkspace, treeState, type Workspace } from './support/workspace.ts';

const good = exampleMessages('hmm-devpriv-free-at-1');
const [cover, patch1, patch2, patch3] = good;

function mail(headers: Record<string, string>, body: string): MboxMessage {
  const head = Object.entries({ Date: 'Tue, 23 May 2017 10:00:00 +0000', To: 'linux-mm@kvack.org', ...headers })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  return mboxMessage(`${head}\n\n${body}`);
}

function patchMail(id: string, from: string, subject: string, diff: string): MboxMessage {
  const body = `A change.\n\nSigned-off-by: ${from}\n---\n${diff}\n-- \n2.13.0\n`;
  return mail({ From: from, Subject: subject, 'Message-Id': `<${id}>`, 'Content-Type': 'text/plain; charset=UTF-8' }, body);
}

const bad = {
  brokenMime: mail(
    { From: 'Jane Doe <jane@example.org>', Subject: '[PATCH] mm/swap: add a debug print', 'Message-Id': '<broken-mime@example.org>', 'MIME-Version': '1.0', 'Content-Type': 'multipart/mixed' },
    '--==sep==\nContent-Type: text/plain\n\nAdd a print.\n---\ndiff --git a/mm/swap.c b/mm/swap.c\n--- a/mm/swap.c\n+++ b/mm/swap.c\n@@ -1,1 +1,2 @@\n a\n+b\n--==sep==--\n',
  ),
  // Latin-1 bytes in a charset nobody knows: decoding them would put U+FFFD into the tree.
  charset: mail(
    { From: 'Jane Doe <jane@example.org>', Subject: '[PATCH] mm/swap: print a greeting', 'Message-Id': '<bad-charset@example.org>', 'MIME-Version': '1.0', 'Content-Type': 'text/plain; charset=x-klingon', 'Content-Transfer-Encoding': '8bit' },
    'Print it.\n\nSigned-off-by: Jane Doe <jane@example.org>\n---\ndiff --git a/mm/swap.c b/mm/swap.c\n--- a/mm/swap.c\n+++ b/mm/swap.c\n@@ -1,1 +1,2 @@\n /*\n+ * r\xe9f\xe9rence gel\xe9e\n',
  ),
  reply: mail(
    { From: 'Hugh Reviewer <hugh@example.org>', Subject: 'Re: [PATCH 2/3] mm/ZONE_DEVICE: special case put_page() for device private pages', 'Message-Id': '<reply-1@example.org>', 'In-Reply-To': messageId(patch2), References: `${messageId(cover)} ${messageId(patch2)}` },
    'What stops a pfn walker from taking a reference on a free page?\n',
  ),
  huge: mail(
    { From: 'Big Sender <big@example.org>', Subject: '[PATCH] mm: one very long line', 'Message-Id': '<huge-line@example.org>' },
    `${'x'.repeat(3 * 1024 * 1024)}\n`,
  ),
  // Same Message-ID as patch 3/3, other content: it must not replace the real patch 3/3, and must be reported.
  duplicate: patchMail(
    messageId(patch3).slice(1, -1),
    'Ada Marchetti <ada.marchetti@example.org>',
    '[PATCH 3/3] lib: hmm_dmirror: something else entirely',
    'diff --git a/mm/swap.c b/mm/swap.c\n--- a/mm/swap.c\n+++ b/mm/swap.c\n@@ -1,1 +1,2 @@\n /*\n+ * impostor\n',
  ),
  dotdot: patchMail(
    'dotdot@evil.example',
    'Mallory <mallory@evil.example>',
    '[PATCH] mm: tidy the canary',
    'diff --git a/../canary b/../canary\nindex 1111111..2222222 100644\n--- a/../canary\n+++ b/../canary\n@@ -1 +1 @@\n-canary\n+overwritten\n',
  ),
  symlink: patchMail(
    'symlink@evil.example',
    'Trudy <trudy@evil.example>',
    '[PATCH] mm: add a convenience link',
    'diff --git a/mm/canary-link b/mm/canary-link\nnew file mode 120000\nindex 0000000..3333333\n--- /dev/null\n+++ b/mm/canary-link\n@@ -0,0 +1 @@\n+../../canary\n\\ No newline at end of file\n',
  ),
  gitConfig: patchMail(
    'gitconfig@evil.example',
    'Eve <eve@evil.example>',
    '[PATCH] build: speed up status',
    'diff --git a/.git/config b/.git/config\nindex 4444444..5555555 100644\n--- a/.git/config\n+++ b/.git/config\n@@ -1,3 +1,4 @@\n [core]\n+\tfsmonitor = "touch ../pwned"\n \trepositoryformatversion = 0\n \tfilemode = true\n',
  ),
};

let ws: Workspace;
let run: KbotRun;
let json: JsonReport;
let rootBefore: string[];
let gitConfigBefore: string;
let stateBefore: Record<string, string>;

/** Every path under `dir`, except the object store and kbot's own work dir. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries
    .map((e) => relative(dir, join(dir, e)))
    .filter((p) => !p.startsWith(join('linux', '.git')) && !p.startsWith('work'))
    .sort();
}

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  await writeFile(join(ws.root, 'canary'), 'canary\n');
  const mbox = join(ws.root, 'mixed.mbox');
  const order = [cover, bad.brokenMime, patch1, bad.charset, patch2, bad.reply, bad.huge, patch3, bad.duplicate, bad.dotdot, bad.symlink, bad.gitConfig];
  // latin1 keeps the undecodable bytes as bytes; everything else is ASCII.
  await writeFile(mbox, Buffer.from(toMbox(order), 'latin1'));
  rootBefore = await listing(ws.root);
  gitConfigBefore = await readFile(join(ws.tree, '.git', 'config'), 'utf8');
  stateBefore = await treeState(ws.tree);
  ({ run, json } = await reviewJson([mbox, '--tree', ws.tree, '--config', ws.config]));
});

after(() => ws?.cleanup());

function rejectedFor(id: string) {
  return json.rejected.find((r) => r.messageId === id);
}

test('exit code 0, and the good series is reviewed with its findings', () => {
  assert.equal(run.code, 0);
  const s = seriesBySubject(json, 'device private memory for ZONE_DEVICE');
  assert.equal(s.apply.status, 'applied');
  assert.deepEqual(s.messages, good.map(messageId));
  const categories = s.findings.map((f) => f.category);
  assert.ok(categories.includes('speculative-get-on-free-page') && categories.includes('double-free'), categories.join(', '));
  assert.equal(s.replies[0]?.inReplyTo, messageId(patch2));
});

test('a broken MIME message is rejected, saying what is broken', () => {
  const r = rejectedFor('<broken-mime@example.org>');
  assert.ok(r, JSON.stringify(json.rejected, null, 1));
  assert.match(r.reason, /boundary|multipart|MIME/i);
});

test('a patch in an undecodable charset is rejected, naming the charset', () => {
  const r = rejectedFor('<bad-charset@example.org>');
  assert.ok(r, JSON.stringify(json.rejected, null, 1));
  assert.match(r.reason, /x-klingon/);
  assert.match(r.reason, /undecodable|decode/);
});

test('a reply in the thread is not a patch', () => {
  const r = rejectedFor('<reply-1@example.org>');
  assert.ok(r, JSON.stringify(json.rejected, null, 1));
  assert.match(r.reason, /not a patch/);
});

test('a 3 MB single-line message is rejected for its line length', () => {
  const r = rejectedFor('<huge-line@example.org>');
  assert.ok(r, JSON.stringify(json.rejected, null, 1));
  assert.match(r.reason, /line of \d+ bytes exceeds the limit/);
});

test('a second message with an existing Message-ID is reported, and the first one is kept', () => {
  const s = seriesBySubject(json, 'device private memory for ZONE_DEVICE');
  assert.ok(!json.series.some((x) => x.subject.includes('something else entirely')), 'the impostor is no series of its own');
  const reported =
    json.rejected.some((r) => r.messageId === messageId(patch3) && /duplicate/i.test(r.reason)) ||
    json.series.some((x) => x.notes.some((n) => n.includes(messageId(patch3)) && /duplicate/i.test(n)));
  assert.ok(reported, `the duplicate ${messageId(patch3)} is reported; rejected: ${JSON.stringify(json.rejected, null, 1)}; notes: ${JSON.stringify(s.notes)}`);
});

test('hostile patches are refused before git sees them, each naming the path and why', () => {
  const cases: Array<[string, string, RegExp, RegExp]> = [
    ['tidy the canary', '<dotdot@evil.example>', /\.\.\/canary|canary/, /climbs out of the tree/],
    ['add a convenience link', '<symlink@evil.example>', /mm\/canary-link/, /symlink/],
    ['speed up status', '<gitconfig@evil.example>', /\.git\/config/, /\.git directory/],
  ];
  for (const [title, id, file, why] of cases) {
    const s = seriesBySubject(json, title);
    assert.equal(s.apply.status, 'refused', `${title}: ${JSON.stringify(s.apply)}`);
    assert.equal(s.apply.patch, id);
    assert.match(s.apply.file ?? '', file);
    assert.match(s.apply.detail ?? '', why);
    assert.deepEqual(s.findings, []);
  }
});

test('every bad message is accounted for: rejected or in a refused series', () => {
  const refused = json.series.filter((s) => s.apply.status === 'refused').flatMap((s) => s.messages);
  for (const m of [bad.brokenMime, bad.charset, bad.reply, bad.huge, bad.dotdot, bad.symlink, bad.gitConfig]) {
    const id = messageId(m);
    assert.ok(rejectedFor(id) || refused.includes(id), `${id} is neither rejected nor refused`);
  }
  assert.equal(json.series.length, 4, json.series.map((s) => s.subject).join(' | '));
});

test('nothing was written outside the work dir; the canary and .git/config are intact', async () => {
  assert.equal(await readFile(join(ws.root, 'canary'), 'utf8'), 'canary\n');
  assert.equal(await readFile(join(ws.tree, '.git', 'config'), 'utf8'), gitConfigBefore);
  assert.deepEqual(await listing(ws.root), rootBefore);
  assert.deepEqual(await treeState(ws.tree), stateBefore);
});
