// The checkpatch analyzer: the tracked tree's own scripts/checkpatch.pl on each patch of the series, its
// ERRORs (and, when asked, its WARNINGs and CHECKs) as findings at the patch's file:line. Pure: the script
// is read through the tree view and run by the runner bot/ gives (perl, bounded in time).
import type { Analyzer, AnalyzerInput, AnalyzerResult, Finding, PatchInput, Severity } from './types.ts';

/** checkpatch.pl and the data files it reads from its own folder, by file name. */
export interface CheckpatchScript {
  files: Record<string, string>;
}

export interface CheckpatchRun {
  stdout: string;
  stderr: string;
  /** Exit status; null when it was stopped or did not start. */
  code: number | null;
  timedOut: boolean;
}

export interface CheckpatchRunner {
  run(script: CheckpatchScript, patch: string, maxMs: number): Promise<CheckpatchRun>;
}

export interface CheckpatchOptions {
  runner: CheckpatchRunner;
  /** Report WARNINGs and CHECKs too (as info). */
  warnings: boolean;
  maxSeconds: number;
  errorSeverity: Extract<Severity, 'warning' | 'info'>;
}

/** What checkpatch.pl reads beside itself (spelling, const structs); absent ones are skipped, as it does. */
const DATA_FILES = ['spelling.txt', 'const_structs.checkpatch'];

/** `-:12: ERROR:SPACING: space required before the open parenthesis '('` (--terse --show-types). */
const REPORT = /^-:(\d+): (ERROR|WARNING|CHECK):([A-Z0-9_]+): (.*)$/;

export function checkpatchAnalyzer(opts: CheckpatchOptions): Analyzer {
  return {
    name: 'checkpatch',
    async run(input: AnalyzerInput): Promise<AnalyzerResult> {
      // The script as the series' base has it: the rules the tree the patches are for holds them to.
      const main = await input.before.readFile('scripts/checkpatch.pl');
      if (main === null) {
        return { findings: [], notes: [], coverage: { analyzer: 'checkpatch', status: 'skipped', checked: `nothing: the tree has no scripts/checkpatch.pl at ${input.before.commit.slice(0, 12)}`, findings: 0 } };
      }
      const files: Record<string, string> = { 'checkpatch.pl': main };
      for (const f of DATA_FILES) {
        const t = await input.before.readFile(`scripts/${f}`);
        if (t !== null) files[f] = t;
      }
      const script = { files };
      const findings: Finding[] = [];
      const notes: string[] = [];
      const limits: string[] = [];
      const counts = { ERROR: 0, WARNING: 0, CHECK: 0 };
      let ran = 0;
      const failed: string[] = [];
      const withMail = input.patches.filter((p) => p.mail);
      for (const p of withMail) {
        const res = await opts.runner.run(script, p.mail!, opts.maxSeconds * 1000);
        const label = `patch ${p.index}/${input.patches.length}`;
        const reported = res.stdout.split('\n').some((l) => REPORT.test(l));
        if (res.timedOut) {
          limits.push(`checkpatch: ${label} was stopped after checkpatch.max_seconds (${opts.maxSeconds} s); what it printed before that is reported`);
        } else if (res.code === null || (res.code !== 0 && !reported)) {
          // Exit 0: clean; 1: it reported something. A failure with no report line is its own trouble, said.
          failed.push(`${label}: checkpatch.pl failed (exit ${res.code ?? 'none'}): ${firstLine(res.stderr) || firstLine(res.stdout) || 'no output'}`);
          continue;
        }
        ran++;
        for (const line of res.stdout.split('\n')) {
          const m = REPORT.exec(line);
          if (!m) continue;
          const level = m[2] as keyof typeof counts;
          counts[level]++;
          if (level !== 'ERROR' && !opts.warnings) continue;
          findings.push(toFinding(p, Number(m[1]), level, m[3], m[4], level === 'ERROR' ? opts.errorSeverity : 'info'));
        }
      }
      const skipped = input.patches.length - withMail.length;
      const checked = `scripts/checkpatch.pl of ${input.before.commit.slice(0, 12)} (perl, ${['--no-tree', '--terse', '--show-types'].join(' ')}) on ${ran} of ${input.patches.length} patch(es): ` +
        `${counts.ERROR} ERROR(s), ${counts.WARNING} WARNING(s), ${counts.CHECK} CHECK(s)` +
        `${opts.warnings ? '' : counts.WARNING + counts.CHECK ? ' (WARNINGs and CHECKs not reported: checkpatch.warnings is off)' : ''}` +
        `${skipped ? `; ${skipped} patch(es) without their mail text not checked` : ''}`;
      notes.push(`checkpatch: ${checked}`, ...failed.map((f) => `checkpatch: ${f}`), ...limits);
      const status = failed.length ? 'failed' : 'ran';
      return { findings, notes, coverage: { analyzer: 'checkpatch', status, checked: failed.length ? `${checked}; ${failed.join('; ')}` : checked, findings: findings.length, ...(limits.length ? { limits } : {}) } };
    },
  };
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim())?.trim() ?? '';
}

/** Where line `n` of the patch mail is: a file and its new-side line in a hunk, or null (the message, a signature). */
export function locateMailLine(mail: string, n: number): { file: string; line: number } | null {
  const lines = mail.split('\n');
  let file: string | null = null;
  let newLine = 0;
  // What is left of the hunk, by its header's counts: a hunk ends where they say, not at the first odd line.
  let oldLeft = 0;
  let newLeft = 0;
  for (let i = 0; i < lines.length && i < n; i++) {
    const l = lines[i];
    const here = i === n - 1;
    if (oldLeft > 0 || newLeft > 0) {
      if (l[0] === '\\') continue;
      if (here) return file ? { file, line: newLine } : null;
      if (l[0] === '-') oldLeft--;
      else if (l[0] === '+') { newLeft--; newLine++; } else { oldLeft--; newLeft--; newLine++; }
      continue;
    }
    const h = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(l);
    if (l.startsWith('diff --git ')) file = null;
    else if (l.startsWith('+++ ')) file = l.slice(4).replace(/^b\//, '').replace(/\t.*$/, '');
    else if (h && file) {
      newLine = Number(h[2]);
      oldLeft = h[1] === undefined ? 1 : Number(h[1]);
      newLeft = h[3] === undefined ? 1 : Number(h[3]);
      if (here) return { file, line: newLine };
    }
  }
  return null;
}

function toFinding(p: PatchInput, n: number, level: string, type: string, msg: string, severity: Severity): Finding {
  const at = locateMailLine(p.mail!, n);
  const fd = at ? p.files.find((f) => f.to === at.file) : undefined;
  const hunk = fd?.hunks.find((h) => at!.line >= h.newStart && at!.line <= h.newStart + Math.max(1, h.lines.filter((l) => l[0] !== '-').length));
  const where = at ? `${at.file}:${at.line}` : 'the commit message';
  return {
    analyzer: 'checkpatch', category: 'checkpatch', severity,
    // checkpatch's rules are patterns over the patch text, right far more often than not.
    confidence: 'medium',
    title: `checkpatch ${level} ${type} at ${where}: ${msg}`,
    message: `${msg}.`.replace(/\.\.$/, '.'),
    detail: `scripts/checkpatch.pl reports ${level}:${type} at ${where}: ${msg}`,
    patch: p.messageId,
    files: at ? [at.file] : [],
    hunk: hunk ? [hunk.header, ...hunk.lines] : [],
    ...(at ? { hunkFile: at.file, callSites: [`${at.file}:${at.line}`] } : {}),
  };
}
