// The hot-path-cost analyzer: what a series adds to a function on the kernel's hot paths (put_page(),
// folio_put(), the page_ref_* helpers ...), counted from the C before and after the series, and the static
// key that would take the cost off machines that never use the feature. Pure: the tree comes in through
// TreeView (one whole-word search counts the call sites) and the C is read with sim/'s front end.
import type { Analyzer, AnalyzerInput, AnalyzerResult, Confidence, Coverage, Finding, PatchInput, TreeView } from './types.ts';
import type { Expr, FunctionDef, Kconfig, Stmt } from '../sim/frontend/ast.ts';
import { preprocess } from '../sim/frontend/preprocess.ts';
import { parseC, type ParsedFile } from '../sim/frontend/parse-c.ts';
import { exprText } from '../sim/frontend/macro-expand.ts';
import { kconfigValue } from '../sim/frontend/if-expr.ts';
import { pathUnder } from './mem-tree-view.ts';

export interface HotPathOptions {
  /** Functions always on a hot path, as names or globs (`page_ref_*`). */
  functions: string[];
  /** A static inline function in a header is hot when the tree calls it from at least this many places. */
  minCallSites: number;
  /** Path prefixes whose calls are not counted (not kernel code). */
  exclude: string[];
  /** How many levels of static inline callees are read to count what a test costs. */
  maxInlineDepth: number;
  /** Decides the tree's #if blocks, as for the simulator. */
  kconfig: Kconfig;
  /**
   * A distribution's .config, when one was given: decides whether an IS_ENABLED(CONFIG_X) test is off where
   * kernels are built (then what it guards costs nothing). Without one, `kconfig` decides.
   */
  distroKconfig?: { values: Kconfig; source: string };
}

/** Tests of a static key: a patched jump, one no-op instruction while the key is off. */
const STATIC_KEY_TESTS = new Set(['static_branch_unlikely', 'static_branch_likely', 'static_key_false', 'static_key_true', 'static_key_enabled', 'static_branch_maybe']);
/** Compile-time tests of a config option. */
const CONFIG_TESTS = new Set(['IS_ENABLED', 'IS_BUILTIN', 'IS_MODULE', 'IS_REACHABLE']);
/** Compiler hints: they cost what their argument costs. */
const HINTS = new Set(['likely', 'unlikely', '__builtin_expect', 'likely_notrace', 'unlikely_notrace']);
/** A read of their argument (one load), nothing more. */
const READS = new Set(['READ_ONCE', 'data_race']);

/** What evaluating some C costs, counted from the code. */
interface Cost {
  loads: number;
  stores: number;
  branches: number;
  calls: number;
  indirectCalls: number;
  /** Static key tests: a no-op while the key is off. */
  keys: number;
  /** Calls kbot could not read (an out-of-line function counts as a call; a macro it does not expand, as nothing). */
  unread: string[];
  /**
   * Set when the test is false at compile time (a config option the build leaves off): the compiler drops it
   * and what it guards. Says which test, and in which inline helper.
   */
  never?: string;
}

const zero = (): Cost => ({ loads: 0, stores: 0, branches: 0, calls: 0, indirectCalls: 0, keys: 0, unread: [] });
function add(a: Cost, b: Cost): Cost {
  return {
    loads: a.loads + b.loads, stores: a.stores + b.stores, branches: a.branches + b.branches, calls: a.calls + b.calls,
    indirectCalls: a.indirectCalls + b.indirectCalls, keys: a.keys + b.keys, unread: [...new Set([...a.unread, ...b.unread])],
  };
}
function minus(a: Cost, b: Cost): Cost {
  const d = (x: number, y: number) => Math.max(0, x - y);
  return { loads: d(a.loads, b.loads), stores: d(a.stores, b.stores), branches: d(a.branches, b.branches), calls: d(a.calls, b.calls), indirectCalls: d(a.indirectCalls, b.indirectCalls), keys: d(a.keys, b.keys), unread: a.unread };
}
const isZero = (c: Cost) => !c.loads && !c.stores && !c.branches && !c.calls && !c.indirectCalls;

/** A gate: a static key, or a config option off in the kernels that are built. */
interface Gate {
  kind: 'static-key' | 'config';
  text: string;
  line: number;
}

interface Cond {
  text: string;
  line: number;
}

/** One thing a function's code does: a test, a call, a load or a store, and the conditions it sits under. */
interface Site {
  kind: 'branch' | 'call' | 'indirect-call' | 'load' | 'store';
  text: string;
  line: number;
  conds: Cond[];
  gate?: Gate;
  /** For a branch: its test. For a call: the call. */
  expr?: Expr;
  /** The functions (or macros) whose arguments it is in, innermost last. */
  within?: string[];
}

