// What the simulator does with what it does not know: calls the tree lacks and fields nothing set are explored
// both ways (and the finding says what it assumed), globals start at their initializers, calls through an ops
// table go to what the tree stores there. Small trees written here, over the v4.12-style example tree after the
// series that frees device-private pages at refcount 1 (the race these walkers can run into).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { MemTreeView } from '../analyzers/mem-tree-view.ts';
import { exampleTreeFiles } from '../test/support/example-files.ts';
import { loadScenarios } from '../bot/load-scenarios.ts';
import { simulate, simulateTree } from './simulate.ts';
import { refcountSimAnalyzer } from '../analyzers/refcount-sim.ts';
import { DEFAULT_KCONFIG, type ScenarioRun, type SimOptions } from './run-scenario.ts';
import type { Scenario } from './scenarios/scenario.ts';

let scenarios: Scenario[];
let base: Record<string, string>;
const opts: SimOptions = { kconfig: DEFAULT_KCONFIG, walkers: 1, maxStates: 100_000, maxMs: 30_000 };
const SCENARIO = 'devpriv-free+walker-get-put';

before(async () => {
  scenarios = await loadScenarios();
  base = await exampleTreeFiles('v4.12-style', 'hmm-devpriv-free-at-1');
});

/** A frame scanner in CamelCase: `guard` is the check each frame passes before the scanner takes it. */
function scanner(guard: string, globals = ''): string {
  return `#include <linux/mm.h>

${globals}
unsigned long FramesTaken;

void ScanFrames(unsigned long StartPfn, unsigned long EndPfn)
{
	unsigned long Pfn;

	for (Pfn = StartPfn; Pfn < EndPfn; Pfn++) {
		struct page *Frame = pfn_to_page(Pfn);

		${guard}
		if (!get_page_unless_zero(Frame))
			continue;
		FramesTaken++;
		put_page(Frame);
	}
}
`;
}

/** Line of the first occurrence of `text` in `src`, 1-based. */
const lineOf = (src: string, text: string) => src.split('\n').findIndex((l) => l.includes(text)) + 1;

async function runScanner(files: Record<string, string>, name: string): Promise<ScenarioRun> {
  const runs = (await simulateTree(new MemTreeView({ ...base, ...files }, name), scenarios, opts, `${SCENARIO}[ScanFrames]`)).runs;
  assert.equal(runs.length, 1, runs.map((r) => r.name).join(', '));
  return runs[0];
}

test('a validity check the config leaves undefined is explored both ways: the race behind it is found, and says so', async () => {
  const src = scanner('if (!arch_frame_ok(Pfn))\n\t\t\tcontinue;');
  const run = await runScanner({ 'mm/frame_scan.c': src }, 'undefined-check');
  assert.equal(run.status, 'violations', `${run.status} ${run.reason ?? ''}`);
  const get = run.violations.find((v) => v.category === 'speculative-get-on-free-page');
  assert.ok(get, run.violations.map((v) => v.category).join());
  const at = `mm/frame_scan.c:${lineOf(src, 'arch_frame_ok')}`;
  assert.deepEqual(get.assumptions, [`assuming arch_frame_ok(Pfn) is true at ${at}`]);
  // The step that made the assumption is in the trace, at the check.
  const step = get.trace.find((s) => s.assumptions?.length);
  assert.equal(`${step?.file}:${step?.line}`, at);
  assert.equal(step?.func, 'ScanFrames');
  assert.equal(run.walkerReachedGet, true);
});

test('the review finding names what the interleaving assumes', async () => {
  const src = scanner('if (!arch_frame_ok(Pfn))\n\t\t\tcontinue;');
  const analyzer = refcountSimAnalyzer({ scenarios: scenarios.filter((sc) => sc.name === SCENARIO), sim: opts });
  const res = await analyzer.run({
    seriesId: 'scan', title: 'mm: add a frame scanner', coverMessageId: null,
    patches: [{
      index: 1, messageId: '<scan@test>', subject: 'mm: add a frame scanner',
      files: [{ from: null, to: 'mm/frame_scan.c', hunks: [{ header: '@@ -0,0 +1 @@', newStart: 1, lines: src.split('\n').map((l) => `+${l}`) }] }],
    }],
    before: new MemTreeView(base, 'before'), after: new MemTreeView({ ...base, 'mm/frame_scan.c': src }, 'after'),
  });
  const f = res.findings.find((x) => x.category === 'speculative-get-on-free-page' && x.title.startsWith('ScanFrames()'));
  assert.ok(f, res.findings.map((x) => x.title).join('\n') + res.notes.join('\n'));
  assert.ok((f.detail ?? '').includes(`This interleaving assumes: assuming arch_frame_ok(Pfn) is true at mm/frame_scan.c:${lineOf(src, 'arch_frame_ok')}.`), f.detail);
  assert.ok(f.trace?.some((t) => t.assumptions?.length && t.file === 'mm/frame_scan.c'));
});

