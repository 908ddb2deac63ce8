// Test support: Message and Series objects made directly from `git format-patch` output, without the mail
// parser (which has its own tests), so apply tests see exactly the text git produced.
import type { Message, Series } from '../types.ts';

/** A Message from one format-patch file: headers, then the body (commit message, "---", diffstat, diff). */
export function messageFromPatch(text: string, index: number, total: number, messageId = `<${index}-${total}@fixture>`): Message {
  const split = text.indexOf('\n\n');
  const headerText = text.slice(0, split).replace(/\n[ \t]+/g, ' ');
  const body = text.slice(split + 2);
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(headerText)?.[1] ?? '';
  const from = /^(.*?)\s*<(.+)>$/.exec(header('From')) ?? ['', '', header('From')];
  const subject = header('Subject');
  const title = subject.replace(/^\[[^\]]*\]\s*/, '');
  const sep = body.search(/^---$/m);
  const message: Message = {
    messageId,
    subject,
    parsedSubject: { title, prefixes: ['PATCH'], isPatch: true, isRfc: false, isReply: false, version: 1, revisionInferred: true, index, total, treeTags: [] },
    from: { name: from[1], address: from[2] },
    to: [],
    cc: [],
    date: new Date(header('Date')).toISOString(),
    references: [],
    body,
    patch: sep >= 0 ? body.slice(sep) : undefined,
    trailers: [],
    prerequisitePatchIds: [],
    problems: [],
    source: 'fixture',
    headers: [],
  };
  const base = /^base-commit: ([0-9a-f]+)$/m.exec(body)?.[1];
  if (base) message.baseCommit = base;
  return message;
}

/** A Series of the given patches (null = missing), no cover letter. */
export function seriesOf(patches: Array<Message | null>, over: Partial<Series> = {}): Series {
  const first = patches.find((p) => p) ?? null;
  return {
    id: first?.messageId ?? '<none@fixture>',
    title: first?.parsedSubject.title ?? '',
    version: 1,
    revisionInferred: true,
    total: patches.length,
    isRfc: false,
    treeTags: [],
    cover: null,
    patches,
    missing: patches.flatMap((p, i) => (p ? [] : [i + 1])),
    olderVersions: [],
    prerequisitePatchIds: [],
    problems: [],
    ...over,
  };
}
