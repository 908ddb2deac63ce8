// Run one git command and collect its output. Never throws for a non-zero exit: callers decide which exit
// codes are errors (git grep exits 1 for "no match", git cat-file -e exits 1 for "no such object").
import { spawn } from 'node:child_process';

export interface GitRun {
  /** Exit code; -1 when git could not be started at all. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitRunOptions {
  cwd: string;
  /** Extra environment, merged over a cleaned copy of process.env. */
  env?: Record<string, string>;
  input?: string | Buffer;
  /** Kill git after this many ms (SIGKILL); the run then fails with code -1 and says why. */
  timeoutMs?: number;
  /** Said in the complaint when the timeout kills git ("limits.git_seconds"). */
  timeoutKey?: string;
  /** Kill git when this aborts (a series out of time). */
  signal?: AbortSignal;
}

/** Variables that would point git at some other repository than the one we name with cwd. */
const REPO_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_NAMESPACE'];

export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of REPO_ENV) delete env[k];
  // Never wait for a password on a terminal nobody watches; keep messages in English for parsing.
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  env.LANGUAGE = 'C';
  return { ...env, ...extra };
}

export function runGit(args: string[], opts: GitRunOptions): Promise<GitRun> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('git', args, { cwd: opts.cwd, env: gitEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: -1, stdout: '', stderr: `could not run git: ${(e as Error).message}` });
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: Error | null = null;
    let killedFor: string | null = null;
    const kill = (why: string) => {
      killedFor ??= why;
      child.kill('SIGKILL');
    };
    const timer = opts.timeoutMs !== undefined
      ? setTimeout(() => kill(`git ${args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? ''} killed after ${opts.timeoutMs! / 1000} s${opts.timeoutKey ? ` (${opts.timeoutKey})` : ''}`), opts.timeoutMs)
      : null;
    const onAbort = () => kill(`git stopped: ${String(opts.signal?.reason ?? 'aborted')}`);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      spawnError = e;
    });
    child.stdin.on('error', () => {
      // git may exit before reading all of its input (e.g. a failed command); the exit code tells the story.
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const stderr = Buffer.concat(err).toString('utf8') + (killedFor ? `fatal: ${killedFor}\n` : '');
      resolve({
        code: spawnError || killedFor ? -1 : (code ?? -1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: spawnError ? `could not run git in ${opts.cwd}: ${(spawnError as Error).message}` : stderr,
      });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** The first useful lines of git's complaint, for a report. */
export function gitComplaint(run: GitRun, maxLines = 6): string {
  const lines = (run.stderr || run.stdout)
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !l.startsWith('hint:'));
  return lines.slice(0, maxLines).join('\n') || `git exited with ${run.code}`;
}

/** Resolve a revision to a full commit sha, or null when the tree has no such commit. */
export async function resolveCommit(repo: string, rev: string): Promise<string | null> {
  if (!rev || /[\s\0]/.test(rev)) return null;
  const r = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { cwd: repo });
  if (r.code !== 0) return null;
  const sha = r.stdout.trim();
  return /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
}
