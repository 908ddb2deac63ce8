// The simulator on whole trees: the example trees of two kernel eras, before and after each example series.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildExampleTree, examplesDir } from '../examples/build-tree.ts';
import { GitTreeView } from '../bot/tree/git-tree-view.ts';
import { MemTreeView } from '../analyzers/mem-tree-view.ts';
import { loadScenarios } from '../bot/load-scenarios.ts';
import { simulate, simulateTree, touchesRefcounts } from './simulate.ts';
import { DEFAULT_KCONFIG, type SimOptions } from './run-scenario.ts';
import type { Scenario } from './scenarios/scenario.ts';
import type { Judgement } from './judge.ts';

let dir: string;
let scenarios: Scenario[];
const views: GitTreeView[] = [];
const opts: SimOptions = { kconfig: DEFAULT_KCONFIG, walkers: 1, maxStates: 100_000, maxMs: 30_000 };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbot-sim-'));
  scenarios = await loadScenarios();
});
after(async () => {
  for (const v of views) v.close();
  await rm(dir, { recursive: true, force: true });
});

const built = new Map<string, ReturnType<typeof buildPatched>>();

/** The example tree, with the example series applied: views of the tree before and after it. */
function patched(tree: string, series: string) {
  const key = `${tree}-${series}`;
  if (!built.has(key)) built.set(key, buildPatched(tree, series));
  return built.get(key)!;
}

async function buildPatched(tree: string, series: string) {
  const t = await buildExampleTree(tree, join(dir, `${tree}-${series}`));
  const env = { ...process.env, GIT_COMMITTER_NAME: 'kbot', GIT_COMMITTER_EMAIL: 'kbot@localhost' };
  execFileSync('git', ['am', '-q', '--empty=drop', join(examplesDir, 'series', `${series}.mbox`)], { cwd: t.path, env });
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: t.path }).toString().trim();
  const b = new GitTreeView(t.path, t.head);
  const a = new GitTreeView(t.path, head);
  views.push(b, a);
  return { before: b, after: a, path: t.path };
}

function introduced(js: Judgement[]) {
  return js.filter((j) => j.result === 'unexpected').flatMap((j) => j.introduced.map((v) => ({ j, v })));
}

test('seed: put_page() freeing device-private pages at refcount 1 lets memory_failure() get and free a free page', async () => {
  const t = await patched('v4.12-style', 'hmm-devpriv-free-at-1');
  const res = await simulate({ before: t.before, after: t.after, scenarios, options: opts, changedLines: ['put_page(page);'] });
  const found = introduced(res.judgements);
  const cats = new Set(found.map((f) => f.v.category));
  assert.ok(cats.has('speculative-get-on-free-page'), [...cats].join());
  assert.ok(cats.has('double-free'), [...cats].join());
  // Of the tree's walkers only the unguarded one is blamed; the guarded ones (PageLRU first) never are. The
  // generic walker (no checks at all) breaks too: the patch breaks the promise get_page_unless_zero() relies on.
  assert.deepEqual([...new Set(found.map((f) => f.j.after.walker ?? 'generic'))].sort(), ['generic', 'memory_failure']);
  // The guarded ones are ruled out before any run: the facts evaluate their PageLRU() on a device-private page.
  const guarded = res.facts!.after.sites.filter((s) => s.func !== 'get_hwpoison_page');
  assert.deepEqual(guarded.map((s) => s.func).sort(), ['__isolate_lru_page', 'page_idle_get_page']);
  for (const s of guarded) {
    for (const c of s.chains) {
      assert.equal(c.meets['device-private'].can, false, `${s.func}: ${JSON.stringify(c.meets['device-private'])}`);
      assert.match(c.meets['device-private'].why, /^PageLRU\(page\) is false for a device-private page \(mm\/(compaction|page_idle)\.c:\d+\)$/);
    }
  }
  assert.ok(!res.judgements.some((j) => j.after.scenario === 'devpriv-free+walker-get-put' && /isolate|page_idle/.test(j.after.walker ?? '')));
  // The base knows no device-private pages: the scenario does not apply there, and the reply says so.
  const df = found.find((f) => f.v.category === 'double-free' && f.j.after.walker === 'memory_failure')!;
  assert.match(df.j.baseline, /not applicable \(the tree has no MEMORY_DEVICE_PRIVATE\)/);
  assert.equal(df.j.after.freeRefcount, 1);

  // The trace: the owner's put frees the page, the walker's get succeeds on it, the walker's put frees it again.
  const steps = df.v.trace;
  const text = (s: (typeof steps)[number]) => `${s.cpu} ${s.func} ${s.file}:${s.line} ${s.op} ${(s.via ?? []).join(' < ')}`;
  const get = steps.findIndex((s) => /atomic_add_unless/.test(s.op) && (s.via ?? []).some((v) => v.startsWith('get_page_unless_zero')));
  assert.ok(get > 0, steps.map(text).join('\n'));
  assert.equal(steps[get].refcount.page, 2);
  assert.equal(steps[get].pageState?.page, 'free');
  const frees = steps.filter((s) => /page_free/.test(s.op));
  assert.equal(frees.length, 2, steps.map(text).join('\n'));
  assert.notEqual(frees[0].cpu, frees[1].cpu);
  assert.ok(steps.slice(get).some((s) => (s.via ?? []).some((v) => v.startsWith('put_page'))), steps.map(text).join('\n'));
  // file:line point at the tree's own lines.
  for (const s of [steps[get], frees[1]]) {
    const line = (await t.after.readFile(s.file))!.split('\n')[s.line - 1];
    assert.match(line, /atomic_add_unless|page_free/, `${s.file}:${s.line}: ${line}`);
  }
  const viaGet = steps[get].via!.find((v) => v.startsWith('get_page_unless_zero'))!;
  const [, file, ln] = /\((.+):(\d+)\)$/.exec(viaGet)!;
  assert.match((await t.after.readFile(file))!.split('\n')[Number(ln) - 1], /get_page_unless_zero|page_ref_add_unless/);
});

