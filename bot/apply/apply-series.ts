// Apply a series the way git am does (git mailinfo, git apply, a commit per patch), into an index of its own:
// no checkout of the tree, which on a whole kernel tree costs more than everything else in a review, and the
// tracked tree's checkout, index, HEAD, branches and config are never touched; two applies can run side by
// side. The commits stay in the tracked tree's object store: callers read them by sha (GitTreeView(repo, head)).
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ApplyResult, BaseChoice, Message, Series } from '../types.ts';
import { gitComplaint, resolveCommit, runGit, type GitRun, type GitRunOptions } from '../tree/run-git.ts';
import { buildMail, mailText } from './build-mbox.ts';
import { patchHazard, type PatchHazard } from './check-patch-safety.ts';
import { findHunk } from './find-hunk.ts';
import { registerScratch } from './clean-stale.ts';

export interface ApplySeriesInput {
  /** The tracked tree (its object store is where the new commits are recorded). */
  repo: string;
  /** Scratch space; each apply makes (and removes) its own unique directory in it. */
  workDir: string;
  series: Series;
  base: BaseChoice;
  /** limits.git_seconds, in ms: each git command of the apply is killed past it. */
  gitTimeoutMs?: number;
  /** Stops the apply between patches and kills git (the series is out of time). */
  signal?: AbortSignal;
}

/** Who "commits" the applied patches; authors come from the mails. Set here so no git config is needed. */
const COMMITTER = { GIT_COMMITTER_NAME: 'kbot', GIT_COMMITTER_EMAIL: 'kbot@localhost' };

/**
 * Settings that must not come from whoever runs us: hooks of the tracked tree would run code on our behalf,
 * gpg signing would prompt, autocrlf would rewrite lines.
 */
const SAFE_CONFIG = ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgSign=false', '-c', 'core.autocrlf=false'];

/**
 * The operator's global and system git config are shut out (a filter driver git-lfs installs there would
 * run on the patch's files if a .gitattributes in the series named it).
 */
const SAFE_ENV = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_ATTR_NOSYSTEM: '1' };

/**
 * The tracked repository's own config may define filter drivers too: each is blanked for our git runs (an
 * empty command is no filter), so no attribute a patch adds can start one. `git apply --cached` runs none
 * today; this keeps it so whatever git does next.
 */
async function blankFilters(repo: string, env: Record<string, string>): Promise<string[]> {
  const r = await runGit(['config', '--name-only', '--get-regexp', '^filter\\.'], { cwd: repo, env });
  const names = new Set(r.stdout.split('\n').map((k) => /^filter\.(.+)\.[^.]+$/.exec(k.trim())?.[1]).filter((n): n is string => !!n));
  return [...names].flatMap((n) => ['-c', `filter.${n}.clean=`, '-c', `filter.${n}.smudge=`, '-c', `filter.${n}.process=`, '-c', `filter.${n}.required=false`]);
}

