// The interpreter's semantics, one construct at a time, on small C written for the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemTreeView } from '../../analyzers/mem-tree-view.ts';
import { CProgram } from '../frontend/program.ts';
import { parseStatements } from '../frontend/parse-c.ts';
import { Compiler } from './compile.ts';
import { describeUnknown, Machine, type World } from './machine.ts';
import { explore, exploreLazily } from '../explore/explore.ts';
import type { Access } from '../explore/types.ts';

const HEADER = `
struct page { unsigned long flags; atomic_t _refcount; struct dev_pagemap *pgmap; };
static inline int page_ref_count(struct page *page) { return atomic_read(&page->_refcount); }
`;

/** Runs `glue` (C statements; `page` is a page at `refcount`) alone and returns the globals and the page. */
async function runAlone(glue: string, refcount: number, extra = '', pageFields: Record<string, number> = {}) {
  const tree = new MemTreeView({ 'include/linux/t.h': HEADER + extra });
  const program = await CProgram.load(tree, {}, { files: ['include/linux/t.h'] });
  const c = new Compiler(program, {});
  await c.compileGlue('__glue', ['page'], await parseStatements(glue, { file: '<test>', line: 1 }), { file: '<test>', line: 1 });
  const world: World = {
    functions: c.functions, writtenFields: c.writtenFields,
    pages: [{ name: 'page', obj: 'p' }], actors: [{ role: 'owner', entry: '__glue', args: ['p'], allocator: false, holds: {} }],
    freeCallbacks: new Set(), symmetry: [], flagsMutable: false, zoneDevice: 5,
  };
  const m = new Machine(world, { objs: { o0: {}, p: { _refcount: refcount, ...pageFields } }, actors: [], life: { page: 'allocated' }, freeList: [] });
  let s = m.initial();
  const violations: string[] = [];
  for (let i = 0; i < 1000 && m.enabled(s).length; i++) {
    const r = m.step(s, m.enabled(s)[0]);
    violations.push(...r.violations.map((v) => `${v.category}: ${v.message}`));
    s = r.state;
  }
  return { g: s.objs.o0, refcount: Number(s.objs.p._refcount), violations, notes: c.notes.map((n) => n.text), actor: s.actors[0] };
}

const CASES: Array<[string, number, number, number]> = [
  // glue expression, refcount before, result, refcount after
  ['atomic_read(&page->_refcount)', 3, 3, 3],
  ['atomic_inc_return(&page->_refcount)', 3, 4, 4],
  ['atomic_dec_return(&page->_refcount)', 3, 2, 2],
  ['atomic_add_return(2, &page->_refcount)', 3, 5, 5],
  ['atomic_sub_return(2, &page->_refcount)', 3, 1, 1],
  ['atomic_dec_and_test(&page->_refcount)', 1, 1, 0],
  ['atomic_dec_and_test(&page->_refcount)', 2, 0, 1],
  ['atomic_sub_and_test(2, &page->_refcount)', 2, 1, 0],
  ['atomic_inc_and_test(&page->_refcount)', -1, 1, 0],
  ['atomic_add_negative(-3, &page->_refcount)', 2, 1, -1],
  ['atomic_add_unless(&page->_refcount, 1, 0)', 0, 0, 0],
  ['atomic_add_unless(&page->_refcount, 1, 0)', 1, 1, 2],
  ['atomic_inc_not_zero(&page->_refcount)', 0, 0, 0],
  ['atomic_inc_not_zero(&page->_refcount)', 5, 1, 6],
  ['atomic_cmpxchg(&page->_refcount, 2, 0)', 2, 2, 0],
  ['atomic_cmpxchg(&page->_refcount, 2, 0)', 3, 3, 3],
  ['atomic_xchg(&page->_refcount, 7)', 3, 3, 7],
  ['atomic_fetch_add(2, &page->_refcount)', 3, 3, 5],
  ['atomic_fetch_sub_release(1, &page->_refcount)', 3, 3, 2],
  ['atomic_fetch_add_unless(&page->_refcount, 1, 0)', 4, 4, 5],
  ['atomic_long_dec_return_relaxed(&page->_refcount)', 4, 3, 3],
];

for (const [expr, before, result, after] of CASES) {
  test(`${expr} at refcount ${before} returns ${result}, leaves ${after}`, async () => {
    const r = await runAlone(`result = ${expr};`, before);
    assert.equal(Number(r.g.result), result);
    assert.equal(r.refcount, after);
  });
}

