// The simulator's entry point: every scenario, on the tree before and after a series, judged.
import { assumptionsOf, instances, withDrivers, loadTreeProgram, probeScenario, releaseFrom, runInstance, scenarioPageType, type ScenarioInstance, type ScenarioRun, type SimOptions, type SourceProvider, type TreeProgram } from './run-scenario.ts';
export type { ScenarioRun };
import { judge, type Judgement } from './judge.ts';
import type { Scenario } from './scenarios/scenario.ts';
import { factsAfterSeries, treeFacts, walkersFor, type TreeFacts } from './facts/facts.ts';
import type { FactsCache } from '../analyzers/types.ts';
import { isFileScoped } from './frontend/program.ts';
import { addParseStats, type ParseStats } from './frontend/parse-cache.ts';

/** Words of the kernel's page refcount and page life code: a series that changes none has nothing to simulate. */
export const REFCOUNT_VOCABULARY =
  /\b(_refcount|_count|page_ref_\w+|folio_ref_\w+|get_page\w*|put_page\w*|folio_get|folio_put\w*|folio_try_get\w*|try_get_page|page_count|folio_ref_count|set_page_count|init_page_count|page_free|folio_free|pgmap|dev_pagemap\w*|ZONE_DEVICE|MEMORY_DEVICE_\w+|devmap\w*|free_zone_device_\w+|put_devmap_managed_\w+|is_device_private_page|is_zone_device_page|__put_page|__folio_put|page_ref_freeze|page_ref_unfreeze|zone_device_\w+)\b/;

export interface SimulateInput {
  before: SourceProvider;
  after: SourceProvider;
  scenarios: Scenario[];
  options: SimOptions;
  /** Lines the series adds or removes (without the +/-), to decide whether there is anything to check. */
  changedLines?: string[];
  /**
   * Where those lines are (the file after the series, the hunk's first line and its lines with their +/- and
   * ' '): a change inside a function that uses the refcount API is something to check whatever its own words.
   */
  hunks?: Array<{ file: string; newStart: number; lines: string[] }>;
  /** Files the series touches. */
  touched?: string[];
  /** Only the scenario (or instance) with this name. */
  only?: string;
  /** The tree before the series, already being read (loadTreeProgram with the same options and files). */
  beforeProgram?: Promise<TreeProgram>;
  /** Where the trees' facts are kept between runs (per commit). */
  cache?: FactsCache;
  /** Other threads to run some of the instances on (sim.jobs), under the same budget. */
  helpers?: SimHelpers;
  /** Only these instances (ids as SimHelpers.run is given them), judged in this order: a helper thread's part. */
  onlyIds?: string[];
}

/**
 * Runs a part of a simulation's instances elsewhere (a worker thread with its own view of the same two trees),
 * each instance named by its id, in maxMs, and answers their judgements in the order of the ids.
 */
export interface SimHelpers {
  /** How many parts can run at once besides the caller's own. */
  count: number;
  run(ids: string[], maxMs: number): Promise<Judgement[]>;
}

export interface SimulateResult {
  /** Set when the series touches no refcount code: the simulator did not run. */
  nothingToCheck?: string;
  judgements: Judgement[];
  ms: number;
  /** What each tree says: page types' life and the speculative reference sites (absent with nothingToCheck). */
  facts?: { before: TreeFacts; after: TreeFacts };
  /** Where the one budget went: reading the trees and their facts, and what was left for the runs. */
  budget?: string;
  /** The files of both trees parsed, and of them how many came from the parse cache (SimOptions.parseCache). */
  parse?: ParseStats;
}

export function touchesRefcounts(lines: string[]): boolean {
  return lines.some((l) => REFCOUNT_VOCABULARY.test(l));
}

/**
 * Whether a changed line falls inside a function whose text (its name and body, in the tree after the series)
 * uses the refcount vocabulary: `while (1);` added to put_page() says no refcount word itself. Functions are
 * found as kernel style writes them: a header at column 0, the body closed by a '}' at column 0.
 */
