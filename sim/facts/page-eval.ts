// Three-valued evaluation of a check on one page type's facts: does `PageLRU(page)`, `is_zone_device_page(page)`
// or `page->pgmap->type == MEMORY_DEVICE_PRIVATE` hold for a device-private page just as the tree initialises
// it? True, false, or unknown (it depends on something the facts do not fix: a flag of an ordinary page, the
// caller's flags, a helper the tree does not define). The tree's own helpers are followed (inlined); the page
// accessors the model computes itself (flags, zone, pfn, section) are answered from the facts, as the
// simulator's machine answers them. A check counts as a guard against a page type only where it is false.
import type { Expr, FunctionDef, Stmt } from '../frontend/ast.ts';
import type { CProgram } from '../frontend/program.ts';
import { ATOMICS, atomicOp, BUDDY_FREE, flagOp } from '../model/builtins.ts';
import { exprText } from '../frontend/macro-expand.ts';
import { calleeName, Flow, PFN_TO_PAGE, SAME_PAGE } from './flow.ts';
import { walkStmt } from '../frontend/program.ts';

/** What the facts say of one page as a check sees it. */
export interface PageFacts {
  zone: number;
  zoneDevice: number;
  /** The pgmap's type (enum value), for ZONE_DEVICE pages. */
  pgmapType?: number;
  /** Flags set on the page (lower case, as flagOp names them); null when they vary (ordinary pages). */
  flags: Set<string> | null;
  /** Whether pfn_to_online_page() finds it. */
  online: boolean;
}

const U = Symbol('unknown');
/** PAGE, its pfn, its pgmap, its flags word, and REF: the address of its reference count. */
type V = number | 'PAGE' | 'PFN' | 'PGMAP' | 'FLAGS' | 'REF' | typeof U;

/** What running tree code did to the page: its refcount and flags after, and the steps that changed them. */
export interface Effects {
  refcount: number | 'unknown';
  flags: Set<string>;
  steps: Array<{ what: string; at: string }>;
  /** Why the refcount is unknown, where it is. */
  why?: string;
  /** The page's free (or idle) event, the first one: the count then, what it was and where. */
  freed?: { refcount: number | 'unknown'; event: string; at: string };
}

/** Stops a run at the page's free event: what follows it is the page's next life. */
class Freed extends Error {}

export type Truth = true | false | 'unknown';

interface Env {
  /** The calls down to here, outermost first (for a step's text: "init_page_count > set_page_count"). */
  chain?: string[];
  vars: Map<string, V>;
  flow?: Flow;
  depth: number;
  /** Locals being evaluated from their assignment (cycles read unknown). */
  busy: Set<string>;
}

const MAX_DEPTH = 8;
const LOOP_MAX = 64;

export class PageEval {
  /** Set while running code for its effects on the page (run()); null while evaluating a check. */
  private fx: Effects | null = null;
  /** The run's own record, where a free event met inside a branch is kept. */
  private rootFx: Effects | null = null;
  /** Fields through which a pgmap hands a freed page back to its driver (the scenarios' callbackFields). */
  freeCallbackFields: string[] = ['page_free', 'folio_free'];
  private readonly memo = new Map<string, Promise<V>>();

  constructor(private readonly program: CProgram, private readonly facts: PageFacts, private readonly pfn = 0x1000) {}

  /**
   * Runs a tree function on the page for its effects, from `refcount`: `args` bind its parameters ('page',
   * 'pgmap', 'pfn', numbers, or undefined for unknown). Only calls handed the page (or its pgmap, or its
   * count's address) are followed; others have no effect on it.
   */
  async run(fn: FunctionDef, args: Array<'page' | 'pgmap' | 'pfn' | 'end' | number | undefined>, refcount: number | 'unknown'): Promise<Effects> {
    const fx: Effects = { refcount, flags: new Set(this.facts.flags ?? []), steps: [] };
    this.fx = fx;
    this.rootFx = fx;
    try {
      const vars = new Map<string, V>();
      fn.params.forEach((p, i) => {
        const a = args[i];
        vars.set(p.name, a === 'page' ? 'PAGE' : a === 'pgmap' ? 'PGMAP' : a === 'pfn' ? this.pfn : a === 'end' ? this.pfn + 1 : a === undefined ? U : a);
      });
      await this.body([fn.body], { vars, flow: new Flow(fn), depth: 0, busy: new Set(), chain: [fn.name] });
    } catch (e) {
      if (!(e instanceof Freed)) throw e;
    } finally {
      this.fx = null;
      this.rootFx = null;
    }
    return fx;
  }

