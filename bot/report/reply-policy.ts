// Who a reply to one message goes to, by the per-list policy in the config. See config/kbot.example.yaml
// for the rules in words.
import type { KbotConfig } from '../../config/schema.ts';
import type { Message } from '../types.ts';
import { formatMailbox, matchesSender, parseMailboxes, type Mailbox } from './addresses.ts';

export type Recipients = { send: true; to: string[]; cc: string[] } | { send: false; reason: string };

const MODE_RANK = { author: 0, list: 1, all: 2 } as const;

export function replyRecipients(message: Message, config: KbotConfig): Recipients {
  const author = message.from.address.trim().toLowerCase();
  if (!author) return { send: false, reason: 'the message has no sender address' };
  const self = config.identity.email.toLowerCase();
  if (author === self) return { send: false, reason: 'the message is from kbot itself' };

  const seen = new Set([author, self]);
  const recipients: Mailbox[] = [];
  for (const m of parseMailboxes([...message.to, ...message.cc])) {
    if (seen.has(m.address)) continue;
    seen.add(m.address);
    recipients.push(m);
  }

  const matched = config.lists.filter((l) => recipients.some((r) => r.address === l.address));
  const policies = matched.length > 0 ? matched : [{ address: null, ...config.default_policy }];
  const label = (p: { address: string | null }) => p.address ?? 'the default policy';

  const muted = policies.find((p) => p.mute);
  if (muted) return { send: false, reason: `muted: ${label(muted)} is set to mute` };
  for (const p of policies) {
    const pattern = p.ignore_senders.find((g) => matchesSender(g, author));
    if (pattern) return { send: false, reason: `ignored sender: ${author} matches "${pattern}" (${label(p)})` };
  }

  const to = [formatMailbox({ name: message.from.name, address: author })];
  let cc: Mailbox[];
  if (matched.length === 0) {
    // Without a configured list kbot cannot tell list addresses from people: list and all both keep them.
    cc = config.default_policy.reply_to === 'author' ? [] : recipients;
  } else {
    const listCc = recipients.filter((r) => matched.some((l) => l.address === r.address && l.reply_to !== 'author'));
    const strictest = Math.min(...matched.map((l) => MODE_RANK[l.reply_to]));
    const others =
      strictest === MODE_RANK.all ? recipients.filter((r) => !config.lists.some((l) => l.address === r.address)) : [];
    cc = [...listCc, ...others];
  }
  return { send: true, to, cc: cc.slice(0, config.cc_cap).map(formatMailbox) };
}