test('the same feature freeing device-private pages at refcount 0 (allocation does 0 -> 1): no finding', async () => {
  const t = await patched('v4.12-style', 'hmm-devpriv-free-at-0');
  const res = await simulate({ before: t.before, after: t.after, scenarios, options: { ...opts, walkers: 2 }, changedLines: ['put_page(page);'] });
  assert.deepEqual(introduced(res.judgements).map((f) => `${f.j.name} ${f.v.category}`), []);
  const dev = res.judgements.filter((j) => j.after.scenario === 'devpriv-free+walker-get-put');
  assert.ok(dev.length > 0);
  for (const j of dev) {
    assert.equal(j.after.status, 'ok', `${j.name}: ${j.after.status} ${j.after.reason ?? ''}`);
    assert.equal(j.after.freeRefcount, 0);
    assert.ok(j.after.stats.complete && j.after.stats.states > 0);
  }
});

test('the unpatched trees of both eras: no violation in any scenario', async () => {
  for (const name of ['v4.12-style', 'v6.6-style']) {
    const t = await buildExampleTree(name, join(dir, `plain-${name}`));
    const view = new GitTreeView(t.path, t.head);
    views.push(view);
    const runs = (await simulateTree(view, scenarios, opts)).runs;
    assert.ok(runs.some((r) => r.status === 'ok'), `${name}: nothing ran`);
    for (const r of runs) assert.ok(r.status === 'ok' || r.status === 'not-applicable', `${name} ${r.name}: ${r.status} ${r.reason ?? ''}`);
  }
});

test('a series that touches no refcount code: nothing to check, without reading the tree', async () => {
  const t = await patched('v4.12-style', 'no-refcount');
  const diff = execFileSync('git', ['diff', `${t.before.commit}..${t.after.commit}`], { cwd: t.path }).toString();
  const changed = diff.split('\n').filter((l) => /^[+-][^+-]/.test(l)).map((l) => l.slice(1));
  assert.ok(changed.length > 0);
  // Trees that count what is read from them: the gate decides from the changed lines alone.
  let reads = 0;
  const counting = (v: typeof t.before) => ({
    readFile: (p: string) => { reads++; return v.readFile(p); },
    grep: (pat: string, paths?: string[]) => { reads++; return v.grep(pat, paths); },
  });
  const res = await simulate({ before: counting(t.before), after: counting(t.after), scenarios, options: opts, changedLines: changed });
  assert.equal(res.nothingToCheck, 'the series changes no page refcount or page life code');
  assert.equal(res.judgements.length, 0);
  assert.equal(reads, 0);
  assert.equal(touchesRefcounts(['\tif (page_ref_dec_return(page) == 1)']), true);
});