test('the same scanner behind a real page test (PageLRU) stays clean, and says what kept it off the page', async () => {
  const src = scanner('if (!PageLRU(Frame))\n\t\t\tcontinue;');
  const run = await runScanner({ 'mm/frame_scan.c': src }, 'lru-check');
  assert.equal(run.status, 'ok', `${run.status} ${run.reason ?? ''} ${run.violations.map((v) => v.category).join()}`);
  assert.equal(run.walkerReachedGet, false);
  assert.deepEqual(run.walkerStoppedBy, { file: 'mm/frame_scan.c', line: lineOf(src, '!PageLRU(Frame)'), text: '!PageLRU(Frame)' });
});

test('a global read in a branch starts at its initializer: no assumption about it', async () => {
  const guard = 'if (!frame_recovery)\n\t\t\treturn;';
  const on = await runScanner({ 'mm/frame_scan.c': scanner(guard, 'int frame_recovery = 1;') }, 'global-on');
  assert.equal(on.status, 'violations', `${on.status} ${on.reason ?? ''}`);
  for (const v of on.violations) assert.deepEqual(v.assumptions, [], `${v.category}: ${v.assumptions.join('; ')}`);

  const off = await runScanner({ 'mm/frame_scan.c': scanner(guard, 'static bool frame_recovery = false;') }, 'global-off');
  assert.equal(off.status, 'ok', `${off.status} ${off.violations.map((v) => v.category).join()}`);
  assert.equal(off.walkerReachedGet, false);
  assert.equal(off.walkerStoppedBy?.text, '!frame_recovery');

  // With no initializer the tree says nothing about it: both ways, the finding naming the guess.
  const src = scanner(guard, 'int frame_recovery;');
  const unset = await runScanner({ 'mm/frame_scan.c': src }, 'global-unset');
  assert.equal(unset.status, 'violations');
  assert.ok(unset.violations.some((v) => v.assumptions.includes(`assuming frame_recovery is true at mm/frame_scan.c:${lineOf(src, '!frame_recovery')}`)),
    unset.violations.map((v) => v.assumptions.join('; ')).join(' / '));
});

test('a known 0 masked with an unknown is 0: no branch on it, no assumption about it', async () => {
  const globals = 'static unsigned long ScanFlags = 0;';
  // Flags 0 masked with a bit the tree does not define: never set, so the scanner never skips the frame.
  const skip = scanner('if (ScanFlags & arch_skip_bit())\n\t\t\tcontinue;', globals);
  const taken = await runScanner({ 'mm/frame_scan.c': skip }, 'mask-skip');
  assert.equal(taken.status, 'violations', `${taken.status} ${taken.reason ?? ''}`);
  for (const v of taken.violations) assert.ok(!v.assumptions.some((a) => /arch_skip_bit/.test(a)), `${v.category}: ${v.assumptions.join('; ')}`);
  // The other way round: the scanner takes only frames with the bit set, so it never takes one.
  const only = scanner('if (!(ScanFlags & arch_skip_bit()))\n\t\t\tcontinue;', globals);
  const none = await runScanner({ 'mm/frame_scan.c': only }, 'mask-only');
  assert.equal(none.status, 'ok', `${none.status} ${none.violations.map((v) => `${v.category}: ${v.assumptions.join('; ')}`).join(' / ')}`);
  assert.equal(none.walkerReachedGet, false);
});

/** A device-memory driver whose page free callback goes through its own ops table. */
function opsDriver(extraOps = ''): string {
  return `#include <linux/mm.h>
#include <linux/memremap.h>

struct tm_dev;

struct tm_ops {
	void (*release)(struct tm_dev *tm, struct page *page);
};

struct tm_dev {
	struct dev_pagemap pagemap;
	const struct tm_ops *ops;
	spinlock_t lock;
	struct page *spare;
	unsigned long released;
};

static void tm_release(struct tm_dev *tm, struct page *page)
{
	spin_lock(&tm->lock);
	page->zone_device_data = tm->spare;
	tm->spare = page;
	tm->released++;
	spin_unlock(&tm->lock);
}

static const struct tm_ops tm_plain_ops = {
	.release = tm_release,
};
${extraOps}
static void tm_page_free(struct page *page, void *data)
{
	struct tm_dev *tm = data;

	tm->ops->release(tm, page);
}

int tm_add(struct tm_dev *tm)
{
	tm->ops = &tm_plain_ops;
	tm->pagemap.type = MEMORY_DEVICE_PRIVATE;
	tm->pagemap.page_free = tm_page_free;
	tm->pagemap.data = tm;
	return 0;
}
`;
}