interface FileC {
  parsed: ParsedFile;
  text: string;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '\\w*').replace(/\?/g, '\\w')}$`);
}

export function hotPathCostAnalyzer(opts: HotPathOptions): Analyzer {
  const listed = opts.functions.map(globToRegExp);
  const gateKconfig = opts.distroKconfig?.values ?? opts.kconfig;
  const gateSource = opts.distroKconfig ? opts.distroKconfig.source : 'the kconfig the review reads the tree under (no distribution .config given)';

  async function readC(view: TreeView, path: string): Promise<FileC | null> {
    const text = await view.readFile(path);
    if (text === null) return null;
    const pp = preprocess(text, path, opts.kconfig);
    return { parsed: await parseC(pp.text, path, {}), text };
  }

  return {
    name: 'hot-path-cost',
    async run(input: AnalyzerInput): Promise<AnalyzerResult> {
      const notes: string[] = [];
      const limits: string[] = [];
      const findings: Finding[] = [];
      // The C files the series changes on both sides (a new file has no callers yet; a deleted one costs nothing).
      const files = [...new Set(input.patches.flatMap((p) => p.files.filter((f) => f.from && f.to && f.from === f.to && /\.[ch]$/.test(f.to)).map((f) => f.to!)))];
      const changed: Array<{ file: string; before: FunctionDef; after: FunctionDef; afterFile: FileC }> = [];
      for (const file of files) {
        const [b, a] = await Promise.all([readC(input.before, file), readC(input.after, file)]);
        if (!b || !a) continue;
        const seen = new Map<string, number>();
        for (const fa of a.parsed.functions) {
          // Definitions of one name in one file (an #ifdef and its #else stub) are paired in order.
          const k = seen.get(fa.name) ?? 0;
          seen.set(fa.name, k + 1);
          const fb = b.parsed.functions.filter((f) => f.name === fa.name)[k];
          if (!fb) continue;
          if (shape(fb.body) !== shape(fa.body)) changed.push({ file, before: fb, after: fa, afterFile: a });
        }
      }
      if (!changed.length) {
        return done([], notes, { analyzer: 'hot-path-cost', status: 'skipped', checked: `the series changes no function of the tree's C (${files.length} C file(s) touched)`, findings: 0 });
      }
      // Candidates: listed names, and static inline functions of headers (the call-site count decides those).
      const isListed = (name: string) => listed.some((re) => re.test(name));
      const candidates = changed.filter((c) => isListed(c.after.name) || (c.after.isStatic && c.after.isInline && c.file.endsWith('.h')));
      // A static inline helper that a listed function of the same header calls on its every-call path is inlined
      // into every one of its calls (6.1's put_page() calls put_devmap_managed_page() first thing): its host.
      // Followed through helpers of helpers (put_page() → put_devmap_managed_page() → ..._refs()), in that header.
      const hostOf = new Map<string, string>();
      for (const file of new Set(candidates.map((c) => c.file))) {
        const fns = candidates.find((c) => c.file === file)!.afterFile.parsed.functions;
        const reached = new Map<string, string>(fns.filter((f) => isListed(f.name)).map((f) => [f.name, f.name]));
        const queue = [...reached.keys()];
        while (queue.length) {
          const name = queue.shift()!;
          const f = fns.find((x) => x.name === name);
          if (!f) continue;
          for (const callee of everyCallCalls(f.body, gateKconfig)) {
            if (reached.has(callee) || !fns.some((x) => x.name === callee && x.isStatic && x.isInline)) continue;
            reached.set(callee, reached.get(name)!);
            queue.push(callee);
          }
        }
        for (const c of candidates) if (c.file === file && !isListed(c.after.name) && reached.has(c.after.name)) hostOf.set(c.after.name, reached.get(c.after.name)!);
      }
      const names = [...new Set([...candidates.map((c) => c.after.name), ...hostOf.values()])];
      const sites = names.length ? await callSites(input.before, names, opts.exclude, changed) : new Map<string, number>();
      const hot = candidates.filter((c) => isListed(c.after.name) || hostOf.has(c.after.name) || (sites.get(c.after.name) ?? 0) >= opts.minCallSites);
      /** Whose calls pay for what the series adds: the function itself, or the listed function it is inlined into. */
      const payer = (c: (typeof changed)[number]) => (isListed(c.after.name) ? c.after.name : hostOf.get(c.after.name) ?? c.after.name);
      const why = (c: (typeof changed)[number]) =>
        isListed(c.after.name) ? `listed in hot_path.functions`
        : hostOf.has(c.after.name) ? `inlined on every call of ${hostOf.get(c.after.name)}() (listed in hot_path.functions), ${sites.get(hostOf.get(c.after.name)!)} call sites`
        : `static inline in a header, ${sites.get(c.after.name)} call sites (hot_path.min_call_sites: ${opts.minCallSites})`;

      // The definitions of the callees the added tests use, read on demand: the function's own file first,
      // then the headers the tree defines them in (one search per level, hot_path.max_inline_depth levels).
      const defs = new Map<string, FunctionDef | null>();
      const globals = new Set<string>();
      const macros = new Set<string>();
      for (const c of hot) {
        for (const f of c.afterFile.parsed.functions) if (f.isInline && !defs.has(f.name)) defs.set(f.name, f);
        for (const g of c.afterFile.parsed.globals) globals.add(g.name);
      }

      const described: string[] = [];
      let gatedCount = 0;
      let underExisting = 0;
      for (const c of hot) {
        const before = collect(c.before.body, gateKconfig);
        const after = collect(c.after.body, gateKconfig);
        const added = subtract(after, before);
        const removed = subtract(before, after);
        const existingConds = new Set(before.filter((s) => s.kind === 'branch').map((s) => s.text));
        let everyCall: Site[] = [];
        const gated: Site[] = [];
        const under: Array<{ site: Site; cond: Cond }> = [];
        for (const s of added) {
          if (s.gate) gated.push(s);
          else {
            const existing = s.conds.find((k) => existingConds.has(k.text));
            if (existing) under.push({ site: s, cond: existing });
            else if (s.conds.length === 0) everyCall.push(s);
            // Inside a branch the series adds: paid only when that new test passes.
          }
        }
        gatedCount += gated.length;
        underExisting += under.length;
        const label = `${c.after.name}() (${c.file}:${c.after.line}; ${why(c)})`;
        if (!everyCall.length) {
          const parts = [
            gated.length ? `${gated.length} addition(s) behind ${[...new Set(gated.map((s) => s.gate!.text))].join(', ')}` : '',
            under.length ? `${under.length} addition(s) under an existing branch (${[...new Set(under.map((u) => `${u.cond.text} at line ${u.cond.line}`))].join(', ')})` : '',
          ].filter(Boolean);
          described.push(`${label}: nothing added on every call${parts.length ? `: ${parts.join('; ')}` : ''}`);
          continue;
        }
        // Count what each every-call addition costs; callee definitions are read level by level.
        let round = 0;
        let costs = everyCall.map((s) => siteCost(s, removed, defs, globals, macros, gateKconfig));
        for (;;) {
          const missing = [...new Set(costs.flatMap((k) => [...k.common.unread, ...k.full.unread]))].filter((n) => !defs.has(n));
          if (!missing.length) break;
          if (round >= opts.maxInlineDepth) {
            limits.push(`hot-path-cost: stopped reading inline callees after hot_path.max_inline_depth (${opts.maxInlineDepth}) levels; not counted: ${missing.slice(0, 8).map((n) => `${n}()`).join(', ')}`);
            break;
          }
          round++;
          await resolve(input.after, missing, defs, globals, macros, readC, opts.exclude);
          // What sits in a macro's arguments is not counted: the macro may not evaluate them
          // (VM_BUG_ON_PAGE() is empty without CONFIG_DEBUG_VM).
          everyCall = everyCall.filter((s) => !s.within?.some((m) => macros.has(m)));
          costs = everyCall.map((s) => siteCost(s, removed, defs, globals, macros, gateKconfig));
        }
        // A test false at compile time (an option the build leaves off) is dropped with what it guards.
        const compiledOut = everyCall.filter((_, i) => costs[i].full.never);
        if (compiledOut.length) {
          gatedCount += compiledOut.length;
          for (const [i, s] of everyCall.entries()) if (costs[i].full.never) s.gate = { kind: 'config', text: costs[i].full.never!, line: s.line };
          costs = costs.filter((k) => !k.full.never);
          everyCall = everyCall.filter((s) => !compiledOut.includes(s));
        }
        const offNote = compiledOut.length ? `compiled out: ${compiledOut.map((s) => `${s.text} (${s.gate!.text} is off in ${gateSource})`).join('; ')}` : '';
        if (!everyCall.length) {
          described.push(`${label}: nothing added on every call; ${offNote}`);
          continue;
        }
        const common = costs.reduce((a, k) => add(a, k.common), zero());
        const full = costs.reduce((a, k) => add(a, k.full), zero());
        if (isZero(common) && isZero(full)) {
          described.push(`${label}: the additions on every call cost nothing counted (${everyCall.map((s) => s.text).join('; ')})${offNote ? `; ${offNote}` : ''}`);
          continue;
        }
        const n = sites.get(payer(c)) ?? 0;
        const who = payer(c);
        const tests = everyCall.filter((s) => s.kind === 'branch');
        const unread = [...new Set([...common.unread, ...full.unread])].filter((u) => defs.get(u) == null);
        const unreadText = unread.map((u) => `${u}()${macros.has(u) ? ' (a macro)' : ' (out of line: one call)'}`);
        const confidence: Confidence = unread.length ? 'medium' : 'high';
        const fix = await fixShape(input.after, tests, defs, opts.exclude);
        const { patch, hunk, hunkFile } = hunkAt(input, c.file, everyCall[0].line) ?? { patch: input.patches[0]?.messageId ?? null, hunk: [], hunkFile: c.file };
        // The cost every call pays; a test whose first operand costs nothing counted is said at its full cost.
        const what = describeCost(isZero(common) ? full : common);
        const when = tests.length ? (costsDiffer(common, full) ? ` when its test fails at the first operand (a page without the feature); ${describeCost(full)} when every operand is evaluated` : '') : '';
        const title = `${who}() gains ${what} on every call (${n} call site${n === 1 ? '' : 's'})${who !== c.after.name ? ` through ${c.after.name}()` : ''}; put it behind a static key`;
        const whyHot = isListed(c.after.name) ? 'is listed in hot_path.functions'
          : who !== c.after.name ? `is inlined on every call of ${who}(), which is listed in hot_path.functions`
          : `is static inline in a header (hot_path.min_call_sites: ${opts.minCallSites})`;
        const addedText = everyCall.map((s) => (s.kind === 'branch' ? `the test ${s.expr ? cText(stripHints(s.expr)) : s.text} (${c.file}:${s.line})` : `${s.kind === 'indirect-call' ? 'an indirect call' : `a ${s.kind}`} ${s.text} (${c.file}:${s.line})`));
        const detailLines = [
          `This series adds ${addedText.join(', ')} to ${c.after.name}(), on the path every call takes. ${c.after.name}() ${whyHot}; the tree calls ${who === c.after.name ? 'it' : `${who}()`} from ${n} place${n === 1 ? '' : 's'}.`,
          `Counted from the C: ${what}${when}.`,
          unread.length ? `Not read as inline C: ${unreadText.slice(0, 6).join(', ')}${unread.length > 6 ? ` and ${unread.length - 6} more` : ''}.` : '',
          `It is not behind a static key, nor behind a config option ${opts.distroKconfig ? `that ${gateSource} leaves off` : 'that is off'}.`,
          fix.text,
        ].filter(Boolean);
        findings.push({
          analyzer: 'hot-path-cost', category: 'hot-path-cost', severity: 'warning', confidence,
          title, message: `${who}() gains ${what} on every call.`, detail: detailLines.join(' '), suggestion: fix.code,
          patch, files: [c.file, ...fix.files.filter((f) => f !== c.file)], hunk, hunkFile,
          callSites: [...everyCall.map((s) => `${c.file}:${s.line}`), ...fix.sites],
        });
        described.push(`${label}: ${what} on every call${offNote ? `; ${offNote}` : ''}`);
      }
      const cold = changed.length - hot.length;
      const checked = [
        `${changed.length} function(s) the series changes; ${hot.length} on a hot path${hot.length ? `: ${described.join('; ')}` : ''}`,
        cold ? `${cold} not hot (${changed.filter((c) => !hot.includes(c)).slice(0, 6).map((c) => `${c.after.name}()`).join(', ')}${cold > 6 ? ' ...' : ''})` : '',
        gatedCount ? `${gatedCount} addition(s) gated (a static key, or a config option off in ${gateSource})` : '',
        underExisting ? `${underExisting} addition(s) under an existing branch, not on every call` : '',
      ].filter(Boolean).join('. ');
      notes.push(`hot-path-cost: ${checked}`);
      notes.push(...limits);
      return done(findings, notes, { analyzer: 'hot-path-cost', status: 'ran', checked, findings: findings.length, ...(limits.length ? { limits } : {}) });
    },
  };
}

