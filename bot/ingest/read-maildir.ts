// A Maildir: every file in cur/ and new/ is one message; names start with a delivery timestamp, so name order
// is arrival order.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RawMessage, Rejected } from '../types.ts';
import { readHead, tooLarge } from './limits.ts';

export async function readMaildir(dir: string, maxMessageBytes: number): Promise<{ messages: RawMessage[]; rejected: Rejected[] }> {
  const files: string[] = [];
  for (const sub of ['cur', 'new']) {
    let names: string[] = [];
    try {
      names = await readdir(join(dir, sub));
    } catch {
      continue;
    }
    for (const name of names) if (!name.startsWith('.')) files.push(join(dir, sub, name));
  }
  files.sort((a, b) => (basename(a) < basename(b) ? -1 : basename(a) > basename(b) ? 1 : 0));
  const messages: RawMessage[] = [];
  const rejected: Rejected[] = [];
  for (const file of files) {
    const info = await stat(file);
    if (!info.isFile()) continue;
    const source = `maildir:${file}`;
    if (info.size > maxMessageBytes) {
      rejected.push(tooLarge(source, info.size, maxMessageBytes, await readHead(file)));
      continue;
    }
    messages.push({ raw: await readFile(file), source, receivedAt: info.mtime.toISOString() });
  }
  return { messages, rejected };
}
