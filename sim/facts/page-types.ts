// Each page type's life, read by running the tree's own code: the refcount and flags its memmap init leaves on
// a ZONE_DEVICE page of each pgmap type, and the count at which the owner's final put frees it (or declares it
// idle), with the file:line of the step that did it.
import type { FunctionDef } from '../frontend/ast.ts';
import type { TreeProgram } from '../run-scenario.ts';
import { ZONE_FALLBACK } from '../model/builtins.ts';
import { PageEval, type PageFacts } from './page-eval.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import { paramRoles } from './flow.ts';
import type { Where } from './sites.ts';
import { driversOfType, readDrivers, type DriverFact } from './drivers.ts';

export interface LifeStep {
  what: string;
  at: string;
}

export interface PageType {
  /** "device-private", "fsdax" ..., from the tree's enum constant, or "normal". */
  name: string;
  /** The enum constant (MEMORY_DEVICE_PRIVATE), for ZONE_DEVICE types. */
  pgmapType?: string;
  zone: 'ZONE_DEVICE' | 'ZONE_NORMAL';
  /** Whether pfn_to_online_page() finds such a page. */
  online: boolean;
  /** What the memmap init leaves: refcount and flags, with the steps that set them. */
  init?: { refcount: number; flags: string[]; by: Where; steps: LifeStep[] };
  /** Why the init could not be read (no init found, or it could not be run). */
  initUnknown?: string;
  /** The count at which the owner's final put frees the page (or makes it idle), from a scenario's release. */
  free?: { refcount: number; event: string; at: string; scenario: string; release: string };
  freeUnknown?: string;
  /**
   * What the model assumes of where such pages can be found, named in every answer that rests on it: device-
   * private memory is mapped only through device-private swap entries (never a present pte), and no ZONE_DEVICE
   * page sits in the page cache's xarray as a struct page (fsdax keeps DAX entries there).
   */
  mappedByPresentPte: boolean;
  inPageCache: boolean;
  /**
   * The drivers that set up pgmaps of this type, each with the callbacks its pages get (ZONE_DEVICE types):
   * a page belongs to one of them, and the simulation runs each (driver, pgmap) pair as its own page.
   */
  drivers?: DriverFact[];
}

/** "MEMORY_DEVICE_FS_DAX" → "fsdax"; "MEMORY_DEVICE_PCI_P2PDMA" → "p2pdma". */
export function typeName(constant: string): string {
  return constant.replace(/^MEMORY_DEVICE_/, '').toLowerCase().replace(/^pci_/, '').replace(/^fs_dax$/, 'fsdax').replace(/_/g, '-')
    .replace(/^(private|coherent|public)$/, 'device-$1');
}

/** The function that ties a struct page to its pgmap: the memmap init of ZONE_DEVICE pages. */
async function memmapInit(tp: TreeProgram): Promise<FunctionDef | null> {
  for (const init of await tp.program.findInitializers('pgmap')) {
    if (!init.structType || !/struct\s+page\b/.test(init.structType)) continue;
    const fn = (await tp.program.functionsIn(init.file)).find((f) => f.line <= init.line && init.line <= f.endLine);
    if (fn) return fn;
  }
  return null;
}

/** The init's arguments, by what each parameter is: the page, its pgmap, the pfn range over the page. */
function initArgs(fn: FunctionDef): Array<'page' | 'pgmap' | 'pfn' | 'end' | number | undefined> {
  return paramRoles(fn).map((r) => (r === 'count' ? 1 : r === 'pointer' || r === 'other' ? undefined : r));
}

/**
 * What a check sees of a page of type `t` (its zone, pgmap type, flags, section), as far as its facts go: a
 * ZONE_DEVICE page has the flags its init leaves; an ordinary page's flags vary (null).
 */
export function pageFactsOf(tp: TreeProgram, t: Pick<PageType, 'zone' | 'pgmapType' | 'online' | 'init'>): PageFacts {
  const zoneDevice = tp.program.enumValue('ZONE_DEVICE') ?? ZONE_FALLBACK.ZONE_DEVICE;
  const device = t.zone === 'ZONE_DEVICE';
  return {
    zone: device ? zoneDevice : tp.program.enumValue('ZONE_NORMAL') ?? ZONE_FALLBACK.ZONE_NORMAL, zoneDevice,
    pgmapType: t.pgmapType ? tp.program.enumValue(t.pgmapType) : undefined,
    flags: device ? new Set(t.init?.flags ?? []) : null,
    online: t.online,
  };
}

/**
 * What the memmap init leaves on a ZONE_DEVICE page of type `t`, run on the tree's code from zeroed memory:
 * its refcount and flags, with the steps that set them; or why it cannot be told.
 */
