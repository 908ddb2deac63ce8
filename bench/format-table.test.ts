import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, mib, ms, ratio } from './format-table.ts';

test('columns line up, numbers on the right, text on the left', () => {
  const t = formatTable(['N', 'who', 'wall ms'], [['1', 'kbot', '3512'], ['12', 'spin', '84']]);
  assert.deepEqual(t.split('\n'), [
    'N   who   wall ms',
    '--  ----  -------',
    ' 1  kbot     3512',
    '12  spin       84',
  ]);
});

test('figures are rounded for reading, missing ones are a dash', () => {
  assert.equal(ms(1234.56), '1235');
  assert.equal(ratio(3000, 1200), '2.50x');
  assert.equal(ratio(3000, 0), '-');
  assert.equal(mib(181234), '177.0');
  assert.equal(mib(undefined), '-');
});