function done(findings: Finding[], notes: string[], coverage: Coverage): AnalyzerResult {
  return { findings, notes, coverage };
}

/** A function body's structure, without line numbers: two bodies that differ only in comments and layout are equal. */
function shape(s: Stmt): string {
  return JSON.stringify(s, (k, v) => (k === 'loc' ? undefined : v));
}

/** How often the tree calls each name (`name(` as a whole word), outside `exclude` and the definitions themselves. */
async function callSites(view: TreeView, names: string[], exclude: string[], changed: Array<{ file: string; before: FunctionDef }>): Promise<Map<string, number>> {
  const hits = await view.grepWords(names);
  const out = new Map<string, number>(names.map((n) => [n, 0]));
  const res = names.map((n) => [n, new RegExp(`(?<![A-Za-z0-9_])${n}\\s*\\(`, 'g')] as const);
  for (const h of hits) {
    if (exclude.some((p) => pathUnder(h.path, p))) continue;
    for (const [n, re] of res) {
      const defAt = changed.find((c) => c.before.name === n && c.file === h.path && h.line >= c.before.line && h.line <= c.before.line + 1);
      if (defAt) continue;
      const m = h.text.match(re);
      if (m) out.set(n, out.get(n)! + m.length);
    }
  }
  return out;
}

