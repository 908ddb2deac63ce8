// The refcount-sim analyzer: runs sim/ on the tree before and after the series and turns what the series
// introduces into findings, each with the interleaving that shows it.
import type { Analyzer, AnalyzerInput, AnalyzerResult, Finding, PatchInput, SiteVerdict, TraceStep, TreeView } from './types.ts';
import { simulate, touchesRefcounts } from '../sim/simulate.ts';
import { loadTreeProgram, type TreeProgram } from '../sim/run-scenario.ts';
import type { Scenario } from '../sim/scenarios/scenario.ts';
import type { SimOptions } from '../sim/run-scenario.ts';
import type { Judgement } from '../sim/judge.ts';
import type { TreeFacts, PageType } from '../sim/facts/facts.ts';
import { isPageCheck, sitesMeeting } from '../sim/facts/render-facts.ts';
import { parseNote } from '../sim/frontend/parse-cache.ts';

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
      const lines = changedLines(input.patches);
      const hunks = input.patches.flatMap((p) => p.files.flatMap((f) => (f.to ? f.hunks.map((h) => ({ file: f.to!, newStart: h.newStart, lines: h.lines })) : [])));
      const threads = input.threads;
      const res = await simulate({
        before: input.before, after: input.after, scenarios: opts.scenarios, options: opts.sim,
        changedLines: lines, touched: touchedFiles(input.patches), beforeProgram: early.get(input.before), hunks, cache: input.cache,
        // Parts of the instances on the other threads, each with what is left of the budget when it starts.
        ...(threads && threads.count > 0 ? {
          helpers: {
            count: threads.count,
            run: (ids: string[], maxMs: number) => threads.simulate({ scenarios: opts.scenarios, options: { ...opts.sim, maxMs }, changedLines: lines, hunks, onlyIds: ids }),
          },
        } : {}),
      });
      if (res.nothingToCheck) {
        return {
          findings: [], notes: [`refcount-sim: nothing to check: ${res.nothingToCheck} (${res.ms.toFixed(0)} ms)`],
          coverage: { analyzer: 'refcount-sim', status: 'skipped', checked: `nothing to check: ${res.nothingToCheck}`, findings: 0 },
        };
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
            const intent = opts.scenarios.find((sc) => sc.name === j.after.scenario)?.intent;
            // For a finding no real walker showed: the tree's walker runs of the scenario that did not finish,
            // so "no walker was seen doing this" is not claimed of runs that stopped early.
            const unfinished = j.after.walker ? [] : res.judgements
              .filter((x) => x.after.scenario === j.after.scenario && x.after.walker && (x.result === 'incomplete' || x.result === 'unmodelled'))
              .map((x) => x.name);
            const f = { ...toFinding(j, v.category, v.message, v.trace, input, intent, unfinished), run: runOf(input, opts.sim) };
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
      if (res.budget) notes.push(`refcount-sim: ${res.budget}`);
      if (res.parse) {
        notes.push(`refcount-sim: the trees before and after the series: ${parseNote(res.parse)}`);
      }
      if (notRun.length) {
        notes.push(`refcount-sim: ${notRun.length} scenario run(s) not done within the time budget (sim.max_seconds): ${notRun.join(', ')}`);
      }
      if (res.facts) {
        // A page type whose free pages sit at refcount 0 keeps the refcount API's promise (a speculative get
        // fails on it): its life is said in the notes, not mailed. One free or idle at another count is a finding.
        for (const f of lifeChanges(res.facts.before, res.facts.after, input)) {
          if (/free at refcount 0\b/.test(f.title) && !/idle/.test(f.title)) notes.push(`refcount-sim: ${f.title}. ${f.detail}`);
          else findings.push(f);
        }
        const f = res.facts.after;
        notes.push(`refcount-sim: the tree after the series has ${f.sites.length} speculative reference sites; ` +
          `page types: ${f.pageTypes.map((t) => `${t.name} ${t.free ? `free at ${t.free.refcount}` : 'free ?'}`).join(', ')} (facts: ${f.stats.ms} ms)`);
        if (f.outside.length) notes.push(`refcount-sim: ${f.outside.length} use(s) of the speculative-get API are in code the kconfig leaves out, not analysed: ${f.outside.slice(0, 6).join(' ')}${f.outside.length > 6 ? ' ...' : ''}`);
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
      const checked = `${ran.length} scenario run(s) before and after the series, ${states} states after` +
        `${res.facts ? `; ${res.facts.after.sites.length} speculative reference sites and ${res.facts.after.pageTypes.length} page types read from the tree` : ''}` +
        `${notRun.length ? `; ${notRun.length} run(s) not done within sim.max_seconds` : ''}`;
      const coverage = { analyzer: 'refcount-sim', status: 'ran' as const, checked, findings: findings.length, ...(notRun.length ? { limits: [`sim.max_seconds: ${notRun.join(', ')} not run`] } : {}) };
      return { findings, notes, coverage };
    },
  };
}

