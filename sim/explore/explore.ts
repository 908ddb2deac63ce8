// Breadth-first exploration of a TransitionSystem with state hashing, partial-order reduction and budgets.
//
// Counterexamples: every stored state keeps a parent pointer (parent index + actor), so a trace is the BFS-tree
// path to it. States are expanded in discovery order, which is BFS order, so the first violation of a category
// is a shortest one in steps. With reduction on it is shortest within the reduced graph (a persistent set may
// defer the violating actor behind others), which can be longer than the shortest in the full graph.
//
// Reduction (opts.por, default on), after Godefroid's "Partial-Order Methods for the Verification of
// Concurrent Systems":
//  - persistent sets of one actor: p is expanded alone when its next step conflicts with nothing any other
//    actor (blocked ones included) may still touch (sys.future). BFS cycle proviso: when p's successor is
//    already stored, the state is expanded fully, so every cycle of the reduced graph has a full state and no
//    actor's step is ignored forever. When every outcome of p's step is pruned (its path cannot happen), p
//    stops there and the state is expanded fully too, as without the reduction.
//  - sleep sets: an actor whose next step was already explored from an earlier sibling, and that commutes
//    with the step taken, is not stepped again in the successor. With state caching a state keeps the
//    intersection of the sleep sets it was reached with; when a visit brings a smaller one after the state
//    was expanded, the actors that were asleep and are no longer are expanded then ("re-expansion").
// Both preserve terminal states (deadlocks and final() checks) and the violating steps, provided the
// system's footprints are honest: a step's footprint names every shared location it reads (including those
// its enabledness and its violation checks read) or writes. step() must be deterministic in (state, actor,
// outcome): traces and re-expansions are rebuilt by replaying actors from the initial state instead of keeping
// expanded states.
//
// Multi-outcome transitions: a step may have several outcomes (StepResult.outcomes), e.g. a branch on a value
// the model does not know. Taking an actor's transition means taking every outcome: each is a successor of its
// own, and the BFS-tree edge to a state records the outcome with the actor, so replay (stateAt, counterexamples)
// takes the same one. Reduction is unchanged: it reasons about actors, and since a footprint covers every outcome
// of the actor's step, an actor put to sleep had all its outcomes explored from the earlier sibling, and a
// persistent set of one actor holds all its outcomes (the proviso holds when any outcome leads to a stored state).
import type { Access, Counterexample, ExploreOptions, ExploreResult, StepResult, TransitionSystem } from './types.ts';
import { ANYWHERE } from './types.ts';
import { StateIndex, type StateKey as Key } from './visited.ts';

/** Actors 0..30 fit in a sleep-set bitmask; higher-numbered actors never sleep (sound, only less reduction). */
const SLEEP_BITS = 31;
const PROGRESS_EVERY_MS = 50;

/**
 * Two footprints conflict when they touch one location and at least one of them writes it. Locations meet as
 * Access says: the same object (ANYWHERE is every object) and the same field (none is every field).
 */
export function conflicts(a: readonly Access[], b: readonly Access[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    for (let j = 0; j < b.length; j++) {
      const y = b[j]!;
      if ((x.write || y.write) && meet(x, y)) return true;
    }
  }
  return false;
}

function meet(x: Access, y: Access): boolean {
  if (x.loc !== y.loc && x.loc !== ANYWHERE && y.loc !== ANYWHERE) return false;
  return x.field === undefined || y.field === undefined || x.field === y.field;
}

/**
 * A future (what an actor may still touch) indexed for conflict tests against footprints: futures are long (every
 * field the rest of an actor's code may touch) and tested against every enabled actor's next step, each state.
 * Per key, 1 read, 2 written: "o\0f" a field of an object, "o\0" the object's fields taken together (any access
 * to o), with ANYWHERE for o when any object.
 */
