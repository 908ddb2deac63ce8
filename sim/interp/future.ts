// What an actor may still touch (Machine.future): for a compiled function and a pc in it, every shared access
// the code from that pc on may make, its callees' included. The explorer takes a step alone (a persistent set)
// when it meets nothing of the other actors' futures, so a future must cover every step a later state's
// footprint (Machine.footprint) may name, and it does so field by field: "field f of some object", never
// which object (the analysis follows no pointer). Where it cannot say (a call through a pointer, code not
// compiled yet, a store through a pointer it cannot place), the future is unbounded.
//
// Pointers are placed by a small abstract interpretation of the stack machine, per function: a value is the
// address of a field (`&page->_refcount`), of one of the actor's own locals, a number, an object, or unknown.
// Locals keep the join of every value stored in them (the order of stores is not followed); a parameter is
// unknown. Only the pointers a dereference, an indirect store, an atomic op or a lock goes through need placing:
// the field of a field read or write is in the instruction.
import type { CompiledFunction, Instr, Value } from './bytecode.ts';
import { builtinTouch } from '../model/builtins.ts';

/** What code may touch. Immutable once made (suffixes share them). */
export interface CodeFuture {
  /** Anything, read and written. */
  readonly any: boolean;
  /** Any field of any object, read. */
  readonly anyRead: boolean;
  /** field → 1 read, 2 written (in some object). */
  readonly fields: ReadonlyMap<string, number>;
  /** The pages' life: 0 untouched, 1 read, 2 written. */
  readonly life: number;
  /** An atomic op that may change a count: the allocator's writes the life (Exec.allocEvent). */
  readonly atomicWrite: boolean;
}

const NOTHING: CodeFuture = { any: false, anyRead: false, fields: new Map(), life: 0, atomicWrite: false };
export const UNBOUNDED: CodeFuture = { any: true, anyRead: true, fields: new Map(), life: 2, atomicWrite: true };

/** The functions a call may enter, as the machine sees them now. */
export interface CodeSource {
  /** The function as compiled (while it is being compiled, a placeholder with no code), or undefined. */
  lookup(name: string): CompiledFunction | undefined;
  /**
   * For a name lookup() does not know: whether a call may yet compile it (what it would do is not known), as
   * against a name known to be missing from the tree (a call returns an unknown and touches nothing).
   */
  pending(name: string): boolean;
}

/** Abstract values: 'T' unknown, 'L' a local's address, 'N' a number, 'O' an object, 'F:<field>' a field's address. */
type Abs = string;

function join(a: Abs | undefined, b: Abs | undefined): Abs | undefined {
  if (a === undefined) return b;
  if (b === undefined || a === b) return a;
  return 'T';
}

function constAbs(v: Value | undefined): Abs {
  if (typeof v === 'number') return 'N';
  if (typeof v !== 'string') return 'T';
  if (v.startsWith('L')) return 'L';
  if (v.startsWith('fn:') || v.startsWith('u_')) return 'T';
  const i = v.indexOf('/');
  return i < 0 ? 'O' : `F:${v.slice(i + 1)}`;
}

/** Per instruction: the accesses it makes itself, and the function it calls. */
interface Own {
  acc: CodeFuture;
  call?: string;
}

/** A mutable future being built. */
class Builder {
  any = false;
  anyRead = false;
  fields = new Map<string, number>();
  life = 0;
  atomicWrite = false;
  field(f: string, w: boolean): void {
    const m = w ? 2 : 1;
    if ((this.fields.get(f) ?? 0) < m) this.fields.set(f, m);
  }
  /** An access through a pointer placed as `p`: none for a local or a number (a bad pointer touches nothing). */
  through(p: Abs | undefined, w: boolean): void {
    if (p === undefined || p === 'L' || p === 'N') return;
    if (p === 'O') this.field('__value', w);
    else if (p.startsWith('F:')) this.field(p.slice(2), w);
    else if (w) this.any = true;
    else this.anyRead = true;
  }
  add(f: CodeFuture): void {
    if (f.any) this.any = true;
    if (f.anyRead) this.anyRead = true;
    if (f.life > this.life) this.life = f.life;
    if (f.atomicWrite) this.atomicWrite = true;
    for (const [k, m] of f.fields) if ((this.fields.get(k) ?? 0) < m) this.fields.set(k, m);
  }
  done(): CodeFuture {
    if (this.any) return UNBOUNDED;
    if (!this.anyRead && this.fields.size === 0 && this.life === 0 && !this.atomicWrite) return NOTHING;
    return { any: false, anyRead: this.anyRead, fields: this.fields, life: this.life, atomicWrite: this.atomicWrite };
  }
}

/** Whether a covers b. */
function covers(a: CodeFuture, b: CodeFuture): boolean {
  if (a === b || a.any) return true;
  if (b.any || (b.anyRead && !a.anyRead) || b.life > a.life || (b.atomicWrite && !a.atomicWrite)) return false;
  for (const [k, m] of b.fields) if ((a.fields.get(k) ?? 0) < m) return false;
  return true;
}

