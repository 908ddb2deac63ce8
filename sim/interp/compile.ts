// Compiles the simulator's C AST to bytecode, resolving names against the tree (through CProgram) and the
// model. Resolution order for a call: special forms (likely, READ_ONCE, VM_BUG_ON ...), locals holding
// function pointers, model names (atomics, locks, page facts), function-like macros, tree functions; a
// callee found nowhere becomes an opaque call that returns an unknown and leaves an "unmodelled call" note.
// A global the tree initializes with a constant starts at that value (globalInits); others are unknown. A call
// through a pointer field (ops->free) carries the functions the tree stores in that field, so the machine can
// follow a pointer it does not hold.
import type { Expr, FunctionDef, Kconfig, Loc, Stmt } from '../frontend/ast.ts';
import type { CompiledFunction, Instr, Value } from './bytecode.ts';
import { isModelName, ZONE_FALLBACK } from '../model/builtins.ts';
import { walkStmt, type Initializer } from '../frontend/program.ts';
import type { GlobalDef } from '../frontend/parse-c.ts';
import { constEval } from '../frontend/const-eval.ts';
import { exprText as cText } from '../frontend/macro-expand.ts';

/** What the compiler needs from the front end (CProgram implements it). */
export interface ProgramSource {
  /** A function by id, or by name as code in the file `from` calls it (its own file's static first). */
  resolveFunction(name: string, from?: string, asId?: boolean): Promise<FunctionDef | null>;
  /** Already loaded, no lookup; by id, or by name as code in `from` calls it. */
  getFunction(name: string, from?: string): FunctionDef | undefined;
  /** The name a function goes by in traces and calls: its C name, or file:name for a clashing static. */
  functionId?(def: FunctionDef): Promise<string>;
  /** The id of `name` when code in the file `from` calls its own file's static; else null. */
  localFunctionId?(name: string, from: string): Promise<string | null>;
  macro(name: string): { params: string[] | null } | undefined;
  enumValue(name: string): number | undefined;
  expandMacroCall(name: string, args: Expr[], loc: Loc): Promise<Expr | null>;
  expandObjectMacro(name: string, loc: Loc): Promise<Expr | null>;
  /** A global variable of a loaded file (the definition with an initializer, where there is one). */
  getGlobal?(name: string): GlobalDef | undefined;
  /** An enum constant or a macro that evaluates to an integer. */
  constantValue?(name: string): number | undefined;
  /** Where the tree stores into `.field` / `->field`. */
  findInitializersUpTo?(field: string, maxFiles: number): Promise<Initializer[] | { tooMany: number }>;
}

export interface CompileNote {
  text: string;
  loc?: Loc;
}

/** Fields whose address is taken or that are embedded structs sharing their container's object. */
const EMBEDDED = new Set(['page', 'folio', 'pagemap', 'pgmap_embedded']);

const BUG_FORMS = new Set(['BUG_ON', 'VM_BUG_ON', 'VM_BUG_ON_PAGE', 'VM_BUG_ON_FOLIO', 'VM_BUG_ON_VMA', 'VM_BUG_ON_MM']);
const WARN_FORMS = new Set([
  'WARN_ON', 'WARN_ON_ONCE', 'VM_WARN_ON', 'VM_WARN_ON_ONCE', 'VM_WARN_ON_PAGE', 'VM_WARN_ON_FOLIO',
  'VM_WARN_ON_ONCE_PAGE', 'VM_WARN_ON_ONCE_FOLIO', 'WARN', 'WARN_ONCE', 'VM_WARN_ONCE',
]);
const IDENTITY_FORMS = new Set(['likely', 'unlikely', 'READ_ONCE', '__READ_ONCE', 'data_race', 'smp_load_acquire_value']);
const NOTHING_FORMS = new Set(['BUILD_BUG_ON', 'BUILD_BUG_ON_MSG', 'BUILD_BUG_ON_INVALID', 'typecheck', 'lockdep_assert_held']);
const OTHER_FORMS = new Set([
  '__builtin_expect', 'WRITE_ONCE', '__WRITE_ONCE', 'smp_load_acquire', 'smp_store_release', 'BUG', 'IS_ENABLED', 'IS_BUILTIN',
  'IS_REACHABLE', 'IS_MODULE', 'container_of', 'container_of_const', 'wait_var_event', 'wait_var_event_killable',
  '___wait_var_event', 'wait_event', 'wait_event_killable', 'offsetof', 'ARRAY_SIZE',
]);

const PERCPU_OP = /^(?:__)?(?:this|raw)_cpu_(read|read_stable|write|add|sub|inc|dec|or|and|add_return|sub_return|inc_return|dec_return)$/;
const PERCPU_ASSIGN: Record<string, string> = { add: '+=', inc: '+=', sub: '-=', dec: '-=', or: '|=', and: '&=' };
/** Per-CPU pointers and variables: the pointer or variable itself. */
const PERCPU_PTR = new Set(['this_cpu_ptr', 'raw_cpu_ptr', 'per_cpu_ptr', 'per_cpu', 'get_cpu_var', 'get_cpu_ptr', '__this_cpu_ptr']);

/** A name the compiler gives meaning to itself (specialForm): never a tree function to look up. */
function isSpecialForm(name: string): boolean {
  return PERCPU_OP.test(name) || PERCPU_PTR.has(name) || IDENTITY_FORMS.has(name) || BUG_FORMS.has(name) || WARN_FORMS.has(name) || NOTHING_FORMS.has(name) || OTHER_FORMS.has(name);
}

export class Compiler {
  readonly functions = new Map<string, CompiledFunction>();
  readonly notes: CompileNote[] = [];
  /** Field names written anywhere (stores, address taken): reads of other fields are not shared steps. */
  readonly writtenFields = new Set<string>();
  /** Names of tree functions reached, with where they are, for notes and call sites. */
  readonly reached = new Map<string, { file: string; line: number }>();
  /** Globals the compiled code uses that the tree initializes with a constant (or a function): their values. */
  readonly globalInits = new Map<string, Value>();
  private fieldTargets = new Map<string, Promise<Array<{ fn: string; file: string; line: number }>>>();
  private pending: Array<Promise<void>> = [];
  /** Functions being compiled (their placeholder has no code yet), for a caller that needs one finished. */
  private compiling = new Map<string, Promise<void>>();
  private noted = new Set<string>();

