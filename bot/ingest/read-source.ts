// One entry point for every kind of input: it decides what `input` is and hands it to the matching reader.
import { open, stat } from 'node:fs/promises';
import type { RawMessage, Rejected } from '../types.ts';
import { fetchThread, type FetchLimits, threadUrlForArchiveUrl, threadUrlForMessageId } from './fetch-thread.ts';
import { IngestError } from './ingest-error.ts';
import { DEFAULT_MAX_INPUT_BYTES, DEFAULT_MAX_MESSAGE_BYTES, readHead, tooLarge } from './limits.ts';
import { readMaildir } from './read-maildir.ts';
import { readMboxFile, splitMbox } from './read-mbox.ts';
import { isGitRepository, listEpochs, readPublicInbox } from './read-public-inbox.ts';

export type SourceKind = 'mbox' | 'message' | 'maildir' | 'public-inbox' | 'fetch';

export interface ReadSourceOptions {
  /** Bounds of a thread fetch (limits.fetch_bytes, limits.fetch_seconds). */
  fetch?: FetchLimits;
  /** Archive base for bare Message-IDs, e.g. "https://lore.kernel.org/all". */
  publicInboxBase?: string;
  /** Messages larger than this are rejected unread (default 8 MiB). */
  maxMessageBytes?: number;
  /** Scratch space for splitting an mbox (the config's work_dir); default <os tmpdir>/kbot. */
  workDir?: string;
  /** What the input "-" reads (default process.stdin). */
  stdin?: AsyncIterable<Buffer | string>;
}

export interface SourceContents {
  messages: RawMessage[];
  rejected: Rejected[];
  kind: SourceKind;
}

const MESSAGE_ID = /^<?[^\s<>@/]+@[^\s<>@/]+>?$/;

/** Reads messages from a path, "-" (standard input), a Message-ID or an archive URL. Throws IngestError when the source itself is unusable. */
export async function readSource(input: string, opts: ReadSourceOptions = {}): Promise<SourceContents> {
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (input === '-') return readStdin(opts.stdin ?? process.stdin, max, opts.workDir);
  const info = await stat(input).catch(() => null);

  if (!info) {
    if (/^https?:\/\//i.test(input)) {
      return { ...(await fetchThread(threadUrlForArchiveUrl(input), max, opts.workDir, opts.fetch)), kind: 'fetch' };
    }
    if (MESSAGE_ID.test(input.trim())) {
      if (!opts.publicInboxBase) {
        throw new IngestError(`${input} looks like a Message-ID, but no public-inbox base URL is configured to fetch it from`);
      }
      return { ...(await fetchThread(threadUrlForMessageId(input.trim(), opts.publicInboxBase), max, opts.workDir, opts.fetch)), kind: 'fetch' };
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
  if (head.toString('latin1') === 'From ') return { ...(await readMboxFile(input, { maxMessageBytes: max, workDir: opts.workDir })), kind: 'mbox' };

  const source = `file:${input}`;
  if (info.size > max) return { messages: [], rejected: [tooLarge(source, info.size, max, await readHead(input))], kind: 'message' };
  const fh = await open(input, 'r');
  try {
    return { messages: [{ raw: await fh.readFile(), source }], rejected: [], kind: 'message' };
  } finally {
    await fh.close();
  }
}

/** "-": an mbox or one message on standard input, as `b4 am -m -` takes it. */
async function readStdin(stdin: AsyncIterable<Buffer | string>, max: number, workDir?: string): Promise<SourceContents> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > DEFAULT_MAX_INPUT_BYTES) throw new IngestError(`standard input: more than ${DEFAULT_MAX_INPUT_BYTES} bytes, the limit for one input`);
    chunks.push(b);
  }
  const data = Buffer.concat(chunks);
  if (data.toString('latin1').trim() === '') throw new IngestError('standard input is empty');
  if (data.subarray(0, 5).toString('latin1') === 'From ') {
    return { ...(await splitMbox(data, 'mbox:-', { maxMessageBytes: max, workDir })), kind: 'mbox' };
  }
  const source = 'stdin';
  if (data.length > max) return { messages: [], rejected: [tooLarge(source, data.length, max, data.subarray(0, 64 * 1024))], kind: 'message' };
  return { messages: [{ raw: data, source }], rejected: [], kind: 'message' };
}
