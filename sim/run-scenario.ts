// Runs one scenario on one tree: read the tree's refcount code, find its free callbacks and pfn walkers,
// learn the refcount at which the tree considers the page free (by running its own release path), then
// explore every interleaving of the actors.
import type { FunctionDef, Kconfig, Loc } from './frontend/ast.ts';
import { DEFAULT_KCONFIG } from './kconfig-defaults.ts';
import { CProgram, isFileScoped, walkStmt } from './frontend/program.ts';
import { getCParser } from './frontend/parse-c.ts';
import { Compiler } from './interp/compile.ts';
import { ZONE_FALLBACK } from './model/builtins.ts';
import type { Value } from './interp/bytecode.ts';
import { Machine, type ActorSpec, type LazyCode, type SimState, type StepLabel, type World } from './interp/machine.ts';
import { exploreLazily } from './explore/explore.ts';
import { exploreBounded, type BoundedResult } from './explore/bounded.ts';
import type { Scenario, ScenarioPage } from './scenarios/scenario.ts';
import type { TraceStep } from '../analyzers/types.ts';
import { walkerArgs } from './facts/sites.ts';
import { initOfType, typeName } from './facts/page-types.ts';
import { walkersFor, type TreeFacts } from './facts/facts.ts';
import type { DriverFact } from './facts/drivers.ts';
import type { ParseCache } from './frontend/parse-cache.ts';

export interface SourceProvider {
  readFile(path: string): Promise<string | null>;
  grep(pattern: string, paths?: string[]): Promise<Array<{ path: string; line: number; text: string }>>;
  listFiles?(prefix?: string): Promise<string[]>;
}

export interface SimOptions {
  kconfig: Kconfig;
  walkers: number;
  maxStates: number;
  maxMs: number;
  /** Extra files to read first (files the series touches). */
  files?: string[];
  /** How deep tree functions are followed from an actor's entry (sim.max_call_depth); unbounded when absent. */
  maxCallDepth?: number;
  /** How many functions a call through a pointer field may resolve to (sim.max_indirect_targets). */
  maxIndirectTargets?: number;
  /** How speculative reference sites are looked for (sim.facts). */
  facts?: { maxClimb: number; exclude: string[] };
  /** Different walkers raced in one run (sim.mixed_walkers): groups of this many; below 2, none. */
  mixedWalkers?: number;
  /** Decisions about unknown values one actor's path may make before taking the default (machine.ts). */
  maxAssumptions?: number;
  /**
   * Search every state of an instance (the state count is then the whole space's). Default: stop once every
   * property the machine checks has its shortest counterexample, since nothing is left to find.
   */
  exhaustive?: boolean;
  onProgress?: (p: { states: number; transitions: number; ms: number }) => void;
  /**
   * Where parses of the tree's files are kept (frontend/parse-cache.ts): the programs given the same cache
   * (the trees before and after a series, the next review through bot/'s cache on disk) parse a file once.
   */
  parseCache?: ParseCache;
}

export { DEFAULT_KCONFIG };

/** Headers that hold the refcount code in every era; read first, in include order. */
export const CORE_FILES = [
  'include/linux/mmzone.h',
  'include/linux/page-flags.h',
  'include/linux/page_ref.h',
  'include/linux/mm_types.h',
  'include/linux/memremap.h',
  'include/linux/mm.h',
];

export interface RunStats {
  states: number;
  transitions: number;
  ms: number;
  complete: boolean;
  incompleteReason?: string;
  /** How deep the breadth-first search got: the longest of the shortest paths to the states it stored. */
  depth?: number;
  /** How the search ended (explore/types.ts): the space exhausted, every property violated, or stopped by a budget. */
  verdict?: 'exhausted' | 'every-property-violated' | 'stopped';
  /** Bytes the explorer's stored states take (explore/types.ts ExploreResult.stateBytes). */
  stateBytes?: number;
  /** Of ms, the time spent loading (parsing, compiling) code the search reached. */
  loadMs?: number;
  /**
   * Steps (both searches, replays included) taken from the machine's step cache and run by its interpreter
   * (interp/machine.ts, Machine.memo).
   */
  stepCache?: { hits: number; runs: number };
}

export interface SimViolation {
  category: string;
  message: string;
  trace: TraceStep[];
  /** What the interleaving assumes about values the simulator does not know, from its steps, in order. */
  assumptions: string[];
}

export interface ScenarioRun {
  /** Scenario name, with the walker function in brackets when the scenario has walkers. */
  name: string;
  scenario: string;
  walker?: string;
  status: 'ok' | 'violations' | 'not-applicable' | 'unmodelled' | 'incomplete' | 'not-run';
  reason?: string;
  /** The refcount at which this tree considers the page free, learned from its own release path. */
  freeRefcount?: number;
  stats: RunStats;
  violations: SimViolation[];
  notes: string[];
  /** Tree functions the run reached, with where they are defined. */
  reached: Record<string, { file: string; line: number }>;
  /** Not applicable because the owner's release never frees the page (a leak, if it used to). */
  neverFrees?: boolean;
  /**
   * With a walker: whether it got to its speculative get (an atomic op on the page's refcount) on some path of
   * the exploration. A walker that never does is not shown clean by the run, only stopped early.
   */
  walkerReachedGet?: boolean;
  /** When the walker never got to its get: the last if it took before returning (its condition as taken). */
  walkerStoppedBy?: { file: string; line: number; text: string };
}

export interface TreeProgram {
  program: CProgram;
  refField: string;
  /** One compiler per tree: the tree's functions compile once for every scenario and probe. */
  compiler: Compiler;
  /** The free refcount each scenario's release path gives on this tree, per scenario and driver. */
  probes: Map<string, Promise<Probe>>;
  /** Names steps called that the tree does not define (the compiler is lazy: see World.lazy). */
  opaque: Set<string>;
}

/** Reads a tree's core refcount files once; scenarios on the same tree share it. */
export async function loadTreeProgram(src: SourceProvider, opts: SimOptions): Promise<TreeProgram> {
  const files = [...CORE_FILES, ...(opts.files ?? []).filter((f) => !CORE_FILES.includes(f) && /\.[ch]$/.test(f))];
  // The C parser's start (two WebAssembly modules, ~25 ms) while the tree's files are read: every run parses
  // (a body the parse cache kept as text, at least); a failure is the first parse's to report.
  getCParser().catch(() => undefined);
  // Ask for every file at once (a tree view can serve them together); they are parsed in order below. The
  // file list, which the first search of the tree needs, is asked for meanwhile.
  src.listFiles?.().catch(() => undefined);
  await Promise.all(files.map((f) => src.readFile(f)));
  const program = await CProgram.load(src, opts.kconfig, { files, ...(opts.parseCache ? { parseCache: opts.parseCache } : {}) });
  const refText = (await src.readFile('include/linux/mm_types.h')) ?? (await src.readFile('include/linux/page_ref.h')) ?? '';
  const refField = /\b_refcount\b/.test(refText) || !/\b_count\b/.test(refText) ? '_refcount' : '_count';
  // Lazy: a tree function compiles when a step first calls it, so a run reads only the code its actors run.
  // The call depth (sim.max_call_depth) is then the machine's to bound, at run time (World.lazy).
  const compiler = new Compiler(program, opts.kconfig, 40, opts.maxIndirectTargets ?? 4, Infinity, true);
  return { program, refField, compiler, probes: new Map(), opaque: new Set() };
}

interface Built {
  world: World & { lazy: LazyCode };
  init: SimState;
  notes: string[];
  /** The functions the run starts from (actors' entries, free callbacks), for what it reached. */
  roots: string[];
}

/** How many times the functions steps call are compiled in one run before it stops (each time, a call deeper). */
const MAX_COMPILE_ROUNDS = 1000;
/** The search of schedules with few preemptions (explore/bounded.ts): up to this many, in this share of an
 * instance's time, after a breadth-first search of every interleaving that did not finish. */
