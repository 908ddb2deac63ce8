// The example series (examples/series/*.mbox) taken apart into messages and put back together, so a test can
// drop a part, strip a base-commit, mix in bad mail, or hand the same messages over as a Maildir or an inbox.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { examplesDir } from '../../examples/build-tree.ts';

export function exampleMboxPath(name: string): string {
  return join(examplesDir, 'series', `${name}.mbox`);
}

/** One mbox message: its "From " separator line and the RFC 5322 text after it. */
export interface MboxMessage {
  separator: string;
  text: string;
}

/** Splits an example mbox (git format-patch output) on its "From <sha> Mon Sep 17 ..." lines. */
export function exampleMessages(name: string): MboxMessage[] {
  const mbox = readFileSync(exampleMboxPath(name), 'utf8');
  const parts = mbox.split(/^(?=From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$)/m).filter((p) => p.length > 0);
  return parts.map((p) => {
    const nl = p.indexOf('\n');
    return { separator: p.slice(0, nl), text: p.slice(nl + 1) };
  });
}

export function toMbox(messages: MboxMessage[]): string {
  return messages.map((m) => `${m.separator}\n${m.text.endsWith('\n') ? m.text : `${m.text}\n`}`).join('\n');
}

/** A new mbox message around RFC 5322 text (header lines, blank line, body). */
export function mboxMessage(text: string): MboxMessage {
  return { separator: 'From mboxrd@z Thu Jan  1 00:00:00 1970', text };
}

export function messageId(m: MboxMessage): string {
  const id = /^Message-Id:\s*(<[^>]+>)/im.exec(m.text);
  if (!id) throw new Error(`no Message-Id in ${m.text.slice(0, 200)}`);
  return id[1];
}

/** The message's Subject, unfolded. */
export function subject(m: MboxMessage): string {
  const s = /^Subject:((?:.*)(?:\n[ \t].*)*)/im.exec(m.text);
  return s ? s[1].replace(/\s+/g, ' ').trim() : '';
}

export function withoutBaseCommit(m: MboxMessage): MboxMessage {
  return { ...m, text: m.text.replace(/^base-commit: [0-9a-f]+\n/m, '') };
}
