// Iterator macros defined as for-loop headers run as loops with their bodies; others stay unmodelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CProgram, walkStmt } from './program.ts';
import { fixtureTree, memorySource } from './fixtures/memory-source.ts';
import { iteratorForHeader, splitCall } from './iterator-macros.ts';
import type { Stmt } from './ast.ts';

const WALK = readFileSync(new URL('./fixtures/iterators/mm/walk.c', import.meta.url), 'utf8');
const lineOf = (needle: string) => WALK.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** The for-loops of a body, with the calls (name and line) inside each. */
function loops(s: Stmt): Array<{ line: number; calls: Array<{ name: string; line: number }> }> {
  const out: Array<{ line: number; calls: Array<{ name: string; line: number }> }> = [];
  walkStmt(s, (x) => {
    if (x.k !== 'for') return;
    const calls: Array<{ name: string; line: number }> = [];
    walkStmt(x.body, () => {}, (e) => { if (e.k === 'call' && e.callee.k === 'id') calls.push({ name: e.callee.name, line: e.loc.line }); });
    out.push({ line: x.loc.line, calls });
  }, () => {});
  return out;
}

function unmodelled(s: Stmt): string[] {
  const out: string[] = [];
  walkStmt(s, (x) => { if (x.k === 'unmodelled') out.push(x.why); }, (e) => { if (e.k === 'unmodelled') out.push(e.why); });
  return out;
}

async function load() {
  return CProgram.load(memorySource(fixtureTree('iterators')), {}, { files: ['include/linux/list.h', 'mm/walk.c'] });
}

test('an iterator whose #define is a for header runs as that loop, its body on its own lines', async () => {
  const p = await load();
  for (const [fn, callee] of [['walk_block', 'grab_block'], ['walk_if', 'grab_if'], ['walk_nested', 'grab_nested'], ['walk_defn', 'grab_defn']]) {
    const f = p.getFunction(fn);
    assert.ok(f, fn);
    assert.deepEqual(unmodelled(f!.body), [], `${fn} is fully modelled`);
    const ls = loops(f!.body);
    assert.equal(ls.length, 1, `${fn} has one loop`);
    const call = ls[0].calls.find((c) => c.name === callee);
    assert.ok(call, `${fn}: ${callee} is inside the loop`);
    assert.equal(call!.line, lineOf(`${callee}(`), `${fn}: ${callee} keeps its line`);
  }
  // The header's own calls come from the macro (node_entry in for_each_entry) and sit on the iterator's line.
  const header = loops(p.getFunction('walk_if')!.body)[0];
  assert.equal(header.line, lineOf('for_each_entry(it'));
  assert.ok(!p.notes.some((n) => /walk_(block|if|nested|defn) /.test(n.text) && n.kind === 'unmodelled'), 'no unmodelled note for expanded iterators');
});

test('an iterator the tree does not define, or defines by token pasting, stays unmodelled with its body', async () => {
  const p = await load();
  const unknown = p.getFunction('walk_unknown')!;
  assert.deepEqual(unmodelled(unknown.body), ['parse error (an iterator-style macro?)']);
  assert.equal(loops(unknown.body).length, 0);
  // The body is kept (what it calls is seen), inside a loop whose test is the unmodelled iterator: it does not
  // leak out as code that runs once after the block.
  const top: string[] = [];
  const inLoop: string[] = [];
  for (const st of unknown.body.k === 'block' ? unknown.body.body : []) {
    const into = st.k === 'while' && st.test.k === 'unmodelled' ? inLoop : top;
    walkStmt(st, () => {}, (e) => { if (e.k === 'call' && e.callee.k === 'id') into.push(e.callee.name); });
  }
  assert.deepEqual(top, ['after_unknown'], 'the body does not leak out as code that runs once');
  assert.deepEqual(inLoop, ['grab_unknown'], 'the body stays under the unmodelled iterator');
  assert.deepEqual(unmodelled(p.getFunction('walk_pasted')!.body), ['parse error (an iterator-style macro?)']);
});

test('iteratorForHeader substitutes arguments, follows iterators defined through others, and refuses the rest', () => {
  const defs = new Map([
    ['it', { name: 'it', params: ['p', 'h'], variadic: false, body: 'for (p = (h)->next; p != (h); p = p->next)', file: 'l.h', line: 1 }],
    ['outer', { name: 'outer', params: ['x'], variadic: false, body: 'it(x, &heads[0])', file: 'l.h', line: 2 }],
    ['withbody', { name: 'withbody', params: ['p'], variadic: false, body: 'for (p = 0; p < 3; p++) if (p)', file: 'l.h', line: 3 }],
  ]);
  const look = (n: string) => defs.get(n);
  assert.equal(iteratorForHeader('it(pos, &list)', look), 'for (pos = (&list)->next; pos != (&list); pos = pos->next)');
  assert.equal(iteratorForHeader('outer(q)', look), 'for (q = (&heads[0])->next; q != (&heads[0]); q = q->next)');
  assert.equal(iteratorForHeader('withbody(p)', look), null, 'a definition that carries more than the header');
  assert.equal(iteratorForHeader('it(pos)', look), null, 'wrong argument count');
  assert.equal(iteratorForHeader('nothing(pos)', look), null);
  assert.deepEqual(splitCall('f(a, g(b, c), "x,y", \',\')'), { name: 'f', args: ['a', 'g(b, c)', '"x,y"', "','"] });
});
