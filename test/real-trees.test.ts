// `kbot facts` on whole real kernel trees: Debian's linux-source-6.1 and linux-source-6.12 packages made git
// repositories by scripts/real-trees.sh (.ci/run does it), read under Debian's own kernel config. What is
// asserted is what the real code says; the file:line cited in each assertion is where it says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKbot } from './support/run-kbot.ts';
import type { TreeFacts } from '../sim/facts/facts.ts';
import type { ScenarioRun } from '../sim/run-scenario.ts';
import { writeFile } from 'node:fs/promises';

const ROOT = process.env.KBOT_TREES ?? '/var/cache/kbot/trees';
const tree = (v: string) => join(ROOT, `linux-${v}`);
const kconfig = (v: string) => `/usr/src/linux-config-${v}/config.amd64_none_amd64.xz`;
const have = (v: string) => existsSync(join(tree(v), '.git')) && existsSync(kconfig(v));

let work: string;
const facts = new Map<string, { json: TreeFacts & { tree: { head: string } }; ms: number; stdout: string }>();

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kbot-real-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `kbot facts --json` on the tree, as a user runs it (work dir of its own, so the first run reads the tree). */
async function factsOf(v: string) {
  if (!facts.has(v)) {
    const t0 = performance.now();
    const r = await runKbot(['facts', '--tree', tree(v), '--kconfig', kconfig(v), '--json'], { env: { TMPDIR: work } });
    assert.equal(r.code, 0, r.stderr);
    facts.set(v, { json: JSON.parse(r.stdout), ms: performance.now() - t0, stdout: r.stdout });
  }
  return facts.get(v)!.json;
}

/** Without the trees, CI fails (it must have them); a developer's run says how to get them. */
function needTree(t: { skip: (m: string) => void }, v: string): boolean {
  if (have(v)) return true;
  const why = `no ${tree(v)} or ${kconfig(v)}: run scripts/real-trees.sh ${v}`;
  if (process.env.CI) assert.fail(why);
  t.skip(why);
  return false;
}

const chainsOf = (f: TreeFacts, func: string) => f.sites.filter((s) => s.func === func).flatMap((s) => s.chains);
const entries = (f: TreeFacts, func: string) => new Set(chainsOf(f, func).map((c) => c.entry.func));

