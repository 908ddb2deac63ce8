// Pick the commit a series applies on, in the order kernel CI bots use: the series' own base-commit:
// trailer when the tree has it, then the operator's --base, then a branch named by a subject tag such as
// [PATCH mm-unstable], then the tree's HEAD. The reply quotes `why`, so it says what was tried and failed.
// A subject tag is only ever a key of the operator's branch_map: anything else in a subject is the sender's
// text, and looked up as a revision it would let a sender probe the tree ("embargo^{/CVE}") and read the
// answer in the reply.
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
  const ignoredTags = series.treeTags.filter((t) => !Object.hasOwn(opts.branchMap ?? {}, t));
  const ignored = () => (ignoredTags.length ? { ignoredTags } : {});

  const given = series.baseCommit ?? series.cover?.baseCommit ?? series.patches.find((p) => p?.baseCommit)?.baseCommit;
  if (given !== undefined) {
    const sha = given.trim();
    if (!/^[0-9a-f]{4,64}$/i.test(sha)) {
      tried.push(`base-commit "${short(sha, 40)}" is not a commit id`);
    } else {
      const has = await runGit(['cat-file', '-e', `${sha}^{commit}`], { cwd: repo });
      const full = has.code === 0 ? await resolveCommit(repo, sha) : null;
      if (full) return { commit: full, source: 'base-commit', why: `base-commit ${abbrev(full)} given by the series is in the tree`, ...ignored() };
      tried.push(`base-commit ${abbrev(sha)} not in the tree`);
    }
  }

  if (opts.cliBase !== undefined) {
    const full = await resolveCommit(repo, opts.cliBase);
    if (full) return { commit: full, source: 'cli', why: withTried(tried, `used --base ${opts.cliBase} (${abbrev(full)})`), ...ignored() };
    tried.push(`--base ${opts.cliBase} names no commit in the tree`);
  }

  for (const tag of series.treeTags) {
    const mapped = Object.hasOwn(opts.branchMap ?? {}, tag) ? opts.branchMap![tag] : undefined;
    if (mapped === undefined) continue;
    const full = await resolveCommit(repo, mapped);
    if (full) return { commit: full, source: 'subject-branch', why: withTried(tried, `used ${mapped} (${abbrev(full)}) for the subject tag [${tag}]`), ...ignored() };
    tried.push(`tag [${tag}] maps to ${mapped}, which names no commit`);
  }

  const head = await resolveCommit(repo, 'HEAD');
  if (!head) throw new Error(`${repo} has no HEAD commit to apply on`);
  const none = tried.length === 0 ? ': the series names no base-commit and no tree tag' : '';
  return { commit: head, source: 'head', why: withTried(tried, `used HEAD (${abbrev(head)})${none}`), ...ignored() };
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
