// Writes replies as .eml files for a human (or a later `kbot send`) to pick up, one file per reply.
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { ReplyDraft } from '../types.ts';
import { emlMessageId } from './eml-message-id.ts';

const MAX_NAME = 100;

/**
 * A file name from a Message-ID that cannot leave the directory or hide: only [A-Za-z0-9._@+-], no
 * leading dot, bounded length; a short hash of the id is appended whenever anything was changed, so
 * two ids that clean up alike still get two files.
 */
export function outboxFileName(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  let name = bare.replace(/[^A-Za-z0-9._@+-]/g, '_').replace(/^[.]+/, '').slice(0, MAX_NAME);
  if (name !== bare || name === '') {
    name = `${name || 'reply'}-${createHash('sha256').update(messageId).digest('hex').slice(0, 10)}`;
  }
  return `${name}.eml`;
}

/** Writes each draft to `dir` (created if needed) and returns the paths, in the drafts' order. */
export async function writeOutbox(dir: string, drafts: ReplyDraft[]): Promise<string[]> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const paths: string[] = [];
  for (const d of drafts) {
    const id = emlMessageId(d.eml) ?? `reply-to-${d.inReplyTo}`;
    const path = join(root, outboxFileName(id));
    if (!path.startsWith(root + sep)) throw new Error(`refusing to write outside the outbox: ${path}`);
    // Write then rename, so a reader of the outbox never sees half a message.
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, d.eml);
    await rename(tmp, path);
    paths.push(path);
  }
  return paths;
}
