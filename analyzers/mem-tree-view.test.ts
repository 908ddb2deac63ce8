import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemTreeView, pathUnder } from './mem-tree-view.ts';

test('MemTreeView answers like a tree: sorted paths, directory prefixes, 1-based grep lines', async () => {
  const tree = new MemTreeView({
    'mm/swap.c': 'void put_page(struct page *page)\n{\n\tput_page_testzero(page);\n}\n',
    'include/linux/mm.h': 'void put_page(struct page *page);\n',
    'mm2/x.c': 'put_page\n',
    'fw/blob.bin': 'put_page\0\x01',
  });
  assert.equal(await tree.readFile('mm/swap.c'), 'void put_page(struct page *page)\n{\n\tput_page_testzero(page);\n}\n');
  assert.equal(await tree.readFile('mm/nope.c'), null);
  assert.equal(await tree.readFile('./mm/swap.c'), null);
  assert.deepEqual(await tree.listFiles(), ['fw/blob.bin', 'include/linux/mm.h', 'mm/swap.c', 'mm2/x.c']);
  assert.deepEqual(await tree.listFiles('mm'), ['mm/swap.c']);
  assert.deepEqual(await tree.grep('\\bput_page\\b', ['mm/']), [{ path: 'mm/swap.c', line: 1, text: 'void put_page(struct page *page)' }]);
  assert.deepEqual(
    (await tree.grep('put_page')).map((h) => `${h.path}:${h.line}`),
    ['include/linux/mm.h:1', 'mm/swap.c:1', 'mm/swap.c:3', 'mm2/x.c:1'],
    'binary files are skipped',
  );
  await assert.rejects(tree.grep('('), SyntaxError);
});

test('pathUnder: a file is under its directory and the directory itself, never under a longer name that shares the prefix', () => {
  assert.equal(pathUnder('mm/filemap.c', 'mm'), true);
  assert.equal(pathUnder('mm/filemap.c', 'mm/'), true);
  assert.equal(pathUnder('mm/filemap.c', 'mm//'), true);
  assert.equal(pathUnder('mm', 'mm'), true);
  assert.equal(pathUnder('mmap.c', 'mm'), false);
  assert.equal(pathUnder('mm', 'mm/filemap.c'), false);
  assert.equal(pathUnder('include/linux/mm.h', ''), true);
  assert.equal(pathUnder('include/linux/mm.h', '/'), true);
  assert.equal(pathUnder('include/linux/mm.h', 'include/linux'), true);
  assert.equal(pathUnder('include/linuxfoo/x.h', 'include/linux'), false);
});
