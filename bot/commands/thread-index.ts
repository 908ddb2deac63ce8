// Which series a thread is about, so a command there names no series: a kbot report's Message-ID (mail) or a
// pull request or issue kbot commented on (GitHub) → the series key, id and tree. Written by the report
// stage, read when a command arrives.
import type { Cluster, Redis } from 'ioredis';

export interface ThreadSeries {
  seriesKey: string;
  seriesId: string;
  title: string;
  /** The tracked tree the report was made on (a trees: name, or kbot review's --tree path). */
  tree?: string;
  /** The service's thread of the series (queue/jobs/series.ts), from which a rerun assembles it again. */
  bucket?: string;
  version?: number;
}

/** A thread's message, as the index knows it: one of kbot's reports, or a patch of the series. */
export type MailThreadHit = ThreadSeries & { kind: 'report' | 'patch' };

export class ThreadIndex {
  constructor(private readonly redis: Redis | Cluster, private readonly prefix: string) {}

  /** kbot's reports (their Message-IDs) and the series' own messages are about this series. */
  async rememberMail(reports: string[], patches: string[], s: ThreadSeries): Promise<void> {
    const m = this.redis.multi();
    for (const id of patches) m.set(`${this.prefix}thread:mail:${id.replace(/[\s<>]/g, '')}`, JSON.stringify({ ...s, kind: 'patch' }));
    for (const id of reports) m.set(`${this.prefix}thread:mail:${id.replace(/[\s<>]/g, '')}`, JSON.stringify({ ...s, kind: 'report' }));
    await m.exec();
  }

  /** What kbot knows of `messageIds` (a mail's In-Reply-To, then its References, nearest first): a report of its before a patch. */
  async seriesOfMail(messageIds: string[]): Promise<MailThreadHit | null> {
    let patch: MailThreadHit | null = null;
    for (const id of messageIds) {
      const raw = await this.redis.get(`${this.prefix}thread:mail:${id.replace(/[\s<>]/g, '')}`);
      if (!raw) continue;
      const hit = JSON.parse(raw) as MailThreadHit;
      if (hit.kind === 'report') return hit;
      patch ??= hit;
    }
    return patch;
  }

  /** kbot commented on this pull request or issue about this series (a tracking issue gathers several). */
  async rememberGithub(repo: string, number: number, s: ThreadSeries): Promise<void> {
    await this.redis.hset(`${this.prefix}thread:github:${repo}#${number}`, s.seriesKey, JSON.stringify(s));
  }

  async seriesOfGithub(repo: string, number: number): Promise<ThreadSeries[]> {
    const all = await this.redis.hgetall(`${this.prefix}thread:github:${repo}#${number}`);
    return Object.values(all).map((v) => JSON.parse(v) as ThreadSeries);
  }
}