  /**
   * lazy: a function's callees are not compiled with it; the machine asks for each when a step first calls it
   * (compileNeeded), so only the code the actors run is read, parsed and compiled, and the machine bounds the
   * call depth. maxCallDepth bounds it at compile time, where the whole closure is compiled (not lazy).
   */
  constructor(
    private src: ProgramSource,
    private kconfig: Kconfig,
    private maxDepth = 40,
    private maxTargets = 4,
    readonly maxCallDepth = Infinity,
    readonly lazy = false,
  ) {}

  /**
   * A function a step called (lazy mode), on behalf of code at `from`: compiled, or false with a note when the
   * tree does not define it (the call then returns an unknown value).
   */
  async compileNeeded(name: string, from: { fn: string; file: string; line: number }): Promise<boolean> {
    const inFlight = this.compiling.get(name);
    if (inFlight) {
      await inFlight;
      return true;
    }
    if (this.functions.has(name)) return true;
    // `name` is the id the code calls (a static of the caller's own file already has its id): `from` says only
    // whether drivers/ is searched.
    const def = await this.src.resolveFunction(name, from.file || undefined, true);
    if (!def) {
      const loc = { file: from.file, line: from.line };
      this.note(`unmodelled call: ${name}() from ${from.fn} at ${from.file}:${from.line} (not found in the tree; taken as having no effect and returning an unknown value)`, loc);
      return false;
    }
    return this.ensure(name, 0, def);
  }

  note(text: string, loc?: Loc) {
    const k = text + (loc ? `@${loc.file}:${loc.line}` : '');
    if (this.noted.has(k)) return;
    this.noted.add(k);
    this.notes.push({ text, loc });
  }

  /** Compile a tree function by name and everything it reaches. Returns false when the tree lacks it. */
  async compileRoot(name: string): Promise<boolean> {
    const ok = await this.ensure(name, 0);
    await this.drain();
    return ok;
  }

  /**
   * Compile scenario glue: a function of the given parameters around the statements. Its calls reach the
   * functions of `unit` (a .c file) as that file's own code does: a static walker is called from its file.
   */
  async compileGlue(name: string, params: string[], body: Stmt[], loc: Loc, unit?: string): Promise<CompiledFunction> {
    const def: FunctionDef = {
      name, file: loc.file, line: loc.line, endLine: loc.line, returnType: 'void',
      params: params.map((p) => ({ name: p, type: 'struct page *' })), body: { k: 'block', body, loc },
      isStatic: true, isInline: false,
    };
    const fn = await new FunctionCompiler(this, def, true, 0, unit ?? loc.file, name).compile();
    this.functions.set(name, fn);
    await this.drain();
    return fn;
  }

  private async drain() {
    while (this.pending.length) {
      const p = this.pending;
      this.pending = [];
      await Promise.all(p);
    }
  }

  /** The id a function is called by and shown as (ProgramSource.functionId). */
  idOf(def: FunctionDef): Promise<string> {
    return this.src.functionId ? this.src.functionId(def) : Promise.resolve(def.name);
  }

  /**
   * Make sure a tree function is compiled (asynchronously), under `name` (its id, or the name calls use);
   * false when the tree does not define it.
   */
  async ensure(name: string, depth: number, resolved?: FunctionDef): Promise<boolean> {
    if (this.functions.has(name)) return true;
    const def = resolved ?? await this.src.resolveFunction(name);
    if (!def) return false;
    if (this.functions.has(name)) return true;
    const id = await this.idOf(def);
    if (this.functions.has(name)) return true;
    // Reserve the name first so recursion terminates.
    const placeholder: CompiledFunction = {
      name: id, file: def.file, line: def.line, params: [], paramTypes: [], nlocals: 0, localNames: [], code: [], glue: false,
    };
    this.functions.set(name, placeholder);
    this.reached.set(name, { file: def.file, line: def.line });
    if (depth > this.maxDepth) {
      this.note(`unmodelled: ${name} at ${def.file}:${def.line} (call depth over ${this.maxDepth})`);
      placeholder.code = [{ op: 'unmodelled', a: `call depth over ${this.maxDepth} at ${name}`, loc: { file: def.file, line: def.line } }];
      return true;
    }
    const done = new FunctionCompiler(this, def, false, depth, def.file, id).compile().then((fn) => {
      Object.assign(placeholder, fn);
    });
    this.compiling.set(name, done);
    await done.finally(() => this.compiling.delete(name));
    return true;
  }

  /** A global the code uses: where the tree gives it a constant initializer, it starts with that value. */
  async noteGlobal(name: string) {
    if (this.globalInits.has(name)) return;
    const g = this.src.getGlobal?.(name);
    if (!g?.init) return;
    const init = g.init;
    if (init.k === 'id' && isModelName(init.name)) {
      this.globalInits.set(name, `fn:${init.name}`);
      return;
    }
    const fn = init.k === 'id' ? this.src.getFunction(init.name, g.file) : undefined;
    if (fn) {
      this.globalInits.set(name, `fn:${await this.idOf(fn)}`);
      return;
    }
    const v = constEval(init, (n) => (n === 'true' ? 1 : n === 'false' ? 0 : this.src.enumValue(n) ?? this.src.constantValue?.(n)));
    if (v !== undefined) this.globalInits.set(name, v);
  }