/** Reads the definitions of `names` from the headers the tree has them in (static inline only). */
async function resolve(
  view: TreeView, names: string[], defs: Map<string, FunctionDef | null>, globals: Set<string>, macros: Set<string>,
  readC: (v: TreeView, p: string) => Promise<FileC | null>, exclude: string[],
): Promise<void> {
  for (const n of names) defs.set(n, null);
  const all = (await view.grepWords(names, ['include/', 'arch/'])).filter((h) => !exclude.some((p) => pathUnder(h.path, p)));
  // A macro (ASSERT_EXCLUSIVE_BITS(), a KCSAN check that is empty in most builds) is not expanded: it is not
  // counted, and the finding says so.
  for (const n of names) if (all.some((h) => new RegExp(`^\\s*#\\s*define\\s+${n}\\b`).test(h.text))) macros.add(n);
  const hits = all.filter((h) => /\binline\b/.test(h.text) && !/;\s*$/.test(h.text));
  const files = [...new Set(hits.map((h) => h.path))];
  for (const f of files) {
    const c = await readC(view, f);
    if (!c) continue;
    for (const fn of c.parsed.functions) if (names.includes(fn.name) && fn.isInline && !defs.get(fn.name)) defs.set(fn.name, fn);
    for (const g of c.parsed.globals) globals.add(g.name);
  }
}

