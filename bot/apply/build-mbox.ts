// One Message back into the mbox git am reads. mboxrd quoting, so a commit message line starting with
// "From " cannot split the message in two.
import type { Message } from '../types.ts';

/** The text git am should read for this message: the body, plus the patch when it came from an attachment. */
export function mailText(message: Message): string {
  const body = message.body.replace(/\r\n/g, '\n');
  const patch = message.patch?.replace(/\r\n/g, '\n');
  if (!patch || body.includes(patch)) return body;
  const sep = patch.startsWith('---\n') || patch.startsWith('--- ') ? '' : '---\n';
  return `${body.replace(/\s*$/, '')}\n\n${sep}${patch}`;
}

export function buildMbox(message: Message): string {
  const date = message.date ? new Date(message.date) : null;
  const head = [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    `From: ${formatAddress(message.from.name, message.from.address)}`,
    `Date: ${date && !Number.isNaN(date.getTime()) ? date.toUTCString() : 'Thu, 1 Jan 1970 00:00:00 +0000'}`,
    `Subject: ${encodeWord(oneLine(message.subject))}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  let body = mailText(message).replace(/^(>*From )/gm, '>$1');
  if (!body.endsWith('\n')) body += '\n';
  return `${head.join('\n')}\n\n${body}`;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+\s*/g, ' ').trim();
}

function formatAddress(name: string, address: string): string {
  const n = oneLine(name);
  if (!n) return `<${address}>`;
  if (/[^\x20-\x7e]/.test(n)) return `${encodeWord(n)} <${address}>`;
  if (/[()<>@,;:\\".[\]]/.test(n)) return `"${n.replace(/["\\]/g, '\\$&')}" <${address}>`;
  return `${n} <${address}>`;
}

/** RFC 2047 encoded word for non-ASCII text; ASCII passes through. */
function encodeWord(s: string): string {
  return /[^\x20-\x7e]/.test(s) ? `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=` : s;
}
