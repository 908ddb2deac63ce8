// Splits an mbox (mboxo or mboxrd) into messages while streaming, so a huge file or one huge message never sits in
// memory whole: a message over the limit is counted, not kept, and comes out as a Rejected.
import { createReadStream } from 'node:fs';
import type { RawMessage, Rejected } from '../types.ts';
import { tooLarge } from './limits.ts';

const FROM_LINE = Buffer.from('From ');
const SEPARATOR = Buffer.from('\nFrom ');
const HEAD_BYTES = 64 * 1024;

export interface SplitResult {
  messages: RawMessage[];
  rejected: Rejected[];
}

export function readMboxFile(path: string, maxMessageBytes: number): Promise<SplitResult> {
  return splitMbox(createReadStream(path), `mbox:${path}`, maxMessageBytes);
}

export async function splitMbox(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer>,
  sourceName: string,
  maxMessageBytes: number,
): Promise<SplitResult> {
  const out: SplitResult = { messages: [], rejected: [] };
  let parts: Buffer[] = [];
  let size = 0;
  let oversized = false;
  let inMessage = false;
  let head = Buffer.alloc(0);
  let skippingFromLine = false;
  let carry = Buffer.alloc(0);
  let count = 0;

  const finish = () => {
    if (!inMessage) return;
    inMessage = false;
    if (size === 0) return; // a "From " line with nothing after it
    count++;
    const source = `${sourceName}#${count}`;
    if (oversized) out.rejected.push(tooLarge(source, size, maxMessageBytes, head));
    else out.messages.push({ raw: unescapeFromLines(Buffer.concat(parts)), source });
    parts = [];
    size = 0;
    oversized = false;
    head = Buffer.alloc(0);
  };
  const append = (segment: Buffer) => {
    if (skippingFromLine) return;
    size += segment.length;
    if (head.length < HEAD_BYTES) head = Buffer.concat([head, segment.subarray(0, HEAD_BYTES - head.length)]);
    if (oversized) return;
    if (size > maxMessageBytes) {
      oversized = true;
      parts = [];
    } else parts.push(segment);
  };

  let started = false;
  // Separators are found with indexOf("\nFrom ") over whole chunks, not line by line: a 9 MB message of short
  // lines would otherwise cost millions of tiny copies. The last bytes of a chunk wait in `carry` in case a
  // separator straddles two chunks.
  const consume = (buf: Buffer, final: boolean) => {
    let pos = 0;
    for (;;) {
      if (skippingFromLine) {
        const nl = buf.indexOf(0x0a, pos);
        if (nl < 0) return;
        skippingFromLine = false;
        pos = nl + 1;
      }
      const sep = buf.indexOf(SEPARATOR, pos);
      if (sep < 0) {
        const keep = final ? buf.length : Math.max(pos, buf.length - (SEPARATOR.length - 1));
        append(buf.subarray(pos, keep));
        carry = Buffer.from(buf.subarray(keep));
        return;
      }
      append(buf.subarray(pos, sep + 1));
      finish();
      inMessage = true;
      skippingFromLine = true;
      pos = sep + 1;
    }
  };

  for await (const chunk of chunks) {
    const piece = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    const buf = carry.length > 0 ? Buffer.concat([carry, piece]) : piece;
    carry = Buffer.alloc(0);
    if (!started) {
      if (buf.length < FROM_LINE.length) {
        carry = Buffer.from(buf);
        continue;
      }
      started = true;
      // Text before any "From " line is kept as a message too, so a bare RFC 5322 message is not lost.
      inMessage = true;
      skippingFromLine = buf.subarray(0, FROM_LINE.length).equals(FROM_LINE);
    }
    consume(buf, false);
  }
  if (carry.length > 0) {
    inMessage = true;
    const rest = carry;
    carry = Buffer.alloc(0);
    consume(rest, true);
  }
  finish();
  return out;
}

/** mboxrd escapes body lines ">*From " with one more ">"; mboxo only "From ". Undo one level either way. */
function unescapeFromLines(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  if (!/^>+From /m.test(text)) return raw;
  return Buffer.from(text.replace(/^>(>*From )/gm, '$1'), 'latin1');
}