  /** Whether `e` holds, with `vars` bound (the names that hold the page or its pfn) in `flow`'s function. */
  async truth(e: Expr, vars: Map<string, 'page' | 'pfn'>, flow?: Flow): Promise<Truth> {
    const env: Env = { vars: new Map([...vars].map(([k, v]) => [k, v === 'page' ? 'PAGE' : 'PFN'])), flow, depth: 0, busy: new Set() };
    const v = await this.eval(e, env);
    return v === U ? 'unknown' : truthOf(v) === 1;
  }

  private async eval(e: Expr, env: Env): Promise<V> {
    switch (e.k) {
      case 'num': return e.v;
      case 'cast': return this.eval(e.arg, env);
      case 'id': {
        if (env.vars.has(e.name)) return env.vars.get(e.name)!;
        const c = this.program.constantValue(e.name);
        if (c !== undefined) return c;
        if (/^(true|false)$/.test(e.name)) return e.name === 'true' ? 1 : 0;
        if (e.name === 'NULL') return 0;
        const as = env.flow?.assignments(e.name) ?? [];
        if (as.length === 1 && !env.busy.has(e.name) && !env.flow?.params.has(e.name)) {
          env.busy.add(e.name);
          const v = await this.eval(as[0], env);
          env.busy.delete(e.name);
          return v;
        }
        const m = this.program.macro(e.name);
        if (m && m.params === null && env.depth < MAX_DEPTH) {
          const x = await this.program.expandObjectMacro(e.name, e.loc);
          if (x && x.k !== 'unmodelled') return this.eval(x, { ...env, depth: env.depth + 1 });
        }
        return U;
      }
      case 'unary': {
        if (e.op === '&' && e.arg.k === 'member' && (e.arg.field === '_refcount' || e.arg.field === '_count')) {
          return (await this.eval(e.arg.obj, env)) === 'PAGE' ? 'REF' : U;
        }
        if (e.op === '&') return this.eval(e.arg, env);
        const v = await this.eval(e.arg, env);
        if (e.op === '!') return v === U ? U : truthOf(v) ? 0 : 1;
        if (typeof v !== 'number') return U;
        if (e.op === '-') return -v;
        if (e.op === '~') return ~v;
        if (e.op === '+') return v;
        return U;
      }
      case 'binary': return this.binary(e, env);
      case 'cond': {
        const t = await this.eval(e.test, env);
        if (t === U) {
          const [a, b] = await Promise.all([this.eval(e.then, env), this.eval(e.else, env)]);
          return a === b ? a : U;
        }
        return this.eval(truthOf(t) ? e.then : e.else, env);
      }
      case 'member': {
        const o = await this.eval(e.obj, env);
        if (o === 'PAGE' && (e.field === '_refcount' || e.field === '_count')) return this.fx ? (this.fx.refcount === 'unknown' ? U : this.fx.refcount) : U;
        if (o === 'PAGE' && e.field === 'pgmap') return this.facts.pgmapType === undefined ? 0 : 'PGMAP';
        if (o === 'PAGE' && e.field === 'flags') return 'FLAGS';
        if (o === 'PAGE' && e.field === 'page') return 'PAGE';
        if (o === 'PGMAP' && e.field === 'type') return this.facts.pgmapType ?? U;
        return U;
      }
      case 'call': return this.call(e, env);
      case 'stmtexpr': return env.depth < MAX_DEPTH ? this.body(e.body, { ...env, depth: env.depth + 1, vars: new Map(env.vars) }) : U;
      default: return U;
    }
  }