  /** The functions the tree stores in a pointer field, compiled, for calls through it. */
  targetsOf(field: string, depth: number): Promise<Array<{ fn: string; file: string; line: number }>> {
    let p = this.fieldTargets.get(field);
    if (!p) {
      p = (async () => {
        const out: Array<{ fn: string; file: string; line: number }> = [];
        // A field the whole tree stores functions into (->open, ->release) is no driver's own: past
        // maxTargets (sim.max_indirect_targets) the call is an unknown one, and a note says so.
        const inits = (await this.src.findInitializersUpTo?.(field, this.maxTargets * 4)) ?? [];
        if (!Array.isArray(inits)) {
          this.note(`unmodelled indirect call: ->${field}() is stored into in ${inits.tooMany} files (over sim.max_indirect_targets = ${this.maxTargets}): taken as an unknown call`);
          return out;
        }
        for (const init of inits) {
          if (!/^[A-Za-z_]\w*$/.test(init.value)) continue;
          // The function the store names, as the storing file sees the name (its own static first).
          const def = await this.src.resolveFunction(init.value, init.file);
          if (!def) continue;
          const id = await this.idOf(def);
          if (out.some((t) => t.fn === id)) continue;
          out.push({ fn: id, file: init.file, line: init.line });
        }
        if (out.length > this.maxTargets) {
          this.note(`unmodelled indirect call: ->${field}() has ${out.length} targets in the tree (over sim.max_indirect_targets = ${this.maxTargets}): taken as an unknown call`);
          return [];
        }
        return out;
      })();
      this.fieldTargets.set(field, p);
    }
    return p.then((targets) => {
      if (!this.lazy) for (const t of targets) this.defer(this.ensure(t.fn, depth + 1).then(() => undefined));
      return targets;
    });
  }

  defer(p: Promise<void>) {
    this.pending.push(p);
  }

  get source() {
    return this.src;
  }

  kconfigValue(name: string): number {
    const v = this.kconfig[name];
    if (v === undefined || v === false || v === 'n' || v === '') return 0;
    if (v === true || v === 'y' || v === 'm') return 1;
    const n = Number(v);
    return Number.isFinite(n) ? n : 1;
  }
}

interface LoopCtx {
  breaks: number[];
  continues: number[];
}

class FunctionCompiler {
  private code: Instr[] = [];
  private scopes: Array<Map<string, number>> = [new Map()];
  private localNames: string[] = [];
  private localTypes: string[] = [];
  private loops: LoopCtx[] = [];
  private labels = new Map<string, number>();
  private gotos: Array<{ at: number; label: string }> = [];
  private calls: string[] = [];
  private macroDepth = 0;

  /**
   * unit: the file whose statics the code's calls reach (the function's own; for glue, the walker's). id: the
   * name the compiled function goes by.
   */
  constructor(private c: Compiler, private def: FunctionDef, private glue: boolean, private depth = 0, private unit = def.file, private id = def.name) {}

  /** The id of the function `name` as this code calls it, or null when the tree has none. */
  private async calleeId(name: string): Promise<string | null> {
    const def = await this.c.source.resolveFunction(name, this.unit);
    return def ? this.c.idOf(def) : null;
  }

  async compile(): Promise<CompiledFunction> {
    // Look up every callee at once (one tree search for all of them), before compiling statement by statement.
    // Lazily (Compiler.lazy), callees are looked up when called; the functions stored in the fields called
    // through are looked up now, all at once.
    const callees = new Set<string>();
    const fields = new Set<string>();
    walkStmt(this.def.body, () => {}, (e) => {
      if (e.k === 'call' && e.callee.k === 'id' && !isModelName(e.callee.name)) callees.add(e.callee.name);
      if (e.k === 'call' && e.callee.k === 'member') fields.add(e.callee.field);
    });
    if (this.c.lazy) await Promise.all([...fields].map((f) => this.c.targetsOf(f, this.depth)));
    else await Promise.all([...callees].map((n) => (this.c.source.macro(n) || isSpecialForm(n) ? null : this.c.source.resolveFunction(n, this.unit))));
    const params = this.def.params.filter((p) => p.name && p.type !== 'void');
    for (const p of params) this.declare(p.name, p.type);
    await this.stmt(this.def.body);
    this.emit({ op: 'const', a: 0, loc: { file: this.def.file, line: this.def.endLine } });
    this.emit({ op: 'ret', loc: { file: this.def.file, line: this.def.endLine } });
    for (const g of this.gotos) {
      const t = this.labels.get(g.label);
      if (t === undefined) this.code[g.at] = { op: 'unmodelled', a: `goto ${g.label}: label not found`, loc: this.code[g.at].loc };
      else this.code[g.at].a = t;
    }
    if (!this.c.lazy) for (const name of this.calls) this.c.defer(this.c.ensure(name, this.depth + 1).then(() => undefined));
    return {
      name: this.id, file: this.def.file, line: this.def.line, params: params.map((p) => p.name),
      paramTypes: params.map((p) => p.type), nlocals: this.localNames.length, localNames: this.localNames,
      code: this.code, glue: this.glue,
    };
  }

  private emit(i: Instr): number {
    this.code.push(i);
    return this.code.length - 1;
  }

  private declare(name: string, type: string): number {
    const idx = this.localNames.length;
    this.localNames.push(name);
    this.localTypes.push(type);
    this.scopes[this.scopes.length - 1].set(name, idx);
    return idx;
  }

