// Pick the commit a series applies on, in the order kernel CI bots use: the series' own base-commit:
// trailer when the tree has it, then the operator's --base, then a branch named by a subject tag such as
// [PATCH mm-unstable], then the tree's HEAD. The reply quotes `why`, so it says what was tried and failed.
import type { BaseChoice, Series } from '../types.ts';
import { resolveCommit, runGit } from '../tree/run-git.ts';

export interface ChooseBaseOptions {
  /** The operator's --base (any revision). */
  cliBase?: string;
  /** Subject tree tag → revision, e.g. { "mm-unstable": "akpm/mm-unstable" }. */
  branchMap?: Record<string, string>;
}

export async function chooseBase(repo: string, series: Series, opts: ChooseBaseOptions = {}): Promise<BaseChoice> {
  const tried: string[] = [];

  const given = series.baseCommit ?? series.cover?.baseCommit ?? series.patches.find((p) => p?.baseCommit)?.baseCommit;
  if (given !== undefined) {
    const sha = given.trim();
    if (!/^[0-9a-f]{4,64}$/i.test(sha)) {
      tried.push(`base-commit "${short(sha, 40)}" is not a commit id`);
    } else {
      const has = await runGit(['cat-file', '-e', `${sha}^{commit}`], { cwd: repo });
      const full = has.code === 0 ? await resolveCommit(repo, sha) : null;
      if (full) return { commit: full, source: 'base-commit', why: `base-commit ${abbrev(full)} given by the series is in the tree` };
      tried.push(`base-commit ${abbrev(sha)} not in the tree`);
    }
  }

  if (opts.cliBase !== undefined) {
    const full = await resolveCommit(repo, opts.cliBase);
    if (full) return { commit: full, source: 'cli', why: withTried(tried, `used --base ${opts.cliBase} (${abbrev(full)})`) };
    tried.push(`--base ${opts.cliBase} names no commit in the tree`);
  }

  for (const tag of series.treeTags) {
    const mapped = opts.branchMap?.[tag];
    const candidates = mapped !== undefined ? [mapped] : [`refs/heads/${tag}`, `refs/remotes/origin/${tag}`];
    for (const rev of candidates) {
      const full = await resolveCommit(repo, rev);
      if (full) {
        const name = rev.replace(/^refs\/(heads|remotes)\//, '');
        return { commit: full, source: 'subject-branch', why: withTried(tried, `used ${name} (${abbrev(full)}) for the subject tag [${tag}]`) };
      }
    }
    tried.push(mapped !== undefined ? `tag [${tag}] maps to ${mapped}, which names no commit` : `no branch ${tag} or origin/${tag} for the subject tag [${tag}]`);
  }

  const head = await resolveCommit(repo, 'HEAD');
  if (!head) throw new Error(`${repo} has no HEAD commit to apply on`);
  const none = tried.length === 0 ? ': the series names no base-commit and no tree tag' : '';
  return { commit: head, source: 'head', why: withTried(tried, `used HEAD (${abbrev(head)})${none}`) };
}

function withTried(tried: string[], used: string): string {
  return tried.length ? `${tried.join('; ')}; ${used}` : used;
}

function abbrev(sha: string): string {
  return sha.slice(0, 12);
}

function short(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}
