// Polls a public-inbox archive: each epoch (git/N.git of a v2 inbox, or the one repository of a v1) is
// mirrored under work_dir/sources/<name>/ and fetched with simple-git; only the commits after the last one
// queued (`git log <last>..`, remembered in Redis per epoch) are walked, and each message they add becomes an
// ingest job. The last commit moves only once its messages are queued, so a Redis outage loses nothing.
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { simpleGit } from 'simple-git';
import type { SourceConfig } from '../../config/schema.ts';
import { listEpochs, readInboxRange } from '../../bot/ingest/read-public-inbox.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../bot/ingest/limits.ts';
import type { Service } from '../service.ts';
import { enqueueIngest } from '../jobs/ingest.ts';

export interface PollResult {
  queued: number;
  duplicates: number;
  rejected: number;
}

/** The epochs of the source as URLs or paths: a local v2 inbox's git/N.git, else the source itself. */
async function upstreamEpochs(url: string): Promise<string[]> {
  const local = await stat(url).then((s) => s.isDirectory(), () => false);
  if (local) {
    const epochs = await listEpochs(url);
    return epochs.length ? epochs : [resolve(url)];
  }
  // A remote v2 inbox: git/0.git, git/1.git ... as long as they answer.
  const found: string[] = [];
  for (let n = 0; ; n++) {
    const u = `${url.replace(/\/$/, '')}/git/${n}.git`;
    try {
      await simpleGit().listRemote([u]);
      found.push(u);
    } catch {
      break;
    }
  }
  return found.length ? found : [url];
}

export async function pollPublicInbox(svc: Service, source: SourceConfig): Promise<PollResult> {
  const redis = svc.conn.redis;
  const lastKey = svc.key('source', source.name, 'last');
  const result: PollResult = { queued: 0, duplicates: 0, rejected: 0 };
  const epochs = await upstreamEpochs(source.url);
  for (const [n, upstream] of epochs.entries()) {
    const mirror = join(svc.config.work_dir, 'sources', source.name, `${n}.git`);
    if (!(await stat(mirror).then(() => true, () => false))) {
      await mkdir(join(mirror, '..'), { recursive: true });
      await simpleGit().clone(upstream, mirror, ['--mirror', '--quiet']);
    } else {
      await simpleGit({ baseDir: mirror }).fetch(['--quiet', '--prune', 'origin', '+refs/*:refs/*']);
    }
    const head = (await simpleGit({ baseDir: mirror }).raw(['rev-parse', '--verify', '-q', 'HEAD']).catch(() => '')).trim();
    if (!head) continue;
    const field = String(n);
    let last = await redis.hget(lastKey, field);
    if (!last && source.start === 'now') {
      await redis.hset(lastKey, field, head);
      svc.log.info({ source: source.name, epoch: n, head }, 'public-inbox: starting from now (sources[].start)');
      continue;
    }
    if (last === head) continue;
    const range = await readInboxRange(mirror, last ?? null, DEFAULT_MAX_MESSAGE_BYTES);
    for (const r of range.rejected) {
      result.rejected++;
      svc.log.warn({ source: source.name, origin: r.source, reason: r.reason }, 'message not queued');
    }
    for (const m of range.messages) {
      const q = await enqueueIngest(svc, { source: source.name, origin: m.source, raw: m.raw, ...(m.receivedAt ? { receivedAt: m.receivedAt } : {}) });
      if (q.added) result.queued++;
      else result.duplicates++;
      // Remembered message by message: a poll cut short resumes after the last one queued.
      last = m.source.slice(m.source.lastIndexOf('@') + 1);
      await redis.hset(lastKey, field, last);
      await redis.hset(svc.key('sources'), source.name, JSON.stringify({ origin: m.source, at: new Date().toISOString() }));
    }
    await redis.hset(lastKey, field, range.head ?? head);
  }
  return result;
}
