// What an interrupted run leaves behind, cleaned at the start of the next: kbot's scratch directories under
// work_dir (apply-*, mailsplit-*) and git worktrees of kbot's own making (older kbot applied in a worktree,
// kbot-apply-*, and a kill during `git worktree add` leaves it locked, which `git worktree prune` skips).
// Each scratch directory records its owner (pid and host, registerScratch) the moment it is made; one whose
// owner is alive is another run's and is left alone. Nothing but kbot's own names is ever touched.
import { hostname } from 'node:os';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { runGit } from '../tree/run-git.ts';

const OWNER = '.kbot-owner';
const SCRATCH = /^(apply|mailsplit)-/;
/** A scratch directory with no owner record (killed between mkdtemp and the record) is stale after this. */
const UNOWNED_GRACE_MS = 10 * 60 * 1000;

/** Records this process as the owner of a scratch directory it just made. */
export async function registerScratch(dir: string): Promise<void> {
  await writeFile(join(dir, OWNER), `${process.pid} ${hostname()}\n`);
}

async function ownerAlive(dir: string): Promise<boolean> {
  let record: string;
  try {
    record = await readFile(join(dir, OWNER), 'utf8');
  } catch {
    const st = await stat(dir).catch(() => null);
    return st !== null && Date.now() - st.mtimeMs < UNOWNED_GRACE_MS;
  }
  const [pid, host] = record.trim().split(' ');
  if (host !== hostname()) return true; // another machine's run on a shared work_dir: not ours to judge
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Cleaned {
  dirs: string[];
  worktrees: string[];
}

export async function cleanStaleScratch(workDir: string, repo: string): Promise<Cleaned> {
  const root = resolve(workDir);
  const cleaned: Cleaned = { dirs: [], worktrees: [] };
  const stale = new Set<string>();
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!SCRATCH.test(name)) continue;
    const dir = join(root, name);
    if (!(await ownerAlive(dir))) stale.add(dir);
  }

  // Worktrees: kbot's are named kbot-apply-* or live in one of its scratch directories.
  const list = await runGit(['worktree', 'list', '--porcelain'], { cwd: repo });
  const common = (await runGit(['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: repo })).stdout.trim();
  for (const block of list.stdout.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    if (!path || resolve(path) === resolve(repo)) continue;
    const inScratch = [...stale].some((d) => resolve(path).startsWith(`${d}/`) || resolve(path) === d);
    const ours = /^kbot-apply-/.test(basename(path)) || resolve(path).startsWith(`${root}/`);
    if (!ours) continue;
    if (!inScratch && resolve(path).startsWith(`${root}/`)) {
      const top = join(root, resolve(path).slice(root.length + 1).split('/')[0]!);
      if (await ownerAlive(top)) continue;
    }
    if (/^locked/m.test(block)) await runGit(['worktree', 'unlock', path], { cwd: repo });
    const removed = await runGit(['worktree', 'remove', '--force', '--force', path], { cwd: repo });
    if (removed.code !== 0 && common) {
      // Its directory is gone: remove git's record of it (what prune does), for this entry alone.
      const admin = await adminDirOf(common, path);
      if (admin) await rm(admin, { recursive: true, force: true });
    }
    cleaned.worktrees.push(path);
  }
  for (const dir of stale) {
    await rm(dir, { recursive: true, force: true });
    cleaned.dirs.push(dir);
  }
  return cleaned;
}

/** The .git/worktrees/<name> entry whose gitdir file points into `path`. */
async function adminDirOf(common: string, path: string): Promise<string | null> {
  const base = join(common, 'worktrees');
  for (const name of await readdir(base).catch(() => [] as string[])) {
    const gitdir = (await readFile(join(base, name, 'gitdir'), 'utf8').catch(() => '')).trim();
    if (gitdir && resolve(gitdir, '..') === resolve(path)) return join(base, name);
  }
  return null;
}