test('atomic_set/inc/dec/add/sub change the count and return nothing useful', async () => {
  const r = await runAlone('atomic_set(&page->_refcount, 5); atomic_inc(&page->_refcount); atomic_sub(3, &page->_refcount); atomic_add(2, &page->_refcount); atomic_dec(&page->_refcount);', 0);
  assert.equal(r.refcount, 4);
});

test('atomic_try_cmpxchg updates the expected value on failure and the count on success', async () => {
  const fail = await runAlone('int old = 1; ok = atomic_try_cmpxchg(&page->_refcount, &old, 9); seen = old;', 3);
  assert.deepEqual([Number(fail.g.ok), Number(fail.g.seen), fail.refcount], [0, 3, 3]);
  const win = await runAlone('int old = 3; ok = atomic_try_cmpxchg(&page->_refcount, &old, 9); seen = old;', 3);
  assert.deepEqual([Number(win.g.ok), Number(win.g.seen), win.refcount], [1, 3, 9]);
});

test('control flow: loops, switch fall-through, ternaries, short circuit, goto', async () => {
  const r = await runAlone(
    `int i, n = 0;
     for (i = 0; i < 4; i++) { if (i == 2) continue; n += i; }
     while (n < 10) n++;
     do { n--; } while (n > 8);
     switch (n) { case 8: n = 100; case 9: n++; break; default: n = -1; }
     a = n;
     b = (n > 100 && page_ref_count(page) == 2) ? 1 : 2;
     c = 0 || (1 && !0);
     if (n) goto out;
     a = 0;
   out:
     d = n % 7 + (n >> 1) + (n << 1) + (n & 6) + (n | 1) + (n ^ 3);`,
    2,
  );
  assert.equal(Number(r.g.a), 101);
  assert.equal(Number(r.g.b), 1);
  assert.equal(Number(r.g.c), 1);
  assert.equal(Number(r.g.d), 101 % 7 + (101 >> 1) + (101 << 1) + (101 & 6) + (101 | 1) + (101 ^ 3));
});

test('calls into tree functions and through function pointers, struct fields, pointers to locals', async () => {
  const extra = `
static int twice(int x) { return 2 * x; }
static void bump(int *p) { *p = *p + 1; }
static int apply(int (*fn)(int), int v) { return fn(v); }
`;
  const r = await runAlone('int v = 4; bump(&v); page->flags = apply(twice, v); x = page->flags; y = v;', 1, extra);
  assert.equal(Number(r.g.x), 10);
  assert.equal(Number(r.g.y), 5);
});

test('VM_BUG_ON_PAGE on a refcount condition reports an underflow and stops the actor', async () => {
  const r = await runAlone('VM_BUG_ON_PAGE(page_ref_count(page) == 0, page); after = 1;', 0);
  assert.match(r.violations.join('\n'), /refcount-underflow: VM_BUG_ON_PAGE\(page_ref_count\(page\) == 0\) fires at <test>:1/);
  assert.equal(r.g.after, undefined);
  assert.equal(r.actor.status, 'bug');
});

test('a refcount dropping below zero is an underflow', async () => {
  const r = await runAlone('atomic_dec(&page->_refcount);', 0);
  assert.match(r.violations.join('\n'), /refcount-underflow: refcount of page drops below zero \(0 -> -1\)/);
});

test('a call the tree does not define is noted and returns an unknown, which arithmetic keeps unknown', async () => {
  const r = await runAlone('x = mystery_helper(page) + 1;', 1);
  assert.equal(describeUnknown(r.g.x!), 'mystery_helper(page) + 1');
  assert.ok(r.notes.some((n) => /unmodelled call: mystery_helper\(\)/.test(n)), r.notes.join('\n'));
});

test('an expression the front end cannot model is an unknown value with a note, never a crash or a silent 0', async () => {
  const r = await runAlone('asm volatile("nop"); page->flags = 7;', 1);
  assert.deepEqual(r.violations, []);
  assert.equal(r.actor.status, 'done');
  assert.ok(r.notes.some((n) => /^unmodelled: __glue at <test>:1 \(inline asm; taken as an unknown value with no effect\)$/.test(n)), r.notes.join('\n'));
});

