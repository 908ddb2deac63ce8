// The search of schedules with few preemptions (bounded.ts): what it finds at each bound, the path it gives,
// and the same search whether the system numbers its states (vector) or only names them (key).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exploreBounded } from './bounded.ts';
import type { TransitionSystem } from './types.ts';

type S = { pc: number[]; x: number };

/**
 * A writer sets x to 1 and back to 0 over `gap` + 1 steps; a reader looks at x once. The reader sees 1 only
 * when it runs inside the writer's window, which takes a switch away from the running writer: one preemption.
 */
function window(gap: number, numbered: boolean): TransitionSystem<S, string> {
  const writerSteps = gap + 2;
  const sys: TransitionSystem<S, string> = {
    initial: () => ({ pc: [0, 0], x: 0 }),
    enabled: (s) => [0, 1].filter((a) => s.pc[a]! < (a === 0 ? writerSteps : 1)),
    step: (s, a) => {
      const pc = s.pc.slice();
      pc[a]!++;
      if (a === 1) return { state: { pc, x: s.x }, label: `reader sees ${s.x}`, violations: s.x ? [{ category: 'saw-one', message: 'the reader saw the writer\'s 1' }] : [] };
      const x = pc[0] === 1 ? 1 : pc[0] === writerSteps ? 0 : s.x;
      return { state: { pc, x }, label: `writer step ${pc[0]}`, violations: [] };
    },
    key: (s) => `${s.pc.join(',')}|${s.x}`,
    footprint: (_s, a) => [{ loc: 'x', write: a === 0 }],
    final: () => [],
  };
  if (numbered) sys.vector = (s) => [...s.pc, s.x];
  return sys;
}

for (const numbered of [false, true]) {
  test(`a race inside a window takes one preemption: none at bound 0, found at bound 1 with its path (${numbered ? 'states as vectors' : 'states as text keys'})`, async () => {
    const none = await exploreBounded(window(3, numbered), { maxPreemptions: 0, maxMs: 60_000 });
    assert.deepEqual(none.violations, []);
    assert.equal(none.searchedBound, 0);

    const one = await exploreBounded(window(3, numbered), { maxPreemptions: 1, maxMs: 60_000 });
    assert.equal(one.searchedBound, 1);
    assert.equal(one.violations.length, 1);
    const v = one.violations[0]!;
    assert.equal(v.category, 'saw-one');
    assert.equal(v.preemptions, 1);
    // The shortest such schedule: the writer's first step, then the reader.
    assert.deepEqual(v.steps.map((s) => [s.actor, s.label]), [[0, 'writer step 1'], [1, 'reader sees 1']]);
  });
}

test('the search visits the same states whether the system gives vectors or only keys', async () => {
  const [a, b] = await Promise.all([true, false].map((numbered) => exploreBounded(window(5, numbered), { maxPreemptions: 2, maxMs: 60_000 })));
  assert.equal(a.states, b.states);
  assert.deepEqual(a.violations, b.violations);
  assert.deepEqual(a.violations.map((v) => [v.category, v.preemptions]), [['saw-one', 1]]);
  // A state reached again with the same running actor and no fewer preemptions is not searched again. Pinned:
  // the three passes (bounds 0, 1, 2) search 75 states; every schedule's every prefix would be 105.
  assert.equal(a.states, 75);
});