test('folio era: device-private folios freed at refcount 1 are caught through the folio wrappers', async () => {
  const t = await patched('v6.6-style', 'folio-devpriv-free-at-1');
  const res = await simulate({ before: t.before, after: t.after, scenarios, options: opts, changedLines: ['folio_put(folio);'] });
  const found = introduced(res.judgements);
  const cats = new Set(found.map((f) => f.v.category));
  assert.ok(cats.has('speculative-get-on-free-page') && cats.has('double-free'), [...cats].join());
  // memory_failure() starts with pfn_to_online_page() in this era: it is never blamed, and the facts say why.
  assert.ok(!found.some((f) => f.j.after.walker === 'memory_failure'));
  const mf = res.facts!.after.sites.flatMap((s) => s.chains).filter((c) => c.entry.func === 'memory_failure');
  assert.ok(mf.length > 0);
  for (const c of mf) assert.deepEqual(c.meets['device-private'], { can: false, why: 'pfn_to_online_page() finds no device-private page (not in an online section)' });
  assert.equal(found[0].j.baseline, 'clean');
});

test('fsdax pages idle at refcount 1 with a wake-up on 2 -> 1: a walker can take the idle page', async () => {
  const t = await patched('v6.6-style', 'fsdax-idle-at-1');
  const res = await simulate({ before: t.before, after: t.after, scenarios, options: opts, changedLines: ['wake_up_var(&page->_refcount);'] });
  const found = introduced(res.judgements).filter((f) => f.j.after.scenario === 'fsdax-idle+walker-get-put');
  assert.ok(found.some((f) => f.v.category === 'speculative-get-on-free-page'), found.map((f) => f.v.category).join());
  const j = found[0].j;
  assert.equal(j.after.freeRefcount, 1);
  assert.equal(j.before.freeRefcount, 0);
  assert.ok(found[0].v.trace.some((s) => /wake_up_var/.test(s.op)));
});

test('more walkers: the same findings, more states, still complete', async () => {
  const t = await patched('v4.12-style', 'hmm-devpriv-free-at-1');
  const one = (await simulateTree(t.after, scenarios, opts, 'devpriv-free+walker-get-put[memory_failure]')).runs;
  const three = (await simulateTree(t.after, scenarios, { ...opts, walkers: 3 }, 'devpriv-free+walker-get-put[memory_failure]')).runs;
  assert.equal(one.length, 1);
  assert.equal(three.length, 1);
  assert.ok(three[0].stats.complete);
  assert.ok(three[0].stats.states > one[0].stats.states);
  assert.deepEqual(three[0].violations.map((v) => v.category).sort(), one[0].violations.map((v) => v.category).sort());
  // Breadth first: the shortest double free takes the same number of steps whatever the number of walkers.
  const len = (r: typeof one) => r[0].violations.find((v) => v.category === 'double-free')!.trace.length;
  assert.equal(len(three), len(one));
});

test('a state budget too small says incomplete honestly', async () => {
  const t = await patched('v4.12-style', 'hmm-devpriv-free-at-0');
  const runs = (await simulateTree(t.after, scenarios, { ...opts, walkers: 3, maxStates: 20 }, 'devpriv-free+walker-get-put[memory_failure]')).runs;
  assert.equal(runs[0].status, 'incomplete');
  assert.match(runs[0].reason ?? '', /state budget 20/);
});

test('a tree with no driver registering page_free: a stand-in driver takes the page, and the race is still found', async () => {
  const t = await patched('v4.12-style', 'hmm-devpriv-free-at-1');
  const files: Record<string, string> = {};
  for (const f of await t.after.listFiles()) if (!f.startsWith('lib/')) files[f] = (await t.after.readFile(f))!;
  const driverless = new MemTreeView(files, 'driverless');
  const runs = (await simulateTree(driverless, scenarios, opts, 'devpriv-free+walker-get-put[memory_failure]')).runs;
  assert.equal(runs[0].status, 'violations', `${runs[0].status} ${runs[0].reason ?? ''}`);
  const cats = runs[0].violations.map((v) => v.category);
  assert.ok(cats.includes('speculative-get-on-free-page') && cats.includes('double-free'), cats.join());
  assert.ok(runs[0].notes.some((n) => /no driver in the tree sets up such pages with a page_free or folio_free callback/.test(n)), runs[0].notes.join('\n'));
});

