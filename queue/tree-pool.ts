// Scratch space for applying series to a tracked tree: kbot applies into an index of its own, not a checked-out
// worktree (bot/apply: a checkout of a kernel tree costs more than the rest of a review), so the pool bounds
// the scratch directories instead. Each worker process applies at most `pool_size` series to a tree at once,
// in work_dir/pool/<tree>/<pid>/; a process that was killed leaves its directory behind, and the next worker
// to start on the machine removes it (and runs `git worktree prune` on the tree for any worktree left there).
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TreeConfig } from '../config/schema.ts';
import { runGit } from '../bot/tree/run-git.ts';

const slots = new Map<string, { free: number; waiting: Array<() => void> }>();

export function poolDir(workDir: string, tree: string, pid = process.pid): string {
  return join(workDir, 'pool', tree, String(pid));
}

/** Runs fn with one of the tree's pool slots and this process's scratch directory. */
export async function withPoolSlot<T>(workDir: string, tree: TreeConfig, fn: (dir: string) => Promise<T>): Promise<T> {
  let s = slots.get(tree.name);
  if (!s) slots.set(tree.name, (s = { free: tree.pool_size, waiting: [] }));
  if (s.free > 0) s.free--;
  else await new Promise<void>((ok) => s!.waiting.push(ok));
  try {
    const dir = poolDir(workDir, tree.name);
    await mkdir(dir, { recursive: true });
    return await fn(dir);
  } finally {
    const next = s.waiting.shift();
    if (next) next();
    else s.free++;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the scratch directories of processes that are gone; returns what it removed. */
export async function pruneStalePool(workDir: string, trees: TreeConfig[]): Promise<string[]> {
  const removed: string[] = [];
  for (const t of trees) {
    const dir = join(workDir, 'pool', t.name);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names) {
      if (/^\d+$/.test(n) && Number(n) !== process.pid && !alive(Number(n))) {
        await rm(join(dir, n), { recursive: true, force: true });
        removed.push(join(dir, n));
      }
    }
    await runGit(['worktree', 'prune'], { cwd: t.path });
  }
  return removed;
}

/** Keeps an applied series reachable (git gc keeps what a ref names) under refs/kbot/applied/<unix time>-<id>. */
export async function keepApplied(repo: string, id: string, commit: string): Promise<string> {
  const ref = `refs/kbot/applied/${Math.floor(Date.now() / 1000)}-${id}`;
  const r = await runGit(['update-ref', ref, commit], { cwd: repo });
  if (r.code !== 0) throw new Error(`git update-ref ${ref}: ${r.stderr.trim()}`);
  return ref;
}

/** Deletes refs/kbot/applied/* older than `days`; returns how many. */
export async function pruneApplied(repo: string, days: number): Promise<number> {
  const list = await runGit(['for-each-ref', '--format=%(refname)', 'refs/kbot/applied/'], { cwd: repo });
  const cutoff = Date.now() / 1000 - days * 86400;
  const old = list.stdout.split('\n').filter((r) => {
    const t = /^refs\/kbot\/applied\/(\d+)-/.exec(r);
    return t && Number(t[1]) < cutoff;
  });
  if (old.length) await runGit(['update-ref', '--stdin'], { cwd: repo, input: old.map((r) => `delete ${r}\n`).join('') });
  return old.length;
}
