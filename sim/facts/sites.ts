// Speculative reference sites: every place in the tree that takes a reference on a page it does not hold,
// with where its page comes from and the checks on every path before the get. Found from the tree: one
// fixed-string search for the speculative-get API (and the wrappers the tree defines around it, found by
// following their definitions), the enclosing functions parsed, the page followed back through the function's
// data flow and, where it is the caller's argument, up through the callers.
import type { Expr, FunctionDef, Loc } from '../frontend/ast.ts';
import { isFileScoped, type CProgram } from '../frontend/program.ts';
import { exprText } from '../frontend/macro-expand.ts';
import { calleeName, callsIn, conditionsBefore, Flow, paramRoles, usedAsValue, type Origin, type PathCond } from './flow.ts';

/** The speculative-get API of every era: each takes a reference only if the count is not zero (or frozen). */
export const SPECULATIVE_GETS = [
  'get_page_unless_zero', 'folio_try_get', 'folio_try_get_rcu', 'page_cache_get_speculative', 'page_cache_add_speculative',
  'folio_ref_try_add_rcu', 'folio_ref_try_add', 'try_grab_folio', 'try_grab_folio_fast', 'try_get_folio', 'page_ref_add_unless',
  'folio_ref_add_unless',
];
/** Open-coded: an atomic that increments unless zero, on a page's reference count. */
const OPEN_CODED = ['atomic_inc_not_zero', 'atomic_add_unless', 'atomic_fetch_add_unless'];
const REFCOUNT_ARG = /->\s*_(ref)?count\b/;

export type SiteClass = 'pfn-walker' | 'mapping-walker' | 'cache-lookup' | 'other' | 'unresolved';

export interface FactsOptions {
  /** How many callers up a page passed as an argument is followed (sim.facts.max_climb). */
  maxClimb: number;
  /** Path prefixes not searched (not kernel code: Documentation/, tools/ ...). */
  exclude: string[];
}

export const DEFAULT_FACTS_OPTIONS: FactsOptions = { maxClimb: 6, exclude: ['Documentation/', 'tools/', 'scripts/', 'samples/'] };

export interface Where {
  func: string;
  file: string;
  line: number;
}

/** A check on the path to the get, kept with what a page type needs to evaluate it. */
export interface GuardAt extends Where {
  text: string;
  /** The check itself, and the names holding the page or its pfn in its function. */
  e: Expr;
  vars: Map<string, 'page' | 'pfn'>;
  flow: Flow;
}

/** One way the page reaches a site: from its source, through callers, to the get. */
export interface Chain {
  class: SiteClass;
  /** The source, as C: "pfn_to_online_page(pfn)", "vm_normal_page()", "the field vmf->page". */
  source: string;
  sourceAt: Where;
  /** pfn_to_page, pfn_to_online_page ...: how a pfn became the page (a check of its own for the online one). */
  producer?: string;
  /** Outermost first: the function the walk starts in, then each call down to the get. */
  path: Where[];
  /** The function a simulation enters, with its arguments as glue C over `page` and `pfn`. */
  entry: Where & { args: string[] };
  guards: GuardAt[];
  /** Why the climb stopped short, for class unresolved. */
  why?: string;
}

export interface Site extends Where {
  /** The speculative-get call ("get_page_unless_zero"). */
  call: string;
  chains: Chain[];
}

export interface SiteDiscovery {
  /** The API names, and the wrappers the tree defines around them (name → definition). */
  api: Map<string, Where>;
  sites: Site[];
  /** Uses of the API in code the kconfig leaves out (#if blocks), or outside any function (macros). */
  outside: Array<{ file: string; line: number; text: string }>;
  notes: string[];
  /** Tree searches made and files parsed, for the output. */
  searches: number;
  files: Set<string>;
}

export interface FactsSource {
  readFile(path: string): Promise<string | null>;
  grepWords(words: string[], paths?: string[]): Promise<Array<{ path: string; line: number; text: string }>>;
}

const isC = (f: string) => /\.[ch]$/.test(f);
const isApiHeader = (f: string) => f.startsWith('include/') && f.endsWith('.h');

export class SiteFinder {
  private searches = 0;
  private readonly files = new Set<string>();
  private readonly notes: string[] = [];

  constructor(private readonly src: FactsSource, private readonly program: CProgram, private readonly opts: FactsOptions) {}

  private async search(words: string[]): Promise<Array<{ path: string; line: number; text: string }>> {
    if (!words.length) return [];
    this.searches++;
    const hits = await this.src.grepWords(words);
    return hits.filter((h) => isC(h.path) && !this.opts.exclude.some((p) => h.path.startsWith(p)));
  }