  private async binary(e: Extract<Expr, { k: 'binary' }>, env: Env): Promise<V> {
    if (e.op === '&&' || e.op === '||') {
      const l = await this.eval(e.left, env);
      const and = e.op === '&&';
      if (l !== U && truthOf(l) === (and ? 0 : 1)) return and ? 0 : 1;
      const r = await this.eval(e.right, env);
      if (r !== U && truthOf(r) === (and ? 0 : 1)) return and ? 0 : 1;
      if (l === U || r === U) return U;
      return and ? 1 : 0;
    }
    const [l, r] = await Promise.all([this.eval(e.left, env), this.eval(e.right, env)]);
    if (l === U || r === U) return U;
    if (e.op === '==' || e.op === '!=') {
      // A pointer the facts name is not NULL; two different kinds of thing are different.
      const eq = typeof l === 'number' && typeof r === 'number' ? l === r : l === r ? true : (l === 0 || r === 0) ? false : null;
      if (eq === null) return U;
      return (e.op === '==') === eq ? 1 : 0;
    }
    if (typeof l !== 'number' || typeof r !== 'number') return U;
    switch (e.op) {
      case '<': return l < r ? 1 : 0;
      case '<=': return l <= r ? 1 : 0;
      case '>': return l > r ? 1 : 0;
      case '>=': return l >= r ? 1 : 0;
      case '&': return l & r;
      case '|': return l | r;
      case '^': return l ^ r;
      case '+': return l + r;
      case '-': return l - r;
      case '*': return l * r;
      case '<<': return l << r;
      case '>>': return l >> r;
      default: return U;
    }
  }

  private freeEvent(what: string, e: Expr): never {
    const fx = this.fx!;
    const root = this.rootFx ?? fx;
    root.freed = { refcount: fx.refcount, event: what, at: `${e.loc.file}:${e.loc.line}` };
    root.steps = [...fx.steps, { what: `${what} (refcount ${fx.refcount})`, at: `${e.loc.file}:${e.loc.line}` }];
    root.refcount = fx.refcount;
    throw new Freed();
  }

