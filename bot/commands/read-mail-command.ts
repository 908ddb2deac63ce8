// A mail that may carry maintainer commands. It is kbot's business only when it answers one of kbot's
// reports, or a patch thread kbot reviewed with kbot in To/Cc; anything else is left alone without a word.
// Its commands are accepted only when both hold:
// - the From address is a maintainer: in commands.maintainers, or (commands.maintainers_file) an M: of
//   the tracked tree's MAINTAINERS for the files the series touches;
// - the message carries a DKIM signature that verifies (mailauth) and is aligned with the From domain
//   (the signing domain is the From domain, or shares its organizational domain), so From is not forged.
// Reply-To and the envelope are never read. A refusal says why, to be answered once.
import { simpleParser, type AddressObject } from 'mailparser';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import type { KbotConfig } from '../../config/schema.ts';
import { parseCommands, type Command } from './parse-commands.ts';
import type { MailThreadHit, ThreadIndex } from './thread-index.ts';

/** A DNS TXT lookup as mailauth calls it (tests give their own; production uses node's resolver). */
export type DnsResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>;

export interface MailCommandInfo {
  messageId: string;
  subject: string;
  from: string;
  references: string[];
}

export type MailCommandDecision =
  | { kind: 'ignore'; why: string }
  | { kind: 'refuse'; why: string; mail: MailCommandInfo; thread: MailThreadHit }
  | { kind: 'accept'; mail: MailCommandInfo; thread: MailThreadHit; commands: Command[]; dkimDomain: string };

export interface ReadMailCommandDeps {
  config: KbotConfig;
  threads: ThreadIndex;
  resolver?: DnsResolver;
  /** The MAINTAINERS M: addresses for the series' files (commands.maintainers_file). */
  maintainersOf?: (thread: MailThreadHit) => Promise<string[]>;
}

export async function readMailCommand(raw: Buffer, deps: ReadMailCommandDeps): Promise<MailCommandDecision> {
  const commandsConfig = deps.config.commands;
  if (!commandsConfig) return { kind: 'ignore', why: 'commands are not configured' };
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const commands = parseCommands(mail.text ?? '');
  if (!commands.length) return { kind: 'ignore', why: 'no #kbot line' };
  const refs = [mail.inReplyTo, ...[...(typeof mail.references === 'string' ? [mail.references] : mail.references ?? [])].reverse()].filter((x): x is string => !!x);
  const thread = await deps.threads.seriesOfMail(refs);
  if (!thread) return { kind: 'ignore', why: 'not in a thread kbot reviewed' };
  const self = deps.config.identity.email.toLowerCase();
  const recipients = [...addresses(mail.to), ...addresses(mail.cc)];
  if (thread.kind === 'patch' && !recipients.includes(self)) return { kind: 'ignore', why: `a patch thread reply without ${self} in To/Cc` };

  const fromList = addresses(mail.from);
  const info: MailCommandInfo = { messageId: mail.messageId ?? '', subject: mail.subject ?? '', from: fromList[0] ?? '', references: [...refs].reverse() };
  if (fromList.length !== 1) return { kind: 'refuse', why: `the mail has ${fromList.length} From addresses; a command needs exactly one`, mail: info, thread };
  const from = fromList[0]!;
  const fromDomain = from.split('@').pop()!;

  const dkim = await dkimVerify(raw, { resolver: deps.resolver });
  const passing = dkim.results.filter((r) => r.status.result === 'pass');
  const aligned = passing.find((r) => r.status.aligned);
  if (!aligned) {
    const why = !dkim.results.length || dkim.results.every((r) => r.status.result === 'none')
      ? 'it carries no DKIM signature'
      : passing.length
        ? `its DKIM signature is by ${passing.map((r) => r.signingDomain).join(', ')}, not aligned with the From domain ${fromDomain}`
        : `its DKIM signature does not verify (${dkim.results.map((r) => `${r.signingDomain}: ${r.status.comment || r.status.result}`).join('; ')})`;
    return { kind: 'refuse', why: `${from} could not be verified: ${why}`, mail: info, thread };
  }

  const maintainers = new Set(commandsConfig.maintainers);
  if (commandsConfig.maintainers_file && deps.maintainersOf) for (const m of await deps.maintainersOf(thread)) maintainers.add(m);
  if (!maintainers.has(from)) {
    return { kind: 'refuse', why: `${from} is not a maintainer kbot takes commands from${commandsConfig.maintainers_file ? ' (neither in its config nor an M: of the series\' files in MAINTAINERS)' : ' (not in its config)'}`, mail: info, thread };
  }
  return { kind: 'accept', mail: info, thread, commands, dkimDomain: aligned.signingDomain };
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  const list = !a ? [] : Array.isArray(a) ? a : [a];
  return list.flatMap((o) => o.value.flatMap((v) => (v.group ? v.group.map((g) => g.address ?? '') : [v.address ?? '']))).filter(Boolean).map((x) => x.toLowerCase());
}
