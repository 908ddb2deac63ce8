// Runs SPIN on a Promela model for the benchmark: spin -a (generate the verifier), gcc (compile it), pan
// (search), each timed as a whole process in a temp dir, and reads the state and transition counts pan prints.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SpinRun {
  states: number;
  transitions: number;
  /** Errors pan counted (with -c0 every error reached is counted, so one bug can count many times). */
  errors: number;
  /** Each failed assert's text as pan prints it ("!(pfree)"), with how many times pan reported it. */
  assertions: Record<string, number>;
  /** pan's "equivalent memory usage for states (stored*(State-vector + overhead))", in bytes. */
  stateBytes?: number;
  /** pan's "total actual memory usage", in bytes (its hash table and stack included). */
  panBytes?: number;
  /**
   * Set when pan stopped before the whole space: it reached its memory bound (SpinOptions.memLimitMb) or ran out
   * of memory. Its counts are then of the part it searched (pan says "Search not completed").
   */
  incomplete?: string;
  msSpinA: number;
  msGcc: number;
  msPan: number;
  msTotal: number;
}

export interface SpinOptions {
  /** Stop at the first error (pan -c1) instead of searching the whole space and counting all errors (-c0). */
  stopAtFirstError?: boolean;
  /** Extra preprocessor symbols for the model, e.g. ["FIXED"] or ["FOO=2"]. */
  defines?: string[];
  /** pan's hash table has 2^hashBits slots (default 20). Collisions are chained, so the search stays exact;
   * a bigger table only pays off past a few million states, and costs its allocation on every run. */
  hashBits?: number;
  /**
   * pan stops at this many MiB (-DMEMLIM) and prints what it searched, instead of growing until the machine
   * cannot hold it (pan without it has no bound: the buggy [get_hwpoison_page] model needs ~18 GiB at N = 7).
   */
  memLimitMb?: number;
}

/** Why pan stopped short of the whole space, from its output; undefined when it searched all of it. */
export function panStoppedShort(out: string): string | undefined {
  const bound = /^pan: reached -DMEMLIM bound/m.test(out);
  if (bound) {
    const limit = /^\s*([\d.e+]+) bytes limit/m.exec(out);
    return `memory bound${limit ? ` ${Math.round(Number(limit[1]) / 2 ** 20)} MiB` : ''} reached`;
  }
  if (/^pan: out of memory/m.test(out)) return 'out of memory';
  if (/Search not completed/.test(out)) return 'search not completed';
  return undefined;
}

interface Ran {
  stdout: string;
  stderr: string;
  ms: number;
  code: number;
}

/** Runs a program to its end; a non-zero exit is returned, not thrown (pan exits non-zero when it finds errors). */
function run(cmd: string, args: string[], cwd: string): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      if (err && typeof err.code !== 'number') {
        reject(new Error(err.code === 'ENOENT' ? `${cmd} not found (install it: apt-get install -y spin gcc)` : `${cmd}: ${err.message}`));
        return;
      }
      resolve({ stdout, stderr, ms, code: err ? (err.code as unknown as number) : 0 });
    });
  });
}

/**
 * Runs pan, reading its output as it comes: with -c0 on a buggy model it prints a line per error reached, which
 * at N = 5 is more than any buffer should hold. The assertion lines are counted on the way by
 * expression (as parseAssertions counts them), the rest kept up to 200 lines and from the summary on.
 */
function runPan(args: string[], cwd: string): Promise<Ran & { assertions: Record<string, number> }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('./pan', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const kept: string[] = [];
    const asserts = new Map<string, { line: string; n: number }>();
    let summary = false;
    let stderr = '';
    const take = (line: string) => {
      const m = /^pan:\d+: assertion violated\s+(.*?) \(at depth \d+\)$/.exec(line);
      if (m) {
        const a = asserts.get(m[1]!) ?? { line, n: 0 };
        a.n++;
        asserts.set(m[1]!, a);
        return;
      }
      if (/^(\(Spin Version|Full statespace search|State-vector)/.test(line) || /errors: \d+/.test(line)) summary = true;
      // Why pan stopped short (panStoppedShort) is kept wherever it comes.
      if (summary || kept.length < 200 || /^pan: (reached|out of)|bytes limit$/.test(line)) kept.push(line);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const l of lines) take(l);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (e) => reject(new Error(`./pan: ${e.message}`)));
    child.on('close', (code) => {
      if (partial) take(partial);
      const assertions = Object.fromEntries([...asserts].map(([expr, a]) => [expr.trim(), a.n]));
      resolve({ stdout: kept.join('\n'), stderr, ms: performance.now() - t0, code: code ?? 1, assertions });
    });
  });
}

