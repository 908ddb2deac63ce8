// The refcount-sim analyzer: runs sim/ on the tree before and after the series and turns what the series
// introduces into findings, each with the interleaving that shows it.
import type { Analyzer, AnalyzerInput, AnalyzerResult, Finding, PatchInput, TraceStep, TreeView } from './types.ts';
import { simulate, touchesRefcounts } from '../sim/simulate.ts';
import { loadTreeProgram, type TreeProgram } from '../sim/run-scenario.ts';
import type { Scenario } from '../sim/scenarios/scenario.ts';
import type { SimOptions } from '../sim/run-scenario.ts';
import type { Judgement } from '../sim/judge.ts';

export interface RefcountSimOptions {
  scenarios: Scenario[];
  sim: SimOptions;
}

const SEVERITY: Record<string, Finding['severity']> = {
  'speculative-get-on-free-page': 'error',
  'double-free': 'error',
  'use-after-free': 'error',
  'refcount-underflow': 'error',
  'page-leak': 'warning',
  assertion: 'warning',
};

function changedLines(patches: PatchInput[]): string[] {
  return patches.flatMap((p) => p.files.flatMap((f) => f.hunks.flatMap((h) => h.lines.filter((l) => l[0] === '+' || l[0] === '-').map((l) => l.slice(1)))));
}

function touchedFiles(patches: PatchInput[]): string[] {
  return [...new Set(patches.flatMap((p) => p.files.map((f) => f.to ?? f.from ?? '').filter(Boolean)))];
}

export function refcountSimAnalyzer(opts: RefcountSimOptions): Analyzer {
  // The tree before the series, read while the series is being applied (see prepare), by view.
  const early = new WeakMap<TreeView, Promise<TreeProgram>>();
  return {
    name: 'refcount-sim',
    prepare(input) {
      if (!touchesRefcounts(changedLines(input.patches))) return;
      const p = loadTreeProgram(input.before, { ...opts.sim, files: touchedFiles(input.patches) });
      p.catch(() => early.delete(input.before));
      early.set(input.before, p);
    },
    async run(input: AnalyzerInput): Promise<AnalyzerResult> {
      const res = await simulate({
        before: input.before, after: input.after, scenarios: opts.scenarios, options: opts.sim,
        changedLines: changedLines(input.patches), touched: touchedFiles(input.patches), beforeProgram: early.get(input.before),
      });
      if (res.nothingToCheck) {
        return { findings: [], notes: [`refcount-sim: nothing to check: ${res.nothingToCheck} (${res.ms.toFixed(0)} ms)`] };
      }
      const findings: Finding[] = [];
      const notes: string[] = [];
      const seen = new Set<string>();
      // The tree's own walkers first: what a real walker shows needs no hypothetical one.
      const ordered = [...res.judgements].sort((a, b) => Number(!a.after.walker) - Number(!b.after.walker));
      const byRealWalker = new Set<string>();
      const notRun: string[] = [];
      for (const j of ordered) {
        if (j.result === 'unexpected') {
          for (const v of j.introduced) {
            const scope = `${j.after.scenario}|${v.category}`;
            if (!j.after.walker && byRealWalker.has(scope)) continue;
            const f = toFinding(j, v.category, v.message, v.trace, input);
            const key = `${f.category}|${f.title}`;
            if (seen.has(key)) continue;
            seen.add(key);
            if (j.after.walker) byRealWalker.add(scope);
            findings.push(f);
          }
        } else if (j.result === 'unmodelled') notes.push(`refcount-sim: ${j.name}: unmodelled: ${j.note}`);
        else if (j.result === 'incomplete' && /^not run: the time budget/.test(j.note ?? '')) notRun.push(j.name);
        else if (j.result === 'incomplete') notes.push(`refcount-sim: ${j.name}: incomplete: ${j.note}`);
      }
      if (notRun.length) {
        notes.push(`refcount-sim: ${notRun.length} scenario run(s) not done within the time budget (sim.max_seconds): ${notRun.join(', ')}`);
      }
      const ran = res.judgements.filter((j) => j.result !== 'not-applicable');
      const states = ran.reduce((n, j) => n + j.after.stats.states, 0);
      notes.push(
        `refcount-sim: ${ran.length} scenario run(s) before and after the series, ${states} states after, ` +
          `${findings.length} new violation(s) (${res.ms.toFixed(0)} ms)`,
      );
      // What the simulator took as having no effect, so a reader can judge the findings (and their absence).
      const opaque = [...new Set(ran.flatMap((j) => j.after.notes).map((n) => /^unmodelled call: (\S+)\(\)/.exec(n)?.[1]).filter((x): x is string => !!x))].sort();
      if (opaque.length) {
        const shown = opaque.slice(0, 8).map((n) => `${n}()`).join(', ');
        notes.push(`refcount-sim: calls not found in the tree, taken as doing nothing: ${shown}${opaque.length > 8 ? ` and ${opaque.length - 8} more` : ''}`);
      }
      return { findings, notes };
    },
  };
}