export async function changesRefcountFunction(after: SourceProvider, hunks: Array<{ file: string; newStart: number; lines: string[] }>): Promise<boolean> {
  const texts = new Map<string, string[] | null>();
  for (const h of hunks) {
    if (!/\.[ch]$/.test(h.file)) continue;
    if (!texts.has(h.file)) texts.set(h.file, (await after.readFile(h.file).catch(() => null))?.split('\n') ?? null);
    const lines = texts.get(h.file);
    if (!lines) continue;
    let at = h.newStart - 1;
    const changedAt: number[] = [];
    // A changed line that is only comment or blank changes no code (a comment in put_page() is no change to
    // check); the hunk's lines are read in order, from the comment state the file has where the hunk starts.
    let inComment = false;
    for (let k = 0; k < Math.min(h.newStart - 1, lines.length); k++) inComment = codeOf(lines[k]!, inComment).inComment;
    for (const l of h.lines) {
      const code = codeOf(l.slice(1), inComment);
      inComment = code.inComment;
      if ((l[0] === '+' || l[0] === '-') && code.text.trim()) changedAt.push(at);
      if (l[0] !== '-') at++;
    }
    for (const i of changedAt) {
      const fn = enclosingFunction(lines, Math.min(Math.max(i, 0), lines.length - 1));
      if (fn && REFCOUNT_VOCABULARY.test(fn)) return true;
    }
  }
  return false;
}

/** A line with its comments taken out, and whether a block comment is still open after it. */
function codeOf(line: string, inComment: boolean): { text: string; inComment: boolean } {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (inComment) {
      const end = line.indexOf('*/', i);
      if (end < 0) return { text: out, inComment: true };
      i = end + 2;
      inComment = false;
    } else if (line.startsWith('/*', i)) {
      inComment = true;
      i += 2;
    } else if (line.startsWith('//', i)) {
      break;
    } else {
      out += line[i];
      i++;
    }
  }
  return { text: out, inComment };
}

