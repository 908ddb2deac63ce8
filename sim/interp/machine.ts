// The small-step machine: runs actors' bytecode over a shared heap of kernel objects, one shared access per
// step, and watches the page life events the finding vocabulary is about. Implements the explorer's
// TransitionSystem, so the explorer sees states, enabled actors, steps and footprints only.
//
// Unknowns. A value the model does not know (a call the tree does not define, a field never written, a global
// with no initializer) is an unknown: a string "u_...". Arithmetic on unknowns gives unknowns. Where the code
// tests one (jz/jnz, !, comparisons with a number or another unknown, a switch), the machine cannot tell the
// outcome, so it takes both: such an instruction is a step of its own with two outcomes (the explorer's
// multi-outcome transitions), one assuming the unknown true (nonzero), one false. The decision is kept in the
// actor's state by unknown id, so a value tested twice on one path reads the same both times; each call of an
// undefined function makes a fresh unknown. The step's label names the assumption ("assuming
// arch_pfn_ok(pfn) is true at mm/x.c:12"), which traces carry. A call through a function pointer the code
// does not hold (ops->free of an ops table the scenario did not build) goes to one of the functions the tree
// stores in that field, one outcome each. Past world.maxAssumptions decisions on an actor's path, the default
// (false, the first target) is taken without forking, and the label says the bound was hit.
// A fork step touches no shared state (the decision is the actor's own), so its footprint is empty.
// Not modelled: an unknown compared with a known pointer is unequal to it; unknowns stored into shared
// objects and tested by another actor are decided by that actor afresh.
import type { CompiledFunction, Instr, Value } from './bytecode.ts';
import { cBinary } from '../frontend/const-eval.ts';
import { ANYWHERE, type Access, type StepResult, type TransitionSystem } from '../explore/types.ts';
import { VectorSet } from '../explore/visited.ts';
import { Futures, type CodeFuture } from './future.ts';
import { ATOMICS, atomicOp, BUDDY_FREE, builtinTouch, flagOp, isBuddyAlloc, isModelName, LOCK_ACQUIRE, LOCK_RELEASE, LOCK_TRY, NO_EFFECT, REF_FIELDS } from '../model/builtins.ts';

export interface Frame {
  fn: string;
  pc: number;
  locals: Value[];
  stack: Value[];
  /** How many assumptions the actor had made when it entered this frame. Not in the key. */
  n0?: number;
  /**
   * The locals array is shared with the frame this one was copied from (copy on write: a step that writes a
   * local copies the array first, Exec.ownLocals). Not in the key.
   */
  localsShared?: boolean;
  /** The text of the locals (localsText), once asked; kept while the locals array is shared. Not in the key. */
  lt?: string;
  /** The number of that text (Machine.frameId), kept like it. Not in the key. */
  lid?: number;
  /**
   * The number of this frame with the frames below it (Machine.frameId), once asked. A frame of a stored state
   * is never written (a step copies it first, Exec.ownFrame, without this) and always has the same frames
   * below it (writing one below copies every frame above it too), so the number stays right. Not in the key.
   */
  cid?: number;
  /**
   * The compiled function `fn` names (World.functions' entry: compiling a function fills that object in place,
   * so it stays the entry), kept so that a step does not look the name up at every instruction. Not in the key.
   */
  cf: CompiledFunction;
}

/** A frame with every field set (one shape for all frames, as makeState for states). */
function makeFrame(fn: string, pc: number, locals: Value[], stack: Value[], n0: number | undefined, localsShared: boolean, lt: string | undefined, lid: number | undefined, cf: CompiledFunction): Frame {
  return { fn, pc, locals, stack, n0, localsShared, lt, lid, cid: undefined, cf };
}

/** locals.join(','), cached on the frame: a frame whose step did not write its locals keeps its predecessor's text. */
function localsText(f: Frame): string {
  return (f.lt ??= f.locals.join(','));
}

/** infeasible: the actor reached a BUG() in a function where its path assumed something about an unknown. */
export type ActorStatus = 'run' | 'done' | 'bug' | 'unmodelled' | 'infeasible';

export interface ActorState {
  frames: Frame[];
  status: ActorStatus;
  /** Net references this actor took on each scenario page (by page name), from its own refcount updates. */
  held: Record<string, number>;
  /** What this actor's path assumed about unknowns: decision key → 0/1 (a truth) or target index (a call). */
  assumed: Record<string, number>;
  /** Unknowns this actor made so far (fresh ids for calls the tree lacks). */
  unknowns: number;
  /**
   * Whether the actor has tried to change a page's refcount (its get). Not part of the state's key (it does not
   * change what the actor does next), so on a state reached by two paths it tells of the first.
   */
  triedGet?: boolean;
  /** The last check that sent the actor away (an if around continue, return ...) in tree code:
   * "file:line|condition". Not in the key either. */
  lastBranch?: string;
  /** The number of this actor state's text in its machine (Machine.vector), once asked. Not copied. */
  id?: number;
  /** How many keys `assumed` has (a cache, not in the key). */
  nAssumed?: number;
  /**
   * A cache of what follows from this actor state alone, set once it is a state's (a step changes its own copy,
   * never a state's actor): its next step's footprint. Not copied, not in the key.
   */
  fp?: Access[];
  /** Likewise what it may still touch (Machine.future), for the code the machine knew then (futureGen). */
  fut?: Access[];
  futGen?: number;
  /**
   * The number of its frames' assumption counts at entry (Frame.n0: not in the key, but whether a BUG() there
   * is a path that cannot happen depends on it), for the step cache's key. A cache like fp.
   */
  n0s?: number;
  /** The number of lastBranch's text, for the step cache's key. A cache like fp. */
  lbId?: number;
  /**
   * Whether the actor can step, from its own state (Machine.enabled): 0 it has stopped, 1 it can, 2 its next
   * instruction may block (a lock, a wait), which depends on the objects too. A cache like fp.
   */
  en?: 0 | 1 | 2;
}

/**
 * Where a record of assumptions came from (Exec.decide): the record it copied and the decision it set, so that
 * its number (Machine.assumedId) is its parent's with one pair put in, not all its pairs sorted again.
 */
const assumedFrom = new WeakMap<Record<string, number>, { parent: Record<string, number>; key: string; value: number }>();

/** How many decisions the actor's path made. */
function assumedCount(a: ActorState): number {
  return (a.nAssumed ??= Object.keys(a.assumed).length);
}

export type Obj = Record<string, Value>;

export interface SimState {
  objs: Record<string, Obj>;
  actors: ActorState[];
  /** Page name → 'allocated' | 'free'. */
  life: Record<string, 'allocated' | 'free'>;
  /** Pages in the order they were freed and not yet handed out again. */
  freeList: string[];
  /**
   * Caches of the machine's numbering (Machine.vector), carried from state to state by step(): the objects'
   * part of the vector, and the number of the pages' life and free list. Not part of the state.
   */
  objsVec?: number[];
  /** The number of objsVec (Machine.objsId), carried like it. */
  objsId?: number;
  lifeId?: number;
}

/**
 * A state with every field set, so that all states have one shape (V8 keeps one hidden class, and the explorer's
 * and the machine's accesses to states stay monomorphic).
 */
function makeState(objs: Record<string, Obj>, actors: ActorState[], life: Record<string, 'allocated' | 'free'>, freeList: string[], objsVec?: number[], objsId?: number, lifeId?: number): SimState {
  return { objs, actors, life, freeList, objsVec, objsId, lifeId };
}

export interface PageSpec {
  name: string;
  obj: string;
}

export interface ActorSpec {
  /** "owner", "walker", "allocator" ... */
  role: string;
  entry: string;
  args: Value[];
  /** The allocator may take references on a free page: that is how a page is handed out. */
  allocator: boolean;
  /** References held when the scenario starts, by page name. */
  holds: Record<string, number>;
}

export interface StepLabel {
  actor: number;
  func: string;
  file: string;
  line: number;
  op: string;
  /** Call chain, outermost first: "put_page (include/linux/mm.h:812)". */
  via: string[];
  /** The assumption this step made about an unknown ("assuming pfn_ok(pfn) is true at mm/x.c:12"). */
  assumption?: string;
  /** The page's refcount when this step freed it (its free callback called, or the page allocator's free). */
  freedAt?: number;
}

export interface Violation {
  category: string;
  message: string;
}

export interface World {
  functions: Map<string, CompiledFunction>;
  writtenFields: Set<string>;
  pages: PageSpec[];
  actors: ActorSpec[];
  /** Functions the tree registers as the pages' free callbacks (pgmap->page_free, ops->folio_free ...). */
  freeCallbacks: Set<string>;
  /** Groups of actor indexes that are identical (symmetry). */
  symmetry: number[][];
  /** Whether any compiled code sets or clears page flags (else flag tests are not shared steps). */
  flagsMutable: boolean;
  /** The tree's value of ZONE_DEVICE. */
  zoneDevice?: number;
  maxInstrPerStep?: number;
  /** Decisions about unknowns one actor's path may make before taking the default (false); default 16. */
  maxAssumptions?: number;
  /** Tree functions compiled on first call (see LazyCode); absent: every function the actors reach is compiled. */
  lazy?: LazyCode;
  /** Globals the tree initializes, read where the state holds no value of theirs (grows as code compiles). */
  globalInits?: Map<string, Value>;
}

/**
 * The tree's functions are compiled when a step first calls them: a step that calls one not compiled yet is
 * stuck (no successor) and names it here; the caller compiles it and the step is taken again.
 */
export interface LazyCode {
  /** Functions steps called that are not compiled yet, each with the code calling it. */
  needs: Map<string, { fn: string; file: string; line: number }>;
  /** Names the tree does not define: a call returns an unknown value. */
  opaque: Set<string>;
  /** How deep tree calls are followed from an actor's entry (sim.max_call_depth); deeper ones return unknowns. */
  maxCallDepth: number;
  /** The calls not followed because of maxCallDepth, as notes. */
  notFollowed: Set<string>;
  /** Fields read as local steps because no compiled code wrote them (yet). */
  localReads: Set<string>;
  /** Whether a flag test was a local step because no compiled code changed flags (yet). */
  hiddenFlagTests?: boolean;
}

export const DEFAULT_MAX_ASSUMPTIONS = 16;

/** What the runs of walker actors showed, over every step the machine took (see Machine.walkers). */
export interface WalkerObservation {
  /** Some walker tried to change a page's refcount (its speculative get) on some path. */
  reachedGet: boolean;
  /** Where walkers finished without trying: the last if they took, first seen first. */
  stoppedBy: Array<{ file: string; line: number; text: string }>;
}

/** The page facts that look a pfn up: on an unknown pfn, they decide whether it is the scenario's page's. */
const PFN_LOOKUPS = new Set(['pfn_to_page', 'pfn_to_online_page', 'pfn_valid', 'pfn_present', 'get_dev_pagemap']);

/**
 * Unknown values: "u_<call text>#<n>" from a call the tree does not define (the n-th unknown of its actor),
 * "u_<object>.<field>" from a field never written, "u_<expression>#d<hash>" from arithmetic on unknowns. A
 * branch on one forks (see the header); an atomic op or a lock reads one as 0. An unknown can still be
 * dereferenced: its fields are unknowns of their own, so an unmodelled helper returning a pointer
 * (page_zone(), zone_lru_lock()) does not stop the actor.
 */
const isUnknown = (v: Value): v is string => typeof v === 'string' && v.startsWith('u_');
const toNum = (v: Value): number => (typeof v === 'number' ? v : isUnknown(v) ? 0 : NaN);

/** Truth outside branches (a lock word, a page fact): an unknown reads as 0 there. */
function truthy(v: Value): boolean {
  if (typeof v === 'number') return v !== 0;
  return v !== '' && !isUnknown(v);
}

