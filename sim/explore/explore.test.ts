import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conflicts, conflictsWithFuture, explore } from './explore.ts';
import type { Access, ExploreResult, TransitionSystem } from './types.ts';

type Violation = { category: string; message: string };

// ---------------------------------------------------------------------------------------------------------------
// N independent counters, each actor counting its own location from 0 to k.

function counters(n: number, k: number): TransitionSystem<number[], string> {
  return {
    initial: () => new Array(n).fill(0),
    enabled: (s) => s.flatMap((c, i) => (c < k ? [i] : [])),
    step: (s, a) => {
      const t = s.slice();
      t[a]!++;
      return { state: t, label: `c${a}=${t[a]}`, violations: [] };
    },
    key: (s) => s.join(','),
    footprint: (_s, a) => [{ loc: `c${a}`, write: true }],
    future: (s, a) => (s[a]! < k ? [{ loc: `c${a}`, write: true }] : []),
    actorCount: () => n,
    final: () => [],
  };
}

/** Wraps a system so that the keys of the terminal states it reaches are collected. */
function recordingFinals<S, L>(sys: TransitionSystem<S, L>): { sys: TransitionSystem<S, L>; finals: Set<string> } {
  const finals = new Set<string>();
  return {
    finals,
    sys: {
      ...sys,
      final: (s) => {
        finals.add(sys.key(s));
        return sys.final(s);
      },
    },
  };
}

test('independent counters: (k+1)^N states without reduction, a single path with it, same final state', () => {
  const plain = recordingFinals(counters(3, 4));
  const full = explore(plain.sys, { por: false });
  assert.equal(full.complete, true);
  assert.equal(full.states, 5 ** 3);
  assert.deepEqual([...plain.finals], ['4,4,4']);

  const reduced = recordingFinals(counters(3, 4));
  const r = explore(reduced.sys);
  assert.equal(r.complete, true);
  assert.equal(r.states, 3 * 4 + 1);
  assert.deepEqual([...reduced.finals], ['4,4,4']);
  assert.ok(r.transitions < full.transitions);
});

test('sleep sets alone keep every state and step fewer transitions', () => {
  const sys = counters(3, 3);
  delete sys.future; // no persistent sets: only sleep sets reduce
  const full = explore(sys, { por: false });
  const slept = explore(sys);
  assert.equal(slept.states, full.states);
  assert.equal(full.states, 4 ** 3);
  assert.ok(slept.transitions < full.transitions, `${slept.transitions} < ${full.transitions}`);
});

// ---------------------------------------------------------------------------------------------------------------
// Two actors incrementing a shared x non-atomically: read into a register, then write register + 1.

interface IncState {
  x: number;
  pc: number[];
  reg: number[];
}

function incrementers(): TransitionSystem<IncState, string> {
  return {
    initial: () => ({ x: 0, pc: [0, 0], reg: [0, 0] }),
    enabled: (s) => [0, 1].filter((a) => s.pc[a]! < 2),
    step: (s, a) => {
      const pc = s.pc.slice();
      const reg = s.reg.slice();
      let x = s.x;
      let label: string;
      if (pc[a] === 0) {
        reg[a] = x;
        label = `r${a} = x (${x})`;
      } else {
        x = reg[a]! + 1;
        label = `x = r${a} + 1 (${x})`;
      }
      pc[a]!++;
      return { state: { x, pc, reg }, label, violations: [] };
    },
    key: (s) => `${s.x}|${s.pc}|${s.reg}`,
    footprint: (s, a) => [{ loc: 'x', write: s.pc[a] === 1 }],
    future: (s, a) => (s.pc[a] === 0 ? [{ loc: 'x', write: false }, { loc: 'x', write: true }] : s.pc[a] === 1 ? [{ loc: 'x', write: true }] : []),
    actorCount: () => 2,
    final: (s): Violation[] => (s.x === 2 ? [] : [{ category: 'lost-update', message: `x is ${s.x}, not 2` }]),
  };
}

function replay<S, L>(sys: TransitionSystem<S, L>, actors: number[]): S {
  let s = sys.initial();
  for (const a of actors) s = sys.step(s, a).state;
  return s;
}

