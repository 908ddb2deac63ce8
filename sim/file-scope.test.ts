// A static function is visible only in its own file: a call from one file never reaches another file's static
// of the same name, whatever order the files are read in. Trees written here, over the v4.12-style example tree
// after the series that frees device-private pages at refcount 1, in a BSD-ish style (return type on a line of
// its own, a single exit through goto, state in file-scope globals): two "pool scanners", each with its own
// static take_frame() helper and its own static scan_pool() walker; one helper checks PageLRU() before its
// speculative get, the other does not. Then an external helper beside another file's static of the same name.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { MemTreeView } from '../analyzers/mem-tree-view.ts';
import { exampleTreeFiles } from '../test/support/example-files.ts';
import { loadScenarios } from '../bot/load-scenarios.ts';
import { simulateTree } from './simulate.ts';
import { CORE_FILES, DEFAULT_KCONFIG, loadTreeProgram, type SimOptions } from './run-scenario.ts';
import type { Scenario } from './scenarios/scenario.ts';
import type { TraceStep } from '../analyzers/types.ts';

let scenarios: Scenario[];
let base: Record<string, string>;
const opts: SimOptions = { kconfig: DEFAULT_KCONFIG, walkers: 1, maxStates: 100_000, maxMs: 30_000 };
const SCENARIO = 'devpriv-free+walker-get-put';

before(async () => {
  scenarios = (await loadScenarios()).filter((s) => s.name === SCENARIO);
  base = await exampleTreeFiles('v4.12-style', 'hmm-devpriv-free-at-1');
});

/** A pool scanner: its own static helper (checking PageLRU() first when `guarded`) and its own static walker. */
function scanner(cursor: string, guarded: boolean): string {
  return `#include <linux/mm.h>

/* Where the next scan starts; set by whoever feeds the pool. */
unsigned long ${cursor};

static bool
take_frame(struct page *frame)
{
	bool ok = false;
${guarded ? `
	if (!PageLRU(frame))
		goto out;
` : ''}
	ok = get_page_unless_zero(frame);
out:
	return ok;
}

static void
scan_pool(void)
{
	unsigned long pfn;
	struct page *frame;

	pfn = READ_ONCE(${cursor});
	frame = pfn_to_page(pfn);
	if (!take_frame(frame))
		goto done;
	put_page(frame);
done:
	WRITE_ONCE(${cursor}, pfn + 1);
}

void
${cursor}_tick(void)
{
	scan_pool();
}
`;
}

const lineOf = (src: string, text: string) => src.split('\n').findIndex((l) => l.includes(text)) + 1;
const show = (trace: TraceStep[]) => trace.map((t) => `  ${t.walker ?? t.actor} ${t.func} ${t.file}:${t.line} ${t.op}`).join('\n');

