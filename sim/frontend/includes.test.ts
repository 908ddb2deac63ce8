// Macros come from the headers a file #includes, found the way the kernel's build finds them: the kconfig's
// architecture first for <asm/...>, asm-generic where the architecture has none. A tree written for this test
// (a toy architecture, macros in headers only), unlike the example trees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemTreeView } from '../../analyzers/mem-tree-view.ts';
import { CProgram } from './program.ts';

const TREE = {
  'arch/toyarch/include/asm/frob.h': '#define ARCH_FROB(x) ((x) * 3)\n',
  'arch/otherarch/include/asm/frob.h': '#define ARCH_FROB(x) ((x) * 5)\n',
  'include/asm-generic/widget.h': '#ifndef WIDGET_BITS\n#define WIDGET_BITS 4\n#endif\n',
  'include/linux/frob.h': [
    '#ifndef _LINUX_FROB_H',
    '#define _LINUX_FROB_H',
    '#include <asm/frob.h>',
    '#include <asm/widget.h>',
    '#include "frob_local.h"',
    '#define FROB_ALL(n) (ARCH_FROB(n) + WIDGET_BITS)',
    '#define COUNTER_OF(ss) ss##_count',
    'static inline int frob_twice(int v)',
    '{',
    '\treturn FROB_ALL(v) * 2;',
    '}',
    '#endif',
    '',
  ].join('\n'),
  'include/linux/frob_local.h': '#define FROB_LOCAL 11\n',
  'mm/user.c': '#include <linux/frob.h>\nint frob_user(int v)\n{\n\treturn frob_twice(v) + FROB_LOCAL;\n}\n',
};

test('a file sees the macros of the headers it includes, <asm/...> from the kconfig architecture, else asm-generic', async () => {
  const p = await CProgram.load(new MemTreeView(TREE), { CONFIG_TOYARCH: 'y' }, { files: ['mm/user.c'] });
  assert.equal(p.macro('FROB_ALL')?.file, 'include/linux/frob.h');
  assert.equal(p.macro('ARCH_FROB')?.file, 'arch/toyarch/include/asm/frob.h');
  assert.equal(p.macro('WIDGET_BITS')?.file, 'include/asm-generic/widget.h');
  assert.equal(p.macro('FROB_LOCAL')?.file, 'include/linux/frob_local.h');
  // The header was read for its macros first (its include guard defined): its functions are still found.
  const f = await p.resolveFunction('frob_twice', 'mm/user.c');
  assert.equal(f?.file, 'include/linux/frob.h');
  // ## pastes single tokens as cpp does.
  const at = { file: 'mm/user.c', line: 4 };
  const x = await p.expandMacroCall('COUNTER_OF', [{ k: 'id', name: 'page', loc: at }], at);
  assert.equal(x?.k === 'id' ? x.name : x?.k, 'page_count');
});

test('with no architecture in the kconfig, <asm/...> is asm-generic only, and a note says so', async () => {
  const p = await CProgram.load(new MemTreeView(TREE), {}, { files: ['mm/user.c'] });
  assert.equal(p.macro('ARCH_FROB'), undefined);
  assert.equal(p.macro('WIDGET_BITS')?.file, 'include/asm-generic/widget.h');
  assert.ok(p.notes.some((n) => /selects none of the tree's architectures .*asm-generic/.test(n.text)), p.notes.map((n) => n.text).join('\n'));
});
