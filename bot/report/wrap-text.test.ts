import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wrapText } from './wrap-text.ts';

test('prose is refilled to the width, paragraphs kept apart', () => {
  const text = 'one two three four five six seven\neight nine ten\n\n\n\nsecond paragraph';
  assert.deepEqual(wrapText(text, 20), ['one two three four', 'five six seven eight', 'nine ten', '', 'second paragraph']);
});

test('indented lines, quotes and tables are left exactly as written', () => {
  const text = 'Look at this:\n\tif (put_page_testzero(page))\n\t\tfree_it(page);\n> quoted line that is long enough to pass the width limit for sure\n| a | b |';
  assert.deepEqual(wrapText(text, 20), [
    'Look at this:',
    '\tif (put_page_testzero(page))',
    '\t\tfree_it(page);',
    '> quoted line that is long enough to pass the width limit for sure',
    '| a | b |',
  ]);
});

test('list items get a hanging indent; a long word stays whole', () => {
  assert.deepEqual(wrapText('- alpha beta gamma delta\n- https://lore.kernel.org/all/20240501120000.1000-1-alice@example.org/', 16), [
    '- alpha beta',
    '  gamma delta',
    '- https://lore.kernel.org/all/20240501120000.1000-1-alice@example.org/',
  ]);
});
