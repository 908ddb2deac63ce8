// Builds one of the example kernel-like trees (examples/trees/<name>/) into a fresh git repository with a single
// commit on `master`. Author, committer, dates, file modes and config are fixed, so the commit sha depends only on
// the files: series mboxes name it in `base-commit:` and stay valid as long as the tree is unchanged.
//
// CLI: node --import tsx examples/build-tree.ts <name> <dest>

import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { projectRoot } from '../bot/project-root.ts';

const run = promisify(execFile);

export const examplesDir = join(projectRoot(), 'examples');
export const treesDir = join(examplesDir, 'trees');

/** The identity and date every example commit is made with. */
export const EXAMPLE_IDENT = {
  name: 'Example Tree',
  email: 'trees@example.org',
  date: '2017-07-02 20:21:00 -0700',
};

/**
 * Environment for git that ignores the user's and system's config (hooks, signing, default branch, autocrlf) so that
 * builds are identical everywhere.
 */
export function gitEnv(date: string = EXAMPLE_IDENT.date, ident: { name: string; email: string } = EXAMPLE_IDENT): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: ident.name,
    GIT_AUTHOR_EMAIL: ident.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: ident.name,
    GIT_COMMITTER_EMAIL: ident.email,
    GIT_COMMITTER_DATE: date,
    TZ: 'UTC',
    LC_ALL: 'C',
  };
}

/** Runs git in `cwd` with the fixed environment; returns stdout. */
export async function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = gitEnv()): Promise<string> {
  const { stdout } = await run('git', ['-c', 'core.autocrlf=false', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** Names of the trees under examples/trees/. */
export async function listExampleTrees(): Promise<string[]> {
  const names = await readdir(treesDir);
  const dirs: string[] = [];
  for (const n of names.sort()) if ((await stat(join(treesDir, n))).isDirectory()) dirs.push(n);
  return dirs;
}

async function copyTree(src: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const name of await readdir(src)) {
    const from = join(src, name);
    const to = join(dest, name);
    if ((await stat(from)).isDirectory()) await copyTree(from, to);
    else {
      await copyFile(from, to);
      await chmod(to, 0o644);
    }
  }
}

/**
 * Copies examples/trees/<name>/ into `dest` (created if missing, must not already be a repository) and commits it.
 * Returns the repository path and the commit sha (deterministic for given tree contents).
 */
export async function buildExampleTree(name: string, dest: string): Promise<{ path: string; head: string }> {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`bad example tree name: ${JSON.stringify(name)}`);
  const src = join(treesDir, name);
  const st = await stat(src).catch(() => null);
  if (!st?.isDirectory()) {
    const known = await listExampleTrees();
    throw new Error(`no example tree ${JSON.stringify(name)} (known: ${known.join(', ')})`);
  }
  const path = resolve(dest);
  await copyTree(src, path);
  await git(path, ['init', '-q', '--initial-branch=master']);
  await git(path, ['add', '-A']);
  await git(path, ['commit', '-q', '-m', `Example tree ${name}\n\nexamples/trees/${name} for kbot.`]);
  const head = (await git(path, ['rev-parse', 'HEAD'])).trim();
  return { path, head };
}

// CLI entry point.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [name, dest] = process.argv.slice(2);
  if (!name || !dest) {
    console.error('usage: node --import tsx examples/build-tree.ts <name> <dest>');
    console.error(`trees: ${(await listExampleTrees()).join(', ')}`);
    process.exit(2);
  }
  try {
    const r = await buildExampleTree(name, dest);
    console.log(`${r.path} ${r.head}`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
