// Intra-procedural data flow on the front end's AST: where a value comes from (a pfn, a page table entry, the
// page cache, the caller's argument ...) and which conditions hold on every path to a statement. Pure: the
// function's AST in, plain data out. The vocabulary of sources is the kernel's own API for turning a pfn, a
// page table entry or an xarray slot into a page; the tree's own functions are followed, never guessed at.
import type { Expr, FunctionDef, Loc, Stmt } from '../frontend/ast.ts';
import { exprText } from '../frontend/macro-expand.ts';
import { walkStmt } from '../frontend/program.ts';

/** Where a page (or the pfn it was made from) comes from, as far as one function tells. */
export type Origin =
  /** From a pfn the function computes or reads: the walker can meet any page that has a struct page. */
  | { k: 'pfn'; how: string; loc: Loc; producer: string }
  /** From a page table entry (present or swap entry). */
  | { k: 'mapping'; how: string; loc: Loc; producer: string }
  /** From an xarray / radix tree slot: the page cache, the swap cache. */
  | { k: 'cache'; how: string; loc: Loc; producer: string }
  /** The caller's argument: page (or pfn, when `pfn` is set) parameter `index`. */
  | { k: 'param'; index: number; name: string; pfn: boolean; producer?: string; loc?: Loc }
  /** A struct field, a list entry, an array, a call that cannot be seen through. */
  | { k: 'other'; how: string; loc: Loc };

/** pfn → page. pfn_to_online_page() finds only pages of online sections: that is a check of its own. */
export const PFN_TO_PAGE = new Set(['pfn_to_page', 'pfn_to_online_page', 'pfn_folio', 'pfn_to_folio', 'phys_to_page']);
/** page → the same page (order-0 model), or its folio. */
export const SAME_PAGE = new Set(['compound_head', '_compound_head', 'page_folio', 'folio_page', 'folio_head', 'page_head']);
/** A page table entry → its page or pfn. */
const FROM_PAGE_TABLE = new Set([
  'vm_normal_page', 'vm_normal_folio', 'vm_normal_page_pmd', 'vm_normal_folio_pmd', 'pte_page', 'pmd_page', 'pud_page',
  'pgd_page', 'p4d_page', 'follow_page', 'follow_trans_huge_pmd', 'migration_entry_to_page', 'pfn_swap_entry_to_page',
  'pfn_swap_entry_folio', 'device_private_entry_to_page', 'softleaf_to_page', 'softleaf_to_folio', 'pte_pfn', 'pmd_pfn',
  'pud_pfn', 'swp_offset_pfn', 'pfn_swap_entry_to_pfn', 'huge_pte_page',
]);
/** An xarray or radix tree slot. */
const FROM_XARRAY = /^(xa|xas|radix_tree|__xa|__radix_tree)_/;
/** page → pfn */
const PAGE_TO_PFN = new Set(['page_to_pfn', 'folio_pfn', '__page_to_pfn']);

function strip(e: Expr): Expr {
  while (e.k === 'cast') e = e.arg;
  return e;
}

/** The call's name when it calls a name directly. */
export function calleeName(e: Expr): string | null {
  return e.k === 'call' && e.callee.k === 'id' ? e.callee.name : null;
}

/** What a function's locals are assigned, by name (declaration initialisers and assignments, in order). */
export class Flow {
  readonly params: Map<string, number>;
  private readonly assigns = new Map<string, Expr[]>();

  constructor(readonly fn: FunctionDef) {
    this.params = new Map(fn.params.map((p, i) => [p.name, i]));
    walkStmt(fn.body, (s) => {
      if (s.k === 'decl' && s.init) this.add(s.name, s.init);
    }, (e) => {
      if (e.k === 'assign') {
        const t = strip(e.target);
        if (t.k === 'id') this.add(t.name, e.op === '=' ? e.value : { k: 'binary', op: e.op.slice(0, -1), left: t, right: e.value, loc: e.loc });
      }
    });
  }

  private add(name: string, e: Expr): void {
    const l = this.assigns.get(name);
    if (l) l.push(e);
    else this.assigns.set(name, [e]);
  }

  assignments(name: string): Expr[] {
    return this.assigns.get(name) ?? [];
  }