/** The sites of a function body: each test, call, load and store, with the conditions it sits under. */
function collect(body: Stmt, kconfig: Kconfig): Site[] {
  const out: Site[] = [];
  const stmt = (s: Stmt, conds: Cond[], gate: Gate | undefined): void => {
    switch (s.k) {
      case 'block': {
        let g = gate;
        for (const x of s.body) {
          stmt(x, conds, g);
          // `if (!static_branch_unlikely(&key)) return ...;`: what follows runs only with the key on.
          if (!g && x.k === 'if' && !x.else && endsInReturn(x.then)) {
            const neg = stripHints(x.test);
            if (neg.k === 'unary' && neg.op === '!') g = gateOf(neg.arg, kconfig) ?? undefined;
          }
        }
        return;
      }
      case 'if': {
        const g = gate ?? gateOf(s.test, kconfig) ?? undefined;
        out.push({ kind: 'branch', text: exprText(stripHints(s.test)), line: s.loc.line, conds, gate: g, expr: s.test });
        const t = exprText(stripHints(s.test));
        stmt(s.then, [...conds, { text: t, line: s.loc.line }], g);
        if (s.else) stmt(s.else, [...conds, { text: `!${t}`, line: s.loc.line }], gate);
        return;
      }
      case 'while': case 'do': case 'for': {
        const test = s.test;
        if (s.k === 'for' && s.init) stmt(s.init, conds, gate);
        const t = test ? exprText(stripHints(test)) : 'for (;;)';
        if (test) out.push({ kind: 'branch', text: t, line: s.loc.line, conds, gate, expr: test });
        stmt(s.body, [...conds, { text: t, line: s.loc.line }], gate);
        return;
      }
      case 'switch': {
        const t = exprText(s.test);
        out.push({ kind: 'branch', text: `switch (${t})`, line: s.loc.line, conds, gate, expr: s.test });
        for (const c of s.cases) for (const b of c.body) stmt(b, [...conds, { text: `switch (${t})`, line: s.loc.line }], gate);
        return;
      }
      case 'expr': expr(s.e, s.loc.line, conds, gate); return;
      case 'decl': if (s.init) expr(s.init, s.loc.line, conds, gate); return;
      case 'return': if (s.e) expr(s.e, s.loc.line, conds, gate); return;
      case 'label': stmt(s.body, conds, gate); return;
      default: return;
    }
  };
  const expr = (e: Expr, line: number, conds: Cond[], gate: Gate | undefined): void => {
    // The calls whose arguments the walk is in: a macro's arguments may never be evaluated.
    const inside: string[] = [];
    const push = (site: Site) => out.push(inside.length ? { ...site, within: [...inside] } : site);
    const walk = (v: Expr, addr = false): void => {
      switch (v.k) {
        case 'call': {
          if (v.callee.k === 'id') {
            const name = v.callee.name;
            if (HINTS.has(name) || READS.has(name)) { v.args.forEach((a) => walk(a)); return; }
            if (STATIC_KEY_TESTS.has(name) || CONFIG_TESTS.has(name)) return;
            push({ kind: 'call', text: `${name}()`, line, conds, gate, expr: v });
            inside.push(name);
            v.args.forEach((a) => walk(a));
            inside.pop();
            return;
          } else {
            push({ kind: 'indirect-call', text: `${exprText(v.callee)}()`, line, conds, gate, expr: v });
            walk(v.callee);
          }
          v.args.forEach((a) => walk(a));
          return;
        }
        case 'member':
          if (v.arrow && !addr) push({ kind: 'load', text: exprText(v), line, conds, gate });
          walk(v.obj, !v.arrow && addr);
          return;
        case 'index': if (!addr) push({ kind: 'load', text: exprText(v), line, conds, gate }); walk(v.obj); walk(v.index); return;
        case 'unary':
          if (v.op === '&') { walk(v.arg, true); return; }
          if (v.op === '*' && !addr) push({ kind: 'load', text: exprText(v), line, conds, gate });
          walk(v.arg);
          return;
        case 'assign':
          if (v.target.k !== 'id') push({ kind: 'store', text: exprText(v.target), line, conds, gate });
          walkTarget(v.target);
          walk(v.value);
          return;
        case 'binary': walk(v.left); walk(v.right); return;
        case 'cond': walk(v.test); walk(v.then); walk(v.else); return;
        case 'cast': walk(v.arg, addr); return;
        case 'comma': v.exprs.forEach((a) => walk(a)); return;
        case 'postfix': walk(v.arg); return;
        case 'init': v.fields.forEach((f) => walk(f.value)); return;
        case 'stmtexpr': v.body.forEach((b) => stmt(b, conds, gate)); return;
        default: return;
      }
    };
    // The target of a store is not loaded, but what leads to it is.
    const walkTarget = (t: Expr): void => {
      if (t.k === 'member') walk(t.obj, !t.arrow);
      else if (t.k === 'index') { walk(t.obj); walk(t.index); } else if (t.k === 'unary') walk(t.arg);
    };
    walk(e);
  };
  stmt(body, [], undefined);
  return out;
}

/**
 * The functions a body calls on the path every call takes: in its top-level statements and the tests of its
 * top-level ifs, before any `if (!static_branch_*(&key)) return;` and not behind a gate of the test itself.
 */
function everyCallCalls(body: Stmt, kconfig: Kconfig): Set<string> {
  const out = new Set<string>();
  const calls = (e: Expr): void => {
    if (e.k === 'call' && e.callee.k === 'id') out.add(e.callee.name);
    for (const v of Object.values(e)) {
      if (Array.isArray(v)) v.forEach((x) => x && typeof x === 'object' && 'k' in x && 'loc' in x && isExpr(x) && calls(x));
      else if (v && typeof v === 'object' && 'k' in v && isExpr(v as Expr)) calls(v as Expr);
    }
  };
  const stmts = body.k === 'block' ? body.body : [body];
  for (const s of stmts) {
    if (s.k === 'expr') calls(s.e);
    else if (s.k === 'decl' && s.init) calls(s.init);
    else if (s.k === 'return') { if (s.e) calls(s.e); break; } else if (s.k === 'if') {
      if (gateOf(s.test, kconfig)) continue;
      const neg = stripHints(s.test);
      if (neg.k === 'unary' && neg.op === '!' && gateOf(neg.arg, kconfig) && endsInReturn(s.then)) break;
      calls(s.test);
    }
  }
  return out;
}

const EXPR_KINDS = new Set(['num', 'str', 'id', 'call', 'member', 'index', 'unary', 'postfix', 'binary', 'assign', 'cond', 'cast', 'sizeof', 'comma', 'init', 'stmtexpr', 'unmodelled']);
function isExpr(x: unknown): x is Expr {
  return !!x && typeof x === 'object' && EXPR_KINDS.has((x as { k: string }).k) && (x as { k: string }).k !== 'stmtexpr';
}

function endsInReturn(s: Stmt): boolean {
  if (s.k === 'return') return true;
  if (s.k === 'block') return s.body.length > 0 && endsInReturn(s.body[s.body.length - 1]);
  return false;
}

function stripHints(e: Expr): Expr {
  let v = e;
  for (;;) {
    if (v.k === 'call' && v.callee.k === 'id' && HINTS.has(v.callee.name) && v.args[0]) v = v.args[0];
    else if (v.k === 'unary' && v.op === '!' && v.arg.k === 'unary' && v.arg.op === '!') v = v.arg.arg;
    else if (v.k === 'cast') v = v.arg;
    else return v;
  }
}

/** The gate a test starts with: a static key test, or IS_ENABLED(CONFIG_X) of an option that is off. */
function gateOf(test: Expr, kconfig: Kconfig): Gate | null {
  const first = leftmost(stripHints(test));
  if (first.k === 'call' && first.callee.k === 'id') {
    if (STATIC_KEY_TESTS.has(first.callee.name)) return { kind: 'static-key', text: exprText(first), line: first.loc.line };
    if (CONFIG_TESTS.has(first.callee.name) && first.args[0]?.k === 'id' && !configOn(first.args[0].name, kconfig)) {
      return { kind: 'config', text: exprText(first), line: first.loc.line };
    }
  }
  return null;
}