test('a non-atomic read-modify-write of shared state is two steps, so two CPUs can lose an update', async () => {
  const tree = new MemTreeView({ 'include/linux/t.h': HEADER });
  const program = await CProgram.load(tree, {}, { files: ['include/linux/t.h'] });
  const c = new Compiler(program, {});
  const loc = { file: '<test>', line: 1 };
  await c.compileGlue('inc', ['page'], await parseStatements('page->flags = page->flags + 1;', loc), loc);
  const world: World = {
    functions: c.functions, writtenFields: c.writtenFields, pages: [{ name: 'page', obj: 'p' }],
    actors: [0, 1].map(() => ({ role: 'cpu', entry: 'inc', args: ['p'], allocator: false, holds: {} })),
    freeCallbacks: new Set(), symmetry: [], flagsMutable: false,
  };
  const m = new Machine(world, { objs: { o0: {}, p: { flags: 0, _refcount: 1 } }, actors: [], life: { page: 'allocated' }, freeList: [] });
  assert.deepEqual(finalValues(m, 'flags').sort(), [1, 2]);
  const res = explore(m, { por: false });
  // 2 actors x (before read, between, done): the 9 interleaving points less the ones no order reaches.
  assert.equal(res.complete, true);
  assert.ok(res.states >= 6, `states ${res.states}`);
});

test('memdesc_is_zone_device(folio->flags) knows the page behind the flags word', async () => {
  const glue = 'dev = memdesc_is_zone_device(page->flags); zone = memdesc_zonenum(page->flags);';
  const device = await runAlone(glue, 1, '', { __zone: 5 });
  assert.deepEqual([Number(device.g.dev), Number(device.g.zone)], [1, 5]);
  const normal = await runAlone(glue, 1, '', { __zone: 2 });
  assert.deepEqual([Number(normal.g.dev), Number(normal.g.zone)], [0, 2]);
});

test('a function-like macro applies to name( even beside a local of the same name', async () => {
  const extra = '#define block_start(pfn, order) ((pfn) & ~((1UL << (order)) - 1))\n';
  const r = await runAlone('unsigned long block_start = 3; x = block_start(13, 2) + block_start;', 1, extra);
  assert.equal(Number(r.g.x), 12 + 3);
});

test('min, max, clamp, round_up/down, ALIGN, IS_ALIGNED, DIV_ROUND_UP mean what they say', async () => {
  // In a tree function, as kernels write them (a two-word type argument included).
  const extra = `
static void helpers(void)
{
	a = min(7, 3); b = max_t(unsigned long, 7, 3); c = clamp(12, 0, 10); d = round_down(13, 4);
	e = ALIGN(13, 8); f = IS_ALIGNED(16, 8); g = DIV_ROUND_UP(9, 4);
}
`;
  const r = await runAlone('helpers();', 1, extra);
  assert.deepEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => Number(r.g[k])), [3, 7, 10, 12, 16, 1, 3]);
});

/** Every path of one actor through its forks (each outcome of each step): the final states and the labels. */
function allPaths(m: Machine) {
  const ends: Array<{ g: Record<string, unknown>; assumptions: string[]; status: string }> = [];
  const todo = [{ s: m.initial(), assumptions: [] as string[] }];
  while (todo.length) {
    const { s, assumptions } = todo.pop()!;
    const en = m.enabled(s);
    if (!en.length) {
      ends.push({ g: s.objs.o0, assumptions, status: s.actors[0].status });
      continue;
    }
    const n = m.step(s, en[0]).outcomes ?? 1;
    for (let k = 0; k < n; k++) {
      const r = m.step(s, en[0], k);
      todo.push({ s: r.state, assumptions: [...assumptions, ...(r.label.assumption ? [r.label.assumption] : [])] });
    }
  }
  return ends;
}

async function machineFor(glue: string, extra: string, maxAssumptions?: number) {
  const tree = new MemTreeView({ 'include/linux/t.h': HEADER + extra });
  const program = await CProgram.load(tree, {}, { files: ['include/linux/t.h'] });
  const c = new Compiler(program, {});
  await c.compileGlue('__glue', ['page'], await parseStatements(glue, { file: '<test>', line: 1 }), { file: '<test>', line: 1 });
  const world: World = {
    functions: c.functions, writtenFields: c.writtenFields,
    pages: [{ name: 'page', obj: 'p' }], actors: [{ role: 'owner', entry: '__glue', args: ['p'], allocator: false, holds: {} }],
    freeCallbacks: new Set(), symmetry: [], flagsMutable: false, maxAssumptions,
  };
  const o0: Record<string, number | string> = Object.fromEntries(c.globalInits);
  return new Machine(world, { objs: { o0, p: { _refcount: 1 } }, actors: [], life: { page: 'allocated' }, freeList: [] });
}

test('a branch on a call the tree lacks goes both ways, each path naming its assumption; a value tested twice agrees', async () => {
  const ends = allPaths(await machineFor('int ok = probe_thing(page); if (ok) a = 1; else a = 2; if (!ok) b = 1; else b = 2;', ''));
  const seen = ends.map((e) => `${e.g.a}${e.g.b} ${e.assumptions.join('; ')}`).sort();
  assert.deepEqual(seen, [
    '12 assuming probe_thing(page) is true at <test>:1',
    '21 assuming probe_thing(page) is false at <test>:1',
  ]);
});

