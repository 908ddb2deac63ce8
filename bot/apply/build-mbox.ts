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
  return buildMail(message, true);
}

/**
 * The message as one mail: headers git mailinfo reads (author, date, subject) and the body with the patch.
 * For an mbox (mboxrd), body lines starting with "From " are quoted with ">".
 */
export function buildMail(message: Message, mboxrd = false): string {
  const head = [
    ...(mboxrd ? ['From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001'] : []),
    `From: ${formatAddress(message.from.name, message.from.address)}`,
    `Date: ${authorDate(message)}`,
    `Subject: ${encodeWord(oneLine(message.subject))}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  let body = mboxrd ? mailText(message).replace(/^(>*From )/gm, '>$1') : mailText(message);
  if (!body.endsWith('\n')) body += '\n';
  return `${head.join('\n')}\n\n${body}`;
}

/** The mail's own Date header keeps the author's time zone; the parsed date is the fallback. */
function authorDate(message: Message): string {
  const raw = message.headers.find(([k]) => k.toLowerCase() === 'date')?.[1];
  if (raw && !Number.isNaN(Date.parse(oneLine(raw)))) return oneLine(raw);
  const date = message.date ? new Date(message.date) : null;
  // Without any date, a fixed one: the same mail then always makes the same commit.
  return date && !Number.isNaN(date.getTime()) ? date.toUTCString() : 'Thu, 1 Jan 1970 00:00:00 +0000';
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
