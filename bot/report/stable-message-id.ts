// A reply's Message-ID from what the reply is about, not from when it was made: the series and its version,
// the commit the series applied to, kbot's version and the findings. The same review run twice gives the same
// id, so the outbox file (named for the id) is written over rather than doubled, and whatever sends the outbox
// mails the author once; a new version of the series, a new tree, a new kbot or new findings give a new id.
import { createHash } from 'node:crypto';
import type { Finding } from '../../analyzers/types.ts';
import type { ApplyResult, Series } from '../types.ts';
import { bareId } from './message-id.ts';

export interface ReplyIdentity {
  series: Series;
  apply: ApplyResult;
  /** The findings the replies of this series are about (the mailed ones). */
  findings: Finding[];
  kbotVersion: string;
  /** The patch (or cover letter) the reply answers: one series has one reply per patch with findings. */
  inReplyTo: string;
  /** The bot's own address; its domain is the id's. */
  email: string;
}

export function stableMessageId(r: ReplyIdentity): string {
  const { series, apply } = r;
  const key = JSON.stringify({
    series: bareId(series.id),
    version: series.version,
    base: apply.base?.commit ?? null,
    applied: apply.head ?? null,
    apply: { status: apply.status, patch: apply.patch ?? null, file: apply.file ?? null, hunk: apply.hunk ?? null },
    kbot: r.kbotVersion,
    inReplyTo: bareId(r.inReplyTo),
    findings: r.findings,
  });
  const domain = r.email.includes('@') ? r.email.slice(r.email.lastIndexOf('@') + 1) : 'localhost';
  return `<kbot-${createHash('sha256').update(key).digest('hex').slice(0, 24)}@${bareId(domain) || 'localhost'}>`;
}
