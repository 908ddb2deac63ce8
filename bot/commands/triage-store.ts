// Maintainers' triage, kept in Redis per series (seriesKey: the same author and title, so it holds for the
// series' later versions too): finding ids marked invalid and categories ignored. A review takes these
// findings out of what it reports and says so.
import type { Cluster, Redis } from 'ioredis';
import type { Finding } from '../../analyzers/types.ts';
import { findingId } from './finding-id.ts';

export interface TriageEntry {
  kind: 'invalid' | 'ignore';
  /** The finding id or the category. */
  what: string;
  /** Who decided (a mail address or a GitHub login) and where (the command's Message-ID or comment URL). */
  by: string;
  via: string;
  at: string;
}

export class TriageStore {
  constructor(private readonly redis: Redis | Cluster, private readonly prefix: string) {}

  private key(seriesKey: string): string {
    return `${this.prefix}triage:${seriesKey}`;
  }

  /** Records a decision; a second identical one keeps the first (who and when it was made). */
  async add(seriesKey: string, entry: TriageEntry): Promise<boolean> {
    return (await this.redis.hsetnx(this.key(seriesKey), `${entry.kind}:${entry.what}`, JSON.stringify(entry))) === 1;
  }

  async list(seriesKey: string): Promise<TriageEntry[]> {
    const all = await this.redis.hgetall(this.key(seriesKey));
    return Object.values(all).map((v) => JSON.parse(v) as TriageEntry).sort((a, b) => a.at.localeCompare(b.at));
  }

  /** The findings to report, and those triage leaves out with the decision that does. */
  async apply(seriesKey: string, findings: Finding[]): Promise<{ kept: Finding[]; suppressed: Array<{ finding: Finding; why: string }> }> {
    return applyTriage(await this.list(seriesKey), findings);
  }
}

export function applyTriage(entries: TriageEntry[], findings: Finding[]): { kept: Finding[]; suppressed: Array<{ finding: Finding; why: string }> } {
  const kept: Finding[] = [];
  const suppressed: Array<{ finding: Finding; why: string }> = [];
  for (const f of findings) {
    const id = findingId(f);
    const e = entries.find((x) => (x.kind === 'invalid' && x.what === id) || (x.kind === 'ignore' && x.what === f.category));
    if (!e) kept.push(f);
    else suppressed.push({ finding: f, why: e.kind === 'invalid' ? `marked invalid by ${e.by} on ${e.at.slice(0, 10)}` : `category ${e.what} ignored by ${e.by} on ${e.at.slice(0, 10)}` });
  }
  return { kept, suppressed };
}