  private lookup(name: string): number | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i].get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  private unmodelled(why: string, loc: Loc) {
    this.c.note(`unmodelled: ${this.def.name} at ${loc.file}:${loc.line} (${why})`, loc);
    this.emit({ op: 'unmodelled', a: `${why} in ${this.def.name} at ${loc.file}:${loc.line}`, loc });
  }

  // ---- statements ----

  private async stmt(s: Stmt): Promise<void> {
    switch (s.k) {
      case 'block':
        this.scopes.push(new Map());
        for (const x of s.body) await this.stmt(x);
        this.scopes.pop();
        return;
      case 'decl': {
        const isStructValue = /\bstruct\b/.test(s.type) && !s.type.includes('*') && !s.type.includes('[');
        if (s.init) await this.expr(s.init);
        else if (isStructValue) this.emit({ op: 'builtin', a: '__kbot_newobj', b: 0, loc: s.loc });
        else this.emit({ op: 'const', a: 0, loc: s.loc });
        const idx = this.declare(s.name, s.type);
        this.emit({ op: 'lstore', a: idx, loc: s.loc });
        return;
      }
      case 'expr':
        await this.expr(s.e);
        this.emit({ op: 'pop', loc: s.loc });
        return;
      case 'if': {
        await this.expr(s.test);
        // A check that sends the code away (continue, return ...) carries its condition: what a walker that
        // stops there was stopped by.
        const jz = this.emit({ op: 'jz', a: -1, loc: s.loc, ...(leaves(s.then) ? { text: exprText(s.test) } : {}) });
        await this.stmt(s.then);
        if (s.else) {
          const jmp = this.emit({ op: 'jmp', a: -1, loc: s.loc });
          this.code[jz].a = this.code.length;
          await this.stmt(s.else);
          this.code[jmp].a = this.code.length;
        } else this.code[jz].a = this.code.length;
        return;
      }
      case 'while': {
        const top = this.code.length;
        await this.expr(s.test);
        const jz = this.emit({ op: 'jz', a: -1, loc: s.loc });
        const ctx = this.pushLoop();
        await this.stmt(s.body);
        this.emit({ op: 'jmp', a: top, loc: s.loc });
        const end = this.code.length;
        this.code[jz].a = end;
        this.popLoop(ctx, end, top);
        return;
      }
      case 'do': {
        const top = this.code.length;
        const ctx = this.pushLoop();
        await this.stmt(s.body);
        const cont = this.code.length;
        await this.expr(s.test);
        this.emit({ op: 'jnz', a: top, loc: s.loc });
        this.popLoop(ctx, this.code.length, cont);
        return;
      }
      case 'for': {
        this.scopes.push(new Map());
        if (s.init) await this.stmt(s.init);
        const top = this.code.length;
        let jz = -1;
        if (s.test) {
          await this.expr(s.test);
          jz = this.emit({ op: 'jz', a: -1, loc: s.loc });
        }
        const ctx = this.pushLoop();
        await this.stmt(s.body);
        const cont = this.code.length;
        if (s.update) {
          await this.expr(s.update);
          this.emit({ op: 'pop', loc: s.loc });
        }
        this.emit({ op: 'jmp', a: top, loc: s.loc });
        const end = this.code.length;
        if (jz >= 0) this.code[jz].a = end;
        this.popLoop(ctx, end, cont);
        this.scopes.pop();
        return;
      }
      case 'return':
        if (s.e) await this.expr(s.e);
        else this.emit({ op: 'const', a: 0, loc: s.loc });
        this.emit({ op: 'ret', loc: s.loc });
        return;
      case 'break': {
        const l = this.loops[this.loops.length - 1];
        if (!l) return this.unmodelled('break outside a loop', s.loc);
        l.breaks.push(this.emit({ op: 'jmp', a: -1, loc: s.loc }));
        return;
      }
      case 'continue': {
        const l = [...this.loops].reverse().find((x) => x.continues !== null);
        // switch contexts have no continue target; the enclosing loop's is used
        if (!l) return this.unmodelled('continue outside a loop', s.loc);
        l.continues.push(this.emit({ op: 'jmp', a: -1, loc: s.loc }));
        return;
      }
      case 'goto':
        this.gotos.push({ at: this.emit({ op: 'jmp', a: -1, loc: s.loc }), label: s.label });
        return;
      case 'label':
        this.labels.set(s.label, this.code.length);
        await this.stmt(s.body);
        return;
      case 'switch':
        return this.switchStmt(s);
      case 'empty':
        return;
      case 'unmodelled':
        // A statement the front end cannot read (a macro with an empty argument, an asm block): what the
        // function does from there on is unknown, so it returns an unknown value there, with a note.
        this.c.note(`unmodelled: ${this.def.name} at ${s.loc.file}:${s.loc.line} (${s.why || s.text}; ${this.def.name}() is taken as returning an unknown value from there)`, s.loc);
        this.emit({ op: 'builtin', a: '__kbot_opaque', b: 0, loc: s.loc, text: `${this.def.name}()` });
        this.emit({ op: 'ret', loc: s.loc });
        return;
    }
  }

  private pushLoop(): LoopCtx {
    const ctx = { breaks: [], continues: [] };
    this.loops.push(ctx);
    return ctx;
  }

  private popLoop(ctx: LoopCtx, end: number, cont: number) {
    this.loops.pop();
    for (const b of ctx.breaks) this.code[b].a = end;
    for (const c of ctx.continues) this.code[c].a = cont;
  }

  private async switchStmt(s: Extract<Stmt, { k: 'switch' }>) {
    await this.expr(s.test);
    const tmp = this.declare(`__switch${this.code.length}`, 'long');
    this.emit({ op: 'lstore', a: tmp, loc: s.loc });
    const jumps: number[][] = [];
    let dflt = -1;
    s.cases.forEach((c, ci) => {
      jumps[ci] = [];
      if (c.values.length === 0) dflt = ci;
    });
    for (let ci = 0; ci < s.cases.length; ci++) {
      for (const v of s.cases[ci].values) {
        this.emit({ op: 'lload', a: tmp, loc: s.loc });
        await this.expr(v);
        this.emit({ op: 'bin', a: '==', loc: s.loc });
        jumps[ci].push(this.emit({ op: 'jnz', a: -1, loc: s.loc }));
      }
    }
    const toDefault = this.emit({ op: 'jmp', a: -1, loc: s.loc });
    const ctx: LoopCtx = { breaks: [], continues: null as unknown as number[] };
    this.loops.push(ctx);
    const starts: number[] = [];
    for (let ci = 0; ci < s.cases.length; ci++) {
      starts[ci] = this.code.length;
      for (const x of s.cases[ci].body) await this.stmt(x);
    }
    this.loops.pop();
    const end = this.code.length;
    for (let ci = 0; ci < s.cases.length; ci++) for (const j of jumps[ci]) this.code[j].a = starts[ci];
    this.code[toDefault].a = dflt >= 0 ? starts[dflt] : end;
    for (const b of ctx.breaks) this.code[b].a = end;
  }

  // ---- expressions: each leaves exactly one value on the stack ----

  private async expr(e: Expr): Promise<void> {
    switch (e.k) {
      case 'num':
        this.emit({ op: 'const', a: e.v, loc: e.loc });
        return;
      case 'str':
        this.emit({ op: 'const', a: 0, loc: e.loc });
        return;
      case 'id':
        return this.ident(e.name, e.loc);
      case 'call':
        return this.call(e);
      case 'member':
        await this.expr(e.obj);
        if (EMBEDDED.has(e.field)) return; // embedded struct: the container's object
        this.emit({ op: 'fload', a: e.field, loc: e.loc });
        return;
      case 'index':
        await this.expr(e.obj);
        await this.expr(e.index);
        this.emit({ op: 'builtin', a: '__kbot_index_load', b: 2, loc: e.loc });
        return;
      case 'unary':
        return this.unary(e);
      case 'postfix':
        return this.incdec(e.arg, e.op === '++' ? 1 : -1, true, e.loc);
      case 'binary':
        if (e.op === '&&' || e.op === '||') {
          await this.expr(e.left);
          this.emit({ op: 'dup', loc: e.loc });
          const j = this.emit({ op: e.op === '&&' ? 'jz' : 'jnz', a: -1, loc: e.loc });
          this.emit({ op: 'pop', loc: e.loc });
          await this.expr(e.right);
          this.code[j].a = this.code.length;
          this.emit({ op: 'un', a: '!!', loc: e.loc });
          return;
        }
        await this.expr(e.left);
        await this.expr(e.right);
        this.emit({ op: 'bin', a: e.op, loc: e.loc });
        return;
      case 'assign':
        return this.assign(e);
      case 'cond': {
        await this.expr(e.test);
        const jz = this.emit({ op: 'jz', a: -1, loc: e.loc });
        await this.expr(e.then);
        const jmp = this.emit({ op: 'jmp', a: -1, loc: e.loc });
        this.code[jz].a = this.code.length;
        await this.expr(e.else);
        this.code[jmp].a = this.code.length;
        return;
      }
      case 'cast':
        await this.expr(e.arg);
        if (/^\s*(bool|_Bool)\s*$/.test(e.type)) this.emit({ op: 'un', a: '!!', loc: e.loc });
        return;
      case 'sizeof':
        this.emit({ op: 'const', a: 8, loc: e.loc });
        return;
      case 'comma':
        for (let i = 0; i < e.exprs.length; i++) {
          await this.expr(e.exprs[i]);
          if (i < e.exprs.length - 1) this.emit({ op: 'pop', loc: e.loc });
        }
        if (e.exprs.length === 0) this.emit({ op: 'const', a: 0, loc: e.loc });
        return;
      case 'stmtexpr': {
        // ({ a; b; expr; }) — the value is the last expression statement's.
        this.scopes.push(new Map());
        const body = e.body;
        for (let i = 0; i < body.length; i++) {
          const s = body[i];
          if (i === body.length - 1 && s.k === 'expr') await this.expr(s.e);
          else {
            await this.stmt(s);
            if (i === body.length - 1) this.emit({ op: 'const', a: 0, loc: e.loc });
          }
        }
        if (body.length === 0) this.emit({ op: 'const', a: 0, loc: e.loc });
        this.scopes.pop();
        return;
      }
      case 'init':
        this.emit({ op: 'builtin', a: '__kbot_newobj', b: 0, loc: e.loc });
        for (const f of e.fields) {
          if (!f.name) continue;
          this.emit({ op: 'dup', loc: e.loc });
          await this.expr(f.value);
          this.emit({ op: 'fstore', a: f.name, loc: e.loc });
          this.c.writtenFields.add(f.name);
        }
        return;
      case 'unmodelled':
        this.opaque(e.why || e.text, e.text, e.loc);
        return;
    }
  }

  /**
   * An expression the front end cannot read (a macro tower of inline asm or _Generic): an unknown value, as a
   * call the tree lacks is, with a note. Its side effects, if it had any, are not modelled; the note says so.
   */
  private opaque(why: string, text: string, loc: Loc) {
    this.c.note(`unmodelled: ${this.def.name} at ${loc.file}:${loc.line} (${why}; taken as an unknown value with no effect)`, loc);
    this.emit({ op: 'builtin', a: '__kbot_opaque', b: 0, loc, text: text.replace(/\s+/g, ' ').slice(0, 80) });
  }

  private async ident(name: string, loc: Loc) {
    const local = this.lookup(name);
    if (local !== undefined) {
      this.emit({ op: 'lload', a: local, loc });
      return;
    }
    const ev = this.c.source.enumValue(name);
    if (ev !== undefined) {
      this.emit({ op: 'const', a: ev, loc });
      return;
    }
    if (name === 'NULL' || name === 'false') return void this.emit({ op: 'const', a: 0, loc });
    if (name === 'true') return void this.emit({ op: 'const', a: 1, loc });
    const m = this.c.source.macro(name);
    if (m && m.params === null && this.macroDepth < 16) {
      const x = await this.c.source.expandObjectMacro(name, loc);
      if (x) {
        this.macroDepth++;
        await this.expr(x);
        this.macroDepth--;
        return;
      }
    }
    if (name in ZONE_FALLBACK) return void this.emit({ op: 'const', a: ZONE_FALLBACK[name], loc });
    if (/^CONFIG_/.test(name)) return void this.emit({ op: 'const', a: this.c.kconfigValue(name), loc });
    // A function used as a value: only one the tree has already shown us (a lookup per unknown identifier
    // would grep the tree for every EINVAL).
    const known = isModelName(name) ? null : this.c.source.getFunction(name, this.unit);
    if (isModelName(name) || known) {
      const id = known ? await this.c.idOf(known) : name;
      this.calls.push(id);
      this.emit({ op: 'const', a: `fn:${id}`, loc });
      return;
    }
    // An error code the tree's headers were not read for: its usual value, so -EBUSY is not an unknown.
    if (/^E[A-Z0-9]+$/.test(name) && !this.c.source.getGlobal?.(name)) return void this.emit({ op: 'const', a: errnoValue(name), loc });
    // A global variable: a field of the globals object.
    await this.c.noteGlobal(name);
    this.emit({ op: 'const', a: 'o0', loc });
    this.emit({ op: 'fload', a: name, loc });
  }

  private async unary(e: Extract<Expr, { k: 'unary' }>) {
    switch (e.op) {
      case '&':
        return this.addressOf(e.arg, e.loc);
      case '*':
        await this.expr(e.arg);
        this.emit({ op: 'deref', loc: e.loc });
        return;
      case '++':
      case '--':
        return this.incdec(e.arg, e.op === '++' ? 1 : -1, false, e.loc);
      default:
        await this.expr(e.arg);
        this.emit({ op: 'un', a: e.op, loc: e.loc });
    }
  }

  private async addressOf(arg: Expr, loc: Loc): Promise<void> {
    if (arg.k === 'id') {
      const local = this.lookup(arg.name);
      if (local !== undefined) {
        const t = this.localTypes[local];
        if (/\bstruct\b/.test(t) && !t.includes('*')) this.emit({ op: 'lload', a: local, loc });
        else this.emit({ op: 'laddr', a: local, loc });
        return;
      }
      // &global or &function
      const id = isModelName(arg.name) ? arg.name : await this.calleeId(arg.name);
      if (id) {
        this.calls.push(id);
        this.emit({ op: 'const', a: `fn:${id}`, loc });
        return;
      }
      this.c.writtenFields.add(arg.name);
      await this.c.noteGlobal(arg.name);
      this.emit({ op: 'const', a: 'o0', loc });
      this.emit({ op: 'faddr', a: arg.name, loc });
      return;
    }
    if (arg.k === 'member') {
      await this.expr(arg.obj);
      if (EMBEDDED.has(arg.field)) return;
      this.c.writtenFields.add(arg.field);
      this.emit({ op: 'faddr', a: arg.field, loc });
      return;
    }
    if (arg.k === 'unary' && arg.op === '*') return this.expr(arg.arg);
    if (arg.k === 'index') {
      await this.expr(arg.obj);
      await this.expr(arg.index);
      this.emit({ op: 'builtin', a: '__kbot_index_addr', b: 2, loc });
      return;
    }
    if (arg.k === 'cast') return this.addressOf(arg.arg, loc);
    this.unmodelled(`address of ${arg.k} expression`, loc);
    this.emit({ op: 'const', a: 0, loc });
  }

  /** Pushes the address of an lvalue (or a local slot marker) for stores. */
  private async lvalue(t: Expr, loc: Loc): Promise<{ kind: 'local'; idx: number } | { kind: 'ptr' } | null> {
    if (t.k === 'id') {
      const local = this.lookup(t.name);
      if (local !== undefined) return { kind: 'local', idx: local };
      this.c.writtenFields.add(t.name);
      await this.c.noteGlobal(t.name);
      this.emit({ op: 'const', a: 'o0', loc });
      this.emit({ op: 'faddr', a: t.name, loc });
      return { kind: 'ptr' };
    }
    if (t.k === 'member') {
      await this.expr(t.obj);
      this.c.writtenFields.add(t.field);
      this.emit({ op: 'faddr', a: t.field, loc });
      return { kind: 'ptr' };
    }
    if (t.k === 'unary' && t.op === '*') {
      await this.expr(t.arg);
      return { kind: 'ptr' };
    }
    if (t.k === 'index') {
      await this.expr(t.obj);
      await this.expr(t.index);
      this.emit({ op: 'builtin', a: '__kbot_index_addr', b: 2, loc });
      return { kind: 'ptr' };
    }
    if (t.k === 'cast') return this.lvalue(t.arg, loc);
    this.unmodelled(`assignment to ${t.k} expression`, loc);
    return null;
  }

  private async assign(e: Extract<Expr, { k: 'assign' }>) {
    const lv = await this.lvalue(e.target, e.loc);
    if (!lv) {
      this.emit({ op: 'const', a: 0, loc: e.loc });
      return;
    }
    const binop = e.op === '=' ? null : e.op.slice(0, -1);
    if (lv.kind === 'local') {
      if (binop) this.emit({ op: 'lload', a: lv.idx, loc: e.loc });
      await this.expr(e.value);
      if (binop) this.emit({ op: 'bin', a: binop, loc: e.loc });
      this.emit({ op: 'dup', loc: e.loc });
      this.emit({ op: 'lstore', a: lv.idx, loc: e.loc });
      return;
    }
    // ptr on stack
    if (binop) {
      this.emit({ op: 'dup', loc: e.loc });
      this.emit({ op: 'deref', loc: e.loc });
    }
    await this.expr(e.value);
    if (binop) this.emit({ op: 'bin', a: binop, loc: e.loc });
    // stack: ptr value → store, leave value
    this.emit({ op: 'istore', loc: e.loc });
  }

  private async incdec(t: Expr, delta: number, post: boolean, loc: Loc) {
    const lv = await this.lvalue(t, loc);
    if (!lv) {
      this.emit({ op: 'const', a: 0, loc });
      return;
    }
    if (lv.kind === 'local') {
      this.emit({ op: 'lload', a: lv.idx, loc });
      if (post) this.emit({ op: 'dup', loc });
      this.emit({ op: 'const', a: delta, loc });
      this.emit({ op: 'bin', a: '+', loc });
      if (!post) this.emit({ op: 'dup', loc });
      this.emit({ op: 'lstore', a: lv.idx, loc });
      return;
    }
    // ptr: a non-atomic read-modify-write: two shared steps
    this.emit({ op: 'dup', loc });
    this.emit({ op: 'deref', loc });
    this.emit({ op: 'const', a: delta, loc });
    this.emit({ op: 'bin', a: '+', loc });
    this.emit({ op: 'istore', loc });
    if (post) {
      this.emit({ op: 'const', a: -delta, loc });
      this.emit({ op: 'bin', a: '+', loc });
    }
  }

  private async call(e: Extract<Expr, { k: 'call' }>) {
    const loc = e.loc;
    // A bit operation on a page's flags word (folio_trylock()'s test_and_set_bit_lock(PG_locked, ...)) is the
    // page flag operation it is: the model keeps page flags by name.
    const flag = pageFlagBitop(e);
    if (flag) return this.expr(flag);
    if (e.callee.k === 'id') {
      const name = e.callee.name;
      // As in cpp, a function-like macro applies to `name(` even where a local has the same name
      // (compaction's block_start_pfn(pfn, order) beside its block_start_pfn variable).
      const fnMacro = (this.c.source.macro(name)?.params ?? null) !== null;
      if (this.lookup(name) === undefined || fnMacro) {
        if (await this.specialForm(name, e.args, loc)) return;
        if (!isModelName(name)) {
          const m = this.c.source.macro(name);
          if (m && m.params !== null && this.macroDepth < 16) {
            const x = await this.c.source.expandMacroCall(name, e.args, loc);
            if (x) {
              this.macroDepth++;
              await this.expr(x);
              this.macroDepth--;
              return;
            }
            this.opaque(`macro ${name} could not be expanded`, `${name}(...)`, loc);
            return;
          }
        }
        for (const a of e.args) await this.expr(a);
        const text = `${name}(${e.args.map(exprText).join(', ')})`;
        if (isModelName(name)) {
          this.emit({ op: 'builtin', a: name, b: e.args.length, loc, text });
          return;
        }
        if (this.c.lazy && !this.glue) {
          // Looked up and compiled when a step first calls it (the machine's World.lazy); a static of this
          // file is called by its id now (the file is read: its statics are known without a search).
          const own = (await this.c.source.localFunctionId?.(name, this.unit)) ?? name;
          this.emit({ op: 'call', a: own, b: e.args.length, loc, text });
          return;
        }
        const id = await this.calleeId(name);
        if (id) {
          // Past the call depth (sim.max_call_depth) a tree function is not followed: it returns an unknown
          // value, taken both ways where tested, and a note names it. A whole tree's call graph is not the model.
          if (!this.glue && this.depth >= this.c.maxCallDepth && !this.c.functions.has(id)) {
            this.c.note(`not followed: ${name}() from ${this.def.name} at ${loc.file}:${loc.line} (call depth ${this.c.maxCallDepth}, sim.max_call_depth; taken as returning an unknown value)`, loc);
            this.emit({ op: 'builtin', a: '__kbot_opaque', b: e.args.length, loc, text });
            return;
          }
          this.calls.push(id);
          this.emit({ op: 'call', a: id, b: e.args.length, loc, text });
          return;
        }
        this.c.note(`unmodelled call: ${name}() from ${this.def.name} at ${loc.file}:${loc.line} (not found in the tree; taken as having no effect and returning an unknown value)`, loc);
        this.emit({ op: 'builtin', a: '__kbot_opaque', b: e.args.length, loc, text });
        return;
      }
    }
    // call through a pointer; through a named field, with what the tree stores there
    await this.expr(e.callee);
    for (const a of e.args) await this.expr(a);
    const targets = e.callee.k === 'member' ? await this.c.targetsOf(e.callee.field, this.depth) : [];
    this.emit({
      op: 'callptr', b: e.args.length, loc, text: `${exprText(e.callee)}(${e.args.map(exprText).join(', ')})`,
      ...(targets.length ? { targets } : {}),
    });
  }

  /** Kernel macros the model gives meaning to directly, whatever the tree's definition says. */
  private async specialForm(name: string, args: Expr[], loc: Loc): Promise<boolean> {
    if (IDENTITY_FORMS.has(name) || name === '__builtin_expect') {
      if (args.length === 0) return false;
      await this.expr(args[0]);
      return true;
    }
    if (name === 'WRITE_ONCE' || name === '__WRITE_ONCE') {
      if (args.length !== 2) return false;
      await this.assign({ k: 'assign', op: '=', target: args[0], value: args[1], loc });
      return true;
    }
    if (name === 'smp_load_acquire') {
      await this.expr({ k: 'unary', op: '*', arg: args[0], loc });
      return true;
    }
    if (name === 'smp_store_release') {
      await this.assign({ k: 'assign', op: '=', target: { k: 'unary', op: '*', arg: args[0], loc }, value: args[1], loc });
      return true;
    }
    if (BUG_FORMS.has(name) || name === 'BUG') {
      // How many assumptions the path had made before the condition: one the condition itself needed means
      // the kernel's assertion decides it (see __kbot_bug).
      this.emit({ op: 'builtin', a: '__kbot_assumptions', b: 0, loc });
      if (name === 'BUG') this.emit({ op: 'const', a: 1, loc });
      else await this.expr(args[0]);
      const cond = name === 'BUG' ? 'BUG()' : `${name}(${exprText(args[0])})`;
      const jz = this.emit({ op: 'jz', a: -1, loc, assert: cond });
      this.emit({ op: 'builtin', a: '__kbot_bug', b: 1, loc, text: cond });
      this.code[jz].a = this.code.length;
      this.emit({ op: 'pop', loc });
      this.emit({ op: 'const', a: 0, loc });
      return true;
    }
    if (WARN_FORMS.has(name)) {
      if (args.length === 0) return false;
      await this.expr(args[0]);
      this.emit({ op: 'un', a: '!!', loc });
      return true;
    }
    if (NOTHING_FORMS.has(name)) {
      this.emit({ op: 'const', a: 0, loc });
      return true;
    }
    if (name === 'IS_ENABLED' || name === 'IS_BUILTIN' || name === 'IS_REACHABLE' || name === 'IS_MODULE') {
      const a = args[0];
      const opt = a && a.k === 'id' ? a.name : '';
      this.emit({ op: 'const', a: this.c.kconfigValue(opt) ? 1 : 0, loc });
      return true;
    }
    if (name === 'container_of' || name === 'container_of_const') {
      await this.expr(args[0]);
      this.emit({ op: 'builtin', a: '__kbot_container_of', b: 1, loc });
      return true;
    }
    if (name === 'wait_var_event' || name === 'wait_var_event_killable' || name === '___wait_var_event' || name === 'wait_event' || name === 'wait_event_killable') {
      // Sleep until the condition holds: a loop that re-reads it, one shared read per wake-up check.
      const cond = args[name.startsWith('___') ? 1 : 1];
      if (!cond) return false;
      const top = this.code.length;
      await this.expr(cond);
      this.emit({ op: 'jz', a: top, loc });
      this.emit({ op: 'const', a: 0, loc });
      return true;
    }
    // Per-CPU data, whose accessors are each architecture's inline asm: the variable itself (the model's
    // CPUs are its actors, and what one CPU's counters hold decides nothing about a page).
    const percpu = PERCPU_OP.exec(name);
    if (percpu && args.length >= 1) {
      const op = percpu[1];
      const one: Expr = { k: 'num', v: 1, loc };
      const x: Expr = op === 'read' || op === 'read_stable' ? args[0]
        : op === 'write' ? { k: 'assign', op: '=', target: args[0], value: args[1] ?? one, loc }
        : { k: 'assign', op: PERCPU_ASSIGN[op.replace(/_return$/, '')] ?? '+=', target: args[0], value: /^(inc|dec)/.test(op) ? one : args[1] ?? one, loc };
      await this.expr(x);
      return true;
    }
    if (PERCPU_PTR.has(name) && args.length >= 1) {
      await this.expr(args[0]);
      return true;
    }
    // The kernel's arithmetic helpers: their real definitions (minmax.h, align.h) are type-checking macro
    // towers; their meaning is plain.
    const arith = arithmeticForm(name, args, loc);
    if (arith) {
      await this.expr(arith);
      return true;
    }
    if (name === 'offsetof' || name === 'ARRAY_SIZE') {
      this.emit({ op: 'const', a: name === 'offsetof' ? 0 : 1, loc });
      return true;
    }
    return false;
  }
}