test('each call of a function the tree lacks is a new unknown; past the bound the default is taken, and said', async () => {
  const glue = 'n = 0; while (n < 5) { if (flip()) x = 1; n++; }';
  const free = allPaths(await machineFor(glue, ''));
  assert.equal(free.length, 2 ** 5);
  const bounded = allPaths(await machineFor(glue, '', 2));
  assert.equal(bounded.length, 2 ** 2);
  for (const e of bounded) {
    assert.equal(e.assumptions.length, 5);
    assert.match(e.assumptions[4], /^assuming flip\(\) is false at <test>:1 \(the bound of 2 assumptions on this path is reached: the default is taken\)$/);
  }
});

test('globals: an initializer is the starting value, no initializer (or only an extern) is unknown', async () => {
  const extra = 'int knob_on = 1;\nstatic bool knob_off = false;\nextern int knob_elsewhere;\n';
  const ends = allPaths(await machineFor('if (knob_on) a = 1; if (knob_off) b = 1; if (knob_elsewhere) c = 1;', extra));
  assert.deepEqual(ends.map((e) => `${e.g.a} ${e.g.b} ${e.g.c} ${e.assumptions.join('; ')}`).sort(), [
    '1 undefined 1 assuming knob_elsewhere is true at <test>:1',
    '1 undefined undefined assuming knob_elsewhere is false at <test>:1',
  ]);
});

test('a call through a pointer field the code never set goes to each function the tree stores in that field', async () => {
  const extra = `
struct thing_ops { void (*release)(struct page *page); };
static void release_a(struct page *page) { which = 1; }
static void release_b(struct page *page) { which = 2; }
static const struct thing_ops ops_a = { .release = release_a };
static const struct thing_ops ops_b = { .release = release_b };
`;
  // Lines 8 and 9 of the header: where each is stored.
  const ends = allPaths(await machineFor('page->pgmap->ops->release(page); after = 1;', extra));
  assert.deepEqual(ends.map((e) => `${e.status} ${e.g.which} ${e.g.after} ${e.assumptions.join('; ')}`).sort(), [
    'done 1 1 assuming ->release is release_a (include/linux/t.h:8) at <test>:1',
    'done 2 1 assuming ->release is release_b (include/linux/t.h:9) at <test>:1',
  ]);
  // A field nothing is ever stored in: the call is one the tree lacks, its result unknown.
  const none = allPaths(await machineFor('r = page->pgmap->ops->nothing_here(page); after = 1;', extra));
  assert.deepEqual(none.map((e) => [e.status, e.g.after]), [['done', 1]]);
});

test('the address of a field through a pointer nothing set (a driver lock in a struct the model did not build) is usable', async () => {
  const ends = allPaths(await machineFor('spin_lock(&page->pgmap->owner->lock); held = 1; spin_unlock(&page->pgmap->owner->lock); after = 1;', ''));
  assert.deepEqual(ends.map((e) => [e.status, e.g.held, e.g.after]), [['done', 1, 1]]);
});

test('a lock a helper the tree lacks returns is one lock: what one CPU unlocks, the other can take', async () => {
  const tree = new MemTreeView({ 'include/linux/t.h': HEADER });
  const program = await CProgram.load(tree, {}, { files: ['include/linux/t.h'] });
  const c = new Compiler(program, {});
  const loc = { file: '<test>', line: 1 };
  await c.compileGlue('cpu', ['page'], await parseStatements('spin_lock(lock_of(page)); n = 1; spin_unlock(lock_of(page));', loc), loc);
  const world: World = {
    functions: c.functions, writtenFields: c.writtenFields, pages: [{ name: 'page', obj: 'p' }],
    actors: [0, 1].map(() => ({ role: 'cpu', entry: 'cpu', args: ['p'], allocator: false, holds: {} })),
    freeCallbacks: new Set(), symmetry: [], flagsMutable: false,
  };
  const m = new Machine(world, { objs: { o0: {}, p: { _refcount: 1 } }, actors: [], life: { page: 'allocated' }, freeList: [] });
  const finals: string[] = [];
  const seen = new Set<string>();
  const todo = [m.initial()];
  while (todo.length) {
    const s = todo.pop()!;
    if (seen.has(m.key(s))) continue;
    seen.add(m.key(s));
    const en = m.enabled(s);
    if (!en.length) finals.push(s.actors.map((a) => a.status).join(','));
    for (const a of en) {
      const n = m.step(s, a).outcomes ?? 1;
      for (let k = 0; k < n; k++) todo.push(m.step(s, a, k).state);
    }
  }
  assert.deepEqual([...new Set(finals)], ['done,done']);
});

