// One-line facts about a reviewed series, shared by the text and JSON renderings.
import type { Finding } from '../../analyzers/types.ts';
import type { ApplyResult, ReplyDraft, Series, SeriesReview } from '../types.ts';

/** The subject a reader knows the series by: the cover letter's, else the first patch's. */
export function seriesSubject(series: Series): string {
  const first = series.cover ?? series.patches.find((p) => p !== null);
  if (first) return first.subject;
  const v = series.version > 1 ? ` v${series.version}` : '';
  return `[PATCH${v} 0/${series.total}] ${series.title}`;
}

/** "2/3 missing", "2/5, 4/5 missing", or null for a complete series. */
export function describeMissing(series: Series): string | null {
  if (series.missing.length === 0) return null;
  return `${series.missing.map((i) => `${i}/${series.total}`).join(', ')} missing`;
}

/** "1 finding (1 error)", "3 findings (1 error, 2 warnings)", "no findings". */
export function countFindings(findings: Finding[]): string {
  if (findings.length === 0) return 'no findings';
  const by = (s: string) => findings.filter((f) => f.severity === s).length;
  const parts = [
    [by('error'), 'error', 'errors'],
    [by('warning'), 'warning', 'warnings'],
    [by('info'), 'info', 'info'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, one, many]) => `${n} ${n === 1 ? one : many}`);
  return `${findings.length} finding${findings.length === 1 ? '' : 's'} (${parts.join(', ')})`;
}

function describeApply(series: Series, apply: ApplyResult): string {
  const base = apply.base ? ` on ${apply.base.commit.slice(0, 12)} (${apply.base.source})` : '';
  const patch = apply.patchIndex ? `patch ${apply.patchIndex}/${series.total}` : 'a patch';
  const at = [apply.file ? ` at ${apply.file}` : '', apply.hunk ? ` hunk ${apply.hunk}` : ''].join('');
  const firstLine = apply.detail?.split('\n')[0]?.trim();
  switch (apply.status) {
    case 'applied':
      return `applied${base}`;
    case 'failed':
      return `does not apply${base}: ${patch} failed${at}`;
    case 'refused':
      return `refused${base}: ${patch}${at}${firstLine ? `: ${firstLine}` : ''}`;
    case 'skipped':
      return `not applied${firstLine ? `: ${firstLine}` : ''}`;
  }
}

/**
 * "[PATCH v2 0/3] mm: foo — applied on abc123 (base-commit); 2 findings (1 error)", with
 * "; incomplete: 2/3 missing" and "; superseded by <id>" when they hold.
 */
export function describeVerdict(review: { series: Series; apply: ApplyResult; findings: Finding[] }): string {
  const { series, apply, findings } = review;
  let line = `${seriesSubject(series)} — ${describeApply(series, apply)}`;
  if (apply.status === 'applied' || findings.length > 0) line += `; ${countFindings(findings)}`;
  const missing = describeMissing(series);
  if (missing) line += `; incomplete: ${missing}`;
  if (series.supersededBy) line += `; superseded by ${series.supersededBy}`;
  return line;
}

/** All replies of a review: `replies` when set, else the single `reply`. */
export function allReplies(review: SeriesReview): ReplyDraft[] {
  return review.replies ?? (review.reply ? [review.reply] : []);
}
