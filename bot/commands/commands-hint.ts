// What a report says about commands: the real grammar, the finding ids to use with it, and who may use it.
// Said only where commands are read: by mail when the config has a commands: section, on GitHub when it has
// a github: section.
import type { Finding } from '../../analyzers/types.ts';
import type { KbotConfig } from '../../config/schema.ts';
import { findingId } from './finding-id.ts';

/** Who may give commands by mail, as a reply says it. */
export function whoMay(config: KbotConfig): string {
  const c = config.commands;
  if (!c) return 'kbot reads no commands.';
  const who = [c.maintainers.length ? 'the maintainers listed in its config' : '', c.maintainers_file ? "the M: entries of MAINTAINERS for the series' files" : ''].filter(Boolean).join(' and ') || 'nobody (no maintainer is configured)';
  return `kbot takes commands from ${who}, in mail with a DKIM signature of the From domain.`;
}

/** The paragraph before a mail reply's signature; null when commands are not read. */
export function mailCommandsHint(config: KbotConfig, findings: Finding[]): string | null {
  if (!config.commands) return null;
  const ids = findings.map((f) => `${findingId(f)} (${f.category})`);
  return [
    "To have kbot review the series again on the tracked tree's current head, reply with a line '#kbot rerun'.",
    ids.length ? `A line '#kbot invalid <id>' marks a finding as not a bug, '#kbot ignore <category>' a whole category, for this series and its later versions; the findings here are ${ids.join(', ')}.` : '',
    whoMay(config),
  ].filter(Boolean).join(' ');
}

/** The line at the end of a GitHub comment; null without a github: section. */
export function githubCommandsHint(config: KbotConfig): string | null {
  const g = config.github;
  if (!g) return null;
  return `Commands, in a comment of their own line: \`/kbot rerun\`, \`/kbot rerun <tree>/<branch>\`, \`/kbot invalid <id>\` (ids in the table), \`/kbot ignore <category>\`; from users with write, maintain or admin permission on ${g.repo}${g.commanders.length ? ` or ${g.commanders.map((c) => `@${c}`).join(', ')}` : ''}.`;
}
