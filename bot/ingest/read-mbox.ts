// Splits an mbox (mboxo or mboxrd) into messages while streaming, so a huge file or one huge message never sits in
// memory whole: a message over the limit is counted, not kept, and comes out as a Rejected.
import { createReadStream } from 'node:fs';
import type { RawMessage, Rejected } from '../types.ts';
import { tooLarge } from './limits.ts';

const FROM_LINE = Buffer.from('From ');
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
  let atLineStart = true;
  let carry = Buffer.alloc(0);
  let count = 0;

  const finish = () => {
    if (!inMessage) return;
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

  for await (const chunk of chunks) {
    const buf = carry.length > 0 ? Buffer.concat([carry, Buffer.from(chunk)]) : Buffer.from(chunk);
    carry = Buffer.alloc(0);
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(0x0a, pos);
      if (atLineStart) {
        // Need five bytes to tell a "From " separator from a body line.
        if (nl < 0 && buf.length - pos < FROM_LINE.length) {
          carry = buf.subarray(pos);
          break;
        }
        if (buf.subarray(pos, pos + FROM_LINE.length).equals(FROM_LINE)) {
          finish();
          inMessage = true;
          skippingFromLine = true;
        } else if (!inMessage) {
          // Text before the first "From " line: not an mbox message; treat as one anyway so nothing is lost.
          inMessage = true;
        }
      }
      const end = nl < 0 ? buf.length : nl + 1;
      append(buf.subarray(pos, end));
      if (nl >= 0) skippingFromLine = false;
      atLineStart = nl >= 0;
      pos = end;
    }
  }
  if (carry.length > 0) {
    if (!inMessage) inMessage = true;
    append(carry);
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
