// How the machine numbers an actor's state (Machine.vector): from numbers (its frames', its assumptions'),
// with the same meaning as the whole state's text: the same state is one number however it was reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemTreeView } from '../../analyzers/mem-tree-view.ts';
import { CProgram } from '../frontend/program.ts';
import { parseStatements } from '../frontend/parse-c.ts';
import { Compiler } from './compile.ts';
import { Machine, type World } from './machine.ts';
import { explore } from '../explore/explore.ts';

const HEADER = 'struct page { unsigned long flags; atomic_t _refcount; int y; int z; };\n';
const LOC = { file: '<test>', line: 1 };

/** States of a search of a reader of two unknowns, in the order `first`/`second` when page->y is set, and a writer of page->y. */
async function statesWith(first: string, second: string): Promise<number> {
  const tree = new MemTreeView({ 'include/linux/t.h': HEADER });
  const program = await CProgram.load(tree, {}, { files: ['include/linux/t.h'] });
  const c = new Compiler(program, {});
  // get_a() and get_b() are not in the tree: unknowns, each decided the first time a branch tests it. Which
  // one is decided first depends on whether the writer has run yet; after the branches the actor is the same.
  const reader = `int a = get_a(); int b = get_b(); int n = 0;
    if (page->y) { if (${first}) n++; if (${second}) n++; } else { if (a) n++; if (b) n++; }
    page->z = n; page->z = 0;`;
  await c.compileGlue('reader', ['page'], await parseStatements(reader, LOC), LOC);
  await c.compileGlue('writer', ['page'], await parseStatements('page->y = 1;', LOC), LOC);
  const w: World = {
    functions: c.functions, writtenFields: c.writtenFields, pages: [{ name: 'page', obj: 'p' }],
    actors: ['reader', 'writer'].map((role) => ({ role, entry: role, args: ['p'], allocator: false, holds: {} })),
    freeCallbacks: new Set(), symmetry: [[0], [1]], flagsMutable: false,
  };
  const r = explore(new Machine(w, { objs: { p: { _refcount: 1, y: 0, z: 0 } }, actors: [], life: { page: 'allocated' }, freeList: [] }), { exhaustive: true });
  assert.ok(r.complete);
  return r.states;
}

test('the same assumptions made in another order are one state: a search has as many states as with one order', async () => {
  const sameOrder = await statesWith('a', 'b');
  const otherOrder = await statesWith('b', 'a');
  assert.equal(otherOrder, sameOrder);
  // The join is where they meet: the states after it are counted once, not once per order.
  assert.ok(sameOrder > 4, `${sameOrder} states`);
});
