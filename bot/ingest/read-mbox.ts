// Splits an mbox into messages the way git reads it: with `git mailsplit`, into a scratch directory under the
// work dir. git knows a separator from a body line starting "From " (it wants the date of a real "From "
// line), so a `git format-patch` mbox whose commit message has such a line stays one message per patch.
import { registerScratch } from '../apply/clean-stale.ts';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RawMessage, Rejected } from '../types.ts';
import { IngestError } from './ingest-error.ts';
import { DEFAULT_MAX_INPUT_BYTES, readHead, tooLarge } from './limits.ts';
import { gitComplaint, runGit } from '../tree/run-git.ts';

const HEAD_BYTES = 64 * 1024;

export interface SplitResult {
  messages: RawMessage[];
  rejected: Rejected[];
}

export interface MboxOptions {
  /** A message larger than this is rejected unread. */
  maxMessageBytes: number;
  /** The split goes into a scratch directory here (the config's work_dir); default <os tmpdir>/kbot. */
  workDir?: string;
  /**
   * The mbox is known to be mboxrd (public-inbox's t.mbox.gz): `git mailsplit --mboxrd` undoes its ">From "
   * quoting. Otherwise the format is read from the file itself (see splitMbox).
   */
  mboxrd?: boolean;
  /** An mbox larger than this is refused as a whole (default 256 MiB). */
  maxInputBytes?: number;
}

export function readMboxFile(path: string, opts: MboxOptions): Promise<SplitResult> {
  return splitMbox({ path }, `mbox:${path}`, opts);
}

/**
 * The messages of an mbox, given as a file or as bytes, each without its "From " separator line; CRLF line
 * ends become LF, as `git am` reads them.
 *
 * mboxo or mboxrd? A `git format-patch` mbox quotes nothing: a body line "From ..." stays as it is, and git am
 * reads it with plain `git mailsplit`. An mboxrd writer (public-inbox, `format-patch --pretty=mboxrd`) quotes
 * every body line ">*From " with one more ">". So the mbox is split as git am splits it; when no message then
 * has a bare "From " body line but some have ">From " ones, the file quotes its From lines and is split again
 * with `--mboxrd`, which unquotes one level.
 */
export async function splitMbox(mbox: { path: string } | Buffer, sourceName: string, opts: MboxOptions): Promise<SplitResult> {
  const maxInput = opts.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const size = Buffer.isBuffer(mbox) ? mbox.length : (await stat(mbox.path)).size;
  if (size > maxInput) throw new IngestError(`${sourceName}: an mbox of ${size} bytes exceeds the limit of ${maxInput} bytes for one input`);
  const workDir = opts.workDir ?? join(tmpdir(), 'kbot');
  await mkdir(workDir, { recursive: true });
  const scratch = await mkdtemp(join(workDir, 'mailsplit-'));
  await registerScratch(scratch);
  try {
    let files = await gitMailsplit(mbox, join(scratch, 'plain'), !!opts.mboxrd);
    if (!opts.mboxrd && (await quotesFromLines(files))) files = await gitMailsplit(mbox, join(scratch, 'mboxrd'), true);
    return await collect(files, sourceName, opts.maxMessageBytes);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Runs `git mailsplit -b` (a file without a "From " line is one message) and returns its files in order. */
async function gitMailsplit(mbox: { path: string } | Buffer, outDir: string, mboxrd: boolean): Promise<string[]> {
  await mkdir(outDir);
  const args = ['mailsplit', '-b', `-o${outDir}`, ...(mboxrd ? ['--mboxrd'] : [])];
  const run = Buffer.isBuffer(mbox)
    ? await runGit(args, { cwd: outDir, input: mbox })
    : await runGit([...args, '--', resolve(mbox.path)], { cwd: outDir });
  if (run.code !== 0) throw new IngestError(`git mailsplit could not read the mbox: ${gitComplaint(run)}`);
  // Names are the message numbers, zero-padded to 4 digits and longer past 9999.
  const names = (await readdir(outDir)).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
  return names.map((n) => join(outDir, n));
}

/** True when no message has a bare "From " body line and some have a quoted ">From " one: mboxrd quoting. */
async function quotesFromLines(files: string[]): Promise<boolean> {
  let quoted = false;
  for (const file of files) {
    const text = await readHeadAndBody(file);
    if (text === null) continue;
    if (/^From /m.test(text)) return false;
    if (/^>+From /m.test(text)) quoted = true;
  }
  return quoted;
}

/** A split message without its separator line, as latin1 text; null for one too large to be read anyway. */
async function readHeadAndBody(file: string): Promise<string | null> {
  const info = await stat(file);
  if (info.size > 64 * 1024 * 1024) return null;
  return withoutSeparator(await readFile(file)).toString('latin1');
}

async function collect(files: string[], sourceName: string, maxMessageBytes: number): Promise<SplitResult> {
  const out: SplitResult = { messages: [], rejected: [] };
  let count = 0;
  for (const file of files) {
    const head = await readHead(file, HEAD_BYTES);
    const message = withoutSeparator(head);
    // The message's size, as the limit counts it, is without its separator line.
    const size = (await stat(file)).size - (head.length - message.length);
    if (size > maxMessageBytes) {
      out.rejected.push(tooLarge(`${sourceName}#${++count}`, size, maxMessageBytes, message));
      continue;
    }
    const raw = withoutSeparator(await readFile(file));
    if (raw.toString('latin1').trim() === '') continue; // a "From " line with nothing after it
    out.messages.push({ raw, source: `${sourceName}#${++count}` });
  }
  return out;
}

/** git mailsplit keeps each message's "From " line; mail parsers want the RFC 5322 text only. */
function withoutSeparator(raw: Buffer): Buffer {
  if (raw.subarray(0, 5).toString('latin1') !== 'From ') return raw;
  const nl = raw.indexOf(0x0a);
  return nl < 0 ? Buffer.alloc(0) : raw.subarray(nl + 1);
}
