// Fetches a whole thread from a public-inbox web archive (lore-style): <base>/<msgid>/t.mbox.gz.
import { gunzipSync } from 'node:zlib';
import { messageIdForUrl, normalizeMessageId } from '../mail/message-id.ts';
import type { RawMessage, Rejected } from '../types.ts';
import { IngestError } from './ingest-error.ts';
import { DEFAULT_MAX_INPUT_BYTES } from './limits.ts';
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

export async function fetchThread(
  url: string,
  maxMessageBytes: number,
  workDir?: string,
): Promise<{ messages: RawMessage[]; rejected: Rejected[] }> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/gzip' } });
  } catch (err) {
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new IngestError(`fetching ${url} failed: ${cause}`, false);
  }
  if (!response.ok) {
    const permanent = response.status >= 400 && response.status < 500 && response.status !== 429;
    throw new IngestError(`fetching ${url}: HTTP ${response.status} ${response.statusText}`.trim(), permanent);
  }
  const body = Buffer.from(await response.arrayBuffer());
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