function leftmost(e: Expr): Expr {
  let v = stripHints(e);
  while (v.k === 'binary' && v.op === '&&') v = stripHints(v.left);
  return v;
}

function configOn(option: string, kconfig: Kconfig): boolean {
  return (kconfigValue(kconfig, option) ?? 0) !== 0;
}

/** Sites of `a` not in `b`, counted as multisets by kind, text and the conditions they sit under. */
function subtract(a: Site[], b: Site[]): Site[] {
  const key = (s: Site) => `${s.kind}|${s.text}|${s.conds.map((c) => c.text).join(' > ')}`;
  const left = new Map<string, number>();
  for (const s of b) left.set(key(s), (left.get(key(s)) ?? 0) + 1);
  return a.filter((s) => {
    const n = left.get(key(s)) ?? 0;
    if (n > 0) { left.set(key(s), n - 1); return false; }
    return true;
  });
}

/**
 * What an every-call addition costs: `common` on the path a page without the feature takes (an added `&&`
 * stops at its first operand, a static key is off), `full` with every operand evaluated (the key on). A test
 * that replaces one the function had (the old test now one operand of it) costs the difference.
 */
function siteCost(s: Site, removed: Site[], defs: Map<string, FunctionDef | null>, globals: Set<string>, macros: Set<string>, kconfig: Kconfig): { common: Cost; full: Cost } {
  const ctx: CostCtx = { defs, globals, macros, kconfig, depth: 0 };
  if (s.kind === 'branch' && s.expr) {
    const common = condCost(s.expr, ctx, 'common');
    const full = condCost(s.expr, ctx, 'full');
    const old = removed.find((r) => r.kind === 'branch' && r.expr && r.conds.length === s.conds.length && s.text.includes(r.text));
    if (old?.expr) return { common: minus(common, condCost(old.expr, ctx, 'common')), full: minus(full, condCost(old.expr, ctx, 'full')) };
    return { common, full };
  }
  if (s.kind === 'call' && s.expr?.k === 'call' && s.expr.callee.k === 'id') {
    // The call itself; its arguments are sites of their own.
    const c = callCost(s.expr.callee.name, ctx, 'full');
    return { common: c, full: c };
  }
  const one: Cost = { ...zero(), ...(s.kind === 'load' ? { loads: 1 } : s.kind === 'store' ? { stores: 1 } : s.kind === 'indirect-call' ? { indirectCalls: 1 } : {}) };
  return { common: one, full: one };
}

interface CostCtx {
  defs: Map<string, FunctionDef | null>;
  globals: Set<string>;
  /** Names the tree defines as macros: not expanded, not counted (said as not counted). */
  macros: Set<string>;
  kconfig: Kconfig;
  depth: number;
}

/** The cost of a test: one branch per leaf condition evaluated, plus what evaluating each leaf costs. */
function condCost(e: Expr, ctx: CostCtx, mode: 'common' | 'full'): Cost {
  const v = stripHints(e);
  if (v.k === 'binary' && v.op === '&&') {
    // `a && b` with either side false at compile time is false, and dropped with what it guards.
    const l = condCost(v.left, ctx, mode);
    if (l.never) return l;
    const r = condCost(v.right, ctx, mode);
    if (r.never) return { ...zero(), never: r.never };
    // An option the build has on is no test: the next operand is the first one evaluated.
    if (configTruth(v.left, ctx) === true) return add(l, r);
    // A feature's page is rare: the common path stops at the first operand that tests anything (a key off
    // stops it too).
    if (mode === 'common') return l;
    return add(l, r);
  }
  if (v.k === 'binary' && v.op === '||') {
    const l = condCost(v.left, ctx, mode);
    const r = condCost(v.right, ctx, mode);
    if (l.never && r.never) return { ...zero(), never: l.never };
    return add(l, r);
  }
  if (v.k === 'unary' && v.op === '!') {
    const c = condCost(v.arg, ctx, mode);
    return c.never ? { ...c, never: undefined } : c;
  }
  if (v.k === 'call' && v.callee.k === 'id') {
    const name = v.callee.name;
    if (STATIC_KEY_TESTS.has(name)) return { ...zero(), keys: 1 };
    if (CONFIG_TESTS.has(name)) return configTruth(v, ctx) === false ? { ...zero(), never: exprText(v) } : zero();
    const def = ctx.defs.get(name);
    const ret = def ? singleReturn(def) : null;
    if (ret && ctx.depth < 16) {
      const inner = condCost(ret, { ...ctx, depth: ctx.depth + 1 }, mode);
      if (inner.never) return { ...zero(), never: `${inner.never} in ${name}()` };
      return add(argsCost(v.args, ctx), inner);
    }
  }
  return add(valueCost(v, ctx, mode), { ...zero(), branches: 1 });
}

/** The value of a compile-time test of a config option (IS_ENABLED(CONFIG_X)), or null for anything else. */
function configTruth(e: Expr, ctx: CostCtx): boolean | null {
  const v = stripHints(e);
  if (v.k === 'call' && v.callee.k === 'id' && CONFIG_TESTS.has(v.callee.name) && v.args[0]?.k === 'id') return configOn(v.args[0].name, ctx.kconfig);
  return null;
}

/** The expression of a function whose body is one `return <expr>;`, the shape of most refcount and page helpers. */
function singleReturn(def: FunctionDef): Expr | null {
  const body = def.body.k === 'block' ? def.body.body.filter((s) => s.k !== 'empty') : [def.body];
  return body.length === 1 && body[0].k === 'return' && body[0].e ? body[0].e : null;
}

