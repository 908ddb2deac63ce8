import { test } from 'node:test';
import assert from 'node:assert/strict';
import { git, makeFixtureTree, SWAP_C, writeFiles } from './fixture-repo.ts';
import { GitTreeView } from './git-tree-view.ts';
import { MemTreeView } from '../../analyzers/mem-tree-view.ts';
import { grepCache } from '../facts-cache.ts';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('GitTreeView reads, lists and greps one commit, and agrees with MemTreeView on the same files', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  // A second commit, so the view must answer for the commit it was opened on, not the checkout.
  writeFiles(fx.repo, { 'mm/swap.c': SWAP_C + 'void lru_add_drain(void)\n{\n}\n', 'mm/page_alloc.c': 'void put_page_testzero(void);\n' });
  git(fx.repo, 'add', '.');
  git(fx.repo, 'commit', '-q', '-m', 'more');

  const view = new GitTreeView(fx.repo, fx.base);
  t.after(() => view.close());
  assert.equal(await view.readFile('mm/swap.c'), SWAP_C);
  assert.equal(await view.readFile('mm/page_alloc.c'), null);
  assert.equal(await view.readFile('mm'), null, 'a directory is not a file');
  assert.equal(await view.readFile('../etc/passwd'), null);
  assert.deepEqual(await view.listFiles(), ['Makefile', 'include/linux/mm.h', 'mm/swap.c']);
  assert.deepEqual(await view.listFiles('mm/'), ['mm/swap.c']);
  assert.deepEqual(await view.listFiles('m'), [], 'a prefix names a directory, not a string prefix');

  const hits = await view.grep('\\bput_page\\b', ['mm', 'include']);
  assert.deepEqual(hits, [
    { path: 'include/linux/mm.h', line: 11, text: 'void put_page(struct page *page);' },
    { path: 'mm/swap.c', line: 9, text: 'void put_page(struct page *page)' },
  ]);
  assert.deepEqual(await view.grep('no_such_symbol'), []);
  assert.deepEqual(await view.grep('put_page', []), [], 'an empty path list searches nothing');
  await assert.rejects(view.grep('('), /git grep/);

  const head = await GitTreeView.open(fx.repo, 'HEAD');
  t.after(() => head.close());
  assert.match(await head.readFile('mm/swap.c') ?? '', /lru_add_drain/);
  assert.deepEqual(await head.listFiles('mm'), ['mm/page_alloc.c', 'mm/swap.c']);

  const mem = new MemTreeView({ 'include/linux/mm.h': (await view.readFile('include/linux/mm.h'))!, 'mm/swap.c': SWAP_C, Makefile: 'obj-y += mm/\n' });
  for (const pattern of ['\\bput_page\\b', '^static', 'page->_refcount\\);$', '[0-9]']) {
    assert.deepEqual(await mem.grep(pattern), await view.grep(pattern), pattern);
  }
  assert.deepEqual(await mem.listFiles(), await view.listFiles());
  assert.deepEqual(await mem.listFiles('mm'), await view.listFiles('mm'));
});

test('GitTreeView serves many concurrent reads through one process and survives close()', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const files: Record<string, string> = {};
  for (let i = 0; i < 200; i++) files[`drivers/x/f${i}.c`] = `int f${i};\n`.repeat(i + 1);
  writeFiles(fx.repo, files);
  git(fx.repo, 'add', '.');
  git(fx.repo, 'commit', '-q', '-m', 'many');
  const view = await GitTreeView.open(fx.repo, 'HEAD');
  const paths = Object.keys(files);
  const texts = await Promise.all([...paths, 'nope.c', ...paths].map((p) => view.readFile(p)));
  assert.deepEqual(texts, [...paths.map((p) => files[p]), null, ...paths.map((p) => files[p])]);
  view.close();
  // A read after close starts a fresh process rather than hanging.
  assert.equal(await view.readFile('drivers/x/f3.c'), files['drivers/x/f3.c']);
  assert.equal(await view.readFile('drivers/x/f7.c'), files['drivers/x/f7.c']);
  view.close();
});

test('GitTreeView closed while reads are in flight: they fail with "tree view closed", the answers still in the pipe are dropped, and a later read works', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const files: Record<string, string> = {};
  for (let i = 0; i < 100; i++) files[`drivers/y/g${i}.c`] = `long g${i};\n`.repeat(20000 + i);
  writeFiles(fx.repo, files);
  git(fx.repo, 'add', '.');
  git(fx.repo, 'commit', '-q', '-m', 'big');
  const view = await GitTreeView.open(fx.repo, 'HEAD');
  const paths = Object.keys(files);
  for (let round = 0; round < 5; round++) {
    const reads = paths.map((p) => view.readFile(p).then(() => 'read', (e: Error) => e.message));
    // Once the first answer is in, most of the others are on their way through the pipe.
    await reads[0];
    await view.close();
    const outcomes = await Promise.all(reads);
    assert.ok(outcomes.every((o) => o === 'read' || o === 'tree view closed'), outcomes.join(', '));
  }
  assert.equal(await view.readFile('drivers/y/g5.c'), files['drivers/y/g5.c']);
  await view.close();
});

test('GitTreeView.open refuses a commit the tree does not have', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  await assert.rejects(GitTreeView.open(fx.repo, 'deadbeefdeadbeef'), /has no commit deadbeefdeadbeef/);
});

test('a search git runs is kept per commit: the next view of the same commit reads it back, a damaged entry is run again, a revision that is not a sha is never kept', async (t) => {
  const fx = makeFixtureTree();
  t.after(fx.cleanup);
  const work = mkdtempSync(join(tmpdir(), 'kbot-grep-cache-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  // Every search goes to git (as on a kernel tree, whose searches are too big to run in process).
  const open = (rev: string) => new GitTreeView(fx.repo, rev, { grepCache: grepCache(work), inProcessGrepBytes: 0 });
  const first = open(fx.base);
  const hits = await first.grepWords(['put_page']);
  assert.ok(hits.length > 0);
  await first.close();
  const dir = join(work, 'grep');
  const [entry] = readdirSync(dir);
  assert.equal(readdirSync(dir).length, 1);
  // What the next view of that commit answers is what was kept: here, a kept answer edited by hand.
  writeFileSync(join(dir, entry), JSON.stringify([{ path: 'kept/by/the/cache.c', line: 7, text: 'put_page(page);' }]));
  const second = open(fx.base);
  assert.deepEqual((await second.grepWords(['put_page'])).map((h) => h.path), ['kept/by/the/cache.c']);
  await second.close();
  // An entry that is not a list of hits is not used: git runs again and the entry is rewritten.
  writeFileSync(join(dir, entry), '{"torn":');
  const third = open(fx.base);
  assert.deepEqual(await third.grepWords(['put_page']), hits);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, entry), 'utf8')), hits);
  await third.close();
  // HEAD is not a commit name: what it means can change, so nothing is kept for it.
  const byName = open('HEAD');
  await byName.grepWords(['get_page']);
  await byName.close();
  assert.equal(readdirSync(dir).length, 1);
});