class FutureIndex {
  private readonly m = new Map<string, number>();
  /** The future writes anything (ANYWHERE with no field): it meets every step that touches something. */
  readonly unbounded: boolean;
  /**
   * The answer for each footprint asked (by its list: the system keeps an actor state's footprint, so the same
   * list comes back state after state, as the future does); weak, so footprints of actor states no longer held go.
   */
  readonly answers = new WeakMap<readonly Access[], boolean>();
  constructor(future: readonly Access[]) {
    for (const a of future) {
      const w = a.write ? 2 : 1;
      this.put(`${a.loc}\0${a.field ?? '\u0001'}`, w);
      this.put(`${a.loc}\0`, w);
    }
    this.unbounded = this.m.get(`${ANYWHERE}\0\u0001`) === 2;
  }
  private put(k: string, w: number): void {
    if ((this.m.get(k) ?? 0) < w) this.m.set(k, w);
  }
  /** Whether the access x meets something of the future that writes, or (x writing) anything of it. */
  meets(x: Access): boolean {
    const need = x.write ? 1 : 2;
    const at = (k: string): boolean => (this.m.get(k) ?? 0) >= need;
    // Whole objects of the future (no field) and every object with no field: anything of that object.
    if (at(`${ANYWHERE}\0\u0001`)) return true;
    if (x.loc === ANYWHERE) return x.field === undefined ? at(`${ANYWHERE}\0`) || this.anyObject(need) : this.anyField(x.field, need);
    if (at(`${x.loc}\0\u0001`)) return true;
    if (x.field === undefined) return at(`${x.loc}\0`) || at(`${ANYWHERE}\0`);
    return at(`${x.loc}\0${x.field}`) || at(`${ANYWHERE}\0${x.field}`);
  }
  private anyObject(need: number): boolean {
    for (const w of this.m.values()) if (w >= need) return true;
    return false;
  }
  private anyField(field: string, need: number): boolean {
    for (const [k, w] of this.m) {
      if (w < need) continue;
      const i = k.indexOf('\0');
      const f = k.slice(i + 1);
      if (f === field || f === '\u0001') return true;
    }
    return false;
  }
}

const futureIndexes = new WeakMap<readonly Access[], FutureIndex>();

/** A long future's index, made once (the system keeps its futures, so the same list comes back state after state). */
function indexOf(future: readonly Access[]): FutureIndex {
  let ix = futureIndexes.get(future);
  if (ix === undefined) futureIndexes.set(future, (ix = new FutureIndex(future)));
  return ix;
}

/** Whether a future writes anything (ANYWHERE with no field): it meets every step that touches something. */
function isUnbounded(future: readonly Access[]): boolean {
  if (future.length >= 4) return indexOf(future).unbounded;
  for (const a of future) if (a.loc === ANYWHERE && a.field === undefined && a.write) return true;
  return false;
}

/** conflicts(step, future), with a long future indexed. */
export function conflictsWithFuture(step: readonly Access[], future: readonly Access[]): boolean {
  if (step.length === 0) return false;
  if (future.length < 4) return conflicts(step, future);
  const ix = indexOf(future);
  let yes = ix.answers.get(step);
  if (yes === undefined) {
    yes = false;
    for (let i = 0; i < step.length && !yes; i++) yes = ix.meets(step[i]!);
    ix.answers.set(step, yes);
  }
  return yes;
}

/** The footprints of a state's enabled actors, each asked of the system when first needed (most never are). */
class Footprints<S> {
  private readonly fps: Array<Access[] | undefined>;
  constructor(private readonly sys: TransitionSystem<S, unknown>, private readonly s: S, private readonly en: readonly number[]) {
    this.fps = new Array(en.length);
  }
  at(k: number): Access[] {
    return (this.fps[k] ??= this.sys.footprint(this.s, this.en[k]!));
  }
}

function bit(actor: number): number {
  return actor < SLEEP_BITS ? 1 << actor : 0;
}

interface Found<L> {
  category: string;
  message: string;
  /** Index of the state the trace runs to before the last step. */
  at: number;
  /** The violating step's actor, or -1 for a violation of a final state. */
  actor: number;
  outcome: number;
  label: L | undefined;
  length: number;
}

export function explore<S, L>(sys: TransitionSystem<S, L>, opts: ExploreOptions = {}): ExploreResult<L> {
  const x = exploration(sys, opts);
  x.run();
  if (x.stuck()) x.fail('a step needs code the system has not loaded (use exploreLazily)');
  return x.finish();
}

/**
 * What the system does between rounds of a lazy exploration: loads what stuck steps needed, and says whether
 * the steps already taken stay valid ('resume': the stuck steps are taken again) or the exploration must start
 * over ('restart': the new code changed how earlier steps go), or 'stop' with a reason.
 */
