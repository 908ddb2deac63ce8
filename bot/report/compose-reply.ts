// Turns a reviewed series into the replies a kernel reviewer would send: one per patch with findings,
// threaded under that patch, plain text wrapped at 72 columns, quoting only the lines discussed.
import { createHash } from 'node:crypto';
import type { Finding } from '../../analyzers/types.ts';
import type { KbotConfig } from '../../config/schema.ts';
import type { ApplyResult, BaseChoice, Message, ReplyDraft, Series } from '../types.ts';
import { formatMailbox } from './addresses.ts';
import { buildEml } from './build-eml.ts';
import { bareId, bracketId, sameId } from './message-id.ts';
import { quoteHunk } from './quote-hunk.ts';
import { replyRecipients } from './reply-policy.ts';
import { traceTable } from './trace-table.ts';
import { wrapText } from './wrap-text.ts';

export interface ReviewForReply {
  series: Series;
  apply: ApplyResult;
  findings: Finding[];
  notes: string[];
}

export interface ReplyPlan {
  drafts: ReplyDraft[];
  /** Replies that policy kept back, with the reason (for the report's notes). */
  skipped: Array<{ inReplyTo: string; reason: string }>;
}

export interface ComposeOptions {
  /** The Date header and part of the generated Message-ID; injected so output is reproducible. */
  now?: Date;
}

export async function composeReplies(
  review: ReviewForReply,
  config: KbotConfig,
  options: ComposeOptions = {},
): Promise<ReplyDraft[]> {
  return (await planReplies(review, config, options)).drafts;
}

// Message-IDs in drafts keep their angle brackets, as everywhere in the pipeline ("<id@host>").
export async function planReplies(review: ReviewForReply, config: KbotConfig, options: ComposeOptions = {}): Promise<ReplyPlan> {
  const now = options.now ?? new Date();
  const { series, apply } = review;
  const head = seriesHead(series);
  const plan: ReplyPlan = { drafts: [], skipped: [] };
  if (!head) return plan;

  const bodies: Array<{ target: Message; body: string }> = [];
  const failed = apply.status === 'failed' || apply.status === 'refused';
  if (failed && config.reply_on_apply_failure) {
    bodies.push({ target: head, body: applyFailureBody(series, apply, head, config) });
  }
  for (const group of groupByPatch(series, review.findings, head)) {
    bodies.push({ target: group.target, body: findingsBody(series, apply, group.target, group.findings, config) });
  }

  for (const { target, body } of bodies) {
    const who = replyRecipients(target, config);
    if (!who.send) {
      plan.skipped.push({ inReplyTo: bracketId(target.messageId), reason: who.reason });
      continue;
    }
    const from = formatMailbox({ name: config.identity.name, address: config.identity.email });
    const references = [...target.references.filter((r) => !sameId(r, target.messageId)), target.messageId].map(bracketId);
    const subject = replySubject(target.subject);
    const messageId = makeMessageId(config.identity.email, target.messageId, body, now);
    const eml = await buildEml({ messageId, date: now, from, to: who.to, cc: who.cc, subject, inReplyTo: target.messageId, references, body });
    plan.drafts.push({ inReplyTo: bracketId(target.messageId), references, subject, from, to: who.to, cc: who.cc, body, eml });
  }
  return plan;
}

/** The message series-wide replies go under: the cover letter, else the first patch present. */
function seriesHead(series: Series): Message | null {
  return series.cover ?? series.patches.find((p): p is Message => p !== null) ?? null;
}

function groupByPatch(series: Series, findings: Finding[], head: Message): Array<{ target: Message; findings: Finding[] }> {
  const order: Message[] = [...(series.cover ? [series.cover] : []), ...series.patches.filter((p): p is Message => p !== null)];
  const groups = new Map<Message, Finding[]>();
  for (const f of findings) {
    // A finding naming no patch, or one not in this series, is about the series as a whole.
    const target = order.find((m) => sameId(m.messageId, f.patch)) ?? head;
    groups.set(target, [...(groups.get(target) ?? []), f]);
  }
  return order.filter((m) => groups.has(m)).map((m) => ({ target: m, findings: groups.get(m)! }));
}

function replySubject(subject: string): string {
  const s = subject.replace(/[\r\n]+\s*/g, ' ').trim();
  return /^re:/i.test(s) ? s : `Re: ${s}`;
}

function makeMessageId(email: string, inReplyTo: string, body: string, now: Date): string {
  const domain = email.includes('@') ? email.slice(email.lastIndexOf('@') + 1) : 'localhost';
  const hash = createHash('sha256').update(`${bareId(inReplyTo)}\n${now.toISOString()}\n${body}`).digest('hex').slice(0, 24);
  return `kbot-${hash}@${domain}`;
}

