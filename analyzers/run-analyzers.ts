// Runs every analyzer on a series at once. One analyzer's crash becomes an info note, never a failed review.
import type { Analyzer, AnalyzerInput, AnalyzerResult, Coverage, Finding } from './types.ts';

export interface AnalyzersResult extends Omit<AnalyzerResult, 'coverage'> {
  /** One entry per analyzer, in the order given: what each checked, even when it found nothing. */
  coverage: Coverage[];
}

export async function runAnalyzers(analyzers: Analyzer[], input: AnalyzerInput): Promise<AnalyzersResult> {
  const results = await Promise.allSettled(analyzers.map((a) => a.run(input)));
  const findings: Finding[] = [];
  const notes: string[] = [];
  const coverage: Coverage[] = [];
  results.forEach((r, i) => {
    const name = analyzers[i].name;
    if (r.status === 'fulfilled') {
      findings.push(...r.value.findings);
      notes.push(...r.value.notes);
      // An analyzer that gives no account of itself still gets an entry: what it returned.
      coverage.push(r.value.coverage ?? { analyzer: name, status: 'ran', checked: 'the analyzer does not say what it checked', findings: r.value.findings.length });
    } else {
      const err = r.reason instanceof Error ? r.reason : new Error(String(r.reason));
      notes.push(`${name}: analyzer failed: ${err.message}`);
      coverage.push({ analyzer: name, status: 'failed', checked: `nothing: it failed (${err.message})`, findings: 0 });
      findings.push({
        analyzer: name, category: 'analyzer-error', severity: 'info', title: `${name} could not run: ${err.message}`,
        patch: input.coverMessageId ?? input.patches[0]?.messageId ?? null, files: [], hunk: [],
      });
    }
  });
  return { findings, notes, coverage };
}