/** What a or b may touch. */
export function union(a: CodeFuture, b: CodeFuture): CodeFuture {
  if (covers(a, b)) return a;
  if (covers(b, a)) return b;
  const x = new Builder();
  x.add(a);
  x.add(b);
  return x.done();
}

/** The pcs control may go to after pc. */
function successors(ins: Instr, pc: number): number[] {
  switch (ins.op) {
    case 'jmp':
      return [ins.a as number];
    case 'jz':
    case 'jnz':
      return [pc + 1, ins.a as number];
    case 'ret':
    case 'unmodelled':
      return [];
    default:
      return [pc + 1];
  }
}

/** Values popped and pushed by an instruction (callers of these ops pass their argument counts in b). */
function stackEffect(ins: Instr): [number, number] {
  const b = ins.b ?? 0;
  switch (ins.op) {
    case 'const': case 'lload': case 'laddr': case 'dup':
      return [0, 1];
    case 'lstore': case 'pop': case 'jz': case 'jnz':
      return [1, 0];
    case 'fload': case 'faddr': case 'deref': case 'un':
      return [1, 1];
    case 'fstore':
      return [2, 0];
    case 'istore': case 'bin':
      return [2, 1];
    case 'call': case 'builtin':
      return [b, 1];
    case 'callptr':
      return [b + 1, 1];
    default:
      return [0, 0];
  }
}

/**
 * Per pc, the accesses of the instruction itself, from the places of the pointers on the stack there; null
 * when the stack cannot be followed (heights that differ where paths meet): the function's future is unbounded.
 */
function ownAccesses(cf: CompiledFunction): Array<Own | undefined> | null {
  const code = cf.code;
  const n = code.length;
  const locals: Array<Abs | undefined> = new Array(cf.nlocals);
  for (let i = 0; i < cf.params.length; i++) locals[i] = 'T';
  // A local whose address is taken may be written through it (a callee's out parameter): unknown.
  for (const ins of code) if (ins.op === 'laddr') locals[ins.a as number] = 'T';
  let stacks: Array<Abs[] | undefined> = [];
  // Locals are joined over the whole function: run until they stop changing (a few rounds; each only grows).
  for (let round = 0; ; round++) {
    if (round > 8) return null;
    let localsChanged = false;
    stacks = new Array(n);
    stacks[0] = [];
    const work = [0];
    while (work.length) {
      const pc = work.pop()!;
      const ins = code[pc];
      if (ins === undefined) continue;
      const st = stacks[pc]!.slice();
      const [pops, pushes] = stackEffect(ins);
      if (ins.op === 'ret') {
        if (st.length > 1) return null;
      } else if (st.length < pops) return null;
      let out: Abs | undefined;
      switch (ins.op) {
        case 'const': out = constAbs(ins.a); break;
        // A local nothing stores to holds its initial 0 (the last round's locals take in every store).
        case 'lload': out = locals[ins.a as number] ?? 'N'; break;
        case 'laddr': out = 'L'; break;
        case 'dup': out = st[st.length - 1]; break;
        case 'faddr': out = `F:${ins.a as string}`; break;
        case 'lstore': {
          const v = st[st.length - 1];
          const j = join(locals[ins.a as number], v);
          if (j !== locals[ins.a as number]) {
            locals[ins.a as number] = j;
            localsChanged = true;
          }
          break;
        }
        case 'istore': out = st[st.length - 1]; break;
        case 'bin': out = st[st.length - 1] === 'N' && st[st.length - 2] === 'N' ? 'N' : 'T'; break;
        case 'un': out = st[st.length - 1] === 'N' ? 'N' : 'T'; break;
        default: out = 'T';
      }
      if (ins.op !== 'ret') st.length -= pops;
      else st.length = 0;
      if (pushes) st.push(out ?? 'T');
      for (const s of successors(ins, pc)) {
        if (s >= n) continue;
        const old = stacks[s];
        if (old === undefined) {
          stacks[s] = st;
          work.push(s);
          continue;
        }
        if (old.length !== st.length) return null;
        let changed = false;
        for (let k = 0; k < st.length; k++) {
          const j = join(old[k], st[k]);
          if (j !== old[k]) {
            old[k] = j!;
            changed = true;
          }
        }
        if (changed) work.push(s);
      }
    }
    if (!localsChanged) break;
  }
  const own: Array<Own | undefined> = new Array(n);
  for (let pc = 0; pc < n; pc++) {
    const st = stacks[pc];
    if (st === undefined) continue; // never reached
    const ins = code[pc];
    const x = new Builder();
    const top = (k: number): Abs | undefined => st[st.length - 1 - k];
    switch (ins.op) {
      case 'fload':
        x.field(ins.a as string, false);
        break;
      case 'fstore':
        x.field(ins.a as string, true);
        break;
      case 'deref':
        x.through(top(0), false);
        break;
      case 'istore':
        x.through(top(1), true);
        break;
      case 'callptr':
        x.any = true;
        break;
      case 'call':
        own[pc] = { acc: NOTHING, call: ins.a as string };
        continue;
      case 'builtin':
        builtinAccesses(ins, st, x);
        break;
      default:
        continue;
    }
    own[pc] = { acc: x.done() };
  }
  return own;
}

