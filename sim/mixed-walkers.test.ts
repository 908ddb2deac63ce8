// Different walkers in one run: a race that needs two of the tree's walkers at once, which neither shows
// alone. A small tree written here over the folio-era example tree (device-private pages free at refcount 0),
// in a terse style: one walker publishes the page it holds as a hint for another, and takes the hint down only
// after dropping its reference; the other takes a plain reference on the hinted page, as if the publisher's
// reference covered it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { MemTreeView } from '../analyzers/mem-tree-view.ts';
import { exampleTreeFiles } from '../test/support/example-files.ts';
import { loadScenarios } from '../bot/load-scenarios.ts';
import { simulateTree } from './simulate.ts';
import { refcountSimAnalyzer } from '../analyzers/refcount-sim.ts';
import { DEFAULT_KCONFIG, mixGroups, type SimOptions } from './run-scenario.ts';
import type { Scenario } from './scenarios/scenario.ts';
import type { TraceStep } from '../analyzers/types.ts';

let scenarios: Scenario[];
let base: Record<string, string>;
const opts: SimOptions = { kconfig: DEFAULT_KCONFIG, walkers: 1, maxStates: 100_000, maxMs: 60_000, mixedWalkers: 2 };
const SCENARIO = 'devpriv-free+walker-get-put';

before(async () => {
  scenarios = (await loadScenarios()).filter((s) => s.name === SCENARIO);
  base = await exampleTreeFiles('v6.6-style');
});

/** The two walkers; fixed: the follower takes its reference as the others do, unless the count is zero. */
function hints(fixed: boolean): string {
  return `#include <linux/mm.h>

static struct page *last_hint = NULL;

void hint_publish(unsigned long lo, unsigned long hi)
{
	unsigned long n;
	struct page *pg;

	for (n = lo; n < hi; n++) {
		pg = pfn_to_page(n);
		if (!get_page_unless_zero(pg))
			continue;
		WRITE_ONCE(last_hint, pg);
		put_page(pg);
		WRITE_ONCE(last_hint, NULL);
	}
}

void hint_follow(unsigned long lo, unsigned long hi)
{
	unsigned long n;
	struct page *pg;

	for (n = lo; n < hi; n++) {
		pg = pfn_to_page(n);
		if (READ_ONCE(last_hint) == pg)
			${fixed ? '{ if (!get_page_unless_zero(pg)) continue; }' : 'get_page(pg);'}
		else if (!get_page_unless_zero(pg))
			continue;
		put_page(pg);
	}
}
`;
}

const lineOf = (src: string, text: string) => src.split('\n').findIndex((l) => l.includes(text)) + 1;
/** Whether a step is at file:line, itself or through one of the calls that led to it. */
const at = (t: TraceStep, file: string, line: number) => (t.file === file && t.line === line) || (t.frames ?? []).some((f) => f.file === file && f.line === line);

test('mixGroups: each walker in a group of the size asked, the last filled from the first; fewer than two, none', () => {
  assert.deepEqual(mixGroups(['a', 'b', 'c'], 2), [['a', 'b'], ['c', 'a']]);
  assert.deepEqual(mixGroups(['a', 'b', 'c', 'd'], 2), [['a', 'b'], ['c', 'd']]);
  assert.deepEqual(mixGroups(['a', 'b'], 3), [['a', 'b']]);
  assert.deepEqual(mixGroups(['a'], 2), []);
  assert.deepEqual(mixGroups(['a', 'b'], 1), []);
});

