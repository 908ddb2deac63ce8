// The drivers that hand ZONE_DEVICE pages out, read from the tree: each (driver, pgmap) pair is an ops table
// whose free callback field (page_free, folio_free) names one of the driver's functions, the pgmap the driver
// wires that table into (".ops = &dmirror_devmem_ops"), and the pgmap types the same code gives that pgmap
// (".type = MEMORY_DEVICE_PRIVATE"). A page of a type gets the callbacks of a driver that sets that type up:
// never the first callback the tree registers.
import type { CProgram, Initializer } from '../frontend/program.ts';
import type { Where } from './sites.ts';

export interface DriverFact {
  /** The ops table the driver's callbacks are reached through ("dmirror_devmem_ops"); where the callbacks are
   * stored into the pgmap itself (older trees), the pgmap as the code names it ("devmem->pagemap"). */
  name: string;
  /** Callback field → the driver's function ("page_free" → "dmirror_devmem_free"). */
  callbacks: Record<string, string>;
  /** Where the callbacks are stored. */
  at: Where;
  /** Where the pgmap is given the table (absent where the callbacks are stored into the pgmap itself). */
  wiredAt?: Where;
  /** The pgmap type constants the driver gives that pgmap, each with where ("MEMORY_DEVICE_PRIVATE"). */
  types: Array<{ type: string; at: Where }>;
  /** Why the types could not be read (then the driver is taken for every type its callbacks can serve). */
  typesUnknown?: string;
  /** Whether the kconfig builds the driver's file (undefined: its makefiles do not say). */
  built?: boolean;
}

/** The function around a line of a file, for a Where ('' for an initializer outside any function). */
async function whereOf(program: CProgram, s: Initializer): Promise<Where> {
  const fn = (await program.functionsIn(s.file)).find((f) => f.line <= s.line && s.line <= f.endLine);
  return { func: fn ? await program.functionId(fn) : '', file: s.file, line: s.line };
}

/** The pgmap type constants an expression names ("x ? MEMORY_DEVICE_COHERENT : MEMORY_DEVICE_PRIVATE"). */
function typeConstants(text: string, constants: Set<string>): string[] {
  return [...new Set(text.match(/\b[A-Za-z_]\w*\b/g) ?? [])].filter((w) => constants.has(w));
}

/**
 * Every driver of the tree that registers a free callback through one of `fields`, with the pgmap types it
 * sets up. Read by following the data: the callback's store, the table's store into a pgmap's ops, and the
 * stores into that pgmap's type in the same function (else the same file).
 */
export async function readDrivers(program: CProgram, fields: string[]): Promise<DriverFact[]> {
  const constants = new Set(program.enumsStartingWith('MEMORY_DEVICE_').map((c) => c.name));
  const byTable = new Map<string, DriverFact>();
  for (const field of fields) {
    for (const init of await program.findInitializers(field)) {
      // The function the store names, as its own file sees the name: by its id (CProgram.functionId).
      const def = await program.resolveFunction(init.value, init.file);
      if (!def) continue;
      const name = init.variable ?? init.value;
      const key = `${init.file}\0${name}`;
      let d = byTable.get(key);
      if (!d) byTable.set(key, (d = { name, callbacks: {}, at: await whereOf(program, init), types: [] }));
      d.callbacks[field] ??= await program.functionId(def);
    }
  }
  const out = [...byTable.values()];
  for (const d of out) {
    // A table is wired into a pgmap by storing it into the pgmap's ops; callbacks stored into the pgmap itself
    // (a variable that is no table) are their own wiring.
    const wirings = /^[A-Za-z_]\w*$/.test(d.name) ? await program.findStoresOf('ops', d.name) : [];
    const pgmaps: Array<{ variable: string; file: string; line: number }> = wirings.length
      ? wirings.filter((w) => w.variable).map((w) => ({ variable: w.variable!, file: w.file, line: w.line }))
      : [{ variable: d.name, file: d.at.file, line: d.at.line }];
    if (wirings[0]) d.wiredAt = await whereOf(program, wirings[0]);
    for (const pg of pgmaps) {
      const stores = (await program.storesIn(pg.file, 'type')).filter((s) => s.variable === pg.variable && typeConstants(s.value, constants).length);
      const fn = (await program.functionsIn(pg.file)).find((f) => f.line <= pg.line && pg.line <= f.endLine);
      const inFn = fn ? stores.filter((s) => fn.line <= s.line && s.line <= fn.endLine) : [];
      for (const s of inFn.length ? inFn : stores) {
        for (const type of typeConstants(s.value, constants)) {
          if (!d.types.some((t) => t.type === type)) d.types.push({ type, at: await whereOf(program, s) });
        }
      }
    }
    if (!d.types.length) {
      d.typesUnknown = wirings.length || d.name.includes('.') || d.name.includes('->')
        ? `no store of a MEMORY_DEVICE_ type into the pgmap ${pgmaps.map((p) => `${p.variable} (${p.file}:${p.line})`).join(', ')}`
        : `no pgmap is given ${d.name} as its ops`;
    }
    d.built = await program.kbuild.built(d.at.file);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The drivers a page of pgmap type `type` can belong to: those that set the type up, and those whose types
 * could not be read (said in their typesUnknown). */
export function driversOfType(drivers: DriverFact[], type: string): DriverFact[] {
  return drivers.filter((d) => d.typesUnknown || d.types.some((t) => t.type === type));
}