test('non-atomic increments: the lost update is found, with a 4-step trace that really loses it', () => {
  for (const por of [false, true]) {
    const sys = incrementers();
    const r = explore(sys, { por });
    assert.equal(r.complete, true);
    assert.deepEqual(r.violations.map((v) => v.category), ['lost-update']);
    const steps = r.violations[0]!.steps;
    assert.equal(steps.length, 4);
    assert.equal(replay(sys, steps.map((s) => s.actor)).x, 1);
    assert.match(steps.map((s) => s.label).join('; '), /r. = x \(0\); r. = x \(0\)/);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Mutual exclusion: Peterson's algorithm (looping forever, so the state graph has cycles), and a broken
// "check the other's flag, then raise mine" lock.

interface MutexState {
  flag: number[];
  turn: number;
  cs: number[];
  pc: number[];
}

function mutex(kind: 'peterson' | 'check-then-set'): TransitionSystem<MutexState, string> {
  const other = (a: number) => 1 - a;
  const enterCs = (s: MutexState, a: number, pc: number[]) => {
    const cs = s.cs.slice();
    cs[a] = 1;
    const violations: Violation[] = s.cs[other(a)]
      ? [{ category: 'mutual-exclusion', message: `actor ${a} entered while ${other(a)} is inside` }]
      : [];
    return { state: { ...s, cs, pc }, label: `${a} enters`, violations };
  };
  const peterson = {
    enabled: (s: MutexState, a: number) => s.pc[a] !== 2 || s.flag[other(a)] === 0 || s.turn === a,
    step: (s: MutexState, a: number) => {
      const pc = s.pc.slice();
      pc[a] = (pc[a]! + 1) % 4;
      const flag = s.flag.slice();
      switch (s.pc[a]) {
        case 0:
          flag[a] = 1;
          return { state: { ...s, flag, pc }, label: `flag${a} = 1`, violations: [] };
        case 1:
          return { state: { ...s, turn: other(a), pc }, label: `turn = ${other(a)}`, violations: [] };
        case 2:
          return enterCs(s, a, pc);
        default: {
          const cs = s.cs.slice();
          cs[a] = 0;
          flag[a] = 0;
          return { state: { ...s, cs, flag, pc }, label: `${a} leaves`, violations: [] };
        }
      }
    },
    footprint: (s: MutexState, a: number): Access[] => {
      const o = other(a);
      switch (s.pc[a]) {
        case 0:
          return [{ loc: `flag${a}`, write: true }];
        case 1:
          return [{ loc: 'turn', write: true }];
        case 2:
          return [{ loc: `flag${o}`, write: false }, { loc: 'turn', write: false }, { loc: `cs${o}`, write: false }, { loc: `cs${a}`, write: true }];
        default:
          return [{ loc: `cs${a}`, write: true }, { loc: `flag${a}`, write: true }];
      }
    },
  };
  const broken = {
    enabled: (s: MutexState, a: number) => s.pc[a] !== 0 || s.flag[other(a)] === 0,
    step: (s: MutexState, a: number) => {
      const pc = s.pc.slice();
      pc[a] = (pc[a]! + 1) % 4;
      const flag = s.flag.slice();
      switch (s.pc[a]) {
        case 0:
          return { state: { ...s, pc }, label: `${a} sees flag${other(a)} == 0`, violations: [] };
        case 1:
          flag[a] = 1;
          return { state: { ...s, flag, pc }, label: `flag${a} = 1`, violations: [] };
        case 2:
          return enterCs(s, a, pc);
        default: {
          const cs = s.cs.slice();
          cs[a] = 0;
          flag[a] = 0;
          return { state: { ...s, cs, flag, pc }, label: `${a} leaves`, violations: [] };
        }
      }
    },
    footprint: (s: MutexState, a: number): Access[] => {
      const o = other(a);
      switch (s.pc[a]) {
        case 0:
          return [{ loc: `flag${o}`, write: false }];
        case 1:
          return [{ loc: `flag${a}`, write: true }];
        case 2:
          return [{ loc: `cs${o}`, write: false }, { loc: `cs${a}`, write: true }];
        default:
          return [{ loc: `cs${a}`, write: true }, { loc: `flag${a}`, write: true }];
      }
    },
  };
  const m = kind === 'peterson' ? peterson : broken;
  const everything = (a: number): Access[] => [
    { loc: `flag${a}`, write: true },
    { loc: `flag${other(a)}`, write: false },
    { loc: 'turn', write: true },
    { loc: `cs${a}`, write: true },
    { loc: `cs${other(a)}`, write: false },
  ];
  return {
    initial: () => ({ flag: [0, 0], turn: 0, cs: [0, 0], pc: [0, 0] }),
    enabled: (s) => [0, 1].filter((a) => m.enabled(s, a)),
    step: m.step,
    key: (s) => `${s.flag}|${s.turn}|${s.cs}|${s.pc}`,
    footprint: m.footprint,
    future: (_s, a) => everything(a),
    actorCount: () => 2,
    final: (): Violation[] => [{ category: 'deadlock', message: 'no actor can move' }],
  };
}

test("Peterson's lock keeps mutual exclusion and never deadlocks, with and without reduction", () => {
  const full = explore(mutex('peterson'), { por: false });
  const reduced = explore(mutex('peterson'));
  for (const r of [full, reduced]) {
    assert.equal(r.complete, true);
    assert.deepEqual(r.violations, []);
  }
  assert.ok(reduced.transitions < full.transitions);
});

test('check-then-set lock: both enter, and the trace is the shortest (6 steps)', () => {
  const full = explore(mutex('check-then-set'), { por: false });
  assert.deepEqual(full.violations.map((v) => v.category), ['mutual-exclusion']);
  const steps = full.violations[0]!.steps;
  assert.equal(steps.length, 6);
  assert.deepEqual(steps.filter((s) => s.label.includes('sees')).length, 2);
  assert.match(steps.at(-1)!.label, /enters/);

  const reduced = explore(mutex('check-then-set'));
  assert.deepEqual(reduced.violations.map((v) => v.category), ['mutual-exclusion']);
  assert.ok(reduced.violations[0]!.steps.length >= 6);
});

// ---------------------------------------------------------------------------------------------------------------
// Shortest traces: actor 0 fails on its 5th step, actor 1 on its 3rd.

function twoRoutesToFailure(): TransitionSystem<number[], string> {
  const failAt = [5, 3];
  return {
    initial: () => [0, 0],
    enabled: (s) => [0, 1].filter((a) => s[a]! < failAt[a]!),
    step: (s, a) => {
      const t = s.slice();
      t[a]!++;
      const violations = t[a] === failAt[a] ? [{ category: 'bad', message: `actor ${a} failed` }] : [];
      return { state: t, label: `${a}:${t[a]}`, violations };
    },
    key: (s) => s.join(','),
    footprint: (_s, a) => [{ loc: `p${a}`, write: true }],
    final: () => [],
  };
}

test('the counterexample is the shortest path to the violation (3 steps, not 5)', () => {
  const r = explore(twoRoutesToFailure(), { por: false });
  assert.equal(r.violations.length, 1);
  assert.deepEqual(r.violations[0]!.steps, [
    { actor: 1, label: '1:1' },
    { actor: 1, label: '1:2' },
    { actor: 1, label: '1:3' },
  ]);
  assert.equal(r.violations[0]!.message, 'actor 1 failed');
});

test('allCategories: false stops at the first violation', () => {
  const r = explore(incrementers(), { allCategories: false, por: false });
  assert.equal(r.complete, false);
  assert.match(r.incompleteReason ?? '', /first violation/);
  assert.equal(r.violations.length, 1);
});

// ---------------------------------------------------------------------------------------------------------------
// Budgets

test('a state budget stops the search and says so', () => {
  const r = explore(counters(4, 5), { por: false, maxStates: 10 });
  assert.equal(r.complete, false);
  assert.equal(r.incompleteReason, 'state budget 10 reached');
  assert.equal(r.states, 10);
});

test('a time budget stops the search, progress is reported meanwhile', () => {
  const seen: number[] = [];
  const r = explore(counters(10, 9), {
    por: false,
    maxMs: 300,
    onProgress: (p) => seen.push(p.states),
  });
  assert.equal(r.complete, false);
  assert.equal(r.incompleteReason, 'time budget 300 ms reached');
  assert.ok(r.ms >= 300);
  // At least the check that stops the search reports (how many more depends on the machine's load).
  assert.ok(seen.length >= 1, `progress calls: ${seen.length}`);
  assert.ok(seen[seen.length - 1]! <= r.states);
  assert.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1]!));
});

