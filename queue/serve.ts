// `kbot serve` and `kbot worker`: the pollers (serve only), the workers of the stages asked for, the HTTP
// endpoint (serve only), and a graceful stop on SIGTERM/SIGINT: pollers stop, workers finish the jobs they
// are running (a job they cannot finish goes back to the queue when its lock expires), connections close.
import type { KbotConfig } from '../config/schema.ts';
import { ConfigError } from '../config/config-error.ts';
import { createService, type Service } from './service.ts';
import { startWorkers, type Workers } from './workers.ts';
import { startHttp, type HttpEndpoint } from './http.ts';
import { pollPublicInbox } from './pollers/public-inbox.ts';
import { pollMaildir } from './pollers/maildir.ts';
import { scheduleTreeUpdates } from './jobs/tree-update.ts';
import { STAGES, type Stage } from './stages.ts';
import type { DnsResolver } from '../bot/commands/read-mail-command.ts';

export interface Running {
  svc: Service;
  http?: HttpEndpoint;
  workers: Workers;
  stop(): Promise<void>;
}

/** What the config must have for the service, said before anything starts. */
function checkServiceConfig(config: KbotConfig): void {
  const problems: string[] = [];
  const trees = new Set(config.trees.map((t) => t.name));
  if (config.sources.length > 0 && trees.size === 0) problems.push('trees: the service needs a tracked tree to apply series to');
  config.sources.forEach((s, i) => {
    if (s.tree !== undefined && !trees.has(s.tree)) problems.push(`sources[${i}].tree: no tree named ${s.tree} in trees`);
  });
  if (problems.length) throw new ConfigError(problems);
}

export async function startService(config: KbotConfig, opts: { stages?: readonly Stage[]; pollers?: boolean; http?: boolean; dkimResolver?: DnsResolver } = {}): Promise<Running> {
  checkServiceConfig(config);
  const svc = createService(config, opts.dkimResolver ? { dkimResolver: opts.dkimResolver } : {});
  const stages = opts.stages ?? STAGES;
  const workers = await startWorkers(svc, stages);
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  const polls = new Set<Promise<unknown>>();
  if (opts.pollers ?? true) {
    await scheduleTreeUpdates(svc);
    for (const source of config.sources) {
      const poll = source.type === 'maildir' ? pollMaildir : pollPublicInbox;
      let running = false;
      const tick = async () => {
        if (running || stopped) return;
        running = true;
        try {
          const r = await poll(svc, source);
          if (r.queued || r.duplicates || r.rejected) svc.log.info({ source: source.name, ...r }, 'poll');
        } catch (e) {
          svc.log.warn({ source: source.name, err: (e as Error).message }, 'poll failed; trying again at the next interval');
        } finally {
          running = false;
        }
      };
      const first = tick();
      polls.add(first);
      void first.finally(() => polls.delete(first));
      timers.push(setInterval(() => {
        const p = tick();
        polls.add(p);
        void p.finally(() => polls.delete(p));
      }, source.interval_seconds * 1000));
    }
  }
  const http = (opts.http ?? true) ? await startHttp(svc) : undefined;
  let stopping: Promise<void> | null = null;
  return {
    svc,
    workers,
    ...(http ? { http } : {}),
    stop() {
      stopping ??= (async () => {
        stopped = true;
        for (const t of timers) clearInterval(t);
        await Promise.allSettled([...polls]);
        await http?.close();
        await workers.close();
        await svc.close();
      })();
      return stopping;
    },
  };
}

/** Stops on SIGTERM or SIGINT; resolves when stopped. */
export function stopOnSignal(running: Running): Promise<void> {
  return new Promise((done) => {
    const onSignal = (sig: NodeJS.Signals) => {
      running.svc.log.info({ signal: sig }, 'stopping: running jobs finish first');
      running.stop().then(done, done);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