function enclosingFunction(lines: string[], i: number): string | null {
  let start = -1;
  for (let k = i; k >= 0; k--) {
    const l = lines[k]!;
    if (l.startsWith('}') && k !== i) return null;
    if (/^[A-Za-z_][\w\s\*]*\(/.test(l) && !/;\s*$/.test(l)) {
      start = k;
      break;
    }
  }
  if (start < 0) return null;
  let end = i;
  while (end < lines.length && !lines[end]!.startsWith('}')) end++;
  return lines.slice(start, end + 1).join('\n');
}

export async function simulate(input: SimulateInput): Promise<SimulateResult> {
  const t0 = performance.now();
  if (input.changedLines && !touchesRefcounts(input.changedLines) && !(await changesRefcountFunction(input.after, input.hunks ?? []))) {
    return {
      nothingToCheck: 'the series changes no page refcount or page life code',
      judgements: [],
      ms: performance.now() - t0,
    };
  }
  const opts: SimOptions = { ...input.options, files: input.touched };
  const [tb, ta] = await Promise.all([input.beforeProgram ?? loadTreeProgram(input.before, opts), loadTreeProgram(input.after, opts)]);
  // The tree after the series is read from the base's facts where the series leaves the sites alone.
  const fb = await treeFacts(input.before, tb, input.scenarios, opts, input.cache);
  const fa = (await factsAfterSeries(fb, input.after, ta, input.scenarios, input.touched ?? [])) ??
    (await treeFacts(input.after, ta, input.scenarios, opts, input.cache));
  // Instances come from the tree after the series (its walkers); the same ones run on the tree before. Those
  // that concern what the series changed run first, with a larger share of the budget (concerns()).
  const concerned = concerns(ta, fb, fa, input.touched ?? []);
  const code = await seriesCode(tb, ta, input.before, input.after, input.touched ?? []);
  const chosen = chosenInstances(ta, input.scenarios, fa, opts, input.only, code.actors)
    .map((inst, i, all) => ({ inst, i, w: concerned(inst), id: instanceId(all, i) }));
  const ids = input.onlyIds ? new Map(input.onlyIds.map((id, k) => [id, k])) : null;
  const insts = (ids ? chosen.filter((x) => ids.has(x.id)) : chosen).sort((a, b) => b.w - a.w || a.i - b.i);
  const budget = new Budget(t0, input.options.maxMs);
  const spent = performance.now() - t0;
  // Groups of instances for the other threads (input.helpers), heaviest first to the lightest-loaded; the
  // first group runs here. Each thread shares what is left of the budget between its own instances.
  const groups = partition(insts, 1 + (input.helpers?.count ?? 0));
  // (A tree's facts are cached per commit: a second review of the same base reads them in a fraction of this.)
  const budgetNote = `of the ${(input.options.maxMs / 1000).toFixed(0)} s budget (sim.max_seconds), reading the trees and their facts took ` +
    `${(spent / 1000).toFixed(1)} s; ${insts.length} run(s) shared the ${(budget.left() / 1000).toFixed(1)} s left, by weight` +
    (groups.length > 1 ? `, on ${groups.length} threads (sim.jobs; ${groups.map((g) => g.length).join(' + ')} runs)` : '');
  const elsewhere = groups.slice(1).map((g) => input.helpers!.run(g.map((x) => x.id), budget.left())
    .catch((e: Error) => g.map((x) => judge(failedRun(x.inst, e), failedRun(x.inst, e)))));
  const touchedHeader = (input.touched ?? []).some((f) => !f.endsWith('.c'));
  const local = groups[0] ?? [];
  // Each scenario's release alone (per driver), once per tree, before the budget is shared: the first instance of a
  // scenario would otherwise spend its share learning what all of them use.
  // (probeScenario keeps each (scenario, driver) probe: asking again waits for the same one.)
  for (const { inst } of local) await probeScenario(ta, inst.scenario, inst.driver);
  await readWalkers(ta, local.map((x) => x.inst));
  const judged = new Map<string, Judgement>();
  for (let i = 0; i < local.length; i++) {
    const { inst, w, id } = local[i];
    // Each instance left gets its share of what is left of the budget (by weight): none is starved by those
    // before, and none is left unrun.
    const weights = local.slice(i).reduce((n, x) => n + x.w, 0);
    const share = () => Math.max(1, (budget.left() * w) / weights);
    judged.set(id, await judgeInstance(inst, share));
  }
  const remote = await Promise.all(elsewhere);
  groups.slice(1).forEach((g, k) => g.forEach((x, n) => judged.set(x.id, remote[k][n] ?? judge(failedRun(x.inst, new Error('no answer')), failedRun(x.inst, new Error('no answer'))))));
  // In the order of the instances (the one given by onlyIds, for a helper thread's part).
  const judgements = (ids ? [...insts].sort((a, b) => ids.get(a.id)! - ids.get(b.id)!) : insts).map((x) => judged.get(x.id)!);

  async function judgeInstance(inst: ScenarioInstance, share: () => number): Promise<Judgement> {
    const opts1 = { ...opts, maxMs: share() };
    // The tree before the series matters only where the tree after it breaks something: was it already so?
    // (Or where the page is never freed after it: did it use to be?)
    const after = await safeRun(ta, inst, opts1);
    // A run that reached none of the functions the series changes (and the series changes no header and
    // nothing at file scope, which could change what any code means) is the same run on the tree before:
    // what it finds was there before.
    const same = input.touched !== undefined && !inst.series && !touchedHeader && !code.fileScope &&
      !Object.keys(after.reached).some((fn) => code.changed.has(fn));
    const before: ScenarioRun = after.status === 'violations' || after.neverFrees
      ? same
        ? { ...after, reason: 'the series changes none of the code this run reached' }
        // As long as the run after the series had, at least: a violation is new only against a base run that
        // had as much time to find it.
        : await safeRun(tb, beforeInstance(inst, code.renames, fb, scenarioPageType(tb, inst.scenario)), { ...opts, maxMs: Math.max(share(), after.stats.ms) })
      : { ...after, status: 'not-run', reason: 'nothing to compare: no violation after the series', violations: [], notes: [] };
    if (after.neverFrees && before.freeRefcount !== undefined) {
      const leak = await releaseFrom(ta, inst, opts, before.freeRefcount);
      if (leak && !leak.frees) {
        const message = `after the series the owner's ${inst.scenario.release.replace(/;\s*$/, '')} no longer frees the page: ` +
          `${leak.why.replace(/^the release /, 'it ')}, where before the series the page was freed at refcount ${before.freeRefcount}`;
        return judge(before, { ...after, status: 'violations', violations: [{ category: 'page-leak', message, trace: leak.trace, assumptions: assumptionsOf(leak.trace) }] });
      }
    }
    return judge(before, after);
  }
  const parse = addParseStats(tb.program.parseStats, ta.program.parseStats);
  return { judgements, ms: performance.now() - t0, facts: { before: fb, after: fa }, budget: budgetNote, parse };
}

/** What the series does to the functions of the files it touches, by their text before and after. */
interface SeriesCode {
  /** Functions whose text the series changes, adds or removes. */
  changed: Set<string>;
  /** Functions it only renames, new name → old name: the same code, so a run entering one is matched by it. */
  renames: Map<string, string>;
  /** Whether it changes anything outside the functions of a file (a global, a macro, a declaration). */
  fileScope: boolean;
  /**
   * The functions it adds (the tree before had no such function) that take a page or folio, name the page
   * refcount or page life API, and that nothing in the tree calls yet (a new helper for callers to come): the
   * series' own code, run as actors. The others run where their callers run.
   */
  actors: string[];
}

async function seriesCode(tb: TreeProgram, ta: TreeProgram, before: SourceProvider, after: SourceProvider, touched: string[]): Promise<SeriesCode> {
  const changed = new Set<string>();
  const added: string[] = [];
  const renames = new Map<string, string>();
  let fileScope = false;
  for (const file of touched.filter((f) => /\.[ch]$/.test(f))) {
    const [textA, textB] = await Promise.all([after.readFile(file), before.readFile(file)]);
    const linesA = textA?.split('\n') ?? [];
    const linesB = textB?.split('\n') ?? [];
    const body = (lines: string[], f: { line: number; endLine: number }) => lines.slice(f.line - 1, f.endLine).join('\n');
    const old = textB ? await tb.program.functionsIn(file) : [];
    const now = textA ? await ta.program.functionsIn(file) : [];
    // The file with its functions' bodies taken out: what is left is its file scope (comments, blank lines
    // and EXPORT_SYMBOL()s, which change no code, left out too).
    const outside = (lines: string[], fns: Array<{ line: number; endLine: number }>) =>
      lines.filter((l, i) => !fns.some((f) => i + 1 >= f.line && i + 1 <= f.endLine) &&
        !/^\s*(\/\*.*|\*.*|\/\/.*|EXPORT_SYMBOL\w*\(\w+\);)?\s*$/.test(l)).join('\n');
    if (outside(linesA, now) !== outside(linesB, old)) fileScope = true;
    const removed = old.filter((f) => !now.some((x) => x.name === f.name));
    // Functions by id (CProgram.functionId), as runs name what they reached.
    for (const f of removed) changed.add(await tb.program.functionId(f));
    for (const f of now) {
      const text = body(linesA, f);
      const was = old.find((x) => x.name === f.name);
      if (was && body(linesB, was) === text) continue;
      const id = await ta.program.functionId(f);
      changed.add(id);
      // A function whose code is one the series removed, under another name: a rename, matched by what it
      // does, so its runs compare with the old name's.
      const same = removed.find((r) => body(linesB, r).replace(new RegExp(`\\b${r.name}\\b`, 'g'), f.name) === text);
      if (!was && same) {
        renames.set(id, await tb.program.functionId(same));
        continue;
      }
      // Functions the tree had before are run by the tree's own callers and walkers already (the owner's
      // put, the driver's free); a new one may have no caller yet. A static is new to its file's code
      // whatever other files define.
      if (was || (!isFileScoped(f) && (await tb.program.resolveFunction(f.name, file)))) continue;
      // It is handed the page: a function with no page or folio parameter does not work on one it is given.
      const takesPage = f.params.some((p) => /struct\s+(page|folio)\s*\*/.test(p.type));
      if (takesPage && REFCOUNT_VOCABULARY.test(text) && !added.includes(id)) added.push(id);
    }
  }
  // One the series (or the tree) already calls is entered through its callers, by the actors that run them;
  // one nothing calls yet is entered by an actor of its own.
  const callers = await Promise.all(added.map((fn) => ta.program.callersOf(fn)));
  return { changed, renames, fileScope, actors: added.filter((fn, i) => callers[i].every((c) => c.caller === fn)) };
}

/**
 * The instance as the tree before the series runs it: a walker the series renamed, under its old name; the
 * page's driver as that tree has it (none where the series adds the driver).
 */
function beforeInstance(inst: ScenarioInstance, renames: Map<string, string>, fb: TreeFacts, type: string | undefined): ScenarioInstance {
  const old = inst.walker && renames.get(inst.walker);
  const driver = inst.driver && fb.pageTypes.find((t) => t.name === type)?.drivers?.find((d) => d.name === inst.driver!.name && d.at.file === inst.driver!.at.file);
  const mix = inst.mix?.map((w) => ({ ...w, walker: renames.get(w.walker) ?? w.walker }));
  return {
    ...inst, ...(old ? { walker: old } : {}), driver: driver || undefined,
    ...(mix ? { mix, walker: mix.map((w) => w.walker).join('+') } : {}),
  };
}

/**
 * How much an instance concerns what the series changed, as its weight in the budget (the others: 1): the
 * series' own code, or a walker that can meet a page type only after the series (a check it took away, a page
 * type it made), 8; a page type whose life the series changes (the count it is initialised or freed at), or a
 * page of a driver whose file the series touches, 4; a walker whose speculative reference is in a file the
 * series touches, 2.
 */
function concerns(ta: TreeProgram, fb: TreeFacts, fa: TreeFacts, touched: string[]): (inst: ScenarioInstance) => number {
  const life = (f: TreeFacts, type: string) => {
    const t = f.pageTypes.find((x) => x.name === type);
    return JSON.stringify([t?.init?.refcount, t?.free?.refcount, t?.free?.event]);
  };
  const meets = (f: TreeFacts, entry: string, type: string) =>
    f.sites.some((s) => s.chains.some((c) => c.entry.func === entry && c.class === 'pfn-walker' && c.meets[type]?.can === true));
  const weight = (inst: ScenarioInstance): number => {
    if (inst.series) return 8;
    // Different walkers in one run: half as much as the walker of theirs that concerns the series most. Each of
    // them has its own run first; what only their meeting shows comes after, in a smaller share.
    if (inst.mix) return Math.max(...inst.mix.map((w) => weight({ ...inst, mix: undefined, walker: w.walker, site: w.site }))) / 2;
    const type = scenarioPageType(ta, inst.scenario);
    if (type && inst.walker && meets(fa, inst.walker, type) && !meets(fb, inst.walker, type)) return 8;
    if (type && life(fb, type) !== life(fa, type)) return 4;
    if (inst.driver && touched.includes(inst.driver.at.file)) return 4;
    const file = /\(([^:()]+):\d+\)$/.exec(inst.site ?? '')?.[1];
    return file && touched.includes(file) ? 2 : 1;
  };
  return weight;
}

/** The same, on one tree only (`kbot sim`): no differential. */
export async function simulateTree(tree: SourceProvider, scenarios: Scenario[], options: SimOptions, only?: string, cache?: FactsCache): Promise<{ runs: ScenarioRun[]; facts: TreeFacts; parse: ParseStats }> {
  const t0 = performance.now();
  const tp = await loadTreeProgram(tree, options);
  const facts = await treeFacts(tree, tp, scenarios, options, cache);
  const insts = chosenInstances(tp, scenarios, facts, options, only);
  await readWalkers(tp, insts);
  const out: ScenarioRun[] = [];
  const budget = new Budget(t0, options.maxMs);
  for (let i = 0; i < insts.length; i++) {
    out.push(await safeRun(tp, insts[i], { ...options, maxMs: Math.max(1, budget.left() / (insts.length - i)) }));
  }
  return { runs: out, facts, parse: { ...tp.program.parseStats } };
}

/**
 * Every walker the instances run, found and read before the budget is shared: the first run of a walker would
 * otherwise spend its share reading the file its walker is in. One after the other, in the instances' order:
 * what a file's parse sees (the macros of the headers read before it) must not depend on which read came
 * back first.
 */
async function readWalkers(tp: TreeProgram, insts: ScenarioInstance[]): Promise<void> {
  const names = new Set(insts.flatMap((i) => (i.mix ? i.mix.map((w) => w.walker) : i.walker ? [i.walker] : [])));
  for (const w of names) await tp.program.resolveFunction(w).catch(() => null);
}

/**
 * The time budget (sim.max_seconds) is for the whole simulation, not for each scenario: each instance gets an
 * equal share of what is left, so none is left unrun, and one that runs out says how far it got.
 */
class Budget {
  constructor(private t0: number, private ms: number) {}

  left(): number {
    return Math.max(0, this.ms - (performance.now() - this.t0));
  }
}

/** One scenario's failure is that scenario's result, never the whole simulation's. */
async function safeRun(tp: Awaited<ReturnType<typeof loadTreeProgram>>, inst: ScenarioInstance, opts: SimOptions): Promise<ScenarioRun> {
  try {
    return await runInstance(tp, inst, opts);
  } catch (e) {
    return failedRun(inst, e as Error);
  }
}

function failedRun(inst: ScenarioInstance, e: Error): ScenarioRun {
  return {
    name: inst.name, scenario: inst.scenario.name, walker: inst.walker, status: 'unmodelled',
    reason: `simulator error: ${e.message}`, stats: { states: 0, transitions: 0, ms: 0, complete: false },
    violations: [], notes: [], reached: {},
  };
}

/** An instance's name, with "#k" for the k-th of the same name after the first: the same on every thread. */
function instanceId(all: ScenarioInstance[], i: number): string {
  const k = all.slice(0, i).filter((x) => x.name === all[i].name).length;
  return k ? `${all[i].name}#${k}` : all[i].name;
}

/**
 * The instances, heaviest first, into n groups of about the same weight (each to the lightest so far), each
 * in the order given.
 */
function partition<T extends { w: number }>(items: T[], n: number): T[][] {
  const groups: T[][] = Array.from({ length: Math.max(1, n) }, () => []);
  const load = groups.map(() => 0);
  for (const x of items) {
    const k = load.indexOf(Math.min(...load));
    groups[k].push(x);
    load[k] += x.w;
  }
  return groups.filter((g, k) => k === 0 || g.length);
}

/**
 * The instances to run: all, those of one scenario, or one instance named "scenario[walker]" (once per driver
 * of its page type) or "scenario[walker]@driver" — which needs no search for the tree's other walkers.
 */
function chosenInstances(tp: TreeProgram, scenarios: Scenario[], facts: TreeFacts, opts: SimOptions, only?: string, seriesFns: string[] = []): ScenarioInstance[] {
  const one = only ? /^(.+)\[(.+)\](?:@(\w[\w.>-]*))?$/.exec(only) : null;
  if (one) {
    const sc = scenarios.find((x) => x.name === one[1]);
    if (!sc) return [];
    const name = `${one[1]}[${one[2]}]`;
    if (sc.actors.some((a) => a.series)) return [{ scenario: sc, name, series: one[2] }];
    const type = scenarioPageType(tp, sc);
    // "a+b": those walkers racing each other, with the arguments the facts give them.
    const names = one[2].split('+');
    const known = type ? walkersFor(facts, type) : [];
    const mix = names.length > 1
      ? { mix: names.map((w) => { const f = known.find((k) => k.entry === w); return { walker: w, ...(f ? { args: f.args, site: `${f.site} (${f.at})` } : {}) }; }) }
      : {};
    return withDrivers(facts, type, { scenario: sc, name, walker: one[2] === 'generic' ? undefined : one[2], ...mix }, one[3]);
  }
  const all = instances(tp, scenarios, facts, seriesFns, opts.mixedWalkers ?? 0);
  return only ? all.filter((i) => i.scenario.name === only || i.name === only) : all;
}