export type Supply = () => Promise<'resume' | 'restart' | { stop: string }>;

/** States a lazy exploration expands past a stuck step before it loads what that step needs. */
const SUPPLY_AFTER = 256;

/**
 * explore() for a system that loads its code as the exploration reaches it: a step that needs what is not
 * loaded is stuck; once the exploration has expanded `opts.supplyAfter` more states (or none is left),
 * `supply` loads it and the stuck steps are taken again from the states they were stuck in (their siblings'
 * sleep sets stay sound: the stuck step is explored from the same state before the exploration ends). The
 * budgets cover the whole exploration, loading included.
 */
export async function exploreLazily<S, L>(sys: TransitionSystem<S, L>, opts: ExploreOptions, supply: Supply, maxRounds = 1000): Promise<ExploreResult<L>> {
  opts = { supplyAfter: SUPPLY_AFTER, ...opts };
  let x = exploration(sys, opts);
  const t0 = performance.now();
  let loadMs = 0;
  for (let round = 0; ; round++) {
    x.run();
    if (!x.stuck() || x.stopped()) break;
    if (round >= maxRounds) {
      x.fail(`code was loaded ${maxRounds} times and steps still need more`);
      break;
    }
    const l0 = performance.now();
    const r = await supply();
    loadMs += performance.now() - l0;
    if (typeof r === 'object') {
      x.fail(r.stop);
      break;
    }
    if (r === 'restart') x = exploration(sys, { ...opts, maxMs: Math.max(1, (opts.maxMs ?? Infinity) - (performance.now() - t0)) });
    else x.resume();
  }
  return { ...x.finish(), loadMs };
}

