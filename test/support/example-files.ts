// An example kernel tree as files in memory (path -> text), for tests that lay their own files over it and hand
// the result to MemTreeView: built in a temp dir, optionally with an example series applied (git am), read
// back, and the temp dir removed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildExampleTree, examplesDir } from '../../examples/build-tree.ts';
import { GitTreeView } from '../../bot/tree/git-tree-view.ts';

export async function exampleTreeFiles(era: 'v4.12-style' | 'v6.6-style', series?: string): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'kbot-example-files-'));
  try {
    const t = await buildExampleTree(era, join(dir, 'tree'));
    let head = t.head;
    if (series) {
      const env = { ...process.env, GIT_COMMITTER_NAME: 'kbot', GIT_COMMITTER_EMAIL: 'kbot@localhost' };
      execFileSync('git', ['am', '-q', '--empty=drop', join(examplesDir, 'series', `${series}.mbox`)], { cwd: t.path, env });
      head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: t.path }).toString().trim();
    }
    const view = new GitTreeView(t.path, head);
    const files: Record<string, string> = {};
    try {
      for (const f of await view.listFiles()) files[f] = (await view.readFile(f))!;
    } finally {
      await view.close();
    }
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
