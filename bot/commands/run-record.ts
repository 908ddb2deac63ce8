// What a review ran (pinned, so its result can be reproduced) and what it found, kept per series in Redis,
// so the next run of the series (a rerun, a new version) says what changed: new findings, fixed ones.
import type { Cluster, Redis } from 'ioredis';
import type { Finding } from '../../analyzers/types.ts';
import { findingId } from './finding-id.ts';

export interface RunPin {
  kbotVersion: string;
  /** The scenario instances the simulator ran. */
  scenarios: string[];
  configHash: string;
  tree: string;
  /** The series applied (what was analysed), and the base it was applied on. */
  commit: string;
  base: string;
}

export interface RunRecord {
  /** The run (a report job's id): recording it again (a retried job) changes nothing. */
  runId: string;
  pin: RunPin;
  seriesId: string;
  version: number;
  findings: Array<{ id: string; category: string; title: string }>;
  at: string;
}

export interface RunChanges {
  previous: RunPin;
  added: RunRecord['findings'];
  fixed: RunRecord['findings'];
}

export function recordOf(runId: string, pin: RunPin, seriesId: string, version: number, findings: Finding[], at: Date): RunRecord {
  return { runId, pin, seriesId, version, findings: findings.map((f) => ({ id: findingId(f), category: f.category, title: f.title })), at: at.toISOString() };
}

export function changesSince(previous: RunRecord, current: RunRecord): RunChanges {
  const before = new Set(previous.findings.map((f) => f.id));
  const now = new Set(current.findings.map((f) => f.id));
  return {
    previous: previous.pin,
    added: current.findings.filter((f) => !before.has(f.id)),
    fixed: previous.findings.filter((f) => !now.has(f.id)),
  };
}

/** The last run of each series and the one before it, under <prefix>run:<series key>. */
export class RunHistory {
  constructor(private readonly redis: Redis | Cluster, private readonly prefix: string) {}

  async last(seriesKey: string): Promise<RunRecord | null> {
    const raw = await this.redis.hget(`${this.prefix}run:${seriesKey}`, 'current');
    return raw ? (JSON.parse(raw) as RunRecord) : null;
  }

  /**
   * Stores this run and returns what changed since the one before it (null for the series' first run). The
   * same run recorded twice (a retried job) is compared with the run before it again, not with itself.
   */
  async record(seriesKey: string, run: RunRecord): Promise<RunChanges | null> {
    const key = `${this.prefix}run:${seriesKey}`;
    const [cur, prev] = await this.redis.hmget(key, 'current', 'previous');
    const current = cur ? (JSON.parse(cur) as RunRecord) : null;
    if (current?.runId === run.runId) return prev ? changesSince(JSON.parse(prev) as RunRecord, run) : null;
    await this.redis.hset(key, 'current', JSON.stringify(run), ...(cur ? ['previous', cur] : []));
    return current ? changesSince(current, run) : null;
  }
}