const PREEMPTION_BOUND = 2;
const BOUNDED_SHARE = 1 / 3;

/**
 * Compiles the functions the last steps called that were not compiled yet (World.lazy.needs). Says whether
 * the steps taken so far stay valid: not when the new code writes a field, or changes a page flag, that
 * earlier steps read as local because nothing compiled then wrote it.
 */
async function supply(tp: TreeProgram, w: Built['world']): Promise<'resume' | 'restart'> {
  const needs = [...w.lazy.needs];
  w.lazy.needs.clear();
  await Promise.all(needs.map(async ([name, from]) => {
    if (!(await tp.compiler.compileNeeded(name, from))) w.lazy.opaque.add(name);
  }));
  let restart = false;
  for (const f of w.lazy.localReads) if (w.writtenFields.has(f)) restart = true;
  if (!w.flagsMutable && flagsMutableIn(tp.compiler)) {
    w.flagsMutable = true;
    if (w.lazy.hiddenFlagTests) restart = true;
  }
  if (restart) {
    w.lazy.localReads.clear();
    w.lazy.hiddenFlagTests = false;
  }
  return restart ? 'restart' : 'resume';
}

/** Whether any compiled code sets or clears page flags (else flag tests are not shared steps). */
function flagsMutableIn(compiler: Compiler): boolean {
  for (const fn of compiler.functions.values()) {
    for (const ins of fn.code) {
      if (ins.op === 'builtin' && /^(?:__)?(Set|Clear|TestClear|TestSet)Page|^(?:__)?folio_(set|clear|test_set|test_clear)_/.test(String(ins.a))) return true;
    }
  }
  return false;
}

/** The machine's initial state, once every function the actors' first local steps call is compiled. */
async function settledMachine(tp: TreeProgram, b: Built): Promise<Machine> {
  const m = new Machine(b.world, b.init);
  for (let round = 0; round < MAX_COMPILE_ROUNDS; round++) {
    m.initial();
    if (!m.initialStuck) return m;
    await supply(tp, b.world);
  }
  return m;
}

const GLUE_LOC = (file: string): Loc => ({ file, line: 1 });

/** The free callback of the stand-in driver, for trees that register none. */
const STAND_IN_FREE = '__kbot_stand_in_page_free';

/**
 * The call a series actor makes: the scenario's page for the page or folio parameter whose count the function
 * works on, a page of its own (not the scenario's) for any other, and an unknown value for every other
 * parameter: with no caller to say what they are, each is taken every way the code tests it. Null when the
 * tree has no such function.
 */
async function seriesCall(tp: TreeProgram, fn: string, pageName: string): Promise<{ call: string; unit?: string } | null> {
  const def = await tp.program.resolveFunction(fn);
  if (!def) return null;
  const params = def.params.filter((p) => p.type !== 'void' && p.name);
  const pages = params.filter((p) => /struct\s+(page|folio)\s*\*/.test(p.type)).map((p) => p.name);
  // The page the caller holds is the one whose count the function works on: the first page parameter the
  // body hands to the refcount API (migration helpers take dst before src); else the first one.
  const counted = new Set<string>();
  walkStmt(def.body, () => {}, (e) => {
    if (e.k === 'call' && e.callee.k === 'id' && REFCOUNT_CALL.test(e.callee.name)) {
      const a = e.args[0];
      if (a?.k === 'id') counted.add(a.name);
    }
  });
  const held = pages.find((p) => counted.has(p)) ?? pages[0];
  const args = params.map((p) => (p.name === held ? pageName : pages.includes(p.name) ? '__kbot_newobj()' : '__kbot_opaque()'));
  return { call: `${def.name}(${args.join(', ')});`, ...unitOf(def) };
}

/**
 * The file glue calling `def` is compiled in: a file-scoped static is called by its C name from its own file
 * (the glue's calls then reach that file's statics, as its own code's do).
 */
function unitOf(def: { name: string; file: string; isStatic: boolean }): { unit?: string } {
  return isFileScoped(def) ? { unit: def.file } : {};
}

/** Calls of the page refcount API (page_ref_freeze(), folio_put(), get_page() ...), by name. */
const REFCOUNT_CALL = /^(page_ref_\w+|folio_ref_\w+|get_page\w*|put_page\w*|folio_get|folio_put\w*|folio_try_get\w*|page_count|folio_ref_count|set_page_count|init_page_count|try_get_page)$/;

/** The call a walker actor makes: the entry function with the arguments the facts read from its data flow. */
async function walkerGlue(tp: TreeProgram, fn: string, pageName: string, args?: string[]): Promise<{ glue: string; unit?: string }> {
  const def = await tp.program.resolveFunction(fn);
  const a = args ?? (def ? walkerArgs(def) : []);
  return { glue: `${def?.name ?? fn}(${a.map((x) => x.replace(/\bpage\b/g, pageName)).join(', ')});`, ...(def ? unitOf(def) : {}) };
}

