// Where checkpatch's line numbers (lines of the patch mail it read) are in the tree after the patch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locateMailLine } from './checkpatch.ts';

const MAIL = [
  'From: Ada Marchetti <ada@example.org>', // 1
  'Subject: [PATCH] mm: a change', // 2
  '', // 3
  'Some text.', // 4
  '', // 5
  '---', // 6
  'diff --git a/mm/swap.c b/mm/swap.c', // 7
  '--- a/mm/swap.c', // 8
  '+++ b/mm/swap.c', // 9
  '@@ -52,4 +52,5 @@ void f(void)', // 10
  ' void __put_page(struct page *page)', // 11: 52
  ' {', // 12: 53
  '-\told();', // 13: (old side) at 54
  '+\tif(x)', // 14: 54
  '+\t\tnew();', // 15: 55
  ' }', // 16: 56
  'diff --git a/include/linux/mm.h b/include/linux/mm.h', // 17
  '--- a/include/linux/mm.h', // 18
  '+++ b/include/linux/mm.h', // 19
  '@@ -7 +7,2 @@', // 20
  ' #include <a.h>', // 21: 7
  '+#include <b.h>', // 22: 8
  '-- ', // 23
  '2.40.0', // 24
].join('\n');

test('a line of a hunk is its file and new-side line; the message and the signature are no file', () => {
  assert.deepEqual(locateMailLine(MAIL, 14), { file: 'mm/swap.c', line: 54 });
  assert.deepEqual(locateMailLine(MAIL, 15), { file: 'mm/swap.c', line: 55 });
  assert.deepEqual(locateMailLine(MAIL, 13), { file: 'mm/swap.c', line: 54 });
  assert.deepEqual(locateMailLine(MAIL, 22), { file: 'include/linux/mm.h', line: 8 });
  assert.equal(locateMailLine(MAIL, 4), null);
  assert.equal(locateMailLine(MAIL, 23), null, 'the signature separator after the last hunk');
  assert.equal(locateMailLine(MAIL, 24), null);
  assert.deepEqual(locateMailLine(MAIL, 10), { file: 'mm/swap.c', line: 52 }, 'a hunk header: where its hunk starts');
});
