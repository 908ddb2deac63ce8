// `kbot review` of a series written against Debian's whole linux-source-6.12 tree (scripts/real-trees.sh makes
// it a git repository; .ci/run does that), in the shape of the 2017 HMM patch (shared/seeds): a branch at the
// top of the inline put_page(). What is asserted is what the real code says: file:line cites the tree (or the
// series' own lines, for code the series adds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seriesOnTree } from './support/series-on-tree.ts';
import { realReviewer } from './support/real-review.ts';
import { commentOnly, devprivFreeAt1, moveHelper, softOfflineDevice } from './support/real-series-612.ts';

const { tree: TREE, needTree, review } = realReviewer('6.12');

test('linux 6.12: device private folios made free at refcount 1 by a branch in put_page(), as the 2017 patch did: the change, the sites that meet such pages, and a race through a real walker', async (t) => {
  if (!needTree(t)) return;
  const s = await review('free-at-1', await seriesOnTree(TREE, devprivFreeAt1));
  assert.equal(s.apply.status, 'applied', s.apply.detail);

  // The convention change, read from the trees' own init and put, before and after.
  const life = s.findings.find((f) => f.category === 'page-life-change');
  assert.ok(life, s.findings.map((f) => f.title).join('\n'));
  assert.match(life.title, /^device-private pages are now free at refcount 1 \(was 0\), initialised at refcount 1 \(was 0\)/);
  // Before: the final put went folio_put() > __folio_put() > free_zone_device_folio(), which calls ->page_free()
  // at mm/memremap.c:489. After: put_page() calls it itself, at the series' new line include/linux/mm.h:1550.
  assert.match(life.detail ?? '', /free_zone_device_folio > ->page_free\(page\) at mm\/memremap\.c:489/);
  assert.match(life.detail ?? '', /from 2 ends in put_page > ->page_free\(page\) at include\/linux\/mm\.h:1550/);
  // Sites that can meet such a page: do_migrate_range()'s folio_try_get() (mm/memory_hotplug.c:1821), checking
  // only its loop bound; migrate_device_range() (mm/migrate_device.c:908), which takes any pfn of its range.
  assert.match(life.detail ?? '', /do_migrate_range\(\) at mm\/memory_hotplug\.c:1821 \(pfn-walker; checks \(pfn < end_pfn\)/);
  assert.match(life.detail ?? '', /migrate_device_range\(\) at mm\/migrate_device\.c:908 \(pfn-walker/);
  // Ruled out, with the real check that rules it out: soft offline's pfn_to_online_page() finds no device page.
  assert.match(life.detail ?? '', /by pfn_to_online_page\(\) finds no device-private page/);

  // A race through a real walker's code: its speculative get succeeds on the free page (1 -> 2), with the
  // series' new free path in the interleaving.
  const races = s.findings.filter((f) => f.severity === 'error' && f.category === 'speculative-get-on-free-page');
  assert.ok(races.length > 0, s.findings.map((f) => `${f.severity} ${f.category} ${f.title}`).join('\n'));
  for (const f of races) {
    const trace = f.trace ?? [];
    assert.ok(trace.some((st) => st.func === 'put_page' && st.file === 'include/linux/mm.h' && st.line === 1550), f.title);
    const walker = trace.filter((st) => st.actor === 'walker');
    assert.ok(walker.some((st) => /^mm\/(memory_hotplug|migrate_device|ksm|gup|huge_memory)\.c$/.test(st.file) ||
      (st.via ?? []).some((v) => /\(mm\/(memory_hotplug|migrate_device|ksm|gup|huge_memory)\.c:\d+\)$/.test(v))), f.title);
  }
  assert.ok(s.replies.length > 0, 'a reply to the author');
});

test('linux 6.12: a comment-only patch to mm/memremap.c has nothing to check, and says so', async (t) => {
  if (!needTree(t)) return;
  const s = await review('comment', await seriesOnTree(TREE, commentOnly));
  assert.equal(s.apply.status, 'applied', s.apply.detail);
  assert.deepEqual(s.findings.map((f) => `${f.category}: ${f.title}`), []);
  assert.deepEqual(s.replies, []);
  assert.ok(s.notes.some((n) => /refcount-sim: nothing to check/.test(n)), s.notes.join('\n'));
});

test('linux 6.12: free at 1, and soft_offline_page() let through to device private pages (its two guards gone): the site it opens meets them, and the race runs through its real code', async (t) => {
  if (!needTree(t)) return;
  // The second patch makes soft_offline_page() fall back to pfn_to_page() for a device private page (where
  // pfn_to_online_page() kept ZONE_DEVICE out, mm/memory-failure.c:2817 before the series) and lets
  // HWPoisonHandlable() pass such a page for MF_SOFT_OFFLINE (its new line 1404).
  const s = await review('soft-offline', await seriesOnTree(TREE, [...devprivFreeAt1, softOfflineDevice]));
  assert.equal(s.apply.status, 'applied', s.apply.detail);
  const life = s.findings.find((f) => f.category === 'page-life-change');
  assert.ok(life, s.findings.map((f) => f.title).join('\n'));
  // The speculative get it reaches: __get_hwpoison_page()'s folio_try_get(), line 1435 after the series (1434
  // before it), now among the sites that can meet such a page, with HWPoisonHandlable() among its checks.
  assert.match(life!.detail ?? '', /__get_hwpoison_page\(\) at mm\/memory-failure\.c:1435 \(pfn-walker from soft_offline_page\(\); checks [^;]*HWPoisonHandlable\(&folio->page, flags\) \(mm\/memory-failure\.c:1432\)/);
  const get = s.findings.find((f) => f.category === 'speculative-get-on-free-page' && /^soft_offline_page\(\) can take a reference on a free page$/.test(f.title));
  assert.ok(get, s.findings.map((f) => `${f.severity} ${f.category}: ${f.title}`).join('\n'));
  assert.equal(get!.severity, 'error');
  const trace = get!.trace ?? [];
  const show = trace.map((st) => `${st.cpu} ${st.func} ${st.file}:${st.line} ${st.op}`).join('\n');
  // The series' free path in put_page() (include/linux/mm.h:1550) first; then the walker through the series'
  // new fallback (line 2819) and the check it weakened (HWPoisonHandlable(), line 1404) to the get, which
  // takes the free page from 1 to 2.
  const free = trace.findIndex((st) => st.func === 'put_page' && st.file === 'include/linux/mm.h' && st.line === 1550 && /page_free/.test(st.op));
  const fallback = trace.findIndex((st) => (st.via ?? []).includes('soft_offline_page (mm/memory-failure.c:2819)'));
  const handlable = trace.findIndex((st) => st.func === 'HWPoisonHandlable' && st.file === 'mm/memory-failure.c' && st.line === 1404);
  assert.ok(free >= 0 && fallback > free && handlable > fallback, show);
  const last = trace[trace.length - 1];
  assert.ok((last.via ?? []).includes('__get_hwpoison_page (mm/memory-failure.c:1435)'), show);
  assert.equal(last.refcount.page, 2, show);
  assert.notEqual(last.cpu, trace[free].cpu, show);
});

test('linux 6.12: a new migration helper that returns with the count frozen on an error path: the caller\'s put underflows, the error path in the trace; the fixed helper is clean', async (t) => {
  if (!needTree(t)) return;
  const buggy = await review('freeze-buggy', await seriesOnTree(TREE, [moveHelper(false)]));
  assert.equal(buggy.apply.status, 'applied', buggy.apply.detail);
  // Only the new helper's finding (the series changes nothing else any scenario runs), and no checkpatch one:
  // the series is signed off by its author.
  assert.deepEqual(buggy.findings.map((f) => f.category), ['refcount-underflow'], buggy.findings.map((f) => `${f.category}: ${f.title}`).join('\n'));
  const trace = buggy.findings[0].trace ?? [];
  const show = trace.map((st) => `${st.func} ${st.file}:${st.line} ${st.op} ${JSON.stringify(st.refcount)}`).join('\n');
  // The freeze of the caller's only reference (1 -> 0, page_ref_freeze()'s cmpxchg), the error path taken on
  // folio_mapped() (the mapcount read in include/linux/mm.h), then the caller's put on the frozen count:
  // put_page_testzero()'s VM_BUG_ON_PAGE (include/linux/mm.h:1140).
  const freeze = trace.findIndex((st) => /folio_ref_freeze > page_ref_freeze: atomic_cmpxchg/.test(st.op) && st.refcount.page === 0);
  const mapped = trace.findIndex((st) => st.func === 'folio_mapped' && /^assuming .* is true/.test(st.op));
  const put = trace.findIndex((st, i) => i > mapped && st.func === 'put_page_testzero' && st.file === 'include/linux/mm.h' && st.line === 1140 && st.refcount.page === 0);
  assert.ok(freeze >= 0 && mapped > freeze && put > mapped, show);
  assert.match(buggy.findings[0].detail ?? '', /Before the series: not applicable \(the tree has no folio_move_private_frozen\(\)\)/);
  const fixed = await review('freeze-fixed', await seriesOnTree(TREE, [moveHelper(true)]));
  assert.equal(fixed.apply.status, 'applied', fixed.apply.detail);
  assert.deepEqual(fixed.findings.map((f) => `${f.category}: ${f.title}`), []);
  assert.ok(fixed.notes.some((n) => /refcount-sim: \d+ scenario run\(s\) before and after the series, \d+ states after, 0 new violation/.test(n)), fixed.notes.join('\n'));
});
