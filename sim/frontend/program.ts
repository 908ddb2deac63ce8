// CProgram: the index of a tracked tree's C code that the interpreter asks for functions, macros and constants.
// Files come in through an injected source (a TreeView or anything with readFile/grep); nothing here does I/O itself.

import type { Expr, FrontendNote, FunctionDef, Kconfig, Loc, MacroDef, Stmt } from './ast.ts';
import { evalIfExpr } from './if-expr.ts';
import { getCParser, parseCWith, parseExpressionWith, parseStatementsWith, type GlobalDef } from './parse-c.ts';
import { preprocessInto } from './preprocess.ts';
import { exprText, inlineStringify, looksLikeStatements, stripVaComma, substitute, unexpandableWhy } from './macro-expand.ts';
import { expandMacroGeneratedFunctions } from './generated-functions.ts';
import { seedPredefined } from './predefined-macros.ts';
import { Kbuild } from './kbuild.ts';

export interface CSource {
  readFile(path: string): Promise<string | null>;
  grep(pattern: string, paths?: string[]): Promise<Array<{ path: string; line: number; text: string }>>;
  /** Whole-word search for many names at once (TreeView.grepWords); used instead of grep where present. */
  grepWords?(words: string[], paths?: string[]): Promise<Array<{ path: string; line: number; text: string }>>;
}

export interface LoadOptions {
  files: string[];
  /** Where resolveFunction, findInitializers and callersOf look; default include/linux, mm, kernel, lib, drivers. */
  searchPaths?: string[];
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
const DEFAULT_SEARCH = ['include/linux', 'mm', 'kernel', 'lib', 'fs', 'drivers'];

/** Macros whose meaning is fixed, used only when the tree's own definition was not loaded (compiler.h). */
const FALLBACK_MACROS: MacroDef[] = [
  { name: 'likely', params: ['x'], variadic: false, body: '(x)', file: '<builtin>', line: 0 },
  { name: 'unlikely', params: ['x'], variadic: false, body: '(x)', file: '<builtin>', line: 0 },
  { name: 'likely_notrace', params: ['x'], variadic: false, body: '(x)', file: '<builtin>', line: 0 },
  { name: 'unlikely_notrace', params: ['x'], variadic: false, body: '(x)', file: '<builtin>', line: 0 },
];

interface FileIndex {
  functions: FunctionDef[];
  globals: GlobalDef[];
}

type ParsedBody = { kind: 'expr'; e: Expr } | { kind: 'unexpandable'; why: string };

export class CProgram {
  readonly notes: FrontendNote[] = [];
  readonly files: string[] = [];
  private readonly functions = new Map<string, FunctionDef>();
  private readonly enums = new Map<string, number>();
  private readonly globals = new Map<string, GlobalDef>();
  private readonly macros = new Map<string, MacroDef>();
  private readonly perFile = new Map<string, Promise<FileIndex | null>>();
  private readonly resolving = new Map<string, Promise<FunctionDef | null>>();
  private readonly bodies = new Map<MacroDef, ParsedBody>();
  private readonly searchPaths: string[];
  /** Which .c files the build compiles under the kconfig (the tree's makefiles). */
  readonly kbuild: Kbuild;
  private pendingGreps: Array<{ pattern: string; word: string; paths: string[]; resolve: (hits: Array<{ path: string; line: number; text: string }>) => void }> = [];

  private constructor(
    private readonly src: CSource,
    private readonly kconfig: Kconfig,
    searchPaths: string[] | undefined,
  ) {
    this.searchPaths = searchPaths ?? DEFAULT_SEARCH;
    this.kbuild = new Kbuild((p) => src.readFile(p), kconfig);
    seedPredefined(this.macros, kconfig);
  }

  static async load(src: CSource, kconfig: Kconfig, opts: LoadOptions): Promise<CProgram> {
    const p = new CProgram(src, kconfig, opts.searchPaths);
    // In order: earlier files define macros for later ones, as #includes would.
    for (const f of opts.files) await p.loadFile(f, true);
    return p;
  }

