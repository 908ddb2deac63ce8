// Turns a reviewed series into the replies a kernel reviewer would send: one per patch with findings,
// threaded under that patch, plain text wrapped at 72 columns, quoting only the lines discussed. Findings that
// are results of one race are one finding in the reply: the interleaving once, then what it leads to. Tags
// and signature are the kernel bots' own (the 0-day robot's "| Reported-by:", so b4 never copies them).
import { compareFindings } from '../../analyzers/rank-findings.ts';
import { createHash } from 'node:crypto';
import type { Finding, TraceStep } from '../../analyzers/types.ts';
import type { KbotConfig } from '../../config/schema.ts';
import type { ApplyResult, BaseChoice, Message, ReplyDraft, Series } from '../types.ts';
import { formatMailbox } from './addresses.ts';
import { buildEml } from './build-eml.ts';
import { bareId, bracketId, sameId } from './message-id.ts';
import { quoteHunk } from './quote-hunk.ts';
import { replyRecipients } from './reply-policy.ts';
import { shownStep, traceLadder } from './trace-ladder.ts';
import { kbotVersion } from '../version.ts';
import { mailCommandsHint } from '../commands/commands-hint.ts';
import { stableMessageId } from './stable-message-id.ts';
import { wrapText } from './wrap-text.ts';
import { boundReferences } from '../mail/message-id.ts';
import { DEFAULT_LIMITS } from '../../config/defaults.ts';

export interface ReviewForReply {
  series: Series;
  apply: ApplyResult;
  findings: Finding[];
  notes: string[];
  /** Said at the top of each reply when the series was reviewed without some of its parts (which, and why). */
  incomplete?: string;
}

export interface ReplyPlan {
  drafts: ReplyDraft[];
  /** Replies that policy kept back, with the reason (for the report's notes). */
  skipped: Array<{ inReplyTo: string; reason: string }>;
}