test('a walker of the tree\'s own shape: a pfn range loop with start/end parameters is entered over the page', async () => {
  const t = await patched('v4.12-style', 'hmm-devpriv-free-at-1');
  const files: Record<string, string> = {};
  for (const f of await t.after.listFiles()) files[f] = (await t.after.readFile(f))!;
  // A scanner written for this test: no parameter is called pfn, and nothing keeps it off device pages.
  files['mm/page_scan.c'] = `#include <linux/mm.h>

static unsigned long scanned;

void scan_page_range(unsigned long start, unsigned long end)
{
	unsigned long i;

	for (i = start; i < end; i++) {
		struct page *page = pfn_to_page(i);

		if (!get_page_unless_zero(page))
			continue;
		scanned++;
		put_page(page);
	}
}
`;
  const runs = (await simulateTree(new MemTreeView(files, 'scan'), scenarios, opts, 'devpriv-free+walker-get-put')).runs;
  const scan = runs.find((r) => r.walker === 'scan_page_range');
  assert.ok(scan, runs.map((r) => r.name).join(', '));
  assert.equal(scan.status, 'violations', `${scan.status} ${scan.reason ?? ''}`);
  const df = scan.violations.find((v) => v.category === 'double-free')!;
  assert.ok(df.trace.some((s) => s.file === 'mm/page_scan.c' || (s.via ?? []).some((v) => v.includes('mm/page_scan.c'))));
});

test('migration: a page_ref_freeze() that reads then sets (not one cmpxchg) loses a walker\'s reference', async () => {
  const t = await buildExampleTree('v4.12-style', join(dir, 'freeze'));
  const view = new GitTreeView(t.path, t.head);
  views.push(view);
  const files: Record<string, string> = {};
  for (const f of await view.listFiles()) files[f] = (await view.readFile(f))!;
  const atomic = 'int ret = likely(atomic_cmpxchg(&page->_refcount, count, 0) == count);';
  assert.ok(files['include/linux/page_ref.h'].includes(atomic));
  const fine = (await simulateTree(new MemTreeView(files, 'freeze-ok'), scenarios, opts, 'lru-migrate+walker-get-put[generic]')).runs;
  assert.equal(fine[0].status, 'ok', `${fine[0].status} ${fine[0].reason ?? ''}`);
  files['include/linux/page_ref.h'] = files['include/linux/page_ref.h'].replace(
    atomic,
    'int ret = atomic_read(&page->_refcount) == count;\n\n\tif (ret)\n\t\tatomic_set(&page->_refcount, 0);',
  );
  const broken = (await simulateTree(new MemTreeView(files, 'freeze-racy'), scenarios, opts, 'lru-migrate+walker-get-put[generic]')).runs;
  assert.equal(broken[0].status, 'violations', `${broken[0].status} ${broken[0].reason ?? ''}`);
  const under = broken[0].violations.find((v) => v.category === 'refcount-underflow');
  assert.ok(under, broken[0].violations.map((v) => v.category).join());
  // The walker's get lands between the read and the set of the freeze.
  const ops = under.trace.map((s) => `${s.cpu} ${s.op}`);
  const read = ops.findIndex((o) => /atomic_read/.test(o) && o.startsWith('CPU0'));
  const get = ops.findIndex((o) => /atomic_add_unless/.test(o));
  const set = ops.findIndex((o) => /atomic_set\(&page->_refcount, 0\)/.test(o));
  assert.ok(read >= 0 && read < get && get < set, ops.join('\n'));
});

test('a series after which the owner\'s final put no longer frees the page: page-leak, with the release as the trace', async () => {
  const t = await patched('v4.12-style', 'hmm-devpriv-free-at-0');
  const files: Record<string, string> = {};
  for (const f of await t.after.listFiles()) files[f] = (await t.after.readFile(f))!;
  const call = '\t\t\tpgmap->page_free(page, pgmap->data);';
  assert.ok(files['mm/swap.c'].includes(call));
  files['mm/swap.c'] = files['mm/swap.c'].replace(call, '\t\t\t;');
  const leaky = new MemTreeView(files, 'leaky');
  const res = await simulate({ before: t.after, after: leaky, scenarios, options: opts, changedLines: ['pgmap->page_free(page, pgmap->data);'] });
  const leaks = introduced(res.judgements).filter((f) => f.v.category === 'page-leak');
  assert.ok(leaks.length > 0, res.judgements.map((j) => `${j.name} ${j.result} ${j.after.reason ?? ''}`).join('\n'));
  const { v } = leaks[0];
  assert.match(v.message, /no longer frees the page: it leaves page allocated at refcount 0, where before the series the page was freed at refcount 0/);
  assert.ok(v.trace.some((s) => /atomic_dec_and_test|dec_and_test|dec_return/.test(s.op)), v.trace.map((s) => s.op).join('\n'));
  assert.equal(v.trace.at(-1)!.pageState?.page, 'allocated');
});

