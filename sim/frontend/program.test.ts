import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CProgram, walkStmt } from './program.ts';
import { fixtureTree, memorySource } from './fixtures/memory-source.ts';
import type { Expr, Stmt } from './ast.ts';

const V4_FILES = ['include/linux/mmdebug.h', 'include/linux/page_ref.h', 'include/linux/memremap.h', 'include/linux/mm.h'];
const V6_FILES = ['include/linux/page_ref.h', 'include/linux/page-flags.h', 'include/linux/memremap.h', 'include/linux/mm.h'];

const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

function calls(s: Stmt): string[] {
  const out: string[] = [];
  walkStmt(s, () => {}, (e) => { if (e.k === 'call' && e.callee.k === 'id') out.push(e.callee.name); });
  return out;
}

test('v4 tree: functions found with exact lines, the tracepoint guard follows kconfig', async () => {
  const tree = fixtureTree('v4');
  const src = memorySource(tree);
  const p = await CProgram.load(src, { CONFIG_DEV_PAGEMAP_OPS: 'y' }, { files: V4_FILES });
  const pageRef = tree.get('include/linux/page_ref.h')!;
  const dec = p.getFunction('page_ref_dec_and_test')!;
  assert.equal(dec.file, 'include/linux/page_ref.h');
  assert.equal(dec.line, lineOf(pageRef, 'static inline int page_ref_dec_and_test'));
  assert.equal(dec.endLine, dec.line + 7);
  assert.deepEqual(dec.params, [{ name: 'page', type: 'struct page *' }]);
  assert.equal(dec.returnType, 'int');
  assert.ok(dec.isStatic && dec.isInline);
  // Without CONFIG_DEBUG_PAGE_REF the guard is the `false` variant and the hook is an empty inline.
  assert.equal(p.macro('page_ref_tracepoint_active')?.body, 'false');
  assert.equal(p.getFunction('__page_ref_mod_and_test')?.line, lineOf(pageRef, 'static inline void __page_ref_mod_and_test'));
  const guard = await p.expandMacroCall('page_ref_tracepoint_active', [{ k: 'id', name: '__tracepoint_page_ref_mod_and_test', loc: { file: 'x', line: 1 } }], { file: dec.file, line: dec.line + 4 });
  assert.deepEqual(guard, { k: 'num', v: 0, loc: { file: dec.file, line: dec.line + 4 } });

  const debug = await CProgram.load(memorySource(tree), { CONFIG_DEBUG_PAGE_REF: 'y', CONFIG_TRACEPOINTS: 'y' }, { files: V4_FILES });
  assert.match(debug.macro('page_ref_tracepoint_active')!.body, /static_key_false/);
  assert.equal(debug.getFunction('__page_ref_mod_and_test'), undefined, 'only declared (extern) with the tracepoint on');

  // The #if IS_ENABLED(CONFIG_DEV_PAGEMAP_OPS) block inside put_page.
  const mm = tree.get('include/linux/mm.h')!;
  const putOn = p.getFunction('put_page')!;
  assert.ok(calls(putOn.body).includes('put_zone_device_private_page'));
  const off = await CProgram.load(memorySource(tree), {}, { files: V4_FILES });
  const putOff = off.getFunction('put_page')!;
  assert.ok(!calls(putOff.body).includes('put_zone_device_private_page'));
  assert.equal(putOff.line, lineOf(mm, 'static inline void put_page'));
  const ifStmt = putOff.body.k === 'block' ? putOff.body.body.find((s) => s.k === 'if') : undefined;
  assert.equal(ifStmt?.loc.line, lineOf(mm, 'if (put_page_testzero(page))'));

  // Enums with implicit and explicit values.
  assert.equal(p.enumValue('MEMORY_DEVICE_HOST'), 0);
  assert.equal(p.enumValue('MEMORY_DEVICE_PUBLIC'), 2);
  // CONFIG_ZONE_DEVICE off: the stub variant after #else.
  const memremap = tree.get('include/linux/memremap.h')!;
  const stub = p.getFunction('is_device_private_page')!;
  assert.equal(stub.line, memremap.split('\n').findIndex((l, i) => i > lineOf(memremap, '#else') - 1 && l.includes('is_device_private_page')) + 1);
  assert.deepEqual(stub.body.k === 'block' ? stub.body.body.map((s) => s.k === 'return' ? s.e : s) : [], [{ k: 'num', v: 0, loc: { file: 'include/linux/memremap.h', line: stub.line + 2 } }]);
  const zd = await CProgram.load(memorySource(tree), { CONFIG_ZONE_DEVICE: 'y' }, { files: V4_FILES });
  assert.equal(zd.getFunction('is_device_private_page')?.line, lineOf(memremap, 'static inline bool is_device_private_page'));
});

