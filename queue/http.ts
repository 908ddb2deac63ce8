// The service's HTTP endpoint: /healthz (Redis answers: 200, else 503), /metrics (job counts per queue and state,
// Prometheus text format) and the BullMQ dashboard (bull-board) at /admin/queues, which needs the token from the
// environment variable service.admin_token_env (as `Authorization: Bearer <token>`, or `?token=` once, which
// sets a cookie). Without a token set, the dashboard answers 403 and says why.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Service } from './service.ts';
import { githubWebhookHandler } from '../bot/github/webhook-server.ts';
import { enqueueCommand } from './jobs/command.ts';

export interface HttpEndpoint {
  port: number;
  close(): Promise<void>;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function metricsText(svc: Service): Promise<string> {
  const lines = ['# HELP kbot_jobs Jobs per queue and state.', '# TYPE kbot_jobs gauge'];
  for (const name of svc.queueNames()) {
    const counts = await svc.queue(name).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'waiting-children', 'prioritized');
    for (const [state, n] of Object.entries(counts)) lines.push(`kbot_jobs{queue="${name}",state="${state}"} ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function startHttp(svc: Service, env: NodeJS.ProcessEnv = process.env): Promise<HttpEndpoint> {
  const s = svc.config.service;
  const token = env[s.admin_token_env];
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', async (_req, res) => {
    try {
      await svc.conn.redis.ping();
      res.type('text/plain').send('ok\n');
    } catch (e) {
      res.status(503).type('text/plain').send(`redis: ${(e as Error).message}\n`);
    }
  });
  app.get('/metrics', async (_req, res) => {
    try {
      res.type('text/plain; version=0.0.4').send(await metricsText(svc));
    } catch (e) {
      res.status(503).type('text/plain').send(`redis: ${(e as Error).message}\n`);
    }
  });
  // GitHub's webhooks (issue_comment): verified in the request, carried out as command jobs.
  const gh = svc.config.github;
  if (gh?.webhook_secret) {
    const webhook = githubWebhookHandler({
      github: gh,
      log: (line) => svc.log.info(line),
      dispatch: (delivery, event) => enqueueCommand(svc, { kind: 'github', delivery, event: { ...event } }, `github:${event.repository.full_name}:${event.comment.id}`),
    });
    app.post('/github/webhook', (req, res) => {
      webhook(req, res).catch((e) => {
        svc.log.warn({ err: (e as Error).message }, 'github webhook');
        if (!res.headersSent) res.status(500).end();
      });
    });
  } else if (gh) svc.log.info(`no GitHub webhook endpoint: ${gh.webhook_secret_env} is not set`);
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({ queues: svc.queueNames().map((n) => new BullMQAdapter(svc.queue(n))), serverAdapter: board });
  app.use('/admin/queues', (req, res, next) => {
    if (!token) {
      res.status(403).type('text/plain').send(`the dashboard is off: set ${s.admin_token_env} to a token\n`);
      return;
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const cookie = /(?:^|;\s*)kbot_admin=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const query = typeof req.query.token === 'string' ? req.query.token : undefined;
    const given = bearer ?? (cookie ? decodeURIComponent(cookie) : undefined) ?? query;
    if (!given || !sameToken(given, token)) {
      res.status(401).type('text/plain').send('a token is needed (Authorization: Bearer <token>, or ?token=)\n');
      return;
    }
    if (query) res.cookie('kbot_admin', query, { httpOnly: true, sameSite: 'strict', path: '/admin/queues' });
    next();
  }, board.getRouter());
  const server: Server = await new Promise((ok, fail) => {
    const srv = app.listen(s.http_port, s.http_host, () => ok(srv));
    srv.once('error', fail);
  });
  const port = (server.address() as AddressInfo).port;
  svc.log.info({ url: `http://${s.http_host}:${port}/`, dashboard: token ? '/admin/queues' : `off (no ${s.admin_token_env})` }, 'http endpoint listening');
  return {
    port,
    close: () => new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}
