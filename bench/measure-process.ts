// Runs a program to its end and measures it as a user would: wall time from spawn to exit, and its peak RSS
// (GNU time's "Maximum resident set size" when /usr/bin/time is there; otherwise, for node programs, the
// child's own process.resourceUsage().maxRSS, written at exit by a preloaded script).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ProcessRun {
  code: number | null;
  /** Wall time from spawn to exit, in ms. */
  ms: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in KiB, when it could be measured. */
  peakRssKb?: number;
  /** How the peak RSS was measured ("/usr/bin/time -v", "process.resourceUsage"), or why not. */
  rssSource: string;
}

export interface MeasureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where GNU time lives; null: do not use it (forces the node fallback). */
  timeBin?: string | null;
}

const GNU_TIME = '/usr/bin/time';
const RSS_PRELOAD = fileURLToPath(new URL('./report-rss.cjs', import.meta.url));

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Reads "Maximum resident set size (kbytes): N" from GNU time -v output. */
export function parseGnuTimeRss(text: string): number | undefined {
  const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

export async function measureProcess(cmd: string, args: string[], opts: MeasureOptions = {}): Promise<ProcessRun> {
  const dir = await mkdtemp(join(tmpdir(), 'kbot-bench-rss-'));
  const rssFile = join(dir, 'rss');
  const timeBin = opts.timeBin === undefined ? GNU_TIME : opts.timeBin;
  let argv: [string, string[]];
  let rssSource: string;
  let env = { ...process.env, ...opts.env };
  if (timeBin && executable(timeBin)) {
    argv = [timeBin, ['-v', '-o', rssFile, cmd, ...args]];
    rssSource = `${timeBin} -v`;
  } else if (cmd === process.execPath) {
    argv = [cmd, ['--require', RSS_PRELOAD, ...args]];
    env = { ...env, KBOT_BENCH_RSS_FILE: rssFile };
    rssSource = 'process.resourceUsage';
  } else {
    argv = [cmd, args];
    rssSource = 'not measured (no /usr/bin/time, not a node program)';
  }
  try {
    const t0 = performance.now();
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve, reject) => {
      const child = spawn(argv[0], argv[1], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, ms: performance.now() - t0, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    });
    let peakRssKb: number | undefined;
    const text = await readFile(rssFile, 'utf8').catch(() => '');
    if (rssSource.endsWith('-v')) peakRssKb = parseGnuTimeRss(text);
    else if (text.trim()) peakRssKb = Number(text.trim());
    if (timeBin && rssSource.endsWith('-v') && r.code !== 0) {
      // GNU time exits with the child's status; its own complaint (command not found) is in its output file.
      const m = /Command exited with non-zero status (\d+)/.exec(text);
      if (m) r.code = Number(m[1]);
    }
    return { ...r, peakRssKb, rssSource };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
