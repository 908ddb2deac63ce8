// Apply a series with git am in a detached worktree of its own, so the tracked tree's checkout, index, HEAD
// and branches are never touched and two applies can run side by side. The commits git am makes stay in the
// shared object store after the worktree is gone: callers read them by sha (GitTreeView(repo, head)).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ApplyResult, BaseChoice, Message, Series } from '../types.ts';
import { gitComplaint, resolveCommit, runGit, type GitRun } from '../tree/run-git.ts';
import { buildMbox, mailText } from './build-mbox.ts';
import { patchHazard } from './check-patch-safety.ts';
import { findHunk } from './find-hunk.ts';

export interface ApplySeriesInput {
  /** The tracked tree (its .git is where the worktree and the new commits are recorded). */
  repo: string;
  /** Scratch space; each apply makes (and removes) its own unique directory in it. */
  workDir: string;
  series: Series;
  base: BaseChoice;
}

/** Who "commits" the applied patches; authors come from the mails. Set here so no git config is needed. */
const COMMITTER = { GIT_COMMITTER_NAME: 'kbot', GIT_COMMITTER_EMAIL: 'kbot@localhost' };

/**
 * Settings that must not come from whoever runs us: hooks of the tracked tree would run code on our behalf,
 * gpg signing would prompt, autocrlf would rewrite lines.
 */
const SAFE_CONFIG = ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgSign=false', '-c', 'core.autocrlf=false'];

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
  // The worktree's name in .git/worktrees is its directory's name: unique, and it says who made it.
  const tree = join(dir, `kbot-${basename(dir)}`);
  let added = false;
  try {
    const add = await runGit([...SAFE_CONFIG, 'worktree', 'add', '--detach', '--quiet', tree, baseSha], { cwd: repo });
    if (add.code !== 0) return { status: 'failed', base, detail: `could not make a worktree at ${base.commit}: ${gitComplaint(add)}` };
    added = true;
    // One git am for the whole series, in order; git names the patch it stopped at ("Patch failed at 0002").
    const ordered = patches as Array<{ index: number; message: Message }>;
    const mbox = join(dir, 'series.mbox');
    await writeFile(mbox, ordered.map(({ message }) => buildMbox(message)).join('\n'));
    const am = await runGit(
      [...SAFE_CONFIG, 'am', '--patch-format=mboxrd', '--whitespace=nowarn', '--no-3way', '--no-scissors', '--no-keep-cr', '--committer-date-is-author-date', mbox],
      { cwd: tree, env: COMMITTER },
    );
    if (am.code !== 0) {
      await runGit([...SAFE_CONFIG, 'am', '--abort'], { cwd: tree, env: COMMITTER });
      const at = Number(/^Patch failed at (\d+)/m.exec(`${am.stdout}\n${am.stderr}`)?.[1] ?? 1);
      const { index, message } = ordered[Math.min(Math.max(at, 1), ordered.length) - 1];
      return { status: 'failed', base, patchIndex: index, patch: message.messageId, ...describeFailure(am, message) };
    }
    const head = await resolveCommit(tree, 'HEAD');
    if (!head) return { status: 'failed', base, detail: 'git am succeeded but the worktree has no HEAD' };
    return { status: 'applied', base, head };
  } finally {
    const removed = added ? (await runGit(['worktree', 'remove', '--force', '--force', tree], { cwd: repo })).code === 0 : true;
    await rm(dir, { recursive: true, force: true });
    // If the removal failed, the directory is gone now anyway; prune forgets it.
    if (!removed) await runGit(['worktree', 'prune'], { cwd: repo });
  }
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
