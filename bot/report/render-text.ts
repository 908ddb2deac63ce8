// The human report of a `kbot review` run: per series a verdict, its findings and notes, and the mail it
// would send; then the messages that were set aside.
import type { ReviewResult, SeriesReview } from '../types.ts';
import { allReplies, describeVerdict } from './describe-series.ts';
import { sameId } from './message-id.ts';

export function renderText(result: ReviewResult): string {
  return renderTextHead(result.tree) + result.series.map(renderTextSeries).join('') + renderTextTail(result.series.length, result.rejected);
}

/** The pieces of renderText, for output that streams: the first line, each series as it is done, the end. */
export function renderTextHead(tree: ReviewResult['tree']): string {
  return `kbot review of ${tree.path} at ${tree.head.slice(0, 12)}\n`;
}

export function renderTextSeries(review: SeriesReview): string {
  return ['', ...renderSeries(review)].join('\n') + '\n';
}

export function renderTextTail(seriesCount: number, rejected: ReviewResult['rejected']): string {
  const out: string[] = [];
  if (seriesCount === 0) out.push('', 'No patch series found.');
  if (rejected.length > 0) {
    out.push('', `Rejected messages (${rejected.length}):`);
    for (const r of rejected) out.push(`  ${r.messageId ?? '(no Message-ID)'} (${r.source}): ${r.reason}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function renderSeries(review: SeriesReview): string[] {
  // Computed here rather than taken from review.verdict, so every line names the series and its base.
  const out = [describeVerdict(review)];
  const patchLabel = (id: string | null) => {
    const i = review.series.patches.findIndex((p) => p !== null && sameId(p.messageId, id));
    return i >= 0 ? `patch ${i + 1}/${review.series.total}` : 'series';
  };
  for (const f of review.findings) out.push(`  ${f.severity} [${f.category}] ${f.title} (${patchLabel(f.patch)}, ${f.analyzer})`);
  if (review.apply.base) out.push(`  base: ${review.apply.base.why}`);
  for (const n of review.notes) out.push(`  note: ${n}`);
  const replies = allReplies(review);
  if (replies.length === 0) {
    const why = review.findings.length === 0 && review.apply.status === 'applied' ? 'no findings' : 'held back; see notes';
    out.push(`  no reply (${why})`);
    return out;
  }
  replies.forEach((r, i) => {
    out.push('', `--- reply ${i + 1} of ${replies.length} ---`, ...r.eml.replace(/\r\n/g, '\n').trimEnd().split('\n'), '--- end ---');
  });
  return out;
}