  private async functionsIn(file: string): Promise<FunctionDef[]> {
    this.files.add(file);
    return this.program.functionsIn(file);
  }

  /** The functions the facts name, by the provisional name id() gave them. */
  private readonly named = new Map<string, FunctionDef>();

  /**
   * The name facts give a function is its id (CProgram.functionId: file:name for a static whose name another
   * file defines too). While the tree is searched it is `file:name` for every function; discover() renames
   * them all at the end, when the ids are worked out together (the search does not wait for them).
   */
  private id(fn: FunctionDef): string {
    const k = `${fn.file}:${fn.name}`;
    this.named.set(k, fn);
    return k;
  }

  /** Gives every Where its function's id in place of the provisional name. */
  private async rename(sites: Site[], api: Map<string, Where>): Promise<void> {
    const ids = new Map(await Promise.all([...this.named].map(async ([k, fn]) => [k, await this.program.functionId(fn)] as const)));
    const fix = (w: { func: string }) => { w.func = ids.get(w.func) ?? w.func; };
    for (const w of api.values()) fix(w);
    for (const site of sites) {
      fix(site);
      for (const c of site.chains) {
        // The source names a function in words where the page comes through a pointer to it.
        for (const [k, id] of ids) if (c.source.includes(k)) c.source = c.source.split(k).join(id);
        fix(c.sourceAt);
        fix(c.entry);
        c.path.forEach(fix);
        c.guards.forEach(fix);
      }
    }
  }

  /** The function whose body holds `line` of `file`. */
  private async enclosing(file: string, line: number): Promise<FunctionDef | null> {
    return (await this.functionsIn(file)).find((f) => f.line <= line && line <= f.endLine) ?? null;
  }

  async discover(): Promise<SiteDiscovery> {
    const api = new Map<string, Where>();
    for (const n of SPECULATIVE_GETS) api.set(n, { func: n, file: '', line: 0 });
    // Find the API's uses, and the wrappers around it, until no new wrapper turns up.
    let words = [...new Set([...SPECULATIVE_GETS, ...OPEN_CODED])];
    const outside: SiteDiscovery['outside'] = [];
    const callSites: Array<{ fn: FunctionDef; call: Extract<Expr, { k: 'call' }>; name: string }> = [];
    const seenCall = new Set<string>();
    for (let round = 0; words.length && round < 8; round++) {
      // A line counts when it calls a word (not a comment naming it); an open-coded atomic, when it is on a
      // page's reference count.
      const hits = (await this.search(words)).filter((h) => words.some((w) => new RegExp(`\\b${w}\\s*\\(`).test(h.text) &&
        (!OPEN_CODED.includes(w) || REFCOUNT_ARG.test(h.text))));
      const fresh: string[] = [];
      const byFile = groupBy(hits, (h) => h.path);
      for (const [file, fh] of byFile) {
        // A .c file the build leaves out under this kconfig (its Makefile line's option unset) is not in that
        // kernel: its uses are listed with the other code the kconfig leaves out.
        if (file.endsWith('.c') && (await this.program.kbuild.built(file)) === false) {
          for (const h of fh) outside.push({ file, line: h.line, text: h.text.trim() });
          continue;
        }
        const fns = new Set<FunctionDef>();
        for (const h of fh) {
          const fn = await this.enclosing(file, h.line);
          if (fn) fns.add(fn);
          // A call outside any function this kconfig compiles: in an #if block it leaves out, or in a macro.
          else if (!isApiHeader(file) && /\w\s*\(/.test(h.text) && !/^\s*(extern\b|static\b).*\);\s*$/.test(h.text)) outside.push({ file, line: h.line, text: h.text.trim() });
        }
        for (const fn of fns) {
          for (const call of callsIn(fn, new Set([...api.keys(), ...OPEN_CODED]))) {
            // Bodies are converted on each reading: a call is known by where it is and what it says.
            const ck = `${fn.file}:${call.loc.line}:${fn.name}:${exprText(call)}`;
            if (seenCall.has(ck)) continue;
            seenCall.add(ck);
            const name = calleeName(call)!;
            const page = pageArg(call, name);
            if (!page) continue;
            // A header of the API that passes its own argument to a speculative get is a wrapper: its callers
            // are the sites. So is the definition of an API name itself (page_ref_add_unless's atomic).
            const origins = new Flow(fn).pageOrigins(page);
            const wraps = origins.length > 0 && origins.every((o) => o.k === 'param');
            if (api.has(fn.name) || (isApiHeader(file) && wraps) || (OPEN_CODED.includes(name) && wraps && fn.file.endsWith('.h'))) {
              if (!api.has(fn.name) || !api.get(fn.name)!.file) {
                if (!api.has(fn.name)) fresh.push(fn.name);
                api.set(fn.name, { func: fn.name, file: fn.file, line: fn.line });
              }
              continue;
            }
            callSites.push({ fn, call, name });
          }
        }
      }
      words = fresh;
    }
    // Calls found before a wrapper was known to be one stay sites; those inside API definitions do not.
    const sites: Site[] = [];
    for (const { fn, call, name } of callSites) {
      if (api.has(fn.name) && api.get(fn.name)!.file) continue;
      const page = pageArg(call, name)!;
      sites.push({ func: this.id(fn), file: fn.file, line: call.loc.line, call: name, chains: [] });
      const site = sites[sites.length - 1];
      const here: Where = { func: this.id(fn), file: fn.file, line: call.loc.line };
      await this.follow(fn, page, false, [here], this.guardsOf(fn, call, page), site, 0);
    }
    await this.drainClimbs();
    await this.rename(sites, api);
    sites.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
    return { api, sites, outside, notes: this.notes, searches: this.searches, files: this.files };
  }