async function build(
  tp: TreeProgram,
  sc: Scenario,
  pageDriver: DriverFact | undefined,
  actorsGlue: Array<{ role: string; glue: string; allocator: boolean; holds: string[]; copies: number; unit?: string }>,
  opts: SimOptions,
  freeRefcount: number,
  driver: string | null = null,
  driverFields: string[] = [],
  /** The first page's count at the start, where the tree's own life of the page gave it (pageLife()). */
  startCount?: number,
  /** What glue's `driver` is, where not the driver's state itself (Life.driverArg). */
  driverArg?: string,
): Promise<Built | { notApplicable: string }> {
  const program = tp.program;
  for (const e of sc.requires.enums) {
    if (program.enumValue(e) === undefined && !/^ZONE_/.test(e)) return { notApplicable: `the tree has no ${e}` };
  }
  const pgmapType = (p: ScenarioPage) => [p.pgmap?.type ?? []].flat().find((t) => program.enumValue(t) !== undefined);
  for (const p of sc.pages) {
    if (p.pgmap && pgmapType(p) === undefined) return { notApplicable: `the tree has no ${[p.pgmap.type].flat().join(' or ')}` };
  }
  const compiler = tp.compiler;
  // The page's free callbacks are those of the driver whose pgmap it is (one instance per driver).
  const callbacks: Record<string, string> = {};
  for (const field of sc.callbackFields) if (pageDriver?.callbacks[field]) callbacks[field] = pageDriver.callbacks[field];
  const freeCallbacks = new Set<string>(Object.values(callbacks));
  const notes: string[] = [];
  if (pageDriver) notes.push(`the page is ${pageDriver.name}'s (${pageDriver.at.file}:${pageDriver.at.line})${pageDriver.typesUnknown ? `, taken to be of this type: ${pageDriver.typesUnknown}` : ''}`);
  if (sc.requires.callbacks.length && freeCallbacks.size === 0) {
    // No driver in the tree gives its pages a free callback: a stand-in driver takes each freed page back, so
    // the core's side of the contract is still checked.
    const loc = GLUE_LOC(`<scenario ${sc.name}: driver>`);
    if (!compiler.functions.has(STAND_IN_FREE)) await compiler.compileGlue(STAND_IN_FREE, ['page', 'data'], [], loc);
    freeCallbacks.add(STAND_IN_FREE);
    notes.push(`no driver in the tree sets up such pages with a ${sc.requires.callbacks.join(' or ')} callback: a stand-in driver takes freed pages back`);
  }
  // Glue sees the pages by name, the first page's pfn, and the driver's own state (learned by the probe).
  const params = [...sc.pages.map((p) => p.name), 'pfn', 'driver'];
  const actors: ActorSpec[] = [];
  const symmetry: number[][] = [];
  for (let ai = 0; ai < actorsGlue.length; ai++) {
    const a = actorsGlue[ai];
    const name = `__kbot_${a.role}_${glueId(`${sc.name}|${params.join(',')}|${a.glue}${a.unit ? `|${a.unit}` : ''}`)}`;
    if (!compiler.functions.has(name)) {
      const stmts = await tp.program.statements(a.glue, GLUE_LOC(`<scenario ${sc.name}: ${a.role}>`));
      await compiler.compileGlue(name, params, stmts, GLUE_LOC(`<scenario ${sc.name}: ${a.role}>`), a.unit);
    }
    const group: number[] = [];
    for (let c = 0; c < a.copies; c++) {
      group.push(actors.length);
      const holds: Record<string, number> = {};
      for (const h of a.holds) holds[h] = (holds[h] ?? 0) + 1;
      actors.push({ role: a.role, entry: name, args: [], allocator: a.allocator, holds });
    }
    if (group.length > 1) symmetry.push(group);
  }

  // The heap: globals (o0), each page (p_<name>), its pgmap, ops and driver data.
  const objs: Record<string, Record<string, Value>> = { o0: {} };
  const pages = sc.pages.map((p) => ({ name: p.name, obj: `p_${p.name}` }));
  const life: Record<string, 'allocated' | 'free'> = {};
  for (const p of sc.pages) {
    const holders = actorsGlue.reduce((n, a) => n + a.holds.filter((h) => h === p.name).length * a.copies, 0);
    const o: Record<string, Value> = {
      __pfn: p.pfn,
      __zone: program.enumValue(p.zone) ?? ZONE_FALLBACK[p.zone] ?? ZONE_FALLBACK.ZONE_NORMAL,
      __online: p.online ? 1 : 0,
      __flags: [...p.flags].sort().join(','),
      [tp.refField]: startCount !== undefined && p === sc.pages[0] ? startCount : freeRefcount + holders,
    };
    if (p.pgmap) {
      const pg = `pgmap_${p.name}`;
      const ops = `ops_${p.name}`;
      const drv = `drv_${p.name}`;
      o.pgmap = pg;
      objs[pg] = { type: program.enumValue(pgmapType(p)!)!, ops, data: drv, owner: drv };
      objs[ops] = {};
      for (const field of sc.callbackFields) {
        const cb = callbacks[field] ?? (freeCallbacks.has(STAND_IN_FREE) ? STAND_IN_FREE : undefined);
        if (cb) {
          objs[pg][field] = `fn:${cb}`;
          objs[ops][field] = `fn:${cb}`;
        }
      }
      objs[drv] = {};
    }
    objs[`p_${p.name}`] = o;
    life[p.name] = 'allocated';
  }
  // What the driver's free path writes (its free list, its counters) starts at 0: the driver holds no free page
  // but the scenario's. Its other fields are unknown, as anything the model did not build.
  if (driver && driverFields.length) objs[driver] = { ...(objs[driver] ?? {}), ...Object.fromEntries(driverFields.map((f) => [f, 0])) };
  const locals: Value[] = [...pages.map((p) => p.obj), sc.pages[0].pfn, driverArg ?? driver ?? 0];
  for (const a of actors) a.args = locals;

  const flagsMutable = flagsMutableIn(compiler);
  const lazy: LazyCode = { needs: new Map(), opaque: tp.opaque, maxCallDepth: opts.maxCallDepth ?? Infinity, notFollowed: new Set(), localReads: new Set() };
  const world: Built['world'] = {
    functions: compiler.functions,
    writtenFields: compiler.writtenFields,
    pages,
    actors,
    freeCallbacks,
    symmetry,
    flagsMutable,
    zoneDevice: program.enumValue('ZONE_DEVICE') ?? ZONE_FALLBACK.ZONE_DEVICE,
    maxAssumptions: opts.maxAssumptions,
    lazy,
    // Globals the tree initializes read as their initializers (the others are unknown), as code compiles.
    globalInits: compiler.globalInits,
  };
  return { world, init: { objs, actors: [], life, freeList: [] }, notes, roots: [...actors.map((a) => a.entry), ...freeCallbacks] };
}

/**
 * A run's notes: the scenario's, then what compiling the code it ran noted, which definition of a name was
 * taken where the tree has several (two external ones, or only statics), and the calls not followed.
 */
function runNotes(tp: TreeProgram, b: Built): string[] {
  const definitions = tp.program.notes.map((n) => n.text).filter((t) => DEFINITION_NOTE.test(t));
  return [...new Set([...b.notes, ...tp.compiler.notes.map((n) => n.text), ...definitions, ...b.world.lazy.notFollowed])];
}

/** The front end's notes on which definition of a name it used (CProgram.findDefinition). */
const DEFINITION_NOTE = /^\w+\(\) (has external definitions in|is a static function of)/;

/** The tree functions this run's actors can reach (the compiler is shared by every run on the tree). */
function reachedFrom(compiler: Compiler, roots: string[]): Map<string, { file: string; line: number }> {
  const out = new Map<string, { file: string; line: number }>();
  const todo = [...roots];
  const seen = new Set<string>();
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const fn = compiler.functions.get(name);
    if (!fn) continue;
    const at = compiler.reached.get(name);
    if (at) out.set(name, at);
    for (const ins of fn.code) {
      if (ins.op === 'call') todo.push(String(ins.a));
      else if (ins.op === 'callptr') todo.push(...(ins.targets ?? []).map((t) => t.fn));
      else if (ins.op === 'const' && typeof ins.a === 'string' && ins.a.startsWith('fn:')) todo.push(ins.a.slice(3));
    }
  }
  return out;
}

/** A short stable id for a piece of glue, so the same glue compiles once per tree. */
function glueId(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}


/** Runs the owner's release alone and tells whether the page ends free at refcount `f`. */
interface Release {
  ok: boolean;
  why: string;
  unmodelled?: string;
  driver?: string;
  /** The fields of the driver's state the release wrote. */
  driverFields?: string[];
  /** The steps the release took, for a trace (with the outcome each took, for replay). */
  steps: Array<{ actor: number; outcome?: number; label: StepLabel }>;
  /** Paths of the release that went another way than this one, one line each (where unknowns decide). */
  others: string[];
  /** A step called code not compiled yet (see releaseRun). */
  stuck?: boolean;
  /** The page's count at its free event, where it was freed. */
  at?: number;
}

/** releaseFreesAt, compiling what its steps call as they call it. */
async function releaseRun(tp: TreeProgram, b: Built, f: number | null): Promise<{ m: Machine; r: Release }> {
  for (let round = 0; ; round++) {
    const m = new Machine(b.world, b.init);
    const r = releaseFreesAt(m, f);
    if (!r.stuck) return { m, r };
    if (round >= MAX_COMPILE_ROUNDS) return { m, r: { ok: false, why: `the release path needed code ${MAX_COMPILE_ROUNDS} times over`, unmodelled: `the release path needed code ${MAX_COMPILE_ROUNDS} times over`, steps: [], others: [] } };
    await supply(tp, b.world);
  }
}

/** Paths of the release explored before giving up (a release that branches on many unknowns). */
const RELEASE_PATHS = 64;
/**
 * Decisions about unknowns one path of the release alone may make: the release runs alone, so its paths are
 * cheap, and a real tree's put path decides many things the model does not know (memcg, vmstat) before it
 * frees. Steps of all its paths together are bounded by RELEASE_STEPS.
 */
const RELEASE_ASSUMPTIONS = 64;
const RELEASE_STEPS = 50000;

/**
 * The release, alone, down every path its branches on unknowns allow (depth first, default outcomes first).
 * The first path that frees the page decides: the release frees at f when it does so at refcount f. Where no
 * path frees, an unmodelled stop is reported before a path that leaves the page allocated. The paths that went
 * another way are summed up in `others`.
 */
