// --fetch brings the tracked tree's remote branches up to date before the review: a series based on a commit
// that is only upstream so far is applied on that commit, not on HEAD. The "upstream" is a local repository.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleMessages, toMbox } from './support/example-mail.ts';
import { reviewJson, seriesBySubject } from './support/run-kbot.ts';
import { git, makeWorkspace, type Workspace } from './support/workspace.ts';

let ws: Workspace;
let tracked: string;
let upstreamCommit: string;
let mbox: string;

before(async () => {
  ws = await makeWorkspace('v4.12-style');
  // The tracked tree is a clone; upstream then moves on by one commit the clone has not fetched.
  tracked = join(ws.root, 'tracked');
  await git(ws.root, ['clone', '-q', ws.tree, tracked]);
  await writeFile(join(ws.tree, 'Documentation', 'vm', 'upstream-note.txt'), 'A note that exists upstream only.\n');
  await git(ws.tree, ['add', '-A']);
  await git(ws.tree, ['commit', '-q', '-m', 'docs: a note upstream']);
  upstreamCommit = await git(ws.tree, ['rev-parse', 'HEAD']);
  const series = exampleMessages('no-refcount').map((m) => ({
    ...m,
    text: m.text.replace(/^base-commit: [0-9a-f]+$/m, `base-commit: ${upstreamCommit}`),
  }));
  mbox = join(ws.root, 'upstream-based.mbox');
  await writeFile(mbox, toMbox(series));
});

after(() => ws.cleanup());

test('without --fetch the upstream base-commit is not in the tracked tree: HEAD is used, and the JSON says why', async () => {
  const { run, json } = await reviewJson([mbox, '--tree', tracked, '--config', ws.config]);
  assert.equal(run.code, 0, run.stderr);
  const s = seriesBySubject(json, 'idle page tracking');
  assert.equal(s.base?.source, 'head');
  assert.match(s.base!.why, new RegExp(`base-commit ${upstreamCommit.slice(0, 12)}`));
});

test('with --fetch the tree has it: the series is applied on the base-commit it names', async () => {
  const { run, json } = await reviewJson([mbox, '--tree', tracked, '--config', ws.config, '--fetch']);
  assert.equal(run.code, 0, run.stderr);
  const s = seriesBySubject(json, 'idle page tracking');
  assert.equal(s.base?.source, 'base-commit');
  assert.equal(s.base?.commit, upstreamCommit);
  assert.equal(s.apply.status, 'applied');
  // The tracked tree's own branch did not move: only its remote-tracking refs did.
  assert.notEqual(await git(tracked, ['rev-parse', 'HEAD']), upstreamCommit);
  assert.equal(await git(tracked, ['rev-parse', 'origin/master']), upstreamCommit);
});