  /** Where the page `e` comes from. Several origins where the variable is assigned on several paths. */
  pageOrigins(e: Expr, seen = new Set<string>()): Origin[] {
    e = strip(e);
    switch (e.k) {
      case 'id': {
        const pi = this.params.get(e.name);
        if (pi !== undefined && !this.assigns.has(e.name)) return [{ k: 'param', index: pi, name: e.name, pfn: false }];
        if (seen.has(e.name)) return [];
        seen.add(e.name);
        const as = this.assignments(e.name);
        // Each assignment is a path of its own: what one path visited does not hide the other's origin
        // (page = pfn_to_online_page(pfn); ... page = pfn_to_page(pfn);).
        const out = as.flatMap((a) => this.pageOrigins(a, new Set(seen)));
        if (pi !== undefined) out.push({ k: 'param', index: pi, name: e.name, pfn: false });
        if (!as.length && pi === undefined) return [{ k: 'other', how: `${e.name} (not a local)`, loc: e.loc }];
        return dedupe(out);
      }
      case 'unary':
        if (e.op === '&' && strip(e.arg).k === 'member') return this.pageOrigins((strip(e.arg) as Extract<Expr, { k: 'member' }>).obj, seen);
        if (e.op === '&' && strip(e.arg).k === 'index') return this.indexOrigins(strip(e.arg) as Extract<Expr, { k: 'index' }>, seen);
        return [{ k: 'other', how: exprText(e), loc: e.loc }];
      case 'call': {
        const name = calleeName(e);
        if (!name) return [{ k: 'other', how: `${exprText(e.callee)}() (indirect)`, loc: e.loc }];
        if (PFN_TO_PAGE.has(name) && e.args[0]) return this.pfnOrigins(e.args[0], seen).map((o) => withProducer(o, name, e.loc));
        if (SAME_PAGE.has(name) && e.args[0]) return this.pageOrigins(e.args[0], seen);
        if (FROM_PAGE_TABLE.has(name)) return [{ k: 'mapping', how: `${name}()`, loc: e.loc, producer: name }];
        if (FROM_XARRAY.test(name)) return [{ k: 'cache', how: `${name}()`, loc: e.loc, producer: name }];
        return [{ k: 'other', how: `${name}()`, loc: e.loc }];
      }
      case 'cond':
        return dedupe([...this.pageOrigins(e.then, new Set(seen)), ...this.pageOrigins(e.else, new Set(seen))]);
      case 'comma':
        return this.pageOrigins(e.exprs[e.exprs.length - 1], seen);
      case 'index':
        return this.indexOrigins(e, seen);
      case 'member':
        return [{ k: 'other', how: `the field ${exprText(e)}`, loc: e.loc }];
      case 'num':
        return [];
      default:
        return [{ k: 'other', how: exprText(e), loc: e.loc }];
    }
  }

  /** `&memmap[i]`, `pages[i]`: a page of an array the function was handed or built. */
  private indexOrigins(e: Extract<Expr, { k: 'index' }>, _seen: Set<string>): Origin[] {
    return [{ k: 'other', how: `an array element ${exprText(e)}`, loc: e.loc }];
  }

  /** Where a pfn comes from: a page table entry, another page, the caller, or anything else (any pfn). */
  pfnOrigins(e: Expr, seen = new Set<string>()): Origin[] {
    e = strip(e);
    switch (e.k) {
      case 'id': {
        const pi = this.params.get(e.name);
        if (seen.has(e.name)) return [];
        seen.add(e.name);
        const out: Origin[] = [];
        if (pi !== undefined) out.push({ k: 'param', index: pi, name: e.name, pfn: true });
        for (const a of this.assignments(e.name)) out.push(...this.pfnOrigins(a, new Set(seen)));
        if (!out.length) return [{ k: 'pfn', how: e.name, loc: e.loc, producer: '' }];
        return dedupe(out);
      }
      case 'call': {
        const name = calleeName(e);
        if (name && FROM_PAGE_TABLE.has(name)) return [{ k: 'mapping', how: `${name}()`, loc: e.loc, producer: name }];
        if (name && PAGE_TO_PFN.has(name) && e.args[0]) return this.pageOrigins(e.args[0], seen);
        if (name && FROM_XARRAY.test(name)) return [{ k: 'cache', how: `${name}()`, loc: e.loc, producer: name }];
        return [{ k: 'pfn', how: `${exprText(e)}`, loc: e.loc, producer: '' }];
      }
      case 'binary':
        if (['+', '-', '|', '&', '^'].includes(e.op)) {
          const l = this.pfnOrigins(e.left, new Set(seen)).filter((o) => !(o.k === 'pfn' && o.how === ''));
          const r = this.pfnOrigins(e.right, new Set(seen));
          // pfn + i: the pfn is the left side; a constant or an index on the right does not change its kind.
          const kinds = [...l, ...r].filter((o) => o.k !== 'pfn');
          return kinds.length ? dedupe(kinds) : [{ k: 'pfn', how: exprText(e), loc: e.loc, producer: '' }];
        }
        return [{ k: 'pfn', how: exprText(e), loc: e.loc, producer: '' }];
      case 'postfix':
      case 'unary':
        return e.op === '++' || e.op === '--' ? [] : [{ k: 'pfn', how: exprText(e), loc: e.loc, producer: '' }];
      case 'num':
        return [];
      default:
        return [{ k: 'pfn', how: exprText(e), loc: e.loc, producer: '' }];
    }
  }

