// A scratch directory per test file: the example kernel tree built in it, a kbot config whose work_dir is
// inside it (so nothing a review does lands in the shared /tmp/kbot), and cleanup.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { buildExampleTree, gitEnv } from '../../examples/build-tree.ts';

const run = promisify(execFile);

export interface Workspace {
  root: string;
  /** The tracked tree (a git checkout of an example tree). */
  tree: string;
  /** Its commit, the base-commit: every example series names. */
  head: string;
  /** A config file (work_dir inside root); pass to --config. */
  config: string;
  workDir: string;
  cleanup(): Promise<void>;
}

export async function makeWorkspace(
  treeName: 'v4.12-style' | 'v6.6-style' = 'v4.12-style',
  extraConfig: Record<string, unknown> = {},
): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'kbot-e2e-'));
  const built = await buildExampleTree(treeName, join(root, 'linux'));
  const workDir = join(root, 'work');
  const config = join(root, 'kbot.yaml');
  await writeFile(config, stringify({ work_dir: workDir, ...extraConfig }));
  return { root, tree: built.path, head: built.head, config, workDir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** git in `cwd` with a fixed identity and no user config; returns trimmed stdout. */
export async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: gitEnv('2017-08-01 12:00:00 +0000'), maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** Everything a user would notice about a checkout: HEAD, branches, index, status, worktrees, stashes. */
export async function treeState(tree: string): Promise<Record<string, string>> {
  return {
    head: await git(tree, ['rev-parse', 'HEAD']),
    symbolicHead: await git(tree, ['symbolic-ref', '-q', 'HEAD']),
    refs: await git(tree, ['for-each-ref', '--format=%(refname) %(objectname)']),
    index: await git(tree, ['ls-files', '--stage']),
    status: await git(tree, ['status', '--porcelain=v1', '--untracked-files=all', '--ignored']),
    worktrees: await git(tree, ['worktree', 'list', '--porcelain']),
  };
}