/** min/max/clamp/round_up/round_down/ALIGN/IS_ALIGNED/DIV_ROUND_UP written as plain C expressions. */
function arithmeticForm(name: string, args: Expr[], loc: Loc): Expr | null {
  const bin = (op: string, left: Expr, right: Expr): Expr => ({ k: 'binary', op, left, right, loc });
  const num = (v: number): Expr => ({ k: 'num', v, loc });
  const pick = (op: '<' | '>', a: Expr, b: Expr): Expr => ({ k: 'cond', test: bin(op, a, b), then: a, else: b, loc });
  const mask = (y: Expr): Expr => ({ k: 'unary', op: '~', arg: bin('-', y, num(1)), loc });
  const n = args.length;
  switch (name) {
    case 'min': return n === 2 ? pick('<', args[0], args[1]) : null;
    case 'max': return n === 2 ? pick('>', args[0], args[1]) : null;
    case 'min_t': return n === 3 ? pick('<', args[1], args[2]) : null;
    case 'max_t': return n === 3 ? pick('>', args[1], args[2]) : null;
    case 'clamp': return n === 3 ? pick('<', pick('>', args[0], args[1]), args[2]) : null;
    case 'round_down': return n === 2 ? bin('&', args[0], mask(args[1])) : null;
    case 'round_up':
    case 'ALIGN': return n === 2 ? bin('&', bin('+', args[0], bin('-', args[1], num(1))), mask(args[1])) : null;
    case 'IS_ALIGNED': return n === 2 ? bin('==', bin('&', args[0], bin('-', args[1], num(1))), num(0)) : null;
    case 'DIV_ROUND_UP': return n === 2 ? bin('/', bin('+', args[0], bin('-', args[1], num(1))), args[1]) : null;
  }
  return null;
}

