// The machine's step cache (Machine.memo): a step taken from it is the step the interpreter would take, and
// code compiled after a step was cached is not answered from the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemTreeView } from '../../analyzers/mem-tree-view.ts';
import { CProgram } from '../frontend/program.ts';
import { parseStatements } from '../frontend/parse-c.ts';
import { Compiler } from './compile.ts';
import { Machine, type World } from './machine.ts';
import { explore } from '../explore/explore.ts';

const HEADER = 'struct page { unsigned long flags; atomic_t _refcount; int state; int y; };\n';
const LOC = { file: '<test>', line: 1 };

async function compiled(glues: Record<string, string>) {
  const tree = new MemTreeView({ 'include/linux/t.h': HEADER });
  const program = await CProgram.load(tree, {}, { files: ['include/linux/t.h'] });
  const c = new Compiler(program, {});
  for (const [name, glue] of Object.entries(glues)) await c.compileGlue(name, ['page'], await parseStatements(glue, LOC), LOC);
  return c;
}

type Role = { role: string; allocator?: boolean; holds?: Record<string, number> };

/** A world of the compiled glues: one actor per role, each running the glue named after its role, on page p. */
function worldOf(c: Compiler, roles: Role[], symmetry: number[][] = []): World {
  return {
    functions: c.functions, writtenFields: c.writtenFields, pages: [{ name: 'page', obj: 'p' }],
    actors: roles.map((r) => ({ role: r.role, entry: r.role, args: ['p'], allocator: r.allocator ?? false, holds: r.holds ?? {} })),
    freeCallbacks: new Set(), symmetry, flagsMutable: false,
  };
}

test('a search with the step cache takes the same steps, finds the same violations with the same traces, as one without', async () => {
  // The owner drops its reference and frees the page; two identical walkers take and drop one without
  // checking (a get on a free page, and a second free); the driver waits for the free page and hands it out
  // again, which reads whether anybody else still holds it (the cache keys such a step by the others too).
  const c = await compiled({
    owner: 'if (atomic_dec_and_test(&page->_refcount)) __free_pages(page, 0);',
    walker: 'atomic_inc(&page->_refcount); if (page->state) seen = 1; if (atomic_dec_and_test(&page->_refcount)) __free_pages(page, 0);',
    driver: '__kbot_wait_free(page); __kbot_alloc(page); atomic_inc(&page->_refcount); page->state = 1;',
  });
  const world = () => worldOf(c, [{ role: 'owner', holds: { page: 1 } }, { role: 'walker' }, { role: 'walker' }, { role: 'driver', allocator: true }], [[0], [1, 2], [3]]);
  const init = { objs: { o0: {}, p: { _refcount: 1, state: 0 } }, actors: [], life: { page: 'allocated' as const }, freeList: [] };
  const cached = new Machine(world(), init);
  const plain = new Machine(world(), init, { stepCache: false });
  const a = explore(cached, { exhaustive: true });
  const b = explore(plain, { exhaustive: true });
  assert.ok(a.complete && b.complete);
  assert.deepEqual([a.states, a.transitions], [b.states, b.transitions]);
  const shown = (r: typeof a) => r.violations.map((v) => ({ category: v.category, message: v.message, steps: v.steps })).sort((x, y) => x.category.localeCompare(y.category));
  assert.deepEqual(shown(a), shown(b));
  assert.deepEqual(a.violations.map((v) => v.category).sort(), ['double-free', 'speculative-get-on-free-page', 'use-after-free']);
  assert.ok(cached.stepCache.hits > cached.stepCache.runs, `${cached.stepCache.hits} steps from the cache, ${cached.stepCache.runs} run`);
  assert.equal(plain.stepCache.hits, 0);
});

