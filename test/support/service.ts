// What the service tests run against: a random Redis key prefix per test (its keys removed after), a
// public-inbox v2 archive and a Maildir built in temp dirs, a real SMTP server on loopback, private
// redis-server processes, and `kbot serve` / `kbot worker` as child processes whose JSON log lines a test
// waits on.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';
import { stringify } from 'yaml';
import { git } from './workspace.ts';
import { kbotBin, projectRoot } from './run-kbot.ts';

export function randomPrefix(): string {
  return `kbot-test-${randomBytes(6).toString('hex')}`;
}

/** Deletes every key under `prefix` (SCAN, so a shared Redis is never blocked). */
export async function dropKeys(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** A v2 public-inbox archive (git/0.git, bare), to which messages are appended one commit each. */
export class PublicInbox {
  readonly epoch: string;
  private n = 0;
  constructor(readonly dir: string) {
    this.epoch = join(dir, 'git', '0.git');
  }
  static async create(dir: string): Promise<PublicInbox> {
    const inbox = new PublicInbox(dir);
    await mkdir(inbox.epoch, { recursive: true });
    await git(inbox.epoch, ['init', '-q', '--bare', '--initial-branch=master']);
    return inbox;
  }
  /** Commits the message as the blob "m" at the tree's root, as public-inbox does. */
  async add(text: string): Promise<void> {
    const tmp = join(this.dir, `msg-${this.n++}`);
    await writeFile(tmp, text);
    const blob = await git(this.epoch, ['hash-object', '-w', tmp]);
    const tree = await gitInput(this.epoch, ['mktree'], `100644 blob ${blob}\tm\n`);
    const parent = await git(this.epoch, ['rev-parse', '-q', '--verify', 'refs/heads/master']).catch(() => '');
    const commit = await gitInput(this.epoch, ['commit-tree', tree, ...(parent ? ['-p', parent] : [])], 'message\n');
    await git(this.epoch, ['update-ref', 'refs/heads/master', commit]);
    await rm(tmp);
  }
}

function gitInput(cwd: string, args: string[], input: string): Promise<string> {
  return new Promise((ok, fail) => {
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'pi', GIT_AUTHOR_EMAIL: 'pi@example.org', GIT_COMMITTER_NAME: 'pi', GIT_COMMITTER_EMAIL: 'pi@example.org' };
    const c = spawn('git', args, { cwd, env });
    let out = '';
    let err = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (err += b));
    c.on('close', (code) => (code === 0 ? ok(out.trim()) : fail(new Error(`git ${args.join(' ')}: ${err}`))));
    c.stdin.end(input);
  });
}

