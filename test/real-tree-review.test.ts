// `kbot review` of series written against Debian's whole linux-source-6.1 tree (scripts/real-trees.sh makes it
// a git repository; .ci/run does that), as a kernel developer would write them. What is asserted is what the
// real code says: file:line cites the tree (or the series' own lines, for code the series adds).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reviewJson, type JsonSeries } from './support/run-kbot.ts';
import { seriesOnTree } from './support/series-on-tree.ts';

const ROOT = process.env.KBOT_TREES ?? '/var/cache/kbot/trees';
const TREE = join(ROOT, 'linux-6.1');
const KCONFIG = '/usr/src/linux-config-6.1/config.amd64_none_amd64.xz';
const SOB = 'Signed-off-by: Ines Albrecht <ines.albrecht@example.org>';

let work: string;
let config: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kbot-real-review-'));
  config = join(work, 'kbot.yaml');
  await writeFile(config, `work_dir: ${join(work, 'kbot')}\nsim:\n  kconfig_file: ${KCONFIG}\n`);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function needTree(t: { skip: (m: string) => void }): boolean {
  if (existsSync(join(TREE, '.git')) && existsSync(KCONFIG)) return true;
  const why = `no ${TREE} or ${KCONFIG}: run scripts/real-trees.sh 6.1`;
  if (process.env.CI) assert.fail(why);
  t.skip(why);
  return false;
}

async function review(name: string, mbox: string): Promise<JsonSeries> {
  const file = join(work, `${name}.mbox`);
  await writeFile(file, mbox);
  const { json } = await reviewJson([file, '--tree', TREE, '--config', config], { env: { TMPDIR: work } });
  assert.equal(json.series.length, 1);
  return json.series[0];
}

test('linux 6.1: a comment-only patch to mm/memremap.c has nothing to check, and says so', async (t) => {
  if (!needTree(t)) return;
  const s = await review('comment', await seriesOnTree(TREE, [{
    subject: 'mm/memremap: say who takes a freed fsdax page',
    body: `free_zone_device_page() says why it resets the count but not who relies\non it. Say so.\n\n${SOB}`,
    edits: [{
      path: 'mm/memremap.c',
      find: '\t\t * Reset the page count to 1 to prepare for handing out the page\n\t\t * again.',
      replace: '\t\t * Reset the page count to 1 to prepare for handing out the page\n\t\t * again: the filesystem takes it from there.',
    }],
  }]));
  assert.equal(s.apply.status, 'applied');
  assert.deepEqual(s.findings, []);
  assert.equal(s.reply, null);
  assert.ok(s.notes.some((n) => /refcount-sim: nothing to check/.test(n)), s.notes.join('\n'));
});

test('linux 6.1: device private pages made free at refcount 1 again (the 2017 convention): the change, the sites that meet such pages, and a race through one of them', async (t) => {
  if (!needTree(t)) return;
  // As the HMM series of 2017 did: the final put hands the page back to its driver on 2 -> 1
  // (__put_devmap_managed_page_refs(), which put_page() calls for ZONE_DEVICE pages, mm/memremap.c), the
  // memmap init leaves device private pages at 1 (__init_zone_device_page(), mm/mm_init.c:212) and the driver's
  // allocation takes a reference on top (zone_device_page_init()).
  const s = await review('free-at-1', await seriesOnTree(TREE, [{
    subject: 'mm/memremap: free device private pages at refcount 1',
    body: `A device private page goes through the whole __folio_put() path before\nit reaches its driver's ->page_free(). Keep free device private pages at\nrefcount 1 instead, and give them back to the driver on the 2 -> 1\ntransition, as put_page() did for HMM pages.\n\n${SOB}`,
    edits: [
      {
        path: 'mm/memremap.c',
        find: 'bool __put_devmap_managed_page_refs(struct page *page, int refs)\n{\n',
        replace: 'bool __put_devmap_managed_page_refs(struct page *page, int refs)\n{\n\tif (page->pgmap->type == MEMORY_DEVICE_PRIVATE) {\n\t\t/*\n\t\t * Free device private pages sit at refcount 1 on their\n\t\t * driver\'s free list: give the page back on 2 -> 1.\n\t\t */\n\t\tif (page_ref_sub_return(page, refs) == 1)\n\t\t\tpage->pgmap->ops->page_free(page);\n\t\treturn true;\n\t}\n\n',
      },
      {
        path: 'mm/memremap.c',
        find: '\tWARN_ON_ONCE(!percpu_ref_tryget_live(&page->pgmap->ref));\n\tset_page_count(page, 1);',
        replace: '\tWARN_ON_ONCE(!percpu_ref_tryget_live(&page->pgmap->ref));\n\t/* A free device private page is at 1 already (see put_page()). */\n\tif (page->pgmap->type == MEMORY_DEVICE_PRIVATE)\n\t\tpage_ref_inc(page);\n\telse\n\t\tset_page_count(page, 1);',
      },
      {
        path: 'mm/mm_init.c',
        find: '\tif (pgmap->type == MEMORY_DEVICE_PRIVATE ||\n\t    pgmap->type == MEMORY_DEVICE_COHERENT)\n\t\tset_page_count(page, 0);',
        replace: '\tif (pgmap->type == MEMORY_DEVICE_COHERENT)\n\t\tset_page_count(page, 0);',
      },
    ],
  }]));
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
  assert.ok(s.reply, 'a reply to the author');
});
