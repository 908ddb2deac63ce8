// The Redis connection every queue, worker and poller shares, from the config's `redis` keys. BullMQ wants
// maxRetriesPerRequest: null on a worker's connection: a command waits for Redis to come back instead of
// failing the job, so a Redis restart costs time, never work.
import { Cluster, Redis } from 'ioredis';
import type { KbotConfig } from '../config/schema.ts';

export type RedisClient = Redis | Cluster;

export interface Connection {
  redis: RedisClient;
  /** The key prefix of every key: BullMQ's queues are `<prefix>:<queue>:...`, kbot's own `<prefix>:kbot:...`. */
  prefix: string;
  close(): Promise<void>;
}

/** One connection (ioredis), closed once however often close() is called. */
export function connect(config: Pick<KbotConfig, 'redis'>, opts: { lazy?: boolean } = {}): Connection {
  const common = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: opts.lazy ?? false,
    // Reconnect for ever, at most every 2 s: a Redis that restarts is waited for.
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
  const { url, prefix, cluster_nodes } = config.redis;
  const redis: RedisClient = cluster_nodes.length > 0
    ? new Cluster(cluster_nodes.map((u) => {
        const p = new URL(u);
        return { host: p.hostname, port: Number(p.port || 6379) };
      }), { redisOptions: common, clusterRetryStrategy: common.retryStrategy })
    : new Redis(url, common);
  // ioredis reports connection trouble as 'error' events; without a listener node would crash on them. The
  // service logs its own view of Redis (health endpoint, job failures).
  redis.on('error', () => {});
  let closing: Promise<void> | null = null;
  return {
    redis,
    prefix,
    close() {
      closing ??= redis.quit().then(() => undefined, () => redis.disconnect());
      return closing;
    },
  };
}

/** A key of kbot's own state, under the same prefix (and so the same cluster slot) as BullMQ's. */
export function kbotKey(prefix: string, ...parts: string[]): string {
  return [prefix, 'kbot', ...parts].join(':');
}