test('v4 tree: VM_BUG_ON_PAGE expands by kconfig; likely() has a fallback', async () => {
  const tree = fixtureTree('v4');
  const loc = { file: 'include/linux/mm.h', line: 7 };
  const args: Expr[] = [
    { k: 'binary', op: '==', left: { k: 'call', callee: { k: 'id', name: 'page_ref_count', loc }, args: [{ k: 'id', name: 'page', loc }], loc }, right: { k: 'num', v: 0, loc }, loc },
    { k: 'id', name: 'page', loc },
  ];
  const dbg = await CProgram.load(memorySource(tree), { CONFIG_DEBUG_VM: 'y' }, { files: V4_FILES });
  const e = await dbg.expandMacroCall('VM_BUG_ON_PAGE', args, loc);
  assert.equal(e?.k, 'stmtexpr');
  const body = e!.k === 'stmtexpr' ? e!.body : [];
  assert.equal(body[0].k, 'do');
  const names = calls({ k: 'block', body, loc });
  assert.deepEqual(names.filter((n) => n !== '__stringify'), ['unlikely', 'page_ref_count', 'dump_page', 'BUG']);
  assert.ok(body.every((s) => s.loc.line === 7), 'the expansion sits on the call line');
  // the condition argument was substituted as an AST, keeping its own shape
  walkStmt(body[0], () => {}, (x) => { if (x.k === 'call' && x.callee.k === 'id' && x.callee.name === 'unlikely') assert.deepEqual(x.args[0], args[0]); });

  const prod = await CProgram.load(memorySource(tree), {}, { files: V4_FILES });
  const e2 = await prod.expandMacroCall('VM_BUG_ON_PAGE', args, loc);
  assert.equal(e2?.k, 'call');
  assert.equal(e2?.k === 'call' && e2.callee.k === 'id' ? e2.callee.name : '', 'BUILD_BUG_ON_INVALID');

  const likely = await prod.expandMacroCall('likely', [{ k: 'id', name: 'x', loc }], loc);
  assert.deepEqual(likely, { k: 'id', name: 'x', loc });
  assert.equal(await prod.expandMacroCall('not_a_macro', [], loc), null);
});

test('resolveFunction finds a definition lazily by grep, and memoizes misses', async () => {
  const src = memorySource(fixtureTree('v4'));
  const p = await CProgram.load(src, {}, { files: V4_FILES });
  assert.equal(p.getFunction('__put_page'), undefined);
  const f = await p.resolveFunction('__put_page');
  assert.equal(f?.file, 'mm/swap.c');
  assert.equal(f?.line, lineOf(src.files.get('mm/swap.c')!, 'void __put_page('));
  assert.equal(p.getFunction('__put_single_page')?.file, 'mm/swap.c', 'the whole file was loaded');
  assert.ok(p.files.includes('mm/swap.c'));
  // A definition whose name starts the line, after a return-type line.
  const walk = await p.resolveFunction('isolate_walk');
  assert.equal(walk?.returnType, 'unsigned long');
  assert.equal(walk?.line, 2);
  const reads = src.reads.length;
  assert.equal(await p.resolveFunction('no_such_function'), null);
  assert.equal(await p.resolveFunction('no_such_function'), null);
  assert.equal(src.reads.length, reads, 'a miss does not read files');
});