async function runInit(tp: TreeProgram, init: FunctionDef | null, t: Pick<PageType, 'zone' | 'pgmapType' | 'online'>): Promise<NonNullable<PageType['init']> | { unknown: string }> {
  if (!init) return { unknown: 'no function in the tree stores a pgmap into a struct page (the memmap init of ZONE_DEVICE pages)' };
  const ev = new PageEval(tp.program, pageFactsOf(tp, { ...t, init: undefined }));
  // The struct page is zeroed memory before its init runs.
  const fx = await ev.run(init, initArgs(init), 0);
  if (fx.refcount === 'unknown') return { unknown: `${init.name}() at ${init.file}:${init.line}: the count it leaves is unknown (${fx.why})` };
  return { refcount: fx.refcount, flags: [...fx.flags].sort(), by: { func: init.name, file: init.file, line: init.line }, steps: fx.steps };
}

/** The memmap init's result for pages of pgmap type `constant` (MEMORY_DEVICE_PRIVATE), as the facts read it. */
export async function initOfType(tp: TreeProgram, constant: string): Promise<NonNullable<PageType['init']> | { unknown: string }> {
  return runInit(tp, await memmapInit(tp), { zone: 'ZONE_DEVICE', pgmapType: constant, online: false });
}

export async function readPageTypes(tp: TreeProgram, scenarios: Scenario[]): Promise<PageType[]> {
  const out: PageType[] = [];
  const init = await memmapInit(tp);
  const drivers = await readDrivers(tp.program, [...new Set(scenarios.flatMap((s) => s.callbackFields))].sort());
  for (const { name: constant } of tp.program.enumsStartingWith('MEMORY_DEVICE_')) {
    const t: PageType = {
      name: typeName(constant), pgmapType: constant, zone: 'ZONE_DEVICE', online: false,
      mappedByPresentPte: constant !== 'MEMORY_DEVICE_PRIVATE', inPageCache: false,
      drivers: driversOfType(drivers, constant),
    };
    const r = await runInit(tp, init, t);
    if ('unknown' in r) t.initUnknown = r.unknown;
    else t.init = r;
    const sc = scenarios.find((s) => [s.pages[0].pgmap?.type ?? []].flat().includes(constant));
    await addFree(tp, t, sc, pageFactsOf(tp, t));
    out.push(t);
  }
  const normal: PageType = { name: 'normal', zone: 'ZONE_NORMAL', online: true, mappedByPresentPte: true, inPageCache: true };
  await addFree(tp, normal, scenarios.find((s) => !s.pages[0].pgmap && s.pages[0].zone !== 'ZONE_DEVICE' && !/migrate/.test(s.release)), pageFactsOf(tp, normal));
  out.push(normal);
  return out;
}

/**
 * The owner's final put, run on the tree's own code from the count a page has once handed out (one more than
 * its init leaves; 1 for a page from the page allocator): the count at its free event (the pgmap's free
 * callback, the page allocator, or the wake-up that declares an fsdax page idle) and where that happens.
 */
async function addFree(tp: TreeProgram, t: PageType, sc: Scenario | undefined, facts: PageFacts): Promise<void> {
  if (!sc) {
    t.freeUnknown = 'no scenario models the release of this page type';
    return;
  }
  // Where the init could not be read, the count a page is handed out at is not known either: the put is run
  // from 1, then 2, and the first that frees the page is taken, and said to be so.
  const starts = t.zone !== 'ZONE_DEVICE' ? [1] : t.init ? [t.init.refcount + 1] : [1, 2];
  const glue = sc.release.replace(new RegExp(`\\b${sc.pages[0].name}\\b`, 'g'), 'page');
  const body = await tp.program.statements(glue, { file: `<scenario ${sc.name}: release>`, line: 1 });
  const fn: FunctionDef = { name: 'release', file: '<release>', line: 1, endLine: 1, returnType: 'void', params: [{ name: 'page', type: 'struct page *' }], body: { k: 'block', body, loc: { file: '<release>', line: 1 } }, isStatic: true, isInline: false };
  const ev = new PageEval(tp.program, facts);
  ev.freeCallbackFields = sc.callbackFields;
  let start = starts[0];
  let fx = await ev.run(fn, ['page'], start);
  for (const s of starts.slice(1)) {
    if (fx.freed) break;
    start = s;
    fx = await ev.run(fn, ['page'], s);
  }
  if (starts.length > 1) t.freeUnknown = `the init is unknown (${t.initUnknown}): the put was run from ${starts.join(', then ')}`;
  if (!fx.freed) {
    t.freeUnknown = `${sc.release.trim()} from ${start} never frees the page (${fx.refcount === 'unknown' ? fx.why : `it leaves it at ${fx.refcount}`})`;
    return;
  }
  if (fx.freed.refcount === 'unknown') {
    t.freeUnknown = `${sc.release.trim()} from ${start} frees the page at an unknown count (${fx.why})`;
    return;
  }
  t.free = { refcount: fx.freed.refcount, scenario: sc.name, release: `${sc.release.trim()} from ${start}`, event: fx.freed.event, at: fx.freed.at };
}
