// `kbot review` of series written against Debian's whole linux-source-6.1 tree (scripts/real-trees.sh makes it
// a git repository; .ci/run does that), as a kernel developer would write them. What is asserted is what the
// real code says: file:line cites the tree (or the series' own lines, for code the series adds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seriesOnTree } from './support/series-on-tree.ts';
import { realReviewer } from './support/real-review.ts';
import { commentOnly, devprivFreeAt1, moveHelper, softOfflineDevice } from './support/real-series-61.ts';

const { tree: TREE, needTree, review } = realReviewer('6.1');

test('linux 6.1: a comment-only patch to mm/memremap.c has nothing to check, and says so', async (t) => {
  if (!needTree(t)) return;
  const s = await review('comment', await seriesOnTree(TREE, commentOnly));
  assert.equal(s.apply.status, 'applied');
  assert.deepEqual(s.findings, []);
  assert.deepEqual(s.replies, []);
  assert.ok(s.notes.some((n) => /refcount-sim: nothing to check/.test(n)), s.notes.join('\n'));
});

test('linux 6.1: device private pages made free at refcount 1 again (the 2017 convention): the change, the sites that meet such pages, and a race through one of them', async (t) => {
  if (!needTree(t)) return;
  // As the HMM series of 2017 did: the final put hands the page back to its driver on 2 -> 1
  // (__put_devmap_managed_page_refs(), which put_page() calls for ZONE_DEVICE pages, mm/memremap.c), the
  // memmap init leaves device private pages at 1 (__init_zone_device_page(), mm/mm_init.c:212) and the driver's
  // allocation takes a reference on top (zone_device_page_init()).
  const s = await review('free-at-1', await seriesOnTree(TREE, devprivFreeAt1));
  assert.equal(s.apply.status, 'applied', s.apply.detail);
  // The convention change, read from the trees' own init and put, before and after.
  const life = s.findings.find((f) => f.category === 'page-life-change');
  assert.ok(life, s.findings.map((f) => f.title).join('\n'));
  assert.match(life!.title, /^device-private pages are now free at refcount 1 \(was 0\), initialised at refcount 1 \(was 0\)/);
  // Before: the final put reached ->page_free() in free_zone_device_page() (mm/memremap.c:509). After: in
  // __put_devmap_managed_page_refs(), the series' new line 547.
  assert.match(life!.detail ?? '', /free_zone_device_page > ->page_free\(page\) at mm\/memremap\.c:509/);
  assert.match(life!.detail ?? '', /__put_devmap_managed_page_refs > ->page_free\(page\) at mm\/memremap\.c:547/);
  // Every site that can meet such a page, named with what it checks: migrate_device_range() takes any pfn of
  // the range (mm/migrate_device.c:919), get_ksm_page() a stable node's kpfn (mm/ksm.c:690).
  assert.match(life!.detail ?? '', /migrate_device_range\(\) at mm\/migrate_device\.c:919 \(pfn-walker; checks/);
  assert.match(life!.detail ?? '', /get_ksm_page\(\) at mm\/ksm\.c:690 \(pfn-walker; checks/);
  // A race through a real walker's code: its get succeeds on the free page, with the series' new free path
  // in the interleaving.
  const races = s.findings.filter((f) => f.severity === 'error' && /^(speculative-get-on-free-page|double-free|use-after-free)$/.test(f.category));
  assert.ok(races.length > 0, s.findings.map((f) => `${f.severity} ${f.category}`).join('\n'));
  for (const f of races) {
    const trace = f.trace ?? [];
    assert.ok(trace.some((st) => st.func === '__put_devmap_managed_page_refs' && st.file === 'mm/memremap.c'), f.title);
    assert.ok(trace.some((st) => /^mm\/(ksm|migrate_device|memory_hotplug)\.c$/.test(st.file) && st.line > 0), f.title);
  }
  assert.ok(s.replies.length > 0, 'a reply to the author');
});

test('linux 6.1: free at 1, and soft_offline_page() let through to device private pages (its two guards gone): a new site meets them, and the race runs through its real code', async (t) => {
  if (!needTree(t)) return;
  // The second patch makes soft_offline_page() fall back to pfn_to_page() for a device private page
  // (mm/memory-failure.c, where pfn_to_online_page() kept ZONE_DEVICE out) and HWPoisonHandlable() let such a
  // page through for MF_SOFT_OFFLINE (its line 1263 after the series).
  const s = await review('soft-offline', await seriesOnTree(TREE, [...devprivFreeAt1, softOfflineDevice]));
  assert.equal(s.apply.status, 'applied', s.apply.detail);
  const life = s.findings.find((f) => f.category === 'page-life-change');
  assert.ok(life, s.findings.map((f) => f.title).join('\n'));
  // The speculative get it reaches: __get_hwpoison_page()'s get_page_unless_zero(head), line 1287 after the
  // series (1286 before it), now listed among the sites that can meet such a page.
  assert.match(life!.detail ?? '', /__get_hwpoison_page\(\) at mm\/memory-failure\.c:1287 \(pfn-walker from soft_offline_page\(\)/);
  const get = s.findings.find((f) => f.category === 'speculative-get-on-free-page' && /^soft_offline_page\(\) /.test(f.title));
  assert.ok(get, s.findings.map((f) => `${f.severity} ${f.category}: ${f.title}`).join('\n'));
  assert.equal(get!.severity, 'error');
  const trace = get!.trace ?? [];
  const show = trace.map((st) => `${st.cpu} ${st.func} ${st.file}:${st.line} ${st.op}`).join('\n');
  // The series' free path, then the walker through the check the series weakened, to the get.
  assert.ok(trace.some((st) => st.func === '__put_devmap_managed_page_refs' && st.file === 'mm/memremap.c' && st.line === 547), show);
  const handlable = trace.findIndex((st) => st.func === 'HWPoisonHandlable' && st.file === 'mm/memory-failure.c' && st.line === 1263);
  assert.ok(handlable >= 0, show);
  const last = trace[trace.length - 1];
  assert.ok(trace.length - 1 > handlable && (last.via ?? []).some((v) => v === '__get_hwpoison_page (mm/memory-failure.c:1287)'), show);
  assert.equal(last.refcount.page, 2, show);
});

test('linux 6.1: a new migration helper that returns with the count frozen on an error path: the caller\'s put underflows, the error path in the trace; the fixed helper is clean', async (t) => {
  if (!needTree(t)) return;
  const buggy = await review('freeze-buggy', await seriesOnTree(TREE, [moveHelper(false)]));
  assert.equal(buggy.apply.status, 'applied', buggy.apply.detail);
  // Only the new helper's findings: the series changes nothing else any scenario runs.
  assert.deepEqual([...new Set(buggy.findings.map((f) => f.category))].sort(), ['refcount-underflow'], buggy.findings.map((f) => `${f.category}: ${f.title}`).join('\n'));
  const under = buggy.findings[0];
  const trace = under.trace ?? [];
  // The freeze from the caller's only reference (1 -> 0), the error path taken on folio_mapped() (its
  // mapcount, mm/util.c), then the caller's put on the frozen count: put_page_testzero()'s VM_BUG_ON_PAGE.
  const freeze = trace.findIndex((st) => /folio_ref_freeze > page_ref_freeze: atomic_cmpxchg/.test(st.op) && st.refcount.page === 0);
  const mapped = trace.findIndex((st) => st.func === 'folio_mapped' && /assuming/.test(st.op));
  const put = trace.findIndex((st, i) => i > mapped && /^put_page > .*VM_BUG_ON_PAGE\(page_ref_count\(page\) == 0\)/.test(st.op) && st.refcount.page === 0);
  assert.ok(freeze >= 0 && mapped > freeze && put > mapped, trace.map((st) => `${st.func} ${st.file}:${st.line} ${st.op} ${JSON.stringify(st.refcount)}`).join('\n'));
  assert.match(under.detail ?? '', /Before the series: not applicable \(the tree has no folio_move_private_frozen\(\)\)/);
  const fixed = await review('freeze-fixed', await seriesOnTree(TREE, [moveHelper(true)]));
  assert.equal(fixed.apply.status, 'applied');
  assert.deepEqual(fixed.findings.map((f) => `${f.category}: ${f.title}`), []);
  assert.ok(fixed.notes.some((n) => /series-call\+walker-get-put\[folio_move_private_frozen\]|scenario run/.test(n)), fixed.notes.join('\n'));
});
