// Runs every analyzer on a series at once. One analyzer's crash becomes an info note, never a failed review.
import type { Analyzer, AnalyzerInput, AnalyzerResult, Finding } from './types.ts';

export async function runAnalyzers(analyzers: Analyzer[], input: AnalyzerInput): Promise<AnalyzerResult> {
  const results = await Promise.allSettled(analyzers.map((a) => a.run(input)));
  const findings: Finding[] = [];
  const notes: string[] = [];
  results.forEach((r, i) => {
    const name = analyzers[i].name;
    if (r.status === 'fulfilled') {
      findings.push(...r.value.findings);
      notes.push(...r.value.notes);
    } else {
      const err = r.reason instanceof Error ? r.reason : new Error(String(r.reason));
      notes.push(`${name}: analyzer failed: ${err.message}`);
      findings.push({
        analyzer: name, category: 'analyzer-error', severity: 'info', title: `${name} could not run: ${err.message}`,
        patch: input.coverMessageId ?? input.patches[0]?.messageId ?? null, files: [], hunk: [],
      });
    }
  });
  return { findings, notes };
}
