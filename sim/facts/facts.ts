// What the tree says, read from its code: each page type's life and every speculative reference site with its
// guards, and which sites can meet which page types. The answer to "is there something that guarantees
// get_page_unless_zero() is never used on these pages?" for the whole tree. Pure: the tree comes in through
// a source with readFile and grepWords; the result is plain, serialisable data (cached per commit by bot/).
import { CORE_FILES, loadTreeProgram, type SimOptions, type SourceProvider, type TreeProgram } from '../run-scenario.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import { PageEval } from './page-eval.ts';
import { pageFactsOf, readPageTypes, type PageType } from './page-types.ts';
import { DEFAULT_FACTS_OPTIONS, SiteFinder, SPECULATIVE_GETS, type Chain, type FactsOptions, type FactsSource, type GuardAt, type Site, type SiteClass, type Where } from './sites.ts';
import type { FactsCache } from '../../analyzers/types.ts';
import { wordsMatcher } from '../../analyzers/mem-tree-view.ts';

export type { PageType, Site, SiteClass, Where };

/** Bumped when the facts' shape or the way they are read changes: a cached copy of another version is not used. */
export const FACTS_VERSION = 8;

export interface GuardFact {
  text: string;
  at: string;
  func: string;
  /** Per page type: whether the check holds on such a page as the facts say it is. */
  holds: Record<string, boolean | 'unknown'>;
}

export interface ChainFact {
  class: SiteClass;
  source: string;
  sourceAt: string;
  /** Outermost first: "memory_failure (mm/memory-failure.c:2100)". */
  path: string[];
  entry: { func: string; at: string; args: string[] };
  /** pfn_to_online_page: the page comes only from an online section. */
  producer?: string;
  guards: GuardFact[];
  /** Per page type: can this chain bring such a page to the get, and if not, which check (or fact) stops it. */
  meets: Record<string, { can: boolean | 'unknown'; why: string }>;
  why?: string;
}

export interface SiteFact {
  func: string;
  at: string;
  call: string;
  classes: SiteClass[];
  chains: ChainFact[];
}

export interface TreeFacts {
  version: number;
  commit?: string;
  kconfig: string;
  api: Array<{ name: string; at?: string }>;
  pageTypes: PageType[];
  sites: SiteFact[];
  /** Uses of the API in code this kconfig leaves out, or outside any function: not analysed, listed. */
  outside: string[];
  limits: { maxClimb: number; exclude: string[] };
  stats: { ms: number; searches: number; filesParsed: number; checksMs?: number; sitesMs?: number; pageTypesMs?: number };
  notes: string[];
}

const at = (w: { file: string; line: number }) => `${w.file}:${w.line}`;

export interface FactsInput {
  src: SourceProvider & Partial<FactsSource>;
  scenarios: Scenario[];
  options: SimOptions;
  /** How the kconfig was chosen, for the output. */
  kconfigSource?: string;
  commit?: string;
  tp?: TreeProgram;
}

/**
 * The facts of a tree, from the cache when this commit's were read before with the same kconfig and limits.
 * A source with no commit (an in-memory tree) is read every time.
 */
export async function treeFacts(src: SourceProvider, tp: TreeProgram, scenarios: Scenario[], options: SimOptions, cache?: FactsCache): Promise<TreeFacts> {
  const commit = (src as { commit?: string }).commit;
  const key = commit && cache ? JSON.stringify([FACTS_VERSION, commit, options.kconfig, options.facts ?? null, scenarios.map((s) => s.name)]) : null;
  if (key) {
    const hit = (await cache!.get(key)) as TreeFacts | null;
    if (hit && hit.version === FACTS_VERSION) return { ...hit, notes: [...hit.notes, `facts of ${commit!.slice(0, 12)} read from the cache`] };
  }
  const f = await readTreeFacts({ src: src as FactsInput['src'], scenarios, options, tp, commit });
  if (key) await cache!.put(key, f);
  return f;
}

