// One entry point for every kind of input: it decides what `input` is and hands it to the matching reader.
import { open, stat } from 'node:fs/promises';
import type { RawMessage, Rejected } from '../types.ts';
import { fetchThread, threadUrlForArchiveUrl, threadUrlForMessageId } from './fetch-thread.ts';
import { IngestError } from './ingest-error.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, tooLarge } from './limits.ts';
import { readMaildir } from './read-maildir.ts';
import { readMboxFile } from './read-mbox.ts';
import { isGitRepository, listEpochs, readPublicInbox } from './read-public-inbox.ts';

export type SourceKind = 'mbox' | 'message' | 'maildir' | 'public-inbox' | 'fetch';

export interface ReadSourceOptions {
  /** Archive base for bare Message-IDs, e.g. "https://lore.kernel.org/all". */
  publicInboxBase?: string;
  /** Messages larger than this are rejected unread (default 8 MiB). */
  maxMessageBytes?: number;
}

export interface SourceContents {
  messages: RawMessage[];
  rejected: Rejected[];
  kind: SourceKind;
}

const MESSAGE_ID = /^<?[^\s<>@/]+@[^\s<>@/]+>?$/;

/** Reads messages from a path, Message-ID or archive URL. Throws IngestError when the source itself is unusable. */
export async function readSource(input: string, opts: ReadSourceOptions = {}): Promise<SourceContents> {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const info = await stat(input).catch(() => null);

  if (!info) {
    if (/^https?:\/\//i.test(input)) {
      return { ...(await fetchThread(threadUrlForArchiveUrl(input), max)), kind: 'fetch' };
    }
    if (MESSAGE_ID.test(input.trim())) {
      if (!opts.publicInboxBase) {
        throw new IngestError(`${input} looks like a Message-ID, but no public-inbox base URL is configured to fetch it from`);
      }
      return { ...(await fetchThread(threadUrlForMessageId(input.trim(), opts.publicInboxBase), max)), kind: 'fetch' };
    }
    throw new IngestError(`no such file or directory, and not a Message-ID or URL: ${input}`);
  }

  if (info.isDirectory()) {
    const epochs = await listEpochs(input);
    if (epochs.length > 0) return { ...(await readPublicInbox(epochs, max)), kind: 'public-inbox' };
    if (await isGitRepository(input)) return { ...(await readPublicInbox([input], max)), kind: 'public-inbox' };
    const hasMaildir = (await stat(`${input}/cur`).catch(() => null)) || (await stat(`${input}/new`).catch(() => null));
    if (hasMaildir) return { ...(await readMaildir(input, max)), kind: 'maildir' };
    throw new IngestError(`${input} is a directory but not a Maildir (cur/, new/), a public-inbox v2 inbox (git/N.git) or a git repository`);
  }

  const head = await readHead(input, 5);
  if (head.toString('latin1') === 'From ') return { ...(await readMboxFile(input, max)), kind: 'mbox' };

  const source = `file:${input}`;
  if (info.size > max) return { messages: [], rejected: [tooLarge(source, info.size, max, await readHead(input, 64 * 1024))], kind: 'message' };
  const fh = await open(input, 'r');
  try {
    return { messages: [{ raw: await fh.readFile(), source }], rejected: [], kind: 'message' };
  } finally {
    await fh.close();
  }
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