/**
 * A series that changes a page type's life (the count at which it is free or idle, or the count its init
 * leaves) gets the life before and after, and every site of the tree that can meet such a page: the answer to
 * "is there something that guarantees get_page_unless_zero() is never used on these pages?", whether or not an
 * interleaving breaks.
 */
function lifeChanges(before: TreeFacts, after: TreeFacts, input: AnalyzerInput): Finding[] {
  const out: Finding[] = [];
  for (const t of after.pageTypes) {
    const b = before.pageTypes.find((x) => x.name === t.name);
    const lifeOf = (x: PageType | undefined) => ({ free: x?.free?.refcount, init: x?.init?.refcount });
    const lb = lifeOf(b);
    const la = lifeOf(t);
    if (b && lb.free === la.free && lb.init === la.init) continue;
    if (la.free === undefined && la.init === undefined) continue;
    const what: string[] = [];
    // A page type the series brings in is a change of life too: from none to this one.
    if (!b) what.push(`new, free at refcount ${la.free ?? 'unknown'}${la.init !== undefined ? `, initialised at ${la.init}` : ''}`);
    else {
      if (lb.free !== la.free) what.push(`free at refcount ${la.free ?? 'unknown'} (was ${lb.free ?? 'unknown'})`);
      if (lb.init !== la.init) what.push(`initialised at refcount ${la.init ?? 'unknown'} (was ${lb.init ?? 'unknown'})`);
    }
    const meeting = sitesMeeting(after, t.name);
    const ruledOut = after.sites.flatMap((s) => s.chains.filter((c) => c.meets[t.name]?.can === false).map((c) => ({ s, c })));
    const unguarded = meeting.filter(({ chain }) => !chain.guards.some(isPageCheck));
    const lines = [
      `After this series ${t.name} pages are ${what.join(', ')}.`,
      `Before: ${b ? describeLife(b) : `the tree has no ${t.pgmapType ?? t.name} pages`}. After: ${describeLife(t)}.`,
      meeting.length
        ? `Speculative reference sites that can meet such a page (${meeting.length}): ${meeting.slice(0, 12).map(({ site, chain }) =>
          `${site.func}() at ${site.at} (${chain.class}${chain.path.length > 1 ? ` from ${chain.path[0].replace(/ \(.*$/, '')}()` : ''}; ` +
          `${chain.guards.length ? `checks ${chain.guards.filter((g) => g.holds[t.name] !== true).slice(-3).map((g) => `${g.text} (${g.at})`).join(', ') || 'nothing that can fail on it'}` : 'no check before the get'})`).join('; ')}${meeting.length > 12 ? `; and ${meeting.length - 12} more` : ''}.`
        : `No speculative reference site of the tree can meet such a page.`,
      ruledOut.length ? `Ruled out for this page type (${ruledOut.length}): ${summarizeWhy(ruledOut.map(({ c }) => c.meets[t.name].why))}.` : '',
      unguarded.length ? `Unguarded: ${[...new Set(unguarded.map(({ site }) => `${site.func}()`))].join(', ')} check nothing about the page's type before the get.` : '',
    ].filter(Boolean);
    // The patch it belongs to: the one whose changes the free event's call chain (or the init's) runs through.
    const fns = new Set<string>();
    for (const text of [t.free?.event ?? '', ...(t.init?.steps ?? []).map((st) => st.what)]) {
      for (const w of text.split(/[^A-Za-z0-9_]+/)) if (/^[A-Za-z_]\w{2,}$/.test(w) && w !== 'page') fns.add(w);
    }
    // Better still, the patch whose hunk holds the line where the page is now freed (or idle).
    const { patch, hunk, hunkFile } = hunkAt(input, t.free?.at) ?? attribute(input, fns);
    const sites: SiteVerdict[] = [
      ...meeting.map(({ site }): SiteVerdict => ({ at: site.at, func: site.func })),
      ...ruledOut.map(({ s, c }): SiteVerdict => {
        const guard = c.guards.find((g) => g.holds[t.name] === false);
        return guard ? { at: s.at, func: s.func, guardedBy: guard.text } : { at: s.at, func: s.func, ruledOut: c.meets[t.name].why };
      }),
    ].filter((x, i, all) => all.findIndex((y) => y.at === x.at && y.guardedBy === x.guardedBy && y.ruledOut === x.ruledOut) === i);
    out.push({
      message: lines.slice(0, 2).join(' '), sites,
      analyzer: 'refcount-sim', category: 'page-life-change', severity: unguarded.length || meeting.length ? 'warning' : 'info', confidence: 'high',
      title: `${t.name} pages are now ${what.join(', ')}; ${meeting.length} speculative reference site(s) can meet them`,
      detail: lines.join(' '), patch, files: [...new Set(meeting.map(({ site }) => site.at.replace(/:\d+$/, '')))], hunk, hunkFile,
      callSites: meeting.map(({ site }) => site.at), scenario: `facts:${t.name}`,
    });
  }
  return out;
}