for (const v of ['6.1', '6.12']) {
  test(`linux ${v}: the real pfn walkers are found as pfn walkers, each with its real guards`, async (t) => {
    if (!needTree(t, v)) return;
    const f = await factsOf(v);
    // Compaction walks pfns and takes its reference only after PageLRU(page): mm/compaction.c:968 (6.1),
    // mm/compaction.c:1084 (6.12).
    const compaction = chainsOf(f, 'isolate_migratepages_block');
    assert.ok(compaction.length > 0 && compaction.every((c) => c.class === 'pfn-walker'));
    const lru = v === '6.1' ? 'mm/compaction.c:968' : 'mm/compaction.c:1084';
    assert.ok(compaction.every((c) => c.guards.some((g) => g.text === 'PageLRU(page)' && g.at === lru)), JSON.stringify(compaction[0].guards));
    assert.ok(entries(f, 'isolate_migratepages_block').has('isolate_migratepages_range'));
    // page_idle's get function takes the page from pfn_to_online_page() (mm/page_idle.c:35/36) and tests LRU
    // before its get: PageLRU at mm/page_idle.c:38 in 6.1, folio_test_lru at mm/page_idle.c:43 in 6.12.
    const idleFn = v === '6.1' ? 'page_idle_get_page' : 'page_idle_get_folio';
    const idle = chainsOf(f, idleFn);
    assert.deepEqual([...entries(f, idleFn)].sort(), ['page_idle_bitmap_read', 'page_idle_bitmap_write']);
    for (const c of idle) {
      assert.equal(c.class, 'pfn-walker');
      assert.equal(c.producer, 'pfn_to_online_page');
      const g = v === '6.1' ? { text: 'PageLRU(page)', at: 'mm/page_idle.c:38' } : { text: 'folio_test_lru(folio)', at: 'mm/page_idle.c:43' };
      assert.ok(c.guards.some((x) => x.text === g.text && x.at === g.at), JSON.stringify(c.guards));
    }
    // memory_failure(), soft_offline_page() and unpoison_memory() take any pfn and reach the hwpoison get
    // through get_hwpoison_page(); each turns its pfn into a page with pfn_to_online_page() first.
    const hw = chainsOf(f, '__get_hwpoison_page');
    assert.deepEqual([...new Set(hw.map((c) => c.entry.func))].filter((e) => /^(memory_failure|soft_offline_page|unpoison_memory)$/.test(e)).sort(),
      ['memory_failure', 'soft_offline_page', 'unpoison_memory']);
    for (const c of hw.filter((x) => /^(memory_failure|soft_offline_page|unpoison_memory)$/.test(x.entry.func))) {
      assert.equal(c.class, 'pfn-walker');
      assert.equal(c.producer, 'pfn_to_online_page', `${c.entry.func}: ${c.path.join(' > ')}`);
      assert.match(c.path.join(' > '), /get_hwpoison_page/);
    }
  });

  test(`linux ${v}: page-cache and GUP users are classified as what they are`, async (t) => {
    if (!needTree(t, v)) return;
    const f = await factsOf(v);
    // filemap's lookups take the folio from an xarray slot (xas_load/xas_find in mm/filemap.c).
    const cache = f.sites.filter((s) => s.at.startsWith('mm/filemap.c:') && /find_get_entry|filemap_get_read_batch/.test(s.func));
    assert.ok(cache.length >= 2);
    for (const s of cache) assert.deepEqual(s.classes, ['cache-lookup'], `${s.func} ${s.at}`);
    // GUP-fast takes the page from a pte (pte_page() in gup_pte_range / gup_fast_pte_range, mm/gup.c).
    const gup = f.sites.find((s) => s.func === (v === '6.1' ? 'gup_pte_range' : 'gup_fast_pte_range'));
    assert.ok(gup);
    assert.deepEqual(gup!.classes, ['mapping-walker']);
    // None of them is taken for a pfn walker.
    assert.ok(!f.sites.some((s) => /^(filemap_get_read_batch|find_get_entry|gup_pte_range|gup_fast_pte_range)$/.test(s.func) && s.classes.includes('pfn-walker')));
  });

  test(`linux ${v}: each page type's life, read from the tree's own init and put`, async (t) => {
    if (!needTree(t, v)) return;
    const f = await factsOf(v);
    const type = (n: string) => f.pageTypes.find((x) => x.name === n)!;
    // __init_zone_device_page() (mm/mm_init.c) sets PG_reserved on every ZONE_DEVICE page, and sets the count
    // of device-private and device-coherent pages back to 0 after __init_single_page() set it to 1.
    for (const n of ['device-private', 'device-coherent']) {
      assert.equal(type(n).init?.refcount, 0, n);
      assert.deepEqual(type(n).init?.flags, ['reserved'], n);
      assert.equal(type(n).init?.by.func, '__init_zone_device_page');
    }
    assert.equal(type('fsdax').init?.refcount, 1);
    // Device-private pages are free at 0: the final put reaches ->page_free() in free_zone_device_page()
    // (mm/memremap.c:509 in 6.1) / free_zone_device_folio() (mm/memremap.c:489 in 6.12).
    assert.equal(type('device-private').free?.refcount, 0);
    assert.equal(type('device-private').free?.at, v === '6.1' ? 'mm/memremap.c:509' : 'mm/memremap.c:489');
    assert.match(type('device-private').free!.event, /->page_free\(page\)$/);
    // fsdax pages are idle at 1: __put_devmap_managed_page_refs() wakes the waiters on the count when it drops
    // to 1 (mm/memremap.c:546 in 6.1, mm/memremap.c:526 in 6.12).
    assert.equal(type('fsdax').free?.refcount, 1);
    assert.equal(type('fsdax').free?.at, v === '6.1' ? 'mm/memremap.c:546' : 'mm/memremap.c:526');
    assert.match(type('fsdax').free!.event, /wake_up_var\(&page->_refcount\)$/);
    assert.equal(type('normal').free?.refcount, 0);
  });

  test(`linux ${v}: no guarded site is called unguarded`, async (t) => {
    if (!needTree(t, v)) return;
    const f = await factsOf(v);
    // Wherever a chain's check is false on a page type, the chain cannot meet that type, and says which check.
    for (const s of f.sites) {
      for (const c of s.chains) {
        for (const ty of f.pageTypes) {
          const stop = c.guards.find((g) => g.holds[ty.name] === false);
          if (stop && c.class === 'pfn-walker') {
            assert.equal(c.meets[ty.name].can, false, `${s.func} on ${ty.name}`);
          }
        }
      }
    }
    // The LRU-guarded walkers never meet a ZONE_DEVICE page: its init leaves no PG_lru.
    for (const c of chainsOf(f, 'isolate_migratepages_block')) {
      for (const ty of ['device-private', 'device-coherent', 'fsdax']) assert.equal(c.meets[ty].can, false, `${ty}: ${c.meets[ty].why}`);
    }
  });

  test(`linux ${v}: a use of the API in a file the build leaves out is listed as such, never a site`, async (t) => {
    if (!needTree(t, v)) return;
    const f = await factsOf(v);
    // Debian's config leaves CONFIG_FM10K unset, and drivers/net/ethernet/intel/Makefile builds fm10k/ only
    // under it: fm10k_main.c's speculative get is not in that kernel.
    const fm10k = 'drivers/net/ethernet/intel/fm10k/';
    assert.ok(f.outside.some((o) => o.startsWith(fm10k)), f.outside.join(' '));
    assert.deepEqual(f.sites.filter((s) => s.at.startsWith(fm10k)).map((s) => s.at), []);
  });

  test(`linux ${v}: kbot sim runs every instance the facts give, within its budget, and the real code's conventions come out`, async (t) => {
    if (!needTree(t, v)) return;
    await factsOf(v);
    const config = join(work, `sim-${v}.yaml`);
    await writeFile(config, 'sim:\n  max_seconds: 40\n');
    const r = await runKbot(['sim', '--tree', tree(v), '--kconfig', kconfig(v), '--config', config, '--json'], { env: { TMPDIR: work } });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { ms: number; scenarios: ScenarioRun[] };
    const runs = out.scenarios;
    const names = runs.map((x) => x.name);
    // The tree's real pfn walkers are instances: compaction's and page_idle's on LRU pages, hwpoison's entries.
    for (const w of ['isolate_migratepages_block', 'memory_failure', 'soft_offline_page', 'page_idle_bitmap_read']) {
      assert.ok(names.includes(`lru-free+walker-get-put[${w}]`), `${w}: ${names.join(' ')}`);
    }
    // Every instance ran: none was left unrun by those before it, each explored states or says why not.
    for (const x of runs) {
      assert.notEqual(x.status, 'not-run', x.name);
      assert.ok(x.stats.states > 0 || x.reason, `${x.name}: ${x.status}`);
      if (x.status === 'incomplete') assert.match(x.reason ?? '', /budget .* reached/, x.name);
    }
    // The real code is right on normal pages: no walker whose get sits behind a page test (PageLRU(page) in
    // compaction, mm/compaction.c; the LRU test in page_idle, mm/page_idle.c) gets, frees or underflows an LRU
    // page wrongly.
    const refcountBugs = /^(speculative-get-on-free-page|use-after-free|double-free|refcount-underflow)$/;
    for (const x of runs.filter((y) => /^lru-/.test(y.scenario) && /isolate_migratepages_block|page_idle_bitmap_(read|write)/.test(y.walker ?? ''))) {
      assert.deepEqual(x.violations.filter((y) => refcountBugs.test(y.category)).map((y) => y.message), [], x.name);
    }
    // fsdax pages are idle at refcount 1 in both trees ("fsdax page refcounts are 1-based": mm/memremap.c,
    // __put_devmap_managed_page_refs() in 6.1, __put_devmap_managed_folio_refs() in 6.12): a lockless
    // get_page_unless_zero() with no check before it succeeds on an idle fsdax page. The generic walker shows it.
    const generic = runs.find((x) => x.name === 'fsdax-idle+walker-get-put[generic]')!;
    const get = generic.violations.find((x) => x.category === 'speculative-get-on-free-page');
    assert.ok(get, JSON.stringify(generic.violations.map((x) => x.message)));
    assert.match(get!.message, /succeeds on page while it is free \(refcount 1 -> 2\)/);
    assert.ok(get!.trace.some((st) => /^__put_devmap_managed_(page|folio)_refs$/.test(st.func) && st.file === 'mm/memremap.c'));
  });

  test(`linux ${v}: a second run reads the facts of the commit from the cache`, async (t) => {
    if (!needTree(t, v)) return;
    const first = await factsOf(v);
    const r = await runKbot(['facts', '--tree', tree(v), '--kconfig', kconfig(v), '--json'], { env: { TMPDIR: work } });
    assert.equal(r.code, 0, r.stderr);
    const again = JSON.parse(r.stdout) as TreeFacts;
    assert.deepEqual(again.sites, first.sites);
    assert.ok(again.notes.some((n) => /read from the cache/.test(n)));
  });
}
