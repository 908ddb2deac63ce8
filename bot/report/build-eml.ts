// Builds the RFC 5322 text of a reply with nodemailer's MailComposer: text/plain utf-8, threaded.
import MailComposer from 'nodemailer/lib/mail-composer';
import { bracketId } from './message-id.ts';

export interface EmlInput {
  messageId: string;
  date: Date;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  inReplyTo: string;
  references: string[];
  body: string;
}

/** RFC 5322's hard limit on a line, in bytes, without the CRLF. */
const MAX_LINE_BYTES = 998;

export async function buildEml(m: EmlInput): Promise<string> {
  const body = m.body.replace(/\r\n?/g, '\n');
  const fitsAsIs = body.split('\n').every((l) => Buffer.byteLength(l) <= MAX_LINE_BYTES);
  const composer = new MailComposer({
    messageId: bracketId(m.messageId),
    date: m.date,
    from: m.from,
    to: m.to,
    ...(m.cc.length > 0 ? { cc: m.cc } : {}),
    subject: m.subject,
    inReplyTo: bracketId(m.inReplyTo),
    references: m.references.map(bracketId),
    text: fitsAsIs ? '' : body,
    newline: 'windows',
  });
  const node = composer.compile();
  if (!fitsAsIs) return (await node.build()).toString('utf8');
  // MailComposer picks quoted-printable for any line over 76 columns, which would mangle the trace
  // tables for readers of the list. Kernel mail is plain 7/8-bit text, so take its headers and write
  // the body as is.
  node.setHeader('Content-Type', 'text/plain; charset=utf-8');
  node.setHeader('Content-Transfer-Encoding', /[^\x00-\x7f]/.test(body) ? '8bit' : '7bit');
  return `${node.buildHeaders()}\r\n\r\n${body.replace(/\n/g, '\r\n')}`;
}
