// `kbot review` of a series written against Debian's whole linux-source-6.12 tree (scripts/real-trees.sh makes
// it a git repository; .ci/run does that), in the shape of the 2017 HMM patch (shared/seeds): a branch at the
// top of the inline put_page(). What is asserted is what the real code says: file:line cites the tree (or the
// series' own lines, for code the series adds).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reviewJson } from './support/run-kbot.ts';
import { seriesOnTree } from './support/series-on-tree.ts';
import { devprivFreeAt1 } from './support/real-series-612.ts';

const ROOT = process.env.KBOT_TREES ?? '/var/cache/kbot/trees';
const TREE = join(ROOT, 'linux-6.12');
const KCONFIG = '/usr/src/linux-config-6.12/config.amd64_none_amd64.xz';

let work: string;
let config: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kbot-real-review-612-'));
  config = join(work, 'kbot.yaml');
  // A budget three times the default: what is asserted is what kbot finds, not how fast (npm run bench says that).
  await writeFile(config, `work_dir: ${join(work, 'kbot')}\nsim:\n  kconfig_file: ${KCONFIG}\n  max_seconds: 60\n`);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('linux 6.12: device private folios made free at refcount 1 by a branch in put_page(), as the 2017 patch did: the change, the sites that meet such pages, and a race through a real walker', async (t) => {
  if (!(existsSync(join(TREE, '.git')) && existsSync(KCONFIG))) {
    const why = `no ${TREE} or ${KCONFIG}: run scripts/real-trees.sh 6.12`;
    if (process.env.CI) assert.fail(why);
    return t.skip(why);
  }
  const file = join(work, 'free-at-1.mbox');
  await writeFile(file, await seriesOnTree(TREE, devprivFreeAt1));
  const { json } = await reviewJson([file, '--tree', TREE, '--config', config], { env: { TMPDIR: work } });
  const s = json.series[0];
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
