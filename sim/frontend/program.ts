// CProgram: the index of a tracked tree's C code that the interpreter asks for functions, macros and constants.
// Files come in through an injected source (a TreeView or anything with readFile/grep); nothing here does I/O itself.

import type { Expr, FrontendNote, FunctionDef, Kconfig, Loc, MacroDef, Stmt } from './ast.ts';
import { evalIfExpr } from './if-expr.ts';
import { getCParser, lazyBody, lazyBodySource, parseCWith, parseExpressionWith, parseStatementsWith, type ConvertOptions, type EnumConstant, type GlobalDef } from './parse-c.ts';
import type { Parser } from 'web-tree-sitter';
import { ABSENT, PARSE_FORMAT, RecordedMap, RecordedSet, Recorder, macroFingerprint, READ_SEP, type ParseCache, type ParseEntry, type ParseResult, type ParseStats, type StoredFunction } from './parse-cache.ts';
import { preprocessInto } from './preprocess.ts';
import { typeArgumentsAsNames } from './type-name-arguments.ts';
import { exprText, inlineStringify, looksLikeStatements, pasteArguments, stripVaComma, substitute, unexpandableWhy } from './macro-expand.ts';
import { expandMacroGeneratedFunctions } from './generated-functions.ts';
import { seedPredefined } from './predefined-macros.ts';
import { Kbuild } from './kbuild.ts';

export interface CSource {
  readFile(path: string): Promise<string | null>;
  grep(pattern: string, paths?: string[]): Promise<Array<{ path: string; line: number; text: string }>>;
  /** Whole-word search for many names at once (TreeView.grepWords); used instead of grep where present. */
  grepWords?(words: string[], paths?: string[]): Promise<Array<{ path: string; line: number; text: string }>>;
  /** Every file of the tree; #include lookups use it where present (else they read each candidate). */
  listFiles?(prefix?: string): Promise<string[]>;
}

/** How deep #includes are followed (a chain of headers including headers); past it, an include is skipped with a note. */
const MAX_INCLUDE_DEPTH = 64;

export interface LoadOptions {
  files: string[];
  /** Where resolveFunction, findInitializers and callersOf look; default include/linux, mm, kernel, lib, drivers. */
  searchPaths?: string[];
  /** Parses kept by content and what they consulted (parse-cache.ts); each file is parsed when absent. */
  parseCache?: ParseCache;
}

export interface Initializer {
  field: string;
  /** The function (or other expression) stored, as C text: "dmirror_devmem_free". */
  value: string;
  structType?: string;
  /** The struct variable or lvalue assigned into: "dmirror_devmem_ops", "devmem->pagemap". */
  variable?: string;
  file: string;
  line: number;
}

export interface CallSite {
  caller: string;
  file: string;
  line: number;
}

// fs/ holds walkers too (fs/proc/page.c's kpageflags, fs/dax.c).
// drivers/base is the driver core, which mm calls by name (memory hotplug's memory blocks); the rest of drivers/
// is searched only on behalf of a driver (resolveFunction).
const DEFAULT_SEARCH = ['include/linux', 'mm', 'kernel', 'lib', 'fs', 'drivers/base', 'drivers'];

/** Macros whose meaning is fixed, used only when the tree's own definition was not loaded (compiler.h). */
const FALLBACK_MACROS: MacroDef[] = [
  { name: 'likely', params: ['x'], variadic: false, body: '(x)', file: '<builtin>', line: 0 },
  { name: 'unlikely', params: ['x'], variadic: false, body: '(x)', file: '<builtin>', line: 0 },
  { name: 'likely_notrace', params: ['x'], variadic: false, body: '(x)', file: '<builtin>', line: 0 },
  { name: 'unlikely_notrace', params: ['x'], variadic: false, body: '(x)', file: '<builtin>', line: 0 },
];

/** See CProgram.expansionsAt. A kernel line expands a few dozen macros; the limit leaves room for loops. */
export const MACRO_EXPANSIONS_PER_LINE = 20_000;

interface FileIndex {
  functions: FunctionDef[];
  globals: GlobalDef[];
}

type ParsedBody = { kind: 'expr'; e: Expr } | { kind: 'unexpandable'; why: string };

/**
 * A function visible only in its translation unit: `static` in a .c file. A `static inline` in a header is the
 * same text in every unit that includes it, so it is named and found by its name alone.
 */
export function isFileScoped(def: Pick<FunctionDef, 'isStatic' | 'file'>): boolean {
  return def.isStatic && !def.file.endsWith('.h');
}

/**
 * A function's name as the project shows it: its C name, or `file:name` (`mm/page_idle.c:get_ref`, as gdb's
 * FILE:FUNCTION linespec) for a file-scoped static whose name the tree also defines in another file.
 */
export function splitFunctionId(id: string): { file: string; name: string } | null {
  const i = id.lastIndexOf(':');
  if (i <= 0) return null;
  const name = id.slice(i + 1);
  return /^[A-Za-z_]\w*$/.test(name) ? { file: id.slice(0, i), name } : null;
}

/** The C name of a function id (`mm/a.c:helper` → `helper`). */
export function functionName(id: string): string {
  return splitFunctionId(id)?.name ?? id;
}

/** One file's parse, before it is merged into the program. */
interface ParsedFile {
  functions: FunctionDef[];
  enums: EnumConstant[];
  globals: GlobalDef[];
  notes: FrontendNote[];
  /** The .c files it #included under the kconfig (its translation unit's other files). */
  includedC?: string[];
}

/** A Recorder's reads as an entry keeps them; null when a key or fingerprint holds the separator (not kept). */
function readsOf(rec: Recorder): ParseEntry['reads'] | null {
  const reads: ParseEntry['reads'] = {};
  for (const [kind, r] of rec.reads) {
    reads[kind] = [[...r.keys()].join(READ_SEP), [...r.values()].join(READ_SEP)];
    if (reads[kind][0].split(READ_SEP).length !== r.size || reads[kind][1].split(READ_SEP).length !== r.size) return null;
  }
  return reads;
}

/** JSON of a value, or null when JSON would not keep it exactly: an AST's only such value is a number that is not finite. */
function exactJson(value: unknown): string | null {
  // A number that is not finite becomes null: where the text has no null at all, there was none (the check
  // with a replacer, which calls back for every value, costs several times the plain one).
  const plain = JSON.stringify(value);
  if (!plain.includes('null')) return plain;
  let exact = true;
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) exact = false;
    return v;
  });
  return exact ? text : null;
}

/** A macro's body (`text`, as prepared for the parse) as an expression, or else as statements. */
function macroBodyAst(parser: Parser, def: MacroDef, text: string, kconfig: Kconfig, notes: FrontendNote[]): ParsedBody {
  const loc: Loc = { file: def.file, line: def.line };
  const opts = { kconfig };
  if (!looksLikeStatements(text)) {
    const x = parseExpressionWith(parser, text, loc, opts);
    if (x.expr.k !== 'unmodelled' || x.expr.why !== 'not a C expression') {
      notes.push(...x.notes);
      return { kind: 'expr', e: x.expr };
    }
  }
  const s = parseStatementsWith(parser, text, loc, opts);
  notes.push(...s.notes);
  const body: Stmt[] = s.stmts;
  return {
    kind: 'expr',
    e: body.length === 1 && body[0].k === 'unmodelled'
      ? { k: 'unmodelled', text: def.body, why: `${def.name}: body is neither an expression nor statements`, loc }
      : { k: 'stmtexpr', body, loc },
  };
}