/** The patch and hunk whose new side holds `at` ("file:line"), if the series changed that line. */
function hunkAt(input: AnalyzerInput, at?: string): { patch: string; hunk: string[]; hunkFile: string } | null {
  const m = at ? /^(.+):(\d+)$/.exec(at) : null;
  if (!m) return null;
  const line = Number(m[2]);
  // The line is numbered as in the tree after the whole series: the last patch that touches the file numbers
  // its hunks the same way, so the patches are asked last first.
  for (const p of [...input.patches].reverse()) {
    for (const f of p.files) {
      if (f.to !== m[1]) continue;
      for (const h of f.hunks) {
        const span = h.lines.filter((l) => l[0] !== '-').length;
        if (line >= h.newStart && line < h.newStart + span) return { patch: p.messageId, hunk: [h.header, ...h.lines], hunkFile: f.to };
      }
      return null;
    }
  }
  return null;
}

function describeLife(t: PageType): string {
  const free = t.free ? `free at ${t.free.refcount} (${t.free.release} ends in ${t.free.event} at ${t.free.at})` : `free at an unknown count (${t.freeUnknown})`;
  const init = t.init ? `initialised at ${t.init.refcount} by ${t.init.by.func}() at ${t.init.by.file}:${t.init.by.line}` : '';
  return [free, init].filter(Boolean).join(', ');
}

function summarizeWhy(whys: string[]): string {
  const count = new Map<string, number>();
  for (const w of whys) count.set(w, (count.get(w) ?? 0) + 1);
  return [...count].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([w, n]) => `${n} by ${w}`).join('; ');
}

/**
 * The walkers a violation is about: the run's walker, or in a run of several different walkers, those whose
 * steps are in the interleaving (one alone is that walker's finding, found again).
 */
function walkersIn(j: Judgement, trace: TraceStep[]): string[] {
  if (!j.after.walker) return [];
  const stepped = [...new Set(trace.map((t) => t.walker).filter((w): w is string => !!w))];
  return stepped.length ? stepped : j.after.walker.split('+');
}