  private async call(e: Extract<Expr, { k: 'call' }>, env: Env): Promise<V> {
    const name = calleeName(e);
    // The page handed back to its driver through its pgmap's callback: its free event.
    if (!name && this.fx && e.callee.k === 'member' && this.freeCallbackFields.includes(e.callee.field)) {
      const args = await Promise.all(e.args.map((a) => this.eval(a, env)));
      if (args.includes('PAGE')) this.freeEvent(`${[...(env.chain ?? []).slice(1)].join(' > ')}${env.chain && env.chain.length > 1 ? ' > ' : ''}->${e.callee.field}(page)`, e);
    }
    if (!name) return U;
    if (this.fx && (BUDDY_FREE.has(name) || name === 'wake_up_var')) {
      const args = await Promise.all(e.args.map((a) => this.eval(a, env)));
      if (args.includes('PAGE') || args.includes('REF')) this.freeEvent(`${[...(env.chain ?? []).slice(1), name].join(' > ')}(${name === 'wake_up_var' ? '&page->_refcount' : 'page'})`, e);
    }
    const arg0 = e.args[0] ? await this.eval(e.args[0], env) : U;
    const fo = flagOp(name);
    if (fo) {
      if (arg0 !== 'PAGE') return U;
      if (this.fx) {
        const had = this.fx.flags.has(fo.flag) ? 1 : 0;
        if (fo.op !== 'test') {
          if (fo.op === 'set' || fo.op === 'testset') this.fx.flags.add(fo.flag);
          else this.fx.flags.delete(fo.flag);
          this.fx.steps.push({ what: `${[...(env.chain ?? []).slice(1), name].join(' > ')}(page)`, at: `${e.loc.file}:${e.loc.line}` });
        }
        return had;
      }
      if (fo.op === 'set' || fo.op === 'clear') return U;
      if (!this.facts.flags) return U;
      return this.facts.flags.has(fo.flag) ? 1 : 0;
    }
    const aop = atomicOp(name);
    if (aop && this.fx && aop in ATOMICS) {
      const spec = ATOMICS[aop];
      const vals = await Promise.all(e.args.map((a) => this.eval(a, env)));
      if (vals[spec.ptr] === 'REF') {
        const old = this.fx.refcount;
        // The arguments at their own positions, the pointer's slot included (as the machine gives them).
        const nums = vals.map((v, i) => (i === spec.ptr ? 0 : typeof v === 'number' ? v : NaN));
        if (old === 'unknown' || nums.some((n) => Number.isNaN(n))) {
          if (spec.apply(0, nums.map((n) => (Number.isNaN(n) ? 0 : n))).writes) {
            this.fx.refcount = 'unknown';
            this.fx.why = `${exprText(e)} at ${e.loc.file}:${e.loc.line} on an unknown value`;
          }
          return U;
        }
        const r = spec.apply(old, nums);
        if (r.writes) {
          this.fx.refcount = r.next;
          this.fx.steps.push({ what: `${[...(env.chain ?? []).slice(1), name].join(' > ')}(&page->_refcount) = ${r.next}`, at: `${e.loc.file}:${e.loc.line}` });
        }
        return r.ret;
      }
    }
    if (this.fx && (name === 'memset' || name === '__builtin_memset') && arg0 === 'PAGE') {
      this.fx.refcount = 0;
      this.fx.flags.clear();
      this.fx.steps.push({ what: `${[...(env.chain ?? []).slice(1), name].join(' > ')}(page, 0) clears the struct page`, at: `${e.loc.file}:${e.loc.line}` });
      return U;
    }
    if (PFN_TO_PAGE.has(name)) {
      if (arg0 === this.pfn) return name === 'pfn_to_online_page' && !this.facts.online ? 0 : 'PAGE';
      if (arg0 !== 'PFN') return U;
      return name === 'pfn_to_online_page' && !this.facts.online ? 0 : 'PAGE';
    }
    if (SAME_PAGE.has(name)) return arg0 === 'PAGE' ? 'PAGE' : U;
    switch (name) {
      case 'page_to_pfn': case 'folio_pfn': return arg0 === 'PAGE' ? (this.fx ? this.pfn : 'PFN') : U;
      case 'pfn_valid': case 'pfn_present': return arg0 === 'PFN' ? 1 : U;
      case 'page_zonenum': case 'folio_zonenum': return arg0 === 'PAGE' ? this.facts.zone : U;
      case 'memdesc_zonenum': return arg0 === 'FLAGS' ? this.facts.zone : U;
      case 'memdesc_is_zone_device': return arg0 === 'FLAGS' ? (this.facts.zone === this.facts.zoneDevice ? 1 : 0) : U;
      case 'page_pgmap': case 'folio_pgmap': return arg0 === 'PAGE' ? (this.facts.pgmapType === undefined ? 0 : 'PGMAP') : U;
      case 'likely': case 'unlikely': return arg0;
      case 'static_branch_unlikely': case 'static_branch_likely': case 'static_key_enabled': case 'static_key_false': case 'static_key_true':
        // As in the simulator: the keys in front of ZONE_DEVICE paths are on once such pages exist.
        return 1;
      default: break;
    }
    if (env.depth >= MAX_DEPTH) return U;
    const m = this.program.macro(name);
    if (m && m.params !== null) {
      const x = await this.program.expandMacroCall(name, e.args, e.loc);
      if (x && x.k !== 'unmodelled') return this.eval(x, { ...env, depth: env.depth + 1 });
      return U;
    }
    const args = await Promise.all(e.args.map((a) => this.eval(a, env)));
    // Only what is handed the page (its pfn, pgmap, flags or count) can say or change anything about it.
    if (!args.some((a) => a === 'PAGE' || a === 'REF' || a === 'PGMAP' || a === 'PFN' || a === 'FLAGS' || a === this.pfn)) return U;
    // The helper the calling code's file reaches: its own static of that name first (CProgram.resolveFunction).
    const def = await this.program.resolveFunction(name, env.flow?.fn.file);
    const go = async (): Promise<V> => {
      if (!def) return U;
      const vars = new Map<string, V>();
      def.params.forEach((p, i) => vars.set(p.name, args[i] ?? U));
      return this.body([def.body], { vars, flow: new Flow(def), depth: env.depth + 1, busy: new Set(), chain: [...(env.chain ?? []), name] });
    };
    if (this.fx) return go();
    // A check's helper answers the same for the same arguments: once per page type.
    const key = `${def ? `${def.file}:` : ''}${name}(${args.map((a) => (a === U ? '?' : String(a))).join(',')})`;
    let p = this.memo.get(key);
    if (!p) this.memo.set(key, (p = go()));
    return p;
  }