function toFinding(j: Judgement, category: string, message: string, trace: TraceStep[], input: AnalyzerInput): Finding {
  const walker = j.after.walker;
  const fns = new Set<string>();
  for (const t of trace) {
    fns.add(t.func);
    for (const v of t.via ?? []) fns.add(v.replace(/ \(.*$/, ''));
  }
  const { patch, hunk, hunkFile } = attribute(input, fns);
  const who = walker ? `${walker}()` : 'any lockless get_page_unless_zero() user';
  const title =
    category === 'speculative-get-on-free-page' ? `${who} can take a reference on a free page`
    : category === 'double-free' ? `the page can be freed twice when ${who} races the final put`
    : category === 'use-after-free' ? `the page can be reused while ${who} still holds a reference`
    : category === 'page-leak' ? `the page can be left allocated with no reference (leak)`
    : category === 'refcount-underflow' ? `the page refcount can underflow when ${who} races the final put`
    : category === 'assertion' ? `${message.replace(/ fires at .*$/, '')} can fire when ${who} races the final put`
    : `${category}: ${message}`;
  const guards = walkerChecks(trace);
  const lines = [
    `${message}.`,
    `Scenario ${j.after.scenario}: ${j.after.freeRefcount !== undefined ? `after the series the tree frees the page when its refcount reaches ${j.after.freeRefcount} (found by running its own release path)` : ''}` +
      `${j.before.freeRefcount !== undefined && j.before.freeRefcount !== j.after.freeRefcount ? `; before the series it did so at ${j.before.freeRefcount}` : ''}.`,
    `Before the series: ${j.baseline}.`,
  ];
  if (category === 'page-leak') {
    // About the owner's release alone: no walker is involved.
  } else if (walker && guards.length) lines.push(`What ${walker}() checks before its get: ${guards.join(', ')}; none of it keeps the walker off this page.`);
  else if (walker) lines.push(`${walker}() checks nothing about the page before its get.`);
  else {
    lines.push(
      'No walker in the tree was seen doing this, but nothing in the refcount API stops one: callers of ' +
        'get_page_unless_zero() and folio_try_get() rely on a free page being at refcount 0.',
    );
  }
  // What the simulator had to guess (calls the tree lacks, fields nothing set): the finding holds only if they do.
  const assumptions = [...new Set(trace.flatMap((t) => t.assumptions ?? []))];
  if (assumptions.length) lines.push(`This interleaving assumes: ${assumptions.join('; ')}.`);
  // Where the references are taken and dropped and the page is freed: the steps that change the count or the
  // page's life, with the calls that led there.
  const key = trace.filter((t, i) => i === 0 || t.refcount.page !== trace[i - 1].refcount.page || JSON.stringify(t.pageState) !== JSON.stringify(trace[i - 1].pageState));
  const callSites = [...new Set(key.flatMap((t) => [...(t.via ?? []).map((v) => /\(([^)]+)\)$/.exec(v)?.[1] ?? ''), `${t.file}:${t.line}`]))]
    .filter((s) => s && !s.startsWith('<') && !s.startsWith('sim/scenarios/'));
  return {
    analyzer: 'refcount-sim',
    category: category as Finding['category'],
    // A finding that only a hypothetical walker shows is worth a warning, not an error.
    severity: walker ? SEVERITY[category] ?? 'warning' : 'warning',
    title,
    detail: lines.join(' '),
    patch,
    files: [...new Set(trace.map((t) => t.file).filter((f) => !f.startsWith('<')))],
    hunk,
    hunkFile,
    callSites,
    trace,
    scenario: j.name,
  };
}

/** Page tests the walker made before the step that took its reference. */
function walkerChecks(trace: TraceStep[]): string[] {
  const get = trace.findIndex((t) => t.actor === 'walker' && /(add_unless|inc_not_zero|try_cmpxchg|cmpxchg)/.test(t.op));
  if (get < 0) return [];
  const cpu = trace[get].cpu;
  // Page tests only (PageLRU(), folio_test_lru() ...): what could keep a walker off the page.
  const bare = (op: string) => op.replace(/^[\w >]+: /, '').replace(/ = .*$/, '');
  return trace.slice(0, get).filter((t) => t.cpu === cpu && /^(Page[A-Z]\w*|folio_test_\w+)\(/.test(bare(t.op))).map((t) => bare(t.op));
}

/** The patch whose changed lines mention most of the trace's functions, and its hunk. */
function attribute(input: AnalyzerInput, fns: Set<string>): { patch: string | null; hunk: string[]; hunkFile?: string } {
  let best: { p: PatchInput; score: number; hunk: string[]; file: string } | null = null;
  for (const p of input.patches) {
    let score = 0;
    let bestHunk: { lines: string[]; score: number; file: string } = { lines: [], score: 0, file: '' };
    for (const f of p.files) {
      for (const h of f.hunks) {
        const changed = h.lines.filter((l) => l[0] === '+' || l[0] === '-').join('\n');
        let s = 0;
        for (const fn of fns) if (new RegExp(`\\b${fn.replace(/[^\w]/g, '')}\\b`).test(changed)) s++;
        score += s;
        if (s > bestHunk.score) bestHunk = { lines: [h.header, ...h.lines], score: s, file: f.to ?? f.from ?? '' };
      }
    }
    if (score > 0 && (!best || score > best.score)) best = { p, score, hunk: bestHunk.lines, file: bestHunk.file };
  }
  if (!best) return { patch: input.coverMessageId ?? input.patches[0]?.messageId ?? null, hunk: [] };
  return { patch: best.p.messageId, hunk: best.hunk, hunkFile: best.file };
}
