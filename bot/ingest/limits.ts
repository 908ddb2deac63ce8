// Size limits shared by every source reader.
import { open } from 'node:fs/promises';
import { normalizeMessageId } from '../mail/message-id.ts';
import type { Rejected } from '../types.ts';

export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** One input (an mbox file, stdin, a fetched thread unpacked): a thread of hundreds of patches fits easily. */
export const DEFAULT_MAX_INPUT_BYTES = 256 * 1024 * 1024;

export function tooLarge(source: string, size: number, limit: number, head?: Buffer): Rejected {
  return {
    messageId: head ? peekHeader(head, 'message-id') : null,
    source,
    reason: `message of ${size} bytes exceeds the limit of ${limit} bytes`,
  };
}

/** A header value from the first bytes of a message, for naming messages that are never parsed. */
function peekHeader(head: Buffer, name: string): string | null {
  const text = head.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(end >= 0 ? text.slice(0, end) : text);
  return m ? normalizeMessageId(m[1]) : null;
}

/** The first `bytes` bytes of a file (a message too large to read whole is named from its head). */
export async function readHead(path: string, bytes = 64 * 1024): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