export class CProgram {
  readonly notes: FrontendNote[] = [];
  readonly files: string[] = [];
  /**
   * Files parsed, and of them how many were replayed from the parse cache; conversions (function bodies left
   * lazy, macro bodies, scenario glue: C text made an AST after the file's parse), and how many of them were.
   */
  readonly parseStats: ParseStats = { files: 0, fromCache: 0, conversions: 0, conversionsFromCache: 0 };
  /** External functions and header functions, by name (first definition read). */
  private readonly functions = new Map<string, FunctionDef>();
  /** File-scoped statics (isFileScoped), by file and name: a call reaches one only from its own file. */
  private readonly locals = new Map<string, Map<string, FunctionDef>>();
  /** Each file-scoped static's id (functionId), once worked out. */
  private readonly ids = new Map<FunctionDef, Promise<string>>();
  /** Names with an external definition in more than one file the build compiles, already said in a note. */
  private readonly twiceNoted = new Set<string>();
  /** File-scoped statics whose id is their bare name (no other file defines it), by name. */
  private readonly bareStatics = new Map<string, FunctionDef>();
  /** The .c files each file #includes (mm/percpu.c includes percpu-vm.c or percpu-km.c): part of its unit. */
  private readonly includedC = new Map<string, Set<string>>();
  /** Names that only several files' statics define (resolveFunction without a file): their ids. */
  private readonly ambiguous = new Map<string, string[]>();
  // The state a file's parse reads and writes records into the parse cache's Recorder while one parses.
  private readonly enums = new RecordedMap<number>('enums', (v, has) => (has ? String(v) : ABSENT));
  private readonly globals = new Map<string, GlobalDef>();
  private readonly macros = new RecordedMap<MacroDef>('macros', (v) => macroFingerprint(v));
  private readonly perFile = new Map<string, Promise<FileIndex | null>>();
  private readonly resolving = new Map<string, Promise<FunctionDef | null>>();
  private readonly bodies = new Map<MacroDef, ParsedBody>();
  /** Macro bodies after ## and # for one call's arguments, by macro and text: each parses once. */
  private readonly pastedDefs = new Map<string, MacroDef>();
  /**
   * Macro expansions done at each source line. The compiler bounds the depth of nested expansion, but the
   * work grows as a power of it (`#define QD(x) ((x)+(x)+(x)+(x))` nested 12 deep is 4^12 expansions): past
   * MACRO_EXPANSIONS_PER_LINE a line's macro calls are unmodelled, and a note says so.
   */
  private readonly expansionsAt = new Map<string, number>();
  private readonly searchPaths: string[];
  /** Which .c files the build compiles under the kconfig (the tree's makefiles). */
  readonly kbuild: Kbuild;
  /** The architecture the kconfig selects (a directory of arch/), for <asm/...> includes and arch code. */
  private arch: string | null = null;
  private fileSet: Set<string> | null = null;
  /** Header texts read ahead of preprocessing (null: missing), by path. */
  private readonly headerTexts = new RecordedMap<string | null>('headerTexts', (v, has) => (!has ? ABSENT : typeof v === 'string' ? this.textHash(v) : '\u0000missing'));
  private readonly textHashes = new Map<string, string>();
  /** Files read for trace lines (lineText), by path. */
  private readonly traceLines = new Map<string, Promise<string[]>>();
  /** Headers whose macros are in the shared table. */
  private readonly macroLoaded = new RecordedSet('macroLoaded');
  /** The macros each header read through an #include defined (its include guard among them). */
  private readonly headerDefines = new RecordedMap<string[]>('headerDefines', (v, has) => (has ? JSON.stringify(v) : ABSENT));
  private readonly includeResolved = new RecordedMap<string | null>('includeResolved', (v, has) => (!has ? ABSENT : v ?? '\u0000none'));
  private readonly parseCache: ParseCache | null;
  private kconfigDigest = '';
  private includeDepth = 0;
  private pendingGreps: Array<{ pattern: string; word: string; paths: string[]; resolve: (hits: Array<{ path: string; line: number; text: string }>) => void }> = [];

