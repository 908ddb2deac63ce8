// The workers of one process: one BullMQ Worker per stage asked for (all of them for `kbot serve`, some for
// `kbot worker --stage`), each calling its job file's handler with the service. Send workers run one per list
// queue, each with the list's rate limit as its limiter.
import { Worker, type Job, type Processor } from 'bullmq';
import type { Service } from './service.ts';
import { sendQueueName, type Stage } from './stages.ts';
import { processIngest } from './jobs/ingest.ts';
import { processSeries } from './jobs/series.ts';
import { processApply } from './jobs/apply.ts';
import { processAnalyze } from './jobs/analyze.ts';
import { processAnalyzer } from './jobs/analyzer.ts';
import { processReport } from './jobs/report.ts';
import { processSend } from './jobs/send.ts';
import { processTreeUpdate } from './jobs/tree-update.ts';
import { processCommand } from './jobs/command.ts';
import { pruneStalePool } from './tree-pool.ts';

const HANDLERS: Record<Stage, (job: Job, svc: Service) => Promise<unknown>> = {
  ingest: processIngest,
  series: processSeries,
  apply: processApply,
  analyze: processAnalyze,
  analyzer: processAnalyzer,
  report: processReport,
  send: processSend,
  'tree-update': processTreeUpdate,
  command: processCommand,
};

export interface Workers {
  workers: Worker[];
  /** Stops taking jobs and waits for the running ones to finish (SIGTERM). */
  close(): Promise<void>;
}

export async function startWorkers(svc: Service, stages: readonly Stage[]): Promise<Workers> {
  const s = svc.config.service;
  if (stages.includes('apply')) {
    const removed = await pruneStalePool(svc.config.work_dir, svc.config.trees);
    if (removed.length) svc.log.info({ removed }, 'removed scratch directories of workers that are gone');
  }
  const workers: Worker[] = [];
  const make = (queue: string, stage: Stage, limiter?: { max: number; duration: number }) => {
    const processor: Processor = async (job) => {
      const t0 = Date.now();
      svc.log.debug({ queue, job: job.id, attempt: job.attemptsMade + 1 }, 'job started');
      const result = await HANDLERS[stage](job, svc);
      svc.log.info({ queue, job: job.id, ms: Date.now() - t0 }, 'job done');
      return result;
    };
    const w = new Worker(queue, processor, {
      connection: svc.conn.redis,
      prefix: svc.conn.prefix,
      concurrency: s.concurrency[stage],
      lockDuration: s.lock_seconds * 1000,
      stalledInterval: Math.max(1000, (s.lock_seconds * 1000) / 2),
      ...(limiter ? { limiter } : {}),
    });
    w.on('failed', (job, err) => svc.log.warn({ queue, job: job?.id, attempt: job?.attemptsMade, err: err.message, permanent: err.name === 'UnrecoverableError' }, 'job failed'));
    w.on('error', (err) => svc.log.warn({ queue, err: err.message }, 'worker error'));
    workers.push(w);
  };
  for (const stage of stages) {
    if (stage !== 'send') {
      make(stage, stage);
      continue;
    }
    make(sendQueueName(null), 'send');
    for (const l of svc.config.lists) make(sendQueueName(l.address), 'send', { max: l.rate_limit.max, duration: l.rate_limit.per_seconds * 1000 });
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  svc.log.info({ stages }, 'workers started');
  let closing: Promise<void> | null = null;
  return {
    workers,
    close() {
      closing ??= Promise.all(workers.map((w) => w.close())).then(() => undefined);
      return closing;
    },
  };
}
