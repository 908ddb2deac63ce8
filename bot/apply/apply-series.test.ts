import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { git, makeFixtureTree, MM_H, SWAP_C, writeFiles, type FixtureTree } from '../tree/fixture-repo.ts';
import { GitTreeView } from '../tree/git-tree-view.ts';
import type { BaseChoice, Message } from '../types.ts';
import { applySeries } from './apply-series.ts';
import { messageFromPatch, seriesOf } from './fixture-series.ts';

// The machine running kbot may have no git identity at all: committer identity must come from applySeries.
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';

const SWAP_C_V2 = SWAP_C.replace('#include <linux/mm.h>\n', '#include <linux/mm.h>\n#include <linux/swap.h>\n').replace(
  '\t\t__page_cache_release(page);',
  '\t\tfree_unref_page(page);',
);
const REFCOUNT_C = '#include <linux/mm.h>\n\nint page_refs(struct page *page)\n{\n\treturn page_ref_count(page);\n}\n';

/** A developer's clone with a two-patch series on a branch, as format-patch files. */
function makeSeries(fx: FixtureTree): { patches: string[]; dev: string } {
  const dev = join(fx.root, 'dev');
  git(fx.root, 'clone', '-q', fx.repo, dev);
  git(dev, 'checkout', '-q', '-b', 'topic');
  writeFiles(dev, { 'include/linux/mm.h': MM_H.replace('void put_page(', 'int page_refs(struct page *page);\nvoid put_page('), 'mm/refcount.c': REFCOUNT_C });
  git(dev, 'add', '.');
  git(dev, 'commit', '-q', '-m', 'mm: add page_refs()\n\nA helper for the tests.\n\nSigned-off-by: Fixture Author <author@example.org>');
  writeFiles(dev, { 'mm/swap.c': SWAP_C_V2 });
  git(dev, 'commit', '-q', '-am', 'mm/swap: free pages directly in put_page()\n\nFrom now on pages skip the LRU.\n\nSigned-off-by: Fixture Author <author@example.org>');
  const out = join(fx.root, 'out');
  git(dev, 'format-patch', '-q', '--cover-letter', `--base=${fx.base}`, '-o', out, 'master..topic');
  const files = readdirSync(out).filter((f) => !f.startsWith('0000')).sort();
  return { patches: files.map((f) => readFileSync(join(out, f), 'utf8')), dev };
}

function messages(patches: string[]): Message[] {
  return patches.map((p, i) => messageFromPatch(p, i + 1, patches.length));
}

/** Everything a user could see of the tracked tree and the disk around it, except the work dir. */
function snapshot(fx: FixtureTree, workDir: string) {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (p === workDir || p === join(fx.repo, '.git')) continue;
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(fx.root, p)] = createHash('sha1').update(readFileSync(p)).digest('hex');
    }
  };
  walk(fx.root);
  return {
    files,
    status: git(fx.repo, 'status', '--porcelain', '--untracked-files=all'),
    head: git(fx.repo, 'rev-parse', 'HEAD'),
    symbolicHead: git(fx.repo, 'symbolic-ref', 'HEAD'),
    refs: git(fx.repo, 'for-each-ref'),
    worktrees: git(fx.repo, 'worktree', 'list', '--porcelain'),
    index: createHash('sha1').update(readFileSync(join(fx.repo, '.git', 'index'))).digest('hex'),
  };
}

function headBase(fx: FixtureTree): BaseChoice {
  return { commit: git(fx.repo, 'rev-parse', 'HEAD').trim(), source: 'head', why: 'test' };
}