  private constructor(
    private readonly src: CSource,
    private readonly kconfig: Kconfig,
    searchPaths: string[] | undefined,
    parseCache?: ParseCache,
  ) {
    this.parseCache = parseCache ?? null;
    if (parseCache) this.kconfigDigest = parseCache.hash(JSON.stringify(Object.entries(kconfig).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
    this.searchPaths = [...(searchPaths ?? DEFAULT_SEARCH)];
    this.kbuild = new Kbuild((p) => src.readFile(p), kconfig);
    seedPredefined(this.macros, kconfig);
  }

  static async load(src: CSource, kconfig: Kconfig, opts: LoadOptions): Promise<CProgram> {
    const p = new CProgram(src, kconfig, opts.searchPaths, opts.parseCache);
    await p.findArch();
    // In order: earlier files define macros for later ones, as #includes would.
    for (const f of opts.files) await p.loadFile(f, true);
    return p;
  }

  /**
   * A function already loaded, no lookup: by its id (`file:name` for a clashing static), or by name as code in
   * `from` calls it (its own file's static first, then the external one). Without `from`, a name that no
   * external function has is the static of that name, when only one loaded file has one.
   */
  getFunction(name: string, from?: string): FunctionDef | undefined {
    const q = splitFunctionId(name);
    if (q) return this.locals.get(q.file)?.get(q.name);
    if (from && !from.endsWith('.h')) return this.locals.get(from)?.get(name) ?? this.functions.get(name);
    const g = this.functions.get(name);
    if (g) return g;
    let only: FunctionDef | undefined;
    for (const m of this.locals.values()) {
      const f = m.get(name);
      if (!f) continue;
      if (only) return undefined;
      only = f;
    }
    return only;
  }

  /**
   * The name a function goes by in facts, traces, instances and the command line: its C name, unless it is a
   * file-scoped static and the tree defines the name in another file too (an external function, or another
   * file's static); then `file:name`. Core directories are searched for the other definitions; drivers/ too
   * for a static in drivers/ (a core static is found before a driver's by its bare name, as resolveFunction
   * does).
   */
  functionId(def: FunctionDef): Promise<string> {
    if (!isFileScoped(def)) return Promise.resolve(def.name);
    let p = this.ids.get(def);
    if (!p) {
      p = (async () => {
        // Another file's definition line of the name (whatever the kconfig keeps of it: the name is the tree's,
        // and no file is parsed to tell).
        const { files } = await this.definitionCandidates(def.name, def.file.startsWith('drivers/'), def.file.startsWith('drivers/'));
        if (files.some((f) => f !== def.file)) return `${def.file}:${def.name}`;
        // Its name alone finds it from now on, from anywhere (a pointer to it, called from the core).
        this.bareStatics.set(def.name, def);
        return def.name;
      })();
      this.ids.set(def, p);
    }
    return p;
  }

  /** The id of the function `name` as code in `from` calls it (functionId), or null when the tree has none. */
  async functionIdFor(name: string, from?: string): Promise<string | null> {
    const def = await this.resolveFunction(name, from);
    return def ? this.functionId(def) : null;
  }

  /** The static `name` of the unit `file` is compiled in: its own, or one of a .c file it #includes. */
  private async unitStatic(file: string, name: string, seen = new Set<string>()): Promise<FunctionDef | undefined> {
    if (seen.has(file)) return undefined;
    seen.add(file);
    await this.loadFile(file, false).catch(() => null);
    const own = this.locals.get(file)?.get(name);
    if (own) return own;
    // The .c files it includes, and the one that includes it: one unit.
    for (const inc of [...(this.includedC.get(file) ?? []), ...[...this.includedC].filter(([, s]) => s.has(file)).map(([f]) => f)]) {
      const f = await this.unitStatic(inc, name, seen);
      if (f) return f;
    }
    return undefined;
  }

  /** The ids of the statics a bare name could mean, when resolveFunction found it to mean several. */
  ambiguousIds(name: string): string[] | undefined {
    return this.ambiguous.get(name);
  }

  /** The id of `name` when code in `from` (a .c file) calls its own unit's static; else null. */
  async localFunctionId(name: string, from: string): Promise<string | null> {
    if (from.endsWith('.h') || from.startsWith('<')) return null;
    const def = await this.unitStatic(from, name);
    return def ? this.functionId(def) : null;
  }

  /** Every function defined in a loaded file, in file order. */
  async functionsIn(file: string): Promise<FunctionDef[]> {
    return (await this.loadFile(file, false))?.functions ?? [];
  }

  macro(name: string): MacroDef | undefined {
    return this.macros.get(name) ?? FALLBACK_MACROS.find((m) => m.name === name);
  }

  enumValue(name: string): number | undefined {
    return this.enums.get(name);
  }

  /** The enum constants known so far whose names start with `prefix`, in value order. */
  enumsStartingWith(prefix: string): Array<{ name: string; value: number }> {
    return [...this.enums].filter(([n]) => n.startsWith(prefix)).map(([name, value]) => ({ name, value })).sort((a, b) => a.value - b.value);
  }

  /** An enum constant, or an object-like macro that evaluates to an integer. */
  constantValue(name: string): number | undefined {
    const e = this.enums.get(name);
    if (e !== undefined) return e;
    const def = this.macros.get(name);
    if (!def || def.params !== null || def.body === '') return undefined;
    const r = evalIfExpr(def.body, this.kconfig, this.macros);
    return r.unknown.length ? undefined : r.value;
  }

  getGlobal(name: string): GlobalDef | undefined {
    return this.globals.get(name);
  }

  /**
   * The definition of a function, loaded from its file. Asked on behalf of code in `from`, drivers/ is searched
   * only when `from` is in drivers/ itself: the core kernel calls into a driver through pointers (whose targets
   * are looked up by name, with no `from`), not by name. A core function calling a name defined nowhere else
   * would otherwise cost a search of most of the tree.
   *
   * `name` is a C name as code in `from` calls it, or a function's id (functionId, `file:name`). Code in a .c
   * file reaches its own file's static first, then the external function: another file's static is not
   * visible to it. Asked from elsewhere (a header, scenario glue, a name given by the user), a name no external
   * function has is the static of that name where one file has one.
   */
  async resolveFunction(name: string, from?: string, asId = false): Promise<FunctionDef | null> {
    // An id names its file: that file's static.
    const q = splitFunctionId(name);
    if (q) {
      if (!/^[A-Za-z0-9_./+-]+\.c$/.test(q.file) || q.file.split('/').includes('..')) return null;
      await this.loadFile(q.file, false);
      return this.locals.get(q.file)?.get(q.name) ?? null;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return null;
    // Code in a .c file calls its own file's static before any other function of that name. The file is
    // read already when the caller is one of its functions.
    // `asId`: the name is an id (functionId), whatever file asks: no file's own static comes first.
    const unit = !asId && from !== undefined && !from.endsWith('.h') && !from.startsWith('<') ? from : undefined;
    if (unit) {
      const own = await this.unitStatic(unit, name);
      if (own) return own;
    }
    const have = this.functions.get(name);
    if (have) return have;
    // A static already named by its bare name (functionId): what that name means outside its file.
    const bare = unit ? undefined : this.bareStatics.get(name);
    if (bare) return bare;
    const coreOnly = from !== undefined && !from.startsWith('drivers/');
    const key = `${coreOnly ? 'core:' : ''}${unit ? 'unit:' : ''}${name}`;
    let p = this.resolving.get(key);
    if (!p) {
      // From a .c file, only an external definition: another file's static is not visible there. From
      // anywhere else (a header, scenario glue, a name given by the user or the facts), the one static of that
      // name when the tree has no external one.
      p = this.findDefinition(name, !coreOnly, !unit);
      this.resolving.set(key, p); // also memoizes misses
    }
    return p;
  }

  /** Where #include <asm/...> goes: the arch/ directory whose CONFIG_<ARCH> the kconfig sets. */
  private async findArch(): Promise<void> {
    try {
      const files = await this.src.listFiles?.();
      if (files) this.fileSet = new Set(files);
    } catch {
      this.fileSet = null;
    }
    if (!this.fileSet) return;
    const dirs = new Set<string>();
    for (const f of this.fileSet) if (f.startsWith('arch/')) dirs.add(f.split('/')[1]);
    const on = (v: unknown) => v === true || v === 'y' || v === 'm';
    this.arch = [...dirs].sort().find((d) => on(this.kconfig[`CONFIG_${d.toUpperCase()}`])) ?? null;
    if (this.arch) {
      const i = this.searchPaths.findIndex((p) => /^drivers\/?$/.test(p));
      // The arch code the kernel proper is built from (not its boot loader stubs, arch/*/boot).
      const archDirs = ['include', 'mm', 'kernel', 'lib'].map((d) => `arch/${this.arch}/${d}`).filter((d) => !this.searchPaths.includes(d));
      this.searchPaths.splice(i < 0 ? this.searchPaths.length : i, 0, ...archDirs);
    } else if (dirs.size) {
      this.notes.push({ kind: 'info', text: `the kconfig selects none of the tree's architectures (arch/${[...dirs].sort().slice(0, 3).join(', arch/')} ...): <asm/...> headers come from include/asm-generic` });
    }
  }

  /** The header an #include names, as the kernel's build would find it (its -I order), or null. */
  private async resolveInclude(spec: string, quoted: boolean, from: string): Promise<string | null> {
    const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/')) : '';
    const key = `${quoted ? dir : ''}|${spec}`;
    if (this.includeResolved.has(key)) return this.includeResolved.get(key)!;
    const a = this.arch ? `arch/${this.arch}/include` : null;
    const dirs = [...(quoted ? [dir] : []), ...(a ? [a, `${a}/generated`] : []), 'include', ...(a ? [`${a}/uapi`, `${a}/generated/uapi`] : []), 'include/uapi'];
    const cands = dirs.map((d) => normalizePath(d ? `${d}/${spec}` : spec)).filter((x): x is string => x !== null);
    // An <asm/x.h> the architecture does not have is Kbuild's generated wrapper of asm-generic's.
    if (spec.startsWith('asm/')) cands.push(`include/asm-generic/${spec.slice(4)}`);
    let found: string | null = null;
    for (const c of cands) {
      if (this.fileSet ? this.fileSet.has(c) : (await this.readHeader(c)) !== null) {
        found = c;
        break;
      }
    }
    this.includeResolved.set(key, found);
    return found;
  }

  /**
   * The text of one line of the tree (trimmed), for traces: the C a step ran, as the tree spells it. Files are
   * read through the same source and kept; null when there is no such line.
   */
  async lineText(path: string, line: number): Promise<string | null> {
    let lines = this.traceLines.get(path);
    if (!lines) {
      lines = this.src.readFile(path).then((t) => t?.split('\n') ?? [], () => []);
      this.traceLines.set(path, lines);
    }
    const l = (await lines)[line - 1];
    return l === undefined ? null : l.trim();
  }

  private async readHeader(path: string): Promise<string | null> {
    if (this.headerTexts.has(path)) return this.headerTexts.get(path)!;
    let t: string | null = null;
    try {
      t = await this.src.readFile(path);
    } catch {
      t = null;
    }
    this.headerTexts.set(path, t);
    return t;
  }

  /**
   * Reads ahead every header `text` may include, transitively (all #include lines, whatever their #if: which
   * are active is known only while preprocessing, which then runs without waiting).
   */
  private async prefetchIncludes(text: string, from: string): Promise<void> {
    const todo: Array<{ text: string; from: string }> = [{ text, from }];
    while (todo.length) {
      const batch = todo.splice(0);
      const found: Array<Promise<void>> = [];
      for (const { text: t, from: f } of batch) {
        for (const m of t.matchAll(/^[ \t]*#[ \t]*include[ \t]*(?:<([^>\n]+)>|"([^"\n]+)")/gm)) {
          found.push((async () => {
            const path = await this.resolveInclude(m[1] ?? m[2], m[2] !== undefined, f);
            if (!path || this.headerTexts.has(path)) return;
            const h = await this.readHeader(path);
            if (h !== null) todo.push({ text: h, from: path });
          })());
        }
      }
      await Promise.all(found);
    }
  }

  /**
   * The #include hook of a file's preprocessing: the header's macros go into the shared table the first time
   * it is included (its own #includes first, in order), as cpp would read them, and into `table` when the file
   * is preprocessed in a table of its own.
   */
  private includeHook(from: string, table: Map<string, MacroDef>): (spec: string, quoted: boolean) => void {
    return (spec, quoted) => {
      const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/')) : '';
      const path = this.includeResolved.get(`${quoted ? dir : ''}|${spec}`);
      // A .c file included (under the kconfig) is part of the including file's unit: its statics are the unit's.
      if (path?.endsWith('.c') && from.endsWith('.c')) {
        let s = this.includedC.get(from);
        if (!s) this.includedC.set(from, (s = new Set()));
        s.add(path);
      }
      if (!path || this.macroLoaded.has(path)) return;
      const text = this.headerTexts.get(path);
      if (!text) return;
      this.macroLoaded.add(path);
      if (this.includeDepth >= MAX_INCLUDE_DEPTH) {
        this.notes.push({ kind: 'info', text: `#include ${spec} in ${from} not read: includes nested over ${MAX_INCLUDE_DEPTH} deep` });
        return;
      }
      this.includeDepth++;
      try {
        const r = preprocessInto(text, path, this.kconfig, this.macros, this.includeHook(path, this.macros));
        this.headerDefines.set(path, r.macros.map((m) => m.name));
        if (table !== this.macros) {
          for (const m of r.macros) table.set(m.name, m);
          for (const u of r.undefs) table.delete(u);
        }
      } finally {
        this.includeDepth--;
      }
    };
  }

  /**
   * Lines that may start a function definition in the core directories, by the name before their `(`: read
   * with one search per tree, so looking a helper up costs no search of its own. The rest of the search paths
   * (drivers/, a fraction of the lookups and most of a kernel tree's size) is searched by name, in batches.
   */
  private defIndex: Promise<Map<string, Array<{ path: string; line: number; text: string }>>> | null = null;

  private definitionIndex(core: string[]): Promise<Map<string, Array<{ path: string; line: number; text: string }>>> {
    if (!this.defIndex) {
      this.defIndex = (async () => {
        const idx = new Map<string, Array<{ path: string; line: number; text: string }>>();
        let hits: Array<{ path: string; line: number; text: string }> = [];
        try {
          hits = await this.src.grep('^[A-Za-z_][A-Za-z_0-9 *]*\\(', core);
        } catch (err) {
          this.notes.push({ kind: 'info', text: `the definition index could not be read: ${String(err)}` });
        }
        for (const h of hits) {
          const m = /([A-Za-z_]\w*)\s*\($/.exec(h.text.slice(0, h.text.indexOf('(') + 1));
          if (!m) continue;
          const l = idx.get(m[1]);
          if (l) l.push(h);
          else idx.set(m[1], [h]);
        }
        return idx;
      })();
    }
    return this.defIndex;
  }

  /**
   * The files that may define `name` (a definition line, not a prototype), core directories first, in search
   * order: those the build compiles under the kconfig first, the others after. drivers/ is searched with
   * `withDrivers` where the core has none, or always with `allDrivers`.
   */
  private async definitionCandidates(name: string, withDrivers: boolean, allDrivers = false): Promise<{ files: string[]; built: Array<boolean | undefined>; external: Set<string> }> {
    const core = this.searchPaths.filter((p) => !/^drivers\/?$/.test(p));
    const rest = withDrivers ? this.searchPaths.filter((p) => !core.includes(p)) : [];
    const typedRe = new RegExp(`^[a-z].*[ *]${name}\\(`);
    const bareRe = new RegExp(`^${name}\\(`);
    const fromIndex = (await this.definitionIndex(core)).get(name) ?? [];
    let typed = fromIndex.filter((h) => typedRe.test(h.text));
    let bare = fromIndex.filter((h) => bareRe.test(h.text));
    if (rest.length && (allDrivers || (!typed.some((h) => !h.text.trimEnd().endsWith(';')) && !bare.some((h) => !h.text.trimEnd().endsWith(';'))))) {
      const [t2, b2] = await Promise.all([this.grep(`^[a-z].*[ *]${name}\\(`, name, rest), this.grep(`^${name}\\(`, name, rest)]);
      [typed, bare] = [[...typed, ...t2], [...bare, ...b2]];
    }
    const candidates: string[] = [];
    // Files whose definition line does not say `static` (on the line, or the line before a bare one).
    const external = new Set<string>();
    for (const h of typed) {
      // A declaration, not a definition: ends with `;`, or says extern (a prototype over several lines).
      if (h.text.trimEnd().endsWith(';') || /^extern\b/.test(h.text)) continue;
      candidates.push(h.path);
      if (!/\bstatic\b/.test(h.text)) external.add(h.path);
    }
    for (const h of bare) {
      if (h.text.trimEnd().endsWith(';')) continue;
      const text = await this.src.readFile(h.path);
      const prev = text?.split('\n')[h.line - 2] ?? '';
      if (/^[a-z_]/.test(prev) && !/[;,)]\s*$/.test(prev)) {
        candidates.push(h.path);
        if (!/\bstatic\b/.test(prev)) external.add(h.path);
      }
    }
    const order = (p: string): number => {
      const i = this.searchPaths.findIndex((s) => p === s || p.startsWith(s.endsWith('/') ? s : `${s}/`));
      return i < 0 ? this.searchPaths.length : i;
    };
    const all = [...new Set(candidates)].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
    // Only a definition in a file the build compiles under this kconfig (or one the makefiles do not decide)
    // is the kernel's: one in a file it leaves out (mm/kasan/shadow.c's memset() without CONFIG_KASAN, where
    // the kernel's memset() is the arch's assembly) is not in that kernel at all. A call to a function defined
    // only there is a call the tree does not define (its result unknown), and a note says so.
    const built = await Promise.all(all.map((f) => this.kbuild.built(f)));
    const files = [...all.filter((_, i) => built[i] !== false), ...all.filter((_, i) => built[i] === false)];
    return { files, built: files.map((f) => built[all.indexOf(f)]), external };
  }

  private async findDefinition(name: string, withDrivers: boolean, anyStatic: boolean): Promise<FunctionDef | null> {
    const { files, built, external } = await this.definitionCandidates(name, withDrivers);
    // A file the build leaves out is not that kernel's code: a function defined only there is a call the tree
    // does not define, said once in a note.
    const left = files.filter((_, i) => built[i] === false);
    const unbuiltNote = () => {
      if (left.length) this.notes.push({ kind: 'info', text: `${name}() is defined only in ${left.slice(0, 3).join(', ')}${left.length > 3 ? ` and ${left.length - 3} more` : ''}, which the kconfig does not build; taken as a call the tree does not define` });
    };
    let found: FunctionDef | null = null;
    for (let i = 0; i < files.length; i++) {
      const f = files[i];
      if (built[i] === false) continue;
      // Once one is found, only another external definition the build compiles is read: two of them are
      // said, not chosen between silently.
      if (found && (built[i] === false || !external.has(f))) continue;
      await this.loadFile(f, false);
      const fn = this.functions.get(name);
      if (!fn) continue;
      if (!found) {
        found = fn;
        continue;
      }
      const other = (await this.loadFile(f, false))?.functions.find((x) => x.name === name && !isFileScoped(x));
      if (other && other.file !== found.file && !this.twiceNoted.has(name)) {
        this.twiceNoted.add(name);
        this.notes.push({ kind: 'info', text: `${name}() has external definitions in ${found.file}:${found.line} and ${other.file}:${other.line}, both in files the kconfig builds: ${found.file}'s is used (the one found first)` });
      }
    }
    if (found) return found;
    if (!anyStatic) {
      unbuiltNote();
      return null;
    }
    // No external definition: the static of that name, when one file of the search has it. Several are
    // named by their ids (file:name), not by the name alone.
    const statics: FunctionDef[] = [];
    for (let i = 0; i < files.length; i++) {
      if (built[i] === false) continue;
      const fn = (await this.loadFile(files[i], false))?.functions.find((x) => x.name === name && isFileScoped(x));
      if (fn) statics.push(fn);
    }
    if (statics.length > 1) {
      this.ambiguous.set(name, statics.map((f) => `${f.file}:${name}`));
      this.notes.push({ kind: 'info', text: `${name}() is a static function of ${statics.length} files (${statics.map((f) => `${f.file}:${f.line}`).join(', ')}): name one as file:${name}` });
      return null;
    }
    if (!statics.length) unbuiltNote();
    return statics[0] ?? null;
  }

  /**
   * Greps asked for in the same turn of the event loop go to the tree as one alternation: each grep of a git
   * tree is a process, and a process costs far more than the search.
   */
  private grep(pattern: string, word: string, paths: string[] = this.searchPaths): Promise<Array<{ path: string; line: number; text: string }>> {
    return new Promise((resolve) => {
      this.pendingGreps.push({ pattern, word, paths, resolve });
      if (this.pendingGreps.length === 1) setImmediate(() => void this.flushGreps());
    });
  }

  private async flushGreps(): Promise<void> {
    const all = this.pendingGreps;
    this.pendingGreps = [];
    // One search per set of paths asked for.
    const byPaths = new Map<string, typeof all>();
    for (const b of all) {
      const k = b.paths.join('\0');
      byPaths.set(k, [...(byPaths.get(k) ?? []), b]);
    }
    await Promise.all([...byPaths.values()].map((batch) => this.flushBatch(batch, batch[0].paths)));
  }

  private async flushBatch(batch: CProgram['pendingGreps'], paths: string[]): Promise<void> {
    const patterns = [...new Set(batch.map((b) => b.pattern))];
    let hits: Array<{ path: string; line: number; text: string }> = [];
    try {
      // Every pattern names a word it cannot match without: one fixed-string search for the words, then the
      // patterns here.
      hits = this.src.grepWords
        ? await this.src.grepWords([...new Set(batch.map((b) => b.word))], paths)
        : await this.src.grep(patterns.length === 1 ? patterns[0] : patterns.map((p) => `(${p})`).join('|'), paths);
    } catch (err) {
      this.notes.push({ kind: 'info', text: `grep ${patterns.join(' | ')} failed: ${String(err)}` });
    }
    const byPattern = new Map(patterns.map((p) => {
      const re = new RegExp(p);
      return [p, hits.filter((h) => re.test(h.text))] as const;
    }));
    for (const b of batch) b.resolve(byPattern.get(b.pattern)!);
  }

  private loadFile(path: string, shareMacros: boolean): Promise<FileIndex | null> {
    let p = this.perFile.get(path);
    if (!p) {
      p = this.parseFile(path, shareMacros);
      this.perFile.set(path, p);
    }
    return p;
  }

  private async parseFile(path: string, shareMacros: boolean): Promise<FileIndex | null> {
    let text: string | null;
    try {
      text = await this.src.readFile(path);
    } catch (err) {
      text = null;
      this.notes.push({ kind: 'info', text: `cannot read ${path}: ${String(err)}` });
    }
    if (text === null) {
      this.notes.push({ kind: 'info', text: `missing file skipped: ${path}` });
      return null;
    }
    const parser = await getCParser();
    const cache = this.parseCache;
    // The parse of the same text, path and kconfig by this front end; which of its entries fits this program
    // is for the recorded reads to say.
    const claim = cache ? await cache.lookup(cache.hash(`${PARSE_FORMAT}\0${path}\0${shareMacros ? 1 : 0}\0${this.kconfigDigest}\0${text}`)) : null;
    let made: ParseEntry | null = null;
    try {
      await this.prefetchIncludes(text, path);
      // From here to the end, nothing awaits: no other parse of this program runs between the reads recorded
      // and the writes.
      this.parseStats.files++;
      const opts = this.convertOptions();
      const hit = claim?.entries.find((e) => this.replayable(e));
      if (hit) {
        this.parseStats.fromCache++;
        return this.merge(path, this.replay(hit, parser, opts));
      }
      const rec = claim ? new Recorder() : null;
      const notesBefore = this.notes.length;
      this.record(rec);
      let parsed: ParsedFile;
      try {
        parsed = this.parseText(text, path, shareMacros, parser, opts, rec !== null);
      } finally {
        this.record(null);
      }
      if (rec) made = this.entryOf(rec, parsed, this.notes.slice(notesBefore));
      return this.merge(path, parsed);
    } finally {
      claim?.done(made);
    }
  }

  private convertOptions(): ConvertOptions {
    return {
      kconfig: this.kconfig, lookupConstant: (n: string) => this.constantValue(n), lazyBodies: true, lateNotes: this.notes, macro: (n: string) => this.macro(n),
      lateBody: (def, text, row, convert) => this.converted(`body\0${def.file}\0${def.name}\0${def.line}\0${row}\0${text}`, convert, this.notes),
    };
  }

  /**
   * A conversion of C text to an AST after the parse of its file (a body left lazy, a macro's body, scenario
   * glue), through the parse cache: `what` names the text and everything about it the conversion is given,
   * and the program's state the conversion reads (the macros an iterator loop names, the constants) is
   * recorded as a parse's is, so an entry replays only where it finds the same. The kconfig is in the key.
   * Its notes go to `notes` (none kept: null). Inside a parse being recorded, the reads are that parse's, and
   * the conversion is done as it was, with no entry of its own.
   */
  private converted<T>(what: string, convert: (notes: FrontendNote[]) => T, notes: FrontendNote[] | null): T {
    const cache = this.parseCache;
    this.parseStats.conversions++;
    if (!cache?.lookupNow || !cache.keepNow || this.macros.rec) return convert(notes ?? []);
    const key = cache.hash(`${PARSE_FORMAT}\0${this.kconfigDigest}\0${what}`);
    const hit = cache.lookupNow(key).find((e) => this.replayable(e));
    if (hit) {
      const r = JSON.parse(hit.payload) as { value: T; notes: FrontendNote[] };
      notes?.push(...r.notes);
      this.parseStats.conversionsFromCache++;
      return r.value;
    }
    const rec = new Recorder();
    const made: FrontendNote[] = [];
    this.record(rec);
    let value: T;
    try {
      value = convert(made);
    } finally {
      this.record(null);
    }
    notes?.push(...made);
    // A conversion that wrote to the program's state could not be replayed by reads alone: not kept.
    const payload = rec.wroteAny() ? null : exactJson({ value, notes: made });
    const reads = payload === null ? null : readsOf(rec);
    if (payload !== null && reads) cache.keepNow(key, { reads, payload });
    return value;
  }

  /** Preprocesses and parses one file's text; writes the macros it and its includes define to the shared table. */
  private parseText(text: string, path: string, shareMacros: boolean, parser: Parser, opts: ConvertOptions, recording: boolean): ParsedFile {
    // Files loaded on demand see the macros known so far but do not redefine them for everyone else; the
    // headers they include are everyone's.
    const table = shareMacros ? this.macros : this.macros.copyRecorded(this.macros.rec);
    // A header already read for its macros is read again for its functions: without what it defined itself
    // (its include guard would hide all of it).
    for (const m of this.headerDefines.get(path) ?? []) table.delete(m);
    this.macroLoaded.add(path);
    const pp = preprocessInto(text, path, this.kconfig, table, this.includeHook(path, table));
    if (!shareMacros) for (const m of pp.macros) if (!this.macros.has(m.name)) this.macros.set(m.name, m);
    this.notes.push(...pp.notes);
    const generated = expandMacroGeneratedFunctions(parser, pp.text, path, table, opts, recording);
    const parsed = parseCWith(parser, generated.text, path, opts);
    const functions = [...parsed.functions, ...generated.functions].sort((a, b) => a.line - b.line);
    return {
      functions, enums: parsed.enums, globals: parsed.globals, notes: [...parsed.notes, ...generated.notes],
      includedC: [...(this.includedC.get(path) ?? [])],
    };
  }

  /** A parse's result into the program: its notes, enum constants, functions and globals. */
  private merge(path: string, parsed: ParsedFile): FileIndex {
    this.notes.push(...parsed.notes);
    for (const e of parsed.enums) if (!this.enums.has(e.name)) this.enums.set(e.name, e.value);
    for (const f of parsed.functions) {
      if (isFileScoped(f)) {
        let m = this.locals.get(path);
        if (!m) this.locals.set(path, (m = new Map()));
        if (!m.has(f.name)) m.set(f.name, f);
      } else if (!this.functions.has(f.name)) this.functions.set(f.name, f);
    }
    // The .c files its parse #included (a replayed parse too): part of its unit.
    if (parsed.includedC?.length) {
      let inc = this.includedC.get(path);
      if (!inc) this.includedC.set(path, (inc = new Set()));
      for (const c of parsed.includedC) inc.add(c);
    }
    // A definition with an initializer wins over a declaration (an extern in a header read first).
    for (const g of parsed.globals) if (!this.globals.get(g.name)?.init) this.globals.set(g.name, g);
    this.files.push(path);
    return { functions: parsed.functions, globals: parsed.globals };
  }

  private recorded(): Array<RecordedMap<unknown> | RecordedSet> {
    return [this.macros, this.enums, this.macroLoaded, this.headerDefines, this.includeResolved, this.headerTexts] as Array<RecordedMap<unknown> | RecordedSet>;
  }

  private record(rec: Recorder | null): void {
    for (const m of this.recorded()) m.rec = rec;
  }

  private textHash(text: string): string {
    let h = this.textHashes.get(text);
    if (h === undefined) {
      h = (this.parseCache as ParseCache).hash(text);
      this.textHashes.set(text, h);
    }
    return h;
  }

  /** Whether every read an entry recorded finds the same in this program now. */
  private replayable(e: ParseEntry): boolean {
    const byKind = new Map(this.recorded().map((m) => [m.kind, m] as const));
    for (const [kind, [keyText, fpText]] of Object.entries(e.reads)) {
      const m = byKind.get(kind);
      if (!m) return false;
      const keys = keyText.split(READ_SEP);
      const fps = fpText.split(READ_SEP);
      if (keys.length !== fps.length) return false;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!, fp = fps[i]!;
        if (m.current(key) !== fp) return false;
      }
    }
    return true;
  }

  /** An entry's writes applied to this program, and its result as this program's own objects. */
  private replay(entry: ParseEntry, parser: Parser, opts: ConvertOptions): ParsedFile {
    const e = JSON.parse(entry.payload) as ParseResult;
    for (const [name, def] of e.writes.macros) {
      if (def) this.macros.set(name, def);
      else this.macros.delete(name);
    }
    for (const p of e.writes.macroLoaded) this.macroLoaded.add(p);
    for (const [p, names] of e.writes.headerDefines) this.headerDefines.set(p, names);
    this.notes.push(...e.writes.notes);
    const functions = e.out.functions.map((f): FunctionDef => {
      const { lazy, body, ...rest } = f;
      const def: FunctionDef = { ...rest, body: body ?? { k: 'empty', loc: { file: f.file, line: f.line } } };
      if (lazy) lazyBody(def, parser, lazy.text, lazy.row, opts);
      return def;
    });
    return { functions, enums: e.out.enums, globals: e.out.globals, notes: e.out.notes, includedC: e.out.includedC ?? [] };
  }

  /** What a parse recorded, as an entry of the cache. */
  private entryOf(rec: Recorder, parsed: ParsedFile, notes: FrontendNote[]): ParseEntry | null {
    const reads = readsOf(rec);
    if (!reads) return null;
    const get = <V>(m: Map<string, V>, k: string): V | undefined => Map.prototype.get.call(m, k) as V | undefined;
    const result: ParseResult = {
      writes: {
        macros: rec.writtenKeys(this.macros).map((k) => [k, get(this.macros, k) ?? null]),
        macroLoaded: rec.writtenKeys(this.macroLoaded),
        headerDefines: rec.writtenKeys(this.headerDefines).map((k) => [k, get(this.headerDefines, k) ?? []]),
        notes,
      },
      out: {
        functions: parsed.functions.map((f): StoredFunction => {
          const lazy = lazyBodySource.get(f);
          const stored: StoredFunction = { name: f.name, file: f.file, line: f.line, endLine: f.endLine, returnType: f.returnType, params: f.params, isStatic: f.isStatic, isInline: f.isInline };
          if (lazy) stored.lazy = lazy;
          else stored.body = f.body;
          return stored;
        }),
        enums: parsed.enums,
        globals: parsed.globals,
        notes: parsed.notes,
        includedC: parsed.includedC ?? [],
      },
    };
    const payload = exactJson(result);
    return payload === null ? null : { reads, payload };
  }

  // ---- macros on the AST ----

  /** Counts one expansion at `loc`; an unmodelled expression once the line has had its share. */
  private overExpansionBudget(text: string, loc: Loc): Expr | null {
    const key = `${loc.file}:${loc.line}`;
    const n = (this.expansionsAt.get(key) ?? 0) + 1;
    this.expansionsAt.set(key, n);
    if (n <= MACRO_EXPANSIONS_PER_LINE) return null;
    const why = `macro expansion at ${key} stopped after ${MACRO_EXPANSIONS_PER_LINE} expansions (the work of expanding is bounded, not only its depth)`;
    if (n === MACRO_EXPANSIONS_PER_LINE + 1) this.notes.push({ kind: 'info', text: why });
    return { k: 'unmodelled', text, why, loc };
  }

  /** Expands `name(args)`; null when `name` is not a known macro. */
  async expandMacroCall(name: string, args: Expr[], loc: Loc): Promise<Expr | null> {
    const def = this.macro(name);
    if (!def) return null;
    const over = this.overExpansionBudget(`${name}(...)`, loc);
    if (over) return over;
    if (def.params === null) {
      const callee = await this.expandObjectMacro(name, loc);
      return callee ? { k: 'call', callee, args, loc } : null;
    }
    const pasted = pasteArguments(def, args);
    let use = def;
    if (pasted) {
      const key = `${def.name}\0${def.file}:${def.line}\0${pasted.body}`;
      use = this.pastedDefs.get(key) ?? pasted;
      this.pastedDefs.set(key, use);
    }
    const body = await this.parsedBody(use);
    if (body.kind === 'unexpandable') return { k: 'unmodelled', text: `${name}(${args.map(exprText).join(', ')})`, why: body.why, loc };
    const fixed = def.params.length;
    if (args.length < fixed || (!def.variadic && args.length > fixed && !(fixed === 0 && args.length === 0))) {
      return { k: 'unmodelled', text: `${name}(...)`, why: `${name} takes ${fixed}${def.variadic ? '+' : ''} arguments, got ${args.length}`, loc };
    }
    return substitute(body.e, use, args, loc);
  }

  /** Expands an object-like macro used as an expression; null when `name` is not one. */
  async expandObjectMacro(name: string, loc: Loc): Promise<Expr | null> {
    const macro = this.macro(name);
    if (!macro || macro.params !== null) return null;
    const over = this.overExpansionBudget(name, loc);
    if (over) return over;
    const pasted = pasteArguments(macro, []);
    const key = pasted ? `${macro.name}\0${macro.file}:${macro.line}\0${pasted.body}` : '';
    const def = pasted ? (this.pastedDefs.get(key) ?? pasted) : macro;
    if (pasted) this.pastedDefs.set(key, def);
    const body = await this.parsedBody(def);
    if (body.kind === 'unexpandable') return { k: 'unmodelled', text: name, why: body.why, loc };
    return substitute(body.e, def, [], loc);
  }

  private async parsedBody(def: MacroDef): Promise<ParsedBody> {
    const cached = this.bodies.get(def);
    if (cached) return cached;
    const parser = await getCParser();
    const why = unexpandableWhy(def);
    const text = typeArgumentsAsNames(inlineStringify(stripVaComma(def.body)));
    const r: ParsedBody = why ? { kind: 'unexpandable', why }
      : text.trim() === '' ? { kind: 'unexpandable', why: `${def.name} has an empty body` }
      : this.converted(`macro\0${def.name}\0${macroFingerprint(def)}`, (notes) => macroBodyAst(parser, def, text, this.kconfig, notes), this.notes);
    this.bodies.set(def, r);
    return r;
  }

  /**
   * C statements that are not the tree's (a scenario's glue), converted to the AST, through the parse cache
   * like the tree's own conversions. Their notes are not kept (as parseStatements).
   */
  async statements(text: string, loc: Loc): Promise<Stmt[]> {
    const parser = await getCParser();
    return this.converted(`statements\0${loc.file}\0${loc.line}\0${text}`, () => parseStatementsWith(parser, text, loc).stmts, null);
  }

  // ---- tree-wide queries ----

  /** Where the tree stores something into `.field` (designated initializers and assignments). */
  async findInitializers(field: string): Promise<Initializer[]> {
    return (await this.findInitializersUpTo(field, Infinity)) as Initializer[];
  }

  /** findInitializers, or how many files store into the field where that is more than `maxFiles`. */
  async findInitializersUpTo(field: string, maxFiles: number): Promise<Initializer[] | { tooMany: number }> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) return [];
    // Spacing before `=` varies (tabs): grep wide, the parse confirms.
    const hits = await this.grep(`(\\.|->)[ ]*${field}\\b`, field);
    const out: Initializer[] = [];
    // Only lines that store into the field (`.field = `, `->field = `) make a file worth parsing.
    const files = [...new Set(hits.filter((h) => new RegExp(`(\\.|->)\\s*${field}\\s*=[^=]`).test(h.text)).map((h) => h.path))].sort();
    if (files.length > maxFiles) return { tooMany: files.length };
    for (const file of files) out.push(...(await this.storesIn(file, field)));
    return out;
  }

  /**
   * Where `field` is stored into in one file: designated or positional initializers of its globals and locals
   * (".page_free = dmirror_devmem_free"), and assignments ("devmem->pagemap.ops = &dmirror_devmem_ops").
   */
  async storesIn(file: string, field: string): Promise<Initializer[]> {
    const out: Initializer[] = [];
    const idx = await this.loadFile(file, false);
    if (!idx) return out;
    for (const g of idx.globals) {
      if (g.init) collectInits(g.init, field, g.name, g.type, file, out);
    }
    for (const fn of idx.functions) {
      const types = new Map<string, string>(fn.params.map((p) => [p.name, p.type]));
      walkStmt(fn.body, (s) => {
        if (s.k === 'decl') {
          types.set(s.name, s.type);
          if (s.init) collectInits(s.init, field, s.name, s.type, file, out);
        }
      }, (e) => {
        if (e.k === 'assign' && e.op === '=' && e.target.k === 'member' && e.target.field === field) {
          const root = rootName(e.target.obj);
          out.push({
            field,
            value: exprText(stripRef(e.value)),
            variable: exprText(e.target.obj),
            ...(root && types.get(root) ? { structType: types.get(root) } : {}),
            file,
            line: e.loc.line,
          });
        }
      });
    }
    return out;
  }

  /**
   * Where `value` (a function or a variable, by name) is stored into `field` anywhere in the search paths: the
   * files that name it, then their stores (the pgmap whose ".ops" is "&dmirror_devmem_ops").
   */
  async findStoresOf(field: string, value: string): Promise<Initializer[]> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return [];
    const files = [...new Set((await this.grep(`\\b${value}\\b`, value)).map((h) => h.path))].sort();
    const out: Initializer[] = [];
    for (const file of files) out.push(...(await this.storesIn(file, field)).filter((s) => s.value === value));
    return out;
  }

