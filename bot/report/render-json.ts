// The machine-readable report of a `kbot review` run: the JSON contract documented in the README.
import type { Coverage, Finding } from '../../analyzers/types.ts';
import { emlMessageId } from '../send/eml-message-id.ts';
import type { ReplyDraft, ReviewResult, SeriesReview } from '../types.ts';
import { kbotVersion } from '../version.ts';
import { allReplies, describeMissing, describeVerdict, seriesSubject } from './describe-series.ts';

/**
 * The contract's version: a field added keeps it, a field renamed, removed or changed in meaning raises it.
 * 1 is the first versioned contract (before it: `reply` beside `replies`, no version fields).
 */
export const JSON_SCHEMA_VERSION = 1;

/** What a series came to: findings means at least one warning or error (what is mailed). */
export type JsonVerdict = 'findings' | 'clean' | 'failed' | 'refused' | 'skipped';

export interface JsonReply {
  /** The Message-ID, From and Date of the .eml (`--outbox`), so a report and its mail can be matched. */
  messageId: string;
  from: string;
  /** ISO 8601, UTC. */
  date: string;
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
  verdict: JsonVerdict;
  /** The one-line verdict `kbot review` prints. */
  summary: string;
  counts: { error: number; warning: number; info: number };
  findings: Finding[];
  /** One entry per analyzer that ran on the series: what it checked, even when it found nothing. */
  coverage: Coverage[];
  notes: string[];
  replies: JsonReply[];
}

export interface JsonReport {
  schema: number;
  kbot: { version: string };
  /** configHash() of the config the review ran under ("sha256:<16 hex>"). */
  config: string | null;
  tree: { path: string; head: string };
  series: JsonSeries[];
  rejected: Array<{ messageId: string | null; source: string; reason: string }>;
}

export function toJson(result: ReviewResult): JsonReport {
  return {
    schema: JSON_SCHEMA_VERSION,
    kbot: { version: kbotVersion() },
    config: result.configHash ?? null,
    tree: { path: result.tree.path, head: result.tree.head },
    series: result.series.map(seriesJson),
    rejected: result.rejected.map((r) => ({ messageId: r.messageId, source: r.source, reason: r.reason })),
  };
}

export function seriesJson(review: SeriesReview): JsonSeries {
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
    verdict: verdictOf(review),
    summary: describeVerdict(review),
    counts: {
      error: review.findings.filter((f) => f.severity === 'error').length,
      warning: review.findings.filter((f) => f.severity === 'warning').length,
      info: review.findings.filter((f) => f.severity === 'info').length,
    },
    findings: review.findings,
    coverage: review.coverage ?? [],
    notes: review.notes,
    replies,
  };
}

function verdictOf(review: SeriesReview): JsonVerdict {
  if (review.apply.status !== 'applied') return review.apply.status;
  return review.findings.some((f) => f.severity !== 'info') ? 'findings' : 'clean';
}

function replyJson(r: ReplyDraft): JsonReply {
  return {
    messageId: emlMessageId(r.eml) ?? '',
    from: r.from,
    date: emlDate(r.eml),
    inReplyTo: r.inReplyTo, references: r.references, subject: r.subject, to: r.to, cc: r.cc, body: r.body,
  };
}

/** The Date header of the .eml, as ISO 8601 (empty when it has none that parses). */
function emlDate(eml: string): string {
  const end = eml.search(/\r?\n\r?\n/);
  const m = /^Date:[ \t]*(.*)$/im.exec(end >= 0 ? eml.slice(0, end) : eml);
  const d = m ? new Date(m[1]!.trim()) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : '';
}
