import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { git, makeFixtureTree, writeFiles } from './fixture-repo.ts';
import { updateTree } from './update-tree.ts';

test('updateTree fetches and prunes upstream branches without touching the checkout', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const upstream = fx.repo;
  git(upstream, 'branch', 'old-topic');
  const tracked = join(fx.root, 'tracked');
  git(fx.root, 'clone', '-q', upstream, tracked);
  git(tracked, 'remote', 'add', 'broken', join(fx.root, 'no-such-repo'));
  const trackedBefore = [git(tracked, 'rev-parse', 'HEAD'), git(tracked, 'status', '--porcelain'), git(tracked, 'for-each-ref', 'refs/heads')];

  // Upstream moves on: a new commit on master, a new branch, a deleted branch.
  writeFiles(upstream, { 'mm/new.c': 'int x;\n' });
  git(upstream, 'add', '.');
  git(upstream, 'commit', '-q', '-m', 'upstream work');
  git(upstream, 'branch', 'mm-unstable');
  git(upstream, 'branch', '-D', '-q', 'old-topic');
  const upstreamHead = git(upstream, 'rev-parse', 'HEAD').trim();

  const only = await updateTree(tracked, ['origin']);
  assert.deepEqual(only, { fetched: ['origin'], errors: [] });
  assert.equal(git(tracked, 'rev-parse', 'origin/master').trim(), upstreamHead);
  assert.equal(git(tracked, 'rev-parse', 'origin/mm-unstable').trim(), upstreamHead);
  assert.doesNotMatch(git(tracked, 'for-each-ref', '--format=%(refname)', 'refs/remotes'), /old-topic/);
  assert.deepEqual([git(tracked, 'rev-parse', 'HEAD'), git(tracked, 'status', '--porcelain'), git(tracked, 'for-each-ref', 'refs/heads')], trackedBefore);

  const all = await updateTree(tracked);
  assert.deepEqual(all.fetched, ['origin']);
  assert.equal(all.errors.length, 1);
  assert.match(all.errors[0], /^broken: .*no-such-repo/);

  const hostile = await updateTree(tracked, ['--upload-pack=touch /tmp/pwned']);
  assert.deepEqual(hostile.fetched, []);
  assert.match(hostile.errors[0], /not a remote name/);
});