function releaseFreesAt(m: Machine, f: number | null): Release {
  const s0 = m.initial();
  if (m.initialStuck) return { ok: false, why: 'stuck', stuck: true, steps: [], others: [] };
  const ends: Release[] = [];
  type Node = { s: SimState; steps: Release['steps']; take?: { actor: number; outcome: number } };
  const todo: Node[] = [{ s: s0, steps: [] }];
  let budget = RELEASE_STEPS;
  while (todo.length && ends.length < RELEASE_PATHS && budget > 0) {
    const node = todo.pop()!;
    let { s, steps } = node;
    let end: Release | null = null;
    while (!end && budget-- > 0) {
      let actor: number;
      let outcome = 0;
      if (node.take) {
        ({ actor, outcome } = node.take);
        node.take = undefined;
      } else {
        const en = m.enabled(s);
        if (en.length === 0) {
          // An actor the model stopped (a loop it cannot bound, even before the first shared step, where the
          // explorer's violations do not see it), or one still running but never enabled again (a spin, a lock
          // never released), did not end its release: what the page looks like then is no leak.
          const stopped = s.actors.find((a) => a.status === 'unmodelled' || a.status === 'run');
          const why = stopped?.status === 'unmodelled'
            ? (m.prefixViolations.find((v) => v.category === 'unmodelled')?.message ?? 'the model stopped the release')
            : 'the release never ends: it waits forever (a spin or a lock the model sees never released)';
          end = stopped ? { ok: false, why, unmodelled: why, steps, others: [] } : judgeRelease(m, s0, s, f, steps);
          break;
        }
        actor = en[0];
      }
      const r = m.step(s, actor, outcome);
      if (r.stuck) return { ok: false, why: 'stuck', stuck: true, steps: [], others: [] };
      if (outcome === 0) for (let k = (r.outcomes ?? 1) - 1; k >= 1; k--) todo.push({ s, steps, take: { actor, outcome: k } });
      if (r.pruned) break;
      // (Above: the other outcomes of a step that decided something unknown, explored after this path; a path
      // the code says is impossible ends with no result.)
      steps = [...steps, outcome ? { actor, outcome, label: r.label } : { actor, label: r.label }];
      if (r.violations.length) end = violated(r, steps);
      s = r.state;
    }
    // A path cut by the step bound (a loop the model cannot bound, a recursion) ended nowhere: unmodelled.
    if (!end && budget <= 0) {
      const cut = `the release did not finish within ${RELEASE_STEPS} steps (a loop or a recursion the model cannot bound)`;
      end = { ok: false, why: cut, unmodelled: cut, steps, others: [] };
    }
    if (end) ends.push(end);
  }
  const frees = ends.find((e) => e.ok || /frees \S+ at refcount/.test(e.why));
  // Paths left unexplored at a bound could have freed it: no path that ends allocated is then the answer.
  const unexplored = todo.length > 0 ? `${todo.length} path(s) of the release not explored (at most ${RELEASE_PATHS} paths, ${RELEASE_STEPS} steps)` : null;
  const unfinished = unexplored ? { ok: false, why: unexplored, unmodelled: unexplored, steps: [], others: [] } : null;
  const pick = frees ?? ends.find((e) => e.unmodelled) ?? unfinished ?? ends[0] ??
    { ok: false, why: 'the release did not finish', unmodelled: 'the release did not finish', steps: [], others: [] };
  const where = (e: Release) => e.steps.map((st) => st.label.assumption).filter((x): x is string => !!x).join(', ') || 'by default';
  const others = ends.filter((e) => e !== pick).map((e) => `${e.ok ? 'frees' : e.why} (${where(e)})`);
  return { ...pick, others };
}

function violated(r: { violations: Array<{ category: string; message: string }> }, steps: Release['steps']): Release {
  const um = r.violations.find((v) => v.category === 'unmodelled');
  if (um) return { ok: false, why: um.message, unmodelled: um.message, steps, others: [] };
  return { ok: false, why: r.violations[0].message, steps, others: [] };
}

function judgeRelease(m: Machine, s0: SimState, s: SimState, f: number | null, steps: Release['steps']): Release {
  const d = m.describe(s);
  const name = Object.keys(d.refcount)[0];
  if (d.pageState[name] !== 'free') return { ok: false, why: `the release leaves ${name} allocated at refcount ${d.refcount[name]}`, steps, others: [] };
  // The count at the free event (the driver's free callback may set another on its free list after it).
  const at = [...steps].reverse().find((st) => st.label.freedAt !== undefined)?.label.freedAt ?? d.refcount[name];
  if (f !== null && at !== f) return { ok: false, why: `the release frees ${name} at refcount ${at}, not ${f}`, steps, others: [], at };
  // The driver's own state is what the free path wrote besides the page, its pgmap and the globals: the free
  // list the page went on. The driver's allocation function is given it.
  const model = new Set(['o0', ...m.world.pages.flatMap((p) => [p.obj, `pgmap_${p.name}`, `ops_${p.name}`])]);
  const driver = Object.keys(s.objs).find((id) => !model.has(id) && s.objs[id] !== s0.objs[id]);
  const driverFields = driver ? Object.keys(s.objs[driver]).filter((k) => s.objs[driver][k] !== s0.objs[driver]?.[k]) : [];
  return { ok: true, why: '', driver, driverFields, steps, others: [], at };
}

/**
 * The owner's release alone, from the refcount at which another tree (the one before the series) frees the
 * page: whether this tree frees it too, and the steps it takes. A release that no longer frees is a leak.
 */
export async function releaseFrom(tp: TreeProgram, inst: ScenarioInstance, opts: SimOptions, freeRefcount: number): Promise<{ frees: boolean; why: string; trace: TraceStep[] } | null> {
  const sc = inst.scenario;
  const owner = sc.actors.find((a) => a.holds.length > 0);
  const glue = [{ role: owner?.role ?? 'owner', glue: sc.release, allocator: false, holds: owner?.holds ?? [sc.pages[0].name], copies: 1 }];
  const b = await build(tp, sc, inst.driver, glue, { ...opts, maxAssumptions: RELEASE_ASSUMPTIONS }, freeRefcount);
  if ('notApplicable' in b) return null;
  const { m, r } = await releaseRun(tp, b, freeRefcount);
  if (r.unmodelled) return null;
  // A call left unfollowed at sim.max_call_depth (a recursion) returned an unknown: not freeing is then the
  // model's limit, not a leak the tree has.
  if (!r.ok && b.world.lazy.notFollowed.size > 0) return null;
  return { frees: r.ok, why: r.why, trace: await withCode(tp, renderTrace(m, r.steps, glue, sc.name)) };
}

type Probe =
  | {
    kind: 'ok'; freeRefcount: number; driver: string | null; driverFields: string[]; others: string[];
    /** The page's count when the run starts, and where it came from (pageLife()). */
    life: Life;
  }
  | { kind: 'not-applicable' | 'unmodelled'; reason: string; notes: string[]; neverFrees?: boolean };

/**
 * The driver's allocation function, found by its data, not its name: in the file of the page's driver's free
 * callback, the function that returns a page or folio and reads what that callback wrote when it took the
 * page back (its free list: the fields of the driver's state the release path wrote, learned by the probe).
 * dmirror_devmem_alloc_page() reads mdevice->free_pages, which dmirror_devmem_free() wrote.
 */
async function findAllocator(tp: TreeProgram, sc: Scenario, driver: DriverFact | undefined, freeListFields: string[]): Promise<FunctionDef | null> {
  if (!freeListFields.length || !driver) return null;
  const cb = sc.callbackFields.map((f) => driver.callbacks[f]).find((x) => x);
  const def = cb ? await tp.program.resolveFunction(cb, driver.at.file) : null;
  if (!def) return null;
  for (const f of await tp.program.functionsIn(def.file)) {
    if (f.name === def.name || !/struct\s+(page|folio)\s*\*/.test(f.returnType)) continue;
    let reads = false;
    walkStmt(f.body, () => {}, (e) => {
      if (e.k === 'member' && freeListFields.includes(e.field)) reads = true;
    });
    if (reads) return f;
  }
  return null;
}