// The two orders: the guarded file's name sorts first, then last (the tree is read in name order).
for (const [guardedFile, openFile] of [['mm/apool_scan.c', 'mm/zpool_scan.c'], ['mm/zpool_scan.c', 'mm/apool_scan.c']]) {
  test(`two files' static take_frame() and scan_pool(): each walker runs its own file's helper (guarded ${guardedFile}, unguarded ${openFile})`, async () => {
    const guarded = scanner('gpool_cursor', true);
    const open = scanner('opool_cursor', false);
    const tree = new MemTreeView({ ...base, [guardedFile]: guarded, [openFile]: open }, `scope-${guardedFile}`);

    // The facts name both statics by file:name, each site reached from its own file's walker only.
    const { runs, facts } = await simulateTree(tree, scenarios, opts, `${SCENARIO}[${openFile}:scan_pool]`);
    const site = (file: string) => facts.sites.find((s) => s.at.startsWith(`${file}:`));
    const g = site(guardedFile);
    const o = site(openFile);
    assert.ok(g && o, facts.sites.map((s) => `${s.func} ${s.at}`).join('\n'));
    assert.equal(g.func, `${guardedFile}:take_frame`);
    assert.equal(o.func, `${openFile}:take_frame`);
    assert.equal(o.at, `${openFile}:${lineOf(open, 'ok = get_page_unless_zero(frame);')}`);
    assert.deepEqual(g.chains.map((c) => c.entry.func), [`${guardedFile}:scan_pool`]);
    assert.deepEqual(o.chains.map((c) => c.entry.func), [`${openFile}:scan_pool`]);
    assert.deepEqual(o.chains[0].path, [`${openFile}:scan_pool (${openFile}:${lineOf(open, 'if (!take_frame(frame))')})`, `${openFile}:take_frame (${o.at})`]);
    // Only the guarded one's check keeps device-private pages off, and it is its own file's line.
    assert.equal(o.chains[0].meets['device-private']?.can, true, JSON.stringify(o.chains[0].meets));
    assert.equal(g.chains[0].meets['device-private']?.can, false, JSON.stringify(g.chains[0].meets));
    assert.match(g.chains[0].meets['device-private'].why, new RegExp(`PageLRU\\(frame\\) is false .*\\(${guardedFile}:${lineOf(guarded, 'if (!PageLRU(frame))')}\\)`));

    // The unguarded walker, run: flagged, its trace in its own file, never in the other.
    const r = runs.find((x) => x.name === `${SCENARIO}[${openFile}:scan_pool]`);
    assert.ok(r, runs.map((x) => x.name).join(', '));
    assert.equal(r.walker, `${openFile}:scan_pool`);
    assert.equal(r.status, 'violations', `${r.status} ${r.reason ?? ''} ${r.notes.join('; ')}`);
    const v = r.violations.find((x) => x.category === 'speculative-get-on-free-page');
    assert.ok(v, r.violations.map((x) => x.category).join(', '));
    const get = v.trace.find((t) => t.actor === 'walker' && (t.frames ?? []).some((f) => f.func === `${openFile}:take_frame`));
    assert.ok(get, show(v.trace));
    assert.deepEqual(get.frames!.find((f) => f.func === `${openFile}:take_frame`)!.line, lineOf(open, 'ok = get_page_unless_zero(frame);'));
    assert.equal(get.walker, `${openFile}:scan_pool`);
    assert.ok(!v.trace.some((t) => t.file === guardedFile || (t.frames ?? []).some((f) => f.file === guardedFile)), show(v.trace));

    // The guarded walker, named on the command line's way: clean, sent away by its own file's check.
    const { runs: gr } = await simulateTree(tree, scenarios, opts, `${SCENARIO}[${guardedFile}:scan_pool]`);
    assert.equal(gr.length, 1, gr.map((x) => x.name).join(', '));
    assert.equal(gr[0].status, 'ok', `${gr[0].status} ${gr[0].reason ?? ''} ${gr[0].violations.map((x) => x.message).join('; ')}`);
    assert.equal(gr[0].walkerReachedGet, false);
    // Its helper said no (the last test it took is its call of its own take_frame()).
    assert.deepEqual(gr[0].walkerStoppedBy && { file: gr[0].walkerStoppedBy.file, line: gr[0].walkerStoppedBy.line },
      { file: guardedFile, line: lineOf(guarded, 'if (!take_frame(frame))') });
    assert.deepEqual(gr[0].reached[`${guardedFile}:take_frame`], { file: guardedFile, line: lineOf(guarded, 'static bool') });
    assert.ok(!Object.values(gr[0].reached).some((w) => w.file === openFile), JSON.stringify(gr[0].reached));
    assert.equal(r.reached[`${openFile}:take_frame`]?.file, openFile);

    // The bare name means either file's walker: not run, and the reason names the two.
    const { runs: bare } = await simulateTree(tree, scenarios, opts, `${SCENARIO}[scan_pool]`);
    assert.equal(bare[0]?.status, 'not-applicable');
    assert.match(bare[0].reason ?? '', new RegExp(`scan_pool\\(\\) is a static function of several files: name one of (${guardedFile}|${openFile}):scan_pool, (${guardedFile}|${openFile}):scan_pool`));
  });
}

/** An external helper, guarded; another file's static of the same name, unguarded; a third file calling it. */
const EXTERN_TAKE = `#include <linux/mm.h>

bool
take_frame(struct page *frame)
{
	if (!PageLRU(frame))
		return false;
	return get_page_unless_zero(frame);
}
`;
const USER = `#include <linux/mm.h>

unsigned long user_cursor;

void
user_scan(void)
{
	struct page *frame = pfn_to_page(READ_ONCE(user_cursor));

	if (take_frame(frame))
		put_page(frame);
	WRITE_ONCE(user_cursor, READ_ONCE(user_cursor) + 1);
}
`;

