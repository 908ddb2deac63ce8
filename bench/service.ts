// Section 4 of the bench: the queue service. A synthetic public-inbox archive of N series (default 500), each
// a copy of an example series under new Message-IDs: four in five are no-refcount.mbox (a cover letter and two
// patches that apply and give the simulator nothing to check: no reply), one in five does-not-apply.mbox (one
// patch; its reply says so). `kbot serve --stage none` polls the archive; 1 or 2 `kbot worker` processes run
// every stage; replies go to an outbox directory. Measured: messages per second (from the service's start to
// the last verdict), and the latency from a series' last message being queued (ingest) to its verdict
// (the report job done) and to its reply being written (sent).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { buildExampleTree } from '../examples/build-tree.ts';
import { exampleMessages } from '../test/support/example-mail.ts';
import { dropKeys } from '../test/support/service.ts';

export interface ServiceRow {
  workers: number;
  series: number;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  verdict: { p50: number; p95: number };
  reply: { p50: number; p95: number; n: number };
}

const REDIS = process.env.KBOT_BENCH_REDIS ?? 'redis://127.0.0.1:6379';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
}

/** The archive as one git fast-import stream: one commit per message, the message as the blob "m". */
async function buildArchive(dir: string, messages: string[]): Promise<void> {
  const epoch = join(dir, 'git', '0.git');
  await mkdir(epoch, { recursive: true });
  await run('git', ['init', '-q', '--bare', '--initial-branch=master', epoch]);
  const parts: string[] = [];
  messages.forEach((m, i) => {
    const data = Buffer.from(m);
    parts.push(`commit refs/heads/master\ncommitter bench <bench@example.org> ${1500000000 + i} +0000\ndata 7\nmessage\n${i ? '' : ''}M 100644 inline m\ndata ${data.length}\n${m}\n`);
  });
  await run('git', ['fast-import', '--quiet'], epoch, parts.join(''));
}

function run(cmd: string, args: string[], cwd?: string, input?: string): Promise<void> {
  return new Promise((ok, fail) => {
    const c = spawn(cmd, args, { cwd, stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
    let err = '';
    c.stderr.on('data', (b) => (err += b));
    c.on('close', (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(' ')}: ${err}`))));
    c.stdin.end(input ?? '');
  });
}

function syntheticSeries(n: number): { messages: string[]; replies: number } {
  const clean = exampleMessages('no-refcount').map((m) => m.text);
  const broken = exampleMessages('does-not-apply').map((m) => m.text);
  const messages: string[] = [];
  let replies = 0;
  for (let k = 0; k < n; k++) {
    const src = k % 5 === 0 ? broken : clean;
    if (k % 5 === 0) replies++;
    // Every Message-ID (and the In-Reply-To/References that name them) made unique to this copy.
    for (const text of src) messages.push(text.replace(/<([^<>@\s]+)@([^<>\s]+)>/g, (_m, local: string, host: string) => `<bench${k}.${local}@${host}>`));
  }
  return { messages, replies };
}

export async function serviceBench(kbotBin: string, work: string, seriesCount: number, workerCounts: number[], say: (s?: string) => void): Promise<ServiceRow[]> {
  const tree = await buildExampleTree('v4.12-style', join(work, 'svc-linux'));
  const { messages, replies } = syntheticSeries(seriesCount);
  const rows: ServiceRow[] = [];
  for (const workers of workerCounts) {
    const dir = join(work, `svc-${workers}`);
    await mkdir(dir, { recursive: true });
    await buildArchive(join(dir, 'inbox'), messages);
    const prefix = `kbot-bench-${randomBytes(5).toString('hex')}`;
    const config = join(dir, 'kbot.yaml');
    await writeFile(config, stringify({
      work_dir: join(dir, 'work'),
      redis: { url: REDIS, prefix },
      trees: [{ name: 'linux', path: tree.path, fetch_interval_seconds: 0 }],
      sources: [{ name: 'bench', type: 'public-inbox', url: join(dir, 'inbox'), interval_seconds: 1, start: 'beginning' }],
      service: { http_port: 0, series_wait_seconds: 3600 },
    }));
    const procs: ChildProcess[] = [];
    const start = (args: string[]) => {
      const p = spawn(process.execPath, [kbotBin, ...args, '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
      procs.push(p);
    };
    const conn = new Redis(REDIS, { maxRetriesPerRequest: null });
    const report = new Queue('report', { connection: conn, prefix });
    const send = new Queue('send', { connection: conn, prefix });
    const t0 = Date.now();
    try {
      for (let i = 0; i < workers; i++) start(['worker', '--stage', 'ingest,series,apply,analyze,analyzer,report,send']);
      start(['serve', '--stage', 'none']);
      // Polled twice a second: a benchmark may watch the clock.
      for (;;) {
        const [r, s] = await Promise.all([report.getJobCounts('completed', 'failed'), send.getJobCounts('completed', 'failed')]);
        if ((r.completed ?? 0) + (r.failed ?? 0) >= seriesCount && (s.completed ?? 0) + (s.failed ?? 0) >= replies) break;
        if (procs.some((p) => p.exitCode !== null)) throw new Error('a kbot process exited during the service bench');
        await new Promise((ok) => setTimeout(ok, 500));
      }
      const reports = await report.getJobs(['completed'], 0, -1);
      const seconds = (Math.max(...reports.map((j) => j.finishedOn ?? 0)) - t0) / 1000;
      const verdict: number[] = [];
      for (const j of reports) {
        const { createHash } = await import('node:crypto');
        const h = createHash('sha256').update(`${j.data.tree}\n${j.data.bucket}`).digest('hex').slice(0, 32);
        const queued = Number(await conn.hget(`${prefix}:kbot:series:${h}:state`, 'lastQueuedAt'));
        verdict.push((j.finishedOn ?? 0) - queued);
      }
      const reply: number[] = [];
      for (const key of await conn.smembers(`${prefix}:kbot:outbox`)) {
        const h = await conn.hgetall(key);
        for (const [k, v] of Object.entries(h)) if (k.startsWith('sentAt:')) reply.push(Number(v) - Number(h.queuedAt));
      }
      const row: ServiceRow = {
        workers, series: seriesCount, messages: messages.length, seconds,
        messagesPerSecond: messages.length / seconds,
        verdict: { p50: pct(verdict, 50), p95: pct(verdict, 95) },
        reply: { p50: pct(reply, 50), p95: pct(reply, 95), n: reply.length },
      };
      rows.push(row);
      say(`   ${workers} worker process(es): ${messages.length} messages in ${seconds.toFixed(1)} s`);
    } finally {
      for (const p of procs) p.kill('SIGTERM');
      await Promise.all(procs.map((p) => (p.exitCode !== null ? null : new Promise((ok) => p.once('exit', ok)))));
      await report.close();
      await send.close();
      conn.disconnect();
      await dropKeys(REDIS, prefix);
    }
  }
  return rows;
}