test('a system that throws gives an error result, not an exception', () => {
  const sys = counters(2, 3);
  const r = explore({
    ...sys,
    step: (s, a) => {
      if (s[a] === 2) throw new Error('unmodelled instruction');
      return sys.step(s, a);
    },
  });
  assert.equal(r.complete, false);
  assert.equal(r.error, 'unmodelled instruction');
  assert.equal(r.incompleteReason, 'model error: unmodelled instruction');
});

// ---------------------------------------------------------------------------------------------------------------
// Random small programs over shared variables: reduction must not change what is found.

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Instr =
  | { op: 'load' | 'store' | 'lock' | 'unlock'; v: number }
  | { op: 'set' | 'assert' | 'cas'; v: number; c: number }
  | { op: 'inc' }
  | { op: 'jnz'; v: number; to: number };

interface ProgState {
  vars: number[];
  pc: number[];
  reg: number[];
}

function randomSystem(seed: number): TransitionSystem<ProgState, string> {
  const rnd = prng(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const nvars = 2 + pick(2);
  const nactors = 2 + pick(2);
  const progs: Instr[][] = [];
  for (let a = 0; a < nactors; a++) {
    const prog: Instr[] = [];
    const len = 2 + pick(4);
    for (let i = 0; i < len; i++) {
      const v = pick(nvars);
      const r = pick(10);
      if (r === 0) prog.push({ op: 'lock', v });
      else if (r === 1) prog.push({ op: 'unlock', v });
      else if (r === 2) prog.push({ op: 'load', v });
      else if (r === 3) prog.push({ op: 'store', v });
      else if (r === 4) prog.push({ op: 'set', v, c: pick(3) });
      else if (r === 5) prog.push({ op: 'assert', v, c: 1 + pick(2) });
      else if (r === 6) prog.push({ op: 'cas', v, c: pick(3) });
      else if (r === 7) prog.push({ op: 'inc' });
      else if (r === 8 && i > 0) prog.push({ op: 'jnz', v, to: pick(i) });
      else prog.push({ op: 'load', v });
    }
    progs.push(prog);
  }
  const accessOf = (ins: Instr): Access[] => {
    switch (ins.op) {
      case 'inc':
        return [];
      case 'load':
      case 'assert':
      case 'jnz':
        return [{ loc: `v${ins.v}`, write: false }];
      default:
        return [{ loc: `v${ins.v}`, write: true }];
    }
  };
  // What an actor may still touch from each pc: the accesses of every instruction reachable in its code.
  const futures: Access[][][] = progs.map((prog) =>
    prog.map((_, start) => {
      const seen = new Set<number>();
      const todo = [start];
      while (todo.length) {
        const i = todo.pop()!;
        if (i >= prog.length || seen.has(i)) continue;
        seen.add(i);
        todo.push(i + 1);
        const ins = prog[i]!;
        if (ins.op === 'jnz') todo.push(ins.to);
      }
      return [...seen].flatMap((i) => accessOf(prog[i]!));
    }),
  );
  const unknownFuture = pick(3) === 0 ? pick(nactors) : -1;
  return {
    initial: () => ({ vars: new Array(nvars).fill(0), pc: new Array(nactors).fill(0), reg: new Array(nactors).fill(0) }),
    enabled: (s) => {
      const en: number[] = [];
      for (let a = 0; a < nactors; a++) {
        const ins = progs[a]![s.pc[a]!];
        if (ins && (ins.op !== 'lock' || s.vars[ins.v] === 0)) en.push(a);
      }
      return en;
    },
    step: (s, a) => {
      const ins = progs[a]![s.pc[a]!]!;
      const vars = s.vars.slice();
      const pc = s.pc.slice();
      const reg = s.reg.slice();
      const violations: Violation[] = [];
      pc[a]!++;
      switch (ins.op) {
        case 'load':
          reg[a] = vars[ins.v]!;
          break;
        case 'store':
          vars[ins.v] = reg[a]!;
          break;
        case 'lock':
          vars[ins.v] = 1;
          break;
        case 'unlock':
          vars[ins.v] = 0;
          break;
        case 'set':
          vars[ins.v] = ins.c;
          break;
        case 'assert':
          if (vars[ins.v] === ins.c) violations.push({ category: `v${ins.v}==${ins.c}`, message: `actor ${a}` });
          break;
        case 'cas':
          if (vars[ins.v] === reg[a]) {
            vars[ins.v] = ins.c;
            reg[a] = 1;
          } else reg[a] = 0;
          break;
        case 'inc':
          reg[a] = (reg[a]! + 1) % 3;
          break;
        case 'jnz':
          if (vars[ins.v] !== 0) pc[a] = ins.to;
          break;
      }
      return { state: { vars, pc, reg }, label: `${a}:${ins.op}`, violations };
    },
    key: (s) => `${s.vars}|${s.pc}|${s.reg}`,
    footprint: (s, a) => accessOf(progs[a]![s.pc[a]!]!),
    future: (s, a) => (a === unknownFuture ? null : s.pc[a]! < progs[a]!.length ? futures[a]![s.pc[a]!]! : []),
    actorCount: () => nactors,
    final: (s): Violation[] => {
      const out: Violation[] = [{ category: `final v0=${s.vars[0]}`, message: '' }];
      if (s.pc.some((p, a) => p < progs[a]!.length)) out.push({ category: 'deadlock', message: '' });
      return out;
    },
  };
}

function summary(r: ExploreResult<string>): string[] {
  return r.violations.map((v) => v.category).sort();
}

test('random programs: reduction finds the same violations and the same terminal states', () => {
  let reducedStates = 0;
  let fullStates = 0;
  let withViolations = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const a = recordingFinals(randomSystem(seed));
    const b = recordingFinals(randomSystem(seed));
    const full = explore(a.sys, { por: false });
    const reduced = explore(b.sys);
    assert.equal(full.complete, true);
    assert.equal(reduced.complete, true);
    assert.deepEqual(summary(reduced), summary(full), `seed ${seed}`);
    assert.deepEqual([...b.finals].sort(), [...a.finals].sort(), `seed ${seed}`);
    assert.ok(reduced.states <= full.states, `seed ${seed}`);
    // Every reported trace replays to its violation.
    for (const v of reduced.violations) {
      const sys = randomSystem(seed);
      let s = sys.initial();
      const seen = new Set<string>();
      for (const st of v.steps) {
        assert.ok(sys.enabled(s).includes(st.actor), `seed ${seed}: actor ${st.actor} not enabled`);
        const r = sys.step(s, st.actor);
        for (const x of r.violations) seen.add(x.category);
        s = r.state;
      }
      for (const x of sys.enabled(s).length ? [] : sys.final(s)) seen.add(x.category);
      assert.ok(seen.has(v.category), `seed ${seed}: trace for ${v.category} does not reach it`);
    }
    reducedStates += reduced.states;
    fullStates += full.states;
    if (full.violations.some((v) => v.category.includes('=='))) withViolations++;
  }
  assert.ok(reducedStates < fullStates, `${reducedStates} < ${fullStates}`);
  assert.ok(withViolations > 30, `${withViolations} systems with assertion violations`);
});