export async function readTreeFacts(input: FactsInput): Promise<TreeFacts> {
  const t0 = performance.now();
  const fo: FactsOptions = input.options.facts ?? DEFAULT_FACTS_OPTIONS;
  const tp = input.tp ?? await loadTreeProgram(input.src, { ...input.options, files: CORE_FILES });
  // A source that cannot search for words at once searches for them as one expression.
  const g = input.src.grepWords?.bind(input.src);
  const src: FactsSource = g ? { readFile: (p) => input.src.readFile(p), grepWords: g }
    : { readFile: (p) => input.src.readFile(p), grepWords: async (w, paths) => { const re = wordsMatcher(w); return re ? input.src.grep(re.source, paths) : []; } };
  const finder = new SiteFinder(src, tp.program, fo);
  const timed = async <T>(p: Promise<T>, slot: 'sitesMs' | 'pageTypesMs'): Promise<T> => {
    const r = await p;
    phase[slot] = Math.round(performance.now() - t0);
    return r;
  };
  const phase: { sitesMs?: number; pageTypesMs?: number } = {};
  const [found, pageTypes] = await Promise.all([timed(finder.discover(), 'sitesMs'), timed(readPageTypes(tp, input.scenarios), 'pageTypesMs')]);
  const t1 = performance.now();
  const evals = new Map(pageTypes.map((t) => [t.name, new PageEval(tp.program, pageFactsOf(tp, t))] as const));
  // Every check is evaluated once per page type, all at once: the helpers they call are looked up in the
  // tree together (one search per level of helpers), not one search per check.
  const truths = new Map<GuardAt, Record<string, boolean | 'unknown'>>();
  for (const s of found.sites) for (const c of s.chains) for (const g of c.guards) truths.set(g, {});
  await Promise.all([...truths].flatMap(([g, holds]) => pageTypes.map(async (t) => {
    holds[t.name] = await evals.get(t.name)!.truth(g.e, g.vars, g.flow);
  })));
  const sites: SiteFact[] = found.sites.map((s) => {
    const chains = s.chains.map((c) => chainFact(c, pageTypes, truths));
    return { func: s.func, at: at(s), call: s.call, classes: [...new Set(chains.map((c) => c.class))].sort(), chains };
  });
  return {
    version: FACTS_VERSION,
    commit: input.commit,
    kconfig: input.kconfigSource ?? 'the simulated paths\' options',
    api: [...found.api].map(([name, w]) => (w.file ? { name, at: at(w) } : { name })),
    pageTypes,
    sites,
    outside: found.outside.map((o) => `${o.file}:${o.line}`),
    limits: { maxClimb: fo.maxClimb, exclude: fo.exclude },
    stats: { ms: Math.round(performance.now() - t0), searches: found.searches, filesParsed: found.files.size, checksMs: Math.round(performance.now() - t1), ...phase },
    notes: found.notes,
  };
}

function chainFact(c: Chain, types: PageType[], truths: Map<GuardAt, Record<string, boolean | 'unknown'>>): ChainFact {
  const guards: GuardFact[] = c.guards.map((g) => ({ text: g.text, at: at(g), func: g.func, holds: truths.get(g)! }));
  const meets: ChainFact['meets'] = {};
  for (const t of types) meets[t.name] = reach(c, t, guards);
  return {
    class: c.class, source: c.source, sourceAt: at(c.sourceAt),
    path: c.path.map((w) => `${w.func} (${at(w)})`),
    entry: { func: c.entry.func, at: at(c.entry), args: c.entry.args },
    ...(c.producer ? { producer: c.producer } : {}),
    guards, meets, ...(c.why ? { why: c.why } : {}),
  };
}

