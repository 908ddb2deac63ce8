import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { git, makeFixtureTree, writeFiles } from '../tree/fixture-repo.ts';
import { chooseBase } from './choose-base.ts';
import { seriesOf } from './fixture-series.ts';

/** Upstream with master and mm-unstable; the tracked tree is a clone with a local net-next and a tag. */
function setup() {
  const fx = makeFixtureTree();
  const upstream = fx.repo;
  git(upstream, 'checkout', '-q', '-b', 'mm-unstable');
  writeFiles(upstream, { 'mm/new.c': 'int x;\n' });
  git(upstream, 'add', '.');
  git(upstream, 'commit', '-q', '-m', 'mm-unstable work');
  const mmUnstable = git(upstream, 'rev-parse', 'HEAD').trim();
  git(upstream, 'checkout', '-q', 'master');
  const tracked = join(fx.root, 'tracked');
  git(fx.root, 'clone', '-q', upstream, tracked);
  git(tracked, 'commit', '-q', '--allow-empty', '-m', 'local head');
  const head = git(tracked, 'rev-parse', 'HEAD').trim();
  git(tracked, 'branch', 'net-next', fx.base);
  git(tracked, 'tag', 'v6.10', fx.base);
  return { fx, tracked, head, mmUnstable };
}

test('base selection: base-commit, then --base, then the subject tag, then HEAD, each saying why', async (t) => {
  const { fx, tracked, head, mmUnstable } = setup();
  t.after(fx.cleanup);
  const base = fx.base;
  const unknown = '1234abcd5678ef90';

  const cases: Array<[string, Parameters<typeof seriesOf>[1], Parameters<typeof chooseBase>[2], string, string, RegExp]> = [
    ['base-commit in the tree', { baseCommit: base }, { cliBase: 'HEAD' }, base, 'base-commit', /^base-commit [0-9a-f]{12} given by the series is in the tree$/],
    ['abbreviated base-commit', { baseCommit: base.slice(0, 12) }, {}, base, 'base-commit', /^base-commit /],
    ['unknown base-commit, nothing else', { baseCommit: unknown }, {}, head, 'head', new RegExp(`^base-commit 1234abcd5678 not in the tree; used HEAD \\(${head.slice(0, 12)}\\)$`)],
    ['unknown base-commit, --base', { baseCommit: unknown }, { cliBase: 'v6.10' }, base, 'cli', /^base-commit 1234abcd5678 not in the tree; used --base v6\.10 \([0-9a-f]{12}\)$/],
    ['bad --base, remote-tracking branch mapped for the tag', { treeTags: ['mm-unstable'] }, { cliBase: 'no-such-rev', branchMap: { 'mm-unstable': 'origin/mm-unstable' } }, mmUnstable, 'subject-branch', /^--base no-such-rev names no commit in the tree; used origin\/mm-unstable \([0-9a-f]{12}\) for the subject tag \[mm-unstable\]$/],
    ['a branch named as the tag, not in branch_map: the tag is not a revision', { treeTags: ['net-next'] }, {}, head, 'head', /^used HEAD/],
    ['branch map', { treeTags: ['mm-unstable'] }, { branchMap: { 'mm-unstable': 'net-next' } }, base, 'subject-branch', /used net-next .*\[mm-unstable\]/],
    ['mapped tag naming no commit', { treeTags: ['wireless'] }, { branchMap: { wireless: 'no-such' } }, head, 'head', /^tag \[wireless\] maps to no-such, which names no commit; used HEAD/],
    ['a revision expression as a tag', { treeTags: ['net-next^{/x}'] }, {}, head, 'head', /^used HEAD/],
    ['malformed base-commit', { baseCommit: '--output=/tmp/x' }, {}, head, 'head', /^base-commit "--output=\/tmp\/x" is not a commit id; used HEAD/],
    ['nothing given', {}, {}, head, 'head', /^used HEAD \([0-9a-f]{12}\): the series names no base-commit and no tree tag$/],
  ];
  for (const [name, over, opts, commit, source, why] of cases) {
    const choice = await chooseBase(tracked, seriesOf([], over), opts);
    assert.equal(choice.commit, commit, name);
    assert.equal(choice.source, source, name);
    assert.match(choice.why, why, name);
  }
});

test('chooseBase on a directory that is not a repository says so', async (t) => {
  const { fx } = setup();
  t.after(fx.cleanup);
  await assert.rejects(chooseBase(fx.root, seriesOf([]), {}), /has no HEAD commit/);
});