/** A call of the allocation function (from its own file): pages by name, other pointers the driver's state, the rest 0. */
async function allocatorCall(tp: TreeProgram, fn: string, pageName: string, file: string): Promise<string> {
  const def = await tp.program.resolveFunction(fn, file);
  const args = (def?.params ?? []).filter((p) => p.type !== 'void' && p.name).map((p) =>
    /struct\s+(page|folio)\b/.test(p.type) ? pageName : p.type.includes('*') ? 'driver' : '0');
  return `${fn}(${args.join(', ')})`;
}

/**
 * The refcount at which the tree's own release path frees the page: first, the first of sc.freeRefcounts that
 * works from one reference per holder over it (which also shows what the driver's free path writes: its free
 * list); then the release from the count the tree's own life of the page leaves (pageLife()), where that can be
 * run: the count at that free event is the one the run uses.
 */
async function probeFreeRefcount(tp: TreeProgram, sc: Scenario, driver: DriverFact | undefined, holds: string[], opts: SimOptions): Promise<Probe> {
  const tried: string[] = [];
  let lastNotes: string[] = [];
  for (const f of sc.freeRefcounts) {
    const b = await build(tp, sc, driver, [{ role: 'owner', glue: sc.release, allocator: false, holds, copies: 1 }], { ...opts, maxAssumptions: RELEASE_ASSUMPTIONS }, f);
    if ('notApplicable' in b) return { kind: 'not-applicable', reason: b.notApplicable, notes: [] };
    const { r } = await releaseRun(tp, b, f);
    const notes = runNotes(tp, b);
    if (r.unmodelled) return { kind: 'unmodelled', reason: `release path: ${r.unmodelled}`, notes };
    if (r.ok) {
      const probe = { kind: 'ok' as const, freeRefcount: f, driver: r.driver ?? null, driverFields: r.driverFields ?? [], others: r.others };
      const h = holds.filter((x) => x === sc.pages[0].name).length;
      const life = await pageLife(tp, sc, driver, h, probe, opts);
      return { ...probe, freeRefcount: life.freeRefcount, life, others: life.others ?? r.others };
    }
    tried.push(`at ${f}: ${r.why}`);
    lastNotes = notes;
  }
  return { kind: 'not-applicable', reason: `the tree's ${sc.release.replace(/;$/, '')} never frees the page (${tried.join('; ')})`, notes: lastNotes, neverFrees: true };
}

/** Where a run's page starts: its count, how the tree's own code got there, and the free count that goes with it. */
export interface Life {
  /** The first page's refcount when the run starts, the holders' references included. */
  start: number;
  /** The count at which the owner's release frees the page from there. */
  freeRefcount: number;
  /** Said in the run's notes: each step of the page's life, with its file:line, and any disagreement. */
  notes: string[];
  /**
   * Set where the life could not be run and the start is the rule (one reference per holder over the first
   * count the release frees at): the assumption, named in the run's notes and in each finding of the run.
   */
  assumption?: string;
  /** The release's other paths, from where the life left the page. */
  others?: string[];
  /** What the driver's allocation is handed as its state, where not the driver's state itself (reachedThrough()). */
  driverArg?: string;
}

/**
 * The page's life before the run, run on the model from the tree's own code, in order: the memmap init of its
 * type (the count the facts' run of it leaves), its driver's free callback putting it on the driver's free list
 * (as every page the driver hands out was before), the driver's allocation function taking it off and handing it
 * out (its reference is the first holder's), and a get_page() for each further holder. Then the owner's release,
 * alone, from that count: where it frees the page is the run's free count, and it should be one below the count
 * the allocation hands the page out at; where it is not, the notes say so. Where a step cannot be run (no init,
 * no driver, no allocation, a page from the page allocator), the start is the rule, and that is named.
 */
async function pageLife(tp: TreeProgram, sc: Scenario, driver: DriverFact | undefined, h: number, probe: { freeRefcount: number; driver: string | null; driverFields: string[] }, opts: SimOptions): Promise<Life> {
  const f0 = probe.freeRefcount;
  const page = sc.pages[0];
  const rule = (why: string): Life => {
    const assumption = `assuming the page starts at refcount ${f0 + h}: one reference per holder (${h}) over the count at which the owner's release alone frees it (${f0}), since ${why}`;
    return { start: f0 + h, freeRefcount: f0, notes: [assumption], assumption };
  };
  if (page.zone !== 'ZONE_DEVICE' || !page.pgmap) return rule('the page allocator\'s hand-out of an ordinary page is not run');
  const constant = [page.pgmap.type].flat().find((t) => tp.program.enumValue(t) !== undefined);
  if (!constant) return rule(`the tree has no ${[page.pgmap.type].flat().join(' or ')}`);
  if (h < 1) return rule('nobody holds the page the allocation hands out');
  const init = await initOfType(tp, constant);
  if ('unknown' in init) return rule(`its memmap init cannot be run: ${init.unknown}`);
  const field = sc.callbackFields.find((x) => driver?.callbacks[x]);
  if (!driver || !field) return rule('no driver of the tree sets up such pages with a free callback, so no allocation of the tree hands them out');
  const allocDef = await findAllocator(tp, sc, driver, probe.driverFields);
  if (!allocDef) return rule(`no function beside ${driver.name}'s free callback ${driver.callbacks[field]}() (${driver.at.file}) returns a page it takes from what that callback writes`);
  // As traces name it (file:name for a static whose name another file defines too).
  const alloc = await tp.program.functionId(allocDef);
  const pn = page.name;
  const gets = Array.from({ length: h - 1 }, () => `get_page(${pn});`).join(' ');
  const glue = `${pn}->pgmap->${field}(${await callArgs(tp, driver.callbacks[field], pn, driver.at.file)}); ` +
    `if (${await allocatorCall(tp, allocDef.name, pn, allocDef.file)} == ${pn}) __kbot_alloc(${pn}); ${gets}`;
  const actor = [{ role: 'driver', glue, allocator: true, holds: [], copies: 1, ...(isFileScoped(allocDef) ? { unit: allocDef.file } : {}) }];
  // The allocation is handed the driver's state (what the free callback wrote), or else what the free path
  // reached it through (nouveau's free path writes drm->dmem, its allocation takes drm): the first that lets it
  // hand the page out.
  const whys: string[] = [];
  let run: Awaited<ReturnType<typeof aloneRun>> | null = null;
  let driverArg: string | undefined;
  for (const arg of probe.driver ? reachedThrough(probe.driver) : [undefined]) {
    const b = await build(tp, sc, driver, actor, { ...opts, maxAssumptions: RELEASE_ASSUMPTIONS }, 0, probe.driver, probe.driverFields, init.refcount, arg);
    if ('notApplicable' in b) return rule(b.notApplicable);
    run = await aloneRun(tp, b);
    if (!('why' in run)) {
      driverArg = arg === probe.driver ? undefined : arg;
      break;
    }
    whys.push(run.why);
  }
  if (!run || 'why' in run) return rule(`the driver's allocation could not be run: ${[...new Set(whys)].join('; ')}`);
  const trace = await withCode(tp, renderTrace(run.m, run.steps, actor, sc.name));
  // The count the allocation hands the page out at: after the last step of the allocation function's call.
  const inAlloc = trace.filter((t) => t.func === alloc || (t.via ?? []).some((v) => v.startsWith(`${alloc} `)));
  const lastAlloc = inAlloc.at(-1);
  const c = lastAlloc ? lastAlloc.refcount[pn] : init.refcount;
  const start = trace.at(-1)?.refcount[pn] ?? init.refcount;
  // The step of the allocation that changed the count, at its line in the allocation function.
  const setAt = inAlloc.find((t, i) => (i === 0 ? init.refcount : inAlloc[i - 1].refcount[pn]) !== t.refcount[pn]);
  // The line of the allocation function that did it (the call it made there), as the tree writes it.
  const allocLine = (t: TraceStep) => {
    const fr = t.func === alloc ? { file: t.file, line: t.line, code: t.code } : (t.frames ?? []).find((x) => x.func === alloc);
    const code = fr?.code?.replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim();
    return fr ? `${code ? `${code} ` : ''}at ${fr.file}:${fr.line}` : `${t.op} at ${t.file}:${t.line}`;
  };
  const initStep = [...init.steps].reverse().find((s) => /_refcount|clears the struct page/.test(s.what));
  const notes = [
    `the page starts at refcount ${start}, as the tree's own code leaves it: its memmap init ${init.by.func}() (${init.by.file}:${init.by.line}) leaves it at ${init.refcount}` +
      `${initStep ? ` (${initStep.what} at ${initStep.at})` : ''}; ${driver.callbacks[field]}(), ${driver.name}'s ${field} callback, puts it on the driver's free list` +
      ` at refcount ${trace.find((t) => t.pageState?.[pn] === 'free')?.refcount[pn] ?? init.refcount}; ${alloc}() (${allocDef ? `${allocDef.file}:${allocDef.line}` : driver.at.file}) takes it off and hands it out at refcount ${c}` +
      `${setAt ? ` (${allocLine(setAt)})` : ' (it does not change the count)'}` +
      `${h > 1 ? `, the owner's first reference; ${h - 1} get_page() for the other holders` : ', the owner\'s reference'}`,
  ];
  // The owner's release alone, from there: the free count that goes with this life.
  const owner = sc.actors.find((a) => a.holds.length > 0);
  const rel = await build(tp, sc, driver, [{ role: owner?.role ?? 'owner', glue: sc.release, allocator: false, holds: owner?.holds ?? [pn], copies: 1 }], { ...opts, maxAssumptions: RELEASE_ASSUMPTIONS }, 0, null, [], start);
  if ('notApplicable' in rel) return rule(rel.notApplicable);
  const { r } = await releaseRun(tp, rel, null);
  if (!r.ok || r.at === undefined) {
    const out = rule(`the owner's release from there (refcount ${start}) does not free it: ${r.why}`);
    return { ...out, notes: [...notes, ...out.notes] };
  }
  const f = r.at;
  if (f !== c - 1) {
    notes.push(`the tree's life and its release disagree: ${alloc}() hands the page out at refcount ${c}, so the holders' puts should leave it free at ${c - 1}, but the release frees it at ${f}`);
  }
  return { start, freeRefcount: f, notes, others: r.others, ...(driverArg ? { driverArg } : {}) };
}