test('sleep sets alone reach every state of random programs', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const sys = randomSystem(seed);
    delete sys.future;
    assert.equal(explore(sys).states, explore(randomSystem(seed), { por: false }).states, `seed ${seed}`);
  }
});

test('cycle proviso: an actor spinning forever on its own variable does not hide the other one', () => {
  // Actor 0 sets a, then spins while a != 0; actor 1 sets b, then fails on reading it.
  const sys: TransitionSystem<number[], string> = {
    initial: () => [0, 0],
    enabled: (s) => (s[1]! < 2 ? [0, 1] : [0]),
    step: (s, a) => {
      const t = s.slice();
      if (a === 0) t[0] = 1;
      else t[1]!++;
      const violations = a === 1 && s[1] === 1 ? [{ category: 'saw-b', message: 'b is 1' }] : [];
      return { state: t, label: a === 0 ? (s[0] ? 'spin on a' : 'a = 1') : s[1] ? 'read b' : 'b = 1', violations };
    },
    key: (s) => s.join(','),
    footprint: (s, a) => (a === 0 ? [{ loc: 'a', write: s[0] === 0 }] : [{ loc: 'b', write: s[1] === 0 }]),
    future: (s, a) => (a === 0 ? [{ loc: 'a', write: true }] : s[1]! < 2 ? [{ loc: 'b', write: true }] : []),
    actorCount: () => 2,
    final: () => [],
  };
  const r = explore(sys);
  assert.equal(r.complete, true);
  assert.deepEqual(r.violations.map((v) => [v.category, v.steps.map((s) => s.label)]), [
    ['saw-b', ['a = 1', 'b = 1', 'read b']],
  ]);
});