  /**
   * Functions (in the search paths, outside `skip` prefixes) whose bodies call the function `id` (functionId),
   * one entry per call site, each caller by its id. A file-scoped static is called only from its own file; an
   * external function from every file but those with a static of the same name (theirs is what they call).
   */
  async callersOf(id: string, skip: string[] = []): Promise<CallSite[]> {
    const name = functionName(id);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return [];
    const target = await this.resolveFunction(id);
    const own = target && isFileScoped(target) ? target.file : null;
    const hits = own ? [] : await this.grep(`\\b${name}[ ]*\\(`, name);
    const out: CallSite[] = [];
    const seen = new Set<string>();
    // Files under `skip` are not even parsed: a caller there is of no interest to the asker.
    const files = own ? [own] : [...new Set(hits.map((h) => h.path))].filter((f) => !skip.some((p) => f.startsWith(p))).sort();
    for (const file of files) {
      const idx = await this.loadFile(file, false);
      if (!idx) continue;
      if (!own && this.locals.get(file)?.has(name)) continue;
      for (const fn of idx.functions) {
        const callsIt: number[] = [];
        walkStmt(fn.body, () => {}, (e) => {
          if (e.k === 'call' && e.callee.k === 'id' && e.callee.name === name) callsIt.push(e.loc.line);
        });
        if (!callsIt.length) continue;
        const caller = await this.functionId(fn);
        for (const line of callsIt) {
          const key = `${caller}@${file}:${line}`;
          if (!seen.has(key)) {
            seen.add(key);
            out.push({ caller, file, line });
          }
        }
      }
    }
    return out;
  }
}