/**
 * An object of the driver's state and the objects the code reached it through: a field nothing set is an
 * object named after where it was read ("u_<object>.<field>", machine.ts), so "u_u_pgmap_page.drm.dmem" was
 * reached through "u_pgmap_page.drm", itself read from the pgmap.
 */
function reachedThrough(obj: string): string[] {
  const out = [obj];
  for (let o = obj; ;) {
    const m = /^u_(.+)\.[A-Za-z_]\w*$/.exec(o);
    if (!m) return out;
    o = m[1];
    out.push(o);
  }
}

/** The driver's code run alone (one actor), down its paths: the first that ends with the page handed out. */
async function aloneRun(tp: TreeProgram, b: Built): Promise<{ m: Machine; steps: Release['steps'] } | { why: string }> {
  for (let round = 0; round <= MAX_COMPILE_ROUNDS; round++) {
    const m = new Machine(b.world, b.init);
    const r = handsOut(m);
    if (r !== 'stuck') return 'why' in r ? r : { m, steps: r.steps };
    await supply(tp, b.world);
  }
  return { why: `it needed code ${MAX_COMPILE_ROUNDS} times over` };
}

function handsOut(m: Machine): { steps: Release['steps'] } | { why: string } | 'stuck' {
  const s0 = m.initial();
  if (m.initialStuck) return 'stuck';
  const pn = m.world.pages[0].name;
  type Node = { s: SimState; steps: Release['steps']; take?: { actor: number; outcome: number } };
  const todo: Node[] = [{ s: s0, steps: [] }];
  let budget = RELEASE_STEPS;
  let paths = 0;
  const whys: string[] = [];
  while (todo.length && paths < RELEASE_PATHS && budget > 0) {
    const node = todo.pop()!;
    let { s, steps } = node;
    paths++;
    for (; budget > 0; budget--) {
      let actor: number;
      let outcome = 0;
      if (node.take) {
        ({ actor, outcome } = node.take);
        node.take = undefined;
      } else {
        const en = m.enabled(s);
        if (en.length === 0) {
          if (s.actors.every((a) => a.status === 'done') && s.life[pn] === 'allocated') return { steps };
          whys.push(s.life[pn] !== 'allocated' ? 'the allocation did not hand the page out' : 'the driver did not finish');
          break;
        }
        actor = en[0];
      }
      const r = m.step(s, actor, outcome);
      if (r.stuck) return 'stuck';
      if (outcome === 0) for (let k = (r.outcomes ?? 1) - 1; k >= 1; k--) todo.push({ s, steps, take: { actor, outcome: k } });
      if (r.pruned) break;
      steps = [...steps, outcome ? { actor, outcome, label: r.label } : { actor, label: r.label }];
      if (r.violations.length) {
        whys.push(r.violations[0].message);
        break;
      }
      s = r.state;
    }
  }
  return { why: [...new Set(whys)].join('; ') || `no path ended within ${RELEASE_PATHS} paths, ${RELEASE_STEPS} steps` };
}

/** A call of a free callback as the core makes it: pages by name, other pointers the pgmap's data, the rest 0. */
async function callArgs(tp: TreeProgram, fn: string, pageName: string, file?: string): Promise<string> {
  const def = await tp.program.resolveFunction(fn, file);
  return (def?.params ?? []).filter((p) => p.type !== 'void' && p.name).map((p) =>
    /struct\s+(page|folio)\b/.test(p.type) ? pageName : p.type.includes('*') ? `${pageName}->pgmap->data` : '0').join(', ');
}

/**
 * The free refcount a scenario's release path gives on this tree, for a page of `driver` (probed once per
 * tree, scenario and driver: the release ends in that driver's callback).
 */
export function probeScenario(tp: TreeProgram, sc: Scenario, driver?: DriverFact): Promise<Probe> {
  const owner = sc.actors.find((a) => a.holds.length > 0);
  const key = `${sc.name}@${driver ? `${driver.at.file}:${driver.name}` : ''}`;
  let probe = tp.probes.get(key);
  if (!probe) tp.probes.set(key, (probe = probeFreeRefcount(tp, sc, driver, owner?.holds ?? [sc.pages[0].name], {} as SimOptions)));
  return probe;
}

export interface ScenarioInstance {
  scenario: Scenario;
  /** The walker function standing in for the walkers role (undefined: no walkers role or the fallback). */
  walker?: string;
  /** Its arguments (glue C over the page and its pfn), from the facts; read from its definition when absent. */
  args?: string[];
  /** The speculative reference site it reaches, "func (file:line)". */
  site?: string;
  /** For a scenario with a series actor: the function of the series it calls. */
  series?: string;
  /** The driver whose pgmap the page is (its free callbacks, its allocation path), from the facts. */
  driver?: DriverFact;
  /**
   * Several different walkers in one run, racing each other as well as the owner (one actor each), where the
   * facts say each of them can meet the page; walker is then their names joined with "+".
   */
  mix?: MixedWalker[];
  name: string;
}

/** One walker of a mixed instance: its entry, its arguments from the facts, and the site it reaches. */
export interface MixedWalker {
  walker: string;
  args?: string[];
  site?: string;
}

/** The page type a scenario's page is, in the facts' names ("device-private" ..., "normal"). */
export function scenarioPageType(tp: TreeProgram, sc: Scenario): string | undefined {
  const p = sc.pages[0];
  if (!p.pgmap) return p.zone === 'ZONE_DEVICE' ? undefined : 'normal';
  const t = [p.pgmap.type].flat().find((x) => tp.program.enumValue(x) !== undefined);
  return t ? typeName(t) : undefined;
}