  /** An expression statement: assignments to locals update them; anything else is evaluated for its effects. */
  private async exprStmt(e: Expr, env: Env): Promise<V> {
    if (e.k === 'assign' && e.target.k === 'id') {
      const v = e.op === '=' ? await this.eval(e.value, env) : await this.eval({ k: 'binary', op: e.op.slice(0, -1), left: e.target, right: e.value, loc: e.loc }, env);
      env.vars.set(e.target.name, v);
      return v;
    }
    if ((e.k === 'postfix' || e.k === 'unary') && (e.op === '++' || e.op === '--') && e.arg.k === 'id') {
      const v = env.vars.get(e.arg.name);
      env.vars.set(e.arg.name, typeof v === 'number' ? v + (e.op === '++' ? 1 : -1) : U);
      return v ?? U;
    }
    if (e.k === 'assign') return this.eval(e.value, env);
    if (e.k === 'comma') {
      let v: V = U;
      for (const x of e.exprs) v = await this.exprStmt(x, env);
      return v;
    }
    return this.eval(e, env);
  }

  /** A helper's body: the value it returns, where every path that returns says the same. */
  private async body(stmts: Stmt[], env: Env): Promise<V> {
    const r = await this.stmts(stmts, env);
    return r.kind === 'return' ? r.v : r.kind === 'value' ? r.v : U;
  }