/** What a builtin the machine may take as a step touches (model/builtins.ts, as Machine.footprintOf reads it). */
function builtinAccesses(ins: Instr, st: readonly Abs[], x: Builder): void {
  const t = builtinTouch(ins.a as string);
  if (t === null) return;
  const argc = ins.b ?? 0;
  for (const a of t.through) x.through(st[st.length - argc + a.arg], a.write);
  if (t.fields) for (const f of t.fields.names) x.field(f, t.fields.write);
  if (t.life > x.life) x.life = t.life;
  if (t.lifeIfAllocator) x.atomicWrite = true;
}

const ownByCode = new WeakMap<readonly Instr[], Array<Own | undefined> | null>();

/**
 * The futures of one world's compiled code, per function and pc, made when first asked. Kept until the code
 * the machine knows changes (another function compiled: a call that was unbounded may now be known).
 */
export class Futures {
  /**
   * Per function: its code when analysed, the future at each pc, and the functions not compiled then that it
   * calls, itself or through its callees (taken as unbounded: sound, and made anew by refresh() once one of
   * them is compiled or known to be missing).
   */
  private readonly byFn = new Map<CompiledFunction, { code: Instr[]; at: CodeFuture[]; waits: Set<string> | null }>();
  private readonly inProgress = new Set<CompiledFunction>();
  /** While a function is analysed: the functions not compiled yet that its calls reach. */
  private waits: Set<string> | null = null;
  constructor(private readonly src: CodeSource) {}

  /** More code is compiled: the futures that waited on it are made anew when next asked; the others stay. */
  refresh(): void {
    for (const [cf, e] of this.byFn) {
      if (e.waits === null) continue;
      for (const name of e.waits) {
        if (this.src.lookup(name)?.code.length || !this.src.pending(name)) {
          this.byFn.delete(cf);
          break;
        }
      }
    }
  }
  private readonly unions = new WeakMap<CodeFuture, WeakMap<CodeFuture, CodeFuture>>();

  /** union(a, b), one object for each pair (an actor's frames make the same few pairs over and over). */
  union(a: CodeFuture, b: CodeFuture): CodeFuture {
    let m = this.unions.get(a);
    if (m === undefined) this.unions.set(a, (m = new WeakMap()));
    let u = m.get(b);
    if (u === undefined) m.set(b, (u = union(a, b)));
    return u;
  }

  /** What the code of cf from pc on may touch. */
  from(cf: CompiledFunction, pc: number): CodeFuture {
    return this.of(cf)[pc] ?? NOTHING;
  }

  private wait(name: string): void {
    (this.waits ??= new Set()).add(name);
  }

  private entry(name: string): CodeFuture {
    const cf = this.src.lookup(name);
    if (cf === undefined) {
      if (!this.src.pending(name)) return NOTHING;
      this.wait(name);
      return UNBOUNDED;
    }
    if (cf.code.length === 0) {
      // Being compiled (a placeholder).
      this.wait(name);
      return UNBOUNDED;
    }
    if (this.inProgress.has(cf)) return UNBOUNDED; // recursion
    const at = this.of(cf);
    const theirs = this.byFn.get(cf)?.waits;
    if (theirs) for (const w of theirs) this.wait(w);
    return at[0] ?? NOTHING;
  }

  private of(cf: CompiledFunction): CodeFuture[] {
    const had = this.byFn.get(cf);
    if (had !== undefined && had.code === cf.code) return had.at;
    const outer = this.waits;
    this.waits = null;
    this.inProgress.add(cf);
    try {
      const at = this.suffixes(cf);
      this.byFn.set(cf, { code: cf.code, at, waits: this.waits });
      return at;
    } finally {
      this.inProgress.delete(cf);
      this.waits = outer;
    }
  }

  /** Backwards over the code until nothing changes: what each pc may touch, itself, its callees and what follows. */
  private suffixes(cf: CompiledFunction): CodeFuture[] {
    const code = cf.code;
    const n = code.length;
    // What each instruction does itself depends on the function's code alone: kept while that code is.
    let own = ownByCode.get(code);
    if (own === undefined) ownByCode.set(code, (own = ownAccesses(cf)));
    if (own === null) return new Array<CodeFuture>(n).fill(UNBOUNDED);
    const mine: Array<CodeFuture | undefined> = new Array(n);
    for (let pc = 0; pc < n; pc++) {
      const o = own[pc];
      if (o === undefined) continue;
      mine[pc] = o.call !== undefined ? union(o.acc, this.entry(o.call)) : o.acc;
    }
    const at: CodeFuture[] = new Array<CodeFuture>(n).fill(NOTHING);
    for (let changed = true; changed; ) {
      changed = false;
      for (let pc = n - 1; pc >= 0; pc--) {
        let f = mine[pc] ?? NOTHING;
        for (const s of successors(code[pc], pc)) if (s < n) f = union(f, at[s]!);
        if (f !== at[pc] && !covers(at[pc]!, f)) {
          at[pc] = union(at[pc]!, f);
          changed = true;
        }
      }
    }
    return at;
  }
}