test('findInitializers: designated initializer (v6 test_hmm) and assignment (v4 hmm.c)', async () => {
  const v6 = await CProgram.load(memorySource(fixtureTree('v6')), {}, { files: V6_FILES });
  const inits = await v6.findInitializers('page_free');
  assert.deepEqual(inits, [{
    field: 'page_free', value: 'dmirror_devmem_free', variable: 'dmirror_devmem_ops',
    structType: 'const struct dev_pagemap_ops', file: 'lib/test_hmm.c',
    line: lineOf(fixtureTree('v6').get('lib/test_hmm.c')!, '.page_free'),
  }]);
  const v4 = await CProgram.load(memorySource(fixtureTree('v4')), {}, { files: V4_FILES });
  const a = await v4.findInitializers('page_free');
  assert.equal(a.length, 1);
  assert.equal(a[0].value, 'hmm_devmem_free');
  assert.equal(a[0].variable, 'devmem->pagemap');
  assert.equal(a[0].structType, 'struct hmm_devmem *');
  assert.equal(a[0].file, 'mm/hmm.c');
  assert.equal(a[0].line, lineOf(fixtureTree('v4').get('mm/hmm.c')!, 'pagemap.page_free ='));
  // the callback itself is then resolvable
  assert.equal((await v4.resolveFunction(a[0].value))?.params.length, 2);
});

test('callersOf(get_page_unless_zero) finds the lockless walkers', async () => {
  const v4 = await CProgram.load(memorySource(fixtureTree('v4')), {}, { files: V4_FILES });
  const c = await v4.callersOf('get_page_unless_zero');
  assert.deepEqual(c, [{ caller: 'isolate_walk', file: 'mm/compaction.c', line: 8 }]);
  const v6 = await CProgram.load(memorySource(fixtureTree('v6')), {}, { files: V6_FILES });
  const f = await v6.callersOf('folio_ref_add_unless');
  assert.deepEqual(f.map((x) => x.caller), ['folio_try_get']);
});

test('v6 tree: folio wrappers, _Generic page_folio, flag accessors generated by macros, enums with config holes', async () => {
  const tree = fixtureTree('v6');
  const p = await CProgram.load(memorySource(tree), {}, { files: V6_FILES });
  const flags = tree.get('include/linux/page-flags.h')!;
  assert.equal(p.enumValue('PG_reserved'), 3, 'PG_hwpoison is compiled out');
  assert.equal(p.enumValue('PG_readahead'), 3);
  assert.equal(p.enumValue('PG_young'), 4);
  const withMf = await CProgram.load(memorySource(tree), { CONFIG_MEMORY_FAILURE: 'y' }, { files: V6_FILES });
  assert.equal(withMf.enumValue('PG_reserved'), 4);

  const locked = p.getFunction('PageLocked')!;
  assert.equal(locked.line, lineOf(flags, 'PAGEFLAG(Locked'));
  assert.equal(locked.returnType, 'int');
  const reserved = p.getFunction('SetPageReserved')!;
  assert.ok(calls(reserved.body).includes('compound_head'), 'PF_HEAD policy expanded');
  assert.equal(p.getFunction('PageHead')?.line, lineOf(flags, 'TESTPAGEFLAG(Head'));
  assert.equal(p.getFunction('folio_test_locked')?.params[0].type, 'const struct folio *');
  assert.equal(p.getFunction('PageCompound')?.line, lineOf(flags, 'int PageCompound'), 'parsing resumes after the generators');

  assert.equal(p.getFunction('folio_try_get')?.file, 'include/linux/page_ref.h');
  const put = p.getFunction('put_page')!;
  const decl = put.body.k === 'block' ? put.body.body[0] : undefined;
  assert.equal(decl?.k, 'decl');
  const init = decl?.k === 'decl' ? decl.init! : undefined;
  const folio = await p.expandMacroCall('page_folio', init?.k === 'call' ? init.args : [], init!.loc);
  assert.equal(folio?.k, 'cast');
  assert.equal(folio?.k === 'cast' ? folio.type : '', 'struct folio *');
  assert.ok(p.notes.some((n) => n.text.includes('_Generic taken as its "struct page *" association')));

  const mem = await p.resolveFunction('free_zone_device_folio');
  const sw = mem!.body.k === 'block' ? mem!.body.body.find((s) => s.k === 'switch') : undefined;
  assert.equal(sw?.k, 'switch');
  if (sw?.k === 'switch') {
    assert.deepEqual(sw.cases.map((c) => c.values.map((v) => (v.k === 'id' ? v.name : '?'))), [['MEMORY_DEVICE_PRIVATE'], ['MEMORY_DEVICE_COHERENT'], ['MEMORY_DEVICE_GENERIC'], []]);
    assert.equal(sw.cases[0].body.length, 0, 'case PRIVATE falls through to COHERENT');
  }
  // IS_ENABLED() in C code is folded by kconfig.
  const priv = p.getFunction('is_device_private_page')!;
  const ret = priv.body.k === 'block' ? priv.body.body[0] : undefined;
  const left = ret?.k === 'return' && ret.e?.k === 'binary' && ret.e.left.k === 'binary' ? ret.e.left.left : undefined;
  assert.deepEqual(left, { k: 'num', v: 0, loc: { file: 'include/linux/memremap.h', line: lineOf(tree.get('include/linux/memremap.h')!, 'IS_ENABLED(CONFIG_DEVICE_PRIVATE)') } });
  assert.equal(p.constantValue('PGMAP_ALTMAP_VALID'), 1);
});

