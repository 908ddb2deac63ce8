// The facts as a maintainer reads them: page types with their life, then the site table. Plain text, each
// line within 100 columns except file:line lists.
import type { ChainFact, SiteFact, TreeFacts } from './facts.ts';
import type { DriverFact } from './drivers.ts';

export function renderFacts(f: TreeFacts): string {
  const out: string[] = [];
  out.push(`kconfig: ${f.kconfig}`);
  out.push('', 'Page types (read by running the tree\'s own code):');
  for (const t of f.pageTypes) {
    const init = t.init
      ? `init ${t.init.refcount}${t.init.flags.length ? ` with ${t.init.flags.join(',')}` : ''} by ${t.init.by.func}() at ${t.init.by.file}:${t.init.by.line}` +
        (t.init.steps.length ? ` (${t.init.steps.map((s) => `${s.what} at ${s.at}`).join('; ')})` : '')
      : t.zone === 'ZONE_DEVICE' ? `init unknown: ${t.initUnknown}` : 'init: the page allocator\'s';
    const free = t.free
      ? `free at ${t.free.refcount}: ${t.free.release} ends in ${t.free.event} at ${t.free.at}`
      : `free: unknown (${t.freeUnknown})`;
    out.push(`  ${t.name}${t.pgmapType ? ` (${t.pgmapType})` : ''}: ${free}; ${init}`);
    for (const d of t.drivers ?? []) out.push(`    ${renderDriver(d, t.pgmapType)}`);
    if (t.drivers && !t.drivers.length) out.push('    no driver in the tree sets up such pages with a free callback');
  }
  const types = f.pageTypes.map((t) => t.name);
  out.push('', `Speculative reference sites (${f.sites.length}), each with where its page comes from and the checks before the get:`);
  for (const s of f.sites) {
    out.push(`  ${s.func}() ${s.at}: ${s.call}() — ${s.classes.join(', ')}`);
    for (const c of s.chains) out.push(...renderChain(c, types).map((l) => `    ${l}`));
  }
  if (f.outside.length) out.push('', `Not analysed: ${f.outside.length} use(s) of the API in code this kconfig leaves out or outside any function: ${f.outside.join(' ')}`);
  out.push('', `API: ${f.api.map((a) => (a.at ? `${a.name} (${a.at})` : a.name)).join(', ')}`);
  out.push(`Limits: callers followed ${f.limits.maxClimb} levels up (sim.facts.max_climb); not searched: ${f.limits.exclude.join(' ')}`);
  out.push(`${f.stats.searches} tree searches, ${f.stats.filesParsed} files parsed, ${f.stats.ms} ms`);
  for (const n of f.notes) out.push(`note: ${n}`);
  return `${out.join('\n')}\n`;
}

/** "driver dmirror_devmem_ops: page_free dmirror_devmem_free (lib/test_hmm.c:1484), wired at ..., type set at ..." */
export function renderDriver(d: DriverFact, type?: string): string {
  const cbs = Object.entries(d.callbacks).map(([f, fn]) => `${f} ${fn}()`).join(', ');
  const typeAt = d.types.find((t) => t.type === type)?.at;
  return `driver ${d.name}: ${cbs} (${d.at.file}:${d.at.line})` +
    (d.wiredAt ? `, wired into a pgmap${d.wiredAt.func ? ` by ${d.wiredAt.func}()` : ''} at ${d.wiredAt.file}:${d.wiredAt.line}` : '') +
    (typeAt ? `, type set at ${typeAt.file}:${typeAt.line}` : d.typesUnknown ? `, taken for every type: ${d.typesUnknown}` : '') +
    (d.built === false ? ' [not built under this kconfig]' : '');
}

export function renderChain(c: ChainFact, types: string[]): string[] {
  const lines: string[] = [];
  lines.push(`${c.class}: page from ${c.source} (${c.sourceAt})${c.producer ? ` via ${c.producer}()` : ''}${c.path.length > 1 ? `, ${c.path.map((p) => p.replace(/ \(.*$/, '')).join(' > ')}` : ''}`);
  const guards = c.guards.filter(isPageCheck);
  if (guards.length) lines.push(`  checks: ${guards.map((g) => `${g.text} (${g.at})`).join('; ')}`);
  const meets = types.map((t) => `${t}: ${c.meets[t].can === true ? 'CAN MEET' : c.meets[t].can === false ? 'no' : '?'}${c.meets[t].can === false ? ` (${c.meets[t].why})` : ''}`);
  lines.push(`  ${meets.join('; ')}`);
  return lines;
}

/**
 * Whether a check is about the page: it has a definite answer on some page type's facts (PageLRU() on a
 * ZONE_DEVICE page, a zone or pgmap test), where checks of anything else (the caller's flags, a sysctl) have
 * none on any.
 */
export function isPageCheck(g: { holds: Record<string, boolean | 'unknown'> }): boolean {
  return Object.values(g.holds).some((v) => v !== 'unknown');
}

/** The answer to the seed's question for one page type: the sites that can meet it, guarded or not. */
export function sitesMeeting(f: TreeFacts, type: string): Array<{ site: SiteFact; chain: ChainFact }> {
  const out: Array<{ site: SiteFact; chain: ChainFact }> = [];
  for (const s of f.sites) for (const c of s.chains) if (c.meets[type]?.can === true) out.push({ site: s, chain: c });
  return out;
}
