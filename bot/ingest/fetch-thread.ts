// Fetches a whole thread from a public-inbox web archive (lore-style): <base>/<msgid>/t.mbox.gz.
import { gunzipSync } from 'node:zlib';
import { messageIdForUrl, normalizeMessageId } from '../mail/message-id.ts';
import type { RawMessage, Rejected } from '../types.ts';
import { IngestError } from './ingest-error.ts';
import { DEFAULT_MAX_INPUT_BYTES } from './limits.ts';
import { DEFAULT_LIMITS } from '../../config/defaults.ts';
import { splitMbox } from './read-mbox.ts';


export function threadUrlForMessageId(messageId: string, base: string): string {
  const id = normalizeMessageId(messageId);
  if (!id) throw new IngestError(`not a Message-ID: ${JSON.stringify(messageId)}`);
  return `${base.replace(/\/+$/, '')}/${messageIdForUrl(id)}/t.mbox.gz`;
}

/** "https://lore.example/list/<msgid>/" (or its /T/, /t/ views) → the thread mbox URL. */
export function threadUrlForArchiveUrl(url: string): string {
  if (/\/t\.mbox\.gz$/.test(url)) return url;
  return `${url.replace(/\/(T|t|raw)\/?$/, '').replace(/\/+$/, '')}/t.mbox.gz`;
}

export interface FetchLimits {
  /** Bytes of the response as it arrives (limits.fetch_bytes). */
  maxBytes: number;
  /** Seconds for the whole fetch, the body included (limits.fetch_seconds). */
  seconds: number;
}

export async function fetchThread(
  url: string,
  maxMessageBytes: number,
  workDir?: string,
  limits: FetchLimits = { maxBytes: DEFAULT_LIMITS.fetch_bytes, seconds: DEFAULT_LIMITS.fetch_seconds },
): Promise<{ messages: RawMessage[]; rejected: Rejected[] }> {
  let response: Response;
  const signal = AbortSignal.timeout(limits.seconds * 1000);
  const late = () => new IngestError(`fetching ${url}: no complete answer within limits.fetch_seconds (${limits.seconds} s)`, false);
  try {
    response = await fetch(url, { headers: { accept: 'application/gzip' }, signal });
  } catch (err) {
    if (signal.aborted) throw late();
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new IngestError(`fetching ${url} failed: ${cause}`, false);
  }
  if (!response.ok) {
    const permanent = response.status >= 400 && response.status < 500 && response.status !== 429;
    throw new IngestError(`fetching ${url}: HTTP ${response.status} ${response.statusText}`.trim(), permanent);
  }
  // Read as it arrives, counting: an endless body stops at the limit, not when memory runs out.
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.length;
      if (size > limits.maxBytes) {
        await response.body?.cancel().catch(() => {});
        throw new IngestError(`fetching ${url}: the response is over limits.fetch_bytes (${limits.maxBytes} bytes); not read further`);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof IngestError) throw err;
    if (signal.aborted) throw late();
    throw new IngestError(`fetching ${url} failed while reading: ${(err as Error).message}`, false);
  }
  const body = Buffer.concat(chunks);
  if (body.length < 2 || body[0] !== 0x1f || body[1] !== 0x8b) {
    const start = JSON.stringify(body.subarray(0, 24).toString('latin1'));
    throw new IngestError(`fetching ${url}: the response is not gzip (it starts with ${start})`);
  }
  let mbox: Buffer;
  try {
    mbox = gunzipSync(body, { maxOutputLength: DEFAULT_MAX_INPUT_BYTES });
  } catch (err) {
    throw new IngestError(`fetching ${url}: cannot gunzip the response: ${(err as Error).message}`);
  }
  // public-inbox writes mboxrd: a body line ">From " is a quoted "From ".
  return splitMbox(mbox, `fetch:${url}`, { maxMessageBytes, workDir, mboxrd: true });
}
