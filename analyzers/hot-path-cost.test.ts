// hot-path-cost on the example trees, through the real pipeline (mailsplit, git apply into a scratch index,
// tree views over git): the seed's put_page() branch, the same behind a static key, a branch in a function
// that is not inlined, and the folio-era tree's folio_put().
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleTree, examplesDir } from '../examples/build-tree.ts';
import { parseConfig } from '../config/read-config.ts';
import { reviewInput } from '../bot/review.ts';
import { simOptions } from '../bot/sim-options.ts';
import { sideAnalyzers } from '../bot/side-analyzers.ts';
import { seriesOnTree, type TreePatch } from '../test/support/series-on-tree.ts';
import type { SeriesReview } from '../bot/types.ts';

let dir: string;
const trees: Record<string, string> = {};
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbot-hot-path-'));
  for (const t of ['v4.12-style', 'v6.6-style'] as const) trees[t] = (await buildExampleTree(t, join(dir, t))).path;
});
after(() => rm(dir, { recursive: true, force: true }));

async function review(tree: string, input: string): Promise<SeriesReview> {
  const config = { ...parseConfig({}), work_dir: join(dir, 'work') };
  const analyzers = await sideAnalyzers(config, { kconfig: simOptions(config).kconfig });
  const r = await reviewInput({ input, tree, config, analyzers });
  assert.equal(r.series.length, 1);
  assert.equal(r.series[0].apply.status, 'applied', r.series[0].apply.detail);
  return r.series[0];
}

async function mbox(tree: string, name: string, patches: TreePatch[]): Promise<string> {
  const file = join(dir, `${name}.mbox`);
  await writeFile(file, await seriesOnTree(tree, patches));
  return file;
}

const PUT_PAGE = 'static inline void put_page(struct page *page)\n{\n\tpage = compound_head(page);\n\n';

test('the seed: an unlikely() device private branch in put_page() costs every put a load and a branch; kbot says so and gives the static key', async () => {
  const s = await review(trees['v4.12-style'], join(examplesDir, 'series', 'hmm-devpriv-free-at-1.mbox'));
  const hot = s.findings.filter((f) => f.category === 'hot-path-cost');
  assert.equal(hot.length, 1, s.notes.join('\n'));
  const f = hot[0];
  assert.equal(f.analyzer, 'hot-path-cost');
  assert.equal(f.severity, 'warning');
  assert.equal(f.confidence, 'high');
  assert.match(f.title, /^put_page\(\) gains 1 load and a branch on every call \(\d+ call sites\); put it behind a static key$/);
  // Counted from the C: page_zonenum()'s load of page->flags and the && that stops there for an ordinary page;
  // a ZONE_DEVICE page also loads page->pgmap and its type.
  assert.match(f.detail!, /Counted from the C: 1 load and a branch when its test fails at the first operand \(a page without the feature\); 3 loads and 2 branches when every operand is evaluated\./);
  assert.deepEqual(f.suggestion, ['DEFINE_STATIC_KEY_FALSE(memory_device_private_key);', '', 'if (static_branch_unlikely(&memory_device_private_key) &&', '    is_device_private_page(page))']);
  assert.match(f.detail!, /static_branch_enable\(&memory_device_private_key\)/);
  // Where the key is to be enabled: where the series' driver makes a device private pgmap.
  assert.match(f.detail!, /the tree sets type to MEMORY_DEVICE_PRIVATE at lib\/hmm_dmirror\.c:\d+/);
  assert.ok(f.hunk.some((l) => l === '+\tif (unlikely(is_device_private_page(page))) {'), f.hunk.join('\n'));
  assert.equal(f.hunkFile, 'include/linux/mm.h');
  assert.match(f.patch ?? '', /-2-/, 'patch 2/3 adds the branch');
  const cov = s.coverage?.find((c) => c.analyzer === 'hot-path-cost');
  assert.equal(cov?.status, 'ran');
  assert.equal(cov?.findings, 1);
  assert.match(cov?.checked ?? '', /put_page\(\) \(include\/linux\/mm\.h:\d+; listed in hot_path\.functions\): 1 load and a branch on every call/);
});