  private async stmts(stmts: Stmt[], env: Env): Promise<{ kind: 'return' | 'value' | 'fall' | 'unknown' | 'break' | 'continue'; v: V }> {
    let last: V = U;
    for (const s of stmts) {
      switch (s.k) {
        case 'block': {
          const r = await this.stmts(s.body, env);
          if (r.kind !== 'fall' && r.kind !== 'value') return r;
          break;
        }
        case 'decl':
          env.vars.set(s.name, s.init ? await this.eval(s.init, env) : U);
          break;
        case 'expr':
          last = await this.exprStmt(s.e, env);
          break;
        case 'for': case 'while': {
          // A loop runs while its test is known (a pfn range over the page), at most LOOP_MAX times.
          if (s.k === 'for' && s.init) await this.stmts([s.init], env);
          let n = 0;
          for (; n < LOOP_MAX; n++) {
            const t = s.test ? await this.eval(s.test, env) : 1;
            if (t === U) {
              // A loop over a pfn range whose bounds are not known (a pgmap's range), whose body makes its pfn a
              // page: one of its turns is the page's own, so the body runs once with the page's pfn.
              const v = n === 0 && this.fx ? pfnLoopVar(s) : null;
              if (v) {
                env.vars.set(v, this.pfn);
                this.fx!.steps.push({ what: `the loop over a pfn range (${exprText(s.test!)}), for the page's pfn`, at: `${s.loc.file}:${s.loc.line}` });
                const r = await this.stmts([s.body], env);
                if (r.kind === 'return' || r.kind === 'unknown') return r;
                break;
              }
              // What the loop would have done is not known: the page's count is not either.
              if (this.fx) {
                this.fx.refcount = 'unknown';
                this.fx.why = `a loop whose test is unknown (${exprText(s.test!)}) at ${s.loc.file}:${s.loc.line}`;
              }
              break;
            }
            if (!truthOf(t)) break;
            const r = await this.stmts([s.body], env);
            if (r.kind === 'return' || r.kind === 'unknown') return r;
            if (r.kind === 'break') break;
            if (s.k === 'for' && s.update) await this.exprStmt(s.update, env);
          }
          break;
        }
        case 'break': case 'continue':
          // Running for effects: the rest of the loop's turn is not run (the loop decides what comes next).
          if (this.fx) return { kind: s.k, v: U };
          return { kind: 'unknown', v: U };
        case 'goto': case 'label':
          if (this.fx) break;
          return { kind: 'unknown', v: U };
        case 'return':
          return { kind: 'return', v: s.e ? await this.eval(s.e, env) : U };
        case 'if': {
          const t = await this.eval(s.test, env);
          if (t === U && this.fx) {
            // Running for effects: both sides; where they leave the page differently, the count is unknown.
            const fx0 = this.fx;
            const snap = (): Effects => ({ refcount: fx0.refcount, flags: new Set(fx0.flags), steps: [...fx0.steps], why: fx0.why });
            const a = snap();
            const b = snap();
            this.fx = a;
            await this.stmts([s.then], { ...env, vars: new Map(env.vars) });
            this.fx = b;
            if (s.else) await this.stmts([s.else], { ...env, vars: new Map(env.vars) });
            this.fx = fx0;
            if (a.refcount !== b.refcount) {
              fx0.refcount = 'unknown';
              fx0.why = `it depends on ${exprText(s.test)} at ${s.loc.file}:${s.loc.line}`;
            } else fx0.refcount = a.refcount;
            fx0.flags = new Set([...a.flags].filter((f) => b.flags.has(f)));
            fx0.steps = a.steps.length >= b.steps.length ? a.steps : b.steps;
            break;
          }
          if (t === U) {
            // Both sides: the same answer either way, or unknown.
            const a = await this.stmts([s.then], { ...env, vars: new Map(env.vars) });
            const b = s.else ? await this.stmts([s.else], { ...env, vars: new Map(env.vars) }) : { kind: 'fall' as const, v: U as V };
            if (a.kind === 'return' && b.kind === 'return' && a.v === b.v) return a;
            if (a.kind === 'fall' && b.kind === 'fall') break;
            if (a.kind === 'return' && b.kind === 'fall') {
              const rest = await this.stmts(stmts.slice(stmts.indexOf(s) + 1), { ...env, vars: new Map(env.vars) });
              return rest.kind === 'return' && rest.v === a.v ? a : { kind: 'unknown', v: U };
            }
            return { kind: 'unknown', v: U };
          }
          const r = await this.stmts([truthOf(t) ? s.then : s.else ?? { k: 'empty', loc: s.loc }], env);
          if (r.kind !== 'fall' && r.kind !== 'value') return r;
          break;
        }
        case 'empty':
          break;
        default:
          return { kind: 'unknown', v: U };
      }
    }
    return { kind: last === U ? 'fall' : 'value', v: last };
  }
}

/**
 * The variable a for/while loop steps through, where its body hands it to pfn_to_page() and friends (a walk over
 * a pfn range): null for any other loop.
 */
function pfnLoopVar(s: Extract<Stmt, { k: 'for' | 'while' }>): string | null {
  const test = s.test;
  if (!test || test.k !== 'binary' || !['<', '<=', '!='].includes(test.op) || test.left.k !== 'id') return null;
  const v = test.left.name;
  let converts = false;
  walkStmt(s.body, () => {}, (e) => {
    if (e.k === 'call' && PFN_TO_PAGE.has(calleeName(e) ?? '') && e.args[0]?.k === 'id' && e.args[0].name === v) converts = true;
  });
  return converts ? v : null;
}

function truthOf(v: V): 0 | 1 {
  if (typeof v === 'number') return v !== 0 ? 1 : 0;
  return 1; // a page, pfn or pgmap the facts name
}