function argsCost(args: Expr[], ctx: CostCtx): Cost {
  return args.reduce((a, x) => add(a, valueCost(x, ctx, 'full')), zero());
}

function callCost(name: string, ctx: CostCtx, mode: 'common' | 'full'): Cost {
  const def = ctx.defs.get(name);
  if (def === undefined || ctx.macros.has(name)) return { ...zero(), unread: [name] };
  if (def === null) return { ...zero(), calls: 1, unread: [name] };
  if (ctx.depth >= 16) return { ...zero(), calls: 1 };
  return bodyCost(def.body, { ...ctx, depth: ctx.depth + 1 }, mode);
}

/** An inlined body on its straight path: each statement, each test taken as failing. */
function bodyCost(s: Stmt, ctx: CostCtx, mode: 'common' | 'full'): Cost {
  switch (s.k) {
    case 'block': {
      let c = zero();
      for (const x of s.body) {
        c = add(c, bodyCost(x, ctx, mode));
        if (x.k === 'return') break;
      }
      return c;
    }
    case 'expr': return valueCost(s.e, ctx, mode);
    case 'decl': return s.init ? valueCost(s.init, ctx, mode) : zero();
    case 'return': return s.e ? valueCost(s.e, ctx, mode) : zero();
    case 'if': return condCost(s.test, ctx, mode);
    case 'while': case 'do': return condCost(s.test, ctx, mode);
    case 'for': return s.test ? condCost(s.test, ctx, mode) : zero();
    case 'switch': return add(valueCost(s.test, ctx, mode), { ...zero(), branches: 1 });
    default: return zero();
  }
}

function valueCost(e: Expr, ctx: CostCtx, mode: 'common' | 'full', addr = false): Cost {
  switch (e.k) {
    case 'id': return !addr && ctx.globals.has(e.name) ? { ...zero(), loads: 1 } : zero();
    case 'member': return add(valueCost(e.obj, ctx, mode, !e.arrow && addr), e.arrow && !addr ? { ...zero(), loads: 1 } : zero());
    case 'index': return add(add(valueCost(e.obj, ctx, mode), valueCost(e.index, ctx, mode)), addr ? zero() : { ...zero(), loads: 1 });
    case 'unary':
      if (e.op === '&') return valueCost(e.arg, ctx, mode, true);
      return add(valueCost(e.arg, ctx, mode), e.op === '*' && !addr ? { ...zero(), loads: 1 } : zero());
    case 'postfix': return valueCost(e.arg, ctx, mode);
    case 'binary':
      if (e.op === '&&' || e.op === '||') return condCost(e, ctx, mode);
      return add(valueCost(e.left, ctx, mode), valueCost(e.right, ctx, mode));
    case 'assign': return add(valueCost(e.value, ctx, mode), e.target.k === 'id' ? zero() : add({ ...zero(), stores: 1 }, valueCost(e.target, ctx, mode, true)));
    case 'cond': return add(condCost(e.test, ctx, mode), valueCost(e.else, ctx, mode));
    case 'cast': return valueCost(e.arg, ctx, mode, addr);
    case 'comma': return e.exprs.reduce((a, x) => add(a, valueCost(x, ctx, mode)), zero());
    case 'call': {
      if (e.callee.k === 'id') {
        const name = e.callee.name;
        if (HINTS.has(name) || READS.has(name)) return e.args[0] ? valueCost(e.args[0], ctx, mode) : zero();
        if (STATIC_KEY_TESTS.has(name)) return { ...zero(), keys: 1 };
        if (CONFIG_TESTS.has(name)) return zero();
        const def = ctx.defs.get(name);
        const ret = def ? singleReturn(def) : null;
        if (ret && ctx.depth < 16) return add(argsCost(e.args, ctx), valueCost(ret, { ...ctx, depth: ctx.depth + 1 }, mode));
        if (ctx.macros.has(name)) return { ...zero(), unread: [name] };
        return add(argsCost(e.args, ctx), callCost(name, ctx, mode));
      }
      return add(add(argsCost(e.args, ctx), valueCost(e.callee, ctx, mode)), { ...zero(), indirectCalls: 1 });
    }
    case 'stmtexpr': return e.body.reduce((a, s) => add(a, bodyCost(s, ctx, mode)), zero());
    default: return zero();
  }
}

function costsDiffer(a: Cost, b: Cost): boolean {
  return a.loads !== b.loads || a.branches !== b.branches || a.calls !== b.calls || a.indirectCalls !== b.indirectCalls || a.stores !== b.stores;
}