function greeting(m: Message): string {
  let name = m.from.name.replace(/["']/g, '').trim();
  // "Doe, John" is surname first.
  if (name.includes(',')) name = name.slice(name.indexOf(',') + 1).trim();
  const first = name.split(/\s+/)[0] ?? '';
  return first && !first.includes('@') ? `Hi ${first},` : 'Hi,';
}

function describeBase(base: BaseChoice | null, series: Series, config: KbotConfig): string {
  if (!base) return 'no base';
  const commit = base.commit.slice(0, 12);
  switch (base.source) {
    case 'base-commit':
      return `${commit} (the base-commit: given in the series)`;
    case 'cli':
      return `${commit} (the base given to kbot by hand)`;
    case 'subject-branch': {
      const tag = series.treeTags.find((t) => t in config.branch_map);
      return tag ? `${commit} (${config.branch_map[tag]}, named in the subject)` : `${commit} (the branch named in the subject)`;
    }
    case 'head':
      return `${commit} (the tree's HEAD, as the series names no base)`;
  }
}

function findingsBody(series: Series, apply: ApplyResult, target: Message, findings: Finding[], config: KbotConfig): string {
  const n = findings.length;
  const where = target === series.cover ? 'this series' : 'this patch';
  const lines: string[] = [greeting(target), ''];
  lines.push(
    ...wrapText(
      `${config.identity.name} applied this series on top of ${describeBase(apply.base, series, config)} ` +
        `and found ${n === 1 ? 'a problem' : `${n} problems`} in ${where}.`,
    ),
  );
  let quoted = '';
  for (const f of findings) {
    lines.push('');
    // Findings about the same lines follow the one quote of them, as a reviewer answers inline.
    const key = `${f.hunkFile ?? ''}\n${f.hunk.join('\n')}`;
    if (f.hunk.length > 0 && key !== quoted) {
      if (f.hunkFile) lines.push(`In ${f.hunkFile}:`, '');
      lines.push(...quoteHunk(f.hunk), '');
      quoted = key;
    }
    lines.push(...wrapText(`${f.severity} [${f.category}]: ${f.title}`));
    if (f.detail) lines.push('', ...wrapText(f.detail));
    if (f.trace && f.trace.length > 0) {
      lines.push('', f.scenario ? `The interleaving (scenario ${f.scenario}):` : 'The interleaving:', '', ...traceTable(f.trace));
    }
    if (f.callSites && f.callSites.length > 0) {
      lines.push('', 'Call sites:', ...f.callSites.map((s) => `  ${s}`));
    }
  }
  const identity = formatMailbox({ name: config.identity.name, address: config.identity.email });
  lines.push('', 'If you fix the issue, kindly add the following tag:', `Reported-by: ${identity}`, '');
  lines.push(...wrapText(config.rerun_hint));
  return lines.join('\n') + '\n';
}

function applyFailureBody(series: Series, apply: ApplyResult, head: Message, config: KbotConfig): string {
  const refused = apply.status === 'refused';
  const lines: string[] = [greeting(head), ''];
  lines.push(
    ...wrapText(
      refused
        ? `${config.identity.name} refused to apply this series, so it was not reviewed.`
        : `${config.identity.name} could not apply this series, so it was not reviewed.`,
    ),
    '',
  );
  const failedPatch = apply.patchIndex ? series.patches[apply.patchIndex - 1] : undefined;
  const facts: Array<[string, string | undefined]> = [
    ['base', describeBase(apply.base, series, config)],
    ['patch', apply.patchIndex ? `${apply.patchIndex}/${series.total}${failedPatch ? ` "${failedPatch.parsedSubject.title}"` : ''}` : undefined],
    ['file', apply.file],
    ['hunk', apply.hunk],
  ];
  for (const [k, v] of facts) if (v) lines.push(`  ${(k + ':').padEnd(7)}${v}`);
  if (apply.detail) lines.push('', ...apply.detail.trimEnd().split('\n').map((l) => `  ${l}`.trimEnd()));
  if (apply.base?.why) lines.push('', ...wrapText(apply.base.why));
  lines.push('');
  lines.push(
    ...wrapText(
      refused
        ? `${config.identity.name} only applies plain text changes to regular files; the patch above asks for something else.`
        : 'If the series is meant for another tree or commit, please name it with a base-commit: line ' +
            '(git format-patch --base) when you resend.',
    ),
    '',
  );
  lines.push(...wrapText(config.rerun_hint));
  return lines.join('\n') + '\n';
}