async function runDriver(driver: string, name: string): Promise<ScenarioRun> {
  const files: Record<string, string> = { ...base, 'drivers/misc/tm.c': driver };
  delete files['lib/hmm_dmirror.c'];
  const runs = (await simulateTree(new MemTreeView(files, name), scenarios, opts, `${SCENARIO}[memory_failure]`)).runs;
  assert.equal(runs.length, 1);
  return runs[0];
}

test('a free callback that calls through its ops table runs the function the table holds', async () => {
  // Before calls through pointer fields resolved, tm->ops (a field the scenario's driver state never set) was
  // no function: the release path stopped as unmodelled and nothing was checked.
  const run = await runDriver(opsDriver(), 'ops-table');
  assert.equal(run.status, 'violations', `${run.status} ${run.reason ?? ''}`);
  assert.equal(run.freeRefcount, 1);
  const df = run.violations.find((v) => v.category === 'double-free');
  assert.ok(df, run.violations.map((v) => v.category).join());
  assert.match(df.message, /^tm_page_free\(\) frees page a second time/);
  assert.ok('tm_release' in run.reached, Object.keys(run.reached).join(', '));
  assert.ok(!run.notes.some((n) => /tm_page_free|tm_release/.test(n) && /unmodelled/.test(n)), run.notes.join('\n'));
});

test('a walker the series only renames is matched by what its code does: its old races are not new', async () => {
  const renamed: Record<string, string> = { ...base };
  for (const f of ['mm/memory-failure.c', 'include/linux/mm.h']) renamed[f] = base[f].replace(/\bmemory_failure\b/g, 'handle_memory_failure');
  // The same series also rewords a comment about put_page(), so there is refcount code to check.
  renamed['mm/swap.c'] = base['mm/swap.c'].replace(/\n/, '\n/* put_page() drops a reference; the last one frees the page. */\n');
  const res = await simulate({
    before: new MemTreeView(base, 'before-rename'), after: new MemTreeView(renamed, 'after-rename'), scenarios, options: opts,
    changedLines: ['/* put_page() drops a reference; the last one frees the page. */', 'int handle_memory_failure(unsigned long pfn, int trapno, int flags)'],
    touched: ['mm/memory-failure.c', 'include/linux/mm.h', 'mm/swap.c'],
  });
  const run = res.judgements.find((j) => j.name === `${SCENARIO}[handle_memory_failure]`);
  assert.ok(run, res.judgements.map((j) => j.name).join('\n'));
  // The walker still races the final put (the tree after the seed series frees at refcount 1) ...
  assert.ok(run!.after.violations.some((v) => v.category === 'speculative-get-on-free-page'), run!.after.status);
  // ... and did so under its old name before: nothing is introduced.
  assert.equal(run!.before.walker, 'memory_failure');
  assert.deepEqual(res.judgements.filter((j) => j.result === 'unexpected').map((j) => `${j.name}: ${j.introduced.map((v) => v.category).join()}`), []);
});

test('a walker that reaches NULL only by deciding unknowns drops that path and goes on (the kernel would oops there)', async () => {
  // The owner record is there only when a helper the tree lacks says the frame is tracked: the way it says
  // not, the next line reads through NULL, which the kernel would never survive; the other way, the scanner
  // reaches its get.
  const src = scanner('struct frame_owner *Owner = NULL;\n\t\tif (frame_tracked(Frame))\n\t\t\tOwner = &TheOwner;\n\t\tif (Owner->Busy)\n\t\t\tcontinue;',
    'struct frame_owner { int Busy; };\nstatic struct frame_owner TheOwner;\nbool frame_tracked(struct page *p);');
  const run = await runScanner({ 'mm/frame_scan.c': src }, 'null-owner');
  assert.equal(run.walkerReachedGet, true);
  assert.ok(run.violations.some((v) => v.category === 'speculative-get-on-free-page'), `${run.status} ${run.reason ?? ''}`);
  assert.ok(run.notes.some((n) => /^paths dropped: read of Busy through a NULL pointer in ScanFrames\(\) after deciding unknown values/.test(n)), run.notes.join('\n'));
  // Every such path is one where the walker assumed the frame untracked.
  const get = run.violations.find((v) => v.category === 'speculative-get-on-free-page')!;
  assert.ok(get.assumptions.some((a) => /frame_tracked\(Frame\) is true/.test(a)), get.assumptions.join('; ') + '\n' + get.trace.map((t) => `${t.func} ${t.file}:${t.line} ${t.op}`).join('\n'));
});