function describeCost(c: Cost): string {
  const n = (k: number, one: string, many: string) => (k === 1 ? `${one === 'a branch' || one === 'a call' || one === 'an indirect call' || one === 'a store' ? one : `1 ${one}`}` : `${k} ${many}`);
  const parts = [
    c.loads ? n(c.loads, 'load', 'loads') : '',
    c.branches ? n(c.branches, 'a branch', 'branches') : '',
    c.calls ? n(c.calls, 'a call', 'calls') : '',
    c.indirectCalls ? n(c.indirectCalls, 'an indirect call', 'indirect calls') : '',
    c.stores ? n(c.stores, 'a store', 'stores') : '',
  ].filter(Boolean);
  if (!parts.length) return 'nothing counted';
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/**
 * The fix, in the shape Linux gave it (devmap_managed_key): a key off by default, tested first, and enabled
 * where the feature gets its first user. Where the test compares a field with a constant
 * (`page->pgmap->type == MEMORY_DEVICE_PRIVATE`), the places the tree stores that constant in that field are
 * where such objects are made: the key is enabled there.
 */
async function fixShape(view: TreeView, tests: Site[], defs: Map<string, FunctionDef | null>, exclude: string[]): Promise<{ text: string; code: string[]; sites: string[]; files: string[] }> {
  const test = tests[0];
  const cmp = test?.expr ? constantCompare(test.expr, defs, 0) : null;
  const keyName = cmp ? `${cmp.constant.toLowerCase()}_key` : test?.expr ? `${leafName(test.expr) ?? 'feature'}_key` : 'feature_key';
  let sites: string[] = [];
  if (cmp) {
    const re = new RegExp(`(\\.|->)${cmp.field}\\s*=\\s*[^;=]*\\b${cmp.constant}\\b`);
    const hits = await view.grepWords([cmp.constant]);
    sites = hits.filter((h) => !exclude.some((p) => pathUnder(h.path, p)) && re.test(h.text)).map((h) => `${h.path}:${h.line}`);
  }
  // The test as the tree's C would write it, a && operand behind the key.
  const testText = test?.expr ? cText(stripHints(test.expr), PREC['&&']) : '<the added test>';
  const where = cmp
    ? sites.length
      ? `where the first object whose ${cmp.field} is ${cmp.constant} is set up: the tree sets ${cmp.field} to ${cmp.constant} at ${sites.slice(0, 4).join(', ')}${sites.length > 4 ? ` and ${sites.length - 4} more places` : ''}`
      : `where the first object whose ${cmp.field} is ${cmp.constant} is set up (the tree sets none yet)`
    : 'where the feature gets its first user';
  const text = `A static key takes the cost off every machine that does not use the feature: with the key off the test ` +
    `is one no-op instruction (a patched jump) and no load; with it on, what is counted above. The shape of the fix, ` +
    `with static_branch_enable(&${keyName}) (or static_branch_inc(), and a dec on teardown) ${where}:`;
  // The test as the tree would have it: the key first, so that && stops there while it is off.
  const code = [`DEFINE_STATIC_KEY_FALSE(${keyName});`, '', ...wrapTest(`if (static_branch_unlikely(&${keyName}) &&`, `${testText})`)];
  return { text, code, sites, files: [...new Set(sites.map((s) => s.replace(/:\d+$/, '')))] };
}

const PREC: Record<string, number> = {
  '*': 13, '/': 13, '%': 13, '+': 12, '-': 12, '<<': 11, '>>': 11, '<': 10, '<=': 10, '>': 10, '>=': 10,
  '==': 9, '!=': 9, '&': 8, '^': 7, '|': 6, '&&': 5, '||': 4,
};

/** C text of an expression with only the parentheses C needs (exprText parenthesises every operation). */
export function cText(e: Expr, outer = 0): string {
  const wrap = (t: string, prec: number) => (prec < outer ? `(${t})` : t);
  switch (e.k) {
    case 'binary': {
      const p = PREC[e.op] ?? 1;
      return wrap(`${cText(e.left, p)} ${e.op} ${cText(e.right, p + 1)}`, p);
    }
    case 'unary': return wrap(`${e.op}${cText(e.arg, 14)}`, 14);
    case 'call': return `${cText(e.callee, 15)}(${e.args.map((a) => cText(a, 2)).join(', ')})`;
    case 'member': return `${cText(e.obj, 15)}${e.arrow ? '->' : '.'}${e.field}`;
    case 'index': return `${cText(e.obj, 15)}[${cText(e.index)}]`;
    case 'cond': return wrap(`${cText(e.test, 4)} ? ${cText(e.then)} : ${cText(e.else, 3)}`, 3);
    case 'cast': return wrap(`(${e.type})${cText(e.arg, 14)}`, 14);
    case 'assign': return wrap(`${cText(e.target, 14)} ${e.op} ${cText(e.value, 2)}`, 2);
    default: return exprText(e);
  }
}

/** `if (key &&` and the test under it, aligned as kernel style has a continued condition. */
function wrapTest(first: string, rest: string): string[] {
  return [first, `    ${rest}`];
}

/** The first `x->field == CONSTANT` an added test (or the inline helpers it calls) makes. */
function constantCompare(e: Expr, defs: Map<string, FunctionDef | null>, depth: number): { field: string; constant: string } | null {
  const v = stripHints(e);
  if (depth > 16) return null;
  if (v.k === 'binary' && (v.op === '==' || v.op === '!=')) {
    const [m, c] = v.left.k === 'member' ? [v.left, v.right] : [v.right, v.left];
    if (m.k === 'member' && c.k === 'id') return { field: m.field, constant: c.name };
  }
  if (v.k === 'binary') return constantCompare(v.right, defs, depth + 1) ?? constantCompare(v.left, defs, depth + 1);
  if (v.k === 'unary') return constantCompare(v.arg, defs, depth + 1);
  if (v.k === 'call' && v.callee.k === 'id') {
    const def = defs.get(v.callee.name);
    const ret = def ? singleReturn(def) : null;
    if (ret) return constantCompare(ret, defs, depth + 1);
  }
  return null;
}

function leafName(e: Expr): string | null {
  const v = leftmost(e);
  return v.k === 'call' && v.callee.k === 'id' ? v.callee.name : null;
}

/** The patch and hunk whose new side holds file:line in the tree after the series (the last patch touching the file). */
function hunkAt(input: AnalyzerInput, file: string, line: number): { patch: string; hunk: string[]; hunkFile: string } | null {
  for (const p of [...input.patches].reverse() as PatchInput[]) {
    const f = p.files.find((x) => x.to === file);
    if (!f) continue;
    for (const h of f.hunks) {
      const span = h.lines.filter((l) => l[0] !== '-').length;
      if (line >= h.newStart && line < h.newStart + span) return { patch: p.messageId, hunk: [h.header, ...h.lines], hunkFile: file };
    }
    return { patch: p.messageId, hunk: [], hunkFile: file };
  }
  return null;
}
