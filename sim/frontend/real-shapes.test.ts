// Shapes met in real kernel trees (not in the simplified example trees): what the front end must read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CProgram, walkStmt } from './program.ts';
import { fixtureTree, memorySource } from './fixtures/memory-source.ts';
import { preprocess } from './preprocess.ts';
import type { Expr, Stmt } from './ast.ts';

function callsIn(s: Stmt): Array<{ name: string; args: Expr[] }> {
  const out: Array<{ name: string; args: Expr[] }> = [];
  walkStmt(s, () => {}, (e) => { if (e.k === 'call' && e.callee.k === 'id') out.push({ name: e.callee.name, args: e.args }); });
  return out;
}

function unmodelledIn(s: Stmt): string[] {
  const out: string[] = [];
  walkStmt(s, (x) => { if (x.k === 'unmodelled') out.push(x.why); }, (e) => { if (e.k === 'unmodelled') out.push(e.why); });
  return out;
}

test('a header under #ifdef __KERNEL__ is read: the build defines __KERNEL__ and the compiler macros', async () => {
  const p = await CProgram.load(memorySource(fixtureTree('real-shapes')), { CONFIG_64BIT: 'y' }, { files: ['include/linux/mm.h'] });
  assert.ok(p.getFunction('grab_unless_zero'), 'the guarded body is active');
  assert.ok(p.getFunction('drop_ref'));
  assert.ok(p.getFunction('long_is_wide'), '__SIZEOF_LONG__ is 8 on a 64-bit build');
  assert.equal(p.getFunction('user_view_only'), undefined, 'the !__KERNEL__ branch is dropped');
  assert.deepEqual(p.notes.filter((n) => /__KERNEL__|__SIZEOF_LONG__/.test(n.text)), [], 'no guess was needed');

  const p32 = await CProgram.load(memorySource(fixtureTree('real-shapes')), {}, { files: ['include/linux/mm.h'] });
  assert.equal(p32.getFunction('long_is_wide'), undefined, 'a 32-bit build has 4-byte longs');
});

test('a tree that #undefs a predefined macro wins over the build default', () => {
  const r = preprocess(['#undef __KERNEL__', '#ifdef __KERNEL__', 'int kernel_side;', '#endif', 'int tail;'].join('\n'), 'u.h', {});
  assert.equal(r.text.includes('kernel_side'), false);
  assert.ok(r.text.includes('tail'));
});

test('type names as macro arguments (container_of, list_first_entry, offsetof) keep the call', async () => {
  const p = await CProgram.load(memorySource(fixtureTree('real-shapes')), {}, { files: ['lib/pool.c'] });
  const chunkOf = p.getFunction('pool_chunk_of')!;
  assert.deepEqual(unmodelledIn(chunkOf.body), [], 'the return statement is not a parse error');
  const co = callsIn(chunkOf.body).find((c) => c.name === 'container_of')!;
  assert.equal(co.args.length, 3);
  assert.equal(co.args[0].k, 'member');
  assert.deepEqual(co.args[1].k === 'str' && co.args[1].v, 'struct pool_chunk');
  assert.deepEqual(co.args[2].k === 'id' && co.args[2].name, 'pagemap');

  const free = p.getFunction('pool_page_free')!;
  assert.deepEqual(unmodelledIn(free.body), []);
  const calls = callsIn(free.body);
  const lfe = calls.find((c) => c.name === 'list_first_entry')!;
  assert.deepEqual(lfe.args.map((a) => a.k), ['unary', 'str', 'id']);
  const off = calls.find((c) => c.name === 'offsetof')!;
  assert.deepEqual(off.args[0].k === 'str' && off.args[0].v, 'union pool_slot');

  // A real syntax error next to a type argument is still reported, not papered over.
  const broken = p.getFunction('pool_broken');
  const why = broken ? unmodelledIn(broken.body) : ['parse error'];
  assert.ok(why.some((w) => /parse error/.test(w)), `got ${why.join(', ')}`);
});