test('a clean series applies into an index of its own, no checkout; the tracked tree is untouched', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const { patches } = makeSeries(fx);
  const workDir = join(fx.root, 'work');
  const before = snapshot(fx, workDir);

  const result = await applySeries({ repo: fx.repo, workDir, series: seriesOf(messages(patches)), base: headBase(fx) });

  assert.equal(result.status, 'applied', result.detail);
  assert.equal(result.base?.commit, fx.base);
  assert.ok(result.head && result.head !== fx.base);
  const after = new GitTreeView(fx.repo, result.head!);
  const old = new GitTreeView(fx.repo, result.base!.commit);
  t.after(() => (after.close(), old.close()));
  assert.equal(await after.readFile('mm/swap.c'), SWAP_C_V2);
  assert.equal(await after.readFile('mm/refcount.c'), REFCOUNT_C);
  assert.equal(await old.readFile('mm/swap.c'), SWAP_C);
  assert.equal(await old.readFile('mm/refcount.c'), null);
  // The mails' authors and subjects (without [PATCH n/N]) made the commits; kbot only committed them.
  assert.equal(
    git(fx.repo, 'log', '--reverse', '--format=%an|%cn|%s', `${fx.base}..${result.head}`),
    'Fixture Author|kbot|mm: add page_refs()\nFixture Author|kbot|mm/swap: free pages directly in put_page()\n',
  );

  // A commit message line starting with "From " survives the trip through the mail.
  assert.match(git(fx.repo, 'log', '-1', '--format=%B', result.head!), /^From now on pages skip the LRU\.$/m);

  assert.deepEqual(snapshot(fx, workDir), before);
  assert.deepEqual(readdirSync(workDir), [], 'the scratch index is removed');
});

test('two applies of the same series run side by side and agree', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const { patches } = makeSeries(fx);
  const workDir = join(fx.root, 'work');
  const input = { repo: fx.repo, workDir, series: seriesOf(messages(patches)), base: headBase(fx) };
  const [a, b] = await Promise.all([applySeries(input), applySeries(input)]);
  assert.equal(a.status, 'applied', a.detail);
  assert.equal(b.status, 'applied', b.detail);
  // Same mails on the same base, committer date taken from the author date: the same commit.
  assert.equal(a.head, b.head);
  assert.deepEqual(readdirSync(workDir), []);
  assert.equal(git(fx.repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length, 1);
});

test('a patch that does not apply is reported with its patch, file and hunk', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const { patches } = makeSeries(fx);
  // Upstream moved on under patch 2's second hunk (put_page), but not under its first (the includes).
  writeFiles(fx.repo, { 'mm/swap.c': SWAP_C.replace('page_ref_dec_and_test(page)', 'put_page_testzero(page)') });
  git(fx.repo, 'commit', '-q', '-am', 'mm: use put_page_testzero');
  const workDir = join(fx.root, 'work');
  const before = snapshot(fx, workDir);
  const msgs = messages(patches);

  const result = await applySeries({ repo: fx.repo, workDir, series: seriesOf(msgs), base: headBase(fx) });

  assert.equal(result.status, 'failed');
  assert.equal(result.patchIndex, 2);
  assert.equal(result.patch, msgs[1].messageId);
  assert.equal(result.file, 'mm/swap.c');
  const hunkHeaders = patches[1].split('\n').filter((l) => l.startsWith('@@ '));
  assert.equal(hunkHeaders.length, 2);
  assert.equal(result.hunk, hunkHeaders[1]);
  assert.match(result.detail ?? '', /error: patch failed: mm\/swap\.c:\d+/);
  assert.doesNotMatch(result.detail ?? '', /hint:|--continue/);
  assert.deepEqual(snapshot(fx, workDir), before);
  assert.deepEqual(readdirSync(workDir), []);
});