let delivered = 0;
/** Delivers a message into a Maildir's new/ as a mail delivery agent does (tmp/ then rename). */
export async function deliver(maildir: string, text: string): Promise<void> {
  for (const d of ['new', 'cur', 'tmp']) await mkdir(join(maildir, d), { recursive: true });
  const name = `${Date.now()}.${process.pid}_${delivered++}.test`;
  await writeFile(join(maildir, 'tmp', name), text);
  const { rename } = await import('node:fs/promises');
  await rename(join(maildir, 'tmp', name), join(maildir, 'new', name));
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/**
 * An SMTP server on a loopback port that keeps what it receives. `hold` keeps the server from answering the end
 * of a message's DATA until the promise it returns resolves (a test kills the sender meanwhile).
 */
export async function startSmtp(opts: { hold?: (mail: Mail) => Promise<void> } = {}) {
  const received: Mail[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') };
        received.push(mail);
        for (const w of waiters.splice(0)) w();
        if (opts.hold) opts.hold(mail).then(() => callback(), () => callback());
        else callback();
      });
    },
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    /** Resolves once `n` messages have arrived. */
    async waitFor(n: number): Promise<void> {
      while (received.length < n) await new Promise<void>((ok) => waiters.push(ok));
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', () => ok()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

/** A redis-server of the test's own on a loopback port, with an append-only file fsynced on every write. */
export class PrivateRedis {
  proc: ChildProcess | null = null;
  constructor(readonly port: number, readonly dir: string, readonly extra: string[] = []) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const p = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', ...this.extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    await new Promise<void>((ok, fail) => {
      let out = '';
      const onData = (b: Buffer) => {
        out += b.toString();
        if (/Ready to accept connections/.test(out)) {
          p.stdout!.off('data', onData);
          p.stdout!.resume();
          ok();
        }
      };
      p.stdout!.on('data', onData);
      p.once('exit', (code) => fail(new Error(`redis-server exited ${code}: ${out}`)));
    });
  }
  /** SIGTERM: Redis finishes its writes and exits. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((ok) => {
      p.once('exit', () => ok());
      p.kill('SIGTERM');
    });
    this.proc = null;
  }
}

export interface LogLine {
  msg: string;
  [k: string]: unknown;
}

/** `kbot <args>` as a child process; its JSON log lines are kept and can be waited on. */
export class KbotProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  private waiters: Array<() => void> = [];
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.proc = spawn(process.execPath, [kbotBin, ...args], { cwd: projectRoot, env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: line });
        }
        for (const w of this.waiters.splice(0)) w();
      }
    });
    this.proc.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.exited = new Promise((ok) => this.proc.once('exit', (code) => {
      for (const w of this.waiters.splice(0)) w();
      ok(code);
    }));
  }
  /** The first log line (from `from` on) that matches; fails when the process exits first. */
  async waitFor(pred: (l: LogLine) => boolean, from = 0): Promise<LogLine> {
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`kbot exited (${this.proc.exitCode ?? this.proc.signalCode}) before the line awaited\nstderr: ${this.stderr}\nlog: ${this.lines.slice(-20).map((l) => JSON.stringify(l)).join('\n')}`);
      }
      await new Promise<void>((ok) => this.waiters.push(ok));
    }
  }
  kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}

/**
 * Resolves once no queue under the prefix has work waiting, running, or waiting for children (delayed jobs,
 * such as the wait for missing parts, do not count): polled through BullMQ's own counts.
 */
export async function settled(url: string, prefix: string, queues: string[]): Promise<void> {
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  const qs = queues.map((n) => new Queue(n, { connection: conn, prefix }));
  try {
    let quiet = 0;
    // Two quiet reads in a row, 200 ms apart: a job moving between queues is never missed.
    while (quiet < 2) {
      const counts = await Promise.all(qs.map((q) => q.getJobCounts('waiting', 'active', 'waiting-children', 'prioritized')));
      const busy = counts.some((c) => Object.values(c).some((n) => n > 0));
      quiet = busy ? 0 : quiet + 1;
      await new Promise((ok) => setTimeout(ok, 200));
    }
  } finally {
    await Promise.all(qs.map((q) => q.close()));
    conn.disconnect();
  }
}

export const ALL_QUEUES = ['ingest', 'series', 'apply', 'analyze', 'analyzer', 'report', 'send', 'tree-update'];

/** A scratch dir with a kbot config for the service; `extra` is merged over the defaults given here. */
export async function serviceConfig(root: string, c: { tree: string; prefix: string; redisUrl?: string; smtpPort?: number; sources: unknown[]; service?: Record<string, unknown>; extra?: Record<string, unknown> }): Promise<string> {
  const file = join(root, `kbot-${randomBytes(3).toString('hex')}.yaml`);
  await writeFile(file, stringify({
    work_dir: join(root, 'work'),
    redis: { url: c.redisUrl ?? 'redis://127.0.0.1:6379', prefix: c.prefix },
    trees: [{ name: 'linux', path: c.tree, fetch_interval_seconds: 0 }],
    sources: c.sources,
    ...(c.smtpPort ? { smtp: { host: '127.0.0.1', port: c.smtpPort } } : {}),
    service: { http_port: 0, lock_seconds: 2, backoff_seconds: 0.5, series_wait_seconds: 3600, ...c.service },
    ...c.extra,
  }));
  return file;
}

export async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'kbot-serve-'));
}
