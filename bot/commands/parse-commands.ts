// The maintainer command grammar, small and line-anchored as syzbot's: a line that starts with "#kbot" (in
// mail) or "/kbot" (in a GitHub comment) followed by one command. Several lines make several commands.
// A quoted line ("> #kbot rerun", a reply quoting the report) is not a command.
import type { Category } from '../../analyzers/types.ts';
import { wrapText } from '../report/wrap-text.ts';

export const CATEGORIES: readonly Category[] = [
  'speculative-get-on-free-page',
  'double-free',
  'use-after-free',
  'refcount-underflow',
  'page-leak',
  'page-life-change',
  'assertion',
  'unmodelled',
  'analyzer-error',
];

export type Command =
  | { kind: 'rerun'; line: string }
  | { kind: 'rerun-on'; tree: string; branch: string; line: string }
  | { kind: 'invalid'; findingId: string; line: string }
  | { kind: 'ignore'; category: Category; line: string }
  /** A line that starts like a command but is none: answered with the list of valid ones. */
  | { kind: 'unknown'; line: string; why: string };

export type CommandPrefix = '#kbot' | '/kbot';

/** What a maintainer may write, one line each: the text of the reply to an unknown command. */
export function commandHelp(prefix: CommandPrefix = '#kbot'): string[] {
  return [
    `${prefix} rerun                  review it again on the tracked tree's head`,
    `${prefix} rerun <tree>/<branch>  review it again on that branch of that tree`,
    `${prefix} invalid <finding-id>   not a bug: do not report that finding again`,
    `${prefix} ignore <category>      do not report that category again`,
    '(invalid and ignore hold for the series and its later versions)',
  ];
}

const FINDING_ID = /^[0-9a-f]{10}$/;

export function parseCommands(text: string, prefix: CommandPrefix = '#kbot'): Command[] {
  const out: Command[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (!line.startsWith(prefix)) continue;
    const rest = line.slice(prefix.length);
    // "#kbotfoo" is not ours; "#kbot" alone is an empty command.
    if (rest && !/^\s/.test(rest)) continue;
    out.push(parseOne(rest.trim().split(/\s+/).filter(Boolean), line));
  }
  return out;
}

function parseOne(words: string[], line: string): Command {
  const [verb, arg, ...extra] = words;
  if (!verb) return { kind: 'unknown', line, why: 'no command given' };
  if (extra.length) return { kind: 'unknown', line, why: `too many words after '${verb}'` };
  switch (verb) {
    case 'rerun': {
      if (arg === undefined) return { kind: 'rerun', line };
      const m = /^([\w.+-]+)\/([\w.+/-]+)$/.exec(arg);
      if (!m) return { kind: 'unknown', line, why: `'${arg}' is not <tree>/<branch>` };
      return { kind: 'rerun-on', tree: m[1]!, branch: m[2]!, line };
    }
    case 'invalid':
      if (!arg || !FINDING_ID.test(arg)) return { kind: 'unknown', line, why: `'${arg ?? ''}' is not a finding id (10 hex digits, as the report gives it)` };
      return { kind: 'invalid', findingId: arg, line };
    case 'ignore': {
      const category = CATEGORIES.find((c) => c === arg);
      if (!category) return { kind: 'unknown', line, why: `'${arg ?? ''}' is not a category (${CATEGORIES.join(', ')})` };
      return { kind: 'ignore', category, line };
    }
    default:
      return { kind: 'unknown', line, why: `'${verb}' is not a command` };
  }
}

/** The short answer to commands kbot did not understand. */
export function unknownCommandReply(bad: Array<Extract<Command, { kind: 'unknown' }>>, prefix: CommandPrefix = '#kbot'): string {
  return [
    ...bad.flatMap((c) => wrapText(`kbot did not understand "${c.line}": ${c.why}.`)),
    '',
    'The commands are (one per line, at the start of the line):',
    '',
    ...commandHelp(prefix).map((l) => `  ${l}`),
  ].join('\n') + '\n';
}