  /** Variables that hold the page, its folio or its pfn on the way to `e`: the names a guard may test. */
  chainVars(e: Expr, out = new Map<string, 'page' | 'pfn'>(), as: 'page' | 'pfn' = 'page'): Map<string, 'page' | 'pfn'> {
    e = strip(e);
    if (e.k === 'id') {
      if (out.has(e.name)) return out;
      out.set(e.name, as);
      for (const a of this.assignments(e.name)) this.chainVars(a, out, as);
      return out;
    }
    if (e.k === 'unary' && e.op === '&' && strip(e.arg).k === 'member') return this.chainVars((strip(e.arg) as Extract<Expr, { k: 'member' }>).obj, out, as);
    if (e.k === 'call') {
      const name = calleeName(e);
      if (name && e.args[0]) {
        if (PFN_TO_PAGE.has(name)) return this.chainVars(e.args[0], out, 'pfn');
        if (SAME_PAGE.has(name)) return this.chainVars(e.args[0], out, as);
        if (PAGE_TO_PFN.has(name)) return this.chainVars(e.args[0], out, 'page');
      }
    }
    if (e.k === 'binary' && as === 'pfn') return this.chainVars(e.left, out, as);
    if (e.k === 'cond') { this.chainVars(e.then, out, as); this.chainVars(e.else, out, as); }
    return out;
  }
}

function withProducer(o: Origin, producer: string, loc: Loc): Origin {
  if (o.k === 'pfn') return { ...o, producer, loc };
  if (o.k === 'param') return { ...o, producer, loc };
  return o;
}