/**
 * Expands scenarios into instances: one per pfn walker of the tree that the facts say can meet the scenario's
 * page type (entered where its pfn comes from, with the arguments its data flow asks for), and the generic one;
 * each once per driver that sets up pages of that type (its own callbacks and allocation path), named
 * "scenario[walker]@driver" where the type has more than one.
 */
export function instances(tp: TreeProgram, scenarios: Scenario[], facts: TreeFacts, seriesFns: string[] = [], mix = 0): ScenarioInstance[] {
  const out: ScenarioInstance[] = [];
  for (const sc of scenarios) {
    // A scenario with the series' own code as an actor: one instance per function of the series (none
    // without a series).
    if (sc.actors.some((a) => a.series)) {
      for (const fn of seriesFns) out.push({ scenario: sc, series: fn, name: `${sc.name}[${fn}]` });
      continue;
    }
    const type = scenarioPageType(tp, sc);
    const perDriver = (inst: ScenarioInstance) => out.push(...withDrivers(facts, type, inst));
    const wa = sc.actors.find((a) => a.walkers);
    if (!wa || !wa.walkers) {
      perDriver({ scenario: sc, name: sc.name });
      continue;
    }
    const walkers = type ? walkersFor(facts, type) : [];
    for (const w of walkers) {
      perDriver({ scenario: sc, walker: w.entry, args: w.args, site: `${w.site} (${w.at})`, name: `${sc.name}[${w.entry}]` });
    }
    // Different walkers racing each other on the same page (what one walker's reference lets another do), in
    // groups of `mix` (sim.mixed_walkers), each walker in one group, in the facts' order.
    for (const group of mixGroups(walkers.map((w) => ({ walker: w.entry, args: w.args, site: `${w.site} (${w.at})` })), mix)) {
      const name = group.map((g) => g.walker).join('+');
      perDriver({ scenario: sc, walker: name, mix: group, name: `${sc.name}[${name}]` });
    }
    // Besides the tree's own walkers: any lockless user of the speculative get, with no check before it. The
    // refcount API promises such users that a free page is at refcount 0; this instance tells whether the
    // tree still keeps that promise, whoever the walkers of tomorrow are.
    if (wa.walkers.fallback) perDriver({ scenario: sc, name: `${sc.name}[generic]` });
  }
  return out;
}

/**
 * The walkers cut into groups of `size` (2 or more), in order; a short last group is filled from the first
 * walkers, so each walker races a different one at least once. Fewer than two walkers: no group.
 */
export function mixGroups<T>(walkers: T[], size: number): T[][] {
  if (size < 2 || walkers.length < 2) return [];
  const k = Math.min(size, walkers.length);
  const out: T[][] = [];
  for (let i = 0; i < walkers.length; i += k) {
    const g = walkers.slice(i, i + k);
    for (let j = 0; g.length < k; j++) g.push(walkers[j]);
    out.push(g);
  }
  return out;
}

/** An instance once per driver of the page type (named "...@driver" where there are several), else as it is. */
export function withDrivers(facts: TreeFacts, type: string | undefined, inst: ScenarioInstance, only?: string): ScenarioInstance[] {
  const all = facts.pageTypes.find((t) => t.name === type)?.drivers ?? [];
  const drivers = all.filter((d) => !only || d.name === only);
  if (only && !drivers.length) return [];
  if (all.length <= 1) return [{ ...inst, ...(drivers[0] ? { driver: drivers[0] } : {}) }];
  return drivers.map((d) => ({ ...inst, driver: d, name: `${inst.name}@${d.name}` }));
}

/** An actor of a run: its role, the C glue it runs, and (a walker) the tree function it stands for. */
interface ActorGlue {
  role: string;
  glue: string;
  allocator: boolean;
  holds: string[];
  copies: number;
  walker?: string;
  /** The file whose statics the glue's calls reach (a static walker's, a driver's allocator's). */
  unit?: string;
}

const emptyStats = (): RunStats => ({ states: 0, transitions: 0, ms: 0, complete: true });