test('two walkers that race each other: the plain get on a page the other published is found only in their run together', async () => {
  const src = hints(false);
  const { runs } = await simulateTree(new MemTreeView({ ...base, 'mm/hint.c': src }, 'hints'), scenarios, opts);
  const byName = new Map(runs.map((r) => [r.name, r]));
  const alone = [`${SCENARIO}[hint_publish]`, `${SCENARIO}[hint_follow]`];
  const mixed = runs.find((r) => /\[(hint_publish\+hint_follow|hint_follow\+hint_publish)\]$/.test(r.name));
  assert.ok(mixed, runs.map((r) => r.name).join(', '));
  for (const n of alone) {
    const r = byName.get(n);
    assert.ok(r, `${n} ran: ${runs.map((x) => x.name).join(', ')}`);
    assert.equal(r.violations.length, 0, `${n}: ${r.violations.map((v) => v.message).join('; ')}`);
  }
  assert.equal(mixed.status, 'violations', `${mixed.status} ${mixed.reason ?? ''}`);
  const v = mixed.violations.find((x) => x.trace.some((t) => t.walker === 'hint_follow' && at(t, 'mm/hint.c', lineOf(src, 'get_page(pg);'))));
  assert.ok(v, mixed.violations.map((x) => `${x.category}: ${x.message}\n${x.trace.map((t) => `  ${t.walker ?? t.actor} ${t.func} ${t.file}:${t.line} ${t.op}`).join('\n')}`).join('\n'));
  // Both walkers are in the interleaving: the publisher's put before the follower's get.
  const put = v.trace.findIndex((t) => t.walker === 'hint_publish' && at(t, 'mm/hint.c', lineOf(src, 'put_page(pg);')));
  const get = v.trace.findIndex((t) => t.walker === 'hint_follow' && at(t, 'mm/hint.c', lineOf(src, 'get_page(pg);')));
  assert.ok(put >= 0 && put < get, v.trace.map((t) => `${t.walker ?? t.actor} ${t.func} ${t.file}:${t.line} ${t.op}`).join('\n'));

  // As the review says it, for a series that adds the two walkers: one finding names both, racing each other.
  const analyzer = refcountSimAnalyzer({ scenarios, sim: opts });
  const res = await analyzer.run({
    seriesId: 'hints', title: 'mm: page hints', coverMessageId: null,
    patches: [{
      index: 1, messageId: '<hints@test>', subject: 'mm: page hints',
      files: [{ from: null, to: 'mm/hint.c', hunks: [{ header: '@@ -0,0 +1 @@', newStart: 1, lines: src.split('\n').map((l) => `+${l}`) }] }],
    }],
    before: new MemTreeView(base, 'before'), after: new MemTreeView({ ...base, 'mm/hint.c': src }, 'after'),
  });
  const both = res.findings.filter((f) => /hint_publish\(\) and hint_follow\(\)|hint_follow\(\) and hint_publish\(\)|racing hint_publish\(\)/.test(f.title));
  assert.ok(both.length, res.findings.map((f) => f.title).join('\n') + res.notes.join('\n'));
  const getF = res.findings.find((f) => f.category === 'speculative-get-on-free-page');
  assert.equal(getF?.title, 'hint_follow() can take a reference on a free page, racing hint_publish()', res.findings.map((f) => f.title).join('\n'));
  assert.equal(getF.severity, 'error');
  assert.ok(both.some((f) => /hint_follow\(\) checks nothing about the page before its get/.test(f.detail ?? '')), both.map((f) => f.detail).join('\n'));
  // Neither walker alone breaks anything: no finding names one of them alone.
  assert.deepEqual(res.findings.filter((f) => /^(hint_publish|hint_follow)\(\) can take a reference on a free page$/.test(f.title) || /when (hint_publish|hint_follow)\(\) races/.test(f.title)).map((f) => f.title), []);
});

test('the follower that takes its reference unless the count is zero, hint or not: the two walkers together are clean', async () => {
  const { runs } = await simulateTree(new MemTreeView({ ...base, 'mm/hint.c': hints(true) }, 'hints-fixed'), scenarios, opts);
  const mixed = runs.find((r) => /\[(hint_publish\+hint_follow|hint_follow\+hint_publish)\]$/.test(r.name));
  assert.ok(mixed, runs.map((r) => r.name).join(', '));
  assert.equal(mixed.status, 'ok', `${mixed.status} ${mixed.reason ?? ''} ${mixed.violations.map((v) => v.message).join('; ')}`);
});
