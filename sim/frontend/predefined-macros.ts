// Macros the kernel's build defines before any file is read: the command line's -D__KERNEL__ and the
// compiler's own. Real headers put whole files under `#ifdef __KERNEL__` (mm.h before v5.x), so without
// these the preprocessor would drop them silently.
import type { Kconfig, MacroDef } from './ast.ts';

const FILE = '<predefined>';

function def(name: string, body: string): MacroDef {
  return { name, params: null, variadic: false, body, file: FILE, line: 0 };
}

/** The predefined macros for a kernel build with `kconfig` (a 64-bit build unless CONFIG_64BIT is off). */
export function predefinedMacros(kconfig: Kconfig): MacroDef[] {
  const bits64 = kconfig.CONFIG_64BIT === 'y' || kconfig.CONFIG_64BIT === true || kconfig.CONFIG_64BIT === 1;
  return [
    def('__KERNEL__', '1'),
    def('__STDC__', '1'),
    def('__GNUC__', '12'),
    def('__CHAR_BIT__', '8'),
    def('__SIZEOF_LONG__', bits64 ? '8' : '4'),
    def('__SIZEOF_POINTER__', bits64 ? '8' : '4'),
  ];
}

/** Adds the predefined macros a table does not have yet (a tree's own #define or #undef wins). */
export function seedPredefined(macros: Map<string, MacroDef>, kconfig: Kconfig): void {
  for (const m of predefinedMacros(kconfig)) if (!macros.has(m.name)) macros.set(m.name, m);
}
