// The trees the benchmark runs on: the v4.12-style example tree, as is (for `kbot review`, which applies the
// series itself) or with a series applied by git am (for `kbot sim`).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildExampleTree, gitEnv } from '../examples/build-tree.ts';

const run = promisify(execFile);

export const BENCH_TREE = 'v4.12-style';

/** Builds the example tree in `dest` (a fresh directory) and returns its path and commit. */
export function unpatchedTree(dest: string, name: string = BENCH_TREE): Promise<{ path: string; head: string }> {
  return buildExampleTree(name, dest);
}

/** Builds the example tree in `dest` and applies `mbox` on it with git am (the cover letter, empty, is dropped). */
export async function patchedTree(dest: string, mbox: string, name: string = BENCH_TREE): Promise<{ path: string; head: string; base: string }> {
  const t = await buildExampleTree(name, dest);
  const env = gitEnv(undefined, { name: 'kbot bench', email: 'bench@localhost' });
  try {
    await run('git', ['-c', 'core.hooksPath=/dev/null', 'am', '--empty=drop', '--whitespace=nowarn', mbox], { cwd: t.path, env });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`git am ${mbox} on ${name} failed: ${err.stderr || err.message}`);
  }
  const { stdout } = await run('git', ['rev-parse', 'HEAD'], { cwd: t.path, env });
  return { path: t.path, head: stdout.trim(), base: t.head };
}