/** Every value page field `field` ends with, over every interleaving of the actors (no reduction). */
function finalValues(m: Machine, field: string): number[] {
  const finals = new Set<number>();
  const stack = [m.initial()];
  while (stack.length) {
    const s = stack.pop()!;
    const en = m.enabled(s);
    if (!en.length) finals.add(Number(s.objs.p[field]));
    for (const a of en) stack.push(m.step(s, a).state);
  }
  return [...finals];
}

/** Every path of the glue alone, outcomes of each fork included; a pruned outcome ends nowhere. */
function pathsWithViolations(m: Machine) {
  const ends: Array<{ g: Record<string, unknown>; violations: string[]; assumptions: string[] }> = [];
  const todo = [{ s: m.initial(), violations: [] as string[], assumptions: [] as string[] }];
  while (todo.length) {
    const { s, violations, assumptions } = todo.pop()!;
    const en = m.enabled(s);
    if (!en.length) {
      ends.push({ g: s.objs.o0, violations, assumptions });
      continue;
    }
    const n = m.step(s, en[0]).outcomes ?? 1;
    for (let k = 0; k < n; k++) {
      const r = m.step(s, en[0], k);
      if (r.pruned) continue;
      todo.push({ s: r.state, violations: [...violations, ...r.violations.map((v) => v.category)], assumptions: [...assumptions, ...(r.label.assumption ? [r.label.assumption] : [])] });
    }
  }
  return ends;
}

test("the kernel's assertions decide what the model does not know: BUG() behind an assumed branch drops that path, BUG_ON() of an unknown holds", async () => {
  // list_debug's shape: a check on a pointer the model never built, then BUG().
  const dropped = pathsWithViolations(await machineFor('if (list_is_corrupt(page)) BUG(); a = 1;', ''));
  assert.deepEqual(dropped.map((e) => [e.g.a, e.violations.length, e.assumptions.join()]), [[1, 0, 'assuming list_is_corrupt(page) is false at <test>:1']]);
  const holds = pathsWithViolations(await machineFor('BUG_ON(memcg_of(page)); a = 2;', ''));
  assert.equal(holds.length, 1);
  assert.deepEqual(holds[0].violations, []);
  assert.match(holds[0].assumptions.join(), /BUG_ON\(memcg_of\(page\)\) does not fire/);
  // A comparison inside the condition is decided both ways; the way that fires is dropped.
  const compared = pathsWithViolations(await machineFor('BUG_ON(memcg_of(page) != 0); a = 3;', ''));
  assert.deepEqual(compared.map((e) => [e.g.a, e.violations.length, e.assumptions.join()]), [[3, 0, 'assuming memcg_of(page) is false at <test>:1']]);
  // On values the model knows, the assertion fires, whatever the path assumed before it.
  const fires = pathsWithViolations(await machineFor('if (mystery(page)) b = 1; BUG_ON(page_ref_count(page) == 1);', ''));
  assert.deepEqual(fires.map((e) => e.violations), [['assertion'], ['assertion']], 'the BUG_ON fires on both paths');
  // BUG_ON(1) is BUG() spelled otherwise: behind a branch assumed in the same function, that path is dropped
  // (mem_cgroup_update_lru_size()'s VM_BUG_ON(1) after a WARN_ONCE on an lru size the model never built).
  const spelled = pathsWithViolations(await machineFor('if (lru_size_of(page) < 0) BUG_ON(1); a = 4;', ''));
  assert.deepEqual(spelled.map((e) => [e.g.a, e.violations.length]), [[4, 0]]);
});

