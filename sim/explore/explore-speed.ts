// Measures the explorer's own speed (states and transitions per second) on a cheap system, so that the cost of
// a real model can be told apart from the search's. Run: npx tsx sim/explore/explore-speed.ts [actors] [steps]
import { explore } from './explore.ts';
import type { TransitionSystem } from './types.ts';

/** n actors each counting their own location to k, plus a shared counter every third step (so POR has work). */
function counters(n: number, k: number): TransitionSystem<number[], string> {
  return {
    initial: () => new Array(n + 1).fill(0),
    enabled: (s) => {
      const en: number[] = [];
      for (let a = 0; a < n; a++) if (s[a]! < k) en.push(a);
      return en;
    },
    step: (s, a) => {
      const t = s.slice();
      t[a]!++;
      if (t[a]! % 3 === 0) t[n] = (t[n]! + 1) % 5;
      return { state: t, label: 'step', violations: [] };
    },
    key: (s) => s.join(','),
    footprint: (s, a) => ((s[a]! + 1) % 3 === 0 ? [{ loc: `c${a}`, write: true }, { loc: 'shared', write: true }] : [{ loc: `c${a}`, write: true }]),
    future: (s, a) => (s[a]! < k ? [{ loc: `c${a}`, write: true }, { loc: 'shared', write: true }] : []),
    actorCount: () => n,
    final: () => [],
  };
}

const n = Number(process.argv[2] ?? 6);
const k = Number(process.argv[3] ?? 7);
for (const por of [false, true]) {
  const r = explore(counters(n, k), { por });
  const secs = r.ms / 1000;
  console.log(
    `por=${por}: ${r.states} states, ${r.transitions} transitions in ${r.ms.toFixed(0)} ms: ` +
      `${Math.round(r.states / secs)} states/s, ${Math.round(r.transitions / secs)} transitions/s`,
  );
}
