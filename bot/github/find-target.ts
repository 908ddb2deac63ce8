// Where a series' GitHub comment goes. kernel-patches-daemon opens one pull request per series: its branch
// is "series/<Patchwork series id>=><target branch>" and its title the series' name (the cover letter's
// subject without its [PATCH ...] prefix). kbot matches an open pull request on the branch when it knows the
// series' Patchwork id, else on the title. Several matches are not guessed between: the configured tracking
// issue is used instead, and the notes say why.
import type { Octokit } from 'octokit';
import { normalizeTitle } from '../commands/series-key.ts';
import { splitRepo } from './github-client.ts';

export interface GithubTarget {
  owner: string;
  repo: string;
  /** The pull request or issue number (comments go to its issue thread). */
  number: number;
  kind: 'pull' | 'issue';
  /** The pull request's head commit (where its checks show). */
  headSha?: string;
  url: string;
  /** Why this target. */
  why: string;
}

export interface FindTargetInput {
  repo: string;
  title: string;
  patchworkSeriesId?: number;
  trackingIssue?: number;
}

export async function findTarget(octokit: Octokit, input: FindTargetInput): Promise<{ target: GithubTarget | null; notes: string[] }> {
  const { owner, repo } = splitRepo(input.repo);
  const notes: string[] = [];
  const pulls = await octokit.paginate(octokit.rest.pulls.list, { owner, repo, state: 'open', per_page: 100 });
  const wanted = normalizeTitle(input.title);
  const byBranch = input.patchworkSeriesId !== undefined ? pulls.filter((p) => p.head.ref.startsWith(`series/${input.patchworkSeriesId}=>`)) : [];
  const matches = byBranch.length ? byBranch : pulls.filter((p) => normalizeTitle(p.title) === wanted);
  const how = byBranch.length ? `branch series/${input.patchworkSeriesId}=>` : 'title';
  if (matches.length === 1) {
    const p = matches[0]!;
    return { target: { owner, repo, number: p.number, kind: 'pull', headSha: p.head.sha, url: p.html_url, why: `pull request #${p.number} matches the series by ${how}` }, notes };
  }
  if (matches.length > 1) notes.push(`github: ${matches.length} open pull requests of ${input.repo} match the series by ${how} (${matches.map((p) => `#${p.number}`).join(', ')}); none is chosen`);
  if (input.trackingIssue !== undefined) {
    const { data } = await octokit.rest.issues.get({ owner, repo, issue_number: input.trackingIssue });
    return { target: { owner, repo, number: data.number, kind: 'issue', url: data.html_url, why: `no single pull request matches the series; tracking issue #${data.number}` }, notes };
  }
  if (!matches.length) notes.push(`github: no open pull request of ${input.repo} matches the series, and no tracking_issue is configured: nothing posted`);
  return { target: null, notes };
}
