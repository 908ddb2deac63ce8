// Bring the tracked tree's remote-tracking branches up to date (the upstream branches series are based on).
// Only refs/remotes/* and FETCH_HEAD change: the checkout, index, HEAD and local branches stay as they are.
import { gitComplaint, runGit } from './run-git.ts';

export interface UpdateTreeResult {
  /** Remotes fetched successfully, in order. */
  fetched: string[];
  /** One line per remote that failed: "<remote>: <git's complaint>". */
  errors: string[];
}

/** `git fetch --prune` each remote (every configured remote when none are named). */
export async function updateTree(repo: string, remotes?: string[]): Promise<UpdateTreeResult> {
  const result: UpdateTreeResult = { fetched: [], errors: [] };
  let names = remotes;
  if (names === undefined) {
    const list = await runGit(['remote'], { cwd: repo });
    if (list.code !== 0) return { fetched: [], errors: [`${repo}: ${gitComplaint(list)}`] };
    names = list.stdout.split('\n').filter(Boolean);
  }
  for (const remote of names) {
    // A remote name is never an option; refuse rather than let "--upload-pack=..." reach git.
    if (!remote || remote.startsWith('-') || /[\s\0]/.test(remote)) {
      result.errors.push(`${JSON.stringify(remote)}: not a remote name`);
      continue;
    }
    const r = await runGit(['-c', 'core.hooksPath=/dev/null', 'fetch', '--prune', '--quiet', '--no-recurse-submodules', remote], { cwd: repo });
    if (r.code === 0) result.fetched.push(remote);
    else result.errors.push(`${remote}: ${gitComplaint(r, 3).replace(/\n/g, ' / ')}`);
  }
  return result;
}
