// The search's two verdict modes: by default it stops once every property has its shortest counterexample
// (nothing is left to find); exhaustive searches every state. Both deterministic. Also: the visited set of
// integer vectors gives the same search as text keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explore } from './explore.ts';
import type { TransitionSystem } from './types.ts';

/**
 * Two actors counting their own location to k, without reduction's help (no footprints shared). Property
 * 'early' is violated when actor 0 reaches 1, 'late' when both have reached 2.
 */
function twoCounters(k: number, withVector = false): TransitionSystem<number[], string> {
  const sys: TransitionSystem<number[], string> = {
    initial: () => [0, 0],
    enabled: (s) => s.flatMap((c, i) => (c < k ? [i] : [])),
    step: (s, a) => {
      const t = s.slice();
      t[a]!++;
      const violations = [];
      if (a === 0 && t[0] === 1) violations.push({ category: 'early', message: 'actor 0 reached 1' });
      if (t[0] === 2 && t[1] === 2 && s[0]! + s[1]! === 3) violations.push({ category: 'late', message: 'both reached 2' });
      return { state: t, label: `c${a}=${t[a]}`, violations };
    },
    key: (s) => s.join(','),
    footprint: () => [{ loc: 'shared', write: true }],
    final: () => [],
  };
  if (withVector) sys.vector = (s) => Int32Array.from(s);
  return sys;
}

test('default: the search stops once every property has its shortest counterexample, and says so', () => {
  const properties = ['early', 'late'];
  const r = explore(twoCounters(6), { properties });
  assert.equal(r.verdict, 'every-property-violated');
  assert.equal(r.complete, false);
  assert.match(r.incompleteReason ?? '', /every property has its shortest counterexample/);
  assert.deepEqual(r.violations.map((v) => [v.category, v.steps.length]).sort(), [['early', 1], ['late', 4]]);
  assert.ok(r.states < 7 * 7, `${r.states} states`);
  // Deterministic: the same run, the same figures and traces.
  assert.deepEqual({ ...explore(twoCounters(6), { properties }), ms: 0 }, { ...r, ms: 0 });
});

test('exhaustive: every state, the same shortest counterexamples, verdict exhausted', () => {
  const r = explore(twoCounters(6), { properties: ['early', 'late'], exhaustive: true });
  assert.equal(r.verdict, 'exhausted');
  assert.equal(r.complete, true);
  assert.equal(r.states, 7 * 7);
  assert.deepEqual(r.violations.map((v) => [v.category, v.steps.length]).sort(), [['early', 1], ['late', 4]]);
});

test('a property never violated: the default searches the whole space too', () => {
  const r = explore(twoCounters(6), { properties: ['early', 'late', 'never'] });
  assert.equal(r.verdict, 'exhausted');
  assert.equal(r.states, 7 * 7);
});

test('integer vectors in the typed-array table: the same states, transitions and traces as text keys', () => {
  for (const opts of [{}, { por: false }, { properties: ['early', 'late'] }]) {
    const text = explore(twoCounters(9), opts);
    const vec = explore(twoCounters(9, true), opts);
    const { stateBytes, ...rest } = vec;
    assert.deepEqual({ ...rest, ms: 0 }, { ...text, ms: 0 });
    // The table and bookkeeping of 100 states: a few KiB, not the text keys' Map.
    assert.ok(stateBytes !== undefined && stateBytes < 200_000, `${stateBytes} bytes`);
  }
});