function toFinding(j: Judgement, category: string, message: string, trace: TraceStep[], input: AnalyzerInput, intent?: string, unfinished: string[] = []): Finding {
  const walkers = walkersIn(j, trace);
  const walker = walkers.length ? walkers.join('+') : undefined;
  const fns = new Set<string>();
  for (const t of trace) {
    fns.add(t.func);
    for (const v of t.via ?? []) fns.add(v.replace(/ \(.*$/, ''));
  }
  const { patch, hunk, hunkFile } = attribute(input, fns);
  const who = walkers.length > 1 ? walkers.map((w) => `${w}()`).join(' and ') : walker ? `${walker}()` : 'any lockless get_page_unless_zero() user';
  // Several walkers racing each other: "a() and b() race", not "races".
  const verb = (one: string, many: string) => (walkers.length > 1 ? many : one);
  const title =
    category === 'speculative-get-on-free-page'
      // Of several walkers, the one whose step took the reference (the interleaving's last walker step).
      ? walkers.length > 1
        ? (() => {
          const getter = [...trace].reverse().find((t) => t.walker)?.walker ?? walkers[0];
          return `${getter}() can take a reference on a free page, racing ${walkers.filter((w) => w !== getter).map((w) => `${w}()`).join(' and ')}`;
        })()
        : `${who} can take a reference on a free page`
    : category === 'double-free' ? `the page can be freed twice when ${who} ${verb('races', 'race')} the final put`
    : category === 'use-after-free' ? `the page can be reused while ${who} still ${verb('holds', 'hold')} a reference`
    : category === 'page-leak' ? `the page can be left allocated with no reference (leak)`
    : category === 'refcount-underflow' ? `the page refcount can underflow when ${who} ${verb('races', 'race')} the final put`
    : category === 'assertion' ? `${message.replace(/ fires at .*$/, '')} can fire when ${who} ${verb('races', 'race')} the final put`
    : `${category}: ${message}`;
  const guardsOf = (w: string) => walkerChecks(walkers.length > 1 ? trace.filter((t) => t.actor !== 'walker' || t.walker === w) : trace);
  const lines = [
    `${message}.`,
    `Scenario ${j.after.scenario}: ${j.after.freeRefcount !== undefined ? `after the series the tree frees the page when its refcount reaches ${j.after.freeRefcount} (found by running its own release path)` : ''}` +
      `${j.before.freeRefcount !== undefined && j.before.freeRefcount !== j.after.freeRefcount ? `; before the series it did so at ${j.before.freeRefcount}` : ''}.`,
    `Before the series: ${j.baseline}.`,
  ];
  if (category === 'page-leak') {
    // About the owner's release alone: no walker is involved.
  } else if (walkers.length) {
    for (const w of walkers) {
      const guards = guardsOf(w);
      lines.push(guards.length ? `What ${w}() checks before its get: ${guards.join(', ')}; none of it keeps the walker off this page.` : `${w}() checks nothing about the page before its get.`);
    }
  } else {
    const cut = unfinished.length
      ? ` (${unfinished.length} of their runs stopped before exploring everything, so for those this is not known: ` +
        `${unfinished.slice(0, 4).join(', ')}${unfinished.length > 4 ? ` and ${unfinished.length - 4} more` : ''})`
      : '';
    lines.push(
      `None of the tree's pfn walkers that can meet this page was seen doing this${cut} (see the sites listed with the ` +
        'page-life finding), but nothing in the refcount API stops a new one: callers of get_page_unless_zero() and ' +
        'folio_try_get() rely on a free page being at refcount 0.',
    );
  }
  // The same for every finding of this instance, said once in a reply: what ran, and what the walker checks.
  const freeAt = j.after.freeRefcount !== undefined
    ? `After the series the tree frees the page when its refcount reaches ${j.after.freeRefcount} (kbot found this by running the tree's own release path)` +
      `${j.before.freeRefcount !== undefined && j.before.freeRefcount !== j.after.freeRefcount ? `; before the series it did so at ${j.before.freeRefcount}` : ''}.`
    : '';
  const context = [
    ...(intent ? [`What kbot ran: ${intent}${walkers.length > 1 ? `, with ${walkers.map((w) => `${w}()`).join(' and ')} as walkers, racing each other` : walker ? `, with ${walker}() as the walker` : ''}.`] : []),
    freeAt,
    ...lines.slice(2),
  ].filter(Boolean).join(' ');
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
    // An interleaving of the tree's own code; one with a hypothetical walker says less.
    confidence: walker ? 'high' : 'medium',
    title,
    detail: lines.join(' '),
    patch,
    files: [...new Set(trace.map((t) => t.file).filter((f) => !f.startsWith('<')))],
    hunk,
    hunkFile,
    callSites,
    trace,
    scenario: j.name,
    message: `${message}.`,
    context,
  };
}

function runOf(input: AnalyzerInput, sim: SimOptions): NonNullable<Finding['run']> {
  return { rev: input.after.commit, walkers: sim.walkers, maxStates: sim.maxStates, maxSeconds: sim.maxMs / 1000 };
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