test('lazily compiled: a tree function is compiled when a step first calls it, one on a path never taken never is', async () => {
  const tree = new MemTreeView({
    'include/linux/t.h': HEADER,
    'mm/used.c': 'void used_helper(struct page *page)\n{\n\tatomic_inc(&page->_refcount);\n\tnot_in_tree(page);\n}\n',
    'mm/never.c': 'void never_taken(struct page *page)\n{\n\tpage->flags = 2;\n}\n',
  });
  const program = await CProgram.load(tree, {}, { files: ['include/linux/t.h'] });
  const c = new Compiler(program, {}, 40, 4, Infinity, true);
  const loc = { file: '<test>', line: 1 };
  await c.compileGlue('__glue', ['page'], await parseStatements('if (page_ref_count(page) == 5) never_taken(page); used_helper(page); absent_helper(page);', loc), loc);
  assert.ok(!c.functions.has('used_helper') && !c.functions.has('never_taken'));
  const world: World = {
    functions: c.functions, writtenFields: c.writtenFields, pages: [{ name: 'page', obj: 'p' }],
    actors: [0, 1].map(() => ({ role: 'cpu', entry: '__glue', args: ['p'], allocator: false, holds: {} })),
    freeCallbacks: new Set(), symmetry: [], flagsMutable: false,
    lazy: { needs: new Map(), opaque: new Set(), maxCallDepth: Infinity, notFollowed: new Set(), localReads: new Set() },
  };
  const m = new Machine(world, { objs: { o0: {}, p: { _refcount: 1 } }, actors: [], life: { page: 'allocated' }, freeList: [] });
  let rounds = 0;
  const res = await exploreLazily(m, {}, async () => {
    rounds++;
    for (const [name, from] of world.lazy!.needs) if (!(await c.compileNeeded(name, from))) world.lazy!.opaque.add(name);
    world.lazy!.needs.clear();
    return 'resume';
  });
  assert.equal(res.complete, true, res.incompleteReason);
  assert.ok(rounds >= 1);
  assert.ok(c.functions.has('used_helper'));
  assert.ok(!c.functions.has('never_taken'), 'never called on any path');
  // A tree function's call of a name the tree does not define: an unknown, with a note where it was called.
  assert.ok(world.lazy!.opaque.has('not_in_tree'));
  assert.ok(c.notes.some((n) => n.text.startsWith('unmodelled call: not_in_tree() from used_helper at mm/used.c:4 (not found in the tree')), c.notes.map((n) => n.text).join('\n'));
  assert.ok(c.notes.some((n) => /^unmodelled call: absent_helper\(\) from __glue at <test>:1 \(not found in the tree/.test(n.text)), c.notes.map((n) => n.text).join('\n'));
  // Both CPUs' increments happened on every path: the final count is 3.
  assert.deepEqual(finalValues(m, '_refcount'), [3]);
});

test('a function whose code is replaced in place (a placeholder compiled later) runs its new code, not what was cached of the old', () => {
  const loc = { file: 't.c', line: 1 };
  const f = { name: 'f', file: 't.c', line: 1, params: [], paramTypes: [], nlocals: 0, localNames: [], glue: false,
    code: [{ op: 'const' as const, a: 0, loc }, { op: 'ret' as const, loc }] };
  const world: World = {
    functions: new Map([['f', f]]), writtenFields: new Set(['x']),
    pages: [{ name: 'page', obj: 'p' }], actors: [{ role: 'owner', entry: 'f', args: [], allocator: false, holds: {} }],
    freeCallbacks: new Set(), symmetry: [], flagsMutable: false,
  };
  const m = new Machine(world, { objs: { o0: {}, p: { _refcount: 1 } }, actors: [], life: { page: 'allocated' }, freeList: [] });
  // The first code is local only: the actor finishes before its first step.
  assert.deepEqual(m.enabled(m.initial()), []);
  // Now p->x = 1: a store to shared state, a step of its own (at an instruction the first code did not have).
  Object.assign(f, { code: [{ op: 'const', a: 'p', loc }, { op: 'const', a: 1, loc }, { op: 'fstore', a: 'x', loc }, { op: 'const', a: 0, loc }, { op: 'ret', loc }] });
  const s = m.initial();
  assert.deepEqual(m.enabled(s), [0]);
  const r = m.step(s, 0);
  assert.equal(r.state.objs.p.x, 1);
  assert.equal(r.label.op, 'store');
});

test('a decision about an unknown touches nothing shared: the explorer takes it alone, and finds what the full search finds', async () => {
  // Each CPU asks two questions the tree cannot answer (calls it lacks) before it races the other on the count:
  // without reduction every order of the four decisions with the other CPU's steps is a state of its own.
  const tree = new MemTreeView({ 'include/linux/t.h': HEADER });
  const program = await CProgram.load(tree, {}, { files: ['include/linux/t.h'] });
  const c = new Compiler(program, {});
  const loc = { file: '<test>', line: 1 };
  // The CPUs' get is a check then an increment: between the two the owner's put can free the page.
  const body = `
    if (page_is_mine(page)) return;
    if (!page_ref_count(page)) return;
    atomic_inc(&page->_refcount);
    if (still_wanted(page)) page->flags = page->flags + 1;
    if (atomic_dec_and_test(&page->_refcount)) __free_pages(page, 0);`;
  await c.compileGlue('cpu', ['page'], await parseStatements(body, loc), loc);
  await c.compileGlue('owner', ['page'], await parseStatements('if (atomic_dec_and_test(&page->_refcount)) __free_pages(page, 0);', loc), loc);
  const world: World = {
    functions: c.functions, writtenFields: c.writtenFields, pages: [{ name: 'page', obj: 'p' }],
    actors: [
      { role: 'owner', entry: 'owner', args: ['p'], allocator: false, holds: { page: 1 } },
      ...[0, 1].map(() => ({ role: 'cpu', entry: 'cpu', args: ['p'], allocator: false, holds: {} })),
    ],
    freeCallbacks: new Set(), symmetry: [], flagsMutable: false,
  };
  const machine = () => new Machine(world, { objs: { o0: {}, p: { flags: 0, _refcount: 1 } }, actors: [], life: { page: 'allocated' }, freeList: [] });
  const m = machine();
  // What a CPU may still touch: the fields its code names, of any page, and the life (its put may free).
  const s0 = m.initial();
  const fields = (as: Access[]) => as.map((x) => `${x.loc}.${x.field ?? '*'}:${x.write ? 'w' : 'r'}`).sort();
  assert.deepEqual(fields(m.future(s0, 1)), ['*._count:r', '*._refcount:w', '*.flags:w', 'life.life:w']);
  assert.deepEqual(m.footprint(s0, 1), [], 'the first step is the decision about page_is_mine()');
  const reduced = explore(m, { exhaustive: true });
  const noPersistent = machine() as Partial<Machine>;
  Object.defineProperty(noPersistent, 'future', { value: undefined });
  const sleepOnly = explore(noPersistent as Machine, { exhaustive: true });
  const full = explore(machine(), { por: false, exhaustive: true });
  assert.equal(reduced.complete && sleepOnly.complete && full.complete, true);
  const categories = (r: typeof full) => r.violations.map((v) => v.category).sort();
  assert.deepEqual(categories(reduced), categories(full));
  assert.deepEqual(categories(sleepOnly), categories(full));
  assert.ok(categories(full).includes('speculative-get-on-free-page'), `the owner's put races the check: ${categories(full)}`);
  assert.ok(reduced.states < sleepOnly.states, `persistent sets: ${reduced.states} states, sleep sets alone: ${sleepOnly.states}`);
  assert.equal(sleepOnly.states, full.states, 'sleep sets alone prune transitions, not states');
});

test("a step on a field no other actor's code touches is taken alone; what an actor may touch shrinks as its code runs", async () => {
  const tree = new MemTreeView({ 'include/linux/t.h': 'struct page { atomic_t _refcount; long a; long b; };\n' });
  const program = await CProgram.load(tree, {}, { files: ['include/linux/t.h'] });
  const c = new Compiler(program, {});
  const loc = { file: '<test>', line: 1 };
  // Each CPU keeps notes in a field of its own before it takes its part in the race on the count.
  await c.compileGlue('owner', ['page'], await parseStatements('page->a = 1; page->a = 2; page->a = 3; if (atomic_dec_and_test(&page->_refcount)) __free_pages(page, 0);', loc), loc);
  await c.compileGlue('walker', ['page'], await parseStatements('page->b = 1; page->b = 2; page->b = 3; if (!page_ref_count(page)) return; atomic_inc(&page->_refcount); if (atomic_dec_and_test(&page->_refcount)) __free_pages(page, 0);', loc), loc);
  const world: World = {
    functions: c.functions, writtenFields: c.writtenFields, pages: [{ name: 'page', obj: 'p' }],
    actors: [
      { role: 'owner', entry: 'owner', args: ['p'], allocator: false, holds: { page: 1 } },
      { role: 'walker', entry: 'walker', args: ['p'], allocator: false, holds: {} },
    ],
    freeCallbacks: new Set(), symmetry: [], flagsMutable: false,
  };
  const machine = () => new Machine(world, { objs: { o0: {}, p: { _refcount: 1 } }, actors: [], life: { page: 'allocated' }, freeList: [] });
  const m = machine();
  const fields = (as: Access[]) => as.map((x) => `${x.loc}.${x.field ?? '*'}:${x.write ? 'w' : 'r'}`).sort();
  let s = m.initial();
  assert.deepEqual(fields(m.footprint(s, 0)), ['p.a:w']);
  assert.deepEqual(fields(m.future(s, 1)), ['*._count:r', '*._refcount:w', '*.b:w', 'life.life:w']);
  // Past its notes and its put, the owner may touch nothing more of the page's fields.
  for (let k = 0; k < 3; k++) s = m.step(s, 0).state;
  assert.deepEqual(fields(m.future(s, 0)), ['*._count:r', '*._refcount:w', 'life.life:w']);
  s = m.step(s, 0).state;
  assert.deepEqual(fields(m.future(s, 0)), ['*._count:r', '*._refcount:r', 'life.life:w'], 'only the free is left (its message says the count)');
  const reduced = explore(m, { exhaustive: true });
  const noPersistent = machine() as Partial<Machine>;
  Object.defineProperty(noPersistent, 'future', { value: undefined });
  const sleepOnly = explore(noPersistent as Machine, { exhaustive: true });
  const full = explore(machine(), { por: false, exhaustive: true });
  const categories = (r: typeof full) => r.violations.map((v) => v.category).sort();
  assert.deepEqual(categories(reduced), categories(full));
  assert.ok(categories(full).includes('speculative-get-on-free-page'), `${categories(full)}`);
  // The notes are not interleaved with each other: each CPU takes its three alone.
  assert.ok(reduced.states * 2 < sleepOnly.states, `persistent sets: ${reduced.states} states, sleep sets alone: ${sleepOnly.states}`);
});

test('random programs: persistent sets from futures and sleep sets reach the end states and the violations the full search does', async () => {
  // Helpers a program may call: a store through a pointer argument (its future cannot place the pointer), a
  // read through one, and a function reached through a pointer (an unbounded future).
  const header = `
struct page { atomic_t _refcount; long a; long b; long c; int lock; };
static void set_word(long *p, long v) { *p = v; }
static long get_word(long *p) { return *p; }
static void bump_b(struct page *page) { page->b = page->b + 1; }
`;
  const tree = new MemTreeView({ 'include/linux/t.h': header });
  const program = await CProgram.load(tree, {}, { files: ['include/linux/t.h'] });
  const loc = { file: '<test>', line: 1 };
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const field = () => pick(['a', 'b', 'c']);
  const statement = (): string => pick([
    () => `page->${field()} = page->${field()} + 1;`,
    () => `set_word(&page->${field()}, ${1 + Math.floor(rnd() * 3)});`,
    () => `if (get_word(&page->${field()}) == 1) page->${field()} = 2;`,
    () => `if (decide_${Math.floor(rnd() * 3)}(page)) page->${field()} = 3;`,
    () => 'spin_lock(&page->lock); page->c = page->c + 1; spin_unlock(&page->lock);',
    () => 'if (page_ref_count(page)) atomic_inc(&page->_refcount); else return;',
    () => 'if (atomic_dec_and_test(&page->_refcount)) __free_pages(page, 0);',
    () => 'ops->bump(page);',
  ])();
  let reducedAny = false;
  for (let k = 0; k < 24; k++) {
    const c = new Compiler(program, {});
    // bump_b compiled, so that a call through ops->bump runs it.
    await c.compileGlue('uses_bump_b', ['page'], await parseStatements('bump_b(page);', loc), loc);
    const n = 2 + Math.floor(rnd() * 2);
    const actors: World['actors'] = [];
    for (let i = 0; i < n; i++) {
      const body = Array.from({ length: 2 + Math.floor(rnd() * 3) }, statement).join('\n');
      await c.compileGlue(`cpu${i}`, ['page', 'ops'], await parseStatements(body, loc), loc);
      actors.push({ role: i === 0 ? 'owner' : 'walker', entry: `cpu${i}`, args: ['p', 'ops'], allocator: false, holds: i === 0 ? { page: 1 } : {} });
    }
    const world: World = {
      functions: c.functions, writtenFields: c.writtenFields, pages: [{ name: 'page', obj: 'p' }], actors,
      freeCallbacks: new Set(), symmetry: [], flagsMutable: false,
    };
    const ends = (por: boolean) => {
      const m = new Machine(world, { objs: { o0: {}, p: { _refcount: 1, a: 0, b: 0, c: 0, lock: 0 }, ops: { bump: 'fn:bump_b' } }, actors: [], life: { page: 'allocated' }, freeList: [] });
      const seen = new Set<string>();
      const sys = Object.create(m) as Machine;
      sys.final = (s) => {
        seen.add(`${JSON.stringify(s.objs.p)} ${s.life.page} ${s.actors.map((a) => a.status).join(',')}`);
        return m.final(s);
      };
      const r = explore(sys, { por, exhaustive: true });
      assert.equal(r.complete, true);
      return { ends: [...seen].sort(), categories: [...new Set(r.violations.map((v) => v.category))].sort(), states: r.states };
    };
    const full = ends(false);
    const reduced = ends(true);
    assert.deepEqual(reduced.ends, full.ends, `program ${k}: end states`);
    assert.deepEqual(reduced.categories, full.categories, `program ${k}: violations`);
    if (reduced.states < full.states) reducedAny = true;
  }
  assert.ok(reducedAny, 'the reduction took states off some program');
});
