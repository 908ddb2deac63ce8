// Polls a Maildir: every message in new/ becomes an ingest job, then moves to cur/ (with the ":2," info
// suffix, as a mail reader does). A message is moved only once it is queued, so a Redis outage or a crash
// leaves it in new/ for the next poll; the job id (from the Message-ID) keeps a second delivery from
// being queued twice.
import { mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceConfig } from '../../config/schema.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../bot/ingest/limits.ts';
import type { Service } from '../service.ts';
import { enqueueIngest } from '../jobs/ingest.ts';
import type { PollResult } from './public-inbox.ts';

export async function pollMaildir(svc: Service, source: SourceConfig): Promise<PollResult> {
  const result: PollResult = { queued: 0, duplicates: 0, rejected: 0 };
  const dir = join(source.url, 'new');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();
  await mkdir(join(source.url, 'cur'), { recursive: true });
  for (const name of names) {
    const file = join(dir, name);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) continue;
    const dest = join(source.url, 'cur', name.includes(':2,') ? name : `${name}:2,`);
    if (info.size > DEFAULT_MAX_MESSAGE_BYTES) {
      result.rejected++;
      svc.log.warn({ source: source.name, file, size: info.size, limit: DEFAULT_MAX_MESSAGE_BYTES }, 'message over the size limit: not queued, moved to cur/');
      await rename(file, dest);
      continue;
    }
    const q = await enqueueIngest(svc, { source: source.name, origin: `maildir:${dest}`, raw: await readFile(file), receivedAt: info.mtime.toISOString() });
    if (q.added) result.queued++;
    else result.duplicates++;
    await rename(file, dest);
    await svc.conn.redis.hset(svc.key('sources'), source.name, JSON.stringify({ origin: `maildir:${dest}`, at: new Date().toISOString() }));
  }
  return result;
}
