// RawMessage → Message (or Rejected): mailparser for the MIME work, then subject, patch, trailers.
//
// Charset policy: a text part in an unknown charset is decoded best-effort as UTF-8 and the message keeps going
// with a note in `problems`; but when the decoded patch holds replacement characters (U+FFFD) the message is
// rejected, since applying it would write garbage into the tree.
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { Message, ParseResult, RawMessage, Rejected } from '../types.ts';
import { DEFAULT_MAX_LINE_BYTES, longestLine } from './check-line-lengths.ts';
import { inspectMime } from './inspect-mime.ts';
import { boundReferences, messageIdList, normalizeMessageId } from './message-id.ts';
import { parseSubject } from './parse-subject.ts';
import { splitPatch } from './split-patch.ts';
import { DEFAULT_LIMITS } from '../../config/defaults.ts';

export interface ParseLimits {
  /** Longest line accepted, in bytes (default 64 KiB). */
  maxLineBytes?: number;
  /** limits.max_references: ids kept from References (the first and the newest ones). */
  maxReferences?: number;
}

export function isRejected(x: Message | Rejected): x is Rejected {
  return 'reason' in x && !('parsedSubject' in x);
}

export async function parseMessage(raw: RawMessage, limits: ParseLimits = {}): Promise<Message | Rejected> {
  const reject = (reason: string, messageId: string | null = peekMessageId(raw.raw)): Rejected => ({
    messageId,
    source: raw.source,
    reason,
  });
  const maxLine = limits.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const longest = longestLine(raw.raw, maxLine);
  if (longest > maxLine) return reject(`line of ${longest} bytes exceeds the limit of ${maxLine} bytes`);

  const mime = inspectMime(raw.raw);
  if (mime.broken) return reject(mime.broken);

  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw.raw, { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
  } catch (err) {
    return reject(`unparseable message: ${(err as Error).message}`);
  }
  const headers: Array<[string, string]> = mail.headerLines
    .filter((h) => h.key !== '')
    .map((h) => {
      const colon = h.line.indexOf(':');
      return [h.line.slice(0, colon), h.line.slice(colon + 1).replace(/^\s+/, '')];
    });
  if (!mail.headers.has('from') && !mail.headers.has('subject')) {
    return reject('not a mail message: no From or Subject header');
  }
  // git am needs an author: a message without one would only fail later, inside the apply.
  if (!mail.from?.value.some((a) => a.address)) return reject('no From header with an address: a patch needs an author');

  const problems: string[] = [];
  let messageId = normalizeMessageId(mail.messageId);
  if (!messageId) {
    const hash = createHash('sha256').update(raw.raw).digest('hex').slice(0, 32);
    messageId = `<${hash}@kbot.synthesized>`;
    problems.push(`no Message-ID header; using ${messageId}, made from a hash of the message bytes`);
  }

  const subject = (mail.subject ?? '').replace(/\s+/g, ' ').trim();
  const parsedSubject = parseSubject(subject);
  if (parsedSubject.isReply) return reject(`not a patch: reply ("${shorten(subject)}")`, messageId);

  const body = (mail.text ?? '').replace(/\r\n/g, '\n');
  // A patch sent as an attachment ("git format-patch" output attached to a short note) is read from there.
  let patchSource = body;
  let split = splitPatch(body);
  if (split.diff.length === 0) {
    const attached = mail.attachments.find(
      (a) => /^text\/(x-patch|x-diff|plain)$/i.test(a.contentType) && /\.(patch|diff)$/i.test(a.filename ?? ''),
    );
    if (attached) {
      patchSource = attached.content.toString('utf8');
      const fromAttachment = splitPatch(patchSource);
      if (fromAttachment.diff.length > 0) {
        split = { ...fromAttachment, commitMessage: split.commitMessage, trailers: fromAttachment.trailers };
        problems.push(`patch read from the attachment ${attached.filename}`);
      }
    }
  }

  const isCover = parsedSubject.isPatch && parsedSubject.index === 0;
  if (!isCover && split.diff.length === 0) {
    if (parsedSubject.isPatch) return reject(`not a patch: "${shorten(subject)}" carries no diff`, messageId);
    return reject(`not a patch: no [PATCH] prefix and no diff ("${shorten(subject)}")`, messageId);
  }
  if (!parsedSubject.isPatch) problems.push('no [PATCH] prefix in the subject; read as a patch because it holds a diff');

  const unknown = mime.charsets.filter((c) => !isKnownCharset(c));
  for (const c of new Set(unknown)) problems.push(`unknown charset "${c}"; decoded best-effort as UTF-8`);
  const garbled = (split.patch ?? '').split('\uFFFD').length - 1;
  if (garbled > 0) {
    const why = unknown.length > 0 ? `charset "${unknown[0]}" could not be decoded` : 'bytes are not valid in the declared charset';
    return reject(`undecodable patch text: ${why}; ${garbled} character(s) would be written to the tree as U+FFFD`, messageId);
  }

  const from = mail.from?.value[0];
  const message: Message = {
    messageId,
    subject,
    parsedSubject,
    from: { name: from?.name ?? '', address: (from?.address ?? '').toLowerCase() },
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    references: boundReferences(messageIdList(mail.references), limits.maxReferences ?? DEFAULT_LIMITS.max_references, problems),
    body,
    trailers: split.trailers,
    prerequisitePatchIds: split.prerequisitePatchIds,
    problems,
    source: raw.source,
    headers,
  };
  if (mail.date && !Number.isNaN(mail.date.getTime())) message.date = mail.date.toISOString();
  const inReplyTo = messageIdList(mail.inReplyTo)[0];
  if (inReplyTo) message.inReplyTo = inReplyTo;
  if (split.patch !== undefined) {
    message.patch = split.patch;
    message.diff = split.diff;
  }
  if (split.baseCommit) message.baseCommit = split.baseCommit;
  return message;
}

/** Parses every message; one bad message becomes a Rejected and the others go on. Never throws. */
export async function parseMessages(raws: RawMessage[], limits: ParseLimits = {}): Promise<ParseResult> {
  const result: ParseResult = { messages: [], rejected: [] };
  for (const raw of raws) {
    let parsed: Message | Rejected;
    try {
      parsed = await parseMessage(raw, limits);
    } catch (err) {
      parsed = { messageId: safePeek(raw), source: raw.source, reason: `parser failure: ${(err as Error).message}` };
    }
    if (isRejected(parsed)) result.rejected.push(parsed);
    else result.messages.push(parsed);
  }
  return result;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  if (!field) return [];
  const out: string[] = [];
  const visit = (entries: AddressObject['value']) => {
    for (const e of entries) {
      if (e.group) visit(e.group);
      else if (e.address) out.push(e.name ? `${e.name} <${e.address}>` : e.address);
    }
  };
  for (const obj of Array.isArray(field) ? field : [field]) visit(obj.value);
  return out;
}

function isKnownCharset(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

/** The Message-ID from the raw header block, for naming messages we reject before (or instead of) parsing. */
function peekMessageId(raw: Buffer): string | null {
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const m = /^message-id:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(end >= 0 ? head.slice(0, end) : head);
  return m ? normalizeMessageId(m[1]) : null;
}

function safePeek(raw: RawMessage): string | null {
  try {
    return peekMessageId(raw.raw);
  } catch {
    return null;
  }
}

function shorten(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}