test('constructs it cannot model become unmodelled nodes and notes, not exceptions', async () => {
  const tree = fixtureTree('v6');
  const odd = tree.get('drivers/gpu/odd.c')!;
  const p = await CProgram.load(memorySource(tree), {}, { files: ['drivers/gpu/odd.c', 'include/linux/does-not-exist.h'] });
  const unmodelled: Array<{ why: string; line: number }> = [];
  for (const name of ['odd_flags', 'odd_dispatch', 'odd_walk']) {
    const f = p.getFunction(name);
    assert.ok(f, name);
    walkStmt(f!.body, (s) => { if (s.k === 'unmodelled') unmodelled.push({ why: s.why, line: s.loc.line }); }, (e) => { if (e.k === 'unmodelled') unmodelled.push({ why: e.why, line: e.loc.line }); });
  }
  assert.deepEqual(unmodelled.map((u) => u.line), [lineOf(odd, 'asm volatile'), lineOf(odd, '&&do_get'), lineOf(odd, '&&do_put'), lineOf(odd, 'goto *table'), lineOf(odd, 'list_for_each_entry')]);
  assert.equal(unmodelled[0].why, 'inline asm');
  assert.equal(unmodelled[1].why, 'label address (&&label)');
  assert.equal(unmodelled[3].why, 'computed goto');
  assert.ok(p.notes.some((n) => n.kind === 'unmodelled' && n.text === `unmodelled: odd_flags at drivers/gpu/odd.c:${lineOf(odd, 'asm volatile')} (inline asm)`));
  assert.ok(p.notes.some((n) => n.text === 'missing file skipped: include/linux/does-not-exist.h'));
  // The iterator's body does not leak out as code that runs once.
  const walk = p.getFunction('odd_walk')!;
  const body = walk.body.k === 'block' ? walk.body.body : [];
  assert.ok(!body.filter((st) => !(st.k === 'while' && st.test.k === 'unmodelled')).some((st) => calls(st).includes('get_page_unless_zero')));
  assert.ok(body.some((st) => st.k === 'while' && st.test.k === 'unmodelled' && calls(st).includes('get_page_unless_zero')), 'kept under the unmodelled iterator');
  // Token pasting of single tokens is done as cpp does it; of anything else, reported, not guessed.
  const paste = await CProgram.load(memorySource(new Map([['a.h', '#define GLUE(a, b) a##b\n']])), {}, { files: ['a.h'] });
  const at = { file: 'a.h', line: 1 };
  const g = await paste.expandMacroCall('GLUE', [{ k: 'id', name: 'x', loc: at }, { k: 'id', name: '_y', loc: at }], { file: 'b.c', line: 3 });
  assert.equal(g?.k === 'id' ? g.name : g?.k, 'x_y');
  const bad = await paste.expandMacroCall('GLUE', [{ k: 'binary', op: '+', left: { k: 'id', name: 'x', loc: at }, right: { k: 'num', v: 1, loc: at }, loc: at }, { k: 'id', name: 'y', loc: at }], { file: 'b.c', line: 3 });
  assert.equal(bad?.k, 'unmodelled');
  assert.match(bad?.k === 'unmodelled' ? bad.why : '', /pastes tokens/);
});

