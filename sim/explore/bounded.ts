// Interleavings with few preemptions first (Musuvathi and Qadeer's iterative context bounding, as in CHESS):
// a depth-first search of the schedules that switch away from a running actor, or take an outcome other than
// the default at a decision on an unknown, at most `bound` times in all, for bound = 0, 1, ... maxPreemptions. Most concurrency bugs need one or two preemptions (the seed's race: the
// owner's put runs to the free, then the walker runs to its get), and such a schedule is a path of a few dozen
// steps that a breadth-first search of every interleaving reaches only after all shorter ones, which in a
// real tree's code can be millions of states. This search is not exhaustive and claims nothing when it finds
// nothing; it runs before the breadth-first search (explore.ts), which stays the complete one.
//
// Switching to another actor when the running one is blocked or done is free; a decision's default outcome
// (the one a breadth-first trace calls "assuming ... is false") is free, each other one costs one, as a
// preemption does: code full of unknowns would otherwise make even the schedules with no preemption
// exponentially many. A state is not searched again when it was reached before with the same
// running actor and no more preemptions spent. Steps that need code not loaded yet are stuck (see
// exploreLazily): the pass is run again once `supply` has loaded it.
import type { Counterexample, TransitionSystem } from './types.ts';
import type { Supply } from './explore.ts';
import { StateIndex } from './visited.ts';

export interface BoundedOptions {
  maxPreemptions: number;
  maxMs: number;
  maxStates?: number;
}

export interface BoundedResult<L> {
  /** The first counterexample found per category, with the fewest preemptions (then the fewest steps). */
  violations: Array<Counterexample<L> & { preemptions: number }>;
  states: number;
  ms: number;
  /** The largest bound whose schedules were all searched (-1: none). */
  searchedBound: number;
  stopped?: string;
}

type Steps<L> = Counterexample<L>['steps'];
/** A path as a list from its last step back (children share their parent's path), made an array only when kept. */
type Path<L> = { step: Steps<L>[number]; prev: Path<L> | null; length: number } | null;

function stepsOf<L>(p: Path<L>): Steps<L> {
  const out: Steps<L> = new Array(p?.length ?? 0);
  for (let q = p; q; q = q.prev) out[q.length - 1] = q.step;
  return out;
}

export async function exploreBounded<S, L>(sys: TransitionSystem<S, L>, opts: BoundedOptions, supply?: Supply, maxRounds = 1000): Promise<BoundedResult<L>> {
  const t0 = performance.now();
  const found = new Map<string, Counterexample<L> & { preemptions: number }>();
  let states = 0;
  let stopped: string | undefined;
  let searchedBound = -1;
  const maxStates = opts.maxStates ?? Infinity;

  const record = (category: string, message: string, path: Path<L>, preemptions: number) => {
    const old = found.get(category);
    const length = path?.length ?? 0;
    if (!old || preemptions < old.preemptions || (preemptions === old.preemptions && length < old.steps.length)) {
      found.set(category, { category, message, steps: stepsOf(path), preemptions });
    }
  };

  /** One depth-first pass under `bound`; true when a step was stuck (the pass must run again). */
  const pass = (bound: number): boolean => {
    let stuck = false;
    // States seen with their running actor, and the fewest preemptions each was reached with.
    const seen = new StateIndex(sys);
    const seenPre: number[] = [];
    /** Whether s was reached before with `last` running and at most `pre` preemptions; else notes this visit. */
    const visited = (s: S, last: number, pre: number): boolean => {
      const k = seen.keyOf(s, last);
      const at = seen.get(k);
      if (at >= 0 && seenPre[at]! <= pre) return true;
      seenPre[at >= 0 ? at : seen.add(k)] = pre;
      return false;
    };
    type Node = { s: S; path: Path<L>; last: number; pre: number };
    const stack: Node[] = [{ s: sys.initial(), path: null, last: -1, pre: 0 }];
    let work = 0;
    while (stack.length) {
      if ((++work & 63) === 0 && performance.now() - t0 >= opts.maxMs) {
        stopped = `time budget ${Math.round(opts.maxMs)} ms reached`;
        return stuck;
      }
      if (states >= maxStates) {
        stopped = `state budget ${maxStates} reached`;
        return stuck;
      }
      const { s, path, last, pre } = stack.pop()!;
      if (visited(s, last, pre)) continue;
      states++;
      const en = sys.enabled(s);
      if (en.length === 0) {
        for (const v of sys.final(s)) record(v.category, v.message, path, pre);
        continue;
      }
      const running = en.includes(last);
      // Children in the order they are to be searched: the running actor first (no preemption), then the others
      // by number; each actor's outcomes default first. Pushed in reverse, as the stack pops the last first.
      const order = running ? [last, ...en.filter((a) => a !== last)] : [...en];
      const children: Node[] = [];
      for (const a of order) {
        const switchCost = running && a !== last ? 1 : 0;
        if (pre + switchCost > bound) continue;
        let n = 1;
        for (let k = 0; k < n; k++) {
          const cost = pre + switchCost + (k > 0 ? 1 : 0);
          const r = sys.step(s, a, k);
          if (r.stuck) {
            stuck = true;
            break;
          }
          if (k === 0) n = Math.max(1, r.outcomes ?? 1);
          if (r.pruned || cost > bound) continue;
          const next: Path<L> = { step: k ? { actor: a, outcome: k, label: r.label } : { actor: a, label: r.label }, prev: path, length: (path?.length ?? 0) + 1 };
          for (const v of r.violations) record(v.category, v.message, next, cost);
          children.push({ s: r.state, path: next, last: a, pre: cost });
        }
      }
      for (let c = children.length - 1; c >= 0; c--) stack.push(children[c]!);
    }
    return stuck;
  };

  let rounds = 0;
  for (let bound = 0; bound <= opts.maxPreemptions && !stopped; bound++) {
    for (;;) {
      const stuck = pass(bound);
      if (stopped || !stuck) break;
      if (!supply || ++rounds > maxRounds) {
        stopped = supply ? `code was loaded ${maxRounds} times and steps still need more` : 'a step needs code the system has not loaded';
        break;
      }
      const r = await supply();
      if (typeof r === 'object') {
        stopped = r.stop;
        break;
      }
      // New code that changes how steps already taken go: the paths found so far may not replay.
      if (r === 'restart') found.clear();
    }
    if (!stopped) searchedBound = bound;
  }
  return { violations: [...found.values()], states, ms: performance.now() - t0, searchedBound, ...(stopped ? { stopped } : {}) };
}