  private guardsOf(fn: FunctionDef, call: Expr, page: Expr): GuardAt[] {
    const flow = new Flow(fn);
    const vars = flow.chainVars(page);
    return conditionsBefore(fn, call).map((c: PathCond) => ({ func: this.id(fn), file: fn.file, line: c.loc.line, text: exprText(c.e), e: c.e, vars, flow }));
  }

  /** Pending climbs: a function whose page (or pfn) parameter must be followed to its callers. */
  private climbs: Array<{ fn: FunctionDef; index: number; pfn: boolean; path: Where[]; guards: GuardAt[]; site: Site; depth: number; producer?: string }> = [];

  /** Follows the page expression `e` of `fn` to its sources; parameters are climbed later, in rounds. */
  private async follow(fn: FunctionDef, e: Expr, pfn: boolean, path: Where[], guards: GuardAt[], site: Site, depth: number, producer?: string): Promise<void> {
    const flow = new Flow(fn);
    const origins = pfn ? flow.pfnOrigins(e) : flow.pageOrigins(e);
    if (!origins.length) origins.push({ k: 'other', how: exprText(e), loc: e.loc });
    for (const o of origins) this.take(fn, o, path, guards, site, depth, producer);
  }

  private take(fn: FunctionDef, o: Origin, path: Where[], guards: GuardAt[], site: Site, depth: number, producer?: string): void {
    const prod = (o.k === 'pfn' || o.k === 'param') && o.producer ? o.producer : producer;
    if (o.k === 'param') {
      // A function others may call with any pfn is where a walk starts (memory_failure(pfn)); a static one,
      // or one handed a page, is climbed: its callers say where the pfn or page comes from.
      if (o.pfn && !fn.isStatic && !fn.file.endsWith('.h')) {
        addChain(site, this.chain('pfn-walker', fn, `its argument ${o.name}`, o.loc ?? { file: fn.file, line: fn.line }, path, guards, prod));
        return;
      }
      if (depth >= this.opts.maxClimb) {
        addChain(site, { ...this.chain('unresolved', fn, `its argument ${o.name}`, { file: fn.file, line: fn.line }, path, guards, prod), why: `callers not followed past ${this.opts.maxClimb} levels (sim.facts.max_climb)` });
        return;
      }
      this.climbs.push({ fn, index: o.index, pfn: o.pfn, path, guards, site, depth: depth + 1, producer: prod });
      return;
    }
    const cls: SiteClass = o.k === 'pfn' ? 'pfn-walker' : o.k === 'mapping' ? 'mapping-walker' : o.k === 'cache' ? 'cache-lookup' : 'other';
    addChain(site, this.chain(cls, fn, o.how, o.loc, path, guards, prod));
  }

  private chain(cls: SiteClass, fn: FunctionDef, source: string, at: Loc, path: Where[], guards: GuardAt[], producer?: string): Chain {
    const args = cls === 'pfn-walker' ? walkerArgs(fn) : [];
    return {
      class: cls, source, sourceAt: { func: this.id(fn), file: at.file, line: at.line }, producer, path,
      entry: { func: this.id(fn), file: fn.file, line: fn.line, args }, guards,
    };
  }