test('the time budget is for the whole simulation, shared by every instance: what ran out says how far it got', async () => {
  const t = await patched('v4.12-style', 'hmm-devpriv-free-at-0');
  const runs = (await simulateTree(t.after, scenarios, { ...opts, maxMs: 1 })).runs;
  assert.ok(runs.length > 1);
  // Every instance gets its share of the budget: none is left "not run", and one that ran out says so.
  assert.ok(!runs.some((r) => /not run/.test(r.reason ?? '')), runs.map((r) => `${r.name} ${r.status} ${r.reason ?? ''}`).join('\n'));
  const cut = runs.filter((r) => r.status === 'incomplete' && /time budget .* reached/.test(r.reason ?? ''));
  assert.ok(cut.length > 0, runs.map((r) => `${r.name} ${r.status} ${r.reason ?? ''}`).join('\n'));
  for (const r of cut) assert.ok(r.stats.states > 0 && !r.stats.complete, `${r.name}: says how far it got`);
});

test('the gate: a changed line inside a refcount function is checked, a changed comment in it is not', async () => {
  const { changesRefcountFunction } = await import('./simulate.ts');
  const file = ['void put_page(struct page *page)', '{', '\t/*', '\t * Drop a reference.', '\t */', '\twhile (1)', '\t\t;', '\tif (page_ref_dec_and_test(page))', '\t\tfree_it(page);', '}'].join('\n');
  const tree = { readFile: async () => file, grep: async () => [] };
  // Inside a comment whose "/*" is above the hunk: no code changed.
  assert.equal(await changesRefcountFunction(tree, [{ file: 'mm/x.c', newStart: 4, lines: ['-\t * Drop a ref.', '+\t * Drop a reference.', ' \t */'] }]), false);
  // A loop with no refcount word, in a function that has them: checked.
  assert.equal(await changesRefcountFunction(tree, [{ file: 'mm/x.c', newStart: 6, lines: ['+\twhile (1)', '+\t\t;'] }]), true);
  // A trailing comment added to a line of code is still a comment.
  assert.equal(await changesRefcountFunction(tree, [{ file: 'mm/x.c', newStart: 7, lines: ['-\t\t;', '+\t\t; /* spin */'] }]), true);
});

test('parse cache: the trees before and after a series share the parses of the files it leaves alone, and a second review replays every parse with the same result', async () => {
  const { MemoryParseCache } = await import('./frontend/parse-cache.ts');
  const t = await patched('v4.12-style', 'hmm-devpriv-free-at-1');
  const input = { before: t.before, after: t.after, scenarios, changedLines: ['put_page(page);'], touched: ['include/linux/mm.h'] };
  const plain = await simulate({ ...input, options: opts });
  const cache = new MemoryParseCache();
  const first = await simulate({ ...input, options: { ...opts, parseCache: cache } });
  const second = await simulate({ ...input, options: { ...opts, parseCache: cache } });
  const shown = (r: typeof plain) => JSON.stringify(r.judgements.map((j) => ({ name: j.name, result: j.result, introduced: j.introduced.map((v) => [v.category, v.message, v.trace.map((s) => `${s.file}:${s.line} ${s.op}`)]) })));
  assert.equal(shown(first), shown(plain));
  assert.equal(shown(second), shown(plain));
  assert.ok(plain.parse && plain.parse.fromCache === 0 && plain.parse.files > 0);
  // The tree after the series changes mm.h only: every file but mm.h, and those whose parse read what mm.h defines, is parsed once.
  assert.ok(first.parse!.fromCache > 0, JSON.stringify(first.parse));
  assert.equal(first.parse!.files, plain.parse.files);
  assert.deepEqual(second.parse, { files: plain.parse.files, fromCache: plain.parse.files, conversions: second.parse!.conversions, conversionsFromCache: second.parse!.conversions });
  assert.ok(second.parse!.conversions > 0);
});