function dedupe(os: Origin[]): Origin[] {
  const seen = new Set<string>();
  return os.filter((o) => {
    const k = JSON.stringify(o);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A condition that holds on every path from the function's entry to a point. */
export interface PathCond {
  /** The condition as it must hold there ("PageLRU(page)", "!PageReserved(page)"). */
  e: Expr;
  loc: Loc;
}

const not = (e: Expr): Expr => (e.k === 'unary' && e.op === '!' ? e.arg : { k: 'unary', op: '!', arg: e, loc: e.loc });

function exits(s: Stmt): boolean {
  if (s.k === 'return' || s.k === 'goto' || s.k === 'continue' || s.k === 'break') return true;
  if (s.k === 'block') return s.body.length > 0 && exits(s.body[s.body.length - 1]);
  if (s.k === 'if') return !!s.else && exits(s.then) && exits(s.else);
  if (s.k === 'expr') {
    const n = calleeName(s.e);
    return !!n && /^(BUG|panic|__kbot_bug)$/.test(n);
  }
  return false;
}

function containsExpr(s: Stmt | Expr, target: Expr, stmt = isStmtNode(s)): boolean {
  let found = false;
  const visit = (e: Expr) => { if (e === target) found = true; };
  walkStmt(stmt ? (s as Stmt) : { k: 'expr', e: s as Expr, loc: s.loc }, () => {}, visit);
  return found;
}

const STMT_KINDS = new Set(['block', 'decl', 'expr', 'if', 'while', 'do', 'for', 'return', 'break', 'continue', 'goto', 'label', 'switch', 'empty']);
/** Stmt and Expr share only the kind 'unmodelled', which holds no target either way. */
const isStmtNode = (x: Stmt | Expr): boolean => STMT_KINDS.has(x.k);

/**
 * The conditions that hold on every path from the function's entry to the expression `target`: the tests of
 * the ifs and loops it sits in, the early exits before it (`if (!PageLRU(page)) goto fail;` gives
 * `PageLRU(page)`), and the left operands of the && / || it is the right operand of.
 */
export function conditionsBefore(fn: FunctionDef, target: Expr): PathCond[] {
  const out: PathCond[] = [];
  const inStmts = (body: Stmt[]): boolean => {
    const pending: PathCond[] = [];
    for (const s of body) {
      if (containsExpr(s, target)) {
        out.push(...pending);
        inStmt(s);
        return true;
      }
      // if (C) exit;  → !C holds after it.  if (C) ... else exit; → C holds.
      if (s.k === 'if') {
        if (exits(s.then)) pending.push({ e: not(s.test), loc: s.loc });
        else if (s.else && exits(s.else)) pending.push({ e: s.test, loc: s.loc });
      }
    }
    return false;
  };
  const inStmt = (s: Stmt): void => {
    switch (s.k) {
      case 'block': inStmts(s.body); return;
      case 'if':
        if (containsExpr(s.test, target)) { inExpr(s.test); return; }
        if (containsExpr(s.then, target)) { out.push({ e: s.test, loc: s.loc }); inStmt(s.then); return; }
        if (s.else) { out.push({ e: not(s.test), loc: s.loc }); inStmt(s.else); }
        return;
      case 'while':
        if (containsExpr(s.test, target)) { inExpr(s.test); return; }
        out.push({ e: s.test, loc: s.loc }); inStmt(s.body); return;
      case 'for':
        if (s.init && containsExpr(s.init, target)) { inStmt(s.init); return; }
        if (s.test && containsExpr(s.test, target)) { inExpr(s.test); return; }
        if (s.test) out.push({ e: s.test, loc: s.loc });
        if (containsExpr(s.body, target)) inStmt(s.body);
        return;
      case 'do':
        if (containsExpr(s.body, target)) inStmt(s.body);
        return;
      case 'label': inStmt(s.body); return;
      case 'switch':
        if (containsExpr(s.test, target)) { inExpr(s.test); return; }
        for (const c of s.cases) {
          if (c.body.some((b) => containsExpr(b, target))) {
            if (c.values.length === 1) out.push({ e: { k: 'binary', op: '==', left: s.test, right: c.values[0], loc: s.loc }, loc: s.loc });
            inStmts(c.body);
            return;
          }
        }
        return;
      case 'expr': inExpr(s.e); return;
      case 'decl': if (s.init) inExpr(s.init); return;
      case 'return': if (s.e) inExpr(s.e); return;
      default: return;
    }
  };
  const inExpr = (e: Expr): void => {
    if (e === target) return;
    switch (e.k) {
      case 'binary':
        if (e.op === '&&' && containsExpr(e.right, target)) { conj(e.left, true); inExpr(e.right); return; }
        if (e.op === '||' && containsExpr(e.right, target)) { conj(e.left, false); inExpr(e.right); return; }
        if (containsExpr(e.left, target)) inExpr(e.left); else inExpr(e.right);
        return;
      case 'cond':
        if (containsExpr(e.then, target)) { out.push({ e: e.test, loc: e.loc }); inExpr(e.then); return; }
        if (containsExpr(e.else, target)) { out.push({ e: not(e.test), loc: e.loc }); inExpr(e.else); return; }
        inExpr(e.test); return;
      case 'unary': case 'postfix': case 'cast': inExpr(e.arg); return;
      case 'assign': if (containsExpr(e.value, target)) inExpr(e.value); else inExpr(e.target); return;
      case 'call': for (const a of [e.callee, ...e.args]) if (containsExpr(a, target)) { inExpr(a); return; } return;
      case 'comma': for (const x of e.exprs) if (containsExpr(x, target)) { inExpr(x); return; } return;
      case 'member': case 'index': inExpr(e.obj); return;
      case 'stmtexpr': inStmts(e.body); return;
      default: return;
    }
  };
  // a && b && get(): both a and b hold; a || b || get(): neither holds.
  const conj = (e: Expr, truth: boolean): void => {
    if (e.k === 'binary' && e.op === (truth ? '&&' : '||')) { conj(e.left, truth); conj(e.right, truth); return; }
    out.push({ e: truth ? e : not(e), loc: e.loc });
  };
  inStmt(fn.body);
  return out;
}

/** Every call of one of `names` in the function's body, in source order. */
export function callsIn(fn: FunctionDef, names: ReadonlySet<string>): Array<Extract<Expr, { k: 'call' }>> {
  const out: Array<Extract<Expr, { k: 'call' }>> = [];
  walkStmt(fn.body, () => {}, (e) => {
    if (e.k === 'call') {
      const n = calleeName(e);
      if (n && names.has(n)) out.push(e);
    }
  });
  return out.sort((a, b) => a.loc.line - b.loc.line);
}

/** Whether the name is used in the body other than as a direct call (stored in an ops table, passed along). */
export function usedAsValue(fn: FunctionDef, name: string): Loc | null {
  let at: Loc | null = null;
  const calls = new Set<Expr>();
  walkStmt(fn.body, () => {}, (e) => {
    if (e.k === 'call' && e.callee.k === 'id') calls.add(e.callee);
    if (e.k === 'id' && e.name === name && !calls.has(e) && !at) at = e.loc;
  });
  return at;
}

/**
 * How a function's integer parameters are used with the pfn it walks: `pfn` (turned into a page), `end` (an
 * upper bound a pfn is compared against) or `count` (added to a pfn to make such a bound). Read from the
 * function's data flow; a walker entered at the page's pfn is then given [pfn, pfn + 1).
 */
export function pfnParamRoles(fn: FunctionDef): Map<number, 'pfn' | 'end' | 'count'> {
  const flow = new Flow(fn);
  const roles = new Map<number, 'pfn' | 'end' | 'count'>();
  const pfnVars = new Set<string>();
  walkStmt(fn.body, () => {}, (e) => {
    const n = calleeName(e);
    if (e.k === 'call' && n && PFN_TO_PAGE.has(n) && e.args[0]) {
      for (const o of flow.pfnOrigins(e.args[0])) if (o.k === 'param' && o.pfn) roles.set(o.index, 'pfn');
      for (const [v, kind] of flow.chainVars(e.args[0], new Map(), 'pfn')) if (kind === 'pfn') pfnVars.add(v);
    }
  });
  // Variables assigned from a pfn parameter are pfns too (low_pfn = start_pfn).
  for (const [name, i] of flow.params) if (roles.get(i) === 'pfn') pfnVars.add(name);
  const paramOf = (e: Expr, seen = new Set<string>()): number[] => {
    e = strip(e);
    if (e.k === 'id') {
      if (seen.has(e.name)) return [];
      seen.add(e.name);
      const pi = flow.params.get(e.name);
      const out = pi !== undefined ? [pi] : [];
      for (const a of flow.assignments(e.name)) out.push(...paramOf(a, seen));
      return out;
    }
    if (e.k === 'binary' && (e.op === '+' || e.op === '-')) return [...paramOf(e.left, seen), ...paramOf(e.right, seen)];
    if (e.k === 'call') return e.args.flatMap((a) => paramOf(a, seen));
    return [];
  };
  const isPfn = (e: Expr): boolean => { e = strip(e); return e.k === 'id' && pfnVars.has(e.name); };
  walkStmt(fn.body, () => {}, (e) => {
    if (e.k !== 'binary' || !['<', '<=', '!=', '>', '>='].includes(e.op)) return;
    const bound = isPfn(e.left) ? e.right : isPfn(e.right) ? e.left : null;
    if (!bound) return;
    // The bound: an end parameter, or a pfn parameter plus a count (end_pfn = start_pfn + nr_pages).
    const b = strip(bound);
    if (b.k === 'id') {
      const direct = flow.params.get(b.name);
      if (direct !== undefined && !flow.assignments(b.name).length && roles.get(direct) !== 'pfn') { roles.set(direct, 'end'); return; }
    }
    for (const pi of paramOf(bound)) if (!roles.has(pi)) roles.set(pi, 'count');
  });
  return roles;
}

/**
 * What each parameter of `fn` is to a walk over one page: the page (or folio), its pgmap, its pfn, an upper
 * bound or a count of its pfn range (pfnParamRoles), another pointer, or something else.
 */
export function paramRoles(fn: FunctionDef): Array<'page' | 'pgmap' | 'pfn' | 'end' | 'count' | 'pointer' | 'other'> {
  const roles = pfnParamRoles(fn);
  return fn.params.map((p, i) => {
    if (/struct\s+(page|folio)\s*\*/.test(p.type)) return 'page';
    if (/struct\s+dev_pagemap\s*\*/.test(p.type)) return 'pgmap';
    const r = roles.get(i);
    if (r) return r;
    return p.type.includes('*') ? 'pointer' : 'other';
  });
}
