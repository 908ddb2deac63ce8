// Sends prepared replies over SMTP exactly as composed (the raw .eml), one delivery per reply.
import { createTransport } from 'nodemailer';
import type { SmtpConfig } from '../../config/schema.ts';
import { parseMailboxes } from '../report/addresses.ts';
import type { ReplyDraft } from '../types.ts';
import { emlMessageId } from './eml-message-id.ts';

export interface SendOutcome {
  /** Message-IDs of the replies the server accepted. */
  sent: string[];
  failed: Array<{ id: string; error: string }>;
}

/** Never throws for a delivery problem: each reply that could not be sent is listed in `failed`. */
export async function sendReplies(drafts: ReplyDraft[], smtp: SmtpConfig): Promise<SendOutcome> {
  const out: SendOutcome = { sent: [], failed: [] };
  if (drafts.length === 0) return out;
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  try {
    for (const d of drafts) {
      const id = emlMessageId(d.eml) ?? `reply to ${d.inReplyTo}`;
      try {
        const from = smtp.from ?? parseMailboxes([d.from])[0]?.address;
        const to = [...new Set(parseMailboxes([...d.to, ...d.cc]).map((m) => m.address))];
        if (!from) throw new Error(`no envelope sender: cannot read an address in From "${d.from}"`);
        if (to.length === 0) throw new Error('no recipients');
        await transport.sendMail({ envelope: { from, to }, raw: d.eml });
        out.sent.push(id);
      } catch (e) {
        out.failed.push({ id, error: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    transport.close();
  }
  return out;
}