  getFunction(name: string): FunctionDef | undefined {
    return this.functions.get(name);
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

  async resolveFunction(name: string): Promise<FunctionDef | null> {
    const have = this.functions.get(name);
    if (have) return have;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return null;
    let p = this.resolving.get(name);
    if (!p) {
      p = this.findDefinition(name);
      this.resolving.set(name, p); // also memoizes misses
    }
    return p;
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

  private async findDefinition(name: string): Promise<FunctionDef | null> {
    // The core directories first, from the index; the rest (drivers/) only for what they do not define.
    const core = this.searchPaths.filter((p) => !/^drivers\/?$/.test(p));
    const rest = this.searchPaths.filter((p) => !core.includes(p));
    const typedRe = new RegExp(`^[a-z].*[ *]${name}\\(`);
    const bareRe = new RegExp(`^${name}\\(`);
    const fromIndex = (await this.definitionIndex(core)).get(name) ?? [];
    let typed = fromIndex.filter((h) => typedRe.test(h.text));
    let bare = fromIndex.filter((h) => bareRe.test(h.text));
    if (rest.length && !typed.some((h) => !h.text.trimEnd().endsWith(';')) && !bare.some((h) => !h.text.trimEnd().endsWith(';'))) {
      [typed, bare] = await Promise.all([this.grep(`^[a-z].*[ *]${name}\\(`, name, rest), this.grep(`^${name}\\(`, name, rest)]);
    }
    const candidates: string[] = [];
    for (const h of typed) if (!h.text.trimEnd().endsWith(';')) candidates.push(h.path);
    for (const h of bare) {
      if (h.text.trimEnd().endsWith(';')) continue;
      const text = await this.src.readFile(h.path);
      const prev = text?.split('\n')[h.line - 2] ?? '';
      if (/^[a-z_]/.test(prev) && !/[;,)]\s*$/.test(prev)) candidates.push(h.path);
    }
    const order = (p: string): number => {
      const i = this.searchPaths.findIndex((s) => p === s || p.startsWith(s.endsWith('/') ? s : `${s}/`));
      return i < 0 ? this.searchPaths.length : i;
    };
    const all = [...new Set(candidates)].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
    // A definition in a file the build compiles under this kconfig comes first; one in a file it leaves out
    // (mm/kasan/shadow.c's memset() without CONFIG_KASAN) only where the tree has no other, with a note: the
    // kconfig may lack an option the build would select.
    const built = await Promise.all(all.map((f) => this.kbuild.built(f)));
    const files = [...all.filter((_, i) => built[i] !== false), ...all.filter((_, i) => built[i] === false)];
    for (const f of files) {
      await this.loadFile(f, false);
      const fn = this.functions.get(name);
      if (fn) {
        if (built[all.indexOf(f)] === false) this.notes.push({ kind: 'info', text: `${name}() is defined only in ${f}, which the kconfig does not build; used anyway` });
        return fn;
      }
    }
    return null;
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
    // Files loaded on demand see the macros known so far but do not redefine them for everyone else.
    const table = shareMacros ? this.macros : new Map(this.macros);
    const pp = preprocessInto(text, path, this.kconfig, table);
    if (!shareMacros) for (const m of pp.macros) if (!this.macros.has(m.name)) this.macros.set(m.name, m);
    this.notes.push(...pp.notes);
    const opts = { kconfig: this.kconfig, lookupConstant: (n: string) => this.constantValue(n), lazyBodies: true, lateNotes: this.notes, macro: (n: string) => this.macro(n) };
    const generated = expandMacroGeneratedFunctions(parser, pp.text, path, table, opts);
    const parsed = parseCWith(parser, generated.text, path, opts);
    const functions = [...parsed.functions, ...generated.functions].sort((a, b) => a.line - b.line);
    this.notes.push(...parsed.notes, ...generated.notes);
    for (const e of parsed.enums) if (!this.enums.has(e.name)) this.enums.set(e.name, e.value);
    for (const f of functions) if (!this.functions.has(f.name)) this.functions.set(f.name, f);
    // A definition with an initializer wins over a declaration (an extern in a header read first).
    for (const g of parsed.globals) if (!this.globals.get(g.name)?.init) this.globals.set(g.name, g);
    this.files.push(path);
    return { functions, globals: parsed.globals };
  }

  // ---- macros on the AST ----

  /** Expands `name(args)`; null when `name` is not a known macro. */
  async expandMacroCall(name: string, args: Expr[], loc: Loc): Promise<Expr | null> {
    const def = this.macro(name);
    if (!def) return null;
    if (def.params === null) {
      const callee = await this.expandObjectMacro(name, loc);
      return callee ? { k: 'call', callee, args, loc } : null;
    }
    const body = await this.parsedBody(def);
    if (body.kind === 'unexpandable') return { k: 'unmodelled', text: `${name}(${args.map(exprText).join(', ')})`, why: body.why, loc };
    const fixed = def.params.length;
    if (args.length < fixed || (!def.variadic && args.length > fixed && !(fixed === 0 && args.length === 0))) {
      return { k: 'unmodelled', text: `${name}(...)`, why: `${name} takes ${fixed}${def.variadic ? '+' : ''} arguments, got ${args.length}`, loc };
    }
    return substitute(body.e, def, args, loc);
  }

  /** Expands an object-like macro used as an expression; null when `name` is not one. */
  async expandObjectMacro(name: string, loc: Loc): Promise<Expr | null> {
    const def = this.macro(name);
    if (!def || def.params !== null) return null;
    const body = await this.parsedBody(def);
    if (body.kind === 'unexpandable') return { k: 'unmodelled', text: name, why: body.why, loc };
    return substitute(body.e, def, [], loc);
  }

  private async parsedBody(def: MacroDef): Promise<ParsedBody> {
    const cached = this.bodies.get(def);
    if (cached) return cached;
    const parser = await getCParser();
    let r: ParsedBody;
    const why = unexpandableWhy(def);
    const loc: Loc = { file: def.file, line: def.line };
    const text = inlineStringify(stripVaComma(def.body));
    if (why) r = { kind: 'unexpandable', why };
    else if (text.trim() === '') r = { kind: 'unexpandable', why: `${def.name} has an empty body` };
    else {
      const opts = { kconfig: this.kconfig };
      let e: Expr | null = null;
      if (!looksLikeStatements(text)) {
        const x = parseExpressionWith(parser, text, loc, opts);
        if (x.expr.k !== 'unmodelled' || x.expr.why !== 'not a C expression') {
          e = x.expr;
          this.notes.push(...x.notes);
        }
      }
      if (!e) {
        const s = parseStatementsWith(parser, text, loc, opts);
        this.notes.push(...s.notes);
        const body: Stmt[] = s.stmts;
        e = body.length === 1 && body[0].k === 'unmodelled'
          ? { k: 'unmodelled', text: def.body, why: `${def.name}: body is neither an expression nor statements`, loc }
          : { k: 'stmtexpr', body, loc };
      }
      r = { kind: 'expr', e };
    }
    this.bodies.set(def, r);
    return r;
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
    for (const file of files) {
      const idx = await this.loadFile(file, false);
      if (!idx) continue;
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
    }
    return out;
  }

  /** Functions (in the search paths, outside `skip` prefixes) whose bodies call `name`, one entry per call site. */
  async callersOf(name: string, skip: string[] = []): Promise<CallSite[]> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return [];
    const hits = await this.grep(`\\b${name}[ ]*\\(`, name);
    const out: CallSite[] = [];
    const seen = new Set<string>();
    // Files under `skip` are not even parsed: a caller there is of no interest to the asker.
    const files = [...new Set(hits.map((h) => h.path))].filter((f) => !skip.some((p) => f.startsWith(p))).sort();
    for (const file of files) {
      const idx = await this.loadFile(file, false);
      if (!idx) continue;
      for (const fn of idx.functions) {
        walkStmt(fn.body, () => {}, (e) => {
          if (e.k === 'call' && e.callee.k === 'id' && e.callee.name === name) {
            const key = `${fn.name}@${file}:${e.loc.line}`;
            if (!seen.has(key)) {
              seen.add(key);
              out.push({ caller: fn.name, file, line: e.loc.line });
            }
          }
        });
      }
    }
    return out;
  }
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
