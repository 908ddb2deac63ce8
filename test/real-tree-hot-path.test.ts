// hot-path-cost and checkpatch on Debian's whole linux-source-6.1 tree (scripts/real-trees.sh), read under
// Debian's own .config, through the real pipeline with these two analyzers: the seed's put_page() branch
// (open-coded, and as is_device_private_page(), which Debian's config compiles out), the same behind a static
// key, a branch in __folio_put() (not inlined), and the tree's own scripts/checkpatch.pl on each patch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/read-config.ts';
import { reviewInput } from '../bot/review.ts';
import { kconfigFor } from '../bot/sim-options.ts';
import { sideAnalyzers } from '../bot/side-analyzers.ts';
import { seriesOnTree, type TreePatch } from './support/series-on-tree.ts';
import { coldBranch, helperAheadOfKey, helperBehindKey, seedStyle, seedStyleKeyed, seedStyleOpenCoded, styleError, styleWarning } from './support/hot-path-series-61.ts';
import type { SeriesReview } from '../bot/types.ts';

const ROOT = process.env.KBOT_TREES ?? '/var/cache/kbot/trees';
const TREE = join(ROOT, 'linux-6.1');
const KCONFIG = '/usr/src/linux-config-6.1/config.amd64_none_amd64.xz';
const have = existsSync(join(TREE, '.git')) && existsSync(KCONFIG);

let work: string;
const reviews = new Map<string, SeriesReview>();
let timedOut: SeriesReview | undefined;
let warningsOn: SeriesReview | undefined;

async function reviewAll(named: Record<string, TreePatch[]>, extra: Record<string, unknown> = {}): Promise<Map<string, SeriesReview>> {
  const config = parseConfig({ work_dir: join(work, 'kbot'), sim: { kconfig_file: KCONFIG }, ...extra });
  const kc = await kconfigFor(config);
  const analyzers = await sideAnalyzers(config, kc);
  const out = new Map<string, SeriesReview>();
  for (const [name, patches] of Object.entries(named)) {
    const file = join(work, `${name}.mbox`);
    await writeFile(file, await seriesOnTree(TREE, patches));
    const r = await reviewInput({ input: file, tree: TREE, config, analyzers });
    assert.equal(r.series.length, 1);
    assert.equal(r.series[0].apply.status, 'applied', `${name}: ${r.series[0].apply.detail}`);
    out.set(name, r.series[0]);
  }
  return out;
}