test('a field that compiled code now writes makes the step that read it as local stop before that read: the cache is not asked', async () => {
  const c = await compiled({ cpu: 'atomic_inc(&page->_refcount); int v = page->y; if (v) atomic_dec(&page->_refcount);' });
  const w = worldOf(c, [{ role: 'cpu' }]);
  const m = new Machine(w, { objs: { o0: {}, p: { _refcount: 1, y: 7 } }, actors: [], life: { page: 'allocated' }, freeList: [] });
  const s = m.initial();
  const pc = (r: ReturnType<typeof m.step>) => r.state.actors[0]!.frames[0]!.pc;
  // Nothing writes ->y: the read of it is local, and the step runs on to the atomic_dec.
  const past = pc(m.step(s, 0));
  assert.equal(pc(m.step(s, 0)), past);
  assert.equal(m.stepCache.hits, 1);
  // Code compiled since (as a lazy run's supply does) writes ->y: the same step now stops before that read.
  w.writtenFields.add('y');
  const before = pc(m.step(s, 0));
  assert.ok(before < past, `stopped at ${before}, before ${past}`);
  assert.equal(m.stepCache.hits, 1);
});

test('a step that reads who else holds the page (handing it out again) is cached with the other actors: each CPU is named where it holds it', async () => {
  const c = await compiled({ walker: 'atomic_inc(&page->_refcount);', driver: '__kbot_alloc(page);' });
  const w = worldOf(c, [{ role: 'walker' }, { role: 'walker' }, { role: 'driver', allocator: true }]);
  const m = new Machine(w, { objs: { o0: {}, p: { _refcount: 0 } }, actors: [], life: { page: 'free' }, freeList: ['page'] });
  const s = m.initial();
  // Either walker's get leaves the same objects, the same life and the same driver: only who holds differs.
  const byCpu0 = m.step(s, 0).state;
  const byCpu1 = m.step(s, 1).state;
  assert.deepEqual(byCpu0.objs, byCpu1.objs);
  const said = (from: typeof s) => m.step(from, 2).violations.map((v) => v.message);
  assert.deepEqual(said(byCpu0), ['the driver hands page out again while CPU0 still holds a reference to it']);
  assert.deepEqual(said(byCpu1), ['the driver hands page out again while CPU1 still holds a reference to it']);
  assert.deepEqual(said(byCpu0), ['the driver hands page out again while CPU0 still holds a reference to it']);
  assert.ok(m.stepCache.hits >= 1);
});

test('handing the page out reads only who else holds it: where the others differ otherwise, the step comes from the cache', async () => {
  const c = await compiled({ holder: 'atomic_inc(&page->_refcount);', reader: 'atomic_read(&page->flags); atomic_read(&page->flags);', driver: '__kbot_alloc(page);' });
  const w = worldOf(c, [{ role: 'holder' }, { role: 'reader' }, { role: 'driver', allocator: true }]);
  const m = new Machine(w, { objs: { o0: {}, p: { _refcount: 0, flags: 0 } }, actors: [], life: { page: 'free' }, freeList: ['page'] });
  const held = m.step(m.initial(), 0).state;
  // The reader moves on: the objects, the life and the driver are as they were, and CPU0 still holds the page.
  const readerMoved = m.step(held, 1).state;
  assert.notEqual(readerMoved.actors[1], held.actors[1]);
  assert.deepEqual(readerMoved.objs, held.objs);
  const said = (from: typeof held) => m.step(from, 2).violations.map((v) => v.message);
  assert.deepEqual(said(held), ['the driver hands page out again while CPU0 still holds a reference to it']);
  const hits = m.stepCache.hits;
  assert.deepEqual(said(readerMoved), ['the driver hands page out again while CPU0 still holds a reference to it']);
  assert.equal(m.stepCache.hits, hits + 1);
});

test('a lone driver handing the page out (no other actor to key by) is taken from the cache as it was run', async () => {
  const c = await compiled({ driver: '__kbot_alloc(page); atomic_inc(&page->_refcount);' });
  const w = worldOf(c, [{ role: 'driver', allocator: true }]);
  const m = new Machine(w, { objs: { o0: {}, p: { _refcount: 0 } }, actors: [], life: { page: 'free' }, freeList: ['page'] });
  const s = m.initial();
  const first = m.step(s, 0).state;
  const again = m.step(s, 0).state;
  assert.equal(m.stepCache.hits, 1);
  assert.deepEqual([again.life, again.actors[0]!.status, again.actors[0]!.held], [first.life, first.actors[0]!.status, first.actors[0]!.held]);
  assert.deepEqual(again.life, { page: 'allocated' });
});