/** `a/./b/../c` as `a/c`; null for a path that climbs out of the tree. */
function normalizePath(p: string): string | null {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!out.length) return null;
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

function stripRef(e: Expr): Expr {
  while (e.k === 'cast' || (e.k === 'unary' && e.op === '&')) e = e.arg;
  return e;
}

function rootName(e: Expr): string | null {
  for (;;) {
    if (e.k === 'id') return e.name;
    if (e.k === 'member' || e.k === 'index') e = e.obj;
    else if (e.k === 'unary' || e.k === 'cast') e = e.arg;
    else return null;
  }
}

/** Designated fields named `field` in an initializer, nested ones included. */
function collectInits(init: Expr, field: string, variable: string, type: string, file: string, out: Initializer[], nested = false): void {
  const e = init.k === 'cast' ? init.arg : init;
  if (e.k !== 'init') return;
  for (const f of e.fields) {
    const last = f.name?.split('.').pop();
    if (last === field) {
      out.push({ field, value: exprText(stripRef(f.value)), variable, ...(nested ? {} : { structType: type }), file, line: f.value.loc.line });
    } else if (f.value.k === 'init' || f.value.k === 'cast') {
      collectInits(f.value, field, f.name ? `${variable}.${f.name}` : variable, type, file, out, true);
    }
  }
}