export async function applySeries(input: ApplySeriesInput): Promise<ApplyResult> {
  const { repo, series } = input;
  const total = series.total;
  const patches = series.patches.map((message, i) => ({ index: i + 1, message }));

  // Refuse hostile patches before git sees any of them.
  for (const { index, message } of patches) {
    if (!message) continue;
    const text = mailText(message);
    const hazard = patchHazard(text, message.diff ?? []) ?? (message.patch ? patchHazard(message.patch, []) : null);
    if (hazard) {
      return { status: 'refused', base: input.base, patchIndex: index, patch: message.messageId, file: hazard.path, detail: hazard.sentence };
    }
  }

  const missing = [...new Set([...series.missing, ...patches.filter((p) => !p.message).map((p) => p.index)])].sort((a, b) => a - b);
  if (missing.length > 0 || patches.length === 0) {
    const detail = patches.length === 0 ? 'incomplete: the series has no patches' : `incomplete: ${missing.map((i) => `${i}/${total}`).join(', ')} missing`;
    return { status: 'skipped', base: input.base, detail };
  }

  const baseSha = await resolveCommit(repo, input.base.commit);
  if (!baseSha) return { status: 'failed', base: input.base, detail: `base ${input.base.commit} is not a commit in ${repo}` };
  const base: BaseChoice = { ...input.base, commit: baseSha };

  await mkdir(input.workDir, { recursive: true });
  const dir = await mkdtemp(join(resolve(input.workDir), 'apply-'));
  await registerScratch(dir);
  // The index the series is applied to: the base's tree, then each patch in order.
  const env = { ...COMMITTER, ...SAFE_ENV, GIT_INDEX_FILE: join(dir, 'index') };
  const run = { timeoutMs: input.gitTimeoutMs, timeoutKey: 'limits.git_seconds', signal: input.signal };
  try {
    const config = [...SAFE_CONFIG, ...(await blankFilters(repo, env))];
    const read = await runGit([...config, 'read-tree', baseSha], { cwd: repo, env, ...run });
    if (read.code !== 0) return { status: 'failed', base, detail: `could not read the tree of ${base.commit}: ${gitComplaint(read)}` };
    let head = baseSha;
    for (const { index, message } of patches as Array<{ index: number; message: Message }>) {
      if (input.signal?.aborted) return { status: 'failed', base, patchIndex: index, patch: message.messageId, detail: `stopped before patch ${index}/${total}: ${String(input.signal.reason)}` };
      const r = await applyOne(repo, dir, env, config, run, head, index, message);
      if ('failed' in r) return { status: 'failed', base, patchIndex: index, patch: message.messageId, ...describeFailure(r.failed, message) };
      if ('refused' in r) return { status: 'refused', base, patchIndex: index, patch: message.messageId, file: r.refused.path, detail: r.refused.sentence };
      head = r.commit;
    }
    return { status: 'applied', base, head };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * One patch, as git am takes it: git mailinfo splits the mail into author, message and patch; git apply
 * applies the patch to the index; the index's tree is committed on `parent` with the mail's author and date.
 */
type RunLimits = Pick<GitRunOptions, 'timeoutMs' | 'timeoutKey' | 'signal'>;

async function applyOne(
  repo: string, dir: string, env: Record<string, string>, SAFE_CONFIG: string[], lim: RunLimits, parent: string, index: number, message: Message,
): Promise<{ commit: string } | { failed: GitRun } | { refused: PatchHazard }> {
  const msg = join(dir, `${index}.msg`);
  const patch = join(dir, `${index}.patch`);
  const mailinfo = await runGit([...SAFE_CONFIG, 'mailinfo', '-u', '--no-scissors', msg, patch], { cwd: repo, env, input: buildMail(message), ...lim });
  const failedAt = (run: GitRun, subject: string): { failed: GitRun } => ({
    failed: { ...run, stderr: `${run.stderr.trimEnd()}\nPatch failed at ${String(index).padStart(4, '0')} ${subject}\n` },
  });
  if (mailinfo.code !== 0) return failedAt(mailinfo, message.subject);
  const info = new Map<string, string>();
  for (const line of mailinfo.stdout.split('\n')) {
    const m = /^(Author|Email|Subject|Date): ?(.*)$/.exec(line);
    if (m) info.set(m[1], m[2]);
  }
  const subject = info.get('Subject') ?? message.subject;
  if ((await readFile(patch, 'utf8')).trim() === '') {
    return failedAt({ code: 1, stdout: '', stderr: 'Patch is empty.' }, subject);
  }
  const apply = await runGit([...SAFE_CONFIG, 'apply', '--cached', '--whitespace=nowarn', patch], { cwd: repo, env, ...lim });
  if (apply.code !== 0) return failedAt(apply, subject);
  const tree = await runGit(['write-tree'], { cwd: repo, env, ...lim });
  if (tree.code !== 0) return failedAt(tree, subject);
  // What git made of the patch, read back from the tree it wrote: the modes and paths as git itself reads
  // them, so no spelling of a mode or a path can mean one thing to kbot's check and another to git.
  const changed = await runGit(['diff-tree', '-r', '-z', '--no-renames', `${parent}^{tree}`, tree.stdout.trim()], { cwd: repo, env, ...lim });
  if (changed.code !== 0) return failedAt(changed, subject);
  const refused = treeHazard(changed.stdout);
  if (refused) return { refused };
  const body = (await readFile(msg, 'utf8')).trim();
  const date = info.get('Date') ?? '';
  const author = {
    GIT_AUTHOR_NAME: info.get('Author') || info.get('Email') || 'unknown',
    GIT_AUTHOR_EMAIL: info.get('Email') ?? '',
    ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
  };
  const commit = await runGit([...SAFE_CONFIG, 'commit-tree', tree.stdout.trim(), '-p', parent, '-F', '-'], {
    cwd: repo, env: { ...env, ...author }, ...lim, input: body ? `${subject}\n\n${body}\n` : `${subject}\n`,
  });
  if (commit.code !== 0) return failedAt(commit, subject);
  return { commit: commit.stdout.trim() };
}

/**
 * The first entry of `git diff-tree -r -z` output (":old new oldsha newsha status\0path\0") that the series may
 * not write: a symlink or a gitlink (by the mode git recorded), or a path git should never have let in.
 */
export function treeHazard(raw: string): PatchHazard | null {
  const fields = raw.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const m = /^:(\d{6}) (\d{6}) \S+ \S+ ([A-Z])\d*$/.exec(fields[i]!);
    if (!m) continue;
    const [, , newMode, status] = m;
    const path = fields[i + 1]!;
    if (status === 'D') continue;
    if (newMode === '120000') return { path, sentence: `Refused: "${path}" is a symlink in the tree git made of the patch (mode 120000); a patch may not create or change symlinks.` };
    if (newMode === '160000') return { path, sentence: `Refused: "${path}" is a submodule link in the tree git made of the patch (mode 160000), which a kernel patch has no business creating.` };
    if (path.split('/').some((p) => p === '..' || /^\.git[. ]*$/i.test(p))) return { path, sentence: `Refused: "${path}" in the tree git made of the patch climbs out of the tree or into .git.` };
  }
  return null;
}

/** The file, hunk and git's own words for a failed git am. */
export function describeFailure(am: GitRun, message: Message): { file?: string; hunk?: string; detail: string } {
  const out = `${am.stdout}\n${am.stderr}`;
  const lines = out.split('\n').map((l) => l.trimEnd());
  let file: string | undefined;
  let line: number | undefined;
  const failed = out.match(/^error: patch failed: (.+):(\d+)$/m);
  if (failed) {
    file = failed[1];
    line = Number(failed[2]);
  } else {
    const named = out.match(/^error: (.+?): (?:does not exist in index|already exists in (?:index|working directory)|patch does not apply|does not match index)$/m);
    if (named) file = named[1];
  }
  // git's own complaint first, then the "Patch failed at" line that names the commit.
  const said = [
    ...lines.filter((l) => /^(error|fatal):|^Patch is empty|^Patch format detection failed/.test(l)),
    ...lines.filter((l) => /^Patch failed at/.test(l)),
  ];
  const detail = (said.length ? said.slice(0, 8).join('\n') : gitComplaint(am)).trim();
  const result: { file?: string; hunk?: string; detail: string } = { detail };
  if (file !== undefined) {
    result.file = file;
    const hunk = findHunk(mailText(message), message.diff ?? [], file, line);
    if (hunk !== undefined) result.hunk = hunk;
  }
  return result;
}