test('determinism: two runs give the same states, transitions and traces', () => {
  for (const seed of [7, 8, 9]) {
    const strip = (r: ExploreResult<string>) => ({ ...r, ms: 0 });
    assert.deepEqual(strip(explore(randomSystem(seed))), strip(explore(randomSystem(seed))));
    assert.deepEqual(strip(explore(randomSystem(seed), { por: false })), strip(explore(randomSystem(seed), { por: false })));
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Multi-outcome transitions: a step that decides something the model does not know has several outcomes.

test('multi-outcome: the shortest trace goes through the alternative outcome, and replays with it', () => {
  // Actor 0 asks an oracle (outcome 0: "no", outcome 1: "yes"), then acts on the answer; "yes" is the bad one.
  // Actor 1 counts to 3 on its own variable, so the trace has to pick actor 0's steps out of the interleavings.
  type S = { answer: number; pc0: number; c: number };
  const sys: TransitionSystem<S, string> = {
    initial: () => ({ answer: -1, pc0: 0, c: 0 }),
    enabled: (s) => [...(s.pc0 < 2 ? [0] : []), ...(s.c < 3 ? [1] : [])],
    step: (s, a, outcome = 0) => {
      if (a === 1) return { state: { ...s, c: s.c + 1 }, label: `c=${s.c + 1}`, violations: [] };
      if (s.pc0 === 0) return { state: { ...s, pc0: 1, answer: outcome }, label: `assume ${outcome ? 'yes' : 'no'}`, violations: [], outcomes: 2 };
      const violations = s.answer === 1 ? [{ category: 'acted-on-yes', message: 'the oracle said yes' }] : [];
      return { state: { ...s, pc0: 2 }, label: 'act', violations };
    },
    key: (s) => `${s.answer},${s.pc0},${s.c}`,
    footprint: (_s, a) => [{ loc: a === 0 ? 'answer' : 'c', write: true }],
    future: (s, a) => (a === 0 ? (s.pc0 < 2 ? [{ loc: 'answer', write: true }] : []) : s.c < 3 ? [{ loc: 'c', write: true }] : []),
    actorCount: () => 2,
    final: () => [],
  };
  for (const por of [true, false]) {
    const r = explore(sys, { por });
    assert.equal(r.complete, true);
    assert.deepEqual(r.violations.map((v) => [v.category, v.steps]), [
      ['acted-on-yes', [{ actor: 0, outcome: 1, label: 'assume yes' }, { actor: 0, label: 'act' }]],
    ], `por ${por}`);
    // Without reduction every outcome is a state of its own: 3 answers x 4 counts, less the 4 impossible ones.
    if (!por) assert.equal(r.states, 3 * 4 + 2 * 4);
  }
});

test('multi-outcome: sleep sets do not lose an outcome of a step put to sleep', () => {
  // A's only step writes a (1 or 2); B's writes b. They commute, so after B first, A sleeps: the state
  // (a=2, b=1) is reached only through A's second outcome taken before B. A final check looks for it.
  type S = { a: number; b: number };
  const sys: TransitionSystem<S, string> = {
    initial: () => ({ a: 0, b: 0 }),
    enabled: (s) => [...(s.a === 0 ? [0] : []), ...(s.b === 0 ? [1] : [])],
    step: (s, actor, outcome = 0) =>
      actor === 0
        ? { state: { ...s, a: outcome + 1 }, label: `a=${outcome + 1}`, violations: [], outcomes: 2 }
        : { state: { ...s, b: 1 }, label: 'b=1', violations: [] },
    key: (s) => `${s.a},${s.b}`,
    footprint: (_s, actor) => [{ loc: actor === 0 ? 'a' : 'b', write: true }],
    final: (s) => (s.a === 2 ? [{ category: 'a-is-2', message: `b=${s.b}` }] : []),
  };
  const finals = recordingFinals(sys);
  const r = explore(finals.sys);
  assert.deepEqual([...finals.finals].sort(), ['1,1', '2,1']);
  assert.deepEqual(r.violations.map((v) => v.steps.map((s) => s.label)), [['a=2', 'b=1']]);
});

/** randomSystem with loads that may also read one more than the value (two outcomes, same footprint). */
function fuzzyLoads(seed: number): TransitionSystem<ProgState, string> {
  const sys = randomSystem(seed);
  return {
    ...sys,
    step: (s, a, outcome = 0) => {
      const r = sys.step(s, a);
      if (!r.label.endsWith(':load')) return r;
      if (outcome === 1) r.state.reg[a] = (r.state.reg[a]! + 1) % 3;
      return { ...r, label: `${r.label}+${outcome}`, outcomes: 2 };
    },
  };
}

/** Terminal state keys of a system by plain depth-first search over every actor and every outcome. */
function referenceFinals<S, L>(sys: TransitionSystem<S, L>): Set<string> {
  const seen = new Set<string>();
  const finals = new Set<string>();
  const todo = [sys.initial()];
  while (todo.length) {
    const s = todo.pop()!;
    const k = sys.key(s);
    if (seen.has(k)) continue;
    seen.add(k);
    const en = sys.enabled(s);
    if (en.length === 0) finals.add(k);
    for (const a of en) {
      const n = sys.step(s, a).outcomes ?? 1;
      for (let o = 0; o < n; o++) todo.push(sys.step(s, a, o).state);
    }
  }
  return finals;
}

test('multi-outcome random programs: reduction keeps every terminal state and violation, traces replay', () => {
  for (let seed = 1; seed <= 150; seed++) {
    const want = [...referenceFinals(fuzzyLoads(seed))].sort();
    const a = recordingFinals(fuzzyLoads(seed));
    const b = recordingFinals(fuzzyLoads(seed));
    const full = explore(a.sys, { por: false });
    const reduced = explore(b.sys);
    assert.deepEqual([...a.finals].sort(), want, `seed ${seed}`);
    assert.deepEqual([...b.finals].sort(), want, `seed ${seed}`);
    assert.deepEqual(summary(reduced), summary(full), `seed ${seed}`);
    for (const v of reduced.violations) {
      const sys = fuzzyLoads(seed);
      let s = sys.initial();
      const seen = new Set<string>();
      for (const st of v.steps) {
        const r = sys.step(s, st.actor, st.outcome);
        assert.equal(r.label, st.label, `seed ${seed}: replay takes the recorded outcome`);
        for (const x of r.violations) seen.add(x.category);
        s = r.state;
      }
      for (const x of sys.enabled(s).length ? [] : sys.final(s)) seen.add(x.category);
      assert.ok(seen.has(v.category), `seed ${seed}: trace for ${v.category} does not reach it`);
    }
  }
});

test('locations meet by object and field: a field of every object, a whole object, and the indexed future agree with the plain test', () => {
  const a = (loc: string, field: string | undefined, write: boolean): Access => (field === undefined ? { loc, write } : { loc, field, write });
  assert.equal(conflicts([a('o3', '_refcount', true)], [a('o3', 'flags', true)]), false, 'two fields of one object');
  assert.equal(conflicts([a('o3', '_refcount', false)], [a('*', '_refcount', true)]), true, 'a field of every object');
  assert.equal(conflicts([a('o3', '_refcount', false)], [a('o4', '_refcount', true)]), false, 'one field of two objects');
  assert.equal(conflicts([a('o3', undefined, true)], [a('o3', 'flags', false)]), true, 'the whole object');
  assert.equal(conflicts([a('life', 'life', false)], [a('*', '_refcount', true)]), false);
  assert.equal(conflicts([a('o3', 'x', false)], [a('*', undefined, false)]), false, 'reads never conflict');
  // The index futures are tested with gives the same answers as the plain pairwise test.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const locs = ['o1', 'o2', 'life', '*'];
  const fields = ['f', 'g', 'life', undefined];
  const access = () => a(pick(locs), pick(fields), rnd() < 0.5);
  for (let i = 0; i < 3000; i++) {
    const step = Array.from({ length: 1 + Math.floor(rnd() * 3) }, access);
    const future = Array.from({ length: Math.floor(rnd() * 9) }, access);
    assert.equal(conflictsWithFuture(step, future), conflicts(step, future), JSON.stringify({ step, future }));
  }
});