export async function runInstance(tp: TreeProgram, inst: ScenarioInstance, opts: SimOptions): Promise<ScenarioRun> {
  const t0 = performance.now();
  const sc = inst.scenario;
  const base: ScenarioRun = {
    name: inst.name, scenario: sc.name, walker: inst.walker, status: 'ok', stats: emptyStats(), violations: [], notes: [], reached: {},
  };
  const pageName = sc.pages[0].name;

  // Learn the tree's free refcount from its own release path, alone (once per tree and scenario).
  const pr = await probeScenario(tp, sc, inst.driver);
  if (pr.kind !== 'ok') return { ...base, status: pr.kind, reason: pr.reason, notes: pr.notes, neverFrees: pr.neverFrees };
  const freeRefcount = pr.freeRefcount;

  const actorsGlue: ActorGlue[] = [];
  for (const a of sc.actors) {
    let glue = a.glue ?? '';
    let unit: string | undefined;
    if (a.walkers) {
      // Whatever the walker kept, it drops through the tree's own put path.
      const putHeld = ` while (__kbot_held(${pageName}) > 0) put_page(${pageName});`;
      const list: MixedWalker[] = inst.mix ?? (inst.walker ? [{ walker: inst.walker, args: inst.args }] : []);
      for (const w of list) {
        if (!(await tp.program.resolveFunction(w.walker))) {
          const several = tp.program.ambiguousIds(w.walker);
          return { ...base, status: 'not-applicable', reason: several ? `${w.walker}() is a static function of several files: name one of ${several.join(', ')}` : `the tree has no ${w.walker}()` };
        }
      }
      if (inst.mix) {
        // One actor per walker: different code, so no symmetry between them.
        for (const w of inst.mix) {
          const wg = await walkerGlue(tp, w.walker, pageName, w.args);
          actorsGlue.push({ role: a.role, glue: wg.glue + putHeld, allocator: a.allocator, holds: a.holds, copies: 1, walker: w.walker, ...(wg.unit ? { unit: wg.unit } : {}) });
        }
        continue;
      }
      const wg = inst.walker ? await walkerGlue(tp, inst.walker, pageName, inst.args) : { glue: a.walkers.fallback ?? '' };
      glue = wg.glue + putHeld;
      unit = wg.unit;
    }
    if (a.series) {
      if (!inst.series) return { ...base, status: 'not-applicable', reason: 'no function of a series to call' };
      const call = await seriesCall(tp, inst.series, pageName);
      if (!call) return { ...base, status: 'not-applicable', reason: `the tree has no ${inst.series}()` };
      glue = `${call.call} ${a.series.after ?? a.holds.map((p) => `put_page(${p});`).join(' ')}`;
      unit = call.unit;
    }
    if (a.allocates) {
      const alloc = await findAllocator(tp, sc, inst.driver, pr.driverFields);
      if (alloc) {
        glue = `__kbot_wait_free(${pageName}); if (${await allocatorCall(tp, alloc.name, pageName, alloc.file)} == ${pageName}) __kbot_alloc(${pageName});`;
        unit = isFileScoped(alloc) ? alloc.file : undefined;
      }
    }
    const copies = a.count === 'walkers' ? opts.walkers : a.count;
    actorsGlue.push({ role: a.role, glue, allocator: a.allocator, holds: a.holds, copies, ...(a.walkers && inst.walker ? { walker: inst.walker } : {}), ...(unit ? { unit } : {}) });
  }

  const b = await build(tp, sc, inst.driver, actorsGlue, opts, freeRefcount, pr.driver, pr.driverFields, pr.life.start, pr.life.driverArg);
  if ('notApplicable' in b) return { ...base, status: 'not-applicable', reason: b.notApplicable };
  // Where the page starts, and how the tree's own code got it there (or the rule, named).
  b.notes.push(...pr.life.notes);
  // The release's other paths, where it branches on something the model does not know.
  for (const o of pr.others) b.notes.push(`release path, another way: ${o}`);
  const m = await settledMachine(tp, b);
  // Every interleaving breadth first, in most of the time; where that does not finish, the schedules with few
  // preemptions (explore/bounded.ts) in the rest: a race that needs one preemption late in a long path is found
  // there long before the breadth-first search gets to it. A run that finishes needs no second search.
  const left = () => Math.max(1, opts.maxMs - (performance.now() - t0));
  const res = await exploreLazily(m, {
    maxStates: opts.maxStates, maxMs: left() * (1 - BOUNDED_SHARE), onProgress: opts.onProgress, properties: m.properties, exhaustive: opts.exhaustive,
  }, () => supply(tp, b.world), MAX_COMPILE_ROUNDS);
  const few: BoundedResult<StepLabel> = res.complete || res.error || res.verdict === 'every-property-violated'
    ? { violations: [], states: 0, ms: 0, searchedBound: -1 }
    : await exploreBounded(m, { maxPreemptions: PREEMPTION_BOUND, maxMs: left(), maxStates: opts.maxStates }, () => supply(tp, b.world), MAX_COMPILE_ROUNDS);
  if (few.states) {
    b.notes.push(`schedules with few preemptions searched after: ${few.states} states in ${Math.round(few.ms)} ms, ` +
      (few.searchedBound >= 0 ? `every schedule with at most ${few.searchedBound} searched` : 'not every schedule with none') +
      (few.stopped ? ` (${few.stopped})` : ''));
  }
  // What only the search of few preemptions found (the breadth-first one ran out first).
  for (const v of few.violations) {
    if (res.violations.some((x) => x.category === v.category)) continue;
    res.violations.push({ category: v.category, message: v.message, steps: v.steps });
    if (v.category !== 'unmodelled') b.notes.push(`${v.category}: found by the search of schedules with at most ${v.preemptions} preemption(s), which the breadth-first search of every interleaving did not reach in its time`);
  }
  // What stopped an actor before its first shared step (the explorer never sees those steps).
  for (const v of m.prefixViolations) res.violations.push({ category: v.category, message: v.message, steps: [] });
  const stats: RunStats = { states: res.states, transitions: res.transitions, ms: res.ms, complete: res.complete, incompleteReason: res.incompleteReason, verdict: res.verdict, ...(res.depth !== undefined ? { depth: res.depth } : {}), ...(res.stateBytes ? { stateBytes: res.stateBytes } : {}), ...(res.loadMs !== undefined ? { loadMs: res.loadMs } : {}), stepCache: { ...m.stepCache } };
  const reached = Object.fromEntries(reachedFrom(tp.compiler, b.roots));
  const notes = runNotes(tp, b);
  if (res.error) {
    return { ...base, status: 'unmodelled', reason: `simulator error: ${res.error}`, freeRefcount, stats, notes, reached };
  }
  const unmodelled = res.violations.find((v) => v.category === 'unmodelled');
  const violations = await Promise.all(res.violations
    .filter((v) => v.category !== 'unmodelled')
    .map(async (v) => {
      const trace = await withCode(tp, renderTrace(m, v.steps, actorsGlue, sc.name));
      // A start the tree's life did not give is an assumption every step of the interleaving rests on.
      if (pr.life.assumption && trace[0]) trace[0] = { ...trace[0], assumptions: [pr.life.assumption, ...(trace[0].assumptions ?? [])] };
      return { category: v.category, message: v.message, trace, assumptions: assumptionsOf(trace) };
    }));
  let status: ScenarioRun['status'] = violations.length ? 'violations' : res.complete ? 'ok' : 'incomplete';
  if (unmodelled && !violations.length) status = 'unmodelled';
  const walkers = m.walkers;
  const walkerFields: Partial<ScenarioRun> = sc.actors.some((a) => a.walkers)
    ? { walkerReachedGet: walkers.reachedGet, ...(!walkers.reachedGet && walkers.stoppedBy[0] ? { walkerStoppedBy: walkers.stoppedBy[0] } : {}) }
    : {};
  return {
    ...base, status, reason: unmodelled?.message ?? res.incompleteReason, freeRefcount, stats, violations, notes, reached, ...walkerFields,
  };
}

/** Replays a counterexample to show the refcount, page life and free list after each step. */
/**
 * The kernel API calls that led to a step made in a header ("put_page > put_zone_device_private_page >
 * page_ref_dec_return: "), so a reader sees get_page_unless_zero() and put_page(), not only the atomic
 * op at the bottom.
 */
function apiChain(l: StepLabel): string {
  if (!l.file.startsWith('include/')) return '';
  const frames = l.via.map((v) => ({ fn: v.replace(/ \(.*$/, ''), file: /\(([^:]+):/.exec(v)?.[1] ?? '' }));
  let first = frames.length;
  while (first > 0 && frames[first - 1].file.startsWith('include/')) first--;
  const chain = [...frames.slice(first).map((f) => f.fn), l.func];
  return chain.length > 1 ? `${chain.join(' > ')}: ` : '';
}

const GLUE_OPS: Record<string, string> = {
  __kbot_wait_free: 'waits until the page is free',
  __kbot_alloc: 'hands the page out again',
};

/** The C text of each step's line and of its frames' lines, read from the tree (glue steps have none). */
async function withCode(tp: TreeProgram, trace: TraceStep[]): Promise<TraceStep[]> {
  const text = async (file: string, line: number) => (file && !file.startsWith('<') ? (await tp.program.lineText(file, line)) ?? undefined : undefined);
  return Promise.all(trace.map(async (t) => ({
    ...t,
    ...(t.standIn ? {} : { code: await text(t.file, t.line) }),
    frames: await Promise.all((t.frames ?? []).map(async (f) => ({ ...f, code: await text(f.file, f.line) }))),
  })));
}

/** The assumptions a trace's steps made, in order, each once. */
export function assumptionsOf(trace: TraceStep[]): string[] {
  return [...new Set(trace.flatMap((t) => t.assumptions ?? []))];
}

function renderTrace(m: Machine, steps: Array<{ actor: number; outcome?: number; label: StepLabel }>, actorsGlue: ActorGlue[], scenario: string): TraceStep[] {
  const roles: string[] = [];
  const walkerOf: Array<string | undefined> = [];
  for (const a of actorsGlue) for (let c = 0; c < a.copies; c++) { roles.push(a.role); walkerOf.push(a.walker); }
  let s = m.initial();
  const out: TraceStep[] = [];
  for (const st of steps) {
    const r = m.step(s, st.actor, st.outcome ?? 0);
    s = r.state;
    const d = m.describe(s);
    const l = r.label;
    const role = roles[st.actor] ?? 'actor';
    // Scenario glue is not tree code: say what it stands for instead of naming a generated function.
    const glue = l.func.startsWith('__kbot_');
    const op = GLUE_OPS[l.op.replace(/\(.*$/, '')] ?? `${apiChain(l)}${l.op}`;
    // The glue's own frame (where the actor starts) is not tree code either.
    const via = l.via.filter((v) => !v.startsWith('__kbot_'));
    out.push({
      cpu: `CPU${st.actor}`, actor: role, ...(walkerOf[st.actor] ? { walker: walkerOf[st.actor] } : {}), func: glue ? `${role} (scenario)` : l.func,
      file: glue ? `sim/scenarios/${scenario}.yaml` : l.file, line: glue ? 1 : l.line,
      op, refcount: d.refcount, freeList: d.freeList, pageState: d.pageState, via,
      frames: via.map((v) => {
        const m = /^(\S+) \((.+):(\d+)\)$/.exec(v);
        return m ? { func: m[1], file: m[2], line: Number(m[3]) } : { func: v, file: '', line: 0 };
      }),
      ...(glue ? { standIn: `kbot, standing in for the ${role}, ${GLUE_OPS[l.op.replace(/\(.*$/, '')] ?? 'acts on the page'}` } : {}),
      ...(l.assumption ? { assumptions: [l.assumption] } : {}),
    } as TraceStep);
  }
  return out;
}
