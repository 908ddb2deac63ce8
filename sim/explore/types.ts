// The explorer's view of a model: a transition system over actors. The interpreter implements it;
// the explorer knows nothing of C or pages.

/**
 * One shared location an actor's next step touches: an object ("o3", "life"), or one field of it ("o3" and
 * "_refcount"). Two accesses meet when their objects are the same (or either is ANYWHERE, every object) and
 * their fields are the same (or either has none: the whole object).
 */
export interface Access {
  loc: string;
  /** The field of `loc` touched; absent: any of its fields (the whole object). */
  field?: string;
  write: boolean;
}

/** The object that stands for every object (explore.ts conflicts()): "this field of any object", or with no field, anything. */
export const ANYWHERE = '*';

export interface StepResult<S, L> {
  state: S;
  /** What the step did, for traces (the system decides its shape). */
  label: L;
  /** Property violations this step caused (category name → message). Empty when none. */
  violations: Array<{ category: string; message: string }>;
  /**
   * How many outcomes this transition has (absent: 1). A step that decides something the model does not know
   * (a branch on an unknown value, an indirect call with several possible targets) has several: step(s, a, k)
   * for k in 0..outcomes-1 gives each, and step(s, a) is outcome 0. Every outcome must report the same count.
   */
  outcomes?: number;
  /**
   * The step could not be taken yet: it needs code the system has not loaded (a function compiled on first
   * call). No successor; exploreLazily has the system load what it needs and takes the step again.
   */
  stuck?: boolean;
  /** This outcome of the step is impossible (the system found its path contradicts what the code asserts): no successor. */
  pruned?: boolean;
}

export interface TransitionSystem<S, L> {
  initial(): S;
  /** Actors (by index) that can take a step in s. An actor blocked on a lock or a wait is not enabled. */
  enabled(s: S): number[];
  /**
   * Run actor's next visible step, taking outcome `outcome` (default 0) when the step has several (see
   * StepResult.outcomes). Must not mutate s, and must be deterministic in (s, actor, outcome).
   */
  step(s: S, actor: number, outcome?: number): StepResult<S, L>;
  /** The violation categories the system checks (for ExploreOptions.properties). */
  properties?: readonly string[];
  /** Canonical key of a state; identical keys are one state (symmetry reduction lives here). */
  key(s: S): string;
  /**
   * The same key as integers (optional): equal vectors exactly when equal keys. When given, the explorer keeps
   * its visited states as these vectors in a typed-array table (visited.ts) instead of text. Must return a new
   * array each call (a plain array of small integers is the cheapest to make: a small typed array has its own
   * backing store).
   */
  vector?(s: S): ArrayLike<number>;
  /** Shared locations actor's next step touches in s (for independence), in every one of its outcomes. */
  footprint(s: S, actor: number): Access[];
  /**
   * Over-approximation of every shared location actor may touch from s on, or null when unknown.
   * Lets the explorer take a persistent set of one actor.
   */
  future?(s: S, actor: number): Access[] | null;
  /** Violations that hold in a state where no actor is enabled (deadlock, leaks at quiescence). */
  final(s: S): Array<{ category: string; message: string }>;
  /**
   * Number of actors in s, blocked and finished ones included (indices 0..n-1). A persistent set must be
   * independent of what blocked actors may do once woken, so without this (or without future) the explorer
   * does not use persistent sets.
   */
  actorCount?(s: S): number;
  /**
   * True when key() identifies states up to a permutation of actors (symmetry reduction, see symmetry.ts).
   * Actor numbers then mean different actors on two visits of one key, so sleep sets are not carried across.
   */
  symmetric?: boolean;
}

export interface ExploreOptions {
  /** Stop after this many distinct states; the result then says incomplete. */
  maxStates?: number;
  /** Stop after this many milliseconds. */
  maxMs?: number;
  /** Partial-order reduction (sleep sets and persistent sets). Default true. */
  por?: boolean;
  /** Keep exploring after the first violation of each category (default true: one shortest trace per category). */
  allCategories?: boolean;
  /**
   * The properties the system checks (violation categories). When given, the search stops as soon as each has
   * a counterexample (each the shortest, breadth first): nothing left to find. The result then says so
   * (verdict 'every-property-violated'). Without it (or with exhaustive), the whole space is searched.
   */
  properties?: readonly string[];
  /** Search the whole space even once every property has a counterexample (proves the state count). */
  exhaustive?: boolean;
  /** Called now and then with progress. */
  onProgress?: (p: { states: number; transitions: number; ms: number }) => void;
  /**
   * Lazy explorations (exploreLazily): how many more states to expand after a step got stuck before loading what
   * it needs (default 256). Undefined for explore(): stuck steps wait until nothing else is left.
   */
  supplyAfter?: number;
}

export interface Counterexample<L> {
  category: string;
  message: string;
  /**
   * The steps from the initial state, the last one being the violating step (or the steps to a bad final state).
   * outcome is the outcome the step took (absent: 0), for replay with step(s, actor, outcome).
   */
  steps: Array<{ actor: number; outcome?: number; label: L }>;
}

export interface ExploreResult<L> {
  complete: boolean;
  /** Why it stopped early, when incomplete ("state budget 100000 reached"). */
  incompleteReason?: string;
  states: number;
  transitions: number;
  ms: number;
  /** Shortest counterexample per category, in breadth-first order. */
  violations: Array<Counterexample<L>>;
  /** Length of the longest shortest path to a stored state. */
  depth?: number;
  /**
   * How the search ended: 'exhausted' (every reachable state seen: complete), 'every-property-violated' (each
   * property has its shortest counterexample, so nothing was left to find; not complete), or 'stopped' (a
   * budget, an error or allCategories: false; incompleteReason says which).
   */
  verdict?: 'exhausted' | 'every-property-violated' | 'stopped';
  /**
   * Bytes the stored states take: the visited set of vectors (visited.ts) and the per-state bookkeeping (parent,
   * step, depth, sleep set), as allocated. Absent for text keys. Not counted: the states still queued, and the
   * system's own tables (the machine's interned texts grow with distinct actor and object states, not states).
   */
  stateBytes?: number;
  /** Of ms, the time spent loading code between rounds of a lazy exploration (exploreLazily's supply). */
  loadMs?: number;
  /** Set when the system threw; the exploration stopped there (incompleteReason says so too). */
  error?: string;
}
