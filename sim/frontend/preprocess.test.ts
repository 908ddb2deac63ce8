import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preprocess } from './preprocess.ts';
import type { MacroDef } from './ast.ts';

const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

test('conditionals follow kconfig and keep every line in place', () => {
  const src = [
    '#ifdef CONFIG_A', // 1
    'int a_on;', // 2
    '#else', // 3
    'int a_off;', // 4
    '#endif', // 5
    '#if IS_ENABLED(CONFIG_M) && !defined(CONFIG_N)', // 6
    'int m_on;', // 7
    '#elif 1', // 8
    'int elif_taken;', // 9
    '#endif', // 10
    '#if CONFIG_LEVELS > 3 || IS_BUILTIN(CONFIG_M)', // 11
    'int levels;', // 12
    '#endif', // 13
    'int tail;', // 14
  ].join('\n');
  const r = preprocess(src, 'x.h', { CONFIG_A: 'y', CONFIG_M: 'm', CONFIG_N: 'n', CONFIG_LEVELS: 4 });
  const lines = r.text.split('\n');
  assert.equal(lines.length, 14);
  assert.equal(lines[1], 'int a_on;');
  assert.equal(lines[3], '');
  assert.equal(lines[6], 'int m_on;');
  assert.equal(lines[8], '', 'an #elif after a taken branch is inactive');
  assert.equal(lines[11], 'int levels;');
  assert.equal(lineOf(r.text, 'tail'), 14);
  for (const i of [0, 2, 4, 5, 7, 9, 10, 12]) assert.equal(lines[i], '', `directive line ${i + 1} is blank`);
  const off = preprocess(src, 'x.h', {});
  assert.equal(lineOf(off.text, 'a_off'), 4);
  assert.equal(lineOf(off.text, 'elif_taken'), 9);
  assert.equal(lineOf(off.text, 'levels'), 0);
});

test('defines: object, function-like, variadic, continuation lines; #undef; macros steer later #ifs', () => {
  const src = [
    '#define PAGE_SHIFT 12',
    '#define VM_BUG_ON_PAGE(cond, page) \\',
    '\tdo { if (cond) BUG(); } while (0)',
    '#define pr_fmt(fmt, ...) printk(fmt, ##__VA_ARGS__)',
    '#define GONE 1',
    '#undef GONE',
    '#if PAGE_SHIFT == 12 && !defined(GONE)',
    'int shift12;',
    '#endif',
    '#ifdef CONFIG_X',
    '#define HIDDEN 1',
    '#endif',
  ].join('\n');
  const r = preprocess(src, 'm.h', {});
  const byName = new Map(r.macros.map((m) => [m.name, m]));
  assert.deepEqual([...byName.keys()], ['PAGE_SHIFT', 'VM_BUG_ON_PAGE', 'pr_fmt']);
  assert.deepEqual(byName.get('VM_BUG_ON_PAGE')?.params, ['cond', 'page']);
  assert.equal(byName.get('VM_BUG_ON_PAGE')?.line, 2);
  assert.match(byName.get('VM_BUG_ON_PAGE')!.body, /^\s*do \{ if \(cond\) BUG\(\); \} while \(0\)$/);
  assert.equal(byName.get('pr_fmt')?.variadic, true);
  assert.deepEqual(byName.get('pr_fmt')?.params, ['fmt']);
  assert.equal(byName.get('PAGE_SHIFT')?.params, null);
  assert.deepEqual(r.undefs, ['GONE']);
  assert.equal(lineOf(r.text, 'shift12'), 8);
  assert.equal(r.text.split('\n').length, 12);
});

test('known macros from earlier files decide conditionals; unknown names count as 0 with a note', () => {
  const known = new Map<string, MacroDef>([
    ['LINUX_VERSION_CODE', { name: 'LINUX_VERSION_CODE', params: null, variadic: false, body: '393472', file: 'v.h', line: 1 }],
    ['KERNEL_VERSION', { name: 'KERNEL_VERSION', params: ['a', 'b', 'c'], variadic: false, body: '(((a) << 16) + ((b) << 8) + (c))', file: 'v.h', line: 2 }],
  ]);
  const src = '#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0)\nint new_api;\n#endif\n#if ARCH_LEVEL > 4\nint gnuc;\n#endif\n';
  const r = preprocess(src, 'k.h', {}, known);
  assert.equal(lineOf(r.text, 'new_api'), 2);
  assert.equal(lineOf(r.text, 'gnuc'), 0);
  assert.ok(r.notes.some((n) => n.text.includes('ARCH_LEVEL') && n.loc?.line === 4), JSON.stringify(r.notes));
  assert.equal(known.size, 2, 'the caller\'s table is not changed');
});

test('kernel annotations are blanked with columns kept; __always_inline stays inline', () => {
  const src = 'static __always_inline int __must_check foo(struct page *page) __acquires(page->lock) __attribute__((nonnull(1)))\n{ return 0; }\nEXPORT_SYMBOL_GPL(foo);\nvoid __init __cold __no_sanitize_address bar(void __user *p, int __percpu *q) {}\n';
  const r = preprocess(src, 'a.c', {});
  const [l1, l2, l3, l4] = r.text.split('\n');
  assert.equal(l1.length, src.split('\n')[0].length);
  assert.equal(l1.replace(/\s+/g, ' ').trim(), 'static inline int foo(struct page *page)');
  assert.equal(l2, '{ return 0; }');
  assert.equal(l3.trim(), '');
  assert.equal(l4.replace(/\s+/g, ' ').trim(), 'void bar(void *p, int *q) {}');
});

test('a block comment opened on a directive line leaves no stray comment end behind', () => {
  const src = '#endif /* CONFIG_A\n * more words\n */\nint after;\n';
  const r = preprocess(src, 'c.h', {});
  assert.equal(lineOf(r.text, 'after'), 4);
  assert.ok(!r.text.includes('*/'));
  assert.ok(r.notes.some((n) => n.kind === 'parse-error' && n.text.includes('#endif without #if')));
});
