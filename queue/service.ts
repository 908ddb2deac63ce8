// What every job handler gets: the config, the Redis connection, the queues it hands work on to, a logger and
// the analyzers. One per process; close() is idempotent.
import { createHash } from 'node:crypto';
import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import { pino, type Logger } from 'pino';
import type { Analyzer } from '../analyzers/types.ts';
import type { KbotConfig, TreeConfig } from '../config/schema.ts';
import { connect, kbotKey, type Connection } from './connection.ts';
import { sendQueueName, STAGES, type Stage } from './stages.ts';
import type { DnsResolver } from '../bot/commands/read-mail-command.ts';

export interface Service {
  config: KbotConfig;
  conn: Connection;
  log: Logger;
  /** A queue by name (a stage, or a list's send queue), made on first use. */
  queue(name: string): Queue;
  flow: FlowProducer;
  /** kbot's own keys: `<prefix>:kbot:<parts>`. */
  key(...parts: string[]): string;
  /** Default options of every job added: retries with exponential backoff, finished jobs kept for a while. */
  jobOptions(extra?: JobsOptions): JobsOptions;
  analyzers(): Promise<Analyzer[]>;
  tree(name?: string): TreeConfig;
  /** Every queue's name: the stages and each list's send queue. */
  queueNames(): string[];
  close(): Promise<void>;
  /** The DNS lookup that checks command mail's DKIM keys (node's resolver when unset; tests give their own). */
  dkimResolver?: DnsResolver;
}

export function createService(config: KbotConfig, opts: { log?: Logger; conn?: Connection; dkimResolver?: DnsResolver } = {}): Service {
  const conn = opts.conn ?? connect(config);
  const log = opts.log ?? pino({ level: config.service.log_level, base: { pid: process.pid } });
  const queues = new Map<string, Queue>();
  const flow = new FlowProducer({ connection: conn.redis, prefix: conn.prefix });
  let analyzers: Promise<Analyzer[]> | null = null;
  let closing: Promise<void> | null = null;
  const svc: Service = {
    config,
    conn,
    log,
    flow,
    ...(opts.dkimResolver ? { dkimResolver: opts.dkimResolver } : {}),
    queue(name) {
      let q = queues.get(name);
      if (!q) {
        q = new Queue(name, { connection: conn.redis, prefix: conn.prefix });
        q.on('error', (e) => log.warn({ queue: name, err: e.message }, 'queue error'));
        queues.set(name, q);
      }
      return q;
    },
    key: (...parts) => kbotKey(conn.prefix, ...parts),
    jobOptions(extra = {}) {
      const s = config.service;
      return {
        attempts: s.attempts,
        backoff: { type: 'exponential', delay: s.backoff_seconds * 1000 },
        removeOnComplete: { age: s.keep_days * 86400 },
        removeOnFail: false,
        ...extra,
      };
    },
    analyzers() {
      analyzers ??= (async () => {
        const [{ loadScenarios }, { refcountSimAnalyzer }, { kconfigFor, simOptions }, { sideAnalyzers }] = await Promise.all([
          import('../bot/load-scenarios.ts'), import('../analyzers/refcount-sim.ts'), import('../bot/sim-options.ts'), import('../bot/side-analyzers.ts'),
        ]);
        const kc = await kconfigFor(config);
        // The analyzers kbot review runs, in its order (bot/cli.ts): the same series gets the same findings.
        return [refcountSimAnalyzer({ scenarios: await loadScenarios(), sim: simOptions(config, { kconfig: kc.kconfig }) }), ...(await sideAnalyzers(config, kc))];
      })();
      return analyzers;
    },
    tree(name) {
      const t = name === undefined ? config.trees[0] : config.trees.find((x) => x.name === name);
      if (!t) throw new Error(name === undefined ? 'no tracked tree configured (trees:)' : `no tracked tree named ${name} (trees:)`);
      return t;
    },
    queueNames() {
      return [...STAGES, ...config.lists.map((l) => sendQueueName(l.address))];
    },
    close() {
      closing ??= (async () => {
        await Promise.allSettled([...queues.values()].map((q) => q.close()));
        await flow.close().catch(() => {});
        if (!opts.conn) await conn.close();
      })();
      return closing;
    },
  };
  return svc;
}

/** A BullMQ job id from anything: ids may not contain ':' and should stay short. */
export function jobId(kind: Stage | string, ...parts: string[]): string {
  return `${kind}-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)}`;
}