/** Can this chain bring a page of type `t` to its get? Its class first, then its producer, then its checks. */
function reach(c: Pick<Chain, 'class' | 'source' | 'producer' | 'why'>, t: PageType, guards: GuardFact[]): { can: boolean | 'unknown'; why: string } {
  switch (c.class) {
    case 'pfn-walker':
      if (c.producer === 'pfn_to_online_page' && !t.online) return { can: false, why: `pfn_to_online_page() finds no ${t.name} page (not in an online section)` };
      break;
    case 'mapping-walker': {
      const present = !/swap_entry|migration_entry|device_private_entry|softleaf/.test(c.source);
      if (present && !t.mappedByPresentPte) return { can: false, why: `a ${t.name} page is never mapped by a present pte (model)` };
      break;
    }
    case 'cache-lookup':
      if (!t.inPageCache) return { can: false, why: `a ${t.name} page is never in a page cache xarray as a struct page (model)` };
      break;
    default:
      return { can: 'unknown', why: `the page comes from ${c.source}${c.why ? `; ${c.why}` : ''}` };
  }
  const stop = guards.find((g) => g.holds[t.name] === false);
  if (stop) return { can: false, why: `${stop.text} is false for a ${t.name} page (${stop.at})` };
  return { can: true, why: guards.some((g) => g.holds[t.name] === 'unknown') ? 'its checks do not rule it out' : 'no check rules it out' };
}

/**
 * The facts of the tree after a series, from the facts of its base, where that is sound: the series changes
 * no header (a header can change what any file means), no file a site, its chains or the API's wrappers are in,
 * and adds no use of the API; and every page type is the same page to the checks (zone, pgmap type, flags at
 * init, online). The page types' lives are read again (that is what such a series changes); the sites are the
 * base's, and what each chain can meet follows the new page types. Null when it is not sound: read them all.
 */
export async function factsAfterSeries(base: TreeFacts, src: SourceProvider, tp: TreeProgram, scenarios: Scenario[], touched: string[]): Promise<TreeFacts | null> {
  const t0 = performance.now();
  if (!touched.length || touched.some((f) => !f.endsWith('.c'))) return null;
  const fileOf = (where: string) => where.replace(/:\d+$/, '').replace(/^.*\((.*)$/, '$1');
  const files = new Set<string>(base.api.filter((a) => a.at).map((a) => fileOf(a.at!)));
  for (const s of base.sites) {
    files.add(fileOf(s.at));
    for (const c of s.chains) {
      for (const w of [c.sourceAt, c.entry.at, ...c.path.map((p) => p.replace(/\)$/, '')), ...c.guards.map((g) => g.at)]) files.add(fileOf(w));
    }
  }
  if (touched.some((f) => files.has(f))) return null;
  const api = wordsMatcher([...base.api.map((a) => a.name), ...SPECULATIVE_GETS]);
  for (const f of touched) {
    const text = await src.readFile(f);
    if (text && api && api.test(text)) return null;
  }
  const pageTypes = await readPageTypes(tp, scenarios);
  const same = (t: PageType) => {
    const b = base.pageTypes.find((x) => x.name === t.name);
    const key = (x: PageType) => JSON.stringify([x.zone, x.pgmapType, x.online, x.init?.flags ?? null, x.initUnknown ? 'unknown' : '']);
    return b && key(b) === key(t);
  };
  if (pageTypes.length !== base.pageTypes.length || !pageTypes.every(same)) return null;
  const sites = base.sites.map((s) => ({
    ...s,
    chains: s.chains.map((c) => ({ ...c, meets: Object.fromEntries(pageTypes.map((t) => [t.name, reach(c, t, c.guards)])) })),
  }));
  return {
    ...base,
    commit: (src as { commit?: string }).commit,
    pageTypes,
    sites,
    stats: { ms: Math.round(performance.now() - t0), searches: 0, filesParsed: 0 },
    notes: [...base.notes.filter((n) => !/read from the cache/.test(n)), `sites as in the base (the series touches none of their files); page types read again`],
  };
}

/** The walkers a simulation runs for one page type: pfn walkers that can meet it, one per entry function. */
export function walkersFor(facts: TreeFacts, type: string): Array<{ entry: string; args: string[]; site: string; at: string }> {
  const out: Array<{ entry: string; args: string[]; site: string; at: string }> = [];
  const seen = new Set<string>();
  for (const s of facts.sites) {
    for (const c of s.chains) {
      if (c.class !== 'pfn-walker' || c.meets[type]?.can !== true) continue;
      if (seen.has(c.entry.func)) continue;
      seen.add(c.entry.func);
      out.push({ entry: c.entry.func, args: c.entry.args, site: s.func, at: s.at });
    }
  }
  return out;
}