test('a function defined only in a .c file the build leaves out is not the kernel\'s: resolving it finds nothing, and a note says where it was', async () => {
  // A tree whose makefiles build lib/fastcopy.o always and lib/shadowcopy.o only under CONFIG_SHADOW; the
  // copy routine of the always-built file is elsewhere (assembly, say), so only the shadow file defines it in C.
  const files = new Map<string, string>([
    ['Makefile', 'obj-y += lib/\n'],
    ['lib/Makefile', 'obj-y += fastcopy.o\nobj-$(CONFIG_SHADOW) += shadowcopy.o\n'],
    ['lib/fastcopy.c', 'int fast_copy_ready(void)\n{\n\treturn 1;\n}\n'],
    ['lib/shadowcopy.c', 'void *copy_bytes(void *to, const void *from, unsigned long n)\n{\n\twhile (n--)\n\t\t;\n\treturn to;\n}\n'],
  ]);
  const off = await CProgram.load(memorySource(files), {}, { files: [], searchPaths: ['lib'] });
  assert.equal(await off.resolveFunction('copy_bytes'), null);
  assert.ok(off.notes.some((n) => /copy_bytes\(\) is defined only in lib\/shadowcopy\.c, which the kconfig does not build; taken as a call the tree does not define/.test(n.text)),
    off.notes.map((n) => n.text).join('\n'));
  assert.equal((await off.resolveFunction('fast_copy_ready'))?.file, 'lib/fastcopy.c');
  const on = await CProgram.load(memorySource(files), { CONFIG_SHADOW: 'y' }, { files: [], searchPaths: ['lib'] });
  assert.equal((await on.resolveFunction('copy_bytes'))?.file, 'lib/shadowcopy.c');
});

test('parse cache: a program replays a parse only where what it read is the same; a header changed under an unchanged file is read again', async () => {
  const { MemoryParseCache } = await import('./parse-cache.ts');
  const tree = (val: number) => new Map([
    ['include/linux/a.h', `#ifndef A_H\n#define A_H\n#define VAL ${val}\n#endif\n`],
    ['include/linux/b.h', '#include <linux/a.h>\nenum { B_VAL = VAL + 1 };\nstatic inline int b_val(void) { return B_VAL; }\n'],
    ['mm/x.c', '#include <linux/b.h>\nint x_val(void) { return VAL * 2; }\n'],
  ]);
  const cache = new MemoryParseCache();
  const load = (val: number) => CProgram.load(memorySource(tree(val)), {}, { files: ['include/linux/b.h', 'mm/x.c'], parseCache: cache });
  const files = (p: CProgram) => ({ files: p.parseStats.files, fromCache: p.parseStats.fromCache });
  const first = await load(3);
  assert.equal(first.enumValue('B_VAL'), 4);
  assert.deepEqual(files(first), { files: 2, fromCache: 0 });
  const again = await load(3);
  assert.equal(again.enumValue('B_VAL'), 4);
  assert.deepEqual(files(again), { files: 2, fromCache: 2 });
  assert.equal(again.getFunction('x_val')?.line, 2);
  assert.equal(again.getFunction('b_val')?.body.k, 'block', 'a body left lazy converts on use after a replay');
  // a.h is not in the list: only b.h and x.c include it. Their texts are the same; what they read is not.
  const changed = await load(10);
  assert.equal(changed.enumValue('B_VAL'), 11);
  assert.equal(changed.constantValue('VAL'), 10);
  assert.deepEqual(files(changed), { files: 2, fromCache: 0 });
  // Both surroundings are kept: each replays.
  assert.deepEqual(files(await load(3)), { files: 2, fromCache: 2 });
  assert.deepEqual(files(await load(10)), { files: 2, fromCache: 2 });
});