test('a patch to a file the base does not have names that file and its first hunk', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const dev = join(fx.root, 'dev');
  git(fx.root, 'clone', '-q', fx.repo, dev);
  writeFiles(dev, { 'mm/refcount.c': REFCOUNT_C });
  git(dev, 'add', '.');
  git(dev, 'commit', '-q', '-m', 'add');
  writeFiles(dev, { 'mm/refcount.c': REFCOUNT_C.replace('return', 'return 1 +') });
  git(dev, 'commit', '-q', '-am', 'mm: change page_refs');
  const text = git(dev, 'format-patch', '-1', '--stdout');
  const msg = messageFromPatch(text, 1, 1);
  const result = await applySeries({ repo: fx.repo, workDir: join(fx.root, 'work'), series: seriesOf([msg]), base: headBase(fx) });
  assert.equal(result.status, 'failed');
  assert.equal(result.patchIndex, 1);
  assert.equal(result.file, 'mm/refcount.c');
  assert.equal(result.hunk, text.split('\n').find((l) => l.startsWith('@@ ')));
  assert.match(result.detail ?? '', /mm\/refcount\.c: does not exist in index/);
});

test('hostile patches are refused before git is touched', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const { patches, dev } = makeSeries(fx);
  // A real symlink-creating patch, made by git itself.
  symlinkSync('/etc/passwd', join(dev, 'mm', 'evil'));
  git(dev, 'add', 'mm/evil');
  git(dev, 'commit', '-q', '-m', 'mm: add a link');
  const symlinkPatch = git(dev, 'format-patch', '-1', '--stdout');
  const p2 = patches[1];
  const cases: Array<[string, string, string, RegExp]> = [
    ['dot-dot path', p2.replaceAll('mm/swap.c', '../swap.c'), '../swap.c', /climbs out of the tree/],
    ['absolute path', p2.replaceAll('a/mm/swap.c', '/etc/swap.c').replaceAll('b/mm/swap.c', '/etc/swap.c'), '/etc/swap.c', /absolute path/],
    ['.git/config', p2.replaceAll('mm/swap.c', '.git/config'), '.git/config', /inside a \.git directory/],
    ['symlink creation', symlinkPatch, 'mm/evil', /symlink/],
    [
      'rename to outside',
      p2.replace(/^(diff --git a\/mm\/swap\.c) b\/mm\/swap\.c$/m, '$1 b/../../swap.c\nsimilarity index 90%\nrename from mm/swap.c\nrename to ../../swap.c'),
      '../../swap.c',
      /climbs out/,
    ],
  ];
  const workDir = join(fx.root, 'work');
  const before = snapshot(fx, workDir);
  for (const [name, hostile, path, why] of cases) {
    const msgs = [messageFromPatch(patches[0], 1, 2), messageFromPatch(hostile, 2, 2)];
    const result = await applySeries({ repo: fx.repo, workDir, series: seriesOf(msgs), base: headBase(fx) });
    assert.equal(result.status, 'refused', name);
    assert.equal(result.patchIndex, 2, name);
    assert.equal(result.patch, msgs[1].messageId, name);
    assert.equal(result.file, path, name);
    assert.match(result.detail ?? '', why, name);
    assert.equal(existsSync(workDir), false, `${name}: no work dir was even made`);
  }
  assert.deepEqual(snapshot(fx, workDir), before);
});

test('a series with missing parts is skipped and says which', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const { patches } = makeSeries(fx);
  const [m1, m2] = messages(patches);
  const result = await applySeries({ repo: fx.repo, workDir: join(fx.root, 'work'), series: seriesOf([m1, null, m2]), base: headBase(fx) });
  assert.deepEqual(result, { status: 'skipped', base: headBase(fx), detail: 'incomplete: 2/3 missing' });
});

test('a base the tree does not have fails cleanly', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const { patches } = makeSeries(fx);
  const base: BaseChoice = { commit: '0123456789abcdef0123456789abcdef01234567', source: 'cli', why: 'test' };
  const result = await applySeries({ repo: fx.repo, workDir: join(fx.root, 'work'), series: seriesOf(messages(patches)), base });
  assert.equal(result.status, 'failed');
  assert.match(result.detail ?? '', /base 0123456789abcdef0123456789abcdef01234567 is not a commit/);
});