// Characters an unknown's id must not hold: "/" splits pointers into object and field, "," separates locals in
// state keys. Look-alikes keep the id readable.
const sanitize = (t: string) => t.replace(/\s+/g, ' ').replace(/\//g, '\u2215').replace(/,/g, '\u201a');
/** sanitize(), cached by text (the texts are the code's: few). */
const sanitizeCache = new Map<string, string>();
function sanitized(t: string): string {
  let r = sanitizeCache.get(t);
  if (r === undefined) {
    if (sanitizeCache.size >= 1 << 16) sanitizeCache.clear();
    sanitizeCache.set(t, (r = sanitize(t)));
  }
  return r;
}
const unsanitize = (t: string) => t.replace(/\u2215/g, '/').replace(/\u201a/g, ',');

/** How an unknown reads in an assumption: the call, "page->mapping", "global", or the expression. */
export function describeUnknown(v: Value): string {
  if (typeof v === 'number') return String(v);
  let d = describeCache.get(v);
  if (d === undefined) {
    if (describeCache.size >= CACHE_LIMIT) describeCache.clear();
    describeCache.set(v, (d = describeText(v)));
  }
  return d;
}
/** describeUnknown's answers (a pure function of the value's text, asked at every decision about it). */
const describeCache = new Map<string, string>();

function describeText(v: string): string {
  if (!v.startsWith('u_')) return v.replace(/^p_/, '');
  const call = /^u_(.*)#d?[0-9a-z]+$/s.exec(v);
  if (call) return unsanitize(call[1]);
  const field = /^u_(.+)\.([^.]+)$/s.exec(v);
  if (field) return field[1] === 'o0' ? field[2] : `${describeUnknown(field[1])}->${field[2]}`;
  return unsanitize(v.slice(2));
}

function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

/** An unknown computed from others: named by what it computes, identified by its operands. */
function derived(text: string, ...parts: Value[]): string {
  return `u_${sanitize(text)}#d${hash(parts.join('\u0003'))}`;
}

/** derived() of a binary operation on l and r (one unknown at least), cached by (op, l, r): it is pure in them. */
const derivedBinops = new Map<string, Map<Value, Map<Value, string>>>();
let derivedBinopsSize = 0;
function derivedBinop(op: string, l: Value, r: Value): string {
  let byL = derivedBinops.get(op);
  if (byL === undefined) derivedBinops.set(op, (byL = new Map()));
  let byR = byL.get(l);
  if (byR === undefined) byL.set(l, (byR = new Map()));
  let d = byR.get(r);
  if (d === undefined) {
    if (++derivedBinopsSize > 1 << 16) {
      derivedBinops.clear();
      derivedBinopsSize = 0;
    }
    byR.set(r, (d = derived(`${describeUnknown(l)} ${op} ${describeUnknown(r)}`, op, l, r)));
  }
  return d;
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

// The decisions forkAt makes, built outside it: a closure in forkAt over its parameters would make V8 allocate
// forkAt's context on every instruction.
function assertFork(assert: string, v: string): Fork {
  return { key: v, arity: 1, text: () => `${assert} does not fire (${describeUnknown(v)} is unknown to the model; the kernel's assertion is taken to hold)` };
}
function comparisonFork(key: string, what: string): Fork {
  return { key, arity: 2, text: (k) => `${what} is ${k ? 'true' : 'false'}` };
}
function pfnFork(pfn: string, page: string): Fork {
  const what = describeUnknown(pfn);
  return { key: `pfn:${pfn}`, arity: 2, text: (k) => `${what} is ${k ? '' : 'not '}${page}'s pfn` };
}
function targetFork(key: string, text: string, targets: NonNullable<Instr['targets']>): Fork {
  const callee = text.replace(/\(.*$/s, '');
  const field = /(->|\.)\s*(\w+)$/.exec(callee)?.[2];
  const what = field ? `->${field}` : callee;
  return { key, arity: targets.length, text: (k) => `${what} is ${targets[k].fn} (${targets[k].file}:${targets[k].line})` };
}
/** A caller's entry in a label's call chain, "put_page (include/linux/mm.h:812)": one string per call site. */
const viaTexts = new WeakMap<CompiledFunction, string[]>();
function viaText(w: World, fr: Frame): string {
  const cf = fr.cf;
  let texts = viaTexts.get(cf);
  if (texts === undefined) viaTexts.set(cf, (texts = []));
  const pc = Math.max(0, fr.pc - 1);
  let t = texts[pc];
  if (t === undefined) {
    const at = cf.code[pc].loc;
    t = texts[pc] = `${fr.fn} (${at.file}:${at.line})`;
  }
  return t;
}

/** The future of an actor that has stopped. */
const TOUCHES_NOTHING: Access[] = [];
/** An actor's future when its code cannot be bounded (Machine.future): every location, read and written. */
const MAY_TOUCH_ANYTHING: Access[] = [{ loc: ANYWHERE, write: true }];
/** The pages' life as a location: one field of its own, so it never meets an object's field. */
const LIFE_READ: Access = { loc: 'life', field: 'life', write: false };
const LIFE_WRITE: Access = { loc: 'life', field: 'life', write: true };

/** The object a pointer points into (footprints' locations). */
function objOf(p: Value): string {
  const sp = splitPtr(p);
  return sp ? sp[0] : String(p);
}

/**
 * The location an access through pointer p touches (Exec.load and store): its field; through a pointer to a
 * whole object, the word the model keeps for it ("__value"). None for what is not a pointer (the access fails
 * and stops the actor) or for one of the actor's own locals.
 */
function through(p: Value, write: boolean, out: Access[]): void {
  const sp = splitPtr(p);
  if (!sp) return;
  out.push({ loc: sp[0], field: sp[1] ?? '__value', write });
}

function withoutPage(list: string[], pn: string): string[] {
  const out: string[] = [];
  for (const x of list) if (x !== pn) out.push(x);
  return out;
}
function inFreeCallback(w: World, frames: Frame[]): boolean {
  for (const f of frames) if (w.freeCallbacks.has(f.fn)) return true;
  return false;
}
function anyFreeCallback(w: World, targets: Instr['targets']): boolean {
  for (const t of targets ?? []) if (w.freeCallbacks.has(t.fn)) return true;
  return false;
}

/** Ops forkAt may decide something at, and ops isVisible may call a shared step; any other op is neither. */
const MAY_FORK = 1;
const MAY_BE_SHARED = 2;
const OP_FLAGS: Partial<Record<Instr['op'], number>> = {
  jz: MAY_FORK, jnz: MAY_FORK, un: MAY_FORK, bin: MAY_FORK, callptr: MAY_FORK | MAY_BE_SHARED,
  fload: MAY_BE_SHARED, fstore: MAY_BE_SHARED, deref: MAY_BE_SHARED, istore: MAY_BE_SHARED, unmodelled: MAY_BE_SHARED,
};
/** Ops by number, for exec's switch (a const enum: the numbers are inlined). */
const enum OP {
  const = 0,
  lload = 1,
  lstore = 2,
  laddr = 3,
  fload = 4,
  fstore = 5,
  faddr = 6,
  deref = 7,
  istore = 8,
  bin = 9,
  un = 10,
  jmp = 11,
  jz = 12,
  jnz = 13,
  call = 14,
  callptr = 15,
  builtin = 16,
  ret = 17,
  pop = 18,
  dup = 19,
  unmodelled = 20,
}
const OP_NUMBER: Record<Instr['op'], OP> = {
  const: OP.const,
  lload: OP.lload,
  lstore: OP.lstore,
  laddr: OP.laddr,
  fload: OP.fload,
  fstore: OP.fstore,
  faddr: OP.faddr,
  deref: OP.deref,
  istore: OP.istore,
  bin: OP.bin,
  un: OP.un,
  jmp: OP.jmp,
  jz: OP.jz,
  jnz: OP.jnz,
  call: OP.call,
  callptr: OP.callptr,
  builtin: OP.builtin,
  ret: OP.ret,
  pop: OP.pop,
  dup: OP.dup,
  unmodelled: OP.unmodelled,
};

/** Whether builtin() handles name before its page facts and helpers: an atomic, a lock, a free, an allocation, wake_up_var, a flag op. */
const specialBuiltins = new Map<string, boolean>();
function specialBuiltin(name: string): boolean {
  let b = specialBuiltins.get(name);
  if (b === undefined) {
    b = !!atomicOp(name) || LOCK_ACQUIRE.has(name) || LOCK_RELEASE.has(name) || LOCK_TRY.has(name) || BUDDY_FREE.has(name) ||
      isBuddyAlloc(name) || name === 'wake_up_var' || !!flagOp(name);
    specialBuiltins.set(name, b);
  }
  return b;
}

/** A builtin isVisible says is local whatever the state (not an atomic, lock, free, allocation, wait, BUG or flag op). */
function localBuiltin(name: string): boolean {
  return !atomicOp(name) && !LOCK_ACQUIRE.has(name) && !LOCK_RELEASE.has(name) && !LOCK_TRY.has(name) && !BUDDY_FREE.has(name) &&
    name !== '__kbot_alloc' && name !== '__kbot_wait_free' && name !== 'wake_up_var' && name !== '__kbot_bug' && !flagOp(name);
}

/** Per instruction: its op's number and what it may need (a builtin's, from its name: the sets are fixed). */
function opFlags(code: Instr[]): { code: Instr[]; flags: Uint8Array; ops: Uint8Array } {
  const flags = new Uint8Array(code.length);
  const ops = new Uint8Array(code.length);
  for (let i = 0; i < code.length; i++) {
    const ins = code[i];
    ops[i] = OP_NUMBER[ins.op];
    if (ins.op === 'builtin') {
      const name = ins.a as string;
      flags[i] = (PFN_LOOKUPS.has(name) ? MAY_FORK : 0) | (localBuiltin(name) ? 0 : MAY_BE_SHARED);
    } else flags[i] = OP_FLAGS[ins.op] ?? 0;
  }
  return { code, flags, ops };
}

/** The decision a branch on v needs: none when v is known or already decided on this path. */
function truthFork(v: Value, assumed: Record<string, number>): Fork | null {
  if (!isUnknown(v) || v in assumed) return null;
  const what = describeUnknown(v);
  return { key: v, arity: 2, text: (k) => `${what} is ${k ? 'true' : 'false'}` };
}

/** A decision the next instruction needs about unknowns: what it is about and how many ways it can go. */
interface Fork {
  key: string;
  arity: number;
  /** The assumption's text for outcome k, without the location. */
  text: (k: number) => string;
}

/**
 * "o3/_refcount" → ["o3", "_refcount"]; "o3" → ["o3", null]. An unknown returned by a call the tree lacks is a
 * fresh value each call, but as an address it names one object per call text: the lock zone_lru_lock(zone)
 * returns is the same lock at the lock and at the unlock.
 */
function splitPtr(p: Value): readonly [string, string | null] | null {
  if (typeof p !== 'string') return null;
  let sp = splitCache.get(p);
  if (sp !== undefined) return sp;
  if (p.startsWith('fn:') || p.startsWith('L')) sp = null;
  else {
    const i = p.indexOf('/');
    const [obj, field] = i < 0 ? [p, null] : [p.slice(0, i), p.slice(i + 1)];
    sp = Object.freeze([obj.startsWith('u_') ? obj.replace(/#\d+$/, '') : obj, field] as const);
  }
  if (splitCache.size >= CACHE_LIMIT) splitCache.clear();
  splitCache.set(p, sp);
  return sp;
}

/**
 * Pure functions of a pointer's text, cached by it (the texts a run meets are few; a cache that fills up is
 * emptied and starts again, which changes nothing but speed).
 */
const CACHE_LIMIT = 1 << 16;
const splitCache = new Map<string, readonly [string, string | null] | null>();
/** "L<depth>:<index>" → [depth, index]. */
const localCache = new Map<string, readonly [number, number]>();
function localRef(p: string): readonly [number, number] {
  let r = localCache.get(p);
  if (r === undefined) {
    const [d, i] = p.slice(1).split(':').map(Number);
    r = Object.freeze([d, i] as const);
    if (localCache.size >= CACHE_LIMIT) localCache.clear();
    localCache.set(p, r);
  }
  return r;
}
/** "L<depth>:<index>", one string per pair. */
const localAddrs: string[][] = [];
function localAddr(d: number, i: number): string {
  const row = (localAddrs[d] ??= []);
  return (row[i] ??= `L${d}:${i}`);
}
/** The text of a field's address: "o3" + "_refcount" → "o3/_refcount", one string per pair. */
const fieldAddrCache = new Map<string, Map<string, string>>();
function fieldAddr(obj: string, field: string): string {
  let m = fieldAddrCache.get(obj);
  if (m === undefined) {
    if (fieldAddrCache.size >= CACHE_LIMIT) fieldAddrCache.clear();
    fieldAddrCache.set(obj, (m = new Map()));
  }
  let a = m.get(field);
  if (a === undefined) m.set(field, (a = `${obj}/${field}`));
  return a;
}

/**
 * Ends a step early (unmodelled, stuck on code not compiled yet, infeasible). Not an Error: it is control flow,
 * thrown on many steps, and an Error would capture a stack trace each time.
 */
class Stop {
  constructor(readonly message: string) {}
}

/** Where a walker finished and whether it got to its get, gathered by the machine across steps. */
interface Observer {
  got(): void;
  stopped(at: string): void;
}

/** One step of one actor, on a private copy of what it touches. */
/** No violations: shared by every step that found none (frozen, so a push would throw). */
const NO_VIOLATIONS: Violation[] = Object.freeze([]) as unknown as Violation[];
const NO_OBJS: Record<string, Obj> = Object.freeze({}) as Record<string, Obj>;

class Exec {
  violations: Violation[] = NO_VIOLATIONS;
  visibleDone = false;
  label: StepLabel | null = null;
  blocked = false;
  /** Outcomes of this step (several when it decided something about an unknown). */
  outcomes = 1;
  /** Which outcome to take at this step's fork. */
  choice = 0;
  /** The step called a function not compiled yet (World.lazy): it is stuck, and its state is dropped. */
  needed = false;
  /** The step found its path impossible (a BUG() behind an assumption): no successor. */
  pruned = false;
  obs: Observer | null = null;
  /**
   * Frames at this depth and deeper are this step's own; those below are shared with the state the step started
   * from (copy on write: a step copies the frames it writes, most steps only the top one). 0: all its own.
   */
  ownedFrom = 0;
  /**
   * Objects this step copied to write them (the state's other objects are its predecessor's), each with the
   * fields it wrote (null: written otherwise than through writeField, e.g. made by this step).
   */
  readonly touched = new Map<string, string[] | null>();
  /**
   * The pages whose other holders the step read (allocEvent, in order), or null: what the step does then
   * depends on more than its own actor, namely on which other actor first holds a reference to each.
   */
  readOthers: string[] | null = null;
  private actor: ActorState;

  constructor(private w: World, public s: SimState, public idx: number) {
    this.actor = s.actors[idx];
  }

  /** Makes this Exec one for a fresh step (the machine reuses one instead of making one a step). */
  reset(s: SimState, idx: number): this {
    this.s = s;
    this.idx = idx;
    this.actor = s.actors[idx];
    this.violations = NO_VIOLATIONS;
    this.visibleDone = false;
    this.label = null;
    this.blocked = false;
    this.outcomes = 1;
    this.choice = 0;
    this.needed = false;
    this.pruned = false;
    this.obs = null;
    this.ownedFrom = 0;
    if (this.touched.size) this.touched.clear(); // clear() makes a new table even when empty
    this.origObjs = NO_OBJS;
    this.readOthers = null;
    return this;
  }

  /** Makes this Exec a probe of actor idx in s (wouldBlock): only what a probe reads or reports is reset. */
  probe(s: SimState, idx: number): this {
    this.s = s;
    this.idx = idx;
    this.actor = s.actors[idx];
    this.violations = NO_VIOLATIONS;
    this.label = null;
    return this;
  }

  private violate(v: Violation): void {
    if (this.violations === NO_VIOLATIONS) this.violations = [v];
    else this.violations.push(v);
  }

  private obj(id: string, write: boolean): Obj {
    let o = this.s.objs[id];
    if (write && !this.touched.has(id)) {
      o = { ...(o ?? {}) };
      this.s.objs = this.s.objs === this.origObjs ? { ...this.s.objs } : this.s.objs;
      this.s.objs[id] = o;
      this.touched.set(id, []);
    }
    return o ?? {};
  }
  origObjs: Record<string, Obj> = {};

  private pageName(objId: string): string | undefined {
    for (const p of this.w.pages) if (p.obj === objId) return p.name;
    return undefined;
  }

  /**
   * The address of a local used as a struct (a nodemask_t, a typedef'd struct the front end cannot tell from
   * a scalar): the local holds an object of the actor's own, made on first use.
   */
  private viaLocal(ptr: Value): Value {
    if (typeof ptr !== 'string' || !ptr.startsWith('L')) return ptr;
    const cur = this.load(ptr);
    if (typeof cur === 'string' && splitPtr(cur) && !cur.startsWith('L')) return cur;
    const id = `a${this.idx}_${ptr.replace(':', '_')}`;
    this.store(ptr, id);
    return id;
  }

  readField(ptr: Value, field: string): Value {
    ptr = this.viaLocal(ptr);
    const sp = splitPtr(ptr);
    if (!sp) throw this.badPointer(ptr, `read of ${field} through `);
    const [id, sub] = sp;
    const name = sub ? field : field;
    const o = this.obj(id, false);
    if (name in o) return o[name];
    if (id === 'o0') {
      const g = this.w.globalInits?.get(name);
      if (g !== undefined) return g;
    }
    // Never written: unknown, and a pointer to a fresh object if the code follows it.
    return `u_${id}.${name}`;
  }

  writeField(ptr: Value, field: string, v: Value) {
    ptr = this.viaLocal(ptr);
    const sp = splitPtr(ptr);
    if (!sp) throw this.badPointer(ptr, `write of ${field} through `);
    this.obj(sp[0], true)[field] = v;
    this.touched.get(sp[0])?.push(field);
  }

  load(ptr: Value): Value {
    if (typeof ptr === 'string' && ptr.startsWith('L')) {
      const [d, i] = localRef(ptr);
      return this.actor.frames[d].locals[i];
    }
    const sp = splitPtr(ptr);
    if (!sp) throw this.badPointer(ptr, 'dereference of ');
    // An address returned by a call the tree lacks (zone_lru_lock() ...): a word of its own.
    if (sp[1] === null && (isUnknown(ptr) || this.obj(sp[0], false).__new)) return this.readField(sp[0], '__value');
    if (sp[1] === null) return ptr; // *struct_ptr: the object itself (struct copies are not modelled)
    return this.readField(sp[0], sp[1]);
  }

  store(ptr: Value, v: Value) {
    if (typeof ptr === 'string' && ptr.startsWith('L')) {
      const [d, i] = localRef(ptr);
      this.ownLocals(this.ownFrame(d))[i] = v;
      return;
    }
    const sp = splitPtr(ptr);
    // Through a pointer the model made up (an unknown, or the object a walker's buffer argument points to):
    // a word of its own.
    if (sp && sp[1] === null && (isUnknown(ptr) || this.obj(sp[0], false).__new)) return this.writeField(sp[0], '__value', v);
    if (!sp || sp[1] === null) throw this.badPointer(ptr, 'store through ');
    this.writeField(sp[0], sp[1], v);
  }

  /**
   * A pointer the model cannot follow (`what` is the message up to the pointer's text). Through NULL on a path that got there by deciding unknowns (a field
   * nothing set, a call the tree lacks taken as returning NULL): the kernel would oops there, so those
   * decisions do not hold together on a real machine. The path is dropped, as a BUG() on such a path is, and
   * the run's notes say so. Through NULL with nothing assumed, or through a value that is no object, is a gap
   * in the model: the run says unmodelled.
   */
  private badPointer(ptr: Value, what: string): Stop {
    if (ptr !== 0) return this.fail(what + String(ptr));
    const msg = `${what}a NULL pointer`;
    if (!assumedCount(this.actor)) return this.fail(msg);
    const top = this.actor.frames[this.actor.frames.length - 1];
    this.w.lazy?.notFollowed.add(`paths dropped: ${msg} in ${top?.fn ?? '?'}() after deciding unknown values (the kernel would oops there)`);
    this.actor.status = 'infeasible';
    this.pruned = true;
    return new Stop('infeasible');
  }

  fail(msg: string): Stop {
    this.violate({ category: 'unmodelled', message: msg });
    this.actor.status = 'unmodelled';
    return new Stop(msg);
  }

  /**
   * A read of a field some compiled code writes is a shared step; of one nothing writes, a local one. With code
   * compiled lazily, which fields were read as local is kept: if later code writes one, the steps taken so
   * far were cut wrong and the exploration starts over.
   */
  private sharedField(field: string): boolean {
    if (this.w.writtenFields.has(field)) return true;
    this.w.lazy?.localReads.add(field);
    return false;
  }

  /** Is this instruction a shared step? */
  isVisible(ins: Instr, f: Frame): boolean {
    switch (ins.op) {
      case 'fload':
        return this.sharedField(ins.a as string);
      case 'fstore':
        return true;
      case 'deref': {
        const p = f.stack[f.stack.length - 1];
        const sp = splitPtr(p);
        return !!sp && sp[1] !== null && this.sharedField(sp[1]);
      }
      case 'istore': {
        const p = f.stack[f.stack.length - 2];
        return !(typeof p === 'string' && p.startsWith('L'));
      }
      case 'builtin': {
        const name = ins.a as string;
        if (atomicOp(name) || LOCK_ACQUIRE.has(name) || LOCK_RELEASE.has(name) || LOCK_TRY.has(name)) return true;
        if (BUDDY_FREE.has(name) || name === '__kbot_alloc' || name === '__kbot_wait_free' || name === 'wake_up_var') return true;
        if (name === '__kbot_bug') return true;
        const fo = flagOp(name);
        if (fo && fo.op === 'test' && !this.w.flagsMutable && this.w.lazy) this.w.lazy.hiddenFlagTests = true;
        if (fo) return fo.op !== 'test' || this.w.flagsMutable;
        return false;
      }
      case 'callptr': {
        const fp = f.stack[f.stack.length - 1 - (ins.b ?? 0)];
        if (typeof fp !== 'string') return false;
        if (fp.startsWith('u_')) return anyFreeCallback(this.w, ins.targets);
        return this.w.freeCallbacks.has(fp.slice(3));
      }
      case 'unmodelled':
        return true; // a step of its own, so what stops the actor is reported
      default:
        return false;
    }
  }

  /** Whether the actor's next visible instruction would block (only where mayBlock says it may). */
  wouldBlock(ins: Instr, f: Frame): boolean {
    if (ins.op !== 'builtin') return false;
    const name = ins.a as string;
    if (!mayBlock(name)) return false;
    const arg0 = f.stack[f.stack.length - (ins.b ?? 0)];
    if (LOCK_ACQUIRE.has(name)) return truthy(this.load(arg0));
    if (name === '__kbot_wait_free') {
      const pn = this.pageName(String(arg0));
      return !pn || this.s.life[pn] !== 'free';
    }
    return false;
  }

  /** Frame d of the actor, copied first if it is still shared with the state the step started from. */
  private ownFrame(d: number): Frame {
    const frames = this.actor.frames;
    if (d < this.ownedFrom) {
      for (let k = d; k < this.ownedFrom && k < frames.length; k++) {
        const f = frames[k];
        frames[k] = makeFrame(f.fn, f.pc, f.locals, f.stack.slice(), f.n0, true, f.lt, f.lid, f.cf);
      }
      this.ownedFrom = d;
    }
    return frames[d];
  }

  /** The locals of frame f (one this step owns), copied first if still shared with its predecessor's. */
  private ownLocals(f: Frame): Value[] {
    if (f.localsShared) {
      f.locals = f.locals.slice();
      f.localsShared = false;
      f.lt = undefined;
      f.lid = undefined;
    }
    return f.locals;
  }

  /** Run until after one visible instruction and up to (not including) the next one. */
  run(maxInstr: number) {
    const a = this.actor;
    let n = 0;
    try {
      while (a.status === 'run') {
        const f = a.frames.length - 1 < this.ownedFrom ? this.ownFrame(a.frames.length - 1) : a.frames[a.frames.length - 1];
        const fn = f.cf;
        const ins = fn.code[f.pc];
        // Most instructions are local by their op alone (a constant, a local, a jump, a call): no fork, no step.
        let of = fn.opFlags;
        if (of === undefined || of.code !== fn.code) fn.opFlags = of = opFlags(fn.code);
        const flags = of.flags[f.pc];
        const opc = of.ops[f.pc];
        const fork = flags & MAY_FORK ? this.forkAt(ins, f) : null;
        if (fork || (flags & MAY_BE_SHARED && this.isVisible(ins, f))) {
          if (this.visibleDone) return;
          this.visibleDone = true;
          this.label = this.makeLabel(ins, fn);
          if (fork) this.decide(fork, ins);
        }
        if (++n > maxInstr) throw this.fail(`more than ${maxInstr} steps without a shared access in ${fn.name} (a loop the model cannot bound)`);
        this.exec(ins, f, opc);
      }
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
    }
  }

  /** The decision about an unknown that ins needs and the path has not made yet, or null. */
  forkAt(ins: Instr, f: Frame): Fork | null {
    const st = f.stack;
    const assumed = this.actor.assumed;
    const truth = truthFork;
    switch (ins.op) {
      case 'jz':
        // The kernel's own assertion on something the model does not know: it holds (one outcome, named).
        if (ins.assert) {
          const v = st[st.length - 1];
          if (!isUnknown(v) || v in assumed) return null;
          return assertFork(ins.assert, v);
        }
        return truth(st[st.length - 1], assumed);
      case 'jnz':
        return truth(st[st.length - 1], assumed);
      case 'un':
        return ins.a === '!' || ins.a === '!!' ? truth(st[st.length - 1], assumed) : null;
      case 'bin': {
        const op = ins.a as string;
        const l = st[st.length - 2];
        const r = st[st.length - 1];
        if (op === '&&' || op === '||') return truth(isUnknown(l) ? l : r, assumed);
        const c = comparisonKey(op, l, r, !f.cf.glue);
        if (!c || c.key in assumed) return null;
        if (c.truthOf) return truth(c.truthOf, assumed);
        return comparisonFork(c.key, `${describeUnknown(l)} ${c.eq ? '==' : op} ${describeUnknown(r)}`);
      }
      case 'builtin': {
        // A pfn the model does not know (get_ksm_page()'s stable_node->kpfn): the scenario's page's, or another.
        if (!PFN_LOOKUPS.has(ins.a as string)) return null;
        const pfn = st[st.length - (ins.b ?? 0)];
        if (!isUnknown(pfn) || `pfn:${pfn}` in assumed || !this.w.pages.length) return null;
        return pfnFork(pfn, this.w.pages[0].name);
      }
      case 'callptr': {
        const fp = st[st.length - 1 - (ins.b ?? 0)];
        const targets = ins.targets ?? [];
        if (!isUnknown(fp) || targets.length < 2) return null;
        const key = `${fp}()`;
        if (key in assumed) return null;
        return targetFork(key, ins.text ?? '', targets);
      }
    }
    return null;
  }

  /** Takes this step's outcome of a fork and records it on the actor and the label. */
  private decide(fork: Fork, ins: Instr) {
    const max = this.w.maxAssumptions ?? DEFAULT_MAX_ASSUMPTIONS;
    const had = assumedCount(this.actor);
    const bound = had >= max;
    const k = bound ? 0 : Math.min(this.choice, fork.arity - 1);
    this.outcomes = bound ? 1 : fork.arity;
    const again = fork.key in this.actor.assumed;
    const parent = this.actor.assumed;
    this.actor.assumed = { ...parent, [fork.key]: k };
    assumedFrom.set(this.actor.assumed, { parent, key: fork.key, value: k });
    this.actor.nAssumed = again ? had : had + 1;
    const text = `assuming ${fork.text(k)} at ${ins.loc.file}:${ins.loc.line}` +
      (bound ? ` (the bound of ${max} assumptions on this path is reached: the default is taken)` : '');
    this.label!.assumption = text;
    if (ins.op !== 'callptr') this.label!.op = text;
  }

  /** The truth of a tested value, unknowns as decided on this path (0 when never decided). */
  private truth(v: Value): boolean {
    if (isUnknown(v)) return (this.actor.assumed[v] ?? 0) !== 0;
    return truthy(v);
  }

  private binop(op: string, l: Value, r: Value): Value {
    if (!isUnknown(l) && !isUnknown(r)) return binop(op, l, r);
    if (op === '&&') return this.truth(l) && this.truth(r) ? 1 : 0;
    if (op === '||') return this.truth(l) || this.truth(r) ? 1 : 0;
    const top = this.actor.frames[this.actor.frames.length - 1];
    const c = comparisonKey(op, l, r, !!top && !top.cf.glue);
    if (c) {
      if (c.truthOf) {
        const t = this.truth(c.truthOf);
        return (op === '==' ? !t : t) ? 1 : 0;
      }
      const d = this.actor.assumed[c.key];
      if (d !== undefined) return c.eq ? ((op === '==') === (d !== 0) ? 1 : 0) : d;
    }
    // What an unknown cannot change: a known 0 masked, multiplied or shifted by it is 0 (`flags & FOLL_PIN`
    // with flags 0 and FOLL_PIN a constant the tree's headers did not give).
    if (((op === '&' || op === '*') && (l === 0 || r === 0)) || ((op === '<<' || op === '>>') && l === 0)) return 0;
    if (COMPARISONS.has(op) || typeof l === 'string' && !isUnknown(l) || typeof r === 'string' && !isUnknown(r)) {
      // An unknown against a known pointer (or past the bound): as before, the unknown reads as 0.
      return binop(op, isUnknown(l) ? 0 : l, isUnknown(r) ? 0 : r);
    }
    return derivedBinop(op, l, r);
  }

  private unop(op: string, v: Value): Value {
    if (!isUnknown(v)) return unop(op, v);
    if (op === '!') return this.truth(v) ? 0 : 1;
    if (op === '!!') return this.truth(v) ? 1 : 0;
    if (op === '+') return v;
    return derived(`${op}${describeUnknown(v)}`, op, v);
  }

  private makeLabel(ins: Instr, fn: CompiledFunction): StepLabel {
    const frames = this.actor.frames;
    const via: string[] = new Array(frames.length - 1);
    for (let d = 0; d < frames.length - 1; d++) via[d] = viaText(this.w, frames[d]);
    let op = ins.text ?? '';
    if (!op) {
      if (ins.op === 'fload') op = `read ->${ins.a}`;
      else if (ins.op === 'fstore' || ins.op === 'istore') op = 'store';
      else if (ins.op === 'deref') op = 'read';
    }
    return { actor: this.idx, func: fn.name, file: ins.loc.file, line: ins.loc.line, op, via };
  }

  private exec(ins: Instr, f: Frame, opc: number) {
    const st = f.stack;
    // On the op's number (opFlags): a switch on numbers is a jump table, on strings a row of comparisons.
    switch (opc) {
      case OP.const:
        st.push(ins.a as Value);
        f.pc++;
        return;
      case OP.lload:
        st.push(f.locals[ins.a as number] ?? 0);
        f.pc++;
        return;
      case OP.lstore:
        this.ownLocals(f)[ins.a as number] = st.pop()!;
        f.pc++;
        return;
      case OP.laddr:
        st.push(localAddr(this.actor.frames.length - 1, ins.a as number));
        f.pc++;
        return;
      case OP.fload: {
        const p = st.pop()!;
        st.push(this.readField(p, ins.a as string));
        f.pc++;
        return;
      }
      case OP.fstore: {
        const v = st.pop()!;
        const p = st.pop()!;
        this.writeField(p, ins.a as string, v);
        f.pc++;
        return;
      }
      case OP.faddr: {
        const p = this.viaLocal(st.pop()!);
        const sp = splitPtr(p);
        if (!sp) throw this.badPointer(p, `address of ->${ins.a} through `);
        st.push(fieldAddr(sp[0], ins.a as string));
        f.pc++;
        return;
      }
      case OP.deref:
        st.push(this.load(st.pop()!));
        f.pc++;
        return;
      case OP.istore: {
        const v = st.pop()!;
        const p = st.pop()!;
        this.store(p, v);
        st.push(v);
        f.pc++;
        return;
      }
      case OP.bin: {
        const r = st.pop()!;
        const l = st.pop()!;
        st.push(this.binop(ins.a as string, l, r));
        f.pc++;
        return;
      }
      case OP.un: {
        const v = st.pop()!;
        st.push(this.unop(ins.a as string, v));
        f.pc++;
        return;
      }
      case OP.jmp:
        f.pc = ins.a as number;
        return;
      case OP.jz: {
        const taken = this.truth(st.pop()!);
        // A check in tree code that sends the code away (its jz carries the condition), taken: what last
        // decided the actor's way.
        if (taken && ins.text && !f.cf.glue) this.actor.lastBranch = `${ins.loc.file}:${ins.loc.line}|${ins.text}`;
        f.pc = taken ? f.pc + 1 : (ins.a as number);
        return;
      }
      case OP.jnz:
        f.pc = this.truth(st.pop()!) ? (ins.a as number) : f.pc + 1;
        return;
      case OP.pop:
        st.pop();
        f.pc++;
        return;
      case OP.dup:
        st.push(st[st.length - 1]);
        f.pc++;
        return;
      case OP.call: {
        const name = ins.a as string;
        const lz = this.w.lazy;
        // Not compiled yet, or being compiled for another run on the tree (its placeholder has no code).
        if (lz && !(this.w.functions.get(name)?.code.length) && !lz.opaque.has(name)) this.need(name, f);
        const args = st.splice(st.length - (ins.b ?? 0));
        f.pc++;
        if (lz && (lz.opaque.has(name) || this.actor.frames.length - 1 >= lz.maxCallDepth)) {
          if (!lz.opaque.has(name)) lz.notFollowed.add(`not followed: ${name}() from ${f.fn} at ${ins.loc.file}:${ins.loc.line} (call depth ${lz.maxCallDepth}, sim.max_call_depth; taken as returning an unknown value)`);
          st.push(this.freshUnknown(ins));
          return;
        }
        this.enter(name, args);
        return;
      }
      case OP.callptr: {
        const args = st.splice(st.length - (ins.b ?? 0));
        let fp = st.pop()!;
        f.pc++;
        if (isUnknown(fp)) {
          // A pointer the model never set: one of the functions the tree stores in that field, as decided on
          // this path; none known, a call the tree lacks.
          const targets = ins.targets ?? [];
          if (targets.length === 0) {
            st.push(this.freshUnknown(ins));
            return;
          }
          fp = `fn:${targets[this.actor.assumed[`${fp}()`] ?? 0].fn}`;
        }
        if (typeof fp !== 'string' || !fp.startsWith('fn:')) throw this.fail(`call through ${fp === 0 ? 'a NULL function pointer' : String(fp)}: ${ins.text ?? ''}`);
        const target = fp.slice(3);
        const lz = this.w.lazy;
        if (lz && !(this.w.functions.get(target)?.code.length) && !isModelName(target) && !lz.opaque.has(target)) this.need(target, f);
        if (this.w.freeCallbacks.has(target)) this.freeEvent(args[0], `${target}()`);
        if (lz?.opaque.has(target)) st.push(this.freshUnknown(ins));
        else if (this.w.functions.has(target)) this.enter(target, args);
        else st.push(this.builtin(target, args, ins));
        return;
      }
      case OP.builtin: {
        const args = st.splice(st.length - (ins.b ?? 0));
        f.pc++;
        const r = this.builtin(ins.a as string, args, ins);
        if (this.blocked) return;
        st.push(r);
        return;
      }
      case OP.ret: {
        const v = st.pop() ?? 0;
        this.actor.frames.pop();
        if (this.actor.frames.length === 0) {
          this.actor.status = 'done';
          if (!this.actor.triedGet && this.w.actors[this.idx]?.role === 'walker') this.obs?.stopped(this.actor.lastBranch ?? '');
        }
        else this.ownFrame(this.actor.frames.length - 1).stack.push(v);
        return;
      }
      case OP.unmodelled:
        throw this.fail(String(ins.a));
    }
  }

  private enter(name: string, args: Value[]) {
    const fn = this.w.functions.get(name);
    if (!fn) throw this.fail(`no compiled function ${name}`);
    if (fn.code.length === 0) throw this.fail(`recursive call of ${name} is not modelled`);
    if (this.actor.frames.length > 64) throw this.fail(`call depth over 64 at ${name}`);
    const locals: Value[] = new Array(fn.nlocals).fill(0);
    for (let i = 0; i < fn.params.length; i++) locals[i] = args[i] ?? 0;
    this.actor.frames.push(makeFrame(name, 0, locals, [], assumedCount(this.actor), false, undefined, undefined, fn));
  }

  /** A call of a function not compiled yet: the step stops here, stuck, and says what it needs. */
  private need(name: string, f: Frame): never {
    const at = this.w.functions.get(f.fn)?.code[f.pc]?.loc;
    this.w.lazy!.needs.set(name, { fn: f.fn, file: at?.file ?? '', line: at?.line ?? 0 });
    this.needed = true;
    throw new Stop(`needs ${name}`);
  }

  private freeEvent(pagePtr: Value, how: string) {
    const sp = splitPtr(pagePtr);
    const pn = sp ? this.pageName(sp[0]) : undefined;
    if (!pn) return;
    if (this.s.life[pn] === 'free') {
      this.violate({
        category: 'double-free',
        message: `${how} frees ${pn} a second time: it is already free (refcount ${this.refcount(pn)})`,
      });
      this.s.freeList = [...this.s.freeList, pn];
      return;
    }
    this.s.life = { ...this.s.life, [pn]: 'free' };
    this.s.freeList = [...this.s.freeList, pn];
    if (this.label) this.label.freedAt = this.refcount(pn);
  }

  refcount(pn: string): number {
    let p: PageSpec | undefined;
    for (const x of this.w.pages) if (x.name === pn) { p = x; break; }
    p = p!;
    const o = this.s.objs[p.obj] ?? {};
    return Number(o._refcount ?? o._count ?? 0);
  }

  private builtin(name: string, args: Value[], ins: Instr): Value {
    // Most builtins a step calls are none of these: one lookup says so (specialBuiltin).
    if (specialBuiltin(name)) {
      const op = atomicOp(name);
      if (op) return this.atomic(op, args, ins);
      if (LOCK_ACQUIRE.has(name)) {
        if (truthy(this.load(args[0]))) {
          this.blocked = true;
          return 0;
        }
        this.store(args[0], 1);
        return 0;
      }
      if (LOCK_RELEASE.has(name)) {
        this.store(args[0], 0);
        return 0;
      }
      if (LOCK_TRY.has(name)) {
        if (truthy(this.load(args[0]))) return 0;
        this.store(args[0], 1);
        return 1;
      }
      if (BUDDY_FREE.has(name)) {
        this.freeEvent(args[0], `${name}()`);
        return 0;
      }
      // Another page from the page allocator, or NULL (BUDDY_ALLOC).
      if (isBuddyAlloc(name)) return this.freshUnknown(ins);
      if (name === 'wake_up_var') {
        // Waking the waiters on a page's refcount (or, in later kernels, on the page itself) is how fsdax-style
        // pages are declared idle: from then on the owner (a filesystem) may reuse the page, so to the model it
        // is free.
        const sp = splitPtr(args[0]);
        if (sp && (sp[1] === null || REF_FIELDS.has(sp[1])) && this.pageName(sp[0])) {
          this.freeEvent(sp[0], sp[1] ? 'wake_up_var(&page->_refcount)' : 'wake_up_var(page)');
        }
        return 0;
      }
      const fo = flagOp(name);
      if (fo) return this.flag(fo, args[0]);
    }
    if (PFN_LOOKUPS.has(name) && isUnknown(args[0])) {
      // As decided on this path (forkAt): the scenario's page's pfn, or some other page's.
      if (this.actor.assumed[`pfn:${args[0]}`]) args = [this.s.objs[this.w.pages[0].obj]?.__pfn ?? 0, ...args.slice(1)];
      else return name === 'pfn_valid' || name === 'pfn_present' ? 1 : this.freshUnknown(ins);
    }
    switch (name) {
      case 'pfn_to_page':
      case 'pfn_to_online_page': {
        const p = this.pageOfPfn(args[0]);
        if (!p) return 0;
        if (name === 'pfn_to_online_page' && !truthy(this.s.objs[p.obj]?.__online ?? 0)) return 0;
        return p.obj;
      }
      case 'get_dev_pagemap': {
        // The pgmap that owns a device pfn (with the caller's reference, which the model does not count).
        const p = this.pageOfPfn(args[0]);
        return p ? (this.s.objs[p.obj]?.pgmap ?? 0) : 0;
      }
      case 'page_to_pfn': {
        const sp = splitPtr(args[0]);
        return sp ? (this.s.objs[sp[0]]?.__pfn ?? 0) : 0;
      }
      case 'pfn_valid':
      case 'pfn_present':
        return this.pageOfPfn(args[0]) ? 1 : 0;
      case 'compound_head':
      case '_compound_head':
      case 'page_folio':
      case 'folio_page':
      case 'virt_to_page':
      case 'page_to_virt': {
        const sp = splitPtr(args[0]);
        return sp ? sp[0] : args[0];
      }
      case 'page_zonenum':
      case 'folio_zonenum': {
        const sp = splitPtr(args[0]);
        return sp ? (this.s.objs[sp[0]]?.__zone ?? 0) : 0;
      }
      case 'memdesc_zonenum':
      case 'memdesc_is_zone_device': {
        // Newer kernels pass the flags word (folio->flags), not the page: the model's flags word is an unknown
        // value that still names its page ("u_<page>.flags").
        const m = typeof args[0] === 'string' ? /^u_(.+)\.flags$/.exec(args[0]) : null;
        const zone = m ? this.s.objs[m[1]]?.__zone : undefined;
        if (name === 'memdesc_zonenum') return zone ?? 0;
        return zone !== undefined && zone === this.w.zoneDevice ? 1 : 0;
      }
      case 'page_pgmap':
      case 'folio_pgmap':
        return this.readField(args[0], 'pgmap');
      case 'folio_nr_pages':
      case 'thp_nr_pages':
      case 'hpage_nr_pages':
        return 1;
      case 'compound_order':
      case 'folio_order':
        return 0;
      case 'static_branch_unlikely':
      case 'static_branch_likely':
      case 'static_key_enabled':
      case 'static_key_false':
      case 'static_key_true':
        return 1; // the keys guarding ZONE_DEVICE paths are on once such pages exist, as in every scenario here
      case 'tracepoint_enabled':
      case 'page_ref_tracepoint_active':
      case 'folio_ref_count_tracepoint':
      case 'in_interrupt':
      case 'in_atomic':
      case 'irqs_disabled':
      case 'is_zero_pfn':
        return 0;
      case '__kbot_container_of': {
        const sp = splitPtr(args[0]);
        return sp ? sp[0] : args[0];
      }
      case '__kbot_newobj': {
        let i = 0;
        const base = `n${this.idx}_`;
        while (`${base}${i}` in this.s.objs) i++;
        this.obj(`${base}${i}`, true).__new = 1;
        this.touched.set(`${base}${i}`, null);
        return `${base}${i}`;
      }
      case '__kbot_index_load':
        return this.readField(args[0], `[${args[1]}]`);
      case '__kbot_index_addr': {
        const sp = splitPtr(args[0]);
        if (!sp) throw this.badPointer(args[0], 'index through ');
        return `${sp[0]}/[${args[1]}]`;
      }
      case '__kbot_bug': {
        const text = ins.text ?? 'BUG()';
        // BUG() in a function where this path assumed something about an unknown (list_debug's
        // CHECK_DATA_CORRUPTION(next == NULL) on a list the model never built): the kernel says the branch is
        // never taken, so the assumption was wrong and the path is dropped. A BUG_ON() on known values fires.
        // So does a BUG_ON() whose condition held only by an assumption its own evaluation made
        // (lruvec_memcg(lruvec) != root_mem_cgroup on a memcg the model never built).
        const top = this.actor.frames[this.actor.frames.length - 1];
        const now = assumedCount(this.actor);
        const before = typeof args[0] === 'number' ? args[0] : now;
        // BUG_ON(1) and VM_BUG_ON(1) (mem_cgroup_update_lru_size()'s, after a WARN_ONCE on a count the model
        // does not know) are BUG() spelled otherwise.
        const unconditional = text === 'BUG()' || /^\w+\(\s*(1|true)\s*\)$/.test(text);
        if ((unconditional && now > (top?.n0 ?? 0)) || now > before) {
          this.actor.status = 'infeasible';
          this.pruned = true;
          throw new Stop('infeasible');
        }
        // A check that the count is not zero (or about to wrap) is an underflow check; others are assertions.
        const aboutRef = /(ref|count)/i.test(text) && /(==|<=)\s*0\b|<\s*[01]\b|zero|underflow|!\s*(page|folio)_(ref_)?count/i.test(text);
        this.violate({
          category: aboutRef ? 'refcount-underflow' : 'assertion',
          message: `${text} fires at ${ins.loc.file}:${ins.loc.line}`,
        });
        this.actor.status = 'bug';
        throw new Stop(text);
      }
      case '__kbot_assumptions':
        return assumedCount(this.actor);
      case '__kbot_held': {
        const pn = this.pageNameOf(args[0]);
        return pn ? (this.actor.held[pn] ?? 0) : 0;
      }
      case '__kbot_wait_free': {
        const pn = this.pageNameOf(args[0]);
        if (!pn || this.s.life[pn] !== 'free') this.blocked = true;
        return 0;
      }
      case '__kbot_alloc': {
        const pn = this.pageNameOf(args[0]);
        if (pn && this.s.life[pn] === 'free') this.allocEvent(pn);
        return args[0];
      }
      case '__kbot_opaque':
        return this.freshUnknown(ins);
    }
    if (NO_EFFECT.has(name) || name.startsWith('trace_')) return 0;
    return 0;
  }

  /** What a call the tree lacks returns: an unknown of its own each time it is called. */
  private freshUnknown(ins: Instr): string {
    const n = this.actor.unknowns++;
    return `u_${sanitized(ins.text ?? 'call()')}#${n}`;
  }

  /** The page leaves the free state: whoever still holds a reference to it now shares it with its new owner. */
  private allocEvent(pn: string) {
    (this.readOthers ??= []).push(pn);
    const holder = holderOf(this.s, this.idx, pn);
    if (holder >= 0) {
      this.violate({
        category: 'use-after-free',
        message: `the ${this.w.actors[this.idx].role} hands ${pn} out again while CPU${holder} still holds a reference to it`,
      });
    }
    this.s.life = { ...this.s.life, [pn]: 'allocated' };
    this.s.freeList = withoutPage(this.s.freeList, pn);
  }

  /** The scenario's page whose pfn is pfn, if any. */
  private pageOfPfn(pfn: Value): PageSpec | undefined {
    for (const x of this.w.pages) if (Number(this.s.objs[x.obj]?.__pfn) === Number(pfn)) return x;
    return undefined;
  }

  private pageNameOf(p: Value): string | undefined {
    const sp = splitPtr(p);
    return sp ? this.pageName(sp[0]) : undefined;
  }

  private flag(fo: { flag: string; op: string }, page: Value): Value {
    const sp = splitPtr(page);
    if (!sp) throw this.fail(`page flag ${fo.flag} of a NULL page`);
    const raw = this.readField(sp[0], '__flags');
    const flags = isUnknown(raw) ? '' : String(raw || '');
    const set = new Set(flags ? flags.split(',') : []);
    const had = set.has(fo.flag) ? 1 : 0;
    if (fo.op === 'test') return had;
    if (fo.op === 'set' || fo.op === 'testset') set.add(fo.flag);
    else set.delete(fo.flag);
    this.writeField(sp[0], '__flags', [...set].sort().join(','));
    return fo.op.startsWith('test') ? had : 0;
  }

  private atomic(op: string, args: Value[], ins: Instr): Value {
    if (op === 'try_cmpxchg') {
      this.noteGet(op, args[0]);
      // atomic_try_cmpxchg(v, &old, new): on failure *old is updated.
      const cur = toNum(this.load(args[0]));
      const expected = toNum(this.load(args[1]));
      if (cur === expected) {
        this.atomicWrite(args[0], cur, toNum(args[2]), ins);
        return 1;
      }
      this.store(args[1], cur);
      return 0;
    }
    const spec = ATOMICS[op];
    const ptr = args[spec.ptr];
    this.noteGet(op, ptr);
    const cur = this.load(ptr);
    // A count the model does not know (an object no actor built): what the op returns is unknown too, and what
    // it writes is unknown (never a count made up from 0).
    if (isUnknown(cur)) {
      if (op === 'read') return cur;
      // What it returns and the count it leaves are two unknowns: deciding one (dec_and_test is true) says
      // nothing the model could check about the other.
      const r = this.freshUnknown(ins);
      this.store(ptr, op === 'set' ? (args[1] ?? 0) : this.freshUnknown(ins));
      return r;
    }
    const old = toNum(cur);
    const r = spec.apply(old, args.map(toNum));
    if (r.writes) this.atomicWrite(ptr, old, r.next, ins);
    if (this.label) this.label.op = `${ins.text ?? op} = ${r.ret}`;
    return r.ret;
  }

  /** An atomic op on a page's refcount that may change it (not a plain read or set) is the actor's get attempt. */
  private noteGet(op: string, ptr: Value) {
    if (op === 'read' || op === 'set') return;
    const sp = splitPtr(ptr);
    if (!sp || !sp[1] || !REF_FIELDS.has(sp[1]) || !this.pageName(sp[0])) return;
    this.actor.triedGet = true;
    if (this.w.actors[this.idx]?.role === 'walker') this.obs?.got();
  }

  private atomicWrite(ptr: Value, old: number, next: number, ins: Instr) {
    this.store(ptr, next);
    const sp = splitPtr(ptr);
    if (!sp || !sp[1] || !REF_FIELDS.has(sp[1])) return;
    const pn = this.pageName(sp[0]);
    if (!pn) return;
    const delta = next - old;
    // A free page is its driver's: the driver's own code (its free callback, entered from the release) may set
    // the count of a page on its free list (a driver that keeps free pages at 1). That is neither an actor's
    // reference nor a get; what the count then lets others do is.
    if (this.s.life[pn] === 'free' && inFreeCallback(this.w, this.actor.frames)) return;
    this.actor.held = { ...this.actor.held, [pn]: (this.actor.held[pn] ?? 0) + delta };
    const spec = this.w.actors[this.idx];
    // The allocator's first reference on a free page is the allocation itself (0 -> 1 or, where free pages
    // sit at 1, 1 -> 2): from that step on the page is in use.
    if (delta > 0 && this.s.life[pn] === 'free' && spec.allocator) this.allocEvent(pn);
    if (delta > 0 && this.s.life[pn] === 'free' && !spec.allocator) {
      this.violate({
        category: 'speculative-get-on-free-page',
        message: `${ins.text ?? 'a get'} succeeds on ${pn} while it is free (refcount ${old} -> ${next})`,
      });
    }
    if (next < 0) {
      this.violate({ category: 'refcount-underflow', message: `refcount of ${pn} drops below zero (${old} -> ${next})` });
    }
  }
}

/**
 * The decision a comparison involving an unknown needs: against 0 (== or !=) it is the unknown's truth, so
 * `if (x)` and `if (x != 0)` agree; against a number or another unknown, the comparison itself. Null when the
 * comparison needs none (no unknown, identical operands, an unknown against a known pointer).
 */
type ComparisonKey = { key: string; truthOf?: string; eq?: boolean } | null;
/** comparisonKey's answers, by pointers flag, op, left and right operand (it is a pure function of them). */
const comparisonKeys = [new Map<string, Map<Value, Map<Value, ComparisonKey>>>(), new Map<string, Map<Value, Map<Value, ComparisonKey>>>()];
let comparisonKeysSize = 0;

function comparisonKey(op: string, l: Value, r: Value, pointers = true): ComparisonKey {
  if (!COMPARISONS.has(op) || (!isUnknown(l) && !isUnknown(r)) || l === r) return null;
  const byOp = comparisonKeys[pointers ? 1 : 0];
  let byL = byOp.get(op);
  if (byL === undefined) byOp.set(op, (byL = new Map()));
  let byR = byL.get(l);
  if (byR === undefined) byL.set(l, (byR = new Map()));
  let c = byR.get(r);
  if (c === undefined) {
    if (++comparisonKeysSize > 1 << 16) {
      comparisonKeys[0].clear();
      comparisonKeys[1].clear();
      comparisonKeysSize = 0;
    }
    byR.set(r, (c = comparisonKeyOf(op, l, r, pointers)));
    if (c) Object.freeze(c);
  }
  return c;
}

function comparisonKeyOf(op: string, l: Value, r: Value, pointers: boolean): ComparisonKey {
  const known = isUnknown(l) ? r : l;
  if (typeof known === 'string' && !isUnknown(known)) {
    // An unknown pointer against one the model built (list_debug's prev->next != entry): equal or not, one
    // decision for == and != alike; by default not equal. Only in the tree's code: a scenario's glue compares
    // what a driver hands out with the scenario's page, which an unknown is not (equality does not alias).
    if ((op !== '==' && op !== '!=') || !pointers) return null;
    return { key: `${isUnknown(l) ? l : r}==${known}`, eq: true };
  }
  if ((op === '==' || op === '!=') && known === 0) {
    const u = (isUnknown(l) ? l : r) as string;
    return { key: u, truthOf: u };
  }
  return { key: `${l}${op}${r}` };
}

function binop(op: string, l: Value, r: Value): Value {
  if (isUnknown(l)) l = 0;
  if (isUnknown(r)) r = 0;
  if (typeof l === 'string' || typeof r === 'string') {
    // Pointer comparisons; pointer arithmetic is not modelled beyond identity.
    if (op === '==') return l === r ? 1 : 0;
    if (op === '!=') return l !== r ? 1 : 0;
    if (op === '&&') return truthy(l) && truthy(r) ? 1 : 0;
    if (op === '||') return truthy(l) || truthy(r) ? 1 : 0;
    if (op === '&' && typeof r === 'number') return 0; // low tag bits of an aligned pointer
    return typeof l === 'string' ? l : r;
  }
  return cBinary(op, l, r) ?? 0;
}

function unop(op: string, v: Value): Value {
  if (isUnknown(v)) v = 0;
  switch (op) {
    case '!': return truthy(v) ? 0 : 1;
    case '!!': return truthy(v) ? 1 : 0;
    case '-': return typeof v === 'number' ? -v : 0;
    case '+': return v;
    case '~': return typeof v === 'number' ? ~v : 0;
  }
  return v;
}

function cloneActor(a: ActorState): ActorState {
  // The frames themselves are shared until the step writes one (Exec.ownFrame).
  return makeActor(a.frames.slice(), a.status, a.held, a.assumed, a.nAssumed, a.unknowns, a.triedGet, a.lastBranch);
}

/** Whether a builtin can block: wouldBlock asks the objects only for these. */
function mayBlock(name: string): boolean {
  return LOCK_ACQUIRE.has(name) || name === '__kbot_wait_free';
}

/** ActorState.en: whether the actor can step, from its own state. */
function canStep(a: ActorState): 0 | 1 | 2 {
  if (a.status !== 'run') return 0;
  const f = a.frames[a.frames.length - 1];
  const ins = f.cf.code[f.pc];
  return ins.op === 'builtin' && mayBlock(ins.a as string) ? 2 : 1;
}

/** An actor state with every field set, its caches empty (one shape for all, as makeState for states). */
function makeActor(frames: Frame[], status: ActorStatus, held: Record<string, number>, assumed: Record<string, number>, nAssumed: number | undefined, unknowns: number, triedGet: boolean | undefined, lastBranch: string | undefined): ActorState {
  return { frames, status, held, assumed, nAssumed, unknowns, triedGet, lastBranch, id: undefined, fp: undefined, fut: undefined, futGen: undefined, n0s: undefined, lbId: undefined, en: undefined };
}

// A state's key is a vector of small integers (vector()): each object's contents, each actor's state and the
// pages' life are interned once as text and named by their number from then on. States share every object and
// actor a step did not touch (copy on write), so these numbers are cached by identity: a state's key costs the
// objects and the actor that changed, not the whole state. An actor's number is built from numbers too (its
// top frame's with those below, its assumptions'), so a step costs the frames it changed, not the actor's
// whole text (a real tree's actor is tens of frames deep and carries dozens of assumptions).

/** In (key, value) pairs sorted by key, the pair number where `key` is or would go (binary search). */
function pairIndex(pairs: ArrayLike<number>, key: number): number {
  let lo = 0;
  let hi = pairs.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pairs[2 * mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sorted (decision, outcome) pairs with decision d set to v: replaced where it is, else put in its place. */
function withPair(pairs: number[], d: number, v: number): number[] {
  const lo = pairIndex(pairs, d);
  const out = pairs.slice(0, 2 * lo);
  out.push(d, v);
  for (let k = 2 * lo + (2 * lo < pairs.length && pairs[2 * lo] === d ? 2 : 0); k < pairs.length; k++) out.push(pairs[k]);
  return out;
}

function heldText(held: Record<string, number>): string {
  let k = '';
  for (const p in held) if (held[p]) k += `|h${p}=${held[p]}`;
  return k;
}

function objText(o: Obj): string {
  let k = '{';
  for (const f of Object.keys(o).sort()) k += `${f}=${o[f]};`;
  return k + '}';
}

/** A cached step (Machine.memo): its result, and the parts of the successor it made. */
interface StepMemo {
  /**
   * A marker: the step read the other actors' references to these pages (Exec.readOthers), and its entries are
   * under the key with, for each, the first other actor holding one (holderOf) added. False on an entry.
   */
  others: string[] | false;
  /** Its label, violations and outcomes, and whether it was pruned. */
  result: { label: StepLabel; violations: Violation[]; outcomes?: number; pruned?: boolean };
  /** The actor's state after the step (shared by every successor made from this entry; never written again). */
  actor?: ActorState;
  /** The objects after the step, with their part of the vector; undefined: the step wrote none. */
  objs?: { objs: SimState['objs']; vec: number[] | undefined; id: number };
  /** The pages' life and free list after the step, with their number; undefined: unchanged. */
  life?: { life: SimState['life']; freeList: string[]; id: number };
}

/** The first actor but `self` that holds a reference to page pn in s, or -1 (what allocEvent reads of the others). */
function holderOf(s: SimState, self: number, pn: string): number {
  for (let i = 0; i < s.actors.length; i++) if (i !== self && (s.actors[i].held[pn] ?? 0) > 0) return i;
  return -1;
}

/** Entries the step cache holds before it is emptied. */
const STEP_MEMO_LIMIT = 1 << 17;

/** Numbers for texts, first come first numbered. */
class Interner {
  private ids = new Map<string, number>();
  of(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) this.ids.set(text, (id = this.ids.size));
    return id;
  }
  get size(): number {
    return this.ids.size;
  }
}

export class Machine implements TransitionSystem<SimState, StepLabel> {
  /** The violation categories the machine checks (unmodelled code is a note, not a property). */
  readonly properties = ['speculative-get-on-free-page', 'double-free', 'use-after-free', 'refcount-underflow', 'page-leak', 'assertion'] as const;
  /** key() sorts identical actors, so actor numbers do not name the same actor across visits of a key. */
  readonly symmetric: boolean;
  /** Violations of actors' local code before their first shared step, from the last initial(). */
  prefixViolations: Violation[] = [];
  /** Whether the last initial() called code not compiled yet (World.lazy.needs says what): compile it, ask again. */
  initialStuck = false;
  private walkerStops = new Map<string, { file: string; line: number; text: string }>();
  private walkerGot = false;
  private readonly observer: Observer = {
    got: () => {
      this.walkerGot = true;
    },
    stopped: (at) => {
      if (this.walkerStops.has(at)) return;
      const m = /^(.*):(\d+)\|(.*)$/s.exec(at);
      this.walkerStops.set(at, m ? { file: m[1], line: Number(m[2]), text: m[3] } : { file: '', line: 0, text: '' });
    },
  };

  /** What the walkers did over every step taken so far (exploration, probes, replays). */
  get walkers(): WalkerObservation {
    return { reachedGet: this.walkerGot, stoppedBy: [...this.walkerStops.values()] };
  }

  // Interned texts of objects, actors and names, and the numbers of objects and actors already seen (vector()).
  private readonly texts = new Interner();
  private readonly objIds = new WeakMap<Obj, number>();
  private readonly edits = new Map<string, number>();
  /** Edits of one field: old contents' number → field → value written → new contents' number. */
  private readonly fieldEdits = new Map<number, Map<string, Map<Value, number>>>();
  /**
   * Numbers of `assumed` records (assumedId), with their (decision number, outcome) pairs in ascending order of
   * the decisions: a decision makes a new record (Exec.decide), never edits one.
   */
  private readonly assumedIds = new WeakMap<Record<string, number>, { id: number; pairs: number[] }>();
  /** Frames by (number of the frame below, function, pc, locals, stack): a frame's number (frameId) is its index. */
  private readonly frames = new VectorSet();
  private readonly frameScratch = [0, 0, 0, 0, 0];
  /** Numbers of decision keys (assumedId). */
  private readonly decisions = new Interner();
  /** The symmetry groups of two or more actors, each's positions in ascending order. */
  private readonly groups: number[][];

  /** The objects' part of a state's vector: (name, contents) pairs in order of the names' numbers. */
  private objsVector(s: SimState): number[] {
    let v = s.objsVec;
    if (v !== undefined) return v;
    const objs = s.objs;
    const pairs = Object.keys(objs).map((id) => [this.texts.of(id), this.contents(objs[id])] as const);
    pairs.sort((x, y) => x[0] - y[0]);
    v = [];
    for (let i = 0; i < pairs.length; i++) v.push(pairs[i][0], pairs[i][1]);
    s.objsVec = v;
    return v;
  }

  /** After a step that wrote objects: its predecessor's objects' part with only the written objects changed. */
  private updateObjsVector(before: SimState, after: SimState, touched: Map<string, string[] | null>): void {
    const v0 = this.objsVector(before);
    let v = v0;
    for (const [id, fields] of touched) {
      const name = this.texts.of(id);
      const lo = pairIndex(v, name);
      const present = 2 * lo < v.length && v[2 * lo] === name;
      const old = before.objs[id];
      // The old object's number is in the predecessor's vector (the object is there exactly when it existed).
      const c = this.contentsAfterWrite(old, present && old !== undefined ? v0[2 * lo + 1] : -1, after.objs[id], fields);
      if (present) {
        if (v[2 * lo + 1] === c) continue;
        if (v === v0) v = v.slice();
        v[2 * lo + 1] = c;
      } else {
        v = [...v.slice(0, 2 * lo), name, c, ...v.slice(2 * lo)];
      }
    }
    after.objsVec = v;
  }

  /**
   * The number of an object a step copied and wrote: from its old number and the fields that changed, through
   * a cache of such edits, so that an object's whole text is built only for an edit not seen before (the
   * numbers stay those of the texts: one content, one number, whatever the order of writes that made it).
   * An edit of one field is looked up by numbers (old number, field, value); several fields, by text.
   */
  private contentsAfterWrite(old: Obj | undefined, oldId: number, o: Obj, fields: string[] | null): number {
    if (old === undefined || fields === null || oldId < 0) return this.contents(o);
    if (fields.length === 1) {
      const f = fields[0];
      const val = o[f];
      if (val === old[f]) return oldId;
      let byField = this.fieldEdits.get(oldId);
      if (byField === undefined) this.fieldEdits.set(oldId, (byField = new Map()));
      let byValue = byField.get(f);
      if (byValue === undefined) byField.set(f, (byValue = new Map()));
      let c = byValue.get(val);
      if (c === undefined) byValue.set(val, (c = this.contents(o)));
      return c;
    }
    // The fields written, in a fixed order, with what changed: the same edit of the same contents is one key.
    let edit = `${oldId}`;
    const written = [...new Set(fields)].sort();
    for (const f of written) if (o[f] !== old[f]) edit += `\u0001${f}=${o[f]}`;
    let c = this.edits.get(edit);
    if (c === undefined) this.edits.set(edit, (c = this.contents(o)));
    return c;
  }

  /**
   * The number of frame d of `frames` with every frame below it: of the number of the one below, its function,
   * pc, locals and stack, each number kept on its frame (Frame.cid), so only the frames a step replaced are
   * read; its locals by their number, kept while the frame's locals are (Frame.lid): a step that moves on
   * without writing a local does not read them again.
   */
  private frameId(frames: Frame[], d: number): number {
    let k = d;
    while (k >= 0 && frames[k].cid === undefined) k--;
    let id = k >= 0 ? frames[k].cid! : -1;
    const t = this.frameScratch;
    for (let j = k + 1; j <= d; j++) {
      const f = frames[j];
      t[0] = id;
      t[1] = this.texts.of(f.fn);
      t[2] = f.pc;
      t[3] = f.lid ??= this.texts.of(`L${localsText(f)}`);
      t[4] = f.stack.length ? this.texts.of(`S${f.stack.join(',')}`) : -1;
      id = this.frames.get(t);
      f.cid = id = id >= 0 ? id : this.frames.add(t);
    }
    return id;
  }

  /**
   * The number of an assumption record: of its (decision, outcome) pairs as a set (the decisions' numbers in
   * ascending order), so the same assumptions made in another order are the same number. A record a decision
   * made is numbered from the one it copied (assumedFrom), with the decision's pair put in its place.
   */
  private assumedId(assumed: Record<string, number>): number {
    const known = this.assumedIds.get(assumed);
    if (known !== undefined) return known.id;
    // The records it was made from, back to one numbered already or made otherwise; then forward from there.
    const chain: Array<Record<string, number>> = [assumed];
    for (let r = assumedFrom.get(assumed); r && !this.assumedIds.has(r.parent); r = assumedFrom.get(r.parent)) chain.push(r.parent);
    const first = chain[chain.length - 1];
    const from = assumedFrom.get(first);
    let pairs = from ? this.assumedIds.get(from.parent)!.pairs : null;
    let id = -1;
    for (let c = chain.length - 1; c >= 0; c--) {
      const rec = chain[c];
      const step = assumedFrom.get(rec);
      pairs = pairs && step ? withPair(pairs, this.decisions.of(step.key), step.value) : this.pairsOf(rec);
      this.assumedIds.set(rec, { id: (id = this.texts.of(`A${pairs.join(',')}`)), pairs });
    }
    return id;
  }

  /** A record's (decision number, outcome) pairs in ascending order of the decisions, from the record itself. */
  private pairsOf(assumed: Record<string, number>): number[] {
    const ds = Object.keys(assumed).map((d) => [this.decisions.of(d), assumed[d]] as const).sort((x, y) => x[0] - y[0]);
    const pairs: number[] = [];
    for (const [d, v] of ds) pairs.push(d, v);
    return pairs;
  }

  private contents(o: Obj): number {
    let c = this.objIds.get(o);
    if (c === undefined) this.objIds.set(o, (c = this.texts.of(objText(o))));
    return c;
  }

  /** The one Exec every step and probe reuses (steps do not nest). */
  private readonly exec: Exec;

  // The step cache. What a step does is a function of the actor's own state (its number, and the three things
  // not in it that its step may read: triedGet, lastBranch, its frames' n0), which actor it is, the outcome taken, the
  // objects' contents (the objects' part of the vector, numbered) and the pages' life and free list; a step
  // that hands a page out also reads the other actors' references to it (Exec.readOthers), and is kept under
  // which other actor first holds one (all it reads of them: the use-after-free it reports names that CPU).
  // The same actor step recurs across states that differ only in where the other actors are (96% of the steps
  // of buggy [get_hwpoison_page] at N = 6), so the interpreter runs once per distinct such input
  // and a step is then a lookup: LTSmin's transition caching on a state projected to what the step reads. The
  // world's code is part of the input: compiling more (a larger function table, more fields written, globals
  // or opaque names, page flags made mutable) empties the cache. A stuck step is not kept. A full cache is
  // emptied, which costs speed only.
  private memo = new VectorSet();
  private memoEntries: StepMemo[] = [];
  /** What the cached steps ran on: sizes of the function table, fields written, globals, opaque names; flagsMutable. */
  private readonly memoCode = [-1, -1, -1, -1, -1];
  /**
   * The key being looked up: actor index, actor number, outcome, objects' number, life's number, triedGet,
   * lastBranch's number, the frames' assumption counts' number.
   */
  private readonly memoScratch: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  private readonly useMemo: boolean;
  /** Numbers of the objects' parts of vectors, by array (states share the array while no object changes). */
  private readonly objsVecIds = new WeakMap<number[], number>();
  /** Steps taken from the cache and by the interpreter (what `kbot sim --json` reports as stepCache). */
  readonly stepCache = { hits: 0, runs: 0 };

  /** stepCache: false runs every step through the interpreter (to check the cache against it). */
  constructor(readonly world: World, private init: SimState, opts: { stepCache?: boolean } = {}) {
    this.useMemo = opts.stepCache !== false;
    this.exec = new Exec(world, init, 0);
    this.symmetric = world.symmetry.length > 0;
    this.groups = world.symmetry.filter((g) => g.length > 1).map((g) => g.slice().sort((x, y) => x - y));
  }

  initial(): SimState {
    const s = makeState({ ...this.init.objs }, [], { ...this.init.life }, [...this.init.freeList]);
    s.actors = this.world.actors.map((a) => {
      const fn = this.world.functions.get(a.entry)!;
      const locals: Value[] = new Array(fn.nlocals).fill(0);
      a.args.forEach((v, i) => (locals[i] = v));
      return makeActor([makeFrame(a.entry, 0, locals, [], undefined, false, undefined, undefined, fn)], 'run', { ...a.holds }, {}, undefined, 0, undefined, undefined);
    });
    // Run each actor's local prefix up to its first shared access. What stops an actor there (an unmodelled
    // construct) is kept for the caller: the explorer only sees steps.
    const found: Violation[] = [];
    this.initialStuck = false;
    for (let i = 0; i < s.actors.length; i++) {
      const ex = new Exec(this.world, s, i);
      ex.origObjs = s.objs;
      ex.obs = this.observer;
      ex.visibleDone = true;
      ex.run(this.world.maxInstrPerStep ?? 20000);
      found.push(...ex.violations);
      if (ex.needed) this.initialStuck = true;
    }
    this.prefixViolations = found;
    return s;
  }

  private nextInstr(s: SimState, i: number): { ins: Instr; f: Frame } | null {
    const a = s.actors[i];
    if (a.status !== 'run') return null;
    const f = a.frames[a.frames.length - 1];
    return { ins: f.cf.code[f.pc], f };
  }

  enabled(s: SimState): number[] {
    const out: number[] = [];
    for (let i = 0; i < s.actors.length; i++) {
      const a = s.actors[i];
      const en = (a.en ??= canStep(a));
      if (en === 0) continue;
      // Only a lock or a wait can block; the probe reads, never writes.
      if (en === 2) {
        const f = a.frames[a.frames.length - 1];
        if (this.exec.probe(s, i).wouldBlock(f.cf.code[f.pc], f)) continue;
      }
      out.push(i);
    }
    return out;
  }

  /** The number of a state's objects' contents. */
  private objsId(s: SimState): number {
    if (s.objsId !== undefined) return s.objsId;
    const v = this.objsVector(s);
    let id = this.objsVecIds.get(v);
    if (id === undefined) this.objsVecIds.set(v, (id = this.texts.of(`O${v.join(',')}`)));
    return (s.objsId = id);
  }

  private lifeIdOf(s: SimState): number {
    if (s.lifeId !== undefined) return s.lifeId;
    let life = '';
    for (const p of Object.keys(s.life).sort()) life += `${p}:${s.life[p]};`;
    return (s.lifeId = this.texts.of(`${life}#${s.freeList.join(',')}`));
  }

  /** An actor's number: its status, its frames' number, what it holds, the unknowns it made, its assumptions'. */
  private actorId(a: ActorState): number {
    if (a.id !== undefined) return a.id;
    const top = this.frameId(a.frames, a.frames.length - 1);
    return (a.id = this.texts.of(`${a.status[0]}${top}${heldText(a.held)}${a.unknowns ? `|u${a.unknowns}` : ''}|a${this.assumedId(a.assumed)}`));
  }

  /** The cache key of actor i's step from s with this outcome (the other actors not included), in memoScratch. */
  private memoKey(s: SimState, i: number, outcome: number): number[] {
    const w = this.world;
    const c = this.memoCode;
    const opaque = w.lazy?.opaque.size ?? 0;
    const inits = w.globalInits?.size ?? 0;
    const flags = w.flagsMutable ? 1 : 0;
    if (c[0] !== w.functions.size || c[1] !== w.writtenFields.size || c[2] !== inits || c[3] !== opaque || c[4] !== flags) {
      this.clearMemo();
      c[0] = w.functions.size;
      c[1] = w.writtenFields.size;
      c[2] = inits;
      c[3] = opaque;
      c[4] = flags;
    }
    const a = s.actors[i];
    const k = this.memoScratch;
    k[0] = i;
    k[1] = this.actorId(a);
    k[2] = outcome;
    k[3] = this.objsId(s);
    k[4] = this.lifeIdOf(s);
    k[5] = a.triedGet ? 1 : 0;
    k[6] = a.lbId ??= a.lastBranch === undefined ? -1 : this.texts.of(a.lastBranch);
    k[7] = a.n0s ??= this.texts.of(`N${a.frames.map((f) => f.n0 ?? -1).join(',')}`);
    return k;
  }

  private clearMemo(): void {
    this.memo = new VectorSet();
    this.memoEntries = [];
  }

  /**
   * The key with, for each page the step read the others' references to, the first other actor holding one
   * (after a -2, so that it is never the key itself).
   */
  private withOthers(k: number[], s: SimState, i: number, pages: readonly string[]): number[] {
    const v = k.slice();
    v.push(-2);
    for (let p = 0; p < pages.length; p++) v.push(holderOf(s, i, pages[p]));
    return v;
  }

  step(s: SimState, i: number, outcome = 0): StepResult<SimState, StepLabel> {
    if (!this.useMemo) return this.run(s, i, outcome);
    const key = this.memoKey(s, i, outcome);
    let at = this.memo.get(key);
    if (at >= 0) {
      const pages = this.memoEntries[at].others;
      if (pages) at = this.memo.get(this.withOthers(key, s, i, pages));
    }
    if (at >= 0) {
      this.stepCache.hits++;
      return this.fromMemo(s, i, this.memoEntries[at]);
    }
    this.stepCache.runs++;
    const base = key.slice();
    const r = this.run(s, i, outcome);
    if (r.stuck) return r;
    if (this.memoEntries.length >= STEP_MEMO_LIMIT) this.clearMemo();
    const ns = r.state;
    const e: StepMemo = {
      others: false,
      result: { label: r.label, violations: r.violations, outcomes: r.outcomes, pruned: r.pruned },
      actor: r.pruned ? undefined : ns.actors[i],
      objs: r.pruned || ns.objs === s.objs ? undefined : { objs: ns.objs, vec: ns.objsVec, id: this.objsId(ns) },
      life: r.pruned || (ns.life === s.life && ns.freeList === s.freeList) ? undefined : { life: ns.life, freeList: ns.freeList, id: this.lifeIdOf(ns) },
    };
    if (this.exec.readOthers) {
      if (this.memo.get(base) < 0) this.remember(base, { others: this.exec.readOthers, result: e.result });
      this.remember(this.withOthers(base, s, i, this.exec.readOthers), e);
    } else this.remember(base, e);
    return r;
  }

  private remember(key: number[], e: StepMemo): void {
    this.memo.add(key);
    this.memoEntries.push(e);
  }

  /** The step a cache entry describes, from s (whose key is the entry's). */
  private fromMemo(s: SimState, i: number, m: StepMemo): StepResult<SimState, StepLabel> {
    const r = m.result;
    if (r.pruned) return r.outcomes !== undefined ? { state: s, label: r.label, violations: [], pruned: true, outcomes: r.outcomes } : { state: s, label: r.label, violations: [], pruned: true };
    const o = m.objs;
    const l = m.life;
    const ns = makeState(o ? o.objs : s.objs, s.actors.slice(), l ? l.life : s.life, l ? l.freeList : s.freeList, o ? o.vec : s.objsVec, o ? o.id : s.objsId, l ? l.id : s.lifeId);
    ns.actors[i] = m.actor!;
    const out: StepResult<SimState, StepLabel> = { state: ns, label: r.label, violations: r.violations };
    if (r.outcomes !== undefined) out.outcomes = r.outcomes;
    return out;
  }

  /** Actor i's step from s, by the interpreter. */
  private run(s: SimState, i: number, outcome: number): StepResult<SimState, StepLabel> {
    const ns = makeState(s.objs, s.actors.slice(), s.life, s.freeList);
    ns.actors[i] = cloneActor(s.actors[i]);
    const ex = this.exec.reset(ns, i);
    ex.ownedFrom = ns.actors[i].frames.length;
    ex.origObjs = s.objs;
    ex.obs = this.observer;
    ex.choice = outcome;
    ex.run(this.world.maxInstrPerStep ?? 20000);
    const label = ex.label ?? { actor: i, func: ns.actors[i].frames.at(-1)?.fn ?? '', file: '', line: 0, op: 'stop', via: [] };
    if (ex.needed) return { state: s, label, violations: [], stuck: true };
    if (ex.pruned) return { state: s, label, violations: [], pruned: true, ...(ex.outcomes > 1 ? { outcomes: ex.outcomes } : {}) };
    if (ns.objs !== s.objs) this.updateObjsVector(s, ns, ex.touched);
    else {
      ns.objsVec = s.objsVec;
      ns.objsId = s.objsId;
    }
    if (ns.life === s.life && ns.freeList === s.freeList) ns.lifeId = s.lifeId;
    this.actorId(ns.actors[i]);
    const r: StepResult<SimState, StepLabel> = { state: ns, label, violations: ex.violations };
    if (ex.outcomes > 1) r.outcomes = ex.outcomes;
    return r;
  }

  key(s: SimState): string {
    return this.vector(s).join(',');
  }

  /**
   * The state as integers: (object name, object contents) pairs in name order, the pages' life and free list,
   * then one number per actor. Identical actors (world.symmetry) are put in ascending order of their numbers
   * within their group's positions, so states that differ only by which walker is where have one vector.
   */
  vector(s: SimState): number[] {
    const objs = this.objsVector(s);
    const n = objs.length;
    const v: number[] = new Array(n + 1 + s.actors.length);
    for (let k = 0; k < n; k++) v[k] = objs[k];
    v[n] = this.lifeIdOf(s);
    for (let i = 0; i < s.actors.length; i++) v[n + 1 + i] = this.actorId(s.actors[i]);
    // Insertion sort within each group's positions (groups are a few walkers).
    for (const places of this.groups) {
      for (let j = 1; j < places.length; j++) {
        const x = v[n + 1 + places[j]];
        let k = j - 1;
        while (k >= 0 && v[n + 1 + places[k]] > x) {
          v[n + 1 + places[k + 1]] = v[n + 1 + places[k]];
          k--;
        }
        v[n + 1 + places[k + 1]] = x;
      }
    }
    return v;
  }

  footprint(s: SimState, i: number): Access[] {
    const a = s.actors[i];
    return (a.fp ??= this.footprintOf(s, i));
  }

  actorCount(s: SimState): number {
    return s.actors.length;
  }

  /**
   * What actor i may still touch from s (future.ts): nothing once it has stopped (done, or stopped by a BUG(),
   * unmodelled code or an infeasible path: none runs again); while it runs, what the code of each of its frames
   * may touch from where that frame is, callees included: fields of any object, the pages' life, or anything
   * where the code cannot be bounded (a call through a pointer, code not compiled yet). Kept on the actor state,
   * for the code the machine knows: another function compiled makes them anew.
   */
  future(s: SimState, i: number): Access[] {
    const a = s.actors[i];
    if (a.status !== 'run') return TOUCHES_NOTHING;
    const w = this.world;
    const key = w.functions.size * 65536 + (w.lazy?.opaque.size ?? 0);
    if (a.fut !== undefined && a.futGen === this.futureGen && key === this.futuresKey) return a.fut;
    if (this.futures === undefined) {
      this.futures = new Futures({
        lookup: (name) => w.functions.get(name),
        pending: (name) => w.lazy !== undefined && !w.lazy.opaque.has(name),
      });
      this.futuresKey = key;
    } else if (this.futuresKey !== key) {
      this.futures.refresh();
      this.futuresKey = key;
      this.futureGen++;
    }
    let f = this.futures.from(a.frames[0].cf, a.frames[0].pc);
    for (let k = 1; k < a.frames.length && !f.any; k++) f = this.futures.union(f, this.futures.from(a.frames[k].cf, a.frames[k].pc));
    // One list per future (and role): the explorer indexes a list once, for every state whose actor has it.
    const allocator = w.actors[i].allocator ? 1 : 0;
    let lists = this.futureLists.get(f);
    if (lists === undefined) this.futureLists.set(f, (lists = []));
    let out = lists[allocator];
    if (out === undefined) {
      if (f.any) out = MAY_TOUCH_ANYTHING;
      else {
        out = [];
        if (f.anyRead) out.push({ loc: ANYWHERE, write: false });
        const lifeWrite = f.life === 2 || (f.atomicWrite && allocator === 1);
        if (f.life || lifeWrite) out.push(lifeWrite ? LIFE_WRITE : LIFE_READ);
        for (const [field, m] of f.fields) out.push({ loc: ANYWHERE, field, write: m === 2 });
      }
      lists[allocator] = out;
    }
    a.fut = out;
    a.futGen = this.futureGen;
    return out;
  }
  private readonly futureLists = new WeakMap<CodeFuture, Access[][]>();
  private futures?: Futures;
  private futuresKey = -1;
  private futureGen = 0;

  /**
   * What footprint() says, from the actor's next instruction and its operands (its own state alone), field by
   * field. future.ts names the same for each instruction (a builtin's from the same BuiltinTouch): a future must
   * cover the footprints of an actor's later steps.
   */
  private footprintOf(s: SimState, i: number): Access[] {
    const n = this.nextInstr(s, i);
    if (!n) return [];
    const { ins, f } = n;
    const st = f.stack;
    const out: Access[] = [];
    switch (ins.op) {
      case 'fload':
        return [{ loc: objOf(st[st.length - 1]), field: ins.a as string, write: false }];
      case 'fstore':
        return [{ loc: objOf(st[st.length - 2]), field: ins.a as string, write: true }];
      case 'deref':
        through(st[st.length - 1], false, out);
        return out;
      case 'istore':
        through(st[st.length - 2], true, out);
        return out;
      case 'callptr':
        // A free callback: the page's life, and (conservatively) the whole object of its first argument.
        return [{ loc: objOf(st[st.length - (ins.b ?? 0)]), write: true }, LIFE_WRITE];
      case 'builtin': {
        // What the builtin touches (model/builtins.ts), on this step's arguments.
        const t = builtinTouch(ins.a as string);
        if (t === null) return out;
        const argc = ins.b ?? 0;
        const arg = (k: number): Value => st[st.length - argc + k];
        for (const x of t.through) through(arg(x.arg), x.write, out);
        if (t.fields) {
          const sp = splitPtr(arg(t.fields.arg));
          if (sp) for (const field of t.fields.names) out.push({ loc: sp[0], field, write: t.fields.write });
        }
        if (t.life === 2 || (t.lifeIfAllocator && this.world.actors[i].allocator)) out.push(LIFE_WRITE);
        else if (t.life === 1) out.push(LIFE_READ);
        return out;
      }
    }
    return [];
  }

  final(s: SimState): Violation[] {
    const out: Violation[] = [];
    for (const p of this.world.pages) {
      const holders = s.actors.map((a, i) => ({ i, n: a.held[p.name] ?? 0 })).filter((h) => h.n > 0);
      const total = holders.reduce((x, h) => x + h.n, 0);
      const alloc = this.world.actors.findIndex((a) => a.allocator);
      if (s.life[p.name] === 'free' && holders.some((h) => h.i !== alloc)) {
        const h = holders.find((x) => x.i !== alloc)!;
        out.push({ category: 'use-after-free', message: `CPU${h.i} still holds a reference on ${p.name} after it was freed` });
      }
      const unfinished = s.actors.some((a) => a.status === 'unmodelled' || a.status === 'bug' || a.status === 'infeasible');
      if (s.life[p.name] === 'allocated' && total === 0 && !unfinished) {
        const o = s.objs[p.obj] ?? {};
        out.push({ category: 'page-leak', message: `nobody holds ${p.name} and it was never freed (refcount ${o._refcount ?? o._count ?? 0})` });
      }
    }
    return out;
  }

  /** Refcount and life of each page in a state, for traces. */
  describe(s: SimState): { refcount: Record<string, number>; pageState: Record<string, string>; freeList: string[] } {
    const refcount: Record<string, number> = {};
    for (const p of this.world.pages) {
      const o = s.objs[p.obj] ?? {};
      refcount[p.name] = Number(o._refcount ?? o._count ?? 0);
    }
    return { refcount, pageState: { ...s.life }, freeList: [...s.freeList] };
  }
}