/** Visits every statement and expression under `s`. */
export function walkStmt(s: Stmt, onStmt: (s: Stmt) => void, onExpr: (e: Expr) => void): void {
  const ex = (e: Expr | undefined): void => { if (e) walkExpr(e, onStmt, onExpr); };
  const st = (x: Stmt | undefined): void => { if (x) walkStmt(x, onStmt, onExpr); };
  onStmt(s);
  switch (s.k) {
    case 'block': s.body.forEach(st); break;
    case 'decl': ex(s.init); break;
    case 'expr': ex(s.e); break;
    case 'if': ex(s.test); st(s.then); st(s.else); break;
    case 'while': ex(s.test); st(s.body); break;
    case 'do': st(s.body); ex(s.test); break;
    case 'for': st(s.init); ex(s.test); ex(s.update); st(s.body); break;
    case 'return': ex(s.e); break;
    case 'label': st(s.body); break;
    case 'switch': ex(s.test); for (const c of s.cases) { c.values.forEach(ex); c.body.forEach(st); } break;
    default: break;
  }
}

export function walkExpr(e: Expr, onStmt: (s: Stmt) => void, onExpr: (e: Expr) => void): void {
  const ex = (x: Expr): void => walkExpr(x, onStmt, onExpr);
  onExpr(e);
  switch (e.k) {
    case 'call': ex(e.callee); e.args.forEach(ex); break;
    case 'member': ex(e.obj); break;
    case 'index': ex(e.obj); ex(e.index); break;
    case 'unary': case 'postfix': case 'cast': ex(e.arg); break;
    case 'binary': ex(e.left); ex(e.right); break;
    case 'assign': ex(e.target); ex(e.value); break;
    case 'cond': ex(e.test); ex(e.then); ex(e.else); break;
    case 'comma': e.exprs.forEach(ex); break;
    case 'init': e.fields.forEach((f) => ex(f.value)); break;
    case 'stmtexpr': e.body.forEach((s) => walkStmt(s, onStmt, onExpr)); break;
    default: break;
  }
}
