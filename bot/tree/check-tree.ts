// `--tree` must name a git repository itself (its top, or a bare repository), and `--base`/`--rev` a commit in
// it: anything else is the user's mistake, said before any work is done, never "does not apply" to an author.
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../cli-args.ts';
import { resolveCommit, runGit } from './run-git.ts';

/** The tree's absolute path; a UsageError when it is no git repository or only a folder inside one. */
export async function checkTree(tree: string): Promise<string> {
  const path = resolve(tree);
  const info = await stat(path).catch(() => null);
  if (!info) throw new UsageError(`--tree ${tree}: no such directory`);
  if (!info.isDirectory()) throw new UsageError(`--tree ${tree}: not a directory`);
  // One git: rev-parse prints its answers in order and stops at the first it cannot give (--show-toplevel in
  // a bare repository, or in a .git folder), so what it printed still says which case this is.
  const r = await runGit(['rev-parse', '--is-bare-repository', '--absolute-git-dir', '--show-toplevel'], { cwd: path });
  const [bare, gitDir, top = ''] = r.stdout.trim().split('\n');
  if (bare !== 'true' && bare !== 'false') throw new UsageError(`--tree ${tree}: not a git repository`);
  const real = await realpath(path);
  if (bare === 'true') {
    if (gitDir !== real) throw new UsageError(`--tree ${tree}: inside the bare repository ${gitDir}, not the repository itself`);
    return path;
  }
  if (!top) throw new UsageError(`--tree ${tree}: inside the git folder ${gitDir}, not a work tree`);
  if (top !== real) throw new UsageError(`--tree ${tree}: a folder inside the git repository ${top}, not the repository itself (use --tree ${top})`);
  return path;
}

/** The full sha of `rev` in the tree; a UsageError naming the option when it names no commit. */
export async function checkCommit(tree: string, rev: string, option: string): Promise<string> {
  const sha = await resolveCommit(tree, rev);
  if (!sha) throw new UsageError(`${option} ${rev}: no such commit in ${tree}`);
  return sha;
}
