// What accepted commands do, whichever channel brought them: triage is written to the store (checked
// against the series' last report, so a mistyped id is said, not stored), a rerun is handed to whoever runs
// reviews (the queue, or the one-shot review), and unknown commands are answered with the valid ones. The
// answer is one short text, sent back on the channel the commands came by.
import type { Command, CommandPrefix } from './parse-commands.ts';
import { unknownCommandReply } from './parse-commands.ts';
import type { RunHistory } from './run-record.ts';
import type { ThreadSeries } from './thread-index.ts';
import type { TriageEntry, TriageStore } from './triage-store.ts';

/** A command kbot will not carry out, for a reason the requester is told (the reply says it). */
export class CommandRefused extends Error {
  override name = 'CommandRefused';
}

export interface CommandRequest {
  channel: 'mail' | 'github';
  /** Who: a verified mail address, or a GitHub login. */
  by: string;
  /** Where: the command mail's Message-ID, or the comment's URL. */
  via: string;
  thread: ThreadSeries;
  commands: Command[];
  at: Date;
}

/**
 * The series as the thread index knows it (its tree: the report's; with `on`, the tree and branch the
 * maintainer named instead), and who asked, where and when.
 */
export interface RerunRequest extends ThreadSeries {
  on?: { tree: string; branch: string };
  by: string;
  via: string;
  at: string;
}

export interface CommandDeps {
  triage: TriageStore;
  history: RunHistory;
  /** Queues (or runs) the review again; returns how it is known (a job id). */
  rerun: (r: RerunRequest) => Promise<string>;
}

export interface CommandOutcome {
  reply: string;
  triaged: TriageEntry[];
  reruns: RerunRequest[];
}

export async function executeCommands(req: CommandRequest, deps: CommandDeps): Promise<CommandOutcome> {
  const prefix: CommandPrefix = req.channel === 'mail' ? '#kbot' : '/kbot';
  const lines: string[] = [];
  const triaged: TriageEntry[] = [];
  const reruns: RerunRequest[] = [];
  const last = await deps.history.last(req.thread.seriesKey);
  const at = req.at.toISOString();
  for (const c of req.commands) {
    switch (c.kind) {
      case 'invalid': {
        const f = last?.findings.find((x) => x.id === c.findingId);
        if (!f) {
          lines.push(`${c.findingId} is not a finding of kbot's last report on this series${last?.findings.length ? ` (its findings: ${last.findings.map((x) => x.id).join(', ')})` : ''}: nothing is changed.`);
          break;
        }
        const e: TriageEntry = { kind: 'invalid', what: c.findingId, by: req.by, via: req.via, at };
        const fresh = await deps.triage.add(req.thread.seriesKey, e);
        if (fresh) triaged.push(e);
        lines.push(`${fresh ? 'Marked' : 'Already marked'} invalid: ${c.findingId} (${f.title}). kbot does not report it again for this series or its later versions.`);
        break;
      }
      case 'ignore': {
        const e: TriageEntry = { kind: 'ignore', what: c.category, by: req.by, via: req.via, at };
        const fresh = await deps.triage.add(req.thread.seriesKey, e);
        if (fresh) triaged.push(e);
        lines.push(`${fresh ? 'Ignored' : 'Already ignored'}: ${c.category}. kbot does not report findings of this category again for this series or its later versions.`);
        break;
      }
      case 'rerun':
      case 'rerun-on': {
        if (reruns.length) {
          lines.push(`"${c.line}": one rerun per message; the first one stands.`);
          break;
        }
        const r: RerunRequest = {
          seriesKey: req.thread.seriesKey,
          seriesId: req.thread.seriesId,
          title: req.thread.title,
          ...(req.thread.tree ? { tree: req.thread.tree } : {}),
          ...(req.thread.bucket ? { bucket: req.thread.bucket } : {}),
          ...(req.thread.version !== undefined ? { version: req.thread.version } : {}),
          ...(c.kind === 'rerun-on' ? { on: { tree: c.tree, branch: c.branch } } : {}),
          by: req.by,
          via: req.via,
          at,
        };
        let id: string;
        try {
          id = await deps.rerun(r);
        } catch (e) {
          if (!(e instanceof CommandRefused)) throw e;
          lines.push(`No rerun: ${e.message}.`);
          break;
        }
        reruns.push(r);
        lines.push(`Rerun queued (${id}): kbot applies the series on ${c.kind === 'rerun-on' ? `${c.tree}/${c.branch}` : "the tracked tree's current head"} and reviews it again; the report says what changed since the last run.`);
        break;
      }
      case 'unknown':
        break;
    }
  }
  const unknown = req.commands.filter((c): c is Extract<Command, { kind: 'unknown' }> => c.kind === 'unknown');
  const reply = [...lines, ...(unknown.length ? [(lines.length ? '\n' : '') + unknownCommandReply(unknown, prefix).trimEnd()] : [])].join('\n');
  return { reply: reply + '\n', triaged, reruns };
}
