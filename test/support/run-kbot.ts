// Runs the real CLI (`node bin/kbot.js ...`) as a child process, the way a user does, and collects what the
// user sees: exit code, stdout, stderr.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');
export const kbotBin = join(projectRoot, 'bin', 'kbot.js');

export interface KbotRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runKbot(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string | Buffer } = {}): Promise<KbotRun> {
  return new Promise((resolve, reject) => {
    // The user's git config must not change what kbot does (hooks, signing, default branch).
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...opts.env };
    const child = spawn(process.execPath, [kbotBin, ...args], { cwd: opts.cwd ?? projectRoot, env, stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** `kbot review ... --json`, parsed; fails loudly with stderr when the run did not exit 0 or printed no JSON. */
export async function reviewJson(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string | Buffer } = {}): Promise<{ run: KbotRun; json: JsonReport }> {
  const run = await runKbot(['review', ...args, '--json'], opts);
  if (run.code !== 0) throw new Error(`kbot review exited ${run.code}\nstderr:\n${run.stderr}\nstdout:\n${run.stdout.slice(0, 4000)}`);
  let json: JsonReport;
  try {
    json = JSON.parse(run.stdout) as JsonReport;
  } catch (e) {
    throw new Error(`kbot review --json printed no JSON (${(e as Error).message}):\n${run.stdout.slice(0, 4000)}\nstderr:\n${run.stderr}`);
  }
  return { run, json };
}

// The JSON contract as a user reads it: declared here (not imported from bot/) so that a change in the
// contract breaks these tests instead of silently changing what they check.
export interface JsonTraceStep {
  cpu: string;
  actor?: string;
  func: string;
  file: string;
  line: number;
  op: string;
  refcount: Record<string, number>;
  via?: string[];
  freeList?: string[];
  pageState?: Record<string, string>;
}

export interface JsonFinding {
  analyzer: string;
  category: string;
  severity: 'error' | 'warning' | 'info';
  confidence?: 'high' | 'medium' | 'low';
  title: string;
  detail?: string;
  patch: string | null;
  files: string[];
  hunk?: string[];
  trace?: JsonTraceStep[];
  scenario?: string;
  suggestion?: string[];
}

export interface JsonReply {
  messageId: string;
  from: string;
  date: string;
  inReplyTo: string;
  references: string[];
  subject: string;
  to: string[];
  cc: string[];
  body: string;
}

export interface JsonSeries {
  id: string;
  subject: string;
  version: number;
  total: number;
  messages: string[];
  superseded: boolean;
  supersededBy?: string;
  incomplete: string | null;
  base: { commit: string; source: 'base-commit' | 'cli' | 'subject-branch' | 'head'; why: string } | null;
  apply: { status: 'applied' | 'failed' | 'refused' | 'skipped'; patch?: string; file?: string; hunk?: string; detail?: string };
  verdict: 'findings' | 'clean' | 'failed' | 'refused' | 'skipped';
  summary: string;
  counts: { error: number; warning: number; info: number };
  findings: JsonFinding[];
  coverage: Array<{ analyzer: string; status: 'ran' | 'skipped' | 'failed'; checked: string; findings: number; limits?: string[] }>;
  notes: string[];
  replies: JsonReply[];
}

export interface JsonReport {
  schema: number;
  kbot: { version: string };
  config: string | null;
  tree: { path: string; head: string };
  series: JsonSeries[];
  rejected: Array<{ messageId: string | null; source: string; reason: string }>;
}

/** The series whose subject contains `text`; fails naming the subjects there are. */
export function seriesBySubject(json: JsonReport, text: string): JsonSeries {
  const found = json.series.filter((s) => s.subject.includes(text));
  if (found.length !== 1) {
    throw new Error(`expected one series with "${text}" in its subject, found ${found.length}: ${json.series.map((s) => s.subject).join(' | ')}`);
  }
  return found[0];
}
