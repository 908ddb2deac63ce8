// Size limits shared by every source reader.
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
