// Compares a scenario's outcome on the tree before and after the series. Only what the series introduces is
// reported; what was already there is said once, as a note.
import type { ScenarioRun, SimViolation } from './run-scenario.ts';

export type JudgeResult = 'ok' | 'unexpected' | 'incomplete' | 'unmodelled' | 'not-applicable';

export interface Judgement {
  name: string;
  result: JudgeResult;
  /** Violations present after the series and not before it (by category). */
  introduced: SimViolation[];
  /** How the tree before the series did: "clean", "not applicable: ...", "already violates: ...". */
  baseline: string;
  note?: string;
  before: ScenarioRun;
  after: ScenarioRun;
}

export function judge(before: ScenarioRun, after: ScenarioRun): Judgement {
  const baseline =
    before.status === 'ok' ? 'clean'
    : before.status === 'not-applicable' ? `not applicable (${before.reason})`
    : before.status === 'violations' ? `already violates: ${before.violations.map((v) => v.category).join(', ')}`
    : before.status === 'unmodelled' ? `unmodelled (${before.reason})`
    : before.status === 'not-run' ? 'not run'
    : `incomplete (${before.reason})`;
  const j = { name: after.name, before, after, baseline, introduced: [] as SimViolation[] };
  if (after.status === 'not-applicable') return { ...j, result: 'not-applicable', note: after.reason };
  if (after.status === 'unmodelled') return { ...j, result: 'unmodelled', note: after.reason };
  const had = new Set(before.status === 'violations' ? before.violations.map((v) => v.category) : []);
  const introduced = after.violations.filter((v) => !had.has(v.category));
  if (introduced.length) return { ...j, result: 'unexpected', introduced };
  // Never clean: how far it got, so a reader can judge what was covered.
  if (after.status === 'incomplete') {
    const s = after.stats;
    return { ...j, result: 'incomplete', note: `${after.reason}; it got to ${s.states} states, ${s.transitions} transitions${s.depth !== undefined ? `, depth ${s.depth}` : ''}, in ${Math.round(s.ms)} ms` };
  }
  return { ...j, result: 'ok' };
}