/** Whether a statement leaves the code around it: continue, break, return, goto (last in a block). */
function leaves(s: Stmt): boolean {
  if (s.k === 'continue' || s.k === 'break' || s.k === 'return' || s.k === 'goto') return true;
  return s.k === 'block' && s.body.length > 0 && leaves(s.body[s.body.length - 1]);
}

/** The Linux error numbers (asm-generic/errno*.h); others get a distinct value of their own. */
const ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10, EAGAIN: 11,
  ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21,
  EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31,
  EPIPE: 32, EDOM: 33, ERANGE: 34, EDEADLK: 35, ENOSYS: 38, ENODATA: 61, EOVERFLOW: 75, EOPNOTSUPP: 95,
  ETIMEDOUT: 110, EHWPOISON: 133, ERESTARTSYS: 512, ENOTSUPP: 524,
};

function errnoValue(name: string): number {
  const v = ERRNO[name];
  if (v !== undefined) return v;
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 4000;
  return 1000 + h;
}

/** Short C text of an expression for traces, without the parentheses around a whole binary expression. */
function exprText(e: Expr): string {
  const t = cText(e);
  return (e.k === 'binary' || e.k === 'cond' || e.k === 'comma') && t.startsWith('(') && t.endsWith(')') ? t.slice(1, -1) : t;
}

