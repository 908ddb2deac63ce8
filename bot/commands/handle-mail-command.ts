// A mail that may carry commands, from arrival to answer: read and authorize it (read-mail-command.ts),
// then carry out what it asks (execute-commands.ts). Whatever kbot answers (what it did, why it refused,
// the valid commands) is one short reply to the From address, in the thread, sent once per command mail:
// a second delivery of the same mail is neither carried out nor answered again.
import { createHash } from 'node:crypto';
import { formatMailbox } from '../report/addresses.ts';
import { buildEml } from '../report/build-eml.ts';
import { bareId, bracketId } from '../report/message-id.ts';
import { wrapText } from '../report/wrap-text.ts';
import type { AnswerOnce } from './answer-once.ts';
import { whoMay } from './commands-hint.ts';
import { executeCommands, type CommandDeps, type CommandOutcome } from './execute-commands.ts';
import { readMailCommand, type MailCommandDecision, type ReadMailCommandDeps } from './read-mail-command.ts';

export interface MailCommandDeps extends ReadMailCommandDeps, CommandDeps {
  once: AnswerOnce;
  log: (line: string) => void;
  now?: Date;
}

export interface MailCommandResult {
  decision: MailCommandDecision;
  outcome?: CommandOutcome;
  /** The answer, ready to send; none when the mail is not for kbot or was already answered. */
  reply?: { eml: string; to: string; body: string };
  duplicate?: boolean;
}

export async function handleMailCommand(raw: Buffer, deps: MailCommandDeps): Promise<MailCommandResult> {
  const decision = await readMailCommand(raw, deps);
  if (decision.kind === 'ignore') return { decision };
  const at = deps.now ?? new Date();
  const key = `mail:${bareId(decision.mail.messageId) || createHash('sha256').update(raw).digest('hex')}`;
  if (!(await deps.once.claim(key))) {
    deps.log(`commands: ${decision.mail.messageId} from ${decision.mail.from} was handled before; not again`);
    return { decision, duplicate: true };
  }
  try {
    return await answer(decision, key, at, deps);
  } catch (e) {
    // Nothing was answered: the job's retry handles the mail again.
    await deps.once.release(key);
    throw e;
  }
}

async function answer(decision: Exclude<MailCommandDecision, { kind: 'ignore' }>, key: string, at: Date, deps: MailCommandDeps): Promise<MailCommandResult> {
  let body: string;
  let outcome: CommandOutcome | undefined;
  if (decision.kind === 'refuse') {
    deps.log(`commands: refused ${decision.mail.messageId} from ${decision.mail.from}: ${decision.why}`);
    body = [...wrapText(`kbot did not act on your commands: ${decision.why}.`), '', ...wrapText(whoMay(deps.config))].join('\n') + '\n';
  } else {
    outcome = await executeCommands({ channel: 'mail', by: decision.mail.from, via: decision.mail.messageId, thread: decision.thread, commands: decision.commands, at }, deps);
    deps.log(`commands: ${decision.mail.from} (DKIM ${decision.dkimDomain}) on series ${decision.thread.seriesKey}: ${decision.commands.map((c) => c.line).join('; ')}`);
    body = outcome.reply.split('\n').flatMap((l) => (l.startsWith(' ') ? [l] : wrapText(l))).join('\n');
  }
  const subject = /^re:/i.test(decision.mail.subject) ? decision.mail.subject : `Re: ${decision.mail.subject}`;
  const inReplyTo = bracketId(decision.mail.messageId);
  const eml = await buildEml({
    messageId: `kbot-cmd-${createHash('sha256').update(key).digest('hex').slice(0, 24)}@${deps.config.identity.email.split('@')[1]}`,
    date: at,
    from: formatMailbox({ name: deps.config.identity.name, address: deps.config.identity.email }),
    to: [decision.mail.from],
    cc: [],
    subject,
    inReplyTo,
    references: [...new Set([...decision.mail.references, inReplyTo].map(bracketId))],
    body: `${body}\n-- \nkbot\n`,
  });
  return { decision, outcome, reply: { eml, to: decision.mail.from, body } };
}