test('the same branch behind a static key: no finding, and the coverage says what gated it', async () => {
  const tree = trees['v4.12-style'];
  const s = await review(tree, await mbox(tree, 'keyed', [{
    subject: 'mm: catch device private pages in put_page(), behind a static key',
    body: 'Only machines with device private memory pay for the test.\n\nSigned-off-by: Ada Marchetti <ada.marchetti@example.org>',
    edits: [{
      path: 'include/linux/mm.h', find: PUT_PAGE,
      replace: `${PUT_PAGE}\tif (static_branch_unlikely(&devmap_key) && page_zonenum(page) == ZONE_DEVICE) {\n\t\t__put_page(page);\n\t\treturn;\n\t}\n\n`,
    }],
  }]));
  assert.deepEqual(s.findings.filter((f) => f.category === 'hot-path-cost'), []);
  assert.match(s.coverage!.find((c) => c.analyzer === 'hot-path-cost')!.checked, /put_page\(\).*nothing added on every call: \d+ addition\(s\) behind static_branch_unlikely\(&devmap_key\)/);
});

test('a test the series adds under put_page()\'s existing branch (the last put only) is not on every call: no finding', async () => {
  const tree = trees['v4.12-style'];
  const s = await review(tree, await mbox(tree, 'under', [{
    subject: 'mm: trace the last put of ZONE_DEVICE pages',
    body: 'Say when a ZONE_DEVICE page is put for the last time.\n\nSigned-off-by: Ada Marchetti <ada.marchetti@example.org>',
    edits: [{
      path: 'include/linux/mm.h', find: '\tif (put_page_testzero(page))\n\t\t__put_page(page);\n}',
      replace: '\tif (put_page_testzero(page)) {\n\t\tif (page_zonenum(page) == ZONE_DEVICE)\n\t\t\tpage->mapping = NULL;\n\t\t__put_page(page);\n\t}\n}',
    }],
  }]));
  assert.deepEqual(s.findings.filter((f) => f.category === 'hot-path-cost'), []);
  assert.match(s.coverage!.find((c) => c.analyzer === 'hot-path-cost')!.checked, /under an existing branch \(put_page_testzero\(page\) at line \d+\)/);
});

test('a branch added to __put_page(), out of line in mm/swap.c and not listed: not a hot path, no finding', async () => {
  // hmm-devpriv-free-at-0 (v2 of the series) hands device private pages back in __put_page().
  const s = await review(trees['v4.12-style'], join(examplesDir, 'series', 'hmm-devpriv-free-at-0.mbox'));
  assert.deepEqual(s.findings.filter((f) => f.category === 'hot-path-cost'), []);
  const cov = s.coverage!.find((c) => c.analyzer === 'hot-path-cost')!;
  assert.equal(cov.status, 'ran');
  assert.match(cov.checked, /0 on a hot path\. \d+ not hot \(.*__put_page\(\)/);
});

test('the folio era: a device private branch in folio_put() is found the same way', async () => {
  const s = await review(trees['v6.6-style'], join(examplesDir, 'series', 'folio-devpriv-free-at-1.mbox'));
  const f = s.findings.find((x) => x.category === 'hot-path-cost');
  assert.ok(f, s.notes.join('\n'));
  assert.match(f.title, /^folio_put\(\) gains .* on every call \(\d+ call sites?\); put it behind a static key$/);
  assert.deepEqual(f.suggestion?.slice(2), ['if (static_branch_unlikely(&memory_device_private_key) &&', '    folio_is_device_private(folio))']);
  // The example tree's test_hmm makes device private pgmaps: the key is enabled there.
  assert.match(f.detail!, /the tree sets type to MEMORY_DEVICE_PRIVATE at lib\/test_hmm\.c:\d+/);
});

test('a VM_BUG_ON_PAGE() added to put_page(): a macro, not expanded, and its arguments not counted as evaluated: no finding, and the coverage names it', async () => {
  const tree = trees['v4.12-style'];
  const s = await review(tree, await mbox(tree, 'assert', [{
    subject: 'mm: assert that put_page() is not called on a free page',
    body: 'Catch a put of a page nobody holds.\n\nSigned-off-by: Ada Marchetti <ada.marchetti@example.org>',
    edits: [{ path: 'include/linux/mm.h', find: PUT_PAGE, replace: `${PUT_PAGE}\tVM_BUG_ON_PAGE(page_ref_count(page) == 0, page);\n\n` }],
  }]));
  assert.deepEqual(s.findings.filter((f) => f.category === 'hot-path-cost'), []);
  assert.match(s.coverage!.find((c) => c.analyzer === 'hot-path-cost')!.checked, /put_page\(\).*the additions on every call cost nothing counted \(VM_BUG_ON_PAGE\(\)\)/);
});
