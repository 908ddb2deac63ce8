// The machine-readable report of a `kbot review` run: the JSON contract documented in the README.
import type { Finding } from '../../analyzers/types.ts';
import type { ReplyDraft, ReviewResult, SeriesReview } from '../types.ts';
import { allReplies, describeMissing, seriesSubject } from './describe-series.ts';

export interface JsonReply {
  inReplyTo: string;
  references: string[];
  subject: string;
  to: string[];
  cc: string[];
  body: string;
}

export interface JsonSeries {
  id: string;
  subject: string;
  version: number;
  total: number;
  messages: string[];
  superseded: boolean;
  supersededBy?: string;
  incomplete: string | null;
  base: { commit: string; source: string; why: string } | null;
  apply: { status: string; patch?: string; file?: string; hunk?: string; detail?: string };
  findings: Finding[];
  notes: string[];
  reply: JsonReply | null;
  replies: JsonReply[];
}

export interface JsonReport {
  tree: { path: string; head: string };
  series: JsonSeries[];
  rejected: Array<{ messageId: string | null; source: string; reason: string }>;
}

export function toJson(result: ReviewResult): JsonReport {
  return {
    tree: { path: result.tree.path, head: result.tree.head },
    series: result.series.map(seriesJson),
    rejected: result.rejected.map((r) => ({ messageId: r.messageId, source: r.source, reason: r.reason })),
  };
}

function seriesJson(review: SeriesReview): JsonSeries {
  const { series, apply } = review;
  const replies = allReplies(review).map(replyJson);
  const messages = [series.cover, ...series.patches].filter((m) => m !== null).map((m) => m.messageId);
  const applyJson: JsonSeries['apply'] = { status: apply.status };
  if (apply.patch !== undefined) applyJson.patch = apply.patch;
  if (apply.file !== undefined) applyJson.file = apply.file;
  if (apply.hunk !== undefined) applyJson.hunk = apply.hunk;
  if (apply.detail !== undefined) applyJson.detail = apply.detail;
  return {
    id: series.id,
    subject: seriesSubject(series),
    version: series.version,
    total: series.total,
    messages,
    superseded: series.supersededBy !== undefined,
    ...(series.supersededBy !== undefined ? { supersededBy: series.supersededBy } : {}),
    incomplete: describeMissing(series),
    base: apply.base ? { commit: apply.base.commit, source: apply.base.source, why: apply.base.why } : null,
    apply: applyJson,
    findings: review.findings,
    notes: review.notes,
    reply: replies[0] ?? null,
    replies,
  };
}

function replyJson(r: ReplyDraft): JsonReply {
  return { inReplyTo: r.inReplyTo, references: r.references, subject: r.subject, to: r.to, cc: r.cc, body: r.body };
}