function must(r: Ran, what: string): Ran {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${(r.stdout + r.stderr).slice(-2000)}`);
  return r;
}

function count(out: string, re: RegExp, what: string): number {
  const m = re.exec(out);
  if (!m) throw new Error(`pan output has no ${what}:\n${out.slice(-2000)}`);
  return Number(m[1]);
}

/** Parses pan's summary ("errors: N", "N states, stored", "N transitions (= stored+matched)"). */
export function parsePan(out: string): { states: number; transitions: number; errors: number } {
  return {
    // Past 10^8 pan writes its counts as 2.333093e+08.
    states: count(out, /^\s*([\d.]+(?:e[+-]?\d+)?) states, stored/m, '"states, stored"'),
    transitions: count(out, /^\s*([\d.]+(?:e[+-]?\d+)?) transitions/m, '"transitions"'),
    errors: count(out, /errors: (\d+)/, '"errors:"'),
  };
}

/** pan's memory figures (in MB of 2^20 bytes in its output), as bytes; absent when pan printed none. */
export function panMemory(out: string): { stateBytes?: number; panBytes?: number } {
  const mb = (re: RegExp) => {
    const m = re.exec(out);
    return m ? Math.round(Number(m[1]) * 1024 * 1024) : undefined;
  };
  const r: { stateBytes?: number; panBytes?: number } = {};
  const st = mb(/^\s*([\d.]+)\s+equivalent memory usage for states/m);
  const tot = mb(/^\s*([\d.]+)\s+total actual memory usage/m);
  if (st !== undefined) r.stateBytes = st;
  if (tot !== undefined) r.panBytes = tot;
  return r;
}

/** Counts pan's "pan:N: assertion violated EXPR (at depth D)" lines by EXPR. */
export function parseAssertions(out: string): Record<string, number> {
  const seen: Record<string, number> = {};
  for (const m of out.matchAll(/^pan:\d+: assertion violated\s+(.*?) \(at depth \d+\)$/gm)) {
    const expr = m[1]!.trim();
    seen[expr] = (seen[expr] ?? 0) + 1;
  }
  return seen;
}

export async function runSpin(pml: string, walkers: number, opts: SpinOptions = {}): Promise<SpinRun> {
  if (!Number.isInteger(walkers) || walkers < 0) throw new Error(`walkers must be a non-negative integer, not ${walkers}`);
  const dir = await mkdtemp(join(tmpdir(), 'kbot-spin-'));
  try {
    await writeFile(join(dir, 'model.pml'), pml);
    const defines = [`-DNWALKERS=${walkers}`, ...(opts.defines ?? []).map((d) => `-D${d}`)];
    const t0 = performance.now();
    const a = must(await run('spin', [...defines, '-a', 'model.pml'], dir), 'spin -a');
    // SAFETY: assertions and end states only, no cycle detection (the explorer checks safety too). Exhaustive
    // storage (no bitstate), a deep stack so the search is not truncated, -n: no unreached-code report.
    const mem = opts.memLimitMb === undefined ? [] : [`-DMEMLIM=${Math.floor(opts.memLimitMb)}`];
    const g = must(await run('gcc', ['-O2', '-DSAFETY', ...mem, '-o', 'pan', 'pan.c'], dir), 'gcc pan.c');
    const panArgs = ['-m100000', `-w${opts.hashBits ?? 20}`, opts.stopAtFirstError ? '-c1' : '-c0', '-n'];
    const p = await runPan(panArgs, dir);
    const msTotal = performance.now() - t0;
    if (/error: max search depth too small/.test(p.stdout)) throw new Error('pan: search depth too small');
    const short = panStoppedShort(p.stdout);
    return { ...parsePan(p.stdout), ...panMemory(p.stdout), ...(short ? { incomplete: short } : {}), assertions: p.assertions, msSpinA: a.ms, msGcc: g.ms, msPan: p.ms, msTotal };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