  /**
   * Climbs in rounds: static functions' callers are in their own file; the others' come from one search a
   * round, in every file but those with a static of the same name (a call there reaches that one).
   */
  private async drainClimbs(): Promise<void> {
    while (this.climbs.length) {
      const batch = this.climbs;
      this.climbs = [];
      const global = [...new Set(batch.filter((c) => !isFileScoped(c.fn)).map((c) => c.fn.name))];
      const hits = await this.search(global);
      const filesOf = new Map<string, Set<string>>();
      for (const h of hits) for (const n of global) if (new RegExp(`\\b${n}\\b`).test(h.text)) {
        let s = filesOf.get(n);
        if (!s) filesOf.set(n, (s = new Set()));
        s.add(h.path);
      }
      for (const c of batch) {
        const files = isFileScoped(c.fn) ? [c.fn.file] : [...(filesOf.get(c.fn.name) ?? [])];
        let callers = 0;
        for (const file of files.sort()) {
          const fns = await this.functionsIn(file);
          if (file !== c.fn.file && fns.some((g) => g.name === c.fn.name && isFileScoped(g))) continue;
          for (const g of fns) {
            if (g === c.fn) continue;
            const calls = callsIn(g, new Set([c.fn.name]));
            const stored = usedAsValue(g, c.fn.name);
            for (const call of calls) {
              const arg = call.args[c.index];
              if (!arg) continue;
              callers++;
              const step: Where = { func: this.id(g), file: g.file, line: call.loc.line };
              const flow = new Flow(g);
              const vars = flow.chainVars(arg, new Map(), c.pfn ? 'pfn' : 'page');
              const gs = conditionsBefore(g, call).map((pc) => ({ func: this.id(g), file: g.file, line: pc.loc.line, text: exprText(pc.e), e: pc.e, vars, flow }));
              await this.follow(g, arg, c.pfn, [step, ...c.path], [...gs, ...c.guards], c.site, c.depth, c.producer);
            }
            if (stored) {
              callers++;
              addChain(c.site, {
                ...this.chain('other', g, `${this.id(c.fn)} called through a pointer (stored at ${stored.file}:${stored.line})`, stored, c.path, c.guards, c.producer),
              });
            }
          }
        }
        if (!callers) {
          const cls: SiteClass = c.pfn ? 'pfn-walker' : 'other';
          addChain(c.site, this.chain(cls, c.fn, c.pfn ? `its argument ${c.fn.params[c.index]?.name}` : `its caller's page: no caller of ${this.id(c.fn)}() in the tree`, { file: c.fn.file, line: c.fn.line }, c.path, c.guards, c.producer));
        }
      }
    }
  }
}

/**
 * What a walk entered at `fn` is given, as glue C over `page` and `pfn`: the page for page and folio
 * parameters, the pfn range [pfn, pfn + 1) for the parameters its data flow turns into a page or compares a pfn
 * against, a zeroed object for other pointers, 0 for the rest.
 */
export function walkerArgs(fn: FunctionDef): string[] {
  const glue = { page: 'page', pfn: 'pfn', end: 'pfn + 1', count: '1', pgmap: '__kbot_newobj()', pointer: '__kbot_newobj()', other: '0' };
  const roles = paramRoles(fn);
  return fn.params.flatMap((p, i) => (p.type !== 'void' && p.name ? [glue[roles[i]]] : []));
}

/** The page a speculative get is given: its first argument, or the page behind `&page->_refcount`. */
function pageArg(call: Extract<Expr, { k: 'call' }>, name: string): Expr | null {
  const a = call.args[0];
  if (!a) return null;
  if (OPEN_CODED.includes(name)) {
    if (!REFCOUNT_ARG.test(exprText(a))) return null;
    let x = a;
    while (x.k === 'cast') x = x.arg;
    if (x.k === 'unary' && x.op === '&') x = x.arg;
    return x.k === 'member' ? x.obj : null;
  }
  return a;
}

/**
 * One chain per way in: the same class, path and entry is one chain whatever the pfn arithmetic on the way
 * (low_pfn + 1, block_end_pfn ...); the first source found stands for them.
 */
function addChain(site: Site, c: Chain): void {
  const key = (x: Chain) => `${x.class}|${x.producer ?? ''}|${x.path.map((w) => `${w.func}@${w.line}`).join('>')}|${x.entry.func}`;
  const k = key(c);
  if (!site.chains.some((x) => key(x) === k)) site.chains.push(c);
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  }
  return m;
}