export type { Value };

/** Bit operations by what they do to the bit: the page flag operation each is on a page's flags word. */
const BITOPS: Record<string, 'test' | 'set' | 'clear' | 'test_set' | 'test_clear'> = {
  test_bit: 'test', set_bit: 'set', __set_bit: 'set', clear_bit: 'clear', __clear_bit: 'clear',
  clear_bit_unlock: 'clear', __clear_bit_unlock: 'clear', test_and_set_bit: 'test_set',
  __test_and_set_bit: 'test_set', test_and_set_bit_lock: 'test_set', test_and_clear_bit: 'test_clear',
  __test_and_clear_bit: 'test_clear',
};

/**
 * `test_and_set_bit_lock(PG_locked, folio_flags(folio, 0))`, `set_bit(PG_dirty, &page->flags)`: the page flag
 * operation (`folio_test_set_locked(folio)`, `folio_set_dirty(page)`), as a call the model takes over; null
 * for any other call.
 */
function pageFlagBitop(e: Extract<Expr, { k: 'call' }>): Expr | null {
  if (e.callee.k !== 'id' || !(e.callee.name in BITOPS) || e.args.length !== 2) return null;
  const nr = e.args[0]!;
  const m = nr.k === 'id' ? /^PG_([a-z][a-z0-9_]*)$/.exec(nr.name) : null;
  if (!m) return null;
  let addr = e.args[1]!;
  while (addr.k === 'cast') addr = addr.arg;
  let page: Expr | null = null;
  if (addr.k === 'call' && addr.callee.k === 'id' && addr.callee.name === 'folio_flags' && addr.args[0]) page = addr.args[0];
  else if (addr.k === 'unary' && addr.op === '&' && addr.arg.k === 'member' && addr.arg.field === 'flags') page = addr.arg.obj;
  if (!page) return null;
  const op = BITOPS[e.callee.name]!;
  return { k: 'call', callee: { k: 'id', name: `folio_${op}_${m[1]}`, loc: e.callee.loc }, args: [page], loc: e.loc };
}