export interface ComposeOptions {
  /** The Date header; injected so output is reproducible. */
  now?: Date;
  /** The tracked tree's path, for the command that reproduces a finding. */
  tree?: string;
  /** kbot's version for the signature (default: package.json's). */
  version?: string;
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
    bodies.push({ target: group.target, body: findingsBody(series, apply, group.target, group.findings, config, options, review.incomplete) });
  }

  for (const { target, body } of bodies) {
    const who = replyRecipients(target, config);
    if (!who.send) {
      plan.skipped.push({ inReplyTo: bracketId(target.messageId), reason: who.reason });
      continue;
    }
    const from = formatMailbox({ name: config.identity.name, address: config.identity.email });
    // Bounded as the message's own were (limits.max_references): an MTA refuses a header of 100 KB.
    const references = boundReferences([...target.references.filter((r) => !sameId(r, target.messageId)), target.messageId], config.limits?.max_references ?? DEFAULT_LIMITS.max_references).map(bracketId);
    const subject = replySubject(target.subject);
    // From what the reply is about, not from the clock: the same review twice gives the same reply.
    const messageId = stableMessageId({ series, apply, findings: review.findings, kbotVersion: options.version ?? kbotVersion(), inReplyTo: target.messageId, email: config.identity.email });
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

function findingsBody(series: Series, apply: ApplyResult, target: Message, findings: Finding[], config: KbotConfig, options: ComposeOptions, incomplete?: string): string {
  const n = findings.length;
  const where = target === series.cover ? 'this series' : 'this patch';
  // Worst first, then surest (a race goes by its worst result); equal ones keep the analyzers' order.
  const parts = groupByRace(findings).sort((a, b) => compareFindings(groupRank(a), groupRank(b)));
  const races = parts.filter((p) => p.length > 1);
  const lines: string[] = [greeting(target), ''];
  lines.push(
    ...wrapText(
      `${config.identity.name} applied this series on top of ${describeBase(apply.base, series, config)} ` +
        `and found ${n === 1 ? 'a problem' : `${n} problems`} in ${where}` +
        `${races.length ? `; ${races.map((r) => `${r.length}`).join(' and ')} of them ${races.length === 1 ? 'are results of one race, shown once' : 'are results of races, each shown once'}` : ''}.`,
    ),
  );
  if (incomplete) lines.push('', ...wrapText(incomplete));
  let quoted = '';
  for (const group of parts) {
    const f = group[0]!;
    lines.push('');
    // Findings about the same lines follow the one quote of them, as a reviewer answers inline.
    const key = `${f.hunkFile ?? ''}\n${f.hunk.join('\n')}`;
    if (f.hunk.length > 0 && key !== quoted) {
      if (f.hunkFile) lines.push(`In ${f.hunkFile}:`, '');
      lines.push(...quoteHunk(f.hunk), '');
      quoted = key;
    }
    if (f.trace && f.trace.length > 0) lines.push(...raceSection(group, config.report.max_trace_steps));
    else lines.push(...plainSection(f));
  }
  lines.push('', ...trailers(target, findings, config));
  const hint = config.rerun_hint || mailCommandsHint(config, findings);
  if (hint) lines.push('', ...wrapText(hint));
  lines.push(...signature(apply, findings, config, options));
  return lines.join('\n') + '\n';
}

/**
 * Findings of one scenario instance are views of one race (its shortest interleaving for each kind of harm):
 * they go together, in the analyzer's order. Others stand alone.
 */
function groupByRace(findings: Finding[]): Finding[][] {
  const out: Finding[][] = [];
  const byRace = new Map<string, Finding[]>();
  for (const f of findings) {
    if (!f.trace?.length || !f.scenario) {
      out.push([f]);
      continue;
    }
    const g = byRace.get(f.scenario);
    if (g) g.push(f);
    else {
      const fresh = [f];
      byRace.set(f.scenario, fresh);
      out.push(fresh);
    }
  }
  return out;
}

function groupRank(group: Finding[]): Pick<Finding, 'severity' | 'confidence'> {
  return [...group].sort(compareFindings)[0]!;
}

function severityOf(group: Finding[]): Finding['severity'] {
  return group.some((f) => f.severity === 'error') ? 'error' : group.some((f) => f.severity === 'warning') ? 'warning' : 'info';
}

/** Whether `short` is the first steps of `long` (the same steps, the same counts after them). */
function isPrefix(short: TraceStep[], long: TraceStep[]): boolean {
  const key = (s: TraceStep) => JSON.stringify([s.cpu, s.func, s.file, s.line, s.op, s.refcount, s.pageState, s.freeList]);
  return short.length <= long.length && short.every((s, i) => key(s) === key(long[i]!));
}

/**
 * One race: what ran (once), the interleaving as a ladder, then what it leads to. The ladder is the
 * interleaving that shows the most of the group's findings (another's interleaving is a prefix of it); a
 * finding it does not show is told in words, with where its own interleaving ends.
 */
function raceSection(group: Finding[], maxSteps: number): string[] {
  const traces = group.map((f) => f.trace!);
  const shows = (t: TraceStep[]) => traces.filter((o) => isPrefix(o, t)).length;
  const main = [...traces].sort((a, b) => shows(b) - shows(a) || a.length - b.length)[0]!;
  const primary = group[0]!;
  const lines: string[] = [...wrapText(`${severityOf(group)}: ${primary.title}.`), ''];
  const context = primary.context ?? primary.detail ?? '';
  if (context) lines.push(...wrapText(context), '');
  const assumptions = [...new Set(main.flatMap((s) => s.assumptions ?? []).map((a) => a.replace(/^assuming /, '')))];
  if (assumptions.length) lines.push(...wrapText(`The interleaving assumes what kbot could not work out from the tree: ${assumptions.join('; ')}.`), '');
  // A longer interleaving is shown by its start and its end (report.max_trace_steps): a mail is read, the JSON
  // report keeps every step.
  const cut = main.length > maxSteps;
  const head = Math.ceil(maxSteps / 2);
  const shownIdx = cut ? [...main.keys()].filter((i) => i < head || i >= main.length - (maxSteps - head)) : [...main.keys()];
  const ladder = traceLadder(shownIdx.map((i) => main[i]!), 80, shownIdx.map((i) => i + 1),
    (hidden) => `... ${hidden} steps not shown (report.max_trace_steps = ${maxSteps}; the JSON report has all ${main.length}) ...`);
  lines.push(`The interleaving (the page's refcount and state after each step):`, '', ...ladder.lines, '', ...ladder.legend, '');
  lines.push(group.length === 1 ? 'What it leads to:' : 'What it leads to, one line per result:', '');
  const items = group.map((f) => {
    const t = f.trace!;
    const what = `${(f.message ?? `${f.title}.`).replace(/\.$/, '')} [${f.category}]`;
    if (isPrefix(t, main)) return { at: t.length, text: `step ${t.length}: ${what}` };
    const last = t.at(-1)!;
    const shown = shownStep(last, t.at(-2));
    const where = shown.at ? `, ending at ${shown.text} in ${shown.at.func}(), ${shown.at.file}:${shown.at.line}` : '';
    return { at: Infinity, text: `in another interleaving of the same CPUs (${t.length} steps${where}): ${what}` };
  });
  for (const it of items.sort((a, b) => a.at - b.at)) lines.push(...wrapText(`- ${it.text}`, 70).map((l) => `  ${l}`));
  return lines;
}

/** A finding with no interleaving: its detail, and the sites it concerns with what guards each. */
function plainSection(f: Finding): string[] {
  const lines = [...wrapText(`${f.severity} [${f.category}]: ${f.title}`)];
  if (f.sites?.length) {
    if (f.message) lines.push('', ...wrapText(f.message));
    lines.push('', 'Speculative reference sites (a get that fails only on a refcount of 0):', '');
    for (const s of f.sites) {
      const verdict = s.guardedBy ? `guarded by ${s.guardedBy}` : s.ruledOut ? `cannot meet it: ${s.ruledOut}` : 'unguarded';
      lines.push(...wrapText(`- ${s.at} ${s.func}() \u2014 ${verdict}`, 78).map((l, k) => (k === 0 ? l.replace(/^- /, '  ') : `  ${l}`)));
    }
    return lines;
  }
  if (f.detail) lines.push('', ...wrapText(f.detail));
  if (f.suggestion?.length) lines.push('', ...f.suggestion.map((l) => (l ? `    ${l}` : '')));
  if (f.callSites && f.callSites.length > 0) lines.push('', 'Where:', ...f.callSites.map((s) => `  ${s}`));
  return lines;
}

/**
 * The tags, as the 0-day robot gives them: prefixed with "| " so that b4 and other tools that collect trailers
 * from a thread do not add kbot's Reported-by: to the very patch the report is about; the author copies them
 * into a fix of their own. With report.domain set, the address is one per report (kbot+<id>@domain), as
 * syzbot's; with report.archive_url set, a Closes: tag names the report.
 */
function trailers(target: Message, findings: Finding[], config: KbotConfig): string[] {
  const id = reportId(target, findings);
  const email = config.report.domain ? `${config.identity.email.replace(/@.*$/, '').replace(/\+.*$/, '')}+${id}@${config.report.domain}` : config.identity.email;
  const lines = [
    ...wrapText(
      'If you fix the issue in a separate patch/commit (i.e. not just a new version of the same patch/commit), kindly add following tags',
    ),
    `| Reported-by: ${formatMailbox({ name: config.identity.name, address: email })}`,
  ];
  if (config.report.archive_url) lines.push(`| Closes: ${config.report.archive_url.replace(/\/+$/, '')}/${id}`);
  return lines;
}

/** The same report (patch, findings) gets the same id, however often it is written. */
export function reportId(target: Message, findings: Finding[]): string {
  const what = findings.map((f) => `${f.category}|${f.scenario ?? ''}|${f.title}`).sort().join('\n');
  return createHash('sha256').update(`${bareId(target.messageId)}\n${what}`).digest('hex').slice(0, 12);
}

/** The "-- " signature: who wrote this, that it may be wrong, whom to ask, and how to run it again. */
function signature(apply: ApplyResult, findings: Finding[], config: KbotConfig, options: ComposeOptions): string[] {
  const lines = ['', '-- ', `kbot ${options.version ?? kbotVersion()}`, 'This report was generated by a bot. It may contain errors.'];
  if (config.report.contact) lines.push(...wrapText(config.report.contact));
  const runs = new Map<string, NonNullable<Finding['run']>>();
  for (const f of findings) if (f.run && f.scenario && f.trace?.length) runs.set(f.scenario, f.run);
  if (!runs.size) return lines;
  const first = [...runs.values()][0]!;
  lines.push(
    '',
    `To reproduce (${first.walkers} walker${first.walkers === 1 ? '' : 's'}, budget ${first.maxStates} states and ` +
      `${first.maxSeconds} s${config.sim.kconfig_file ? `, kconfig ${config.sim.kconfig_file}` : ''}):`,
  );
  for (const [scenario, run] of runs) {
    lines.push(
      `  kbot sim --tree ${options.tree ?? '<linux tree>'} \\`,
      `    --rev ${run.rev} \\`,
      `    --scenario '${scenario}' \\`,
      `    --walkers ${run.walkers} --max-states ${run.maxStates}${config.sim.kconfig_file ? ' \\' : ''}`,
      ...(config.sim.kconfig_file ? [`    --kconfig ${config.sim.kconfig_file}`] : []),
    );
  }
  if (apply.base) lines.push(...wrapText(`where ${first.rev.slice(0, 12)} is this series applied on ${apply.base.commit.slice(0, 12)}.`));
  return lines;
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
  for (const [k, v] of facts) {
    if (!v) continue;
    // A hunk header's function context goes on a line of its own when the line would pass 80 columns.
    const at = k === 'hunk' ? /^(@@ [^@]* @@) (.+)$/.exec(v) : null;
    if (at && v.length + 9 > 80) lines.push(`  ${(k + ':').padEnd(7)}${at[1]}`, `         ${at[2]}`);
    else lines.push(`  ${(k + ':').padEnd(7)}${v}`);
  }
  // git's own words, indented; a line past 80 columns is folded at a space, the rest indented further.
  if (apply.detail) lines.push('', ...apply.detail.trimEnd().split('\n').flatMap((l) => foldAt80(`  ${l}`.trimEnd())));
  if (apply.base?.why) lines.push('', ...wrapText(apply.base.why));
  lines.push('');
  lines.push(
    ...wrapText(
      refused
        ? `${config.identity.name} only applies plain text changes to regular files; the patch above asks for something else.`
        : 'If the series is meant for another tree or commit, please name it with a base-commit: line ' +
            '(git format-patch --base) when you resend.',
    ),
  );
  const hint = config.rerun_hint || mailCommandsHint(config, []);
  if (hint) lines.push('', ...wrapText(hint));
  lines.push(...signature(apply, [], config, {}));
  return lines.join('\n') + '\n';
}

function foldAt80(line: string): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > 80) {
    const cut = rest.lastIndexOf(' ', 80);
    if (cut <= 6) break;
    out.push(rest.slice(0, cut));
    rest = `      ${rest.slice(cut + 1)}`;
  }
  return [...out, rest];
}
