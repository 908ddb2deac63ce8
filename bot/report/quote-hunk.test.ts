import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quoteHunk } from './quote-hunk.ts';

test('a short hunk is quoted whole, trailing blanks trimmed', () => {
  assert.deepEqual(quoteHunk([' a', ' ', '+b']), ['>  a', '>', '> +b']);
});

test('a long hunk keeps only the changed lines and a little context around them', () => {
  const lines = [...Array.from({ length: 30 }, (_, i) => ` ctx${i}`)];
  lines.splice(10, 0, '-old();', '+new();');
  const q = quoteHunk(lines, 16, 2);
  assert.deepEqual(q, ['> [...]', '>  ctx8', '>  ctx9', '> -old();', '> +new();', '>  ctx10', '>  ctx11', '> [...]']);
});

test('many changed lines are cut at the limit', () => {
  const lines = Array.from({ length: 40 }, (_, i) => `+line${i}`);
  const q = quoteHunk(lines, 16, 3);
  assert.equal(q.length, 17);
  assert.equal(q.at(-1), '> [...]');
});