before(async () => {
  if (!have) return;
  work = await mkdtemp(join(tmpdir(), 'kbot-real-hot-path-'));
  for (const [k, v] of await reviewAll({ seedStyleOpenCoded, seedStyle, seedStyleKeyed, coldBranch, styleError, styleWarning, helperAheadOfKey, helperBehindKey })) reviews.set(k, v);
  warningsOn = (await reviewAll({ styleWarning }, { checkpatch: { warnings: true } })).get('styleWarning');
  timedOut = (await reviewAll({ styleError }, { checkpatch: { max_seconds: 0.001 } })).get('styleError');
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function needTree(t: { skip: (m: string) => void }): boolean {
  if (have) return true;
  const why = `no ${TREE} or ${KCONFIG}: run scripts/real-trees.sh 6.1`;
  if (process.env.CI) assert.fail(why);
  t.skip(why);
  return false;
}

const hot = (s: SeriesReview) => s.findings.filter((f) => f.category === 'hot-path-cost');
const coverage = (s: SeriesReview, a: string) => s.coverage!.find((c) => c.analyzer === a)!;

test('linux 6.1: the seed\'s branch in put_page(), open-coded: a load and a branch on every one of put_page()\'s call sites, and the static key', (t) => {
  if (!needTree(t)) return;
  const s = reviews.get('seedStyleOpenCoded')!;
  const [f, ...rest] = hot(s);
  assert.ok(f, s.notes.join('\n'));
  assert.equal(rest.length, 0);
  assert.equal(f.severity, 'warning');
  // page_zonenum()'s load of page->flags and its test, for every page; then page->pgmap and its type.
  const m = /^put_page\(\) gains 1 load and a branch on every call \((\d+) call sites\); put it behind a static key$/.exec(f.title);
  assert.ok(m, f.title);
  assert.ok(Number(m[1]) > 500, `put_page() is called from ${m[1]} places in 6.1`);
  assert.match(f.detail!, /3 loads and 2 branches when every operand is evaluated/);
  // The drivers that make device private pgmaps: where the key would be enabled.
  for (const d of ['drivers/gpu/drm/nouveau/nouveau_dmem.c', 'lib/test_hmm.c']) assert.ok(f.callSites!.some((c) => c.startsWith(`${d}:`)), f.callSites!.join(' '));
  assert.match(f.detail!, /not behind a static key, nor behind a config option that \/usr\/src\/linux-config-6\.1\/config\.amd64_none_amd64\.xz leaves off/);
  assert.deepEqual(f.suggestion?.slice(2), ['if (static_branch_unlikely(&memory_device_private_key) &&', '    is_zone_device_page(page) && page->pgmap->type == MEMORY_DEVICE_PRIVATE)']);
  assert.equal(f.suggestion?.[0], 'DEFINE_STATIC_KEY_FALSE(memory_device_private_key);');
  assert.match(f.detail!, /^This series adds the test is_zone_device_page\(page\) && page->pgmap->type == MEMORY_DEVICE_PRIVATE \(include\/linux\/mm\.h:\d+\) to put_page\(\)/);
  // page_zonenum()'s KCSAN assertion is a macro kbot does not expand: said, and the count is medium-sure.
  assert.match(f.detail!, /Not read as inline C: ASSERT_EXCLUSIVE_BITS\(\) \(a macro\)\./);
  assert.equal(f.confidence, 'medium');
});

test('linux 6.1: the same branch as is_device_private_page(): Debian\'s config leaves CONFIG_DEVICE_PRIVATE off, so it costs nothing there, and kbot says why', (t) => {
  if (!needTree(t)) return;
  const s = reviews.get('seedStyle')!;
  assert.deepEqual(hot(s), []);
  assert.match(coverage(s, 'hot-path-cost').checked, /put_page\(\).*compiled out: is_device_private_page\(page\) \(IS_ENABLED\(CONFIG_DEVICE_PRIVATE\) in is_device_private_page\(\) is off in \/usr\/src\/linux-config-6\.1\//);
});

test('linux 6.1: behind static_branch_unlikely(): no finding', (t) => {
  if (!needTree(t)) return;
  const s = reviews.get('seedStyleKeyed')!;
  assert.deepEqual(hot(s), []);
  assert.match(coverage(s, 'hot-path-cost').checked, /behind static_branch_unlikely\(&device_private_key\)/);
});

test('linux 6.1: a branch in __folio_put() (mm/swap.c, out of line): no finding', (t) => {
  if (!needTree(t)) return;
  const s = reviews.get('coldBranch')!;
  assert.deepEqual(hot(s), []);
  assert.match(coverage(s, 'hot-path-cost').checked, /0 on a hot path\. 1 not hot \(__folio_put\(\)\)/);
});

test('linux 6.1: checkpatch.pl of the tree reports the style error at its file:line; a clean patch has none', (t) => {
  if (!needTree(t)) return;
  const bad = reviews.get('styleError')!;
  const errs = bad.findings.filter((f) => f.category === 'checkpatch');
  assert.equal(errs.length, 1, errs.map((f) => f.title).join('\n'));
  const [e] = errs;
  assert.equal(e.analyzer, 'checkpatch');
  assert.equal(e.severity, 'warning');
  assert.equal(e.title, "checkpatch ERROR SPACING at mm/swap.c:115: space required before the open parenthesis '('");
  assert.deepEqual(e.callSites, ['mm/swap.c:115']);
  assert.ok(e.hunk.includes('+\tif(folio_is_device_private(folio))'), e.hunk.join('\n'));
  const cov = coverage(bad, 'checkpatch');
  assert.equal(cov.status, 'ran');
  assert.match(cov.checked, /^scripts\/checkpatch\.pl of [0-9a-f]{12} \(perl, --no-tree --terse --show-types\) on 1 of 1 patch\(es\): 1 ERROR\(s\)/);
  for (const name of ['coldBranch', 'seedStyleKeyed', 'seedStyleOpenCoded']) {
    const s = reviews.get(name)!;
    assert.deepEqual(s.findings.filter((f) => f.category === 'checkpatch'), [], name);
    assert.match(coverage(s, 'checkpatch').checked, /on 1 of 1 patch\(es\): 0 ERROR\(s\)/, name);
  }
});

test('linux 6.1: a checkpatch run past checkpatch.max_seconds is stopped, and the report says so', (t) => {
  if (!needTree(t)) return;
  const cov = coverage(timedOut!, 'checkpatch');
  assert.deepEqual(cov.limits, ['checkpatch: patch 1/1 was stopped after checkpatch.max_seconds (0.001 s); what it printed before that is reported']);
  assert.ok(timedOut!.notes.includes(cov.limits![0]));
});

test('linux 6.1: checkpatch WARNINGs are counted but not reported unless checkpatch.warnings asks; then they are info', (t) => {
  if (!needTree(t)) return;
  const off = reviews.get('styleWarning')!;
  assert.deepEqual(off.findings.filter((f) => f.category === 'checkpatch'), []);
  assert.match(coverage(off, 'checkpatch').checked, /0 ERROR\(s\), 1 WARNING\(s\), 0 CHECK\(s\) \(WARNINGs and CHECKs not reported: checkpatch\.warnings is off\)/);
  const on = warningsOn!.findings.filter((f) => f.category === 'checkpatch');
  assert.equal(on.length, 1, on.map((f) => f.title).join('\n'));
  assert.equal(on[0].severity, 'info');
  assert.match(on[0].title, /^checkpatch WARNING LONG_LINE_COMMENT at mm\/swap\.c:115: line length of \d+ exceeds 100 columns$/);
  // info is not mailed: the series is clean.
  assert.deepEqual(warningsOn!.replies, []);
});

test('linux 6.1: a test put ahead of the devmap_managed_key test in put_devmap_managed_page_refs(), which every put_page() inlines: put_page() pays; behind the key: nothing', (t) => {
  if (!needTree(t)) return;
  const ahead = reviews.get('helperAheadOfKey')!;
  const [f, ...rest] = hot(ahead);
  assert.ok(f, ahead.notes.join('\n'));
  assert.equal(rest.length, 0);
  assert.match(f.title, /^put_page\(\) gains 1 load and a branch on every call \(\d+ call sites\) through put_devmap_managed_page_refs\(\); put it behind a static key$/);
  assert.match(f.detail!, /put_devmap_managed_page_refs\(\) is inlined on every call of put_page\(\), which is listed in hot_path\.functions; the tree calls put_page\(\) from \d+ places\./);
  const behind = reviews.get('helperBehindKey')!;
  assert.deepEqual(hot(behind), []);
  assert.match(coverage(behind, 'hot-path-cost').checked, /put_devmap_managed_page_refs\(\) \(include\/linux\/mm\.h:\d+; inlined on every call of put_page\(\).*nothing added on every call: \d+ addition\(s\) behind static_branch_unlikely\(&devmap_managed_key\)/);
});