test('parse cache: a body converted on first use is converted once; another program replays it only where the macros its conversion read are the same', async () => {
  const { MemoryParseCache } = await import('./parse-cache.ts');
  // An iterator macro (its #define a for-loop header) is read when the body that uses it is converted; a
  // _Generic leaves a note. The body's text is the same in both trees; only the header under it differs.
  const tree = (field: string) => new Map([
    ['include/linux/chain.h', `#define for_each_link(l, head) for (l = (head); l; l = l->${field})\n`],
    ['mm/links.c', '#include <linux/chain.h>\nstruct link { struct link *next, *prev; };\n' +
      'int count_links(struct link *head)\n{\n\tstruct link *l;\n\tint n = 0;\n\n\tfor_each_link(l, head) {\n\t\tn++;\n\t}\n\treturn n + _Generic(n, int: 1, default: 2);\n}\n'],
  ]);
  const cache = new MemoryParseCache();
  const load = (field: string) => CProgram.load(memorySource(tree(field)), {}, { files: ['mm/links.c'], parseCache: cache });
  const conv = (p: CProgram) => ({ conversions: p.parseStats.conversions, fromCache: p.parseStats.conversionsFromCache });
  const fields = (s: Stmt) => JSON.stringify(s).match(/"(next|prev)"/g)?.join(' ');
  const note = /count_links at mm\/links\.c:11: _Generic taken as its "int" association/;

  const first = await load('next');
  const body = first.getFunction('count_links')!.body;
  assert.equal(fields(body), '"next"', 'the loop steps through ->next');
  assert.deepEqual(conv(first), { conversions: 1, fromCache: 0 });
  assert.ok(first.notes.some((n) => note.test(n.text)), first.notes.map((n) => n.text).join('\n'));

  const again = await load('next');
  assert.deepEqual(again.getFunction('count_links')!.body, body, 'the same AST, from the cache');
  assert.deepEqual(conv(again), { conversions: 1, fromCache: 1 });
  assert.ok(again.notes.some((n) => note.test(n.text)), 'the conversion\'s note is replayed with it');

  // The header now steps through ->prev: the body reads as the new macro says, not as the cache kept it.
  const other = await load('prev');
  assert.equal(fields(other.getFunction('count_links')!.body), '"prev"');
  assert.deepEqual(conv(other), { conversions: 1, fromCache: 0 });
  // Both are kept: each replays.
  const back = await load('next');
  assert.equal(fields(back.getFunction('count_links')!.body), '"next"');
  assert.deepEqual(conv(back), { conversions: 1, fromCache: 1 });
});

test('parse cache: a macro\'s body is converted once for the macro as defined; a redefinition is converted anew', async () => {
  const { MemoryParseCache } = await import('./parse-cache.ts');
  const tree = (op: string) => new Map([
    ['include/linux/twice.h', `#define TWICE(x) ((x) ${op} (x))\n`],
    ['mm/t.c', '#include <linux/twice.h>\nint t(int v) { return TWICE(v); }\n'],
  ]);
  const cache = new MemoryParseCache();
  const expand = async (op: string) => {
    const p = await CProgram.load(memorySource(tree(op)), {}, { files: ['mm/t.c'], parseCache: cache });
    const e = await p.expandMacroCall('TWICE', [{ k: 'id', name: 'v', loc: { file: 'mm/t.c', line: 2 } }], { file: 'mm/t.c', line: 2 });
    return { e: JSON.stringify(e), fromCache: p.parseStats.conversionsFromCache };
  };
  const a = await expand('+');
  assert.match(a.e, /"op":"\+"/);
  assert.equal(a.fromCache, 0);
  assert.deepEqual(await expand('+'), { e: a.e, fromCache: 1 });
  const b = await expand('*');
  assert.match(b.e, /"op":"\*"/);
  assert.equal(b.fromCache, 0);
});
