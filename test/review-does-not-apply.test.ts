// A series that does not apply: kbot says which patch and file failed, reviews nothing, and leaves the
// tracked tree exactly as the user had it, dirty working tree and all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleMboxPath, exampleMessages, messageId } from './support/example-mail.ts';
import { reviewJson, type JsonSeries } from './support/run-kbot.ts';
import { git, makeWorkspace, treeState, type Workspace } from './support/workspace.ts';

const [patch] = exampleMessages('does-not-apply');

let ws: Workspace;
let before_: Record<string, string>;
let diffs: { unstaged: string; staged: string; untracked: string };
let s: JsonSeries;

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  // A user mid-work: on a branch of their own, one change staged, one not, one new file.
  await git(ws.tree, ['checkout', '-q', '-b', 'my-work']);
  await appendFile(join(ws.tree, 'mm/swap.c'), '/* staged */\n');
  await git(ws.tree, ['add', 'mm/swap.c']);
  await appendFile(join(ws.tree, 'mm/page_idle.c'), '/* not staged */\n');
  await writeFile(join(ws.tree, 'notes.txt'), 'untracked\n');
  before_ = await treeState(ws.tree);
  diffs = { unstaged: await git(ws.tree, ['diff']), staged: await git(ws.tree, ['diff', '--cached']), untracked: 'untracked\n' };
  const { json } = await reviewJson([exampleMboxPath('does-not-apply'), '--tree', ws.tree, '--config', ws.config]);
  assert.equal(json.series.length, 1);
  s = json.series[0];
});

after(() => ws?.cleanup());

test('apply status failed, naming the patch, the file and the hunk', () => {
  assert.equal(s.apply.status, 'failed');
  assert.equal(s.apply.patch, messageId(patch));
  assert.equal(s.apply.file, 'mm/page_idle.c');
  assert.match(s.apply.hunk ?? '', /^@@ -\d+,\d+ \+\d+,\d+ @@ .*page_idle_get_page/);
  assert.match(s.apply.detail ?? '', /patch does not apply|patch failed/);
  assert.equal(s.base?.source, 'head');
});

test('nothing is reviewed, and the author is told why', () => {
  assert.deepEqual(s.findings, []);
  assert.equal(s.replies.length, 1, 'a reply about the failure');
  const [reply] = s.replies;
  assert.equal(reply.inReplyTo, messageId(patch));
  assert.match(reply.body, /could not apply/);
  assert.match(reply.body, /mm\/page_idle\.c/);
  assert.match(reply.body, /base-commit/, 'the reply tells the author how to name a base');
});

test('HEAD, branches, index and status of the tracked tree are unchanged', async () => {
  assert.deepEqual(await treeState(ws.tree), before_);
  assert.equal(await git(ws.tree, ['diff']), diffs.unstaged);
  assert.equal(await git(ws.tree, ['diff', '--cached']), diffs.staged);
  assert.equal(await readFile(join(ws.tree, 'notes.txt'), 'utf8'), diffs.untracked);
  assert.equal(await git(ws.tree, ['symbolic-ref', 'HEAD']), 'refs/heads/my-work');
});

test('no worktree, no git am state and no scratch directory are left behind', async () => {
  const worktrees = (await git(ws.tree, ['worktree', 'list', '--porcelain'])).split('\n').filter((l) => l.startsWith('worktree '));
  assert.deepEqual(worktrees, [`worktree ${ws.tree}`]);
  const admin = await readdir(join(ws.tree, '.git', 'worktrees')).catch(() => []);
  assert.deepEqual(admin, []);
  assert.equal(await stat(join(ws.tree, '.git', 'rebase-apply')).catch(() => null), null);
  // Scratch directories are removed; the caches kbot keeps per commit and per content (facts, searches, parses
  // of the base, read while the series was being applied) are not scratch.
  const caches = new Set(['facts', 'grep', 'parse-cache']);
  assert.deepEqual((await readdir(ws.workDir).catch(() => [])).filter((n) => !caches.has(n)), []);
});