function exploration<S, L>(sys: TransitionSystem<S, L>, opts: ExploreOptions) {
  const t0 = performance.now();
  const por = opts.por !== false;
  const allCategories = opts.allCategories !== false;
  const maxStates = opts.maxStates ?? Infinity;
  const maxMs = opts.maxMs ?? Infinity;
  const usePersistent = por && typeof sys.future === 'function' && typeof sys.actorCount === 'function';
  const symmetric = sys.symmetric === true;
  const properties = opts.exhaustive || !opts.properties?.length ? undefined : opts.properties;
  let allViolated = false;

  // Visited states: integer vectors in a typed-array hash table (visited.ts) when the system gives them, else
  // text keys in a Map.
  const index = new StateIndex(sys);
  const keyOf = (s: S): Key => index.keyOf(s);
  const lookup = (k: Key): number => index.get(k);
  const stored = (): number => index.size;
  // Per state, by index: BFS tree and reduction bookkeeping, in typed arrays grown by doubling (21 bytes a state).
  let cap = 128;
  let parent = new Int32Array(cap);
  let via = new Int32Array(cap);
  // The outcome taken on the edge to each state (0 for a deterministic step).
  let viaOutcome = new Int32Array(cap);
  let depth = new Int32Array(cap);
  let sleep = new Int32Array(cap);
  let expanded = new Uint8Array(cap);
  const grown = <A extends Int32Array | Uint8Array>(a: A, n: number): A => {
    const b = new (a.constructor as new (n: number) => A)(n);
    b.set(a);
    return b;
  };
  // States waiting in the queue; dropped once expanded (rebuilt by replay when needed again).
  const pending: Array<S | undefined> = [];
  // Re-expansion jobs: state index, actors to step, sleep set they may inherit from.
  const redo: number[] = [];

  const found = new Map<string, Found<L>>();
  // Steps that could not be taken yet (state index, actor), for the next round of a lazy exploration.
  let stuckSteps: number[] = [];
  let transitions = 0;
  let maxDepth = 0;
  let stop: string | undefined;
  let error: string | undefined;
  let lastProgress = t0;

  const initial = sys.initial();

  function record(category: string, message: string, at: number, actor: number, label: L | undefined, outcome = 0): void {
    const length = depth[at]! + (actor >= 0 ? 1 : 0);
    const old = found.get(category);
    if (old === undefined || length < old.length) found.set(category, { category, message, at, actor, outcome, label, length });
    if (!allCategories) stop = 'stopped at the first violation (allCategories: false)';
    else if (old === undefined && properties && properties.every((p) => found.has(p))) {
      stop = `every property has its shortest counterexample (${properties.join(', ')}): nothing left to find`;
      allViolated = true;
    }
  }

  function add(state: S, key: Key, from: number, actor: number, outcome: number, sleepSet: number): void {
    if (stored() >= maxStates) {
      stop = `state budget ${maxStates} reached`;
      return;
    }
    const i = index.add(key);
    if (i >= cap) {
      cap *= 2;
      parent = grown(parent, cap);
      via = grown(via, cap);
      viaOutcome = grown(viaOutcome, cap);
      depth = grown(depth, cap);
      sleep = grown(sleep, cap);
      expanded = grown(expanded, cap);
    }
    parent[i] = from;
    via[i] = actor;
    viaOutcome[i] = outcome;
    const d = from < 0 ? 0 : depth[from]! + 1;
    depth[i] = d;
    if (d > maxDepth) maxDepth = d;
    sleep[i] = sleepSet;
    expanded[i] = 0;
    pending.push(state);
  }

  /** Take the outcome of stepping `actor` from state `from`; `sleepSet` is what the successor may skip. */
  function handle(from: number, actor: number, outcome: number, state: S, key: Key, sleepSet: number): void {
    const j = lookup(key);
    if (j < 0) {
      add(state, key, from, actor, outcome, sleepSet);
      return;
    }
    if (!por) return;
    const visiting = symmetric ? 0 : sleepSet;
    const old = sleep[j]!;
    const missing = old & ~visiting;
    if (missing === 0) return;
    sleep[j] = old & visiting;
    if (expanded[j]) redo.push(j, missing, visiting);
  }

  /** Every outcome of actor's step from s, violations recorded against state `from`. */
  function stepAll(from: number, s: S, actor: number, first?: StepResult<S, L>): Array<{ state: S; key: Key; outcome: number }> {
    // Each successor keeps its outcome's number: with an outcome pruned, the list's index is not it.
    const out: Array<{ state: S; key: Key; outcome: number }> = [];
    let n = 1;
    for (let k = 0; k < n; k++) {
      const r = k === 0 && first !== undefined ? first : sys.step(s, actor, k);
      if (r.stuck) {
        stuckSteps.push(from, actor);
        return [];
      }
      if (k === 0) n = Math.max(1, r.outcomes ?? 1);
      transitions++;
      if (r.pruned) continue;
      for (const v of r.violations) record(v.category, v.message, from, actor, r.label, k);
      out.push({ state: r.state, key: keyOf(r.state), outcome: k });
    }
    return out;
  }

  function stepAndHandle(from: number, s: S, actor: number, sleepSet: number): void {
    // A step of one outcome (most are) is handled at once, without the list stepAll makes.
    const r = sys.step(s, actor, 0);
    if (r.stuck) {
      stuckSteps.push(from, actor);
      return;
    }
    if ((r.outcomes ?? 1) <= 1) {
      transitions++;
      if (r.pruned) return;
      const vs = r.violations;
      for (let k = 0; k < vs.length; k++) record(vs[k]!.category, vs[k]!.message, from, actor, r.label, 0);
      const key = keyOf(r.state);
      if (!stop) handle(from, actor, 0, r.state, key, sleepSet);
      return;
    }
    const rs = stepAll(from, s, actor, r);
    for (let k = 0; k < rs.length && !stop; k++) handle(from, actor, rs[k]!.outcome, rs[k]!.state, rs[k]!.key, sleepSet);
  }

  /** The steps (actor, outcome) along the BFS-tree path to state i, first step first. */
  function pathTo(i: number): Array<[number, number]> {
    const steps: Array<[number, number]> = [];
    for (let k = i; parent[k]! >= 0; k = parent[k]!) steps.push([via[k]!, viaOutcome[k]!]);
    return steps.reverse();
  }

  function stateAt(i: number): S {
    const p = pending[i];
    if (p !== undefined) return p;
    let s = initial;
    for (const [a, o] of pathTo(i)) s = sys.step(s, a, o).state;
    return s;
  }

  /** Sleep set for the successor by `actor`: the candidates whose next steps commute with actor's. */
  function inherit(candidates: number, actor: number, en: readonly number[], fps: Footprints<S>, ka: number): number {
    let z = 0;
    if (candidates === 0) return 0;
    for (let k = 0; k < en.length; k++) {
      const b = en[k]!;
      const bb = bit(b);
      if (b !== actor && (candidates & bb) !== 0 && !conflicts(fps.at(k), fps.at(ka))) z |= bb;
    }
    return z;
  }

  // The actors' futures, per state (reused). An unbounded one (ANYWHERE written) meets every step that touches
  // anything, so once two are seen only a step that touches nothing can be taken alone, and the other futures
  // are asked for only to know none is unknown.
  let futures: Array<Access[] | null> = [];

  /**
   * Position in en of an actor that forms a persistent set on its own, or -1: the first (in en, awake) whose
   * step touches nothing, or meets nothing of the others' futures; none when some future is unknown (null).
   */
  function singleton(s: S, en: readonly number[], fps: Footprints<S>, asleep: number): number {
    const n = sys.actorCount!(s);
    if (futures.length < n) futures = new Array(n);
    let unbounded = 0;
    let lastUnbounded = -1;
    let asked = 0;
    for (; asked < n && unbounded < 2; asked++) {
      const f = (futures[asked] = sys.future!(s, asked));
      if (f === null) return -1;
      if (isUnbounded(f)) {
        unbounded++;
        lastUnbounded = asked;
      }
    }
    for (let k = 0; k < en.length; k++) {
      const p = en[k]!;
      if ((asleep & bit(p)) !== 0) continue;
      const fp = fps.at(k);
      if (fp.length === 0 || unbounded < 2) {
        // The futures not asked yet, to know none is unknown.
        for (; asked < n; asked++) if ((futures[asked] = sys.future!(s, asked)) === null) return -1;
      }
      if (fp.length === 0) return k;
      // Another actor's unbounded future meets this step.
      if (unbounded > 1 || (unbounded === 1 && lastUnbounded !== p)) continue;
      let ok = true;
      for (let q = 0; q < n && ok; q++) if (q !== p && conflictsWithFuture(fp, futures[q]!)) ok = false;
      if (ok) return k;
    }
    return -1;
  }

  function expand(i: number, s: S): void {
    expanded[i] = 1;
    const en = sys.enabled(s);
    if (en.length === 0) {
      for (const v of sys.final(s)) record(v.category, v.message, i, -1, undefined);
      return;
    }
    if (!por) {
      for (const a of en) {
        stepAndHandle(i, s, a, 0);
        if (stop) return;
      }
      return;
    }
    const asleep = sleep[i]!;
    const fps = new Footprints(sys, s, en);
    let pre = -1;
    let preResults: Array<{ state: S; key: Key; outcome: number }> = [];
    if (usePersistent && en.length > 1) {
      const k = singleton(s, en, fps, asleep);
      if (k >= 0) {
        const p = en[k]!;
        const stuck = stuckSteps.length;
        const rs = stepAll(i, s, p);
        // Every outcome of p's step dropped (its path cannot happen): p stops here for good, and the others'
        // steps are the state's (as without the reduction). Stuck: p's step is taken again once its code is in.
        const none = rs.length === 0 && stuckSteps.length === stuck;
        if (!none && !rs.some((r) => lookup(r.key) >= 0)) {
          const z = inherit(asleep, p, en, fps, k);
          for (let o = 0; o < rs.length && !stop; o++) handle(i, p, rs[o]!.outcome, rs[o]!.state, rs[o]!.key, z);
          return;
        }
        // Proviso: p leads back into stored states, so expand fully (p's outcomes are reused below).
        pre = p;
        preResults = rs;
      }
    }
    let done = 0;
    for (let k = 0; k < en.length; k++) {
      const a = en[k]!;
      if ((asleep & bit(a)) !== 0) continue;
      const z = inherit(asleep | done, a, en, fps, k);
      if (a === pre) for (let o = 0; o < preResults.length && !stop; o++) handle(i, a, preResults[o]!.outcome, preResults[o]!.state, preResults[o]!.key, z);
      else stepAndHandle(i, s, a, z);
      if (stop) return;
      done |= bit(a);
    }
  }

  function reexpand(i: number, actors: number, inheritable: number): void {
    const s = stateAt(i);
    const en = sys.enabled(s);
    const fps = new Footprints(sys, s, en);
    let done = 0;
    for (let k = 0; k < en.length; k++) {
      const a = en[k]!;
      if ((actors & bit(a)) === 0) continue;
      // Only the visiting sleep set and this batch may be inherited: actors stepped in the first expansion
      // must stay awake here, or the pair (first-expansion actor, re-expanded actor) would be skipped on both sides.
      stepAndHandle(i, s, a, inherit(inheritable | done, a, en, fps, k));
      if (stop) return;
      done |= bit(a);
    }
  }

  let head = 0;
  let work = 0;
  let started = false;
  // Lazy explorations: the work count when the oldest step still stuck got stuck.
  let stuckSince = -1;

  function run(): void {
    try {
      if (!started) {
        started = true;
        add(initial, keyOf(initial), -1, -1, 0, 0);
      }
      while (!stop && (redo.length > 0 || head < stored())) {
        // A lazy exploration loads what stuck steps need soon, not once every other state is expanded: in a
        // state space that grows faster than it is expanded, the steps behind the new code would never run.
        if (opts.supplyAfter !== undefined && stuckSteps.length > 0) {
          if (stuckSince < 0) stuckSince = work;
          else if (work - stuckSince >= opts.supplyAfter) break;
        }
        if (redo.length > 0) {
          const inheritable = redo.pop()!;
          const actors = redo.pop()!;
          reexpand(redo.pop()!, actors, inheritable);
        } else {
          const i = head++;
          const s = pending[i] as S;
          pending[i] = undefined;
          expand(i, s);
        }
        if ((++work & 31) === 0) {
          const now = performance.now();
          if (now - t0 >= maxMs) stop = `time budget ${Math.round(maxMs)} ms reached`;
          if (opts.onProgress && now - lastProgress >= PROGRESS_EVERY_MS) {
            lastProgress = now;
            opts.onProgress({ states: stored(), transitions, ms: now - t0 });
          }
        }
      }
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      stop = `model error: ${error}`;
    }
  }

  /** Take the stuck steps again, from the states they were stuck in (nothing inherited: sound, less reduced). */
  function resume(): void {
    const st = stuckSteps;
    stuckSteps = [];
    stuckSince = -1;
    const seen = new Set<string>();
    for (let k = 0; k < st.length; k += 2) {
      const i = st[k]!;
      const a = st[k + 1]!;
      if (seen.has(`${i}:${a}`)) continue;
      seen.add(`${i}:${a}`);
      redo.push(i, bit(a), 0);
    }
  }

  function finish(): ExploreResult<L> {
    const violations: Array<Counterexample<L>> = [];
    for (const f of found.values()) {
      const steps: Counterexample<L>['steps'] = [];
      const step = (actor: number, outcome: number, label: L) => steps.push(outcome ? { actor, outcome, label } : { actor, label });
      try {
        let s = initial;
        for (const [a, o] of pathTo(f.at)) {
          const r = sys.step(s, a, o);
          step(a, o, r.label);
          s = r.state;
        }
      } catch {
        // The path was stepped once already; a system that now throws is reported through `error` above.
      }
      if (f.actor >= 0) step(f.actor, f.outcome, f.label as L);
      violations.push({ category: f.category, message: f.message, steps });
    }

    const result: ExploreResult<L> = {
      complete: stop === undefined,
      states: stored(),
      transitions,
      ms: performance.now() - t0,
      violations,
      depth: maxDepth,
      verdict: stop === undefined ? 'exhausted' : allViolated ? 'every-property-violated' : 'stopped',
      // The visited set and the per-state bookkeeping, as allocated (text keys: not measured).
      ...(index.bytes !== undefined ? { stateBytes: index.bytes + cap * (5 * 4 + 1) } : {}),
    };
    if (stop !== undefined) result.incompleteReason = stop;
    if (error !== undefined) result.error = error;
    return result;
  }

  return {
    run,
    resume,
    finish,
    stuck: (): boolean => stuckSteps.length > 0,
    stopped: (): boolean => stop !== undefined,
    fail(why: string): void {
      stop ??= why;
      error ??= why;
    },
  };
}