for (const [externFile, staticFile, userFile] of [['mm/a_take.c', 'mm/b_take.c', 'mm/c_user.c'], ['mm/c_take.c', 'mm/b_take.c', 'mm/a_user.c'], ['mm/b_take.c', 'mm/a_take.c', 'mm/c_user.c']]) {
  test(`an external take_frame() (${externFile}) beside another file's static one (${staticFile}): ${userFile} calls the external one`, async () => {
    const own = scanner('own_cursor', false);
    const files = { ...base, [externFile]: EXTERN_TAKE, [staticFile]: own, [userFile]: USER };
    const tree = new MemTreeView(files, `extern-${externFile}`);

    // The front end, asked as each file's code asks: the static in its own file, the external elsewhere.
    const tp = await loadTreeProgram(tree, { ...opts, files: CORE_FILES });
    const p = tp.program;
    assert.equal((await p.resolveFunction('take_frame', userFile))?.file, externFile);
    assert.equal((await p.resolveFunction('take_frame', staticFile))?.file, staticFile);
    assert.equal((await p.resolveFunction('take_frame'))?.file, externFile, 'by name alone: the external one');
    assert.equal(await p.functionIdFor('take_frame', staticFile), `${staticFile}:take_frame`);
    assert.equal(await p.functionIdFor('take_frame', userFile), 'take_frame');
    assert.deepEqual((await p.callersOf('take_frame')).map((c) => `${c.caller} ${c.file}:${c.line}`), [`user_scan ${userFile}:${lineOf(USER, 'if (take_frame(frame))')}`]);
    assert.deepEqual((await p.callersOf(`${staticFile}:take_frame`)).map((c) => `${c.caller} ${c.file}`), [`scan_pool ${staticFile}`]);

    // The facts: the external helper's site is reached from the user's walker only; the static's from its file's.
    const { runs, facts } = await simulateTree(tree, scenarios, opts, `${SCENARIO}[user_scan]`);
    const ext = facts.sites.find((s) => s.at.startsWith(`${externFile}:`));
    const st = facts.sites.find((s) => s.at.startsWith(`${staticFile}:`));
    assert.ok(ext && st, facts.sites.map((s) => `${s.func} ${s.at}`).join('\n'));
    assert.equal(ext.func, 'take_frame');
    assert.equal(st.func, `${staticFile}:take_frame`);
    assert.deepEqual(ext.chains.map((c) => c.entry.func), ['user_scan']);
    assert.deepEqual(st.chains.map((c) => c.entry.func), ['scan_pool']);

    // The user's walker runs the external (guarded) helper: clean, stopped by the external file's check.
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, 'ok', `${runs[0].status} ${runs[0].reason ?? ''} ${runs[0].violations.map((x) => `${x.message}\n${show(x.trace)}`).join('; ')}`);
    assert.equal(runs[0].walkerStoppedBy?.file, externFile);
    assert.equal(runs[0].walkerStoppedBy?.line, lineOf(EXTERN_TAKE, 'if (!PageLRU(frame))'));
    assert.equal(runs[0].reached.take_frame?.file, externFile);
    assert.ok(!Object.values(runs[0].reached).some((w) => w.file === staticFile), JSON.stringify(runs[0].reached));
  });
}

test('a .c file another .c file #includes is part of its unit; two external definitions the build compiles are said, not chosen silently', async () => {
  // mm/percpu.c includes percpu-vm.c or percpu-km.c by config (6.1, mm/percpu.c); written here in small.
  const host = `#include <linux/mm.h>
#ifdef CONFIG_MMU
#include "ring-mmu.c"
#else
#include "ring-nommu.c"
#endif

int
ring_fill(struct page *pg)
{
	return ring_slot(pg);
}
`;
  const impl = (n: number) => `static int
ring_slot(struct page *pg)
{
	return ${n};
}
`;
  const twice = (n: number) => `#include <linux/mm.h>

int
ring_count(void)
{
	return ${n};
}
`;
  // Both ring_a.o and ring_b.o are built (a tree with that mistake fails to link; kbot says which it used).
  const makefile = `${base['mm/Makefile']}obj-y += ring.o ring_a.o ring_b.o\n`;
  const files = { ...base, 'mm/Makefile': makefile, 'mm/ring.c': host, 'mm/ring-mmu.c': impl(1), 'mm/ring-nommu.c': impl(2), 'mm/ring_a.c': twice(1), 'mm/ring_b.c': twice(2) };
  const tp = await loadTreeProgram(new MemTreeView(files, 'ring'), { ...opts, kconfig: { ...DEFAULT_KCONFIG, CONFIG_MMU: 'y' }, files: CORE_FILES });
  const p = tp.program;
  assert.equal((await p.resolveFunction('ring_slot', 'mm/ring.c'))?.file, 'mm/ring-mmu.c');
  assert.equal(await p.functionIdFor('ring_slot', 'mm/ring.c'), 'mm/ring-mmu.c:ring_slot', 'ring-nommu.c defines one too');
  assert.equal((await p.resolveFunction('ring_count', 'mm/ring.c'))?.file, 'mm/ring_a.c');
  assert.ok(p.notes.some((n) => n.text === `ring_count() has external definitions in mm/ring_a.c:3 and mm/ring_b.c:3, both in files the kconfig builds: mm/ring_a.c's is used (the one found first)`), p.notes.map((n) => n.text).join('\n'));
});
